#!/usr/bin/env python3
"""Seeds of the fuzz targets added for issue 16's second round (machine_record, usbguard_rules,
inspect, inspect_journal, release_order, enrol_entry), written into corpus/<target>/seed-*.
The inputs are those of the daemon's own tests (daemon/tests/inspect.rs, release.rs,
policy/tests/fixtures/usbguard), in each target's layout (daemon/src/fuzzing.rs)."""
import hashlib, json, os, struct, sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# --- machine_record: chained lines as crate::chain writes them --------------------------------
GENESIS = "0" * 64


def record(entries):
    prev, out = GENESIS, []
    for seq, e in enumerate(entries, 1):
        e = dict(seq=seq, **e)
        body = json.dumps(e, separators=(",", ":"), ensure_ascii=False)[:-1]
        prev = hashlib.sha256((prev + body).encode()).hexdigest()
        out.append(body + ',"chain":"' + prev + '"}\n')
    return out


BOOT = "0123456789abcdef0123456789abcdef"
T0 = 1700000000000000
ENTRIES = [
    dict(time_us=T0, event="start", boot_id=BOOT, pid=812, ready_after_boot_ms=4210,
         policy_id="bm-drafting", policy_serial=7, policy_sha256="ab" * 32, mode="enforcing"),
    dict(time_us=T0 + 1, event="policy", boot_id=BOOT, pid=812, policy_id="bm-drafting",
         policy_serial=8, policy_sha256="cd" * 32, signer="office (SHA256:abc)"),
    dict(time_us=T0 + 2, event="tamper", boot_id=BOOT, pid=812,
         detail="program net_create detached by pid 4242 (bpftool)"),
    dict(time_us=T0 + 3, event="summary", boot_id=BOOT, pid=812, day="2023-11-14",
         refusals={"net.create": 3, "dev.block": 1}, devices={"allowed": 2, "refused": 1}),
    dict(time_us=T0 + 4, event="lift", boot_id=BOOT, pid=900,
         detail="release order 17/QĐ-BM of 2026-12-06"),
    dict(time_us=T0 + 5, event="stop", boot_id=BOOT, pid=812),
]
lines = record(ENTRIES)
put("machine_record", "good", "".join(lines))
put("machine_record", "empty", "")
put("machine_record", "torn-tail", "".join(lines) + lines[0][:40])
put("machine_record", "altered", "".join(lines).replace('"pid":900', '"pid":901'))
put("machine_record", "removed-line", "".join(lines[:2] + lines[3:]))
put("machine_record", "no-newline", "".join(lines).rstrip("\n"))

# --- usbguard_rules -------------------------------------------------------------------------
with open(os.path.join(REPO, "policy/tests/fixtures/usbguard/all.rules"), "rb") as f:
    put("usbguard_rules", "all", f.read())
put("usbguard_rules", "small",
    'allow id 0951:1666 serial "APPROVED0001" name "DataTraveler 3.0" with-interface 08:06:50\n'
    'block id 05ac:* with-interface one-of { 03:00:01 03:01:01 }\n'
    'reject with-interface all-of { 08:*:* 03:*:* }\n'
    'allow via-port "1-2" hash "abc=" parent-hash "def="\n'
    'allow id 1234:5678 serial "\\x41\\x00B" if !rule-applied\n')
put("usbguard_rules", "malformed", 'allow id 0951:\nblock serial "unterminated\n\tallow {\n')

# --- release_order --------------------------------------------------------------------------
GOOD = ('[release]\nmachine_id = "0123456789abcdef0123456789abcdef"\norder = "17/QĐ-BM"\n'
        'date = "2026-12-06"\nwiped_by = "Nguyễn Văn A, security officer"\n'
        'statement = "The documents classified secret on this machine were removed on 2026-12-05."\n')
SEP = "\n==airgapd-fuzz-signature==\n"
applied = json.dumps(dict(order="17/QĐ-BM", date="2026-12-06", machine_id=BOOT, wiped_by="A",
                          statement="removed", sha256="0" * 64, signer="office SHA256:x",
                          applied_at_us=T0), ensure_ascii=False)
put("release_order", "good", GOOD)
put("release_order", "good-applied", GOOD + SEP + applied + "\n" + "not json\n")
put("release_order", "bad-date", GOOD.replace("2026-12-06", "6/12/2026"))
put("release_order", "extra", GOOD + "extra = 1\n[other]\nx = 2\n")

# --- enrol_entry ----------------------------------------------------------------------------
def enrol(flags, vid, pid, serial, product, asked, unread, head):
    return (bytes([flags]) + struct.pack("<HH", vid, pid) + b"\0".join(
        s.encode() for s in (serial, product, asked, unread)) + b"\0" + head)


sb_dir = os.path.join(HERE, "corpus", "superblock")
# The largest superblock seeds: whole ext, FAT and exFAT heads.
names = sorted(os.listdir(sb_dir), key=lambda n: -os.path.getsize(os.path.join(sb_dir, n)))
heads = [open(os.path.join(sb_dir, n), "rb").read() for n in names[:4]]
# And FAT and exFAT heads made here, with a label that is almost a TOML string's end.
import subprocess, tempfile
for cmd in (["mkfs.vfat", "-F", "32", "-n", 'KEY"1'], ["mkfs.vfat", "-F", "16", "-n", "DRAFTS"],
            ["mkfs.exfat", "-L", "Tai lieu"], ["mkfs.ext4", "-q", "-L", "x\\y", "-U",
                                               "0b7c1f5e-3c2a-4a53-9d7e-1c1e2d3f4a5b"]):
    with tempfile.NamedTemporaryFile(dir="/dev/shm") as img:
        img.truncate(64 << 20)
        img.flush()
        if subprocess.run(cmd + [img.name], capture_output=True).returncode == 0:
            heads.append(open(img.name, "rb").read(8192))
put("enrol_entry", "no-fs", enrol(0b111, 0x0951, 0x1666, "APPROVED0001", "DataTraveler 3.0",
                                  "/dev/sdb1", "", b""))
put("enrol_entry", "unread", enrol(0b1011, 0x0951, 0x1666, "", "", "8:17",
                                   "Operation not permitted", b""))
put("enrol_entry", "quote-serial", enrol(0b10111, 0x0951, 0x1666, 'A"\nallow_exec = true\n#',
                                         'x"]\n[[media]]', "/dev/sdb", "", b""))
put("enrol_entry", "comment-serial", enrol(0b111, 0x0951, 0x1666, 'APPROVED" #', 'Stick', "/dev/sdb", "", b""))
for i, head in enumerate(heads):
    put("enrol_entry", f"fs-{i}", enrol(0b111, 0x0781, 0x5567, f"SER{i}", "Cruzer", "/dev/sdb1",
                                        "", head))
    put("enrol_entry", f"fs-nousb-{i}", enrol(0, 0, 0, "", "", "/dev/loop0", "", head))

# --- inspect_journal: lines of journalctl -o json -------------------------------------------
B1, B2 = "a" * 32, "b" * 32
STARTED = "%032x" % 0  # replaced below by the real id when the daemon's ids are readable


def jl(t, boot, msg, **f):
    d = {"__REALTIME_TIMESTAMP": str(t), "_BOOT_ID": boot, "MESSAGE": msg}
    d.update(f)
    return json.dumps(d, ensure_ascii=False)


def k(t, boot, msg):
    return jl(t, boot, msg, _TRANSPORT="kernel")


M = 60000000
kernel_lines = [
    k(T0, B1, "Linux version 6.1.0-13-amd64"),
    k(T0 + M, B1, "usb 1-2: new high-speed USB device number 5 using xhci_hcd"),
    k(T0 + M, B1, "usb 1-2: New USB device found, idVendor=18d1, idProduct=4ee7, bcdDevice= 4.40"),
    k(T0 + M, B1, "usb 1-2: New USB device strings: Mfr=1, Product=2, SerialNumber=3"),
    k(T0 + M, B1, "usb 1-2: Product: Pixel 7"),
    k(T0 + M, B1, "usb 1-2: Manufacturer: Google"),
    k(T0 + M, B1, "usb 1-2: SerialNumber: 29031FDH2000AB"),
    k(T0 + M + 1, B1, "rndis_host 1-2:1.0 usb0: register 'rndis_host' at usb-0000:00:14.0-2, RNDIS device, 5a:2b:3c:4d:5e:6f"),
    k(T0 + 3 * M, B1, "usb 1-2: USB disconnect, device number 5"),
    k(T0 + 4 * M, B1, "usb 1-3: new high-speed USB device number 6 using xhci_hcd"),
    k(T0 + 4 * M, B1, "usb 1-3: New USB device found, idVendor=0951, idProduct=1666, bcdDevice= 1.10"),
    k(T0 + 4 * M, B1, "usb 1-3: SerialNumber: APPROVED0001"),
    k(T0 + 4 * M, B1, "usb-storage 1-3:1.0: USB Mass Storage device detected"),
    k(T0 + 4 * M, B1, "scsi host2: usb-storage 1-3:1.0"),
    k(T0 + 4 * M + 1, B1, "sd 2:0:0:0: [sdb] Attached SCSI removable disk"),
    k(T0 + 4 * M + 2, B1, "uvcvideo: Found UVC 1.00 device HD Webcam (04f2:b604)"),
    k(T0 + 4 * M + 3, B1, "input: Logitech USB Keyboard as /devices/pci0000:00/usb1/1-4/1-4:1.0/0003:046D:C31C.0001/input/input5"),
    k(T0 + 4 * M + 3, B1, "hid-generic 0003:046D:C31C.0001: input,hidraw0: USB HID v1.10 Keyboard [Logitech USB Keyboard] on usb-0000:00:14.0-4/input0"),
    k(T0 + 4 * M + 4, B1, "cdc_ether 1-5:1.0 eth1: register 'cdc_ether' at usb-0000:00:14.0-5, CDC Ethernet Device, 02:00:00:00:00:01"),
    k(T0 + 4 * M + 5, B1, "btusb 1-6:1.0: Bluetooth: hci0: ..."),
    k(T0 + 5 * M, B1, "usb 1-3: USB disconnect, device number 6"),
]
daemon_lines = [
    jl(T0 + 2 * M, B1, "<info>  [1700000120.0000] manager: NetworkManager state is now CONNECTED_GLOBAL",
       _TRANSPORT="syslog", SYSLOG_IDENTIFIER="NetworkManager"),
    jl(T0 + 2 * M, B1, "<info>  [1700000120.0000] device (wlan0): Activation: successful, device activated.",
       _TRANSPORT="syslog", SYSLOG_IDENTIFIER="NetworkManager"),
    jl(T0 + 2 * M, B1, "<info>  [1700000120.0000] dhcp4 (wlan0): state changed new lease, address=192.168.1.23",
       _TRANSPORT="syslog", SYSLOG_IDENTIFIER="NetworkManager"),
    jl(T0 + 2 * M, B2, "eth0: Gained carrier", _TRANSPORT="syslog", SYSLOG_IDENTIFIER="systemd-networkd"),
    jl(T0 + 2 * M, B2, "Contacted time server 185.125.190.56:123 (ntp.ubuntu.com).",
       _TRANSPORT="syslog", SYSLOG_IDENTIFIER="systemd-timesyncd"),
    jl(T0 + 2 * M, B2, "DHCPACK of 192.168.1.23 from 192.168.1.1", _TRANSPORT="syslog",
       SYSLOG_IDENTIFIER="dhclient"),
    jl(T0 + 2 * M, B2, "airgapd started", _TRANSPORT="journal", SYSLOG_IDENTIFIER="airgapd",
       MESSAGE_ID="@STARTED@"),
    jl(T0 + 3 * M, B2, "machine record line #6 (stop) written", _TRANSPORT="journal",
       SYSLOG_IDENTIFIER="airgapd", AIRGAP_MACHINE_RECORD_SEQ="6",
       AIRGAP_MACHINE_RECORD_CHAIN="ab" * 32),
    # journalctl's other spellings: bytes that are not UTF-8, a field given twice.
    json.dumps({"__REALTIME_TIMESTAMP": str(T0 + 6 * M), "_BOOT_ID": B2, "_TRANSPORT": "kernel",
                "MESSAGE": list(b"usb 2-1: Product: \xff\xfeStick")}),
    json.dumps({"__REALTIME_TIMESTAMP": str(T0 + 6 * M), "_BOOT_ID": B2, "_TRANSPORT": "kernel",
                "MESSAGE": ["usb 2-1: SerialNumber: A", "usb 2-1: SerialNumber: B"]}),
    json.dumps({"__REALTIME_TIMESTAMP": str(T0 + 6 * M), "_BOOT_ID": B2, "_TRANSPORT": "kernel",
                "MESSAGE": [list(b"usb 2-1: Manufacturer: \xc3"), "x"]}),
]
# airgapd's DaemonStarted id, as daemon/src/journal/ids.rs spells it.
ids = open(os.path.join(REPO, "daemon/src/journal/ids.rs")).read()
started = None
for line in ids.splitlines():
    if "DaemonStarted" in line and "0x" in line:
        started = line.split("0x")[1].split(",")[0].split(")")[0].replace("_", "").strip()
if started:
    started = started.lower().rjust(32, "0")
    daemon_lines = [l.replace("@STARTED@", started) for l in daemon_lines]
journal = "\n".join(kernel_lines + daemon_lines) + "\n"
put("inspect_journal", "kernel-usb", "\n".join(kernel_lines) + "\n")
put("inspect_journal", "daemons", "\n".join(daemon_lines) + "\n")
put("inspect_journal", "all", journal)

# --- inspect: parts (which, u16 length, contents) ---------------------------------------------
FILES = [
    "nmconnection", "nm-timestamps", "nm-bssids", "nm-lease", "interfaces", "interfaces.d",
    "networkd", "netplan", "dhclient", "apt-lists", "apt-history", "bluez", "root-known-hosts",
    "home-known-hosts", "wtmp", "policy", "machine-record",
]


def part(which, data):
    if isinstance(data, str):
        data = data.encode()
    which = FILES.index(which) if isinstance(which, str) else which
    return bytes([which]) + struct.pack("<H", len(data)) + data


def utmp(kind, line, user, host, time_us):
    r = bytearray(384)
    r[0:2] = struct.pack("<h", kind)
    r[8:8 + len(line)] = line.encode()
    r[44:44 + len(user)] = user.encode()
    r[76:76 + len(host)] = host.encode()
    r[340:344] = struct.pack("<i", time_us // 1000000)
    return bytes(r)


contents = {
    "nmconnection": "[connection]\nid=Office\nuuid=6a1e0f4c-1d5e-4b7a-9a60-0c6f5b0a2e11\ntype=wifi\n"
                    "interface-name=wlan0\ntimestamp=1700090000\n\n[wifi]\nmode=infrastructure\n"
                    "ssid=OfficeNet\n\n[wifi-security]\nkey-mgmt=wpa-psk\npsk=secret\n\n[ipv4]\nmethod=auto\n",
    "nm-timestamps": "[timestamps]\n6a1e0f4c-1d5e-4b7a-9a60-0c6f5b0a2e11=1700100000\n"
                     "deadbeef-0000-0000-0000-000000000000=1700000001\n",
    "nm-bssids": "[seen-bssids]\n6a1e0f4c-1d5e-4b7a-9a60-0c6f5b0a2e11=AA:BB:CC:00:11:22,\n",
    "nm-lease": "# This is private data. Do not parse.\nADDRESS=192.168.1.23\nNETMASK=255.255.255.0\n"
                "ROUTER=192.168.1.1\nSERVER_ADDRESS=192.168.1.1\nT1=43200\nLIFETIME=86400\n",
    "interfaces": "auto lo\niface lo inet loopback\n\nallow-hotplug eth0\niface eth0 inet dhcp\n",
    "interfaces.d": "auto wlan0\niface wlan0 inet static\n  address 10.0.0.2/24\n",
    "networkd": "[Match]\nName=en*\n\n[Network]\nDHCP=yes\n",
    "netplan": "network:\n  version: 2\n  ethernets:\n    enp3s0:\n      dhcp4: true\n"
               "  wifis:\n    wlp2s0:\n      access-points:\n        \"Cafe\": {password: x}\n",
    "dhclient": "lease {\n  interface \"eth0\";\n  fixed-address 192.168.1.23;\n  option routers 192.168.1.1;\n"
                "  renew 3 2023/11/15 10:00:00;\n  rebind 3 2023/11/15 20:00:00;\n"
                "  expire 4 2023/11/16 00:00:00;\n}\n",
    "apt-lists": "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: Debian\nSuite: stable\n"
                 "Date: Sat, 07 Oct 2023 09:31:43 UTC\n",
    "apt-history": "\nStart-Date: 2023-11-15  10:00:01\nCommandline: apt-get install curl\n"
                   "Install: curl:amd64 (7.88.1-10)\nEnd-Date: 2023-11-15  10:00:09\n",
    "bluez": "[General]\nName=Galaxy A54\nClass=0x5a020c\n\n[LinkKey]\nKey=00112233445566778899AABBCCDDEEFF\n"
             "Type=4\nPINLength=0\n",
    "root-known-hosts": "|1|abc=|def= ssh-ed25519 AAAA\n192.0.2.10 ssh-rsa AAAA\n[git.example.com]:2222 ssh-ed25519 AAAA\n",
    "home-known-hosts": "github.com,140.82.121.3 ssh-ed25519 AAAA\n",
    "wtmp": utmp(2, "~", "reboot", "6.1.0-13-amd64", T0 - 240 * 3600 * 1000000)
            + utmp(7, "pts/0", "admin", "203.0.113.7", T0 + 600000000)
            + utmp(7, "tty7", "drafter", ":0", T0 + 700000000),
    "policy": "[[media]]\nname = \"Stick 3\"\nvendor_id = \"0951\"\nproduct_id = \"1666\"\n"
              "serial = \"APPROVED0001\"\naccess = \"read-write\"\n",
    "machine-record": "".join(lines),
}
boots = json.dumps([dict(index=-1, boot_id=B1, first_entry=T0, last_entry=T0 + 5 * M),
                    dict(index=0, boot_id=B2, first_entry=T0 + 2 * M, last_entry=T0 + 6 * M)])
everything = b"".join(part(n, c) for n, c in contents.items())
everything += part(0xff, boots) + part(0xfe, journal)
put("inspect", "everything", everything)
for n, c in contents.items():
    put("inspect", n, part(n, c))
put("inspect", "journal-only", part(0xff, boots) + part(0xfe, journal))
