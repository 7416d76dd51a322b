//! The validated policy: typed, checked and normalised. This is all a consumer ever sees.

mod devices;
mod media;
mod network;
mod usb;

use std::time::Duration;

pub use devices::{Devices, LoopDevices};
pub use media::{Access, Media, MediaIdentity};
pub use network::{Lan, LogHost, Network, Profile};
pub use usb::{Capture, Decision, Usb, UsbDevice};

use crate::source::{Origin, Source};
use crate::value::Date;
use crate::warning::Warning;

/// The text [`Policy::builtin_strict`] is equivalent to, so an inspector can read what the
/// fallback enforces and its digest means something.
pub const BUILTIN_STRICT_TOML: &str = "\
# airgapd built-in strict policy: enforced when the policy file is missing or invalid.
[meta]
id = \"airgapd-builtin-strict\"
note = \"Fallback: no network, no removable media, no printers, no capture devices.\"

[network]
profile = \"standalone\"
loopback = false

[usb]
printers = \"deny\"
";

/// A policy that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Who issued the policy, and its anti-rollback serial.
    pub meta: Meta,
    /// Network stance.
    pub network: Network,
    /// Block device classification.
    pub devices: Devices,
    /// Approved media, in file order.
    pub media: Vec<Media>,
    /// USB device classes and allowed devices.
    pub usb: Usb,
    /// Cameras, microphones, radios.
    pub capture: Capture,
    /// Violation logging limits.
    pub logging: Logging,
    /// What stands between programs on removable media and running.
    pub exec: Exec,
    /// Where the policy came from.
    pub source: Source,
}

/// A valid policy and the warnings it raised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The policy.
    pub policy: Policy,
    /// Weaknesses worth reporting; the policy is enforced regardless.
    pub warnings: Vec<Warning>,
}

/// `[meta]`: identification of the policy document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    /// Identifier, `[A-Za-z0-9._-]{1,128}`.
    pub id: Option<String>,
    /// Anti-rollback counter: the daemon refuses a policy older than the one in force.
    pub serial: u64,
    /// Who issued it.
    pub issuer: Option<String>,
    /// When it was issued.
    pub issued: Option<Date>,
    /// Free text.
    pub note: Option<String>,
}

/// `[exec]`: machine-wide settings that keep programs on removable media from running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exec {
    /// Whether users without privileges may create user namespaces (default false). On kernels
    /// without BPF LSM a user namespace is how an unprivileged user takes `noexec` off a mount
    /// of their own; turning them off also stops rootless containers, Flatpak without a setuid
    /// bubblewrap and the user-namespace sandboxes of Chromium-based browsers and Electron.
    pub unprivileged_user_namespaces: bool,
}

/// `[logging]`: how much the daemon records about refusals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logging {
    /// At most one record per interval per (process, kind), so a program retrying in a loop
    /// cannot flood the journal.
    pub storm_interval: Duration,
    /// How many recent violations are kept in memory for `airgapctl violations`.
    pub recent_violations: usize,
}

impl Policy {
    /// What an empty policy file means: standalone with loopback, no media, keyboards, mice and
    /// printers allowed, capture devices denied. Its source is marked built-in and carries the
    /// digest of the empty text.
    pub fn default_policy() -> Policy {
        Policy {
            meta: Meta::default(),
            network: Network {
                profile: Profile::Standalone,
                loopback: true,
                lan: Vec::new(),
                log_host: None,
            },
            devices: Devices {
                loop_devices: LoopDevices::Internal,
                internal: Vec::new(),
            },
            media: Vec::new(),
            usb: Usb {
                hid: Decision::Allow,
                printers: Decision::Allow,
                authorize_default: Decision::Deny,
                allow: Vec::new(),
            },
            capture: Capture {
                camera: Decision::Deny,
                microphone: Decision::Deny,
                radio: Decision::Deny,
                allow: Vec::new(),
            },
            logging: Logging {
                storm_interval: Duration::from_millis(1000),
                recent_violations: 1000,
            },
            exec: Exec {
                unprivileged_user_namespaces: false,
            },
            source: Source::new("", Origin::Builtin),
        }
    }

    /// The fallback when the policy file is missing or invalid at boot (see
    /// [`BUILTIN_STRICT_TOML`]): no IP at all, not even loopback; no removable storage, since
    /// no media are approved; printers and capture devices denied. Keyboards and mice stay
    /// allowed, or nobody could log in to repair the policy.
    pub fn builtin_strict() -> Policy {
        let mut policy = Policy::default_policy();
        policy.meta.id = Some("airgapd-builtin-strict".to_string());
        policy.meta.note = Some(
            "Fallback: no network, no removable media, no printers, no capture devices.".into(),
        );
        policy.network.loopback = false;
        policy.usb.printers = Decision::Deny;
        policy.source = Source::new(BUILTIN_STRICT_TOML, Origin::Builtin);
        policy
    }

    /// Lowercase hex SHA-256 of the policy text (see [`Source::sha256`]).
    pub fn sha256(&self) -> &str {
        &self.source.sha256
    }

    /// The approved medium the device is, if any (see [`Media::matches`]). When several
    /// entries match, the one naming the most identity fields wins (a specific stick over its
    /// whole model), then the first in the file; the checks refuse two entries with the same
    /// identity, so a tie means entries naming different fields.
    pub fn find_media(&self, device: &MediaIdentity) -> Option<&Media> {
        let mut best: Option<&Media> = None;
        for media in self.media.iter().filter(|media| media.matches(device)) {
            if best.is_none_or(|best| media.identity_fields() > best.identity_fields()) {
                best = Some(media);
            }
        }
        best
    }
}
