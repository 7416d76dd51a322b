# airgapd-notify's desktop notices. English. How to add one: docs/translations.md.
# A notice says what was refused (by its name), why in one plain sentence, and what to do.

notify-app-name = Air gap
notify-name-model-serial = { $model } (serial { $serial })
notify-name-usb = USB device { $vendor }:{ $product } { $serial }
notify-device-summary = Device refused: { $name }
# $kind: usb, block, camera, microphone, radio or other.
notify-device-body = { $kind ->
    [camera] Cameras may not be used on this computer.
    [microphone] Microphones may not be used on this computer.
    [radio] Wireless devices may not be used on this computer.
    [block] Only storage devices approved for this computer may be used, and this one is not.
   *[other] Only storage devices approved for this computer may be used; phones, network adapters and other USB devices are refused.
} Hand the device to the security officer.
notify-exec-summary = Program on a removable medium refused
notify-exec-body = Programs may not be run from removable media on this computer ({ $file }). Copy your documents onto the computer instead, or ask the security officer.
notify-network-summary = Network access refused
notify-network-body = This computer must not connect to any network; { $program } tried to reach { $target }. If you did not start this, tell the security officer.
notify-others-summary = More refusals
notify-others-body = Several other devices or actions were refused. The security officer can see them all with: airgapctl violations
notify-count = { $body } (Refused { $count } times.)

## airgapctl watch
watch-started = Watching airgapd's decisions (Ctrl-C to stop).
watch-device = { $time }  { $decision }  { $name } ({ $node })
watch-removed = { $time }  { $name } ({ $node }) was removed.
