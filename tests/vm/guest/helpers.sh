# Shell functions for commands the harness runs in the guest (sourced from the 9p share).
# Polling under TCG is slow (~0.1 s a command), so every wait has a deadline in seconds.

# wait_until SECONDS CMD...: run CMD every 0.1 s until it succeeds (its output discarded);
# 1 at the deadline. Then run CMD again for its output: `wait_until 10 f X && f X`.
wait_until() {
  _end=$(($(date +%s) + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -ge "$_end" ] && return 1
    sleep 0.1
  done
}

# usb_by_serial SERIAL: the sysfs folder of the USB device reporting SERIAL.
usb_by_serial() {
  for _d in /sys/bus/usb/devices/*; do
    [ -f "$_d/serial" ] && [ "$(cat "$_d/serial")" = "$1" ] && { readlink -f "$_d"; return 0; }
  done
  return 1
}

# usb_by_id VID PID: the sysfs folder of the first USB device with these ids.
usb_by_id() {
  for _d in /sys/bus/usb/devices/*; do
    [ -f "$_d/idVendor" ] && [ "$(cat "$_d/idVendor"):$(cat "$_d/idProduct")" = "$1:$2" ] &&
      { readlink -f "$_d"; return 0; }
  done
  return 1
}

# disk_below SYSFS_DIR: the /dev/sdX whose device lies below SYSFS_DIR (a USB device).
disk_below() {
  for _b in /sys/block/sd*; do
    [ -e "$_b" ] || continue
    case "$(readlink -f "$_b/device")" in "$1"/*) echo "/dev/${_b##*/}"; return 0 ;; esac
  done
  return 1
}

# disk_by_serial SERIAL: the /dev/sdX of the USB stick reporting SERIAL.
disk_by_serial() {
  _u=$(usb_by_serial "$1") || return 1
  disk_below "$_u"
}

# netif_by_mac MAC: the name of the interface with this address.
netif_by_mac() {
  for _n in /sys/class/net/*; do
    [ "$(cat "$_n/address" 2>/dev/null)" = "$1" ] && { echo "${_n##*/}"; return 0; }
  done
  return 1
}

# netifs_below SYSFS_DIR: interfaces whose device lies below SYSFS_DIR.
netifs_below() {
  for _n in /sys/class/net/*; do
    case "$(readlink -f "$_n/device" 2>/dev/null)" in "$1" | "$1"/*) echo "${_n##*/}" ;; esac
  done
}

# probe_until SECONDS WANT ARGS...: run airgap-probe ARGS until it prints WANT; prints the last.
probe_until() {
  _end=$(($(date +%s) + $1))
  _want=$2
  shift 2
  while :; do
    _got=$(airgap-probe "$@" 2>&1)
    [ "$_got" = "$_want" ] && break
    [ "$(date +%s)" -ge "$_end" ] && break
    sleep 0.2
  done
  echo "$_got"
}

# class_below CLASS DIR [GLOB]: the /sys/class/CLASS entries (matching GLOB) whose device lies
# below DIR (a USB device, or the gadget side's controller); 1 when there is none.
class_below() {
  _found=1
  for _c in /sys/class/"$1"/${3:-*}; do
    [ -e "$_c" ] || continue
    case "$(readlink -f "$_c")" in "$2"/*) echo "${_c##*/}"; _found=0 ;; esac
  done
  return $_found
}

# devnode CLASS NAME: the /dev path the kernel gives /sys/class/CLASS/NAME (its DEVNAME).
devnode() {
  _n=$(sed -n 's/^DEVNAME=//p' "/sys/class/$1/$2/uevent")
  [ -n "$_n" ] && echo "/dev/$_n"
}

# gadget_remove NAME: unbind the configfs gadget NAME and take it apart: links first (the
# configuration's function links, then the functions' own), then the folders deepest first
# (configfs refuses to remove the default groups it made itself; they go with their parent).
gadget_remove() {
  _g=/sys/kernel/config/usb_gadget/$1
  [ -d "$_g" ] || return 0
  [ -s "$_g/UDC" ] && echo > "$_g/UDC"
  find "$_g/configs" -maxdepth 2 -type l -exec rm -f {} + 2>/dev/null
  find "$_g/functions" -path '*/class/*' -type l -exec rm -f {} + 2>/dev/null
  find "$_g/functions" -type l -exec rm -f {} + 2>/dev/null
  for _pass in 1 2 3; do
    find "$_g" -depth -mindepth 1 -type d -exec rmdir {} \; 2>/dev/null
  done
  rmdir "$_g" 2>/dev/null
  [ ! -d "$_g" ] || { echo "$_g still there: $(find "$_g" | head -n 20)"; return 1; }
}

# Gadgets are bound to one of two virtual device controllers, each with its host side in the
# same kernel: dummy_udc (dummy_hcd) for bulk and interrupt endpoints, usbip-vudc (USB/IP's
# virtual UDC, its host side vhci_hcd) for functions that need isochronous endpoints (UVC, UAC2):
# dummy_hcd has none. The two USB/IP ends are joined by an AF_UNIX socket pair inside the guest:
# no network is involved.
VUDC=/sys/devices/platform/usbip-vudc.0
VHCI=/sys/devices/platform/vhci_hcd.0

# gadget_bus_ready: load both, and wait until airgapd has closed every root hub they brought
# (buses that appear after it started: authorized_default 0).
gadget_bus_ready() {
  modprobe dummy_hcd && modprobe usbip-vudc && modprobe vhci-hcd && modprobe libcomposite ||
    return 1
  mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
  wait_until 15 sh -c '! grep -qvx 0 /sys/devices/platform/vhci_hcd.*/usb*/authorized_default \
    /sys/devices/platform/dummy_hcd.*/usb*/authorized_default' || {
    echo "root hubs not closed: $(grep . /sys/devices/platform/*_hcd.*/usb*/authorized_default)" >&2
    return 1
  }
}

# usbip_attach: plug the gadget bound to usbip-vudc.0 into vhci_hcd port 0 (high speed); the
# sockets stay with the kernel, so nothing has to keep running.
usbip_attach() {
  wait_until 10 grep -qx 1 $VUDC/usbip_status ||
    { echo "usbip-vudc not available: status $(cat $VUDC/usbip_status)" >&2; return 1; }
  VUDC=$VUDC VHCI=$VHCI perl -MSocket -e '
    socketpair(my $dev, my $host, AF_UNIX, SOCK_STREAM, 0) or die "socketpair: $!\n";
    open(my $v, ">", "$ENV{VUDC}/usbip_sockfd") or die "usbip_sockfd: $!\n";
    syswrite($v, fileno($dev)) or die "usbip_sockfd: $!\n";
    close($v);
    open(my $h, ">", "$ENV{VHCI}/attach") or die "attach: $!\n";
    syswrite($h, "0 " . fileno($host) . " 65538 3") or die "attach: $!\n";
    close($h);'
}

# usbip_detach: unplug whatever is on vhci_hcd port 0 (nothing to do when the port is free).
usbip_detach() {
  grep -q '^hs  0000 006' $VHCI/status 2>/dev/null || return 0
  echo 0 > $VHCI/detach
  wait_until 10 sh -c "! grep -q '^hs  0000 006' $VHCI/status"
}

# uvc_app VIDEO_NODE SECONDS: stand in for a UVC gadget's camera application, in the background
# (prints its pid): f_uvc connects to the host only once an application holding the gadget's
# V4L2 node subscribes to UVC_EVENT_SETUP (VIDIOC_SUBSCRIBE_EVENT, _IOW('V', 90, 32 bytes);
# V4L2_EVENT_PRIVATE_START + 4).
uvc_app() {
  setsid perl -e '
    $| = 1;
    open(my $f, "<", $ARGV[0]) or die "open: $!\n";
    my $sub = pack("L8", 0x08000004, 0, 0, 0, 0, 0, 0, 0);
    ioctl($f, 0x4020565a, $sub) or die "subscribe: $!\n";
    print "subscribed\n";
    sleep $ARGV[1];' "$1" "$2" </dev/null >/run/uvc_app.log 2>&1 &
  echo $!
}
