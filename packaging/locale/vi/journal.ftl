# Các trường tiếng Việt trong nhật ký (AIRGAP_SUMMARY_VI, AIRGAP_*_VI), để mục giải thích
# tiếng Việt (airgapd.vi.catalog) không phụ thuộc vào MESSAGE tiếng Anh.

journal-not-filled-in = chưa ghi
journal-action-refuse = chặn
journal-action-authorize = cho phép
journal-action-deny = chặn
journal-action-allow = cho phép
journal-result-success = thành công
journal-result-failure = thất bại
journal-state-active = đang hoạt động
journal-state-inactive = không hoạt động
journal-state-unavailable = không dùng được
journal-state-limited = đang hoạt động, bị hạn chế trên nhân này
journal-refusal-other = Một thao tác loại { $kind } đã bị chặn.
journal-folded-by-user = Bản ghi này gộp { $count } lần chặn các tiến trình khác của uid { $uid }, ngoài những tiến trình đã được ghi riêng; tiến trình được nêu tên là tiến trình cuối cùng trong số đó.
journal-folded-by-everyone = Bản ghi này gộp { $count } lần chặn các tiến trình của những người dùng khác, ngoài những người dùng đã được ghi riêng; tiến trình được nêu tên là tiến trình cuối cùng trong số đó.
journal-device-arrival = Thiết bị { $name } được cắm vào; quyết định: { $action }.
journal-device-departure = Thiết bị { $name } đã được tháo ra.
journal-policy-loaded = Chính sách số hiệu { $serial } đang có hiệu lực.
journal-policy-rejected = Một tệp chính sách bị từ chối; chính sách trước đó vẫn có hiệu lực. Chi tiết kỹ thuật (bằng tiếng Anh) nằm trong trường MESSAGE.
journal-enforcement-state = Lớp ngăn chặn { $layer }: { $state }.
journal-interface-held = Giao diện mạng { $interface } đã bật trước khi được gắn chương trình chặn: airgapd đã tắt nó trong { $ms } ms cho đến khi gắn xong, rồi bật lại.
journal-events-lost = Mất chi tiết của { $lost } thao tác bị chặn; số lần chặn vẫn được đếm đủ.
journal-uevents-lost = Mất { $lost } sự kiện thiết bị từ nhân trước khi airgapd kịp đọc; mọi thiết bị lưu trữ và USB đang cắm đã được xét lại.
journal-daemon-started = airgapd đã khởi động.
journal-daemon-stopped = airgapd đã dừng.
journal-enforcement-lifted = Người dùng có UID { $uid } (PID { $pid }) đã gỡ bỏ cơ chế cách ly.
journal-enforcement-tampered = Cơ chế cách ly bị thay đổi ngoài airgapd ({ $object }); khôi phục: { $result }.
journal-enforcement-upgraded = Cơ chế cách ly của airgapd ABI { $before } được thay bằng ABI { $after } không gián đoạn (nâng cấp gói); số lần từ chối chương trình cũ để lại chưa đọc: { $lost }; kết quả: { $result }.
journal-release-order = Người dùng có UID { $uid } đã áp dụng lệnh giải phóng máy: { $result }.
journal-policy-update = Người dùng có UID { $uid } cài bản cập nhật chính sách có chữ ký: { $result }.
journal-copy-register = Bản ghi sổ quản lý sao, chụp ({ $event }): { $document }.
journal-isolation-lost = Mạng LAN độc lập không còn được cách ly (thay đổi: { $change }). Chi tiết kỹ thuật (bằng tiếng Anh) nằm trong trường MESSAGE.
journal-copy-register-no-document = Bản ghi sổ quản lý sao, chụp ({ $event }).
journal-premounted-medium = Thiết bị lưu trữ bị từ chối { $node } đã được gắn kết trước khi airgapd khởi động; kết quả vô hiệu hóa: { $result }.
journal-machine-record = Đã ghi dòng số { $seq } vào sổ ghi của máy.
