#!/usr/bin/env bash
# Build the Debian package and check what it installs: every file the issue lists, the right
# modes, a default policy the shipped airgapctl accepts, man pages that render, and
# maintainer scripts that never delete the policy or logs on plain removal.
set -euo pipefail
cd "$(dirname "$0")/../.."
deb=$(scripts/package.sh | tail -n 1)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
dpkg-deb -x "$deb" "$dir/root"
dpkg-deb -e "$deb" "$dir/DEBIAN"
passed=0
failed=0
check() {
  if eval "$2"; then passed=$((passed + 1)); else echo "package: FAILED: $1"; failed=$((failed + 1)); fi
}
for f in usr/sbin/airgapd usr/bin/airgapctl lib/systemd/system/airgapd.service \
  usr/share/dbus-1/system.d/org.airgapd.Guard1.conf \
  usr/share/dbus-1/system-services/org.airgapd.Guard1.service \
  usr/lib/systemd/catalog/airgapd.catalog usr/lib/systemd/catalog/airgapd.vi.catalog \
  etc/airgapd/policy.toml usr/share/doc/airgapd/policy.toml \
  usr/share/man/man8/airgapd.8.gz usr/share/man/man1/airgapctl.1.gz \
  usr/share/man/man5/airgapd.policy.5.gz \
  usr/share/bash-completion/completions/airgapctl usr/share/zsh/vendor-completions/_airgapctl \
  usr/share/fish/vendor_completions.d/airgapctl.fish lib/modprobe.d/airgapd.conf \
  usr/lib/airgapd/usb-early lib/udev/rules.d/70-airgapd-usb-early.rules \
  usr/share/initramfs-tools/hooks/airgapd \
  usr/bin/airgapd-notify etc/xdg/autostart/airgapd-notify.desktop \
  usr/share/man/man1/airgapd-notify.1.gz; do
  check "ships /$f" "[ -e '$dir/root/$f' ]"
done
for f in packaging/locale/*/*.ftl; do
  check "ships the catalog /usr/share/airgapd/locale/${f#packaging/locale/}" \
    "cmp -s '$f' '$dir/root/usr/share/airgapd/locale/${f#packaging/locale/}'"
done
check "airgapctl speaks Vietnamese under LANG=vi_VN.UTF-8" \
  "LC_ALL= LC_MESSAGES= LANG=vi_VN.UTF-8 '$dir/root/usr/bin/airgapctl' policy check '$dir/root/etc/airgapd/policy.toml' >'$dir/vi.out' && grep -q 'hợp lệ' '$dir/vi.out'"
check "the notifier starts with desktop sessions" \
  "grep -qx 'Exec=/usr/bin/airgapd-notify' '$dir/root/etc/xdg/autostart/airgapd-notify.desktop'"
check "airgapd is executable" "[ -x '$dir/root/usr/sbin/airgapd' ]"
check "usbcore holds USB devices back from boot (issue 22)" \
  "grep -qx 'options usbcore authorized_default=2' '$dir/root/lib/modprobe.d/airgapd.conf'"
check "every kernel's initramfs is rebuilt with it" "grep -q 'update-initramfs -u -k all' '$dir/DEBIAN/postinst' && grep -q 'update-initramfs -u -k all' '$dir/DEBIAN/postrm'"
check "the policy is a conffile" "grep -qx /etc/airgapd/policy.toml '$dir/DEBIAN/conffiles'"
check "the default policy is valid" "'$dir/root/usr/bin/airgapctl' policy check '$dir/root/etc/airgapd/policy.toml' >/dev/null"
check "the reference policy is valid" "'$dir/root/usr/bin/airgapctl' policy check '$dir/root/usr/share/doc/airgapd/policy.toml' >/dev/null"
for m in "$dir"/root/usr/share/man/man*/*.gz; do
  check "man page ${m#"$dir/root"} renders without warnings" \
    "[ -z \"\$(zcat '$m' | groff -man -Tutf8 -ww -z 2>&1)\" ]"
done
for sub in status devices violations policy-check policy-show policy-reload policy-apply \
  policy-sign policy-import-usbguard media-enroll media-list doctor register register-verify \
  release-sign release-apply watch inspect report report-verify report-merge; do
  check "ships man page airgapctl-$sub(1)" "[ -e '$dir/root/usr/share/man/man1/airgapctl-$sub.1.gz' ]"
done
for s in 'EXIT STATUS' EXAMPLES; do
  check "airgapctl(1) has $s" "zcat '$dir/root/usr/share/man/man1/airgapctl.1.gz' | grep -q '^.SH \"\\?$s'"
  check "airgapd(8) has $s" "zcat '$dir/root/usr/share/man/man8/airgapd.8.gz' | grep -q '^.SH \"\\?$s'"
done
# Issue 18: shell completion of `register --medium` offers the installed policy's media, read
# by the shipped airgapctl (a shim points it at the reference policy, standing in for
# /etc/airgapd/policy.toml).
mkdir -p "$dir/shim"
printf '#!/bin/sh\nexec %s "$@" --policy %s\n' "'$dir/root/usr/bin/airgapctl'" \
  "'$dir/root/usr/share/doc/airgapd/policy.toml'" >"$dir/shim/airgapctl"
chmod +x "$dir/shim/airgapctl"
medium_completion() {
  PATH="$dir/shim:$PATH" bash -c '
    source "$1"
    COMP_WORDS=(airgapctl register --medium Inc); COMP_CWORD=3
    _airgapctl_with_media airgapctl Inc --medium
    printf "%s\n" "${COMPREPLY[@]}"' _ "$dir/root/usr/share/bash-completion/completions/airgapctl"
}
check "bash completes register --medium with the policy's media names" \
  "[ \"\$(medium_completion)\" = 'Incoming\\ documents\\ stick\\ no.\\ 7\\ \\(cipher\\ authority\\)' ]"
check "zsh and fish ask airgapctl for the media names" \
  "grep -q ':NAME:_airgapctl_media_names' '$dir/root/usr/share/zsh/vendor-completions/_airgapctl' && grep -q 'airgapctl media list --names' '$dir/root/usr/share/fish/vendor_completions.d/airgapctl.fish'"
check "the officers' guide in Vietnamese is installed" \
  "grep -q 'CÁCH LY MẠNG: CÓ' '$dir/root/usr/share/doc/airgapd/huong-dan-can-bo.md'"
# Every document an installed file points to is installed: /usr/share/doc/airgapd/X and
# docs/X.md (the source tree's name of the same file).
refs=$(grep -rhoE '/usr/share/doc/airgapd/[A-Za-z0-9_.-]*[A-Za-z0-9_-]|docs/[a-z0-9-]+\.md' \
  "$dir/root/usr/share/doc/airgapd" "$dir/root/etc" "$dir/root/usr/share/airgapd" \
  <(zcat "$dir"/root/usr/share/man/man*/*.gz) <(strings "$dir/root/usr/sbin/airgapd") \
  <(strings "$dir/root/usr/bin/airgapctl") | sort -u)
for r in $refs; do
  check "the referenced document $r is installed" "[ -e '$dir/root/usr/share/doc/airgapd/$(basename "$r")' ]"
done
check "depends only on what a desktop has" \
  "dpkg-deb -f '$deb' Depends | grep -qx 'libc6 (>= 2.34), systemd, dbus, openssh-client, fonts-dejavu-core'"
check "removal keeps policy and state" "! grep -q 'rm -rf' <(sed -n '/purge/,\$!p' '$dir/DEBIAN/postrm')"
check "purge never deletes the audit records in /var/lib/airgapd" \
  "! grep -q 'rm .*/var/lib/airgapd' '$dir/DEBIAN/postrm'"
check "removal is refused while enforcement is pinned" "grep -q 'refusing to remove' '$dir/DEBIAN/prerm'"
check "the binaries need no library beyond libc" \
  "! ldd '$dir/root/usr/sbin/airgapd' | grep -v -E 'linux-vdso|libc.so|libm.so|libgcc_s|ld-linux|libpthread|libdl|librt' | grep -q ."

# usb-early (issue 22), on sysfs trees made here: what it authorizes before the daemon runs.
early() { # NAME DEVICE-CLASS ROOT-HUB-DEFAULT DESCRIPTORS(printf escapes): prints authorized
  local d="$dir/sys/$1/devices/pci0/usb1/1-1"
  mkdir -p "$d"
  echo "$3" >"$dir/sys/$1/devices/pci0/usb1/authorized_default"
  echo 0 >"$d/authorized"
  echo "$2" >"$d/bDeviceClass"
  printf "$4" >"$d/descriptors"
  "$dir/root/usr/lib/airgapd/usb-early" "$d" && cat "$d/authorized"
}
DEV='\x12\x01\x00\x02\x00\x00\x00\x08\x27\x06\x01\x00\x00\x00\x01\x02\x03\x01'
CONF='\x09\x02\x22\x00\x01\x01\x00\xa0\x32'
KBD='\x09\x04\x00\x00\x01\x03\x01\x01\x00\x09\x21\x11\x01\x00\x01\x22\x3f\x00'
STICK='\x09\x04\x01\x00\x02\x08\x06\x50\x00\x07\x05\x81\x02\x00\x02\x00'
check "usb-early: a HID keyboard is authorized at boot" "[ \"\$(early kbd 00 2 '$DEV$CONF$KBD')\" = 1 ]"
check "usb-early: a hub is authorized at boot" "[ \"\$(early hub 09 2 '$DEV$CONF')\" = 1 ]"
check "usb-early: a stick waits for airgapd" "[ \"\$(early stick 00 2 '$DEV$CONF$STICK')\" = 0 ]"
check "usb-early: a keyboard+stick waits for airgapd" \
  "[ \"\$(early combo 00 2 '$DEV$CONF$KBD$STICK')\" = 0 ]"
check "usb-early: no interface at all waits" "[ \"\$(early none 00 2 '$DEV$CONF')\" = 0 ]"
check "usb-early: once airgapd closed the hub (0) the decision is the daemon's" \
  "[ \"\$(early daemon 00 0 '$DEV$CONF$KBD')\" = 0 ]"
echo "package: $passed passed, $failed failed"
[ "$failed" = 0 ]
