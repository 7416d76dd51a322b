//! Fixture PCs for the report tests (report.rs, report_merge.rs): a root with a machine-id,
//! a host name, a policy with a serial, optionally a NetworkManager profile (a "found"
//! finding), and a machine record written by the library; its own machine key; reports made
//! by the real airgapctl.

#![allow(dead_code)]

pub mod log_host;

use std::path::{Path, PathBuf};
use std::process::Command;

pub const CTL: &str = env!("CARGO_BIN_EXE_airgapctl");
/// 2023-11-14 22:13:20 UTC, 2023-11-15 05:13:20 at +0700.
pub const T0: u64 = 1_700_000_000_000_000;
pub const MINUTE: u64 = 60_000_000;
/// Hanoi's zone as a POSIX TZ string (no tzdata needed): +0700.
pub const HANOI: &str = "ICT-7";

/// What a fixture PC is.
pub struct Spec {
    pub machine_id: String,
    pub hostname: String,
    pub policy_serial: u64,
    /// A Wi-Fi profile: the finding "network" answers found.
    pub network: bool,
    /// Machine record lines to write first.
    pub records: u64,
    /// Told apart in the record's lines, so two PCs' chains differ.
    pub pid: u32,
}

pub struct Pc {
    pub dir: PathBuf,
    /// The machine record's head, as the library appended it: `machine-record:SEQ:CHAIN`.
    pub head: String,
    /// Its chain alone.
    pub chain: String,
    next: u64,
    pid: u32,
}

impl Pc {
    /// A PC under `CARGO_TARGET_TMPDIR/name-PID`.
    pub fn new(name: &str, spec: &Spec) -> Pc {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let root = dir.join("root");
        let nm = root.join("etc/NetworkManager/system-connections");
        std::fs::create_dir_all(&nm).unwrap();
        std::fs::create_dir_all(root.join("etc/airgapd")).unwrap();
        std::fs::write(
            root.join("etc/machine-id"),
            format!("{}\n", spec.machine_id),
        )
        .unwrap();
        std::fs::write(root.join("etc/hostname"), format!("{}\n", spec.hostname)).unwrap();
        std::fs::write(
            root.join("etc/airgapd/policy.toml"),
            format!(
                "[meta]\nid = \"office\"\nserial = {}\n\n[network]\nprofile = \"standalone\"\n\
                 loopback = true\n\n[devices]\nloop = \"internal\"\n",
                spec.policy_serial
            ),
        )
        .unwrap();
        if spec.network {
            std::fs::write(
                nm.join("Office.nmconnection"),
                "[connection]\nid=Văn phòng\ntype=wifi\ntimestamp=1700000600\n[wifi]\nssid=VanPhong\n",
            )
            .unwrap();
        }
        let mut pc = Pc {
            dir,
            head: String::new(),
            chain: String::new(),
            next: 0,
            pid: spec.pid,
        };
        pc.append(spec.records);
        pc
    }

    pub fn root(&self) -> PathBuf {
        self.dir.join("root")
    }

    pub fn key(&self) -> PathBuf {
        self.dir.join("keys/machine-key")
    }

    pub fn public_key(&self) -> PathBuf {
        self.dir.join("keys/machine-key.pub")
    }

    /// `count` more machine record lines, as the daemon writes them.
    pub fn append(&mut self, count: u64) {
        let record = self.root().join("var/lib/airgapd/machine-record.jsonl");
        for _ in 0..count {
            let i = self.next;
            self.next += 1;
            let mut e = airgapd::machine_record::Entry {
                time_us: T0 + i * MINUTE,
                event: if i.is_multiple_of(2) { "start" } else { "stop" }.into(),
                boot_id: "11111111111111111111111111111111".into(),
                pid: self.pid,
                ..Default::default()
            };
            let (seq, chain) = airgapd::chain::append_locked(&record, &mut e).unwrap();
            self.head = format!("machine-record:{seq}:{chain}");
            self.chain = chain;
        }
    }

    /// A daily summary line at `time_us` with refusal counts, as the daemon writes them.
    pub fn summary(&mut self, time_us: u64, refusals: &[(&str, u64)]) {
        let record = self.root().join("var/lib/airgapd/machine-record.jsonl");
        let mut e = airgapd::machine_record::Entry {
            time_us,
            event: "summary".into(),
            boot_id: "11111111111111111111111111111111".into(),
            pid: self.pid,
            day: Some("2023-11-15".into()),
            refusals: Some(refusals.iter().map(|(k, n)| (k.to_string(), *n)).collect()),
            ..Default::default()
        };
        let (seq, chain) = airgapd::chain::append_locked(&record, &mut e).unwrap();
        self.head = format!("machine-record:{seq}:{chain}");
        self.chain = chain;
    }

    /// `airgapctl report` into `out` in `lang` with `extra` arguments, made in Hanoi's zone.
    pub fn make(&self, out: &Path, lang: &str, extra: &[&str]) {
        let (code, stdout, stderr) = run(Command::new(CTL)
            .arg("report")
            .arg("--root")
            .arg(self.root())
            .arg("--out")
            .arg(out)
            .arg("--machine-key")
            .arg(self.key())
            .args(["--lang", lang, "--officer", "Nguyễn Văn A"])
            .args(["--officer", "Trần Thị Bích", "--seal", "NP-0042"])
            .args(["--agency", "Phòng An ninh", "--room", "Phòng 301"])
            .args(extra)
            .env("TZ", HANOI));
        assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    }
}

impl Drop for Pc {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// (exit code, stdout, stderr), the lines airgapctl wrapped for the screen joined again.
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.env("LC_ALL", "C.UTF-8").output().unwrap();
    let text = |b: &[u8]| {
        let t = String::from_utf8_lossy(b);
        t.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// The three files of the report in `from`, copied into `to`.
pub fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for f in ["report.json", "report.html", "report.pdf", "report.sig"] {
        std::fs::copy(from.join(f), to.join(f)).unwrap();
    }
}

/// Replace the first `from` in `file` with `to`.
pub fn change(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{}: no {from:?}", file.display());
    std::fs::write(file, text.replacen(from, to, 1)).unwrap();
}
