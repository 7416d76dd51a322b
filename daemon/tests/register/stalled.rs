//! A medium that stops answering while the register reads it: a malicious stick decides when
//! it stalls, and a file opened and closed on it without being read is hashed by the worker,
//! which then waits for the stick. Copies to every other medium must still be recorded, and
//! without waiting for it.

use std::sync::atomic::Ordering;

use super::*;
use common::stallfs::StallFs;

#[test]
fn a_medium_that_stalls_while_hashed_does_not_blind_the_register() {
    if skip_unless_root() {
        return;
    }
    let mut bench = Bench::new("regstall");
    let mut j = PrivateJournald::start("regstall");
    let policy = "[devices]\nloop = \"removable\"\n\
        [[media]]\nname = \"Busy stick\"\nfs_label = \"REGSTALL\"\naccess = \"read-only\"\n\
        [[media]]\nname = \"Transfer stick\"\nfs_label = \"REGOTHER\"\naccess = \"read-write\"\n";
    let mut d = Daemon::new("regstall", j.socket(), Some(policy));
    d.extra_args = vec!["--register".into(), bench.register.display().to_string()];
    d.start();

    // The busy stick: ext4 with a file of 4 MiB, served by a FUSE file that stalls on demand.
    let tree = bench.dir.join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("big.bin"), content(31, 4 << 20)).unwrap();
    let image = bench.dir.join("busy.img");
    std::fs::File::create(&image)
        .unwrap()
        .set_len(8 << 20)
        .unwrap();
    let out = Command::new("mkfs.ext4")
        .args(["-q", "-F", "-L", "REGSTALL", "-d"])
        .arg(&tree)
        .arg(&image)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let busy = StallFs::serving("regstall", std::fs::read(&image).unwrap());
    authorized(&mut j, &busy.loop_path);
    mount_ext4(
        &busy.loop_path,
        &bench.mnt,
        MsFlags::MS_RDONLY,
        Some("noload"),
    );
    bench.mounted = true;
    followed(&mut j, &busy.loop_path);
    // The file's first page read while the stick answers, by a process that keeps it open a
    // second more (a `sleep` holds the descriptor); the stick stops answering meanwhile, and
    // the close is a read to record, whose whole content the worker must read.
    let big = bench.on("big.bin");
    let (_, err) = d.victim(
        &format!("exec 3<{big}; head -c 4096 <&3 >/dev/null; sleep 1 &"),
        false,
    );
    assert_eq!(err, "");
    busy.stalled.store(true, Ordering::SeqCst);
    std::thread::sleep(std::time::Duration::from_millis(1500));

    // Meanwhile a copy to another medium.
    let other = LoopDev::with_label("regstall-other", "REGOTHER");
    authorized(&mut j, &other.path);
    let mnt_other = bench.dir.join("mnt-other");
    mount_ext4(&other.path, &mnt_other, MsFlags::empty(), None);
    followed(&mut j, &other.path);
    let doc = content(32, 8 * 1024);
    let src = bench.internal("doc.bin", &doc);
    let to = mnt_other.join("doc.bin").display().to_string();
    let (pid, err) = d.victim(&format!("exec cp {src} {to}"), false);
    assert_eq!(err, "");
    let e = bench.record("/doc.bin", "created", None);
    check(&e, "created", &sha256(&doc), doc.len(), pid, "cp");
    // And the busy stick's read is recorded, without its hash, saying why.
    let read = bench.record("/big.bin", "read", None);
    assert_eq!(read.result, "failure", "{read:?}");
    assert!(read.note.contains("stopped answering"), "{read:?}");
    assert_eq!(read.device, format!("{}:{}", busy.major, busy.minor));
    // The copy did not wait for the stalled stick: it is recorded before the stick is given
    // up on (until the evening of 2026-12-07 the worker waited the 10 s for the stick first,
    // and a power cut meanwhile lost the copy's record with the queue).
    assert!(
        e.seq < read.seq,
        "the copy to another medium (#{}) waited for the stalled stick (#{})",
        e.seq,
        read.seq
    );
    let _ = umount2(&mnt_other, MntFlags::MNT_DETACH);
    // The busy stick's connection is aborted when `busy` is dropped: its reads fail then.
}
