//! A FIFO on a medium: a user who may write a folder of it makes one and closes it after
//! opening it for reading and writing, which fanotify reports as a close after writing. The
//! register must neither record it as a copy nor wait on it.

use super::*;

#[test]
fn a_fifo_on_a_medium_does_not_stop_the_register() {
    if skip_unless_root() {
        return;
    }
    let (_j, d, bench, stick, _) = start("regfifo", "REGFIFO", false);
    // Any user who may write a folder of the medium: a FIFO opened for reading and writing
    // (opened so, it never waits) and closed is a close after writing, as far as fanotify
    // says. The worker opened it to hash it and waited for a writer that never came: nothing
    // more was recorded.
    let dir = bench.mnt.join("drop");
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
    let fifo = dir.join("pipe").display().to_string();
    let (_, err) = d.victim(
        &format!(
            "exec setpriv --reuid=65534 --regid=65534 --clear-groups \
             bash -c 'mkfifo {fifo} && exec 3<>{fifo}'"
        ),
        false,
    );
    assert_eq!(err, "");
    let doc = content(23, 16 * 1024);
    let src = bench.internal("after.bin", &doc);
    let (pid, err) = d.victim(&format!("exec cp {src} {}", bench.on("after.bin")), false);
    assert_eq!(err, "");
    let e = bench.record("/after.bin", "created", None);
    check(&e, "created", &sha256(&doc), doc.len(), pid, "cp");
    assert_eq!(e.device, format!("{}:{}", stick.major, stick.minor));

    // The FIFO used as one (a reader waiting for a writer): the daemon's groups that are asked
    // about opens on the medium (the open gate, the register's pacing) get a descriptor of
    // what is opened; theirs must not wait for a writer either.
    let t = Instant::now();
    let (_, err) = d.victim(
        &format!(
            "timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
             bash -c 'echo through > {fifo} & read line < {fifo}; wait; \
             test \"$line\" = through' || echo \"the FIFO's use failed: exit $?\" >&2"
        ),
        false,
    );
    assert_eq!(
        err,
        "",
        "the FIFO's reader and writer after {:?}",
        t.elapsed()
    );
    let more = content(24, 8 * 1024);
    let src = bench.internal("later.bin", &more);
    let (_, err) = d.victim(&format!("exec cp {src} {}", bench.on("later.bin")), false);
    assert_eq!(err, "");
    let e = bench.record("/later.bin", "created", None);
    assert_eq!(e.sha256, sha256(&more), "{e:?}");
}
