# airgapctl inspect: máy tính này đã từng kết nối với những gì (docs/inspection.md). Tiếng Việt.

inspect-title-live = Kiểm tra máy tính này, { $time }
inspect-title-root = Kiểm tra hệ thống tệp gốc { $root }, { $time }
inspect-caveat = Dấu vết do hệ điều hành để lại. "Không phát hiện" chỉ có giá trị trong khoảng thời gian ghi bên cạnh: dấu vết bị xoay vòng, khởi động từ USB không để lại dấu vết, và root có thể xóa chúng.
inspect-details = Chi tiết

## Các câu hỏi (Luật 29/2018 điều 5, các chỉ thị).
inspect-question-internet = Đã kết nối Internet?
inspect-question-network = Đã kết nối mạng máy tính?
inspect-question-phone-or-network-device = Đã gắn điện thoại hoặc thiết bị có khả năng kết nối mạng?
inspect-question-unapproved-storage = Đã gắn thiết bị lưu trữ không được phép?
inspect-question-bluetooth-pairing = Đã ghép đôi thiết bị Bluetooth?
inspect-question-uncovered-boots = Đã khởi động mà không có airgapd?

## Các câu trả lời.
inspect-answer-found = CÓ: { $count } dấu vết (nguồn: { $sources })
inspect-answer-none-found = Không phát hiện trong khoảng từ { $from } đến { $to } (nguồn: { $sources })
inspect-answer-none-found-undated = Không phát hiện (nguồn: { $sources }; các nguồn không có bản ghi có ngày tháng)
inspect-answer-unknown = Không xác định: không có nguồn nào để trả lời (đã tìm: { $missing })
inspect-answer-incomplete = không đọc được toàn bộ: { $sources } (xem các vấn đề ở dưới)
inspect-answer-missing = không có: { $missing }

## Dấu vết: { $subject } là thiết bị, cấu hình mạng, máy chủ hoặc lần khởi động.
inspect-evidence-nm-connected-global = NetworkManager ghi nhận đã kết nối Internet (CONNECTED_GLOBAL)
inspect-evidence-nm-connected = NetworkManager ghi nhận kết nối mạng: { $subject }
inspect-evidence-nm-activated = NetworkManager đã kết nối giao diện mạng { $subject }
inspect-evidence-dhcp-lease = Máy chủ DHCP đã cấp địa chỉ: { $subject }
inspect-evidence-link-carrier = Đã cắm cáp mạng: { $subject }
inspect-evidence-ntp-server = Máy chủ thời gian đã trả lời: { $subject }
inspect-evidence-nm-profile = Cấu hình mạng: { $subject }
inspect-evidence-nm-shared = Máy tính đã chia sẻ kết nối qua cấu hình { $subject }
inspect-evidence-nm-deleted-profile = Một cấu hình mạng đã bị xóa từng được kích hoạt: { $subject }
inspect-evidence-dhcp-lease-file = Còn lưu địa chỉ DHCP được cấp: { $subject }
inspect-evidence-apt-source = Đã tải gói phần mềm từ { $subject }
inspect-evidence-bluetooth-bond = Thiết bị Bluetooth đã ghép đôi: { $subject }
inspect-evidence-bluetooth-known = Thiết bị Bluetooth đã biết (chưa ghép đôi): { $subject }
inspect-evidence-ssh-known-hosts = Có ghi nhận kết nối SSH tới máy tính khác của người dùng { $subject }
inspect-evidence-usb-phone = Điện thoại: { $subject }
inspect-evidence-usb-network-capable = Thiết bị USB có khả năng kết nối mạng: { $subject }
inspect-evidence-usb-radio = Bộ thu phát Wi-Fi hoặc Bluetooth: { $subject }
inspect-evidence-usb-storage = Thiết bị lưu trữ không được chính sách cho phép: { $subject }
inspect-evidence-removable-disk = Ổ đĩa rời của thiết bị không xác định: { $subject }
inspect-evidence-boot-without-airgapd = Lần khởi động không có airgapd: { $subject }
inspect-evidence-boot-not-in-journal = Lần khởi động có trong wtmp nhưng không có trong nhật ký hệ thống
inspect-evidence-remote-login = Đăng nhập từ máy tính khác: { $subject }
inspect-evidence-browser-history = Các trang web đã truy cập (http, https) trong trình duyệt của { $subject }
inspect-evidence-interface-configured = Giao diện mạng đã được cấu hình: { $subject }
inspect-evidence-when = { $count } lần{ $first ->
    [none] {""}
   *[other] , { $first }{ $last ->
        [none] {""}
       *[other] {" "}– { $last }
    }
} [{ $source }]
inspect-evidence-example = bản ghi: { $example }

## Thiết bị USB.
inspect-devices-title = Thiết bị USB trong nhật ký hệ thống ({ $count })
inspect-devices-none = Nhật ký hệ thống không có thiết bị USB nào.
inspect-device-line = { $label }: { $category }, đã gắn { $count } lần, { $first } – { $last }
inspect-device-approved = được chính sách cho phép: "{ $name }" (hãng, sản phẩm và số sê-ri; dấu vết không có thông tin hệ thống tệp)
inspect-device-network = giao diện mạng { $interface } ({ $driver }), địa chỉ MAC { $mac }
inspect-device-disks = ổ đĩa rời: { $disks }
inspect-category-phone = điện thoại
inspect-category-network-capable = có khả năng kết nối mạng
inspect-category-radio = Wi-Fi hoặc Bluetooth
inspect-category-camera-or-microphone = camera hoặc micro
inspect-category-storage = thiết bị lưu trữ
inspect-category-input = bàn phím, chuột hoặc thiết bị nhập khác
inspect-category-other = khác

## Lần khởi động, chính sách, nguồn dấu vết.
inspect-boots = Số lần khởi động trong nhật ký hệ thống: { $count }, trong đó { $uncovered } lần không có airgapd
inspect-policy-loaded = Chính sách dùng để xét thiết bị lưu trữ: { $path } ({ $id }, số hiệu { $serial }), { $media } thiết bị lưu trữ được phép
inspect-policy-missing = Không có chính sách tại { $path }: không thiết bị lưu trữ nào được coi là được phép.
inspect-policy-invalid = Không đọc được chính sách tại { $path }, nên không thiết bị lưu trữ nào được coi là được phép: { $error }
inspect-sources-title = Nguồn dấu vết
inspect-source-present = { $name }: { $records } bản ghi{ $from ->
    [none] {""}
   *[other] , { $from } – { $to }
}
inspect-source-absent = { $name }: không có ({ $paths })
inspect-source-problem = vấn đề: { $problem }
inspect-not-a-directory = --root: { $root } không phải là thư mục

## Tên các nguồn dấu vết.
inspect-source-name-journal = nhật ký hệ thống
inspect-source-name-nm-profiles = cấu hình mạng NetworkManager
inspect-source-name-nm-state = trạng thái NetworkManager
inspect-source-name-nm-leases = địa chỉ DHCP của NetworkManager
inspect-source-name-dhclient-leases = địa chỉ DHCP của dhclient
inspect-source-name-apt = apt (cài đặt phần mềm)
inspect-source-name-bluez = thiết bị Bluetooth đã ghép đôi
inspect-source-name-known-hosts = máy chủ SSH đã biết
inspect-source-name-browsers = lịch sử trình duyệt
inspect-source-name-wtmp = nhật ký đăng nhập (wtmp)
inspect-source-name-network-config = tệp cấu hình mạng

# Sổ ghi của máy (issue 19): những gì airgapd ghi lại từ khi được cài đặt.
inspect-evidence-machine-record-altered = Sổ ghi của máy đã bị sửa đổi: chuỗi băm bị đứt tại dòng { $subject } (một dòng bị xóa hoặc bị sửa)
inspect-evidence-boot-not-in-machine-record = Lần khởi động mà sổ ghi của máy không có bản ghi airgapd khởi chạy: { $subject }
inspect-source-name-machine-record = sổ ghi của máy (airgapd)
inspect-since-title = Từ khi có airgapd (sổ ghi của máy, { $path })
inspect-since-absent = Không có sổ ghi của máy: airgapd chưa từng chạy trên máy này, hoặc tệp đã bị xóa.
inspect-since-verified = { $records } bản ghi; chuỗi băm hợp lệ. Đầu chuỗi: { $head }
inspect-since-broken = Chuỗi băm KHÔNG hợp lệ: { $problem }
inspect-since-event-start = airgapd khởi chạy
inspect-since-event-stop = airgapd dừng
inspect-since-event-policy = thay đổi chính sách
inspect-since-event-lift = gỡ bỏ cơ chế bảo vệ
inspect-since-event-tamper = phát hiện can thiệp trái phép
inspect-since-event-upgrade = cơ chế cách ly được nâng cấp (phiên bản ABI mới)
inspect-since-ready = bảo vệ có hiệu lực { $seconds } giây sau khi khởi động
inspect-since-policy = chính sách { $id } số hiệu { $serial }
inspect-since-signer = ký bởi { $signer }
inspect-evidence-machine-record-cut = Nhật ký hệ thống cho thấy dòng số { $subject } của sổ ghi của máy đã được ghi, nhưng tệp không có dòng đó: các dòng cuối bị cắt, hoặc tệp bị xóa hay bị thay bằng bản cũ
inspect-evidence-machine-record-replaced = Dòng cuối số { $subject } của sổ ghi của máy không phải là dòng mà nhật ký hệ thống cho thấy đã được ghi: tệp đã bị thay thế
inspect-since-event-summary = tổng hợp trong ngày (số lần từ chối theo loại, quyết định về thiết bị)
# TPM trong sổ ghi của máy (issue 19): số lần khởi động lại của TPM, bộ đếm NV của airgapd.
inspect-source-name-tpm = bộ đếm TPM
inspect-evidence-tpm-resets-not-in-record = Có lần khởi động được TPM đếm nhưng không có trong sổ ghi của máy ({ $subject }): máy đã được khởi động mà không có airgapd (hệ điều hành khác, USB khởi động trực tiếp, airgapd bị tắt)
inspect-evidence-tpm-reset-count-went-back = Số lần khởi động lại của TPM bị giảm ({ $subject }): TPM đã bị xóa, hoặc đó là TPM của máy khác
inspect-evidence-tpm-counter-gap = Bộ đếm TPM của airgapd bị nhảy giá trị trong sổ ghi của máy ({ $subject }): thiếu dòng; một bản cũ của sổ ghi đã được đặt lại rồi ghi tiếp, hoặc một lần ghi bị mất
inspect-evidence-tpm-counter-ahead = Bộ đếm của TPM lớn hơn giá trị cuối cùng trong sổ ghi của máy ({ $subject }): sổ ghi là một bản cũ, hoặc các dòng cuối đã bị cắt
inspect-evidence-tpm-counter-went-back = Bộ đếm TPM của airgapd bị giảm ({ $subject }): sổ ghi đã bị sửa hoặc ghép từ sổ ghi của máy khác, hoặc TPM đã bị thay
inspect-evidence-tpm-counter-missing = TPM không có bộ đếm của airgapd ({ $subject }) mặc dù sổ ghi có các giá trị của bộ đếm: TPM đã bị xóa hoặc bị thay
inspect-evidence-tpm-disappeared = TPM trước đây có trả lời nhưng từ lần khởi chạy này thì không còn (lần khởi động { $subject }): bị tắt trong firmware hoặc bị tháo; các lần khởi động từ đó không thể đếm được
inspect-tpm-recorded = TPM: { $readings } lần đọc trong sổ ghi; lần cuối: số lần khởi động lại { $reset }, bộ đếm của airgapd { $counter }
inspect-tpm-absent = TPM: không có. Các dòng của sổ ghi cho biết máy này không có TPM mà airgapd sử dụng được: không thể đếm các lần khởi động mà airgapd không thấy, và không thể dùng TPM để phát hiện việc đặt lại một bản cũ của sổ ghi.
inspect-tpm-unrecorded = TPM: sổ ghi không có lần đọc TPM nào (được ghi bởi phiên bản airgapd chưa hỗ trợ TPM): không thể dùng sổ ghi để đếm các lần khởi động mà airgapd không thấy.
inspect-tpm-errors = { $count } dòng cho biết TPM không trả lời.
inspect-tpm-now = TPM hiện tại ({ $device }): số lần khởi động lại { $reset }, bộ đếm của airgapd { $counter }
inspect-tpm-now-problem = Không đọc được TPM { $device } lúc này: { $problem }
inspect-since-no-tpm = không có TPM


# Bằng chứng can thiệp (issue 19): đầu chuỗi băm giữa các lần kiểm tra, niêm phong nhật ký hệ thống.
inspect-register-verified = Sổ đăng ký sao chép ({ $path }): { $records } bản ghi; chuỗi băm hợp lệ. Đầu chuỗi: { $head }
inspect-register-empty = Sổ đăng ký sao chép ({ $path }): trống.
inspect-register-absent = Sổ đăng ký sao chép ({ $path }): không có trên máy này.
inspect-register-broken = Sổ đăng ký sao chép ({ $path }): chuỗi băm KHÔNG hợp lệ: { $problem }
inspect-heads-note = Ghi các đầu chuỗi ở trên vào biên bản kiểm tra: lần kiểm tra sau sẽ đối chiếu chúng bằng --previous HEAD.
inspect-source-name-copy-register = sổ đăng ký sao chép của airgapd
inspect-previous-title = Đầu chuỗi của lần kiểm tra trước (--previous):
inspect-previous-prefix = { $head }: vẫn có trong sổ; những gì đã ghi đến đó không bị thay đổi.
inspect-previous-missing = { $head }: KHÔNG TÌM THẤY: không có tệp { $path } (đã bị xóa hoặc bị thay thế).
inspect-previous-truncated = { $head }: KHÔNG TÌM THẤY: tệp { $path } hiện chỉ có { $lines } dòng, ít hơn { $seq }: các dòng cuối đã bị cắt, hoặc tệp đã bị thay bằng bản cũ hơn hay bằng tệp khác.
inspect-previous-rewritten = { $head }: KHÔNG TÌM THẤY: dòng { $seq } của tệp { $path } hiện kết thúc chuỗi bằng { $now }: dòng đó hoặc một dòng trước nó đã bị sửa và chuỗi băm đã được tính lại.
inspect-previous-not-a-record = { $head }: KHÔNG TÌM THẤY: dòng { $detail } của tệp { $path } không phải là bản ghi của tệp đó.
inspect-previous-unreadable = { $head }: không kiểm tra được: { $detail }
inspect-previous-malformed = --previous: { $head } không phải là đầu chuỗi. Hãy nhập đúng như báo cáo lần trước đã in: machine-record:SEQ:HASH hoặc copy-register:SEQ:HASH (HASH: 64 chữ số thập lục phân).
inspect-evidence-previous-head-missing = Đầu chuỗi { $subject } của lần kiểm tra trước không có trong sổ: tệp không còn
inspect-evidence-previous-head-truncated = Đầu chuỗi { $subject } của lần kiểm tra trước không có trong sổ: tệp ngắn hơn trước
inspect-evidence-previous-head-rewritten = Đầu chuỗi { $subject } của lần kiểm tra trước không có trong sổ: những gì đã ghi đến đó đã bị viết lại
inspect-evidence-previous-head-not-a-record = Đầu chuỗi { $subject } của lần kiểm tra trước không có trong sổ: có dòng trước đó không phải là bản ghi
inspect-evidence-previous-head-unreadable = Không kiểm tra được đầu chuỗi { $subject } của lần kiểm tra trước: không đọc được sổ
inspect-verify-key-malformed = --verify-key: { $key } không phải là khóa xác minh nhật ký hệ thống. Hãy nhập đúng như lệnh airgapctl seal-journal đã in: SEED/START-INTERVAL (ví dụ 045ee3-9b276b-86091c-c2e96c/1e7591-35a4e900).
inspect-seal-passed = Niêm phong nhật ký hệ thống (--verify-key; khóa từ { $start }, khóa niêm phong đổi sau mỗi { $minutes } phút): ĐẠT. Các bản ghi từ { $from } trở đi nằm trong các tệp đã niêm phong và niêm phong hợp lệ.
inspect-seal-failed = Niêm phong nhật ký hệ thống (--verify-key; khóa từ { $start }, khóa niêm phong đổi sau mỗi { $minutes } phút): KHÔNG ĐẠT. Các bản ghi từ { $from } trở đi phải nằm trong các tệp đã niêm phong và niêm phong hợp lệ; xem các tệp đánh dấu [!].
inspect-seal-file-verified = { $path }: đã niêm phong, niêm phong hợp lệ ({ $entries } bản ghi, từ #{ $first } đến #{ $last }, từ { $from } đến { $to })
inspect-seal-file-failed = { $path }: xác minh KHÔNG ĐẠT ({ $entries } bản ghi, từ #{ $first } đến #{ $last }): tệp đã bị sửa hoặc bị hỏng, hoặc khóa không phải của máy này. journalctl: { $detail }
inspect-seal-file-unsealed-after-key = { $path }: KHÔNG CÓ NIÊM PHONG, nhưng chứa bản ghi sau thời điểm bắt đầu niêm phong ({ $entries } bản ghi, từ #{ $first } đến #{ $last }, từ { $from } đến { $to }): KHÔNG ĐẠT (lệnh xác minh của journalctl vẫn cho qua tệp như vậy)
inspect-seal-file-unsealed-before-key = { $path }: không có niêm phong; các bản ghi có từ trước khi bắt đầu niêm phong ({ $entries } bản ghi, từ #{ $first } đến #{ $last }, từ { $from } đến { $to }): khóa không thể xác nhận chúng
inspect-evidence-journal-seal-failed = Tệp nhật ký { $subject } không qua được xác minh bằng khóa niêm phong: tệp đã bị sửa hoặc bị hỏng, hoặc khóa không phải của máy này
inspect-evidence-journal-unsealed-after-key = Tệp nhật ký { $subject } không có niêm phong dù chứa bản ghi sau thời điểm bắt đầu niêm phong: có thể nó đã thay thế một tệp đã niêm phong

## airgapctl inspect --journal-dir: nhật ký máy chủ nhật ký của cơ quan đã thu thập (issue 21).
inspect-fleet-title = Nhật ký đã thu thập trong { $dir }, { $time }
inspect-fleet-no-machines = Không có nhật ký thu thập nào ở đây (tệp remote-TÊN.journal): { $dir }
inspect-fleet-machine = { $name }: { $entries } bản ghi từ { $first } đến { $last }; { $refusals } lần airgapd từ chối; { $lost } lần mất cách ly
inspect-fleet-machine-empty = { $name }: không có bản ghi nào.
inspect-fleet-silent = Phát hiện: { $name } không gửi gì từ { $last }, quá { $hours } giờ: máy đã tắt, bị cắt khỏi mạng LAN, hoặc việc gửi nhật ký đã dừng. Các bản ghi của thời gian đó chỉ còn trên máy.
inspect-fleet-missing = Phát hiện: { $name } cần có nhưng không có nhật ký ở đây: máy chưa từng được thiết lập, hoặc chưa từng tới được máy chủ nhật ký.
inspect-fleet-none = Không có phát hiện: mọi máy đều đã gửi bản ghi trong { $hours } giờ qua.
inspect-fleet-unreadable = không đọc được thư mục nhật ký { $dir }: { $error }
inspect-fleet-limit = Một máy bị coi là im lặng khi quá { $hours } giờ không gửi bản ghi nào ({ $from ->
    [policy] silent_after_hours của [network.log_host] trong { $file }
    [command-line] --silent-after trên dòng lệnh{ $file }
   *[default] giá trị mặc định: không chính sách nào khai báo máy chủ nhật ký{ $file }
}).
inspect-fleet-policy-no-log-host = { $file } không có bảng [network.log_host] để lấy silent_after_hours: hãy chỉ ra chính sách của đơn vị dành cho các máy trong mạng LAN, hoặc dùng --silent-after.
inspect-fleet-policy-invalid = không dùng được chính sách quy định thời hạn im lặng: { $error }
