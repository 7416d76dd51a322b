#!/usr/bin/env bash
# Fetch QEMU 10 (qemu-system-x86 from bookworm-backports) into a cache folder without installing
# it. Why not bookworm's 7.2: its multi-threaded TCG now and then runs stale guest code after
# the kernel patches its own text (tests/vm/README, scenario 19: a vCPU looping on an int3 that
# is no longer in memory, the guest silent). Why not installed: the host's apt sources need not
# list backports, and nothing on the host changes. apt runs with a private source list (the
# host's Debian suites plus bookworm-backports) and private lists, against the host's dpkg
# status, so it names only what the host lacks; those packages are fetched with
# `apt-get download` and unpacked with `dpkg-deb -x`; run.sh runs the binary with
# LD_LIBRARY_PATH pointing into the prefix (lib/ and usr/lib/).
#
# usage: qemu.sh CACHE_DIR   → prints the prefix (CACHE_DIR/qemu-<hash>) on the last line
set -euo pipefail
cache=$(realpath -m "$1") # apt reads its options relative to /etc/apt
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
mkdir -p "$work/lists/partial" "$work/apt-cache/archives/partial" "$work/debs" "$work/parts"
chmod 0755 "$work/lists" "$work/apt-cache" "$work/debs"
mirror=http://deb.debian.org/debian
cat > "$work/sources.list" <<LIST
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
deb $mirror bookworm-backports main
LIST
apt=(apt-get -q -o DPkg::Lock::Timeout=300
  -o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts="$work/parts"
  -o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/apt-cache")
"${apt[@]}" update >&2
# The package list: what a real install would bring in (simulated, so nothing changes here).
mapfile -t pkgs < <("${apt[@]}" install -s --no-install-recommends -t bookworm-backports \
  qemu-system-x86 | awk '$1 == "Inst" { print $2 "=" substr($3, 2) }')
if ! printf '%s\n' "${pkgs[@]}" | grep -q '^qemu-system-x86=1:10\.'; then
  echo "qemu.sh: bookworm-backports offers no qemu-system-x86 10 (got: ${pkgs[*]})" >&2
  exit 1
fi
(cd "$work/debs" && "${apt[@]}" download "${pkgs[@]}" >&2)
mkdir -p "$work/root"
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
LD_LIBRARY_PATH="$work/root/lib/x86_64-linux-gnu:$work/root/usr/lib/x86_64-linux-gnu" \
  "$work/root/usr/bin/qemu-system-x86_64" --version >&2
rm -rf "$prefix"
mv "$work/root" "$prefix"
echo "$prefix"
