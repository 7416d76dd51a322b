#!/usr/bin/env bash
# Build the Debian package: target/debian/airgapd_<version>_<arch>.deb. Everything it installs
# comes from this checkout; the binaries embed the BPF programs, so the package needs nothing
# beyond what a Debian/Ubuntu desktop has (libc, systemd, dbus).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
cargo build --release --locked -p airgapd --bins
cargo build --release --locked -p airgapd-gen

version=$(cargo metadata --no-deps --format-version 1 --locked \
  | python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "airgapd"))')
arch=$(dpkg --print-architecture)
root="$target/debian/airgapd_${version}_${arch}"
rm -rf "$root"
install -d "$root/DEBIAN"

install -Dm0755 "$target/release/airgapd" "$root/usr/sbin/airgapd"
install -Dm0755 "$target/release/airgapctl" "$root/usr/bin/airgapctl"
install -Dm0755 "$target/release/airgapd-notify" "$root/usr/bin/airgapd-notify"
install -Dm0644 packaging/xdg/airgapd-notify.desktop "$root/etc/xdg/autostart/airgapd-notify.desktop"
install -Dm0644 systemd/airgapd.service "$root/lib/systemd/system/airgapd.service"
install -Dm0644 packaging/dbus/org.airgapd.Guard1.conf "$root/usr/share/dbus-1/system.d/org.airgapd.Guard1.conf"
install -Dm0644 packaging/dbus/org.airgapd.Guard1.service \
  "$root/usr/share/dbus-1/system-services/org.airgapd.Guard1.service"
for c in packaging/catalog/*.catalog; do
  install -Dm0644 "$c" "$root/usr/lib/systemd/catalog/$(basename "$c")"
done
install -Dm0644 packaging/udev/99-airgapd-media-noexec.rules \
  "$root/usr/lib/udev/rules.d/99-airgapd-media-noexec.rules"
for f in packaging/locale/*/*.ftl; do
  lang=$(basename "$(dirname "$f")")
  install -Dm0644 "$f" "$root/usr/share/airgapd/locale/$lang/$(basename "$f")"
done
install -Dm0644 packaging/default-policy.toml "$root/etc/airgapd/policy.toml"
install -d -m0755 "$root/etc/airgapd/trusted-keys"
install -Dm0644 packaging/policy.toml "$root/usr/share/doc/airgapd/policy.toml"
install -Dm0644 README.md "$root/usr/share/doc/airgapd/README.md"
# Every document the README, the man pages and the state files point to; the officers' guide
# in Vietnamese at the top of the folder.
for f in docs/*.md; do
  install -Dm0644 "$f" "$root/usr/share/doc/airgapd/$(basename "$f")"
done
install -Dm0644 docs/vi/huong-dan-can-bo.md "$root/usr/share/doc/airgapd/huong-dan-can-bo.md"

gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
"$target/release/airgapd-gen" "$gen"
# The top-level pages and one page per subcommand (airgapctl-policy-apply.1, ...).
for m in "$gen"/man1/*.1 "$gen"/man8/*.8; do
  sect=${m##*.}
  install -Dm0644 "$m" "$root/usr/share/man/man$sect/$(basename "$m")"
done
install -Dm0644 packaging/man/airgapd.policy.5 "$root/usr/share/man/man5/airgapd.policy.5"
gzip -9n "$root"/usr/share/man/man*/*
install -Dm0644 "$gen/completions/bash/airgapd.bash" "$root/usr/share/bash-completion/completions/airgapd"
install -Dm0644 "$gen/completions/bash/airgapctl.bash" "$root/usr/share/bash-completion/completions/airgapctl"
install -Dm0644 "$gen/completions/zsh/_airgapd" "$root/usr/share/zsh/vendor-completions/_airgapd"
install -Dm0644 "$gen/completions/zsh/_airgapctl" "$root/usr/share/zsh/vendor-completions/_airgapctl"
install -Dm0644 "$gen/completions/fish/airgapd.fish" "$root/usr/share/fish/vendor_completions.d/airgapd.fish"
install -Dm0644 "$gen/completions/fish/airgapctl.fish" "$root/usr/share/fish/vendor_completions.d/airgapctl.fish"

install -m0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$root/DEBIAN/"
install -m0644 packaging/debian/conffiles "$root/DEBIAN/"
# USB held back from the first moment of boot (issue 22); initramfs-tools copies it into the
# initramfs of every installed kernel when postinst runs `update-initramfs -u -k all`.
install -Dm0644 packaging/modprobe/airgapd.conf "$root/lib/modprobe.d/airgapd.conf"
# ...and hubs and HID-only devices (a keyboard for a disk passphrase) still usable there.
install -Dm0755 packaging/usb-early/usb-early "$root/usr/lib/airgapd/usb-early"
install -Dm0644 packaging/usb-early/70-airgapd-usb-early.rules \
  "$root/lib/udev/rules.d/70-airgapd-usb-early.rules"
install -Dm0755 packaging/usb-early/initramfs-hook "$root/usr/share/initramfs-tools/hooks/airgapd"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: airgapd
Version: $version
Architecture: $arch
Maintainer: airgapd developers <airgapd@localhost>
Installed-Size: $size
Depends: libc6 (>= 2.34), systemd, dbus, openssh-client, fonts-dejavu-core
Recommends: sqlite3
Section: admin
Priority: optional
Description: air-gap enforcement for drafting PCs (network and removable media refused)
 airgapd keeps a standalone PC air-gapped by machine, not by memory: eBPF programs in the
 kernel refuse network sockets and every unapproved block device and raw device path,
 default-deny; only media named in the policy may be used. Every refusal is recorded in
 the systemd journal with structured fields; airgapctl reports the state over D-Bus.
CONTROL
dpkg-deb --root-owner-group -Zxz --build "$root" "$target/debian/" >/dev/null
echo "$target/debian/airgapd_${version}_${arch}.deb"
