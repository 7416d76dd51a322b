#!/usr/bin/env bash
# Install what building and testing airgapd needs on Debian 12, and nothing if it is all there.
# Rust itself is not installed here: Debian 12's rustc is too old; use the machine's rustup
# toolchain (1.87 or newer).
set -euo pipefail

packages=(
  clang-19 llvm-19 libclang1-19 libbpf-dev linux-libc-dev bpftool # BPF programs, bindgen
  iproute2 procps util-linux e2fsprogs dosfstools                 # namespaces, veths, loop media
  systemd locales                                                 # private journald, catalog, vi_VN
  systemd-journal-remote sqlite3 zbar-tools                       # inspect: journal files from export format, browser history; seal-journal: QR read back
  swtpm swtpm-tools                                               # machine record: a software TPM (issue 19)
  dbus-daemon                                                     # private system bus for D-Bus tests
  openssh-client groff-base python3                              # signed updates, man pages, packaging
  fuse3                                                           # a user's FUSE decoy (register tests)
  btrfs-progs                                                     # media whose filesystem has no shutdown, anonymous st_dev (premount)
  dunst xvfb x11-apps imagemagick fonts-dejavu-core              # airgapd-notify test: notices, screenshot
  chromium poppler-utils                                          # report test: the page printed by headless Chromium to PDF/PNG, pdftotext/pdfinfo read it
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -q
  apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}"
fi
command -v cargo >/dev/null || {
  echo "cargo not found: install a Rust toolchain (1.87 or newer) with rustup first" >&2
  exit 1
}
