//! Recording and transmitting devices (Law 29/2018 art. 5 cl. 8): cameras (V4L2), microphones
//! (ALSA capture PCMs) and radios (rfkill), found by what the kernel says they are (their sysfs
//! class and name), never by node names alone.
//!
//! Playback PCMs and ALSA control devices stay usable: the machine may make sound, and a mixer
//! switch cannot record without a capture PCM.

use std::path::{Path, PathBuf};

use super::usb::UsbDevice;

/// What a capture node records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CaptureKind {
    /// A V4L2 video node.
    Camera,
    /// An ALSA capture PCM.
    Microphone,
}

/// One capture device node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureNode {
    /// Camera or microphone.
    pub kind: CaptureKind,
    /// `video0`, `pcmC0D0c`.
    pub name: String,
    /// Character device (major, minor).
    pub dev: (u32, u32),
    /// The sysfs device directory, resolved (to find the USB device it belongs to).
    pub sys_path: PathBuf,
}

/// One radio the kernel can block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Radio {
    /// `rfkill0`.
    pub name: String,
    /// `wlan`, `bluetooth`, `wwan`, ...
    pub kind: String,
    /// The rfkill directory (its `soft` attribute blocks the radio).
    pub sys_path: PathBuf,
    /// Soft-blocked now.
    pub soft_blocked: bool,
    /// Hard-blocked (a switch).
    pub hard_blocked: bool,
}

fn read(p: &Path) -> Option<String> {
    std::fs::read_to_string(p)
        .ok()
        .map(|s| s.trim().to_string())
}

fn devnum(dir: &Path) -> Option<(u32, u32)> {
    let text = read(&dir.join("dev"))?;
    let (a, b) = text.split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

fn entries(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| {
                    let path = std::fs::canonicalize(e.path()).unwrap_or_else(|_| e.path());
                    (e.file_name().to_string_lossy().into_owned(), path)
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Every camera and microphone node under `<sysfs>/class/{video4linux,sound}`.
pub fn capture_nodes(sysfs: &Path) -> Vec<CaptureNode> {
    let mut out = Vec::new();
    for (name, path) in entries(&sysfs.join("class/video4linux")) {
        // video*, not v4l-subdev* or radio* (FM tuners receive, they do not record).
        if let (true, Some(dev)) = (name.starts_with("video"), devnum(&path)) {
            out.push(CaptureNode {
                kind: CaptureKind::Camera,
                name,
                dev,
                sys_path: path,
            });
        }
    }
    for (name, path) in entries(&sysfs.join("class/sound")) {
        // pcmC<card>D<device>c is a capture stream; ...p is playback.
        if let (true, Some(dev)) = (
            name.starts_with("pcmC") && name.ends_with('c'),
            devnum(&path),
        ) {
            out.push(CaptureNode {
                kind: CaptureKind::Microphone,
                name,
                dev,
                sys_path: path,
            });
        }
    }
    out
}

/// Every radio under `<sysfs>/class/rfkill`.
pub fn radios(sysfs: &Path) -> Vec<Radio> {
    entries(&sysfs.join("class/rfkill"))
        .into_iter()
        .map(|(name, path)| Radio {
            kind: read(&path.join("type")).unwrap_or_default(),
            soft_blocked: read(&path.join("soft")).as_deref() == Some("1"),
            hard_blocked: read(&path.join("hard")).as_deref() == Some("1"),
            name,
            sys_path: path,
        })
        .collect()
}

/// The USB device a node hangs from (walking up its sysfs path), if any.
pub fn usb_owner(node: &CaptureNode) -> Option<UsbDevice> {
    node.sys_path
        .ancestors()
        .filter(|p| p.join("idVendor").exists())
        .find_map(|p| UsbDevice::from_sysfs(p).ok())
}

/// Soft-block a radio through its rfkill `soft` attribute.
pub fn block(radio: &Radio) -> std::io::Result<()> {
    std::fs::write(radio.sys_path.join("soft"), "1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sysfs() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sysfs")
    }

    #[test]
    fn finds_cameras_and_microphones_but_not_playback() {
        let nodes = capture_nodes(&sysfs());
        let names: Vec<_> = nodes
            .iter()
            .map(|n| (n.kind, n.name.as_str(), n.dev))
            .collect();
        assert_eq!(
            names,
            vec![
                (CaptureKind::Camera, "video0", (81, 0)),
                (CaptureKind::Microphone, "pcmC0D0c", (116, 24)),
                (CaptureKind::Microphone, "pcmC1D0c", (116, 56)),
            ]
        );
    }

    #[test]
    fn the_webcam_microphone_belongs_to_the_webcam_and_the_laptop_mic_to_nothing_usb() {
        let nodes = capture_nodes(&sysfs());
        let usb = |name: &str| usb_owner(nodes.iter().find(|n| n.name == name).unwrap());
        assert_eq!(
            usb("pcmC1D0c").map(|u| (u.vendor_id, u.product_id)),
            Some((0x046d, 0x0825))
        );
        assert_eq!(usb("video0").map(|u| u.product_id), Some(0x0825));
        assert!(usb("pcmC0D0c").is_none());
    }

    #[test]
    fn finds_radios_with_their_kind() {
        let r = radios(&sysfs());
        let kinds: Vec<_> = r
            .iter()
            .map(|r| (r.name.as_str(), r.kind.as_str(), r.soft_blocked))
            .collect();
        assert_eq!(
            kinds,
            vec![("rfkill0", "wlan", false), ("rfkill1", "bluetooth", false)]
        );
    }
}
