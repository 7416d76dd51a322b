//! The binary `descriptors` attribute of a USB device: the 18-byte device descriptor followed by
//! the raw descriptors of every configuration, as the kernel read them at enumeration.
//!
//! Why parse it rather than list interface directories: a device that is not authorized is never
//! configured, so it has no `<dev>:<cfg>.<n>` directories at all — yet that is exactly the moment
//! a decision is needed. The raw descriptors are there from enumeration on, and they also cover
//! the configurations and alternate settings the host has not selected: a device may offer a
//! harmless first configuration and a second one that is not, and user space can switch
//! configuration later (`bConfigurationValue`). Judging every interface of every configuration
//! closes that.

use std::path::Path;

use super::DeviceError;

const DT_DEVICE: u8 = 1;
const DT_CONFIG: u8 = 2;
const DT_INTERFACE: u8 = 4;
const DEVICE_DESC_LEN: usize = 18;
const CONFIG_DESC_LEN: usize = 9;
const INTERFACE_DESC_LEN: usize = 9;

/// One interface descriptor (one alternate setting of one interface of one configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawInterface {
    pub config: u8,
    pub number: u8,
    pub alt: u8,
    pub class: u8,
    pub subclass: u8,
    pub protocol: u8,
}

/// The device-level class triple and every interface descriptor found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawDescriptors {
    pub class: (u8, u8, u8),
    pub interfaces: Vec<RawInterface>,
}

/// Parse the contents of a `descriptors` file; `path` only names it in errors.
pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<RawDescriptors, DeviceError> {
    let err = |offset, detail| DeviceError::Descriptors {
        path: path.to_owned(),
        offset,
        detail,
    };
    if bytes.len() < DEVICE_DESC_LEN {
        return Err(err(0, "shorter than a device descriptor"));
    }
    if bytes[1] != DT_DEVICE || usize::from(bytes[0]) != DEVICE_DESC_LEN {
        return Err(err(0, "does not start with a device descriptor"));
    }
    let class = (bytes[4], bytes[5], bytes[6]);
    let mut interfaces = Vec::new();
    let mut pos = DEVICE_DESC_LEN;
    while pos < bytes.len() {
        // Each configuration block starts with its configuration descriptor, whose wTotalLength
        // covers the interface, endpoint and class-specific descriptors that follow it.
        let head = bytes
            .get(pos..pos + CONFIG_DESC_LEN)
            .ok_or(err(pos, "truncated configuration"))?;
        if head[1] != DT_CONFIG || usize::from(head[0]) < CONFIG_DESC_LEN {
            return Err(err(pos, "expected a configuration descriptor"));
        }
        let total = usize::from(u16::from_le_bytes([head[2], head[3]]));
        let config = head[5];
        let block = bytes
            .get(pos..pos + total)
            .ok_or(err(pos, "configuration longer than file"))?;
        if total < CONFIG_DESC_LEN {
            return Err(err(pos, "configuration shorter than its own descriptor"));
        }
        let mut inner = usize::from(head[0]);
        while inner < block.len() {
            let len = usize::from(block[inner]);
            // A zero length would loop forever; a length past the block would read the next one.
            if len < 2 || inner + len > block.len() {
                return Err(err(pos + inner, "descriptor length out of bounds"));
            }
            if block[inner + 1] == DT_INTERFACE {
                if len < INTERFACE_DESC_LEN {
                    return Err(err(pos + inner, "short interface descriptor"));
                }
                let d = &block[inner..inner + len];
                interfaces.push(RawInterface {
                    config,
                    number: d[2],
                    alt: d[3],
                    class: d[5],
                    subclass: d[6],
                    protocol: d[7],
                });
            }
            inner += len;
        }
        pos += total;
    }
    Ok(RawDescriptors { class, interfaces })
}
