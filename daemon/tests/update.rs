//! Issue 6: policy updates on approved media. Real ed25519 keys and signatures made with
//! ssh-keygen, real files in temporary directories laid out like `/etc/airgapd` (never the
//! real one): every refusal says which it is and changes nothing; a good update installs file,
//! signature and counter; the counter outlives the process; an update killed after each step
//! leaves the old or the new policy, which the daemon's checks accept; and once end to end with
//! a running `airgapd service`, its journal and D-Bus.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use airgapd::journal::{MessageId, Sink};
use airgapd::update::{self, Applied, Layout, SerialState, Step, UpdateError};
use common::daemon::{entry, id, m, text, write_policy, Daemon};
use common::dbus_harness::{run_as, BusPolicy, TestBus, User};
use common::journald::{skip_unless_root, PrivateJournald};

const SSH_KEYGEN: &str = "/usr/bin/ssh-keygen";
const CTL: &str = env!("CARGO_BIN_EXE_airgapctl");

fn policy(serial: u64, loopback: bool) -> String {
    format!("[meta]\nid = \"update-test\"\nserial = {serial}\n[network]\nloopback = {loopback}\n")
}

/// A machine's `/etc/airgapd` (`etc/`), a medium (`media/`) and the office's keys (`keys/`):
/// `office` is trusted, `stranger` is not. Removed on drop.
struct Fixture {
    dir: PathBuf,
    layout: Layout,
    owned: bool,
}

impl Fixture {
    /// A machine with policy serial 1 installed by hand and no update applied yet.
    fn new(tag: &str) -> Fixture {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("update-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["etc/trusted-keys", "media", "keys"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let fx = Fixture::at(&dir, &dir.join("etc/policy.toml"), true);
        std::fs::set_permissions(&fx.layout.trusted_keys, mode(0o755)).unwrap();
        for name in ["office", "stranger"] {
            keygen(&fx.key(name));
        }
        fx.trust("office");
        write_policy(&fx.layout.policy, &policy(1, false));
        fx
    }

    /// The fixture in `dir` for the policy file `policy`.
    fn at(dir: &Path, policy: &Path, owned: bool) -> Fixture {
        Fixture {
            dir: dir.to_path_buf(),
            layout: Layout::for_policy(policy),
            owned,
        }
    }

    fn key(&self, name: &str) -> PathBuf {
        self.dir.join("keys").join(name)
    }

    /// Installs `keys/NAME.pub` as a trusted key, as the sysadmin does.
    fn trust(&self, name: &str) {
        let installed = self.layout.trusted_keys.join(format!("{name}.pub"));
        std::fs::copy(self.key(&format!("{name}.pub")), &installed).unwrap();
        std::fs::set_permissions(&installed, mode(0o644)).unwrap();
    }

    /// Writes `media/NAME` and, if `signer` is given, signs it as the office does.
    fn offer(&self, name: &str, text: impl AsRef<[u8]>, signer: Option<&str>) -> PathBuf {
        let file = self.dir.join("media").join(name);
        std::fs::write(&file, text).unwrap();
        let _ = std::fs::remove_file(update::signature_path(&file));
        if let Some(signer) = signer {
            sign(&file, &self.key(signer), update::NAMESPACE);
        }
        file
    }

    fn apply(&self, file: &Path) -> Result<Applied, UpdateError> {
        update::apply(&self.layout, file, &Sink::Stderr)
    }

    fn target(&self) -> String {
        std::fs::read_to_string(&self.layout.policy).unwrap()
    }

    fn state(&self) -> Option<SerialState> {
        SerialState::read(&self.layout.serial).unwrap()
    }

    /// Every file under `etc/` with its owner, mode and contents.
    fn snapshot(&self) -> BTreeMap<PathBuf, (u32, u32, Vec<u8>)> {
        let mut all = BTreeMap::new();
        let mut dirs = vec![self.dir.join("etc")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let meta = std::fs::symlink_metadata(&path).unwrap();
                if meta.is_dir() {
                    dirs.push(path.clone());
                }
                let bytes = if meta.is_file() {
                    std::fs::read(&path).unwrap()
                } else {
                    Vec::new()
                };
                all.insert(path, (meta.uid(), meta.mode(), bytes));
            }
        }
        all
    }

    /// Applies `file`, expects a refusal of `kind` that changed nothing; returns the message.
    fn refused(&self, file: &Path, kind: &str) -> String {
        let before = self.snapshot();
        let err = self.apply(file).expect_err("the update must be refused");
        assert_eq!(err.kind(), kind, "{err}");
        assert_eq!(
            self.snapshot(),
            before,
            "a refused update changed files: {err}"
        );
        err.to_string()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if self.owned {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn mode(bits: u32) -> std::fs::Permissions {
    std::fs::Permissions::from_mode(bits)
}

fn keygen(path: &Path) {
    let ok = Command::new(SSH_KEYGEN)
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "test key", "-f"])
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "ssh-keygen -t ed25519 failed");
}

fn sign(file: &Path, key: &Path, namespace: &str) {
    let out = Command::new(SSH_KEYGEN)
        .args(["-Y", "sign", "-f"])
        .arg(key)
        .args(["-n", namespace])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `SHA256:...` of a public key file.
fn fingerprint(public: &Path) -> String {
    let out = Command::new(SSH_KEYGEN)
        .arg("-lf")
        .arg(public)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_whitespace().nth(1).unwrap().to_string()
}

#[test]
fn signed_update_installs_file_signature_and_counter() {
    if skip_unless_root() {
        return;
    }
    let fx = Fixture::new("ok");
    let file = fx.offer("policy.toml", policy(2, true), Some("office"));
    let applied = fx.apply(&file).unwrap();
    assert_eq!(applied.serial, 2);
    assert_eq!(applied.signer.principal, "office");
    assert_eq!(
        applied.signer.fingerprint,
        fingerprint(&fx.key("office.pub"))
    );
    assert_eq!(applied.previous.as_ref().map(|p| p.serial), Some(1));
    assert!(!applied.reapplied);

    assert_eq!(fx.target(), policy(2, true));
    assert_eq!(
        std::fs::read(fx.layout.signature()).unwrap(),
        std::fs::read(update::signature_path(&file)).unwrap()
    );
    for installed in [&fx.layout.policy, &fx.layout.signature(), &fx.layout.serial] {
        let meta = std::fs::metadata(installed).unwrap();
        assert_eq!(
            (meta.uid(), meta.mode() & 0o7777),
            (0, 0o644),
            "{installed:?}"
        );
    }
    let state = fx.state().unwrap();
    assert_eq!(
        (state.serial, state.sha256.as_str()),
        (2, applied.sha256.as_str())
    );
    assert_eq!(
        state.previous_sha256, None,
        "a finished update forgets the old file"
    );
    let names: Vec<_> = std::fs::read_dir(fx.dir.join("etc"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".new")), "{names:?}");

    let loaded = airgapd_policy::load(&fx.layout.policy).unwrap().policy;
    assert_eq!(loaded.sha256(), applied.sha256);
    update::check_reload(&loaded, &fx.layout.policy).unwrap();

    // The very same file again is harmless (it completes an interrupted update).
    assert!(fx.apply(&file).unwrap().reapplied);
}

#[test]
fn policy_sign_produces_what_ssh_keygen_produces() {
    if skip_unless_root() {
        return;
    }
    let fx = Fixture::new("sign");
    let ours = fx.offer("ours.toml", policy(2, true), None);
    let out = Command::new(CTL)
        .args(["--json", "policy", "sign", "--key"])
        .arg(fx.key("office"))
        .arg(&ours)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let signed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(signed["serial"], 2, "{signed}");
    assert_eq!(signed["fingerprint"], fingerprint(&fx.key("office.pub")));
    // ed25519 signatures are deterministic: byte for byte what the standard command makes.
    let theirs = fx.offer("theirs.toml", policy(2, true), Some("office"));
    assert_eq!(
        std::fs::read(update::signature_path(&ours)).unwrap(),
        std::fs::read(update::signature_path(&theirs)).unwrap()
    );
    fx.apply(&ours).unwrap();

    // An invalid policy is not signed.
    let bad = fx.offer("bad.toml", "[network]\nloopback = maybe\n", None);
    let out = Command::new(CTL)
        .args(["policy", "sign", "--key"])
        .arg(fx.key("office"))
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.toml:2:12"));
    assert!(!update::signature_path(&bad).exists());
}

#[test]
fn unsigned_unknown_key_altered_and_truncated_are_told_apart() {
    if skip_unless_root() {
        return;
    }
    let fx = Fixture::new("sig");
    let unsigned = fx.offer("unsigned.toml", policy(2, true), None);
    let msg = fx.refused(&unsigned, "unsigned");
    assert!(msg.contains("unsigned: there is no signature"), "{msg}");

    let stranger = fx.offer("stranger.toml", policy(2, true), Some("stranger"));
    let msg = fx.refused(&stranger, "unknown-key");
    let print = fingerprint(&fx.key("stranger.pub"));
    assert!(
        msg.contains(&format!("signed by an unknown key ({print})")),
        "{msg}"
    );

    let altered = fx.offer("altered.toml", policy(2, false), Some("office"));
    std::fs::write(&altered, policy(2, true)).unwrap();
    let msg = fx.refused(&altered, "bad-signature");
    assert!(msg.contains("altered after signing"), "{msg}");

    let truncated = fx.offer("truncated.toml", policy(2, true), Some("office"));
    let text = policy(2, true);
    std::fs::write(&truncated, &text[..text.len() / 2]).unwrap();
    fx.refused(&truncated, "bad-signature");

    let other_use = fx.offer("other-use.toml", policy(2, true), None);
    sign(&other_use, &fx.key("office"), "file");
    let msg = fx.refused(&other_use, "wrong-namespace");
    assert!(msg.contains("another purpose"), "{msg}");

    let garbage = fx.offer("garbage.toml", policy(2, true), None);
    std::fs::write(update::signature_path(&garbage), "not a signature\n").unwrap();
    fx.refused(&garbage, "malformed-signature");
}

#[test]
fn lower_and_equal_serials_are_refused_and_the_counter_outlives_the_process() {
    if skip_unless_root() {
        return;
    }
    let fx = Fixture::new("serial");
    fx.apply(&fx.offer("v3.toml", policy(3, true), Some("office")))
        .unwrap();

    let older = fx.offer("v2.toml", policy(2, true), Some("office"));
    let msg = fx.refused(&older, "rollback");
    assert!(msg.contains("serial 2 is older than serial 3"), "{msg}");
    let same = fx.offer("v3-other.toml", policy(3, false), Some("office"));
    let msg = fx.refused(&same, "same-serial");
    assert!(msg.contains("serial 3 is already applied"), "{msg}");

    // A "restart": another process reads the counter from disk and refuses the same.
    let out = Command::new(CTL)
        .args([
            "--json",
            "policy",
            "apply",
            "--journal-socket",
            "/nonexistent",
            "--policy",
        ])
        .arg(&fx.layout.policy)
        .arg(&older)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["refused"], "rollback", "{report}");

    // The daemon's check on a fresh read: lower refused, equal and greater accepted.
    let check = |serial| {
        let p = airgapd_policy::parse(&policy(serial, true), None)
            .unwrap()
            .policy;
        update::check_reload(&p, &fx.layout.policy)
    };
    assert_eq!(check(2).unwrap_err().kind(), "rollback");
    check(3).unwrap();
    check(4).unwrap();

    // A policy put in place by hand with a higher serial raises the bar too.
    write_policy(&fx.layout.policy, &policy(5, true));
    fx.refused(
        &fx.offer("v4.toml", policy(4, true), Some("office")),
        "rollback",
    );
}

#[test]
fn a_damaged_counter_refuses_everything_until_repaired() {
    if skip_unless_root() {
        return;
    }
    let fx = Fixture::new("state");
    let v2 = fx.offer("v2.toml", policy(2, true), Some("office"));
    fx.apply(&v2).unwrap();
    std::fs::write(&fx.layout.serial, "serial=many\n").unwrap();
    let msg = fx.refused(
        &fx.offer("v3.toml", policy(3, true), Some("office")),
        "state",
    );
    assert!(msg.contains("anti-rollback state unusable"), "{msg}");
    let installed = airgapd_policy::load(&fx.layout.policy).unwrap().policy;
    let err = update::check_reload(&installed, &fx.layout.policy).unwrap_err();
    assert_eq!(err.kind(), "state", "the daemon fails closed too: {err}");

    // The documented repair: move it aside, apply the current signed policy again.
    std::fs::rename(&fx.layout.serial, fx.dir.join("policy-serial.damaged")).unwrap();
    assert!(fx.apply(&v2).unwrap().reapplied);
    assert_eq!(fx.state().unwrap().serial, 2);
    update::check_reload(&installed, &fx.layout.policy).unwrap();
}

#[test]
fn oversized_not_utf8_symlinked_and_invalid_files_are_refused() {
    if skip_unless_root() {
        return;
    }
    let fx = Fixture::new("shape");
    let mut big = policy(2, true);
    big.push_str(&"#".repeat(1024 * 1024));
    let msg = fx.refused(&fx.offer("big.toml", big, Some("office")), "too-large");
    assert!(msg.contains("expected at most 1048576 bytes"), "{msg}");

    let latin1 = fx.offer(
        "latin1.toml",
        b"[meta]\nserial = 2\nnote = \"caf\xe9\"\n",
        Some("office"),
    );
    let msg = fx.refused(&latin1, "not-utf8");
    assert!(
        msg.contains("latin1.toml:3:12: the file is not valid UTF-8"),
        "{msg}"
    );

    let real = fx.offer("real.toml", policy(2, true), Some("office"));
    let link = fx.dir.join("media/link.toml");
    symlink(&real, &link).unwrap();
    std::fs::copy(update::signature_path(&real), update::signature_path(&link)).unwrap();
    let msg = fx.refused(&link, "symlink");
    assert!(msg.contains("link.toml: is a symbolic link"), "{msg}");

    let sig_linked = fx.offer("sig-linked.toml", policy(2, true), None);
    symlink(
        update::signature_path(&real),
        update::signature_path(&sig_linked),
    )
    .unwrap();
    let msg = fx.refused(&sig_linked, "symlink");
    assert!(
        msg.contains("sig-linked.toml.sig: is a symbolic link"),
        "{msg}"
    );

    let invalid = fx.offer(
        "invalid.toml",
        "[meta]\nserial = 2\n[network]\nloopback = maybe\n",
        Some("office"),
    );
    let msg = fx.refused(&invalid, "invalid");
    assert!(msg.contains("invalid.toml:4:12"), "{msg}");
    let unknown_key = fx.offer(
        "typo.toml",
        "[meta]\nserial = 2\n[network]\nloopbak = true\n",
        Some("office"),
    );
    let msg = fx.refused(&unknown_key, "invalid");
    assert!(msg.contains("typo.toml:4:1: network.loopbak"), "{msg}");
}

#[test]
fn trusted_keys_only_root_may_have_written_are_used() {
    if skip_unless_root() {
        return;
    }
    let fx = Fixture::new("keys");
    let file = fx.offer("policy.toml", policy(2, true), Some("office"));
    let dir = fx.layout.trusted_keys.clone();
    let key = dir.join("office.pub");
    // Break the keys one way, expect the refusal to say so, repair.
    let refused_while = |problem: &str, break_it: &dyn Fn(), repair: &dyn Fn()| {
        break_it();
        let msg = fx.refused(&file, "untrusted-keys");
        assert!(msg.contains(problem), "{problem}: {msg}");
        repair();
    };
    let chmod = |path: &Path, bits| std::fs::set_permissions(path, mode(bits)).unwrap();
    let chown = |path: &Path, uid| std::os::unix::fs::chown(path, Some(uid), None).unwrap();
    let (stray, linked) = (dir.join("office.pub.dpkg-old"), dir.join("linked.pub"));
    let writable = "is writable by group or others";
    refused_while(writable, &|| chmod(&dir, 0o775), &|| chmod(&dir, 0o755));
    refused_while(writable, &|| chmod(&key, 0o666), &|| chmod(&key, 0o644));
    let not_root = "is owned by uid 65534";
    refused_while(not_root, &|| chown(&dir, 65534), &|| chown(&dir, 0));
    refused_while(not_root, &|| chown(&key, 65534), &|| chown(&key, 0));
    refused_while(
        "is a symbolic link",
        &|| symlink(fx.key("office.pub"), &linked).unwrap(),
        &|| std::fs::remove_file(&linked).unwrap(),
    );
    refused_while(
        "is not a public key file NAME.pub",
        &|| std::fs::write(&stray, "x").unwrap(),
        &|| std::fs::remove_file(&stray).unwrap(),
    );
    std::fs::remove_file(&key).unwrap();
    let msg = fx.refused(&file, "no-trusted-keys");
    assert!(msg.contains("no trusted key installed"), "{msg}");
    fx.trust("office");
    fx.apply(&file).unwrap();
}

#[test]
fn only_root_may_apply() {
    if skip_unless_root() {
        return;
    }
    let fx = Fixture::new("root");
    let file = fx.offer("policy.toml", policy(2, true), Some("office"));
    let before = fx.snapshot();
    // A copy nobody can run, wherever the build directory is.
    std::fs::set_permissions(&fx.dir, mode(0o755)).unwrap();
    let ctl = fx.dir.join("airgapctl");
    std::fs::copy(CTL, &ctl).unwrap();
    let mut cmd = Command::new(&ctl);
    cmd.args([
        "policy",
        "apply",
        "--journal-socket",
        "/nonexistent",
        "--policy",
    ])
    .arg(&fx.layout.policy)
    .arg(&file);
    // SAFETY: only async-signal-safe syscalls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setresgid(65534, 65534, 65534) != 0
                || libc::setresuid(65534, 65534, 65534) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    // The copy was just written: a thread of another test forking at that moment holds its
    // descriptor open for an instant, and exec then answers ETXTBSY. Wait that out.
    let mut tries = 0;
    let out = loop {
        match cmd.output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 100 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            r => break r.unwrap(),
        }
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("only root may apply a policy update"), "{err}");
    assert_eq!(fx.snapshot(), before);
}

/// Set in the environment of [`crash_child`] runs: the step to die after, and the fixture.
const CRASH_STEP: &str = "AIRGAPD_TEST_CRASH_STEP";
const CRASH_DIR: &str = "AIRGAPD_TEST_CRASH_DIR";

/// Not a test on its own: [`an_update_killed_after_any_step_leaves_old_or_new`] runs this
/// binary again with only this test and the environment above; it then applies `media/v2.toml`
/// and SIGKILLs itself right after the named step.
#[test]
fn crash_child() {
    let (Ok(step), Ok(dir)) = (std::env::var(CRASH_STEP), std::env::var(CRASH_DIR)) else {
        return;
    };
    let dir = Path::new(&dir);
    let fx = Fixture::at(dir, &dir.join("etc/policy.toml"), false);
    let file = fx.dir.join("media/v2.toml");
    let result = update::apply_with(&fx.layout, &file, &Sink::Stderr, &mut |s| {
        if format!("{s:?}") == step {
            nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL).unwrap();
        }
    });
    panic!("step {step} never came: {result:?}");
}

#[test]
fn an_update_killed_after_any_step_leaves_old_or_new() {
    if skip_unless_root() {
        return;
    }
    let old = policy(2, false);
    let new = policy(3, true);
    for (n, &step) in Step::ALL.iter().enumerate() {
        let fx = Fixture::new(&format!("crash{n}"));
        // A machine that already took one update, so the counter exists.
        fx.apply(&fx.offer("v1.toml", &old, Some("office")))
            .unwrap();
        let v2 = fx.offer("v2.toml", &new, Some("office"));

        let status = Command::new(std::env::current_exe().unwrap())
            .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(CRASH_STEP, format!("{step:?}"))
            .env(CRASH_DIR, &fx.dir)
            .status()
            .unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL), "{step:?}: {status}");

        // Old or new, whole; and the daemon's own load and check take it.
        let committed = Step::ALL
            .iter()
            .position(|&s| s == Step::PolicyInstalled)
            .unwrap();
        let expected = if n >= committed { &new } else { &old };
        assert_eq!(&fx.target(), expected, "after {step:?}");
        let loaded = airgapd_policy::load(&fx.layout.policy)
            .unwrap_or_else(|e| panic!("after {step:?}: {e}"))
            .policy;
        update::check_reload(&loaded, &fx.layout.policy)
            .unwrap_or_else(|e| panic!("after {step:?} the daemon refuses what is there: {e}"));

        // Copying the old file back is refused as soon as the new one was committed.
        if n >= committed {
            let saved = std::fs::read(&fx.layout.policy).unwrap();
            write_policy(&fx.layout.policy, &old);
            let replayed = airgapd_policy::load(&fx.layout.policy).unwrap().policy;
            let err = update::check_reload(&replayed, &fx.layout.policy).unwrap_err();
            assert_eq!(err.kind(), "rollback", "after {step:?}");
            std::fs::write(&fx.layout.policy, saved).unwrap();
        }

        // Applying the same file again completes the update.
        let applied = fx
            .apply(&v2)
            .unwrap_or_else(|e| panic!("re-applying after {step:?}: {e}"));
        assert_eq!(applied.serial, 3);
        assert_eq!(fx.target(), new);
        assert_eq!(fx.state().unwrap().serial, 3);
        assert_eq!(
            std::fs::read(fx.layout.signature()).unwrap(),
            std::fs::read(update::signature_path(&v2)).unwrap()
        );
        assert!(!update::state::staged(&fx.layout.policy).exists());
    }
}

const TCP_LOCAL: &str = "exec 3<>/dev/tcp/127.0.0.1/9";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_service_takes_the_update_over_dbus_and_refuses_a_replay() {
    if skip_unless_root() {
        return;
    }
    let bus = TestBus::start(BusPolicy::Shipped);
    let mut j = PrivateJournald::start("update-e2e");
    let mut d = Daemon::new("upde2e", j.socket(), Some(&policy(1, false)));
    d.extra_args = vec!["--bus".into(), bus.address().to_string()];
    // The office's key installed next to the daemon's policy file, and a medium.
    let fx = Fixture::at(d.policy.parent().unwrap(), &d.policy, false);
    std::fs::create_dir_all(fx.dir.join("keys")).unwrap();
    std::fs::create_dir_all(fx.dir.join("media")).unwrap();
    std::fs::create_dir_all(&fx.layout.trusted_keys).unwrap();
    std::fs::set_permissions(&fx.layout.trusted_keys, mode(0o755)).unwrap();
    keygen(&fx.key("office"));
    fx.trust("office");
    d.start();
    let (_, err) = d.victim(TCP_LOCAL, true);
    assert!(err.contains("Operation not permitted"), "serial 1: {err}");

    let v2 = fx.offer("policy.toml", policy(2, true), Some("office"));
    let journal = j.socket().display().to_string();
    let apply = |file: &Path| {
        let file = file.display().to_string();
        let target = d.policy.display().to_string();
        let journal = journal.clone();
        let address = bus.address().to_string();
        async move {
            let args = [
                "--bus-address",
                &address,
                "--json",
                "policy",
                "apply",
                "--journal-socket",
                &journal,
                "--policy",
                &target,
                &file,
            ];
            run_as(User::Root, Path::new(CTL), &args).await
        }
    };
    let ran = apply(&v2).await;
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    let report: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(report["in_force"], true, "{report}");

    // Journaled: the update with its outcome, then the daemon's load of serial 2.
    let update = entry(
        &mut j,
        &[id(MessageId::PolicyUpdate), m("AIRGAP_RESULT", "success")],
    );
    assert_eq!(text(&update, "AIRGAP_POLICY_SERIAL"), "2");
    assert_eq!(text(&update, "AIRGAP_UID"), "0");
    let said = text(&update, "MESSAGE");
    assert!(
        said.contains("signature valid, by office (SHA256:"),
        "{said}"
    );
    assert!(said.contains("old serial 1"), "{said}");
    entry(
        &mut j,
        &[id(MessageId::PolicyLoaded), m("AIRGAP_POLICY_SERIAL", 2)],
    );
    let (_, err) = d.victim(TCP_LOCAL, true);
    assert!(
        err.contains("Connection refused"),
        "serial 2 allows loopback: {err}"
    );

    let status = || async {
        let args = ["--bus-address", bus.address(), "--json", "status"];
        let ran = run_as(User::Root, Path::new(CTL), &args).await;
        serde_json::from_str::<serde_json::Value>(&ran.stdout).unwrap()["policy"]["serial"].clone()
    };
    assert_eq!(status().await, 2);
    // Provenance (issue 18): the policy in force is the signed one, and status says by whom.
    let provenance = || async {
        let args = ["--bus-address", bus.address(), "--json", "status"];
        let ran = run_as(User::Root, Path::new(CTL), &args).await;
        serde_json::from_str::<serde_json::Value>(&ran.stdout).unwrap()["policy"]["provenance"]
            .clone()
    };
    let signed = provenance().await;
    assert_eq!(
        (&signed["kind"], &signed["signer"]),
        (&"signed".into(), &"office".into()),
        "{signed}"
    );
    assert!(
        signed["fingerprint"]
            .as_str()
            .is_some_and(|f| f.starts_with("SHA256:")),
        "{signed}"
    );

    // Replaying the old file by hand and SIGHUP: refused, serial 2 stays in force.
    write_policy(&d.policy, &policy(1, false));
    d.signal(nix::sys::signal::Signal::SIGHUP);
    let rejected = entry(&mut j, &[id(MessageId::PolicyRejected)]);
    let said = text(&rejected, "MESSAGE");
    assert!(said.contains("serial 1 is older than serial 2"), "{said}");
    let (_, err) = d.victim(TCP_LOCAL, true);
    assert!(err.contains("Connection refused"), "still serial 2: {err}");
    assert_eq!(status().await, 2);

    // A refused apply is journaled as a failure, with its reason.
    let unsigned = fx.offer("unsigned.toml", policy(3, false), None);
    let ran = apply(&unsigned).await;
    assert_eq!(ran.code, 1, "{}{}", ran.stdout, ran.stderr);
    let failed = entry(
        &mut j,
        &[id(MessageId::PolicyUpdate), m("AIRGAP_RESULT", "failure")],
    );
    assert!(
        text(&failed, "MESSAGE").contains("refused (unsigned)"),
        "{failed:?}"
    );

    // Root edits the policy by hand with a higher serial: accepted (root is trusted), and the
    // machine says plainly that no signature covers it.
    write_policy(&d.policy, &policy(4, true));
    d.signal(nix::sys::signal::Signal::SIGHUP);
    entry(
        &mut j,
        &[id(MessageId::PolicyLoaded), m("AIRGAP_POLICY_SERIAL", 4)],
    );
    let edited = provenance().await;
    assert_eq!(edited["kind"], "local-edit", "{edited}");
    assert_eq!(edited["signed_serial"], 2, "{edited}");
    let vi = Command::new(CTL)
        .args(["--bus-address", bus.address(), "status"])
        .env("LC_ALL", "vi_VN.UTF-8")
        .output()
        .unwrap();
    let vi = String::from_utf8_lossy(&vi.stdout);
    let words = vi.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("SỬA TẠI MÁY"), "{vi}");
}
