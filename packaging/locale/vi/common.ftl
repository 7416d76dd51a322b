# Thông điệp dùng chung của các chương trình airgapd. Tiếng Việt.
# Cách thêm hoặc sửa một thông điệp: docs/translations.md.

## Ngày giờ theo thứ tự người đọc Việt Nam: ngày/tháng/năm.
datetime = { $day }/{ $month }/{ $year } { $hour }:{ $minute }:{ $second } { $zone }
date = { $day }/{ $month }/{ $year }

## Một lần chặn, thành một câu trọn vẹn; mỗi loại một thông điệp.
refusal-net-create = { $pid ->
    [0] Đã chặn việc mở socket họ { $target }.
   *[other] Đã chặn { $comm } (tiến trình { $pid }, { $user }) mở socket họ { $target }.
}
refusal-net-connect = { $pid ->
    [0] Đã chặn kết nối tới { $target }.
   *[other] Đã chặn { $comm } (tiến trình { $pid }, { $user }) kết nối tới { $target }.
}
refusal-net-bind = { $pid ->
    [0] Đã chặn việc nghe kết nối tại { $target }.
   *[other] Đã chặn { $comm } (tiến trình { $pid }, { $user }) nghe kết nối tại { $target }.
}
refusal-net-send = { $pid ->
    [0] Đã chặn việc gửi dữ liệu tới { $target }.
   *[other] Đã chặn { $comm } (tiến trình { $pid }, { $user }) gửi dữ liệu tới { $target }.
}
refusal-net-egress = { $pid ->
    [0] Đã chặn một gói tin gửi tới { $target }.
   *[other] Đã chặn một gói tin của { $comm } (tiến trình { $pid }, { $user }) gửi tới { $target }.
}
refusal-net-ingress = { $pid ->
    [0] Đã chặn một gói tin đến từ { $target }.
   *[other] Đã chặn một gói tin từ { $target } gửi cho { $comm } (tiến trình { $pid }, { $user }).
}
refusal-net-wire-egress = { $pid ->
    [0] Đã chặn một khung tin mạng rời máy tới { $target }.
   *[other] Đã chặn một khung tin mạng của { $comm } (tiến trình { $pid }, { $user }) rời máy tới { $target }.
}
refusal-net-wire-ingress = { $pid ->
    [0] Đã chặn một khung tin mạng đi vào máy từ { $target }.
   *[other] Đã chặn một khung tin mạng đi vào máy từ { $target } cho { $comm } (tiến trình { $pid }, { $user }).
}
refusal-dev-block = { $pid ->
    [0] Đã chặn truy cập thiết bị lưu trữ { $target }.
   *[other] Đã chặn { $comm } (tiến trình { $pid }, { $user }) truy cập thiết bị lưu trữ { $target }.
}
refusal-dev-premounted = { $pid ->
    [0] Đã chặn truy cập tệp trên thiết bị lưu trữ { $target }, thiết bị đã được gắn kết trước khi airgapd khởi động.
   *[other] Đã chặn { $comm } (tiến trình { $pid }, { $user }) truy cập tệp trên thiết bị lưu trữ { $target }, thiết bị đã được gắn kết trước khi airgapd khởi động.
}
refusal-dev-char = { $pid ->
    [0] Đã chặn truy cập thiết bị { $target }.
   *[other] Đã chặn { $comm } (tiến trình { $pid }, { $user }) truy cập thiết bị { $target }.
}
refusal-dev-readonly = { $pid ->
    [0] Đã chặn ghi vào vật mang tin chỉ đọc { $target }.
   *[other] Đã chặn { $comm } (tiến trình { $pid }, { $user }) ghi vào vật mang tin chỉ đọc { $target }.
}
refusal-bpf-guard = { $pid ->
    [0] Đã chặn thay đổi đối tượng BPF { $target } của airgapd.
   *[other] Đã chặn { $comm } (tiến trình { $pid }, { $user }) thay đổi đối tượng BPF { $target } của airgapd.
}
refusal-exec = { $pid ->
    [0] Đã chặn chạy { $target } từ thiết bị lưu trữ di động.
   *[other] Đã chặn { $comm } (tiến trình { $pid }, { $user }) chạy { $target } từ thiết bị lưu trữ di động.
}
refusal-user = uid { $uid }
refusal-user-named = người dùng { $name }, uid { $uid }
refusal-folded = { $text } (và { $repeats } lần khác giống vậy)

## Quyết định của airgapd về một thiết bị.
decision-internal = ổ trong máy
decision-read-only = chỉ đọc
decision-read-write = đọc-ghi
decision-refused = BỊ CHẶN
decision-authorized = được phép
decision-blocked = BỊ KHÓA
decision-removed = đã rút ra
decision-departed = ĐÃ RÚT RA
target-unknown = (không rõ)

## Lý do quyết định đối với thiết bị (issue 18).
usb-category-storage = thẻ nhớ USB hoặc ổ đĩa
usb-category-keyboard = bàn phím
usb-category-mouse = chuột
usb-category-input = thiết bị nhập liệu
usb-category-hub = bộ chia USB
usb-category-printer = máy in
usb-category-network = bộ điều hợp mạng (chia sẻ mạng từ điện thoại hoặc Ethernet qua USB)
usb-category-serial = cổng nối tiếp hoặc modem
usb-category-wireless = bộ điều khiển không dây
usb-category-bluetooth = bộ điều hợp Bluetooth
usb-category-phone-mtp = điện thoại có chức năng truyền tệp (MTP)
usb-category-phone-ptp = điện thoại hoặc máy ảnh có chức năng truyền ảnh (PTP)
usb-category-audio = micrô hoặc thiết bị ghi âm khác
usb-category-video = camera hoặc thiết bị ghi hình khác
usb-category-smartcard = đầu đọc thẻ thông minh
usb-category-vendor = thiết bị riêng của nhà sản xuất
usb-category-unknown = thiết bị không rõ loại
reason-usb-root-hub = cho phép: bộ chia gốc của chính bộ điều khiển USB, là một phần của máy tính này
reason-usb-no-interface = từ chối: thiết bị không cho biết nó là loại thiết bị gì (không khai báo giao diện nào)
reason-usb-storage-and-more = từ chối: thiết bị này tự nhận là thẻ nhớ hoặc ổ đĩa, đồng thời là { $others }; thiết bị lưu trữ có thêm chức năng khác bị từ chối toàn bộ (thẻ nhớ tự gõ phím là một kiểu tấn công đã biết)
reason-usb-approved-medium = cho phép: vật mang tin đã được phê duyệt "{ $name }"; nội dung vẫn bị khóa cho đến khi kiểm tra xong toàn bộ danh tính
reason-usb-storage-not-approved = từ chối: đây là thẻ nhớ hoặc ổ đĩa (hãng { $vendor }, sản phẩm { $product }, số sê-ri { $serial }) không có trong danh sách vật mang tin được phê duyệt
reason-usb-storage-not-approved-no-serial = từ chối: đây là thẻ nhớ hoặc ổ đĩa (hãng { $vendor }, sản phẩm { $product }, không có số sê-ri) không có trong danh sách vật mang tin được phê duyệt
reason-usb-named = cho phép: có tên trong chính sách là "{ $name }" ({ $what })
reason-usb-allowed-kind = cho phép: thiết bị này là { $what }; bàn phím, chuột, bộ chia USB, máy in và đầu đọc thẻ thông minh được phép dùng và được ghi lại
reason-usb-refused = từ chối: thiết bị này là { $first }; { $first_key ->
    [network] máy tính soạn thảo này không được dùng thiết bị mạng
    [serial] máy tính soạn thảo này không được nối tiếp với thiết bị khác
    [wireless] máy tính soạn thảo này không được dùng thiết bị vô tuyến
    [bluetooth] máy tính soạn thảo này không được dùng thiết bị vô tuyến
    [phone-mtp] điện thoại và máy ảnh không được trao đổi tệp với máy tính soạn thảo này
    [phone-ptp] điện thoại và máy ảnh không được trao đổi tệp với máy tính soạn thảo này
    [audio] máy tính soạn thảo này không được dùng thiết bị ghi âm, ghi hình
    [video] máy tính soạn thảo này không được dùng thiết bị ghi âm, ghi hình
    [vendor] không kiểm tra được chức năng của thiết bị (bộ điều hợp Ethernet, Wi-Fi và cổng nối tiếp qua USB có dạng này), nên chỉ được phép khi chính sách nêu tên
    [unknown] chỉ cho phép các loại thiết bị đã biết (lớp USB { $classes })
    [smartcard] chính sách không cho phép đầu đọc thẻ thông minh
    [printer] chính sách không cho phép máy in
    [keyboard] chính sách không cho phép bàn phím, chuột hoặc thiết bị nhập liệu mới
    [mouse] chính sách không cho phép bàn phím, chuột hoặc thiết bị nhập liệu mới
    [input] chính sách không cho phép bàn phím, chuột hoặc thiết bị nhập liệu mới
   *[other] thiết bị không được phép
}
reason-also = { " " }(thiết bị còn khai báo là { $also })
reason-block-storage-and-more = từ chối: thiết bị lưu trữ này còn tự nhận là { $others }; máy tính soạn thảo này không được dùng những thiết bị như vậy
reason-block-not-approved = từ chối: thiết bị lưu trữ này không phải là vật mang tin được cơ quan cơ yếu cấp phát; máy tính soạn thảo này chỉ được dùng vật mang tin đã đăng ký. Hãy giao thiết bị cho cán bộ bảo mật.
reason-block-approved = vật mang tin đã được phê duyệt "{ $name }"
reason-block-whole-disk = toàn bộ ổ đĩa của vật mang tin đã được phê duyệt "{ $name }" ({ $partitions }): chỉ đọc (bảng phân vùng)
reason-block-not-answering = từ chối: thiết bị lưu trữ này không phản hồi trong { $seconds } giây; thiết bị vẫn bị từ chối. Hãy rút thiết bị ra và giao cho cán bộ bảo mật.
reason-block-unreadable = từ chối: { $error }
reason-list-and = { $rest } và { $last }
journal-reason = Lý do: { $reason }
