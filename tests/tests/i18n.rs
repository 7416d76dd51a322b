//! airgapctl in the reader's language (issue 18): every command under `LANG=vi_VN.UTF-8` speaks
//! Vietnamese and under `LANG=en_US.UTF-8` English, and no line is wider than 80 columns. The
//! daemon's interface is served on a real dbus-daemon with the shipped bus policy (as in
//! `dbus.rs`); the copy register is a real register file.
//!
//! Needs root (clients also run as uid 65534) and `dbus-daemon` on PATH.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use std::time::{Duration, UNIX_EPOCH};
use tokio::io::AsyncBufReadExt;

use airgapd::bpf::{Layer, LayerState};
use airgapd::dbus::{serve, ReloadError, Server};
use airgapd::devices::reason::ReasonRef;
use airgapd::i18n::width;
use airgapd::register::entry::{direction, event, Entry};
use airgapd::register::file::RegisterFile;
use airgapd::state::{DeviceRecord, PolicyInfo, Shared, State};
use airgapd::violation::{Kind, Violation};
use airgapd_tests::dbus_harness::{BusPolicy, TestBus, DEADLINE, NOBODY};
use airgapd_tests::require_root;

/// A device's reason, as the daemon gives it (in English: see the test).
const REASON: &str = "refused: this is a memory stick or disk (vendor 0781, product 5581, \
                      serial 4C530001230925117332) that is not on the list of approved media";
const VI: &str = "vi_VN.UTF-8";
const EN: &str = "en_US.UTF-8";
/// 2026-11-24 12:00 UTC: the 24th in every time zone.
const T0: u64 = 1_795_521_600;

fn refusal(kind: Kind, pid: u32, addr: Option<IpAddr>, device: Option<(u32, u32)>) -> Violation {
    Violation {
        tid: pid,
        pid,
        // nobody: an account every Debian machine has, so its name is known here.
        uid: 65534,
        gid: 65534,
        comm: "soffice.bin".into(),
        cgroup_id: 42,
        family: libc::AF_INET as u16,
        sock_type: libc::SOCK_STREAM as u16,
        protocol: 6,
        addr,
        port: if addr.is_some() { 443 } else { 0 },
        device,
        access: if device.is_some() {
            airgapd_ebpf::abi::AIRGAP_ACC_READ as u16
        } else {
            0
        },
        ..Violation::of(kind, UNIX_EPOCH + Duration::from_secs(T0))
    }
}

/// A state with long names and reasons, so that wrapping is exercised.
fn state() -> Shared {
    let mut s = State::new("enforcing".into(), 100);
    s.layers = vec![
        (Layer::CgroupNetwork, LayerState::Active),
        (Layer::Devices, LayerState::Active),
    ];
    s.policy = PolicyInfo {
        id: "so-tu-phap-2026".into(),
        serial: 7,
        sha256: "a".repeat(64),
        path: "/nonexistent/policy.toml".into(),
        builtin: false,
        fallback_reason: String::new(),
    };
    s.devices = vec![DeviceRecord {
        node: "/dev/sdb".into(),
        devnum: "8:16".into(),
        kind: "usb".into(),
        vendor_id: "0781".into(),
        product_id: "5581".into(),
        serial: "4C530001230925117332".into(),
        model: "SanDisk Ultra USB 3.0 Flash Drive of an unusually long model name".into(),
        decision: "refused".into(),
        rule: "default".into(),
        reason: REASON.into(),
        // Issue 18: the reason travels as a catalog key too, and is read in the reader's
        // language.
        reason_ref: ReasonRef::new("usb-storage-not-approved")
            .arg("vendor", "0781")
            .arg("product", "5581")
            .arg("serial", "4C530001230925117332")
            .encode(),
        since_us: T0 * 1_000_000,
        ..DeviceRecord::default()
    }];
    // A stick that was refused and left half an hour later (issue 18: times, present/removed).
    s.devices.push(DeviceRecord {
        node: "/dev/bus/usb/001/007".into(),
        kind: "usb".into(),
        vendor_id: "0951".into(),
        product_id: "1666".into(),
        model: "DataTraveler 3.0".into(),
        decision: "departed".into(),
        was: "refused".into(),
        rule: "default".into(),
        reason: "was refused; left at 2026-11-24 12:30:00 UTC".into(),
        since_us: T0 * 1_000_000,
        left_us: (T0 + 1800) * 1_000_000,
        ..DeviceRecord::default()
    });
    let v4 = IpAddr::V4(Ipv4Addr::new(93, 184, 216, 34));
    s.push_violation(refusal(Kind::NetConnect, 4242, Some(v4), None), 0);
    // Named by the daemon from its device table (issue 18), not by 8:16 alone.
    s.push_violation_named(
        refusal(Kind::DevBlock, 4300, None, Some((8, 16))),
        999,
        "/dev/sdb SanDisk Ultra 4C530001".into(),
    );
    s.shared()
}

fn reloader() -> impl Fn() -> std::future::Ready<Result<PolicyInfo, ReloadError>> + Send + Sync {
    || std::future::ready(Err("not used by these tests".into()))
}

/// A register with a copy onto a medium, a read from it and a note.
fn register(dir: &Path) -> PathBuf {
    let path = dir.join("register.jsonl");
    let (mut file, _) = RegisterFile::open(&path).unwrap();
    let base = Entry {
        time_us: T0 * 1_000_000,
        copies: 1,
        uid: Some(1000),
        user: "chuyenvien".into(),
        comm: "cp".into(),
        medium: "USB Văn phòng 3".into(),
        serial: "S3".into(),
        device: "8:16".into(),
        result: "success".into(),
        size: Some(123_456),
        sha256: "ab".repeat(32),
        ..Entry::default()
    };
    for mut e in [
        Entry {
            event: event::CREATED.into(),
            direction: direction::TO_MEDIUM.into(),
            document: "/Báo cáo tổng kết công tác bảo vệ bí mật nhà nước năm 2026.odt".into(),
            ..base.clone()
        },
        Entry {
            event: event::READ.into(),
            direction: direction::FROM_MEDIUM.into(),
            document: "/Công văn đến số 12.pdf".into(),
            ..base.clone()
        },
    ] {
        file.append(&mut e).unwrap();
    }
    file.sync().unwrap();
    path
}

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Run airgapctl under `LANG=lang` (no LC_ALL, no LC_MESSAGES), as root or as nobody.
async fn ctl(lang: &str, nobody: bool, program: &Path, args: &[&str]) -> Ran {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANGUAGE")
        .env("LANG", lang)
        .env("TZ", "Asia/Ho_Chi_Minh")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if nobody {
        // SAFETY: only async-signal-safe syscalls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setresgid(NOBODY, NOBODY, NOBODY) != 0
                    || libc::setresuid(NOBODY, NOBODY, NOBODY) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let out = tokio::time::timeout(DEADLINE, cmd.output())
        .await
        .expect("airgapctl within the deadline")
        .expect("running airgapctl");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// One command: its output in each language must hold the expected words, none of the other
/// language's, and fit 80 columns.
struct Case {
    args: Vec<String>,
    nobody: bool,
    code: i32,
    vi: &'static [&'static str],
    en: &'static [&'static str],
    /// Fits 80 columns (CSV is for a spreadsheet, not a screen).
    screen: bool,
}

fn case(args: &[&str], vi: &'static [&'static str], en: &'static [&'static str]) -> Case {
    Case {
        args: args.iter().map(|a| a.to_string()).collect(),
        nobody: false,
        code: 0,
        vi,
        en,
        screen: true,
    }
}

struct Served {
    bus: TestBus,
    server: Server,
    dir: PathBuf,
}

async fn served(name: &str) -> Served {
    require_root();
    let bus = TestBus::start(BusPolicy::Shipped);
    let server = tokio::time::timeout(DEADLINE, serve(&bus.bus(), state(), reloader()))
        .await
        .expect("serve within the deadline")
        .unwrap_or_else(|e| panic!("serving: {e}; dbus-daemon log: {}", bus.log()));
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("i18n-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Served { bus, server, dir }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_speaks_the_readers_language_in_80_columns() {
    let s = served("commands").await;
    let reg = register(&s.dir);
    let reg = reg.to_str().unwrap();
    let reference = concat!(env!("CARGO_MANIFEST_DIR"), "/../packaging/policy.toml");
    // Issue 18: the sysadmin's tools too. A USBGuard rules file with one storage rule and one
    // that names no interface, and a malformed one.
    let rules = s.dir.join("rules.conf");
    std::fs::write(
        &rules,
        "allow id 0951:1666 serial \"AA01\" with-interface equals { 08:06:50 }\n\
         allow id 1234:5678\n",
    )
    .unwrap();
    let rules = rules.to_str().unwrap();
    let bad_rules = s.dir.join("bad.conf");
    std::fs::write(&bad_rules, "allow id 0951:zz\n").unwrap();
    let bad_rules = bad_rules.to_str().unwrap();
    let imported = s.dir.join("imported.toml");
    let imported = imported.to_str().unwrap();
    let mut cases = vec![
        case(
            &["devices"],
            &[
                "BỊ CHẶN",
                "thiết bị USB",
                "Số sê-ri: 4C530001230925117332",
                "Lý do: từ chối: đây là thẻ nhớ hoặc ổ đĩa (hãng 0781, sản phẩm 5581,",
                "không có trong danh sách vật mang tin được phê duyệt",
                "Đang cắm từ 24/11/2026 19:00:00 +0700",
                "ĐÃ RÚT RA /dev/bus/usb/001/007",
                "Đã cắm từ 24/11/2026 19:00:00 +0700 đến 24/11/2026 19:30:00 +0700",
                "Quyết định khi còn cắm: BỊ CHẶN",
            ],
            &[
                "REFUSED",
                "USB device",
                "Serial number: 4C530001230925117332",
                "Why: refused: this is a memory stick or disk (vendor 0781, product 5581,",
                "that is not on the list of approved media",
                "Present since 2026-11-24 19:00:00 +0700",
                "REMOVED /dev/bus/usb/001/007",
                "Present from 2026-11-24 19:00:00 +0700 to 2026-11-24 19:30:00 +0700",
                "Decision while present: REFUSED",
            ],
        ),
        case(
            &["violations"],
            &[
                "24/11/2026",
                "Đã chặn soffice.bin (tiến trình 4242, người dùng nobody, uid 65534) kết nối tới 93.184.216.34:443",
                "truy cập thiết bị lưu trữ /dev/sdb SanDisk Ultra 4C530001 (8:16)",
                "và 999 lần khác giống vậy",
            ],
            &[
                "2026-11-24",
                "Refused a connection to 93.184.216.34:443 by soffice.bin",
                "(and 999 more like it)",
                "/dev/sdb SanDisk Ultra 4C530001 (8:16)",
            ],
        ),
        case(
            &["violations", "--since", "99"],
            &["Không có lần chặn nào sau #99."],
            &["No refusals recorded after #99."],
        ),
        case(
            &["policy", "show"],
            &[
                "Chính sách đang áp dụng: \"so-tu-phap-2026\", số hiệu 7",
                "Không đọc được tệp",
            ],
            &[
                "Policy in force: \"so-tu-phap-2026\", serial 7",
                "cannot be read",
            ],
        ),
        case(
            &["status"],
            &[
                "CÁCH LY MẠNG: CÓ.",
                "Các lớp bảo vệ:",
                "Số lần chặn từ khi khởi động:",
                "Đã chặn soffice.bin",
            ],
            &[
                "AIR-GAPPED: YES.",
                "Protection layers:",
                "Refusals since start:",
                "Refused a connection",
            ],
        ),
        case(
            &["policy", "check", reference],
            &["hợp lệ (số hiệu"],
            &["valid (serial"],
        ),
        case(
            &["media", "list", "--policy", reference],
            &[
                "Incoming documents stick no. 7 (cipher authority): chỉ đọc",
                "số sê-ri EXAMPLE0000000000000000007",
                "nhãn hệ thống tệp bất kỳ",
            ],
            &[
                "Incoming documents stick no. 7 (cipher authority): read only",
                "serial EXAMPLE0000000000000000007",
                "filesystem label any",
            ],
        ),
        case(
            &["doctor"],
            &["cgroup v2", "đã gắn"],
            &["cgroup v2", "mounted"],
        ),
        case(
            &["register", "--file", reg],
            &[
                "24/11/2026",
                "tạo mới vào \"USB Văn phòng 3\"",
                "đọc từ \"USB Văn phòng 3\"",
                "123456 byte, sha256",
                "người sao: chuyenvien (uid 1000), cp",
            ],
            &[
                "2026-11-24",
                "created onto \"USB Văn phòng 3\"",
                "read from \"USB Văn phòng 3\"",
                "123456 bytes, sha256",
                "by chuyenvien (uid 1000), cp",
            ],
        ),
        case(
            &["register", "--since", "25/11/2026", "--file", reg],
            &["Không có lần sao chép nào khớp điều kiện."],
            &["No copies recorded that match."],
        ),
        case(
            &["register", "verify", "--file", reg],
            &["nguyên vẹn, 2 bản ghi"],
            &["intact, 2 records"],
        ),
        Case {
            screen: false,
            ..case(
                &["register", "--csv", "--file", reg],
                &[
                    "Số TT,Ngày,Tên tài liệu,Độ mật,Số bản,Người duyệt,Người sao,Nơi nhận,",
                    "1,24/11/2026 19:00:00 +0700,",
                    "USB Văn phòng 3 (số sê-ri S3),vào thiết bị,",
                    ",thành công,",
                ],
                &[
                    "No.,Date,Document,Secrecy level,Copies,Approved by,Copied by,Medium,",
                    "1,2026-11-24 19:00:00 +0700,",
                    "USB Văn phòng 3 (serial S3),to medium,",
                    ",success,",
                ],
            )
        },
        Case {
            code: 2,
            ..case(
                &["violations", "--kind", "bogus"],
                &["loại \"bogus\" không có"],
                &["unknown kind \"bogus\""],
            )
        },
        Case {
            nobody: true,
            code: 4,
            ..case(
                &["release", "apply", "/nonexistent/order"],
                &["chỉ root mới được áp dụng lệnh giải tỏa: hãy chạy lệnh với sudo"],
                &["only root may apply a release order: run it with sudo"],
            )
        },
        Case {
            code: 1,
            ..case(
                &["release", "sign", "--key", "/nonexistent/key", "/nonexistent/order"],
                &["không đọc được /nonexistent/order"],
                &["cannot read /nonexistent/order"],
            )
        },
        Case {
            code: 1,
            ..case(
                &["media", "enroll", "/dev/null"],
                &["/dev/null không phải thiết bị khối cũng không phải thiết bị USB"],
                &["/dev/null is neither a block device nor a USB device"],
            )
        },
        Case {
            code: 1,
            ..case(
                &["media", "enroll", "/nonexistent/sdz"],
                &["không mở được /nonexistent/sdz"],
                &["cannot open /nonexistent/sdz"],
            )
        },
        case(
            &["policy", "import-usbguard", "--out", imported, rules],
            &[
                "đã đọc 2 quy tắc, đã nhập 1 mục, 1 cấu trúc không áp dụng",
                ":2:1: không áp dụng:",
            ],
            &[
                "2 rules read, 1 entry imported, 1 construct not honoured",
                ":2:1: not honoured:",
            ],
        ),
        Case {
            code: 1,
            ..case(
                &["policy", "import-usbguard", bad_rules],
                &["1 quy tắc sai cú pháp; USBGuard sẽ từ chối tệp này; chưa ghi gì"],
                &["1 malformed rule; USBGuard would refuse this file; nothing written"],
            )
        },
        Case {
            nobody: true,
            code: 4,
            ..case(
                &["policy", "reload"],
                &["bị từ chối: chỉ root mới được nạp lại chính sách"],
                &["access denied: only root may reload the policy"],
            )
        },
    ];
    // English words that must never reach a Vietnamese reader, and the other way round.
    let english = [
        "Refused",
        "refused",
        "Policy",
        "serial",
        "records",
        "Why:",
        "access denied",
    ];
    let vietnamese = ["Đã chặn", "chính sách", "bản ghi", "Lý do", "bị từ chối"];
    let mut failures = Vec::new();
    for c in cases.drain(..) {
        for (lang, want, foreign) in [(VI, c.vi, &english[..]), (EN, c.en, &vietnamese[..])] {
            let mut args = vec!["--bus-address", s.bus.address()];
            args.extend(c.args.iter().map(String::as_str));
            let ran = ctl(lang, c.nobody, s.bus.airgapctl(), &args).await;
            let all = format!("{}{}", ran.stdout, ran.stderr);
            let flat = all.split_whitespace().collect::<Vec<_>>().join(" ");
            let what = format!("LANG={lang} airgapctl {}", c.args.join(" "));
            if ran.code != c.code {
                failures.push(format!(
                    "{what}: exit {} (want {}):\n{all}",
                    ran.code, c.code
                ));
            }
            for w in want {
                if !flat.contains(w) {
                    failures.push(format!("{what}: lacks {w:?}:\n{all}"));
                }
            }
            // The device's reason is the daemon's, read from the catalogs by its key (issue
            // 18): no exemption for it.
            let words = &flat;
            // status names kernel objects and the layers' technical details in English.
            if !c
                .args
                .iter()
                .any(|a| a == "check" || a == "show" || a == "status")
            {
                for w in foreign {
                    if words.contains(w) {
                        failures.push(format!("{what}: has {w:?} of the other language:\n{all}"));
                    }
                }
            }
            if c.screen {
                for line in all.lines().filter(|l| width(l) > 80) {
                    failures.push(format!("{what}: {} columns: {line}", width(line)));
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&s.dir);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_streams_decisions_in_the_readers_language() {
    let s = served("watch").await;
    let mut child = tokio::process::Command::new(s.bus.airgapctl())
        .args(["--bus-address", s.bus.address(), "watch"])
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", VI)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("starting airgapctl watch");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    macro_rules! next {
        () => {
            tokio::time::timeout(DEADLINE, lines.next_line())
                .await
                .expect("a line within the deadline")
                .expect("reading airgapctl watch")
                .expect("airgapctl watch still running")
        };
    }
    // It says it watches once its signal matches are registered.
    assert_eq!(
        next!(),
        "Đang theo dõi các quyết định của airgapd (Ctrl-C để dừng)."
    );
    let device = state().read().unwrap().devices[0].clone();
    let record = state().read().unwrap().violations_after(0, 1)[0].clone();
    s.server.device_decision(&device).await.unwrap();
    s.server.violation(&record).await.unwrap();
    s.server.device_removed(&device).await.unwrap();
    let mut text = Vec::new();
    loop {
        let line = next!();
        text.push(line);
        let flat = text.join(" ");
        if ["không có trong danh sách vật mang tin", "4242", "rút ra."]
            .iter()
            .all(|w| flat.contains(w))
        {
            break;
        }
    }
    let all = text.join("\n");
    for want in [
        "BỊ CHẶN  SanDisk Ultra USB 3.0",
        "Lý do: từ chối: đây là thẻ nhớ hoặc ổ đĩa",
        "Đã chặn soffice.bin (tiến trình 4242, người dùng nobody, uid 65534)",
        "đã được rút ra.",
    ] {
        assert!(
            all.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .contains(&want.split_whitespace().collect::<Vec<_>>().join(" ")),
            "{want:?} not in:\n{all}"
        );
    }
    assert!(all.lines().all(|l| width(l) <= 80), "{all}");
}

/// `airgapd lift` in the reader's language (issue 18), without ever lifting: as nobody it is
/// refused, as root without --yes it asks for it; in 80 columns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn airgapd_lift_speaks_the_readers_language() {
    require_root();
    let program = airgapd_tests::dbus_harness::airgapd();
    let cases: [(bool, &[&str], &str, &str); 2] = [
        (
            true,
            &["lift", "--yes", "--pin-dir", "/nonexistent/pins"],
            "lỗi: chỉ root mới được gỡ bỏ việc cách ly",
            "error: only root may lift enforcement",
        ),
        (
            false,
            &["lift", "--pin-dir", "/nonexistent/pins"],
            "lỗi: gỡ bỏ việc cách ly sẽ làm máy này kết nối được với mạng; hãy chạy lại lệnh với --yes",
            "error: lifting enforcement makes this machine able to connect; repeat with --yes",
        ),
    ];
    let mut failures = Vec::new();
    for (nobody, args, vi, en) in cases {
        for (lang, want) in [(VI, vi), (EN, en)] {
            let ran = ctl(lang, nobody, program, args).await;
            let flat = ran.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
            let what = format!("LANG={lang} airgapd {}", args.join(" "));
            if ran.code != 1 || !flat.contains(want) {
                failures.push(format!(
                    "{what}: exit {}, want {want:?}:\n{}",
                    ran.code, ran.stderr
                ));
            }
            for line in ran.stderr.lines().filter(|l| width(l) > 80) {
                failures.push(format!("{what}: {} columns: {line}", width(line)));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
