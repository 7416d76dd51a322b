//! Judging a block device that appeared (or changed medium): an approved medium gets the access
//! its `[[media]]` entry grants, anything else stays refused. Internal disks never come here:
//! the plan already covers them.

use super::reason::ReasonRef;
use std::path::{Path, PathBuf};

use airgapd_policy::{Access, Policy};

use super::block::BlockDevice;
use super::fsprobe::Filesystem;
use super::identity::DeviceIdentity;
use super::usb_class::{classify, UsbCategory};
use super::DeviceError;
use crate::maps::DevAccess;

/// What to do with a block device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// An approved medium: grant `access`, by the entry named `rule`.
    Approved {
        /// The `[[media]]` entry's name.
        rule: String,
        /// Read, or read and write.
        access: DevAccess,
    },
    /// Not approved: stays refused. `reason` is for the person at the keyboard.
    Refused {
        /// Plain words.
        reason: String,
        /// The same, for the translation catalogs.
        reason_ref: ReasonRef,
    },
}

/// A judged block device.
#[derive(Debug, Clone)]
pub struct Judgement {
    /// Who it is.
    pub identity: DeviceIdentity,
    /// The device node.
    pub node: PathBuf,
    /// The decision.
    pub verdict: Verdict,
}

/// Judge a block device from what its probe read (`fs`; None: no known filesystem, or the
/// medium could not be read). The probe itself runs elsewhere, with a deadline (`prober`).
pub fn judge(
    block: &BlockDevice,
    dev_dir: &Path,
    fs: Option<Filesystem>,
    policy: &Policy,
) -> Result<Judgement, DeviceError> {
    let usb = block.usb_parent()?;
    let node = dev_dir.join(&block.name);
    let identity = DeviceIdentity::from_block(block, usb.as_ref(), None).with_filesystem(
        fs.as_ref().and_then(|f| f.uuid.clone()),
        fs.and_then(|f| f.label),
    );

    // A "stick" that is also something else (a keyboard, a network adapter) is refused whole,
    // whatever identity it claims: vendor, product and serial can be copied.
    if let Some(usb) = &usb {
        let others: Vec<_> = classify(usb)
            .categories()
            .into_iter()
            .filter(|c| !matches!(c, UsbCategory::Storage | UsbCategory::Hub))
            .collect();
        if !others.is_empty() {
            let reason = format!(
                "refused: this storage device also presents itself as {others:?}; such devices \
                 are not allowed on this drafting PC"
            );
            return Ok(Judgement {
                identity,
                node,
                verdict: Verdict::Refused {
                    reason,
                    reason_ref: ReasonRef::new("block-storage-and-more")
                        .categories("others", &others),
                },
            });
        }
    }

    let verdict = match policy.find_media(&identity.media_identity()) {
        Some(media) => Verdict::Approved {
            rule: media.name.clone(),
            access: match media.access {
                Access::ReadOnly => DevAccess::READ,
                Access::ReadWrite => DevAccess::READ_WRITE,
            },
        },
        None => Verdict::Refused {
            reason: "refused: this storage device is not an approved medium issued by the \
                     cipher authority; only registered media may be used on this drafting PC. \
                     Hand it to the security officer."
                .into(),
            reason_ref: ReasonRef::new("block-not-approved"),
        },
    };
    Ok(Judgement {
        identity,
        node,
        verdict,
    })
}
