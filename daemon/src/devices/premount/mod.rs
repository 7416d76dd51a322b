//! Refused media mounted before the daemon started (issue 15 item 7).
//!
//! An fstab line or a desktop automount can mount a stick before `airgapd.service` runs. The
//! device rule refuses new opens of the block device, but the filesystem already holds it:
//! without more, every user reads and writes its files, unrecorded. At start, once every
//! present medium has been judged (so an approved medium, or a daemon restart with one
//! mounted, is never touched), the daemon finds each mount of a medium it refuses, in every
//! mount namespace ([`walk`]), and for each such filesystem:
//!
//! 1. refuses every open and read of its files while the daemon runs ([`deny`]): through any
//!    mount, a working directory, a directory descriptor, or a descriptor opened before;
//! 2. shuts the filesystem down where the kernel can (`FS_IOC_SHUTDOWN`: ext4, XFS, exFAT),
//!    without flushing what is cached: reads, writes and new mappings through descriptors
//!    opened before the start fail too, and nothing more is written to the medium; where the
//!    filesystem has no shutdown (FAT, btrfs here), its disk is cut off instead ([`cut`]: a
//!    SCSI disk deleted, a loop device moved past its image's end), with the same effect;
//! 3. detaches every mount of it in every namespace it may change (`MNT_DETACH`): the files
//!    disappear from every path, and the kernel lets the filesystem go once nobody uses it;
//! 4. records all of it at critical priority, naming the processes that still hold files
//!    there where the filesystem could not be shut down.
//!
//! What remains, said in the record and in `airgapctl status` (layer `premounted-media`): a
//! filesystem with no shutdown on a disk that cannot be cut off (MMC, NVMe; or another
//! partition of it not refused) keeps writing through descriptors opened for writing before
//! the start (the holders are named); pages already mapped stay readable; when the daemon stops,
//! the permission group goes with it (the mounts stay detached, the shutdown stays). A refused
//! medium that holds the machine's root, `/usr`, swap in use, a loop device's image, or the
//! daemon's own records is left usable and recorded so: taking it away would stop the machine
//! or blind the records.
//! btrfs, whose device number is anonymous, is found by the kernel's list of its devices
//! (`crate::devices::btrfs`).

mod act;
mod cut;
mod deny;
pub mod walk;

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

pub use deny::Deny;
pub use walk::{Dev, Found, ScopeView};

/// How long the daemon waits for what it does to one medium (a medium that does not answer
/// can hold a detach or a shutdown; the daemon then goes on without it).
pub const DEADLINE: Duration = Duration::from_secs(10);

/// What was done to one refused medium.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The medium and its mounts.
    pub found: Found,
    /// True when nothing of it is left usable.
    pub unusable: bool,
    /// What was done and what remains, sentence by sentence.
    pub said: Vec<String>,
}

/// Deal with each medium found (each on a thread of its own, at most [`DEADLINE`] each).
/// `keep`: files the daemon writes, whose filesystem is never taken away; `scope`: whose
/// processes still holding files there count.
pub fn deal(
    found: Vec<Found>,
    deny: Option<&Deny>,
    keep: &[PathBuf],
    scope: &ScopeView,
) -> Vec<Outcome> {
    found
        .into_iter()
        .map(|f| {
            let (tx, rx) = mpsc::channel();
            let (f2, deny, keep, scope) = (f.clone(), deny.cloned(), keep.to_vec(), scope.clone());
            let spawned = std::thread::Builder::new()
                .name("airgapd-premount-act".into())
                .spawn(move || {
                    let _ = tx.send(act_on(&f2, deny.as_ref(), &keep, &scope));
                });
            let result = match spawned {
                Ok(_) => rx.recv_timeout(DEADLINE).ok(),
                Err(_) => None,
            };
            let (unusable, said) = result.unwrap_or_else(|| {
                (
                    false,
                    vec![format!(
                        "what the daemon did to it did not finish within {} s (the medium does \
                         not answer); it may still be usable",
                        DEADLINE.as_secs()
                    )],
                )
            });
            Outcome {
                found: f,
                unusable,
                said,
            }
        })
        .collect()
}

fn act_on(
    found: &Found,
    deny: Option<&Deny>,
    keep: &[PathBuf],
    scope: &ScopeView,
) -> (bool, Vec<String>) {
    let (dev, fs) = (found.dev, found.fs);
    if let Some(why) = act::essential(fs, keep).or_else(|| act::swap_on(dev)) {
        return (
            false,
            vec![format!(
                "left mounted and usable: {why}, and taking it away would stop the machine \
                 or its records"
            )],
        );
    }
    let mut said = Vec::new();
    let mut unusable = true;
    let mut shut = false;
    let ours = || found.places.iter().filter(|p| p.ours);
    match ours().find_map(|p| act::open_fs(p, fs).ok()) {
        Some(fd) => {
            match deny.map(|d| d.mark(&fd, dev)) {
                Some(Ok(())) => said
                    .push("every open and read of its files is refused while airgapd runs".into()),
                Some(Err(e)) => {
                    unusable = false;
                    said.push(format!(
                        "opens and reads of its files could not be refused ({e})"
                    ));
                }
                None => {
                    unusable = false;
                    said.push(
                        "opens and reads of its files are not refused (no permission group)".into(),
                    );
                }
            }
            if found.all_ours() {
                match act::shutdown(&fd) {
                    Ok(true) => {
                        shut = true;
                        said.push(
                            "its filesystem was shut down: files opened before fail too, and \
                             nothing more is written to it"
                                .into(),
                        );
                    }
                    Ok(false) => said.push("its filesystem has no shutdown (FAT, btrfs)".into()),
                    Err(e) => said.push(format!("its filesystem could not be shut down ({e})")),
                }
                if !shut {
                    // Below the filesystem, then: its disk refuses every further I/O.
                    let spared = |d: Dev| {
                        if found.spared.contains(&d) {
                            return Some("is not refused".to_string());
                        }
                        act::essential(d, keep).or_else(|| act::swap_on(d))
                    };
                    match cut::cut(dev, &fd, spared) {
                        Ok(done) => {
                            shut = true;
                            said.push(done);
                        }
                        Err(e) => said.push(format!(
                            "its disk could not be cut off ({e}): descriptors opened for \
                             writing before the start still write"
                        )),
                    }
                }
            } else {
                said.push(
                    "its filesystem was not shut down: it is also mounted where this daemon's \
                     scope does not reach"
                        .into(),
                );
            }
        }
        None => {
            unusable = false;
            said.push("none of its mounts could be opened: opens and reads are not refused".into());
        }
    }
    let (mut detached, mut kept) = (Vec::new(), Vec::new());
    // Last listed first: a mount stacked inside another goes before its parent.
    for p in ours().rev() {
        match act::detach(p) {
            Ok(act::Detach::Done | act::Detach::Gone) => detached.push(p.label()),
            Ok(act::Detach::Covered { top }) => {
                kept.push(format!("{} (covered by mount {top})", p.label()))
            }
            Err(e) => {
                unusable = false;
                kept.push(format!("{} ({e})", p.label()));
            }
        }
    }
    if !detached.is_empty() {
        said.push(format!("detached: {}", detached.join(", ")));
    }
    if !kept.is_empty() {
        said.push(format!("not detached: {}", kept.join(", ")));
    }
    let elsewhere: Vec<String> = found
        .places
        .iter()
        .filter(|p| !p.ours)
        .map(|p| p.label())
        .collect();
    if !elsewhere.is_empty() {
        said.push(format!(
            "left alone outside this daemon's scope: {}",
            elsewhere.join(", ")
        ));
    }
    if !shut {
        let holders = act::holders(fs, scope);
        if !holders.is_empty() {
            unusable = false;
            said.push(format!(
                "still held by: {} (what they opened before stays open)",
                holders.join(", ")
            ));
        }
    }
    (unusable, said)
}
