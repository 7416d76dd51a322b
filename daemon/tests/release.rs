//! Issue 14, release orders: a signed order for this machine lifts a (scoped) installation and
//! is recorded; an order for another machine, a replayed one, an unsigned one, an altered one,
//! one signed by an unknown key and a signed policy passed off as an order are refused, and
//! enforcement stays.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use airgapd::journal::MessageId;
use common::daemon::{entry, id, m, text, Daemon};
use common::journald::{skip_unless_root, PrivateJournald};
use nix::sys::signal::Signal;

const CTL: &str = env!("CARGO_BIN_EXE_airgapctl");
const SSH_KEYGEN: &str = "/usr/bin/ssh-keygen";
const STRICT: &str = "[meta]\nid = \"release-test\"\nserial = 1\n[network]\nloopback = false\n";
const THIS: &str = "0123456789abcdef0123456789abcdef";
const OTHER: &str = "fedcba9876543210fedcba9876543210";

fn order(machine: &str, number: &str) -> String {
    format!(
        "[release]\nmachine_id = \"{machine}\"\norder = \"{number}\"\ndate = \"2026-12-06\"\n\
         wiped_by = \"Nguyễn Văn A, security officer\"\n\
         statement = \"The secret documents on this machine were removed on 2026-12-05.\"\n"
    )
}

fn keygen(path: &Path) {
    let ok = Command::new(SSH_KEYGEN)
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "test key", "-f"])
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

fn sign(file: &Path, key: &Path, namespace: &str) {
    let _ = std::fs::remove_file(format!("{}.sig", file.display()));
    let ok = Command::new(SSH_KEYGEN)
        .args(["-q", "-Y", "sign", "-f"])
        .arg(key)
        .args(["-n", namespace])
        .arg(file)
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

struct Fx {
    dir: PathBuf,
}

impl Fx {
    fn new() -> Fx {
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("release-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["trusted-keys", "keys", "media"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        std::fs::set_permissions(
            dir.join("trusted-keys"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        keygen(&dir.join("keys/office"));
        keygen(&dir.join("keys/stranger"));
        let trusted = dir.join("trusted-keys/office.pub");
        std::fs::copy(dir.join("keys/office.pub"), &trusted).unwrap();
        std::fs::set_permissions(&trusted, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::write(dir.join("machine-id"), format!("{THIS}\n")).unwrap();
        Fx { dir }
    }

    fn offer(&self, name: &str, text: &str, signer: Option<(&str, &str)>) -> PathBuf {
        let file = self.dir.join("media").join(name);
        std::fs::write(&file, text).unwrap();
        if let Some((key, namespace)) = signer {
            sign(&file, &self.dir.join("keys").join(key), namespace);
        }
        file
    }

    fn apply(&self, d: &Daemon, file: &Path) -> (i32, String) {
        let out = Command::new(CTL)
            .args(["release", "apply"])
            .arg(file)
            .arg("--pin-dir")
            .arg(&d.pin_dir)
            .arg("--record")
            .arg(&d.record)
            .arg("--journal-socket")
            .arg(&d.journal)
            .arg("--trusted-keys")
            .arg(self.dir.join("trusted-keys"))
            .arg("--machine-id")
            .arg(self.dir.join("machine-id"))
            .arg("--orders")
            .arg(self.dir.join("release-orders.jsonl"))
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Fx {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn refused_and_enforcing(d: &Daemon, fx: &Fx, file: &Path, why: &str) {
    let (code, err) = fx.apply(d, file);
    assert_eq!(code, 1, "{err}");
    // airgapctl wraps its messages to 80 columns (issue 18): compare the words.
    let flat = err.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(why), "want {why:?}: {err}");
    assert!(d.pin_dir.join("link_airgap_dev").exists(), "{err}");
    let (_, victim) = d.victim("exec 3<>/dev/tcp/127.0.0.1/9", true);
    assert!(victim.contains("Operation not permitted"), "{victim}");
}

#[test]
fn a_signed_order_for_this_machine_lifts_once_and_nothing_else_does() {
    if skip_unless_root() {
        return;
    }
    let mut j = PrivateJournald::start("release");
    let mut d = Daemon::new("release", j.socket(), Some(STRICT));
    d.start();
    let fx = Fx::new();
    let ns = "airgapd-release";

    // While the service runs, even a good order does not lift (it says how to stop it).
    let good = fx.offer("good.toml", &order(THIS, "17/QĐ-BM"), Some(("office", ns)));
    refused_and_enforcing(&d, &fx, &good, "stop it first");
    d.signal(Signal::SIGTERM);
    d.wait();

    let other = fx.offer(
        "other.toml",
        &order(OTHER, "18/QĐ-BM"),
        Some(("office", ns)),
    );
    refused_and_enforcing(&d, &fx, &other, "is for machine fedcba98");
    let unsigned = fx.offer("unsigned.toml", &order(THIS, "19/QĐ-BM"), None);
    refused_and_enforcing(&d, &fx, &unsigned, "unsigned");
    let stranger = fx.offer(
        "stranger.toml",
        &order(THIS, "20/QĐ-BM"),
        Some(("stranger", ns)),
    );
    refused_and_enforcing(&d, &fx, &stranger, "(unknown-key)");
    let policy_ns = fx.offer(
        "as-policy.toml",
        &order(THIS, "21/QĐ-BM"),
        Some(("office", "airgapd-policy")),
    );
    refused_and_enforcing(&d, &fx, &policy_ns, "release order refused");
    let altered = fx.offer(
        "altered.toml",
        &order(THIS, "22/QĐ-BM"),
        Some(("office", ns)),
    );
    std::fs::write(
        &altered,
        order(THIS, "22/QĐ-BM").replace("2026-12-06", "2026-12-07"),
    )
    .unwrap();
    refused_and_enforcing(&d, &fx, &altered, "release order refused");
    let refusals = j.query(&[id(MessageId::ReleaseOrder), m("AIRGAP_RESULT", "failure")]);
    assert!(refusals.len() >= 6, "{refusals:?}");

    // The good one lifts; the alert names the order, who wiped, and what was removed.
    let (code, err) = fx.apply(&d, &good);
    assert_eq!(code, 0, "{err}");
    let alert = entry(&mut j, &[id(MessageId::EnforcementLifted)]);
    let message = text(&alert, "MESSAGE");
    assert!(
        message.contains("release order 17/QĐ-BM of 2026-12-06"),
        "{message}"
    );
    assert!(message.contains("Nguyễn Văn A"), "{message}");
    assert!(message.contains("11 links"), "{message}");
    let (_, victim) = d.victim("exec 3<>/dev/tcp/127.0.0.1/9", true);
    assert!(!victim.contains("Operation not permitted"), "{victim}");
    let applied = std::fs::read_to_string(fx.dir.join("release-orders.jsonl")).unwrap();
    assert!(applied.contains("17/QĐ-BM"), "{applied}");

    // Enforce again; the same order is refused (replayed).
    d.start();
    d.signal(Signal::SIGTERM);
    d.wait();
    refused_and_enforcing(&d, &fx, &good, "was applied before");
}
