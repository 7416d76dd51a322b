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
  usr/share/fish/vendor_completions.d/airgapctl.fish \
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
check "the policy is a conffile" "grep -qx /etc/airgapd/policy.toml '$dir/DEBIAN/conffiles'"
check "the default policy is valid" "'$dir/root/usr/bin/airgapctl' policy check '$dir/root/etc/airgapd/policy.toml' >/dev/null"
check "the reference policy is valid" "'$dir/root/usr/bin/airgapctl' policy check '$dir/root/usr/share/doc/airgapd/policy.toml' >/dev/null"
for m in man8/airgapd.8 man1/airgapctl.1 man1/airgapd-notify.1 man5/airgapd.policy.5; do
  check "man page $m renders without warnings" \
    "[ -z \"\$(zcat '$dir/root/usr/share/man/$m.gz' | groff -man -Tutf8 -ww -z 2>&1)\" ]"
done
check "depends only on what a desktop has" \
  "dpkg-deb -f '$deb' Depends | grep -qx 'libc6 (>= 2.34), systemd, dbus, openssh-client'"
check "removal keeps policy and state" "! grep -q 'rm -rf' <(sed -n '/purge/,\$!p' '$dir/DEBIAN/postrm')"
check "the binaries need no library beyond libc" \
  "! ldd '$dir/root/usr/sbin/airgapd' | grep -v -E 'linux-vdso|libc.so|libm.so|libgcc_s|ld-linux|libpthread|libdl|librt' | grep -q ."
echo "package: $passed passed, $failed failed"
[ "$failed" = 0 ]
