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
