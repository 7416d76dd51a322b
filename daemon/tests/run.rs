//! Issue 3: `airgapd run` as a person uses it: the refusal line, the command's exit status, and
//! cleanup (cgroup gone) after the command is killed and after Ctrl-C.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const AIRGAPD: &str = env!("CARGO_BIN_EXE_airgapd");

fn root() -> bool {
    let ok = nix::unistd::geteuid().is_root();
    if !ok {
        eprintln!("skipped: airgapd run needs root");
    }
    ok
}

/// The cgroup an `airgapd run` with this pid makes.
fn scope_of(pid: u32) -> PathBuf {
    airgapd::scope::cgroup2_root()
        .unwrap()
        .join(format!("airgapd-run-{pid}-0"))
}

#[test]
fn prints_each_refusal_and_exits_with_the_commands_status() {
    if !root() {
        return;
    }
    let out = Command::new(AIRGAPD)
        .env("LC_ALL", "C.UTF-8")
        .args(["run", "--new-netns", "--", "bash", "-c"])
        .arg("(exec 3<>/dev/tcp/93.184.216.34/443); exit 7")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{err}");
    assert!(
        err.contains("airgapd: Refused a connection to 93.184.216.34:443 by bash (process "),
        "{err}"
    );
    assert!(err.contains(", uid 0)."), "{err}");
}

#[test]
fn cleans_up_when_the_command_is_killed() {
    if !root() {
        return;
    }
    let child = Command::new(AIRGAPD)
        .args(["run", "--", "sh", "-c", "kill -9 $$"])
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(128 + 9));
    assert!(!scope_of(pid).exists(), "cgroup left behind");
}

#[test]
fn cleans_up_after_ctrl_c() {
    if !root() {
        return;
    }
    let mut cmd = Command::new(AIRGAPD);
    cmd.args(["run", "--", "sleep", "30"]).stderr(Stdio::null());
    // Its own process group, like a job in a terminal, so "Ctrl-C" reaches airgapd and sleep.
    // SAFETY: setpgid is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setpgid(0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let pid = child.id();
    let procs = scope_of(pid).join("cgroup.procs");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&procs)
        .map(|p| p.trim().is_empty())
        .unwrap_or(true)
    {
        assert!(
            Instant::now() < deadline,
            "the command never started in its cgroup"
        );
        // No sleep: the signal goes as soon as the child is in the scope, perhaps before it
        // is the command (a Ctrl-C then was swallowed by airgapd's own handler in the child).
        std::thread::yield_now();
    }
    // SAFETY: SIGINT to the process group of the child we started.
    unsafe { libc::kill(-(pid as libc::pid_t), libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(128 + 2),
        "exit status of a command ended by SIGINT"
    );
    assert!(!scope_of(pid).exists(), "cgroup left behind");
}

/// Issue 16 (5): `--policy FILE` with parts a cgroup scope cannot apply names each of them.
#[test]
fn names_each_part_of_the_policy_it_does_not_apply() {
    if !root() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("airgapd-run-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("policy.toml");
    std::fs::write(
        &policy,
        "[[media]]\nname = \"Stick\"\nvendor_id = \"0781\"\nproduct_id = \"5581\"\n\
         serial = \"4C530001\"\naccess = \"read-only\"\n[usb]\nprinters = \"deny\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&policy, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let out = Command::new(AIRGAPD)
        .args(["run", "--policy"])
        .arg(&policy)
        .args(["--", "true"])
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    for part in [
        "[[media]] entries are not applied",
        "[usb] part is not applied",
        "radio",
    ] {
        assert!(err.contains(part), "{part:?} not named: {err}");
    }
}
