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
