# Thông báo trên màn hình của airgapd-notify. Tiếng Việt.
# Mỗi thông báo nói: cái gì bị chặn (theo tên), vì sao (một câu dễ hiểu), và phải làm gì.

notify-app-name = Cách ly mạng
notify-name-model-serial = { $model } (số sê-ri { $serial })
notify-name-usb = thiết bị USB { $vendor }:{ $product } { $serial }
notify-device-summary = Đã chặn thiết bị: { $name }
notify-device-body = { $kind ->
    [camera] Máy tính này không được dùng camera.
    [microphone] Máy tính này không được dùng micrô.
    [radio] Máy tính này không được dùng thiết bị không dây.
    [block] Máy tính này chỉ dùng thiết bị lưu trữ đã được duyệt, thiết bị này chưa được duyệt.
   *[other] Máy tính này chỉ dùng thiết bị lưu trữ đã được duyệt; điện thoại, thiết bị mạng và thiết bị USB khác đều bị chặn.
} Hãy giao thiết bị cho cán bộ bảo mật.
notify-exec-summary = Đã chặn chạy chương trình từ thiết bị lưu trữ di động
notify-exec-body = Máy tính này không cho chạy chương trình từ thiết bị lưu trữ di động ({ $file }). Hãy chép tài liệu vào máy, hoặc hỏi cán bộ bảo mật.
notify-network-summary = Đã chặn truy cập mạng
notify-network-body = Máy tính này không được kết nối với bất kỳ mạng nào; { $program } vừa thử kết nối tới { $target }. Nếu không phải bạn làm việc này, hãy báo cán bộ bảo mật.
notify-others-summary = Còn các lần chặn khác
notify-others-body = Một số thiết bị hoặc thao tác khác cũng bị chặn. Cán bộ bảo mật có thể xem tất cả bằng lệnh: airgapctl violations
notify-count = { $body } (Đã chặn { $count } lần.)

## airgapctl watch
watch-started = Đang theo dõi các quyết định của airgapd (Ctrl-C để dừng).
watch-device = { $time }  { $decision }  { $name } ({ $node })
watch-removed = { $time }  { $name } ({ $node }) đã được rút ra.
