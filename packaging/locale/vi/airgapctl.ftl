# Lời của airgapctl. Tiếng Việt. Cách thêm: docs/translations.md.
# Mỗi màn hình vừa 80 cột: airgapctl ngắt dòng ở dấu cách.

## Lỗi. Trước mỗi lỗi là "airgapctl: ".
ctl-error-bus = không kết nối được { $bus ->
    [system] bus hệ thống
   *[other] bus tại { $bus }
}: { $error }
ctl-error-not-running = airgapd không chạy (không có org.airgapd.Guard1 trên { $bus ->
    [system] bus hệ thống
   *[other] bus tại { $bus }
}). Xem: systemctl status airgapd
ctl-error-access-read = bị từ chối: người dùng này không được phép { $what }. { $by ->
    [daemon] Chính airgapd đã từ chối yêu cầu.
   *[bus] Chính sách bus (/usr/share/dbus-1/system.d/org.airgapd.Guard1.conf) chỉ cho một số người dùng đọc: hãy hỏi quản trị viên.
}
ctl-error-access-root = bị từ chối: chỉ root mới được { $what }. Hãy chạy lệnh bằng sudo. ({ $by ->
    [daemon] chính airgapd đã từ chối yêu cầu
   *[bus] chính sách bus đã từ chối yêu cầu
})
ctl-error-reload = chưa nạp lại chính sách; chính sách cũ vẫn có hiệu lực: { $detail }
ctl-error-call = không thể { $what }: { $error }
ctl-error-runtime = không khởi động được: { $error }
ctl-warning = cảnh báo: { $warning }

## Việc airgapctl yêu cầu daemon.
action-read-devices = đọc danh sách thiết bị
action-read-violations = đọc danh sách lần chặn
action-reload-policy = nạp lại chính sách
action-read-policy = đọc chính sách đang áp dụng
action-read-status = đọc trạng thái

## airgapctl devices
devices-none = Chưa có thiết bị nào được xét.
devices-heading = { $decision }  { $node } ({ $kind })
devices-heading-devnum = { $decision }  { $node } ({ $kind }, thiết bị { $devnum })
devices-model = Kiểu: { $model }
devices-usb-id = Mã USB hãng:sản phẩm: { $vendor }:{ $product }
devices-serial = Số sê-ri: { $serial }
devices-rule = Quy tắc quyết định: { $rule }
devices-reason = Lý do: { $reason }
devices-present = Đang cắm từ { $since }
devices-left = Đã cắm từ { $since } đến { $left }
devices-left-unknown = Đã rút ra lúc { $left }
devices-was = Quyết định khi còn cắm: { $decision }
device-kind-usb = thiết bị USB
device-kind-block = thiết bị lưu trữ
device-kind-char = thiết bị
device-kind-camera = camera
device-kind-microphone = micrô
device-kind-radio = thiết bị vô tuyến

## airgapctl violations
violations-none = Chưa ghi nhận lần chặn nào.
violations-none-after = Không có lần chặn nào sau #{ $seq }.
violations-unknown-kind = loại "{ $kind }" không có: hãy dùng một trong { $kinds }, hoặc một nhóm: net, dev

## airgapctl status: câu hỏi đầu tiên của cán bộ bảo mật.
status-yes = CÁCH LY MẠNG: CÓ. Nhân hệ điều hành chặn mọi truy cập mạng ra ngoài máy tính này và mọi thiết bị lưu trữ mà chính sách không cho phép.
status-partial = CÁCH LY MẠNG: MỘT PHẦN. Một số lớp bảo vệ bị thiếu hoặc đã bị thay đổi: không soạn thảo, không lưu giữ tài liệu mật trên máy này cho đến khi dòng này ghi CÓ.
status-no = CÁCH LY MẠNG: KHÔNG. Máy này KHÔNG được bảo vệ: không soạn thảo, không lưu giữ tài liệu mật trên máy này cho đến khi dòng này ghi CÓ.
status-unknown = CÁCH LY MẠNG: KHÔNG XÁC ĐỊNH ĐƯỢC. airgapd không chạy và không để lại bản ghi nào ở đây; hãy chạy airgapctl status bằng quyền root để đọc trạng thái của nhân.
status-daemon-stopped = airgapd đang dừng: không có gì được ghi nhận cho đến khi airgapd chạy lại.
status-from-record = (Theo bản ghi cuối cùng của airgapd; chỉ root mới kiểm tra được chính nhân hệ điều hành.)
status-problems = Bị thiếu hoặc bị thay đổi:
status-lifted = Đã gỡ bỏ:      { $time } bởi uid { $uid }: { $removed }
status-tampering = airgapd phát hiện can thiệp (mới nhất ở cuối):
status-tamper-restored = { $time }  { $what }: { $to } (trước đó { $from }); đã khôi phục
status-tamper-restored-down = { $time }  { $what }: { $to } (trước đó { $from }, khi airgapd đang dừng); đã khôi phục
status-tamper-failed = { $time }  { $what }: { $to } (trước đó { $from }); CHƯA khôi phục được: { $error }
status-tamper-failed-down = { $time }  { $what }: { $to } (trước đó { $from }, khi airgapd đang dừng); CHƯA khôi phục được: { $error }
status-unrepaired = { $what } đã bị thay đổi và không khôi phục được: { $error }
status-record-unusable = không dùng được bản ghi trạng thái cách ly: { $error }
# Những gì sai ở các tệp ghim, khi status đọc từ nhân mà không có tiến trình airgapd.
status-problem-not-pinned = { $program }: không được ghim (không có tác dụng ngăn chặn)
status-problem-unreadable = { $program }: không đọc được ({ $error })
status-problem-detached = { $program }: đã bị tháo (không có tác dụng ngăn chặn)
status-problem-other-cgroup = { $program }: gắn vào cgroup { $have }, không phải phạm vi cách ly (cgroup { $want })
status-problem-program-unreadable = { $program }: không đọc được chương trình { $id } của nó
status-problem-other-program = { $program }: đang chạy một chương trình khác, "{ $name }" (id { $id })
status-problem-not-our-config = { $program }: đang chạy một chương trình (id { $id }) không đọc cấu hình của airgapd
status-problem-replaced = { $program }: đang chạy chương trình id { $have }, airgapd đã để lại id { $want } (đã bị thay)
status-problem-config-missing = bảng cấu hình không được ghim
status-problem-config-abi = bảng cấu hình mang phiên bản ABI { $have }, không phải { $want }
status-problem-config-unknown-mode = bảng cấu hình mang một chế độ mạng không xác định { $mode }
status-problem-config-scope = phạm vi trong bảng cấu hình là cgroup { $have } cấp { $have_level }, airgapd đã đặt cgroup { $want } cấp { $want_level }
status-problem-config-mode = chế độ mạng là { $have ->
        [none] không có mạng
        [loopback] chỉ loopback
        [lan] chỉ mạng LAN độc lập
        [lan-loopback] chỉ mạng LAN độc lập và loopback
       *[other] không xác định ({ $have })
    }, airgapd đã đặt { $want ->
        [none] không có mạng
        [loopback] chỉ loopback
        [lan] chỉ mạng LAN độc lập
        [lan-loopback] chỉ mạng LAN độc lập và loopback
       *[other] không xác định ({ $want })
    }
status-problem-lan-added = mục LAN { $line } đã bị thêm vào
status-problem-lan-removed = mục LAN { $line } đã bị xóa
status-problem-rule-added = quy tắc thiết bị { $line } đã bị thêm vào
status-problem-rule-removed = quy tắc thiết bị { $line } đã bị xóa
status-problem-overtaken = { $pin }: chương trình id { $ids } chạy trước nó trên { $interface } (chương trình đó có thể cho qua những gì airgapd chặn)
status-problem-tc-missing = { $interface } { $direction ->
        [ingress] chiều vào
       *[egress] chiều ra
    }: không có bộ lọc của airgapd (không có tác dụng ngăn chặn)
status-problem-tc-other = { $interface } { $direction ->
        [ingress] chiều vào
       *[egress] chiều ra
    }: bộ lọc của airgapd đang chạy một chương trình khác ({ $filter })
status-problem-tc-overtaken = { $interface } { $direction ->
        [ingress] chiều vào
       *[egress] chiều ra
    }: { $filters } chạy trước nó
status-problem-tc-qdisc = { $interface }: qdisc clsact đã bị thay bằng qdisc "{ $kind }", nơi không thể đặt bộ lọc của airgapd (hãy gỡ nó: tc qdisc del dev { $interface } { $kind })
status-layers = Các lớp bảo vệ:
status-layers-none = không có: airgapd chưa thực thi lớp nào
status-layer-active = đang hoạt động
status-layer-limited = đang hoạt động, yếu hơn trên nhân này: { $detail }
status-layer-problem = { $state } ({ $detail })
layer-state-unavailable = KHÔNG DÙNG ĐƯỢC
layer-state-damaged = BỊ HỎNG
layer-state-missing = BỊ THIẾU
layer-state-absent = CHƯA CÓ
status-policy-unknown = Chính sách:    không rõ (airgapd không chạy và không để lại bản ghi)
status-policy-builtin = Chính sách:    CHÍNH SÁCH DỰ PHÒNG NGHIÊM NGẶT CÀI SẴN ({ $name }): không dùng được tệp chính sách
status-policy-builtin-why = vì { $reason }
status-policy-file = Chính sách:    { $name } từ { $path }
status-policy-sha256 = sha256:      { $sha256 }
status-policy-name = { $id } số hiệu { $serial }
status-policy-no-id = (không có mã)
status-mode-machine = Chế độ:        thực thi trên toàn bộ máy
status-mode-scoped = Chế độ:        chỉ cho các chương trình trong { $scope }
status-running-since = Chạy từ:       { $time }
status-daemon-had-started = Daemon:        ĐANG DỪNG (đã khởi động lúc { $time })
status-daemon-not-running = Daemon:        không chạy
status-refusals = Số lần chặn từ khi khởi động: { $total }
status-refusals-lost = { $count } lần không có chi tiết: bộ đệm sự kiện đã đầy
status-last = { $count } lần gần nhất:
provenance-signed = Được ký bởi { $signer } ({ $fingerprint }); chữ ký đã được kiểm tra khi cài đặt lúc { $time }.
provenance-signed-unnamed = Chính sách đã ký có số hiệu { $serial }, được cài bằng airgapctl policy apply (khi đó chưa ghi lại người ký).
provenance-local-edit = SỬA TẠI MÁY: không phải chính sách đã ký được cài lúc { $time } (số hiệu { $serial }); không có chữ ký nào cho chính sách đang áp dụng.
provenance-unsigned = Không có chữ ký: chưa từng được cài bằng airgapctl policy apply; được soạn trên chính máy này.
provenance-unknown = Không xác định được nguồn gốc: { $problem }
provenance-time-unknown = một thời điểm không rõ

## airgapctl doctor
doctor-ok = đạt
doctor-warn = CẢNH BÁO
doctor-fail = KHÔNG ĐẠT
doctor-check = { $mark }: { $name }
doctor-fix = Cách khắc phục: { $fix }

## airgapctl policy show, reload, check
policy-show-in-force = Chính sách đang áp dụng: "{ $id }", số hiệu { $serial }
policy-show-in-force-no-id = Chính sách đang áp dụng: (không có mã), số hiệu { $serial }
policy-show-sha256 = sha256 { $sha256 }
policy-show-builtin = DÙNG CHÍNH SÁCH NGHIÊM NGẶT DỰNG SẴN: không dùng được tệp chính sách.
policy-show-builtin-why = Lý do: { $reason }
policy-show-from = từ tệp { $path }
policy-file-in-force = Tệp { $path } chính là chính sách đang áp dụng:
policy-file-differs = Tệp { $path } KHÁC chính sách đang áp dụng (lệnh airgapctl policy reload sẽ áp dụng tệp này):
policy-file-unreadable = Không đọc được tệp { $path }: { $error }
policy-reloaded = Đã nạp lại chính sách: số hiệu { $serial } đang có hiệu lực (sha256 { $sha256 }).
check-valid = { $file }: hợp lệ (số hiệu { $serial }, sha256 { $sha256 })

## airgapctl policy apply
apply-failed = cập nhật chính sách thất bại: { $error }
apply-refused = từ chối bản cập nhật chính sách, không có gì bị thay đổi: { $error }
apply-installed = Đã cài { $file } thành { $target }: số hiệu { $serial } (sha256 { $sha256 }), do { $signer } ký ({ $fingerprint }).
apply-not-running = airgapd không chạy: chính sách mới sẽ có hiệu lực khi airgapd khởi động.
apply-not-asked = Chưa yêu cầu được daemon nạp lại: { $error }
apply-in-force = airgapd đã áp dụng chính sách này (số hiệu { $serial }).
apply-other-file = airgapd đã nạp lại nhưng đang áp dụng số hiệu { $serial } (sha256 { $sha256 }): nó đọc một tệp chính sách khác với { $target }.
apply-reload-failed = Nhưng airgapd chưa áp dụng chính sách này: { $error } (journalctl -x -u airgapd)

## airgapctl policy sign
sign-invalid = chưa ký: chính sách không hợp lệ
sign-failed = chưa ký: { $program } { $status }
sign-cannot-run = không chạy được { $program }: { $error }
sign-not-a-signature = chưa ký: { $signature } không phải chữ ký của { $file }
sign-done = Đã ký { $file } (số hiệu { $serial }, sha256 { $sha256 }) bằng khóa { $fingerprint }: hãy chép tệp này và { $signature } vào thiết bị lưu trữ đã được duyệt.

## airgapctl register
register-no-file-hint = không có tệp sổ đăng ký: máy này chưa ghi nhận lần sao chép nào, hoặc sổ đã bị xóa (các bản ghi sao chép trong nhật ký cho biết trường hợp nào: journalctl MESSAGE_ID={ $message_id })
register-permission = chỉ root và nhóm sở hữu tệp mới đọc được sổ đăng ký
register-not-intact = sổ đăng ký KHÔNG còn nguyên vẹn; hãy giữ nguyên tệp và báo cho cán bộ bảo mật
register-intact = { $file }: nguyên vẹn, { $records } bản ghi; cuối cùng là #{ $seq }, chuỗi { $chain }
register-since-usage = --since "{ $text }": hãy dùng ngày hoặc giờ địa phương, ví dụ "24/11/2026", "2026-11-24" hoặc "24/11/2026 14:30"
register-no-file = Chưa ghi nhận lần sao chép nào: chưa có tệp sổ đăng ký tại { $file }.
register-none = Chưa ghi nhận lần sao chép nào.
register-none-match = Không có lần sao chép nào khớp điều kiện.
register-event-created = tạo mới
register-event-written = ghi
register-event-moved = đổi tên
register-event-read = đọc
register-event-lost = MẤT
register-event-note = GHI CHÚ
register-line-note = { $event }: { $note }
register-line-to = { $event } vào "{ $medium }": { $document }
register-line-from = { $event } từ "{ $medium }": { $document }
register-line-hash = { $size } byte, sha256 { $sha256 }
register-line-not-hashed = { $size } byte, CHƯA BĂM: { $note }
register-line-who = người sao: { $who }
register-who-user = { $user } (uid { $uid })
register-who-uid = uid { $uid }
register-who-unknown = không rõ người dùng

## Sổ đăng ký sao chép để in (CSV): các cột của sổ giấy (mẫu số 12), rồi các cột máy ghi.
csv-no = Số TT
csv-date = Ngày
csv-document = Tên tài liệu
csv-secrecy = Độ mật
csv-copies = Số bản
csv-approved-by = Người duyệt
csv-copied-by = Người sao
csv-recipient = Nơi nhận
csv-direction = Chiều sao chép
csv-size = Kích thước (byte)
csv-sha256 = SHA-256
csv-result = Kết quả
csv-notes = Ghi chú
csv-medium-serial = { $medium } (số sê-ri { $serial })
csv-to-medium = vào thiết bị
csv-from-medium = từ thiết bị
csv-success = thành công
csv-failure = thất bại
csv-lost = { $count } sự kiện không được ghi.
csv-moved = đổi tên vào thiết bị.

## airgapctl doctor: các mục kiểm tra và kết quả.
doctor-name-cgroup2 = cgroup v2
doctor-name-bpffs = bpffs
doctor-name-btf = BTF của nhân
doctor-name-lsm = BPF LSM
doctor-name-usb = Cấp phép USB
doctor-name-usb-early = USB trước khi airgapd khởi động
doctor-mounted = đã gắn
doctor-cgroup2-missing = chưa gắn: các chương trình chặn mạng và thiết bị cần nó
doctor-cgroup2-fix = khởi động với systemd.unified_cgroup_hierarchy=1 (hoặc mount -t cgroup2 none /sys/fs/cgroup)
doctor-bpffs-missing = chưa gắn: airgapd sẽ gắn nó tại /sys/fs/bpf khi khởi động
doctor-btf-present = có /sys/kernel/btf/vmlinux
doctor-btf-missing = nhân không có BTF: không nạp được lớp BPF LSM
doctor-btf-fix = dùng nhân của bản phân phối được biên dịch với CONFIG_DEBUG_INFO_BTF=y
doctor-usb-hubs = { $count } hub gốc có authorized_default
doctor-usb-none = không có hub USB gốc: không có gì để cấp phép (hoặc máy không có USB)
doctor-usb-early = nhân giữ lại mọi thiết bị USB mới ngay từ lúc khởi động
doctor-usb-late = thiết bị cắm vào trong lúc khởi động, trước khi airgapd chạy, được nhân cho phép
doctor-usb-early-fix = thêm usbcore.authorized_default=2 vào GRUB_CMDLINE_LINUX trong /etc/default/grub (chỉ thiết bị trong máy cho tới khi airgapd quyết định), rồi chạy update-grub và khởi động lại
doctor-name-compat = Lời gọi hệ thống 32 bit
doctor-name-families = Họ socket
doctor-families-fmod-ret = mọi họ socket trừ unix, netlink và inet (packet, XDP, vsock, Bluetooth, modem) đều bị chặn ngay khi gọi socket() bởi chương trình fmod_ret trên security_socket_create (lớp socket-create-fmod-ret), dù có BPF LSM hay không
doctor-families-lsm = mọi họ socket trừ unix, netlink và inet (packet, XDP, vsock, Bluetooth, modem) đều bị chặn ngay khi gọi socket() bởi chương trình BPF LSM (lớp 5)
doctor-families-refused = nhân này từ chối chương trình fmod_ret trên security_socket_create ({ $why }) và BPF LSM không chạy: socket thuộc các họ khác unix, netlink và inet được tạo mà không bị kiểm soát; các chương trình trên giao diện mạng vẫn loại bỏ khung tin trên giao diện mạng, nhưng socket vsock (tới máy ảo chủ), Bluetooth và modem không đi qua giao diện nào nên không bị chặn
doctor-families-unknown = chưa rõ (chạy với quyền root để thử nạp chương trình) và BPF LSM không chạy: socket thuộc các họ khác unix, netlink và inet (vsock, Bluetooth, modem) có thể được tạo mà không bị kiểm soát
doctor-families-fix = dùng nhân nạp được BPF trampoline (ftrace), hoặc nhân có BPF LSM (xem mục kiểm tra BPF LSM)
doctor-name-cgroup-programs = chương trình cgroup
doctor-cgroup-full = mọi chương trình cgroup được nạp đầy đủ
doctor-cgroup-reduced = đang thực thi, dùng chương trình rút gọn ở những chỗ trình kiểm tra của nhân này từ chối chương trình đầy đủ: { $each }
doctor-cgroup-reduced-one = { $program } bị từ chối ({ $why }), vì vậy { $gives_up }
doctor-cgroup-reduced-fix = không có gì bị chặn lọt qua; để bản ghi nêu được tiến trình, hãy dùng nhân mới hơn (nhân 6.1 của Debian 12 trở lên)
doctor-usb-held = usbcore.authorized_default={ $value }: ngay từ lúc khởi động, nhân chỉ cho phép thiết bị USB gắn cố định trong máy (hoặc không thiết bị nào) cho tới khi airgapd xét từng thiết bị
doctor-usb-no-usbcore = chưa nạp hỗ trợ USB (không có usbcore): không có gì phải giữ lại
doctor-usb-not-held = usbcore.authorized_default={ $value }: thiết bị cắm vào trong lúc khởi động, trước khi airgapd chạy, được nhân cho phép
doctor-usb-held-fix-module = usbcore đã được nạp mà không có tùy chọn trong { $file } (do gói cài; update-initramfs -u chép nó vào initramfs): chạy update-initramfs -u rồi khởi động lại
doctor-compat-off = tắt (ia32_emulation=0)
doctor-compat-lsm = bật; BPF LSM chặn AF_PACKET và AF_XDP ngay khi tạo, nên lời gọi 32 bit không vượt qua được
doctor-compat-fmod-ret = bật; chương trình fmod_ret trên security_socket_setsockopt (lớp compat-setsockopt) chặn PACKET_QDISC_BYPASS và các tùy chọn AF_XDP từ lời gọi 32 bit, và ghi nhận từng lần
doctor-compat-on-refused = bật, và nhân này từ chối nạp chương trình fmod_ret dùng để xét setsockopt 32 bit ({ $why }): một tiến trình root dùng lời gọi hệ thống 32 bit có thể đặt PACKET_QDISC_BYPASS và gửi khung thô vòng qua các chương trình trên giao diện mạng
doctor-compat-on = bật, hoặc không biết là đã tắt: một tiến trình root dùng lời gọi hệ thống 32 bit có thể đặt PACKET_QDISC_BYPASS và gửi khung thô vòng qua các chương trình trên giao diện mạng
doctor-compat-fix = thêm ia32_emulation=0 vào GRUB_CMDLINE_LINUX trong /etc/default/grub (Linux 6.7 trở lên; chương trình 32 bit sẽ không chạy được), rồi chạy update-grub và khởi động lại; hoặc dùng nhân nạp được BPF trampoline (ftrace), hoặc nhân có BPF LSM
doctor-lsm-fix = thêm lsm={ $list } vào GRUB_CMDLINE_LINUX trong /etc/default/grub, rồi chạy update-grub và khởi động lại
doctor-lsm-refused-unknown = nhân này từ chối chương trình BPF LSM ({ $why }); không rõ danh sách LSM (securityfs chưa gắn): socket không phải inet không bị chặn khi tạo
doctor-lsm-securityfs-fix = mount -t securityfs securityfs /sys/kernel/security rồi chạy lại doctor; nếu /sys/kernel/security/lsm không có bpf: { $fix }
doctor-lsm-active = đang hoạt động: AF_PACKET, AF_VSOCK, Bluetooth và mọi họ socket khác bị chặn ngay khi tạo
doctor-lsm-refused = bpf có trong danh sách LSM nhưng nhân này từ chối chương trình: { $why }
doctor-lsm-kernel-fix = nhân này (lockdown, hoặc không có BPF trampoline) không chạy được BPF LSM; hãy dùng nhân của bản phân phối
doctor-lsm-inactive = không hoạt động (LSM: { $lsms }): socket không phải inet không bị chặn khi tạo; lớp giao diện mạng vẫn hủy lưu lượng của chúng
doctor-lsm-inactive-unknown = không hoạt động (LSM: không rõ): socket không phải inet không bị chặn khi tạo; lớp giao diện mạng vẫn hủy lưu lượng của chúng
doctor-lsm-listed = bpf có trong danh sách LSM đang hoạt động (chưa thử nạp: hãy chạy bằng root để thử)
doctor-name-ro-media = Vật mang tin chỉ đọc
doctor-ro-media-lsm = BPF LSM chặn, kể cả đối với root, mọi cách vượt cờ chỉ đọc của vật mang tin chỉ đọc đã được phê duyệt: xóa cờ (blockdev --setrw), lệnh ghi SCSI qua SG_IO, tạo lại phân vùng, gắn lại ở chế độ đọc-ghi; mọi lần thử đều được ghi nhận
doctor-ro-media-fmod-ret = các chương trình fmod_ret trên security_file_ioctl, security_file_ioctl_compat và security_sb_mount (lớp media-ro-fmod-ret) chặn, kể cả đối với root và chương trình 32 bit, mọi cách vượt cờ chỉ đọc của vật mang tin chỉ đọc đã được phê duyệt: xóa cờ (blockdev --setrw), lệnh ghi SCSI qua SG_IO, tạo lại phân vùng, gắn lại ở chế độ đọc-ghi; mọi lần thử đều được ghi nhận, dù có BPF LSM hay không
doctor-ro-media-listed = bpf có trong danh sách LSM đang hoạt động: việc xóa cờ chỉ đọc, lệnh ghi qua SG_IO và gắn lại ở chế độ đọc-ghi bị chặn khi chương trình nạp được (chưa thử nạp: hãy chạy bằng root để thử)
doctor-ro-media-no-lsm = vật mang tin chỉ đọc đã được phê duyệt được đánh dấu chỉ đọc trong nhân, nhưng không có BPF LSM thì nhân này không chặn được root xóa cờ đó (blockdev --setrw: airgapd đặt lại trong vòng 250 ms và ghi nhận), lệnh ghi SCSI qua SG_IO trên bộ mô tả chỉ đọc (CAP_SYS_RAWIO: không bị chặn, không được ghi nhận), hoặc việc đọc lại bảng phân vùng (BLKRRPART, BLKPG)
doctor-ro-media-fix = bật BPF LSM (xem mục kiểm tra BPF LSM)
doctor-name-bpf-guard = Đối tượng BPF của airgapd
doctor-bpf-guard-lsm = khi airgapd đang chạy, BPF LSM chặn mọi tiến trình khác, kể cả root, mở liên kết của airgapd (bpftool link detach), ghi vào bảng của airgapd (bpftool map update), thay đổi thư mục ghim (xóa tệp ghim) và ptrace tiến trình airgapd; mọi lần thử đều được ghi nhận
doctor-bpf-guard-listed = bpf có trong danh sách LSM đang hoạt động: bpf() của tiến trình khác trên liên kết, bảng và tệp ghim của airgapd bị chặn khi chương trình nạp được (chưa thử nạp: hãy chạy bằng root để thử)
doctor-bpf-guard-no-lsm = không có BPF LSM thì nhân này không chặn được root tháo liên kết, ghi đè bảng hoặc xóa tệp ghim của airgapd: airgapd phát hiện từng thay đổi, khôi phục trong vòng 250 ms và ghi nhận
doctor-ro-media-compat = BPF LSM chặn mọi cách vượt cờ chỉ đọc của vật mang tin chỉ đọc đã được phê duyệt, nhưng trên nhân này (6.8 trở lên) lời gọi ioctl của tiến trình 32 bit đi qua file_ioctl_compat, mà airgapd chỉ theo dõi được bằng chương trình fmod_ret nhân này không nạp: chương trình 32 bit do root chạy vẫn có thể xóa cờ (được đặt lại trong vòng 250 ms và ghi nhận) hoặc gửi lệnh ghi SCSI qua SG_IO

## airgapctl release sign, apply. Bản ghi trong nhật ký giữ tiếng Anh.
release-cannot-read = không đọc được { $file }: { $error }
release-not-signed = chưa ký: { $error }
release-sign-failed = chưa ký: { $program } { $status }
release-sign-cannot-run = không chạy được { $program }: { $error }
release-signed = Đã ký lệnh giải tỏa { $file }: { $signature }
release-record-failed = không ghi được bản ghi của lệnh giải tỏa: { $error }
release-apply-not-root = chỉ root mới được áp dụng lệnh giải tỏa: hãy chạy lệnh với sudo
release-refused = lệnh giải tỏa bị từ chối ({ $kind }): { $error }
release-not-lifted = lệnh giải tỏa { $order } hợp lệ nhưng chưa gỡ bỏ được việc cách ly: { $error }
release-not-remembered = cảnh báo: không ghi nhận được là lệnh này đã được áp dụng: { $error }
release-applied = Đã áp dụng lệnh giải tỏa { $order }: đã gỡ bỏ việc cách ly.

## airgapctl media enroll. Các dòng chú thích được ghi vào tệp chính sách, trên mục mới.
enroll-comment-by = Ghi danh bằng lệnh `airgapctl media enroll { $asked }`.
enroll-comment-bad-serial = Số sê-ri USB { $serial } không phải chuỗi ASCII in được dài từ 1 đến { $max } ký tự: không dùng.
enroll-comment-no-serial = Thiết bị không có số sê-ri USB: các thiết bị khác cùng mẫu này cũng sẽ khớp.
enroll-comment-not-usb = Không phải thiết bị USB: không có mã nhà sản xuất, mã sản phẩm hay số sê-ri; chỉ hệ thống tệp nhận diện thiết bị.
enroll-comment-fs-read = Đã đọc hệ thống tệp { $kind } từ { $node }.
enroll-comment-fs-unread = Không đọc được hệ thống tệp ({ $why }); bỏ qua fs_uuid và fs_label.
enroll-comment-no-fs = Không tìm thấy hệ thống tệp ext2/3/4, FAT hay exFAT.
enroll-comment-fill-in = Cần điền: name (một tên có ý nghĩa) và access ("read-only" là chỉ đọc, "read-write" là đọc và ghi).
enroll-not-authorized = thiết bị chưa được cấp phép ở mức USB nên chưa có thiết bị khối để đọc
enroll-default-name = Thiết bị { $node }
enroll-appended = { $file }: đã thêm mục mới; hãy áp dụng bằng lệnh `airgapctl policy reload`
enroll-error-open = không mở được { $path }: { $error }
enroll-error-symlink = { $path } là liên kết tượng trưng; hãy chỉ ra nút thiết bị mà nó trỏ tới ({ $target })
enroll-error-not-a-device = { $what } không phải thiết bị khối cũng không phải thiết bị USB
enroll-error-mismatch = { $what } không phải thiết bị khối { $dev } mà sysfs cho biết
enroll-error-sysfs = không đọc được thiết bị trong sysfs: { $error }
enroll-error-storage-composite = { $what } là thiết bị lưu trữ kèm các chức năng khác (bàn phím, bộ điều hợp mạng...); airgapd luôn chặn loại thiết bị này dù chính sách nói gì, nên không ghi danh được
enroll-error-not-storage = { $what } không phải thiết bị lưu trữ (không có giao diện lưu trữ dung lượng lớn)
enroll-error-ambiguous = { $what } có nhiều hệ thống tệp ({ $nodes }); hãy ghi danh từng cái theo nút thiết bị của nó
enroll-error-policy-invalid = { $file } hiện không qua được bước kiểm tra chính sách; chưa thêm gì:
    { $detail }
enroll-error-appended-invalid = nếu thêm mục này, { $file } sẽ không qua được bước kiểm tra chính sách; chưa thêm gì:
    { $detail }
enroll-error-already = { $file } đã duyệt thiết bị này trong mục [[media]] { $name }; chưa thêm gì
enroll-error-write = không ghi được { $file }: { $error }

## airgapctl policy import-usbguard. $why và $error do bộ kiểm tra quy tắc đưa ra (tiếng Anh).
import-cannot-read = không đọc được { $file }: { $error }
import-internal = lỗi nội bộ: chính sách nhập vào không qua được bước kiểm tra chính sách:
    { $error }
import-cannot-write = không ghi được { $file }: { $error }
import-not-honoured = { $place }: không áp dụng: { $why }
import-summary = { $file }: đã đọc { $rules } quy tắc, đã nhập { $entries } mục, { $notes } cấu trúc không áp dụng (liệt kê ở trên)
import-malformed = { $file }: { $count } quy tắc sai cú pháp; USBGuard sẽ từ chối tệp này; chưa ghi gì

## airgapctl media list
media-list-none = { $file } không phê duyệt vật mang tin di động nào ([[media]]): mọi thẻ nhớ đều bị chặn.
media-list-entry = { $name }: { $access }
media-list-read-only = chỉ đọc
media-list-read-write = đọc và ghi
media-list-any = bất kỳ
media-list-identity = USB { $usb }, số sê-ri { $serial }, nhãn hệ thống tệp { $label }, UUID { $uuid }

# airgapctl seal-journal (issue 19): niêm phong nhật ký hệ thống (Forward Secure Sealing), do root thiết lập.
seal-journal-not-root = Chỉ root mới được thiết lập niêm phong nhật ký hệ thống: hãy chạy lệnh với quyền root (sudo airgapctl seal-journal).
seal-journal-key-exists = Máy tính này đã được thiết lập niêm phong nhật ký hệ thống (đã có { $path }): khóa xác minh đã in khi đó dùng để kiểm tra nhật ký này. Để tạo khóa mới, chạy lại với --force; khóa cũ vẫn dùng để kiểm tra các tệp đã niêm phong trước đó, vì vậy phải giữ cả hai.
seal-journal-failed = Không thiết lập được niêm phong nhật ký hệ thống: { $error }
seal-journal-title = Niêm phong nhật ký hệ thống (Forward Secure Sealing) trên máy { $host } (mã máy { $machine })
seal-journal-config = journald được cấu hình bằng { $config } (lưu nhật ký trên đĩa, bật niêm phong); khóa niêm phong lưu trên máy này tại { $keyfile }.
seal-journal-step-ok = { $step }: xong
seal-journal-step-failed = { $step }: KHÔNG THÀNH CÔNG: { $detail }
seal-journal-step-restart-journald = khởi động lại journald
seal-journal-step-flush = chuyển nhật ký sang đĩa
seal-journal-step-rotate = bắt đầu các tệp nhật ký mới có niêm phong
seal-journal-step-check-sealed = kiểm tra journald đã niêm phong
seal-journal-sealing-on = Từ nay journald niêm phong nhật ký hệ thống.
seal-journal-sealing-off = journald CHƯA niêm phong. Hãy khởi động lại journald (systemctl restart systemd-journald, sau đó journalctl --rotate) hoặc khởi động lại máy, rồi kiểm tra bằng airgapctl inspect --verify-key. Khóa dưới đây vẫn có giá trị: hãy giữ lại.
seal-journal-key = Khóa xác minh: { $key }
seal-journal-key-valid = Có hiệu lực từ { $start }; cứ { $minutes } phút journald tạo một khóa niêm phong mới và hủy khóa trước đó.
seal-journal-qr = Khóa trên dưới dạng mã QR ({ $text }):
seal-journal-qr-none = (không có mã QR: nội dung quá dài)
seal-journal-instructions-title = Dành cho cán bộ bảo mật:
seal-journal-instructions-1 = 1. Chép tay hoặc in khóa xác minh, ký xác nhận và lưu cùng hồ sơ kiểm tra của máy tính này, tách biệt với máy. Khóa chỉ hiển thị lần này và không được lưu trên máy.
seal-journal-instructions-2 = 2. Khóa chỉ dùng để kiểm tra nhật ký: người giữ khóa không thể sửa những gì đã niêm phong, và không ai trên máy có thể giả mạo bản ghi đã niêm phong của khoảng thời gian trước.
seal-journal-instructions-3 = 3. Mỗi lần kiểm tra, chạy lệnh: airgapctl inspect --verify-key { $key }
seal-journal-instructions-4 = 4. Tệp nhật ký đã bị sửa, hoặc không có niêm phong nhưng chứa bản ghi được ghi sau lần thiết lập này, sẽ được báo là không đạt. Tệp bị xóa toàn bộ thì không: hãy đối chiếu danh sách tệp nhật ký với báo cáo lần trước.

## airgapctl fleet host-setup|pc-setup: nhật ký tập trung của cơ quan.
fleet-written = Các tệp đã ghi:
fleet-file-ca-cert = { $path }: chứng thư của CA cơ quan (sao chép sang từng máy tính cùng các tệp riêng của máy đó)
fleet-file-ca-key = { $path }: khóa của CA cơ quan (giữ trên máy chủ nhật ký; khóa này ký chứng thư của mọi máy tính)
fleet-file-trusted = { $path }: CA cơ quan, nơi các dịch vụ nhật ký tin cậy
fleet-file-server-cert = { $path }: chứng thư của máy chủ nhật ký
fleet-file-server-key = { $path }: khóa của máy chủ nhật ký
fleet-file-remote-conf = { $path }: thiết lập của systemd-journal-remote (mỗi máy tính một nhật ký)
fleet-file-pc-cert = { $path }: chứng thư của một máy tính
fleet-file-pc-key = { $path }: khóa của một máy tính (chỉ mang sang đúng máy đó, rồi xóa ở đây)
fleet-file-upload-cert = { $path }: chứng thư của máy tính này
fleet-file-upload-key = { $path }: khóa của máy tính này
fleet-file-upload-conf = { $path }: thiết lập của systemd-journal-upload (gửi tới đâu, bằng chứng thư nào)
fleet-enabled = Đã bật và khởi động { $unit }.
fleet-enable-later = Chưa bật dịch vụ nào (--root): trên hệ thống đó hãy chạy systemctl enable --now { $unit }
fleet-failed = Không thiết lập được nhật ký tập trung: { $error }
fleet-no-log-host = Chính sách { $file } không chỉ định máy chủ nhật ký: hãy thêm bảng [network.log_host] (xem man airgapd.policy), rồi chạy lại pc-setup.
