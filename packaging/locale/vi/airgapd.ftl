# Lời của airgapd (airgapd run). Tiếng Việt. Cách thêm: docs/translations.md.
run-not-root = airgapd run phải chạy với quyền root: nó nạp chương trình BPF và tạo cgroup
run-warning = cảnh báo: { $warning }
run-enforcing = đang chặn { $mode ->
    [none] mọi kết nối mạng
    [loopback] mọi kết nối mạng trừ loopback
    [lan-loopback] mọi kết nối mạng trừ mạng LAN cô lập và loopback
   *[lan] mọi kết nối mạng trừ mạng LAN cô lập
} và mọi thiết bị lưu trữ di động trong cgroup { $cgroup }
run-lan = Mạng LAN "{ $name }" trên giao diện có MAC { $mac }: các máy { $peers }
run-layer-unavailable = lớp { $layer } không dùng được: { $why }
run-lost = thêm { $count } lần chặn đã được đếm nhưng không hiển thị (bộ đệm sự kiện đầy)
run-undecodable = { $count } sự kiện không giải mã được (khác phiên bản)
airgapd-error = lỗi: { $error }

## airgapd lift. Bản ghi trong nhật ký giữ tiếng Anh (journalctl -x giải thích chúng).
lift-not-root = chỉ root mới được gỡ bỏ việc cách ly
lift-confirm = gỡ bỏ việc cách ly sẽ làm máy này kết nối được với mạng; hãy chạy lại lệnh với --yes
lift-running = dịch vụ airgapd (tiến trình { $pid }) đang chạy và sẽ tiếp tục cách ly; hãy dừng nó trước bằng `{ $stop }`, rồi chạy lại airgapd lift. Chưa gỡ bỏ gì.
lift-needs-order = máy này được cách ly toàn bộ: chỉ được ra khỏi chế độ cách ly theo lệnh giải tỏa có chữ ký, sau khi đã xóa bí mật nhà nước trên máy (Luật số 29/2018/QH14, Điều 5, khoản 7): airgapctl release apply LỆNH. Nếu máy bị khóa không dùng được, `airgapd lift --yes --emergency` gỡ bỏ việc cách ly và ghi nhận ở mức báo động là gỡ bỏ khẩn cấp. Chưa gỡ bỏ gì.
lift-reading = không đọc được { $dir }
lift-not-recorded = không ghi nhận được việc gỡ bỏ, nên chưa gỡ bỏ gì
lift-unpinning = không xóa được { $path }
lift-still-held = đã xóa các điểm ghim nhưng các liên kết { $ids } vẫn do một tiến trình giữ và vẫn đang chặn; hãy tìm tiến trình đó bằng `bpftool link show` rồi dừng nó, hoặc khởi động lại airgapd
lift-alert-unrecorded = lỗi: đã gỡ bỏ việc cách ly nhưng không ghi được cảnh báo: { $error }
lift-done = đã gỡ bỏ việc cách ly ({ $dir }); đã xóa: { $removed }
lift-removed-links = { $count } liên kết ({ $names })
lift-removed-maps = { $count } bảng dữ liệu BPF ({ $names })
lift-removed-nothing = không có gì được ghim
lift-removed-tc = bộ lọc tc (nhân không có TCX) trên { $interfaces }
lift-removed-usb = đã trả quyền cấp phép USB về mặc định của nhân ({ $buses })
lift-removed-usb-failed = CHƯA trả quyền cấp phép USB về mặc định: { $error }
