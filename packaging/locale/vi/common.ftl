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
