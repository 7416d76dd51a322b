//! Two approved media with one filesystem UUID: sticks cloned with `dd` (or made from one
//! image) are common in an office. fanotify names the filesystem of an identifier event by its
//! fsid, which ext4 derives from the UUID, so the two cannot be told apart by it: a copy to one
//! must never be recorded as a copy to the other.

use super::*;

const UUID: &str = "5e1f0000-2026-4d00-a000-0000000c1013";

fn twin(tag: &str, label: &str) -> LoopDev {
    LoopDev::with_fs(
        tag,
        8 << 20,
        &["mkfs.ext4", "-q", "-F", "-L", label, "-U", UUID],
    )
}

#[test]
fn copies_to_media_sharing_a_uuid_are_each_recorded_against_their_own() {
    if skip_unless_root() {
        return;
    }
    let mut bench = Bench::new("regtwins");
    let mut j = PrivateJournald::start("regtwins");
    let policy = format!("{}{}", policy("TWINA", false), {
        let b = policy("TWINB", false);
        // The second entry only: one [devices] table.
        b[b.find("[[media]]").unwrap()..].to_string()
    });
    let mut d = Daemon::new("regtwins", j.socket(), Some(&policy));
    d.extra_args = vec!["--register".into(), bench.register.display().to_string()];
    d.start();

    let a = twin("regtwins-a", "TWINA");
    let b = twin("regtwins-b", "TWINB");
    for stick in [&a, &b] {
        authorized(&mut j, &stick.path);
    }
    let recorded = |j: &mut PrivateJournald, node: &str| {
        let state = followed(j, node);
        assert!(
            text(&state, "MESSAGE").contains("recorded in the copy register"),
            "{state:?}"
        );
    };
    // A first, then B: B is the filesystem whose fsid was already taken.
    bench.mount(&a);
    recorded(&mut j, &a.path);
    let mnt_b = bench.dir.join("mnt-b");
    mount_ext4(&b.path, &mnt_b, MsFlags::empty(), None);
    recorded(&mut j, &b.path);

    // A FIFO closed on B first (`fifo.rs` has it on a medium followed by identifiers): the
    // open file such an event carries must stop nothing either.
    let fifo = mnt_b.join("pipe").display().to_string();
    let (_, err) = d.victim(&format!("mkfifo {fifo} && exec 3<>{fifo}"), false);
    assert_eq!(err, "");

    let one = content(11, 20 * 1024);
    let two = content(12, 30 * 1024);
    let (src_one, src_two) = (
        bench.internal("one.bin", &one),
        bench.internal("two.bin", &two),
    );
    let on_b = mnt_b.join("to-b.bin").display().to_string();
    let (_, err) = d.victim(
        &format!(
            "cp {src_one} {} && exec cp {src_two} {on_b}",
            bench.on("to-a.bin")
        ),
        false,
    );
    assert_eq!(err, "");
    // B, whose fsid A holds, is followed by its closes (as a filesystem without decodable
    // handles is): its new file is "written", not "created".
    for (document, event, bytes, stick, label) in [
        ("/to-a.bin", "created", &one, &a, "TWINA"),
        ("/to-b.bin", "written", &two, &b, "TWINB"),
    ] {
        let e = bench.record(document, event, None);
        assert_eq!(e.sha256, sha256(bytes), "{e:?}");
        assert_eq!(
            (e.device.as_str(), e.medium.as_str(), e.fs_label.as_str()),
            (
                format!("{}:{}", stick.major, stick.minor).as_str(),
                format!("Transfer stick {label}").as_str(),
                label
            ),
            "{document} recorded against the wrong medium: {e:?}"
        );
    }

    // A unmounted and B mounted again (a new filesystem instance): its fsid is nobody else's
    // now, and B is followed by identifiers, its new files "created" against it.
    umount2(&bench.mnt, MntFlags::empty()).expect("unmounting A");
    bench.mounted = false;
    umount2(&mnt_b, MntFlags::empty()).expect("unmounting B");
    mount_ext4(&b.path, &mnt_b, MsFlags::empty(), None);
    let watched = [
        id(MessageId::EnforcementState),
        m("AIRGAP_DEV_NODE", &b.path),
        m("AIRGAP_LAYER", "copy-register"),
    ];
    j.wait_until("B's second mount followed", |j| {
        (j.query(&watched).len() >= 2).then_some(())
    });
    let three = content(13, 10 * 1024);
    let src_three = bench.internal("three.bin", &three);
    let again = mnt_b.join("again.bin").display().to_string();
    let (_, err) = d.victim(&format!("exec cp {src_three} {again}"), false);
    assert_eq!(err, "");
    let e = bench.record("/again.bin", "created", None);
    assert_eq!(e.sha256, sha256(&three), "{e:?}");
    assert_eq!(e.device, format!("{}:{}", b.major, b.minor), "{e:?}");
    let _ = umount2(&mnt_b, MntFlags::MNT_DETACH);
}
