#!/usr/bin/env bash
# Build the guest image: Debian bookworm (debootstrap minbase) with systemd, udev, journald,
# dbus, udisks2, polkit, dunst and Xvfb, the guest agent, locales (vi_VN.UTF-8 for the catalog) and Debian's 6.1 kernel, whose
# LSM list includes bpf. The cache key is a hash of this file: edit it and the image is rebuilt.
#
# The kernel matrix (issue 22): Debian 11's 5.10 and Debian 13's 6.12 are installed beside
# bookworm's 6.1, from Debian's archive, each .deb checked against the archive's signed InRelease
# (the keys of debian-archive-keyring). `kernels` in the image folder maps a short name (5.10,
# 6.1, 6.12) to the files vmlinuz-NAME and initrd.img-NAME; one root filesystem boots all three.
#
# usage: image.sh CACHE_DIR   → prints the image folder (vmlinuz, initrd.img, rootfs.img) last
set -euo pipefail
cache=$1
key=$(sha256sum "$0" | cut -c1-12)
out="$cache/image-$key"
if [ -s "$out/rootfs.img" ] && [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.img" ]; then
  touch "$out" # last use: images unused for half a day are removed below, by a later build
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
# The package's own dependencies beyond the base (it is installed offline, with dpkg -i):
# fonts-dejavu-core, the font airgapctl report embeds in the PC-made PDF.
packages+=,fonts-dejavu-core
# newest_kernel BASE SUITE REGEX → the path of that suite's newest linux-image package whose name
# matches REGEX, downloaded into $work and checked: InRelease signature, Packages.xz hash, .deb hash.
newest_kernel() {
  local base=$1 suite=$2 regex=$3 d="$work/k-$2"
  mkdir -p "$d"
  curl -fsS -m 120 -o "$d/InRelease" "$base/dists/$suite/InRelease"
  gpgv --keyring /usr/share/keyrings/debian-archive-keyring.gpg --output "$d/Release" \
    "$d/InRelease" 2>/dev/null || { echo "$suite: InRelease signature not good" >&2; return 1; }
  curl -fsS -m 300 -o "$d/Packages.xz" "$base/dists/$suite/main/binary-amd64/Packages.xz"
  local want
  want=$(awk '/^SHA256:/ {s = 1; next} /^[A-Z]/ {s = 0}
    s && $3 == "main/binary-amd64/Packages.xz" {print $1}' "$d/Release")
  echo "$want  $d/Packages.xz" | sha256sum -c --quiet - >&2
  xz -dc "$d/Packages.xz" | awk -v re="$regex" '
    /^Package: / {p = ($2 ~ re) ? $2 : ""} p && /^Version: / {v = $2}
    p && /^Filename: / {f = $2} p && /^SHA256: / {h = $2}
    /^$/ {if (p != "") print v, f, h; p = ""}' | sort -V | tail -n 1 >"$d/pick"
  read -r _ file hash <"$d/pick"
  [ -n "$file" ] || { echo "$suite: no package matches $regex" >&2; return 1; }
  curl -fsS -m 600 -o "$d/kernel.deb" "$base/$file"
  echo "$hash  $d/kernel.deb" | sha256sum -c --quiet - >&2
  echo "$d/kernel.deb"
}
deb_bullseye=$(newest_kernel "$mirror-security" bullseye-security '^linux-image-5\\.10\\.0-[0-9]+-amd64$')
deb_trixie=$(newest_kernel "$mirror" trixie '^linux-image-6\\.12\\.[0-9]+\\+deb13-amd64$')

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
# The matrix's other kernels; each postinst builds its initramfs with the settings above.
cp "$deb_bullseye" "$root/tmp/k510.deb"
cp "$deb_trixie" "$root/tmp/k612.deb"
in_root dpkg -i /tmp/k510.deb /tmp/k612.deb >"$work/kernels.log" 2>&1 || {
  tail -n 30 "$work/kernels.log" >&2
  exit 1
}
rm -f "$root/tmp/k510.deb" "$root/tmp/k612.deb"
in_root update-initramfs -u -k all >/dev/null 2>&1
in_root apt-get clean
rm -rf "$root/var/lib/apt/lists"/*

rm -rf "$work/out"
mkdir -p "$work/out"
cp -L "$root/vmlinuz" "$work/out/vmlinuz"
cp -L "$root/initrd.img" "$work/out/initrd.img"
: >"$work/out/kernels"
for v in "$root"/boot/vmlinuz-*; do
  v=${v##*/vmlinuz-}
  name=$(echo "$v" | grep -oE '^[0-9]+\.[0-9]+')
  cp "$root/boot/vmlinuz-$v" "$work/out/vmlinuz-$name"
  cp "$root/boot/initrd.img-$v" "$work/out/initrd.img-$name"
  echo "$name $v" >>"$work/out/kernels"
done
mkfs.ext4 -q -F -L airgap-root -d "$root" "$work/out/rootfs.img" 3G >/dev/null
rm -rf "$out"
mv "$work/out" "$out"
# Images of older versions of this script (about 1.5 GB each) are removed when unused:
# Not those of another checkout still using its own (helpers' worktrees share the cache): only
# images unused for 12 hours.
find "$cache" -mindepth 1 -maxdepth 1 -name 'image-*' ! -name 'image-tmp.*' -mmin +720 \
  ! -path "$out" -exec rm -rf {} +
echo "$out"
