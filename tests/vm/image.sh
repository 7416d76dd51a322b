#!/usr/bin/env bash
# Build the guest image: Debian bookworm (debootstrap minbase) with systemd, udev, journald,
# dbus, udisks2, polkit, dunst and Xvfb, the guest agent, locales (vi_VN.UTF-8 for the catalog) and Debian's 6.1 kernel, whose
# LSM list includes bpf. The cache key is a hash of this file: edit it and the image is rebuilt.
#
# usage: image.sh CACHE_DIR   → prints the image folder (vmlinuz, initrd.img, rootfs.img) last
set -euo pipefail
cache=$1
key=$(sha256sum "$0" | cut -c1-12)
out="$cache/image-$key"
if [ -s "$out/rootfs.img" ] && [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.img" ]; then
  echo "$out"
  exit 0
fi
command -v debootstrap >/dev/null || {
  echo "installing debootstrap" >&2
  apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends debootstrap >&2 || {
    apt-get -o DPkg::Lock::Timeout=300 update -q >&2
    apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends debootstrap >&2
  }
}

# The Debian mirror this machine is configured with (deb822): the URIs of the stanza whose
# Suites name bookworm. No mirror is written in this repository.
mirror=$(awk '
  /^[[:space:]]*$/ { if (uri != "" && main) { print uri; exit } uri = ""; main = 0; next }
  /^URIs:/ { uri = $2 }
  /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") main = 1 }
  END { if (uri != "" && main) print uri }' /etc/apt/sources.list.d/debian.sources | head -n 1)
[ -n "$mirror" ] || { echo "no bookworm mirror in /etc/apt/sources.list.d/debian.sources" >&2; exit 1; }

mkdir -p "$cache"
work=$(mktemp -d "$cache/image-tmp.XXXXXX")
root="$work/root"
cleanup() {
  # debootstrap mounts proc and sys inside the root; never leave them behind.
  for m in "$root/proc" "$root/sys" "$root/dev/pts" "$root/dev"; do
    mountpoint -q "$m" 2>/dev/null && umount -l "$m"
  done
  rm -rf "$work"
}
trap cleanup EXIT

packages=systemd,systemd-sysv,dbus,udev,kmod,util-linux,iproute2,linux-image-amd64,usbutils
packages+=,pciutils,procps,qemu-guest-agent,openssh-client,locales,bpftool,e2fsprogs
# The desktop parts the daily-use scenarios drive: udisks2 under polkit (a desktop user mounts an
# approved stick), and a notification server (dunst under Xvfb) for the notice at the keyboard.
packages+=,udisks2,polkitd,pkexec,dunst,xvfb,libnotify-bin,dbus-user-session,dosfstools
debootstrap --variant=minbase --include="$packages" bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

echo airgap-guest >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 airgap-guest\n::1 localhost\n' >"$root/etc/hosts"
# The root disk, and the 9p share that carries the package, stick images and results.
mkdir -p "$root/mnt/host"
cat >"$root/etc/fstab" <<'FSTAB'
/dev/vda / ext4 rw,relatime 0 1
host0 /mnt/host 9p trans=virtio,version=9p2000.L,msize=262144,nofail 0 0
FSTAB
# Nothing in the guest may wait for a network or fetch anything; no timers run during a test.
for unit in apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service \
  e2scrub_all.timer e2scrub_all.service e2scrub_reap.service fstrim.timer fstrim.service \
  man-db.timer man-db.service systemd-timesyncd.service systemd-networkd-wait-online.service \
  getty@tty1.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
# Journal in memory, and the Vietnamese locale for `journalctl -x` with the vi catalog.
printf 'vi_VN.UTF-8 UTF-8\nen_US.UTF-8 UTF-8\n' >"$root/etc/locale.gen"
in_root locale-gen >/dev/null
# A small initramfs: only what mounting /dev/vda needs (boots faster than the 36 MB default).
echo MODULES=list >"$root/etc/initramfs-tools/conf.d/airgap-test"
printf 'virtio_pci\nvirtio_blk\next4\n' >"$root/etc/initramfs-tools/modules"
in_root update-initramfs -u -k all >/dev/null 2>&1
in_root apt-get clean
rm -rf "$root/var/lib/apt/lists"/*

rm -rf "$work/out"
mkdir -p "$work/out"
cp -L "$root/vmlinuz" "$work/out/vmlinuz"
cp -L "$root/initrd.img" "$work/out/initrd.img"
mkfs.ext4 -q -F -L airgap-root -d "$root" "$work/out/rootfs.img" 2G >/dev/null
rm -rf "$out"
mv "$work/out" "$out"
# Images of older versions of this script are never used again (about 1 GB each).
for old in "$cache"/image-*; do
  [ "$old" = "$out" ] || [ "$old" = "$work" ] || rm -rf "$old"
done
echo "$out"
