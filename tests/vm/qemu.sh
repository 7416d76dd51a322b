#!/usr/bin/env bash
# Fetch bookworm's QEMU (qemu-system-x86 7.2) into a cache folder without installing it: the
# host's backported qemu-utils conflicts with it, so `apt-get install` would remove it. The
# packages apt would install are downloaded with `apt-get download` and unpacked with
# `dpkg-deb -x`; run.sh runs the binary with LD_LIBRARY_PATH pointing into the prefix (lib/ and usr/lib/).
#
# usage: qemu.sh CACHE_DIR   → prints the prefix (CACHE_DIR/qemu-<hash>) on the last line
set -euo pipefail
cache=$1
key=$(sha256sum "$0" | cut -c1-12)
prefix="$cache/qemu-$key"
if [ -x "$prefix/usr/bin/qemu-system-x86_64" ]; then
  echo "$prefix"
  exit 0
fi
mkdir -p "$cache"
work=$(mktemp -d "$cache/qemu-tmp.XXXXXX")
chmod 0755 "$work" # apt downloads as the _apt user
trap 'rm -rf "$work"' EXIT
apt=(apt-get -o DPkg::Lock::Timeout=300)
# The package list: what a real install would bring in (simulated, so nothing changes here).
mapfile -t pkgs < <("${apt[@]}" install -s --no-install-recommends qemu-system-x86 | awk '$1 == "Inst" { print $2 }')
if ! printf '%s\n' "${pkgs[@]}" | grep -qx qemu-system-x86; then
  # An older list may not know the package yet.
  "${apt[@]}" update -q >&2
  mapfile -t pkgs < <("${apt[@]}" install -s --no-install-recommends qemu-system-x86 | awk '$1 == "Inst" { print $2 }')
fi
(cd "$work" && "${apt[@]}" download "${pkgs[@]}" >&2)
mkdir -p "$work/root"
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
LD_LIBRARY_PATH="$work/root/lib/x86_64-linux-gnu:$work/root/usr/lib/x86_64-linux-gnu" \
  "$work/root/usr/bin/qemu-system-x86_64" --version >&2
rm -rf "$prefix"
mv "$work/root" "$prefix"
echo "$prefix"
