//! Issue 15: the copy register under attack. Each test is the attack, run against the real
//! `airgapd service` with a loop device as the approved medium; each failed before its fix.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use airgapd::journal::MessageId;
use nix::mount::{mount, umount2, MntFlags, MsFlags};

use super::common::daemon::{id, m};
use super::common::journald::{skip_unless_root, PrivateJournald};
use super::{content, sha256, start, Bench};

/// The unprivileged user of the attacks (`nobody`).
const NOBODY: u32 = 65534;

/// A directory `nobody` owns, under /tmp (the bench's directory may not be reachable by it).
struct UserDir(PathBuf);

impl UserDir {
    fn new(tag: &str) -> UserDir {
        let dir = std::env::temp_dir().join(format!("airgapd-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        nix::unistd::chown(&dir, Some(NOBODY.into()), Some(NOBODY.into())).unwrap();
        UserDir(dir)
    }

    fn sub(&self, name: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::create_dir_all(&p).unwrap();
        nix::unistd::chown(&p, Some(NOBODY.into()), Some(NOBODY.into())).unwrap();
        p
    }
}

impl Drop for UserDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `/dev/fuse` as Debian leaves it for users (mode 0666, systemd's udev rule), in this test's
/// mount namespace only: a node of our own bind-mounted over it.
fn user_fuse(bench: &Bench) {
    let node = bench.dir.join("fuse");
    nix::sys::stat::mknod(
        &node,
        nix::sys::stat::SFlag::S_IFCHR,
        nix::sys::stat::Mode::from_bits_truncate(0o666),
        nix::sys::stat::makedev(10, 229),
    )
    .expect("mknod fuse");
    std::fs::set_permissions(&node, std::fs::Permissions::from_mode(0o666)).unwrap();
    mount(
        Some(&node),
        "/dev/fuse",
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .expect("bind-mounting a user-accessible /dev/fuse");
}

/// Number of "mounted" records of the medium `node` by the register.
fn mounted_records(j: &PrivateJournald, node: &str) -> usize {
    j.query(&[
        id(MessageId::EnforcementState),
        m("AIRGAP_DEV_NODE", node),
        m("AIRGAP_LAYER", "copy-register"),
    ])
    .len()
}

/// A FUSE filesystem of `nobody`'s own, mounted by `fusermount3` (setuid root, as any user
/// may) with the options the user chose; this test answers its requests (every one but INIT
/// with ENOSYS). Unmounted (lazily) on drop.
struct Decoy(PathBuf);

impl Decoy {
    fn mount(point: &Path, options: &str) -> Decoy {
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
        use std::os::unix::process::CommandExt;
        let (ours, theirs) = nix::sys::socket::socketpair(
            nix::sys::socket::AddressFamily::Unix,
            nix::sys::socket::SockType::Stream,
            None,
            nix::sys::socket::SockFlag::empty(),
        )
        .unwrap();
        let theirs_raw = theirs.as_raw_fd();
        // std drops supplementary groups when it sets the uid.
        let status = Command::new("fusermount3")
            .args(["-o", options, "--"])
            .arg(point)
            .env("_FUSE_COMMFD", theirs_raw.to_string())
            .uid(NOBODY)
            .gid(NOBODY)
            .status()
            .unwrap();
        assert!(status.success(), "fusermount3 -o {options}");
        drop(theirs);
        let mut byte = [0u8; 1];
        let mut iov = [std::io::IoSliceMut::new(&mut byte)];
        let mut space = nix::cmsg_space!(std::os::fd::RawFd);
        let msg = nix::sys::socket::recvmsg::<()>(
            ours.as_raw_fd(),
            &mut iov,
            Some(&mut space),
            nix::sys::socket::MsgFlags::empty(),
        )
        .unwrap();
        let fd = msg
            .cmsgs()
            .unwrap()
            .find_map(|c| match c {
                nix::sys::socket::ControlMessageOwned::ScmRights(fds) => fds.first().copied(),
                _ => None,
            })
            .expect("the /dev/fuse descriptor from fusermount3");
        // SAFETY: the descriptor was just passed to us and nothing else owns it.
        let dev = unsafe { OwnedFd::from_raw_fd(fd) };
        std::thread::spawn(move || serve(&dev));
        Decoy(point.to_path_buf())
    }
}

/// Answer FUSE requests: INIT, then ENOSYS for everything; ends when the mount goes.
fn serve(dev: &std::os::fd::OwnedFd) {
    let mut file = std::fs::File::from(dev.try_clone().unwrap());
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match std::io::Read::read(&mut file, &mut buf) {
            Ok(n) if n >= 40 => n,
            _ => return,
        };
        let opcode = u32::from_ne_bytes(buf[4..8].try_into().unwrap());
        let unique = u64::from_ne_bytes(buf[8..16].try_into().unwrap());
        let _ = n;
        let mut out = Vec::new();
        let (error, body): (i32, Vec<u8>) = match opcode {
            // FUSE_INIT: protocol 7.31, nothing optional.
            26 => {
                let mut b = Vec::new();
                for v in [7u32, 31, 0, 0] {
                    b.extend_from_slice(&v.to_ne_bytes());
                }
                b.extend_from_slice(&[0u8; 4]); // max_background, congestion_threshold
                b.extend_from_slice(&4096u32.to_ne_bytes()); // max_write
                b.extend_from_slice(&1u32.to_ne_bytes()); // time_gran
                b.resize(64, 0);
                (0, b)
            }
            // FUSE_FORGET, FUSE_BATCH_FORGET: no reply.
            2 | 42 => continue,
            _ => (-libc::ENOSYS, Vec::new()),
        };
        out.extend_from_slice(&((16 + body.len()) as u32).to_ne_bytes());
        out.extend_from_slice(&error.to_ne_bytes());
        out.extend_from_slice(&unique.to_ne_bytes());
        out.extend_from_slice(&body);
        if std::io::Write::write_all(&mut file, &out).is_err() {
            return;
        }
    }
}

impl Drop for Decoy {
    fn drop(&mut self) {
        let _ = Command::new("fusermount3")
            .arg("-u")
            .arg("-z")
            .arg(&self.0)
            .status();
        let _ = umount2(&self.0, MntFlags::MNT_DETACH);
    }
}

/// Item 1: a user's FUSE filesystem named after the medium's device (`-o fsname=/dev/loopN`)
/// and a root tmpfs "mounted from" it do not pass for the medium: after the medium is
/// unmounted and mounted again (as a desktop does), a copy to it is recorded, and nothing
/// written to the decoys is recorded as the medium's.
#[test]
fn issue15_a_decoy_named_after_the_medium_does_not_blind_the_register() {
    if skip_unless_root() {
        return;
    }
    let (mut j, d, mut bench, stick, _) = start("regdecoy", "REGDECOY", false);
    user_fuse(&bench);
    let user = UserDir::new("regdecoy");
    let point = user.sub("decoy");
    let decoy = Decoy::mount(&point, &format!("fsname={}", stick.path));
    let mountinfo = std::fs::read_to_string("/proc/thread-self/mountinfo").unwrap();
    assert!(
        mountinfo
            .lines()
            .any(|l| l.contains(&format!(" {} ", point.display()))
                && l.contains(&format!(" {} ", stick.path))),
        "the user's decoy is not mounted:\n{mountinfo}"
    );
    let tmpfs = user.sub("tmpfs");
    mount(
        Some(stick.path.as_str()),
        &tmpfs,
        Some("tmpfs"),
        MsFlags::empty(),
        None::<&str>,
    )
    .expect("tmpfs from the device");

    // The medium leaves and comes back, as a desktop unmounts and mounts it.
    let before = mounted_records(&j, &stick.path);
    umount2(&bench.mnt, MntFlags::empty()).expect("unmounting the medium");
    bench.mounted = false;
    bench.mount(&stick);
    j.wait_until("the medium's second mount announced", |j| {
        (mounted_records(j, &stick.path) > before).then_some(())
    });

    let secret = content(15, 4096);
    let internal = bench.internal("secret.bin", &secret);
    let (pid, err) = d.victim(
        &format!("exec cp {internal} {}", bench.on("secret.bin")),
        false,
    );
    assert_eq!(err, "");
    let e = bench.record("/secret.bin", "created", Some(&sha256(&secret)));
    assert_eq!((e.pid, e.comm.as_str()), (pid, "cp"), "{e:?}");

    // What goes to the tmpfs is not the medium's.
    d.victim(&format!("echo x > {}/tmpfs.txt", tmpfs.display()), false);
    let marker = content(16, 100);
    let internal = bench.internal("marker.bin", &marker);
    d.victim(
        &format!("exec cp {internal} {}", bench.on("marker.bin")),
        false,
    );
    bench.record("/marker.bin", "created", None);
    let all = airgapd::register::file::read(&bench.register).unwrap();
    assert!(
        !all.iter().any(|e| e.document.contains("tmpfs.txt")),
        "{all:#?}"
    );
    drop(decoy);
    let _ = umount2(&tmpfs, MntFlags::MNT_DETACH);
}
