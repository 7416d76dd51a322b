//! `[usb]` and `[capture]` rules.

use toml::Spanned;

use super::media::{usb_id, usb_serial};
use super::{Checker, Lines};
use crate::model::{Capture, Decision, Usb, UsbDevice};
use crate::raw::{Field, RawCapture, RawUsb, RawUsbDevice};
use crate::warning::WarningKind;

const DECISIONS: [(&str, Decision); 2] = [("allow", Decision::Allow), ("deny", Decision::Deny)];

pub(super) fn check_usb(c: &mut Checker<'_>, raw: &RawUsb) -> Usb {
    let authorize_default = match &raw.authorize_default {
        Some(value) if value.get_ref() != "deny" => {
            // Allowing unknown devices would let a network adapter or a phone in by default,
            // which the directives forbid; the key exists so the intent is written down.
            c.error(
                value.span(),
                "usb.authorize_default",
                format!("{:?} is not supported", value.get_ref()),
                "\"deny\"; allow specific devices with [[usb.allow]]",
            );
            Decision::Deny
        }
        _ => Decision::Deny,
    };
    Usb {
        hid: decision(c, "usb.hid", &raw.hid, Decision::Allow),
        printers: decision(c, "usb.printers", &raw.printers, Decision::Allow),
        authorize_default,
        allow: devices(c, "usb.allow", &raw.allow),
    }
}

pub(super) fn check_capture(c: &mut Checker<'_>, raw: &RawCapture) -> Capture {
    let mut class = |key: &str, value: &Field<String>, what: &str| {
        let field = format!("capture.{key}");
        let decided = decision(c, &field, value, Decision::Deny);
        if let (Decision::Allow, Some(value)) = (decided, value) {
            c.warn(
                value.span(),
                &field,
                WarningKind::CaptureAllowed,
                format!(
                    "every {what} is allowed, though law 29/2018 art. 5 cl. 8 requires \
                     permission for each; prefer \"deny\" and list the approved ones in \
                     [[capture.allow]]"
                ),
            );
        }
        decided
    };
    Capture {
        camera: class("camera", &raw.camera, "camera"),
        microphone: class("microphone", &raw.microphone, "microphone"),
        radio: class("radio", &raw.radio, "radio (Wi-Fi, Bluetooth)"),
        allow: devices(c, "capture.allow", &raw.allow),
    }
}

fn decision(
    c: &mut Checker<'_>,
    field: &str,
    value: &Field<String>,
    default: Decision,
) -> Decision {
    value
        .as_ref()
        .and_then(|value| c.choice(field, value, &DECISIONS))
        .unwrap_or(default)
}

/// The entries of `[[usb.allow]]` or `[[capture.allow]]`; entries with errors are dropped.
fn devices(c: &mut Checker<'_>, table: &str, raw: &[Spanned<RawUsbDevice>]) -> Vec<UsbDevice> {
    let mut names: Vec<(&str, usize)> = Vec::new();
    let mut out = Vec::new();
    for (i, entry) in raw.iter().enumerate() {
        let base = format!("{table}[{i}]");
        let field = |key: &str| format!("{base}.{key}");
        let device = entry.get_ref();
        let errors_before = c.errors.len();
        let name = c.required(
            entry.span(),
            &field("name"),
            &device.name,
            "a name for the device",
        );
        if let Some(name) = name {
            if let Some((_, first)) = names.iter().find(|(n, _)| *n == name.get_ref()) {
                c.error(
                    name.span(),
                    &field("name"),
                    format!(
                        "{:?} is already the name of {table}[{first}]",
                        name.get_ref()
                    ),
                    format!("a name used by no other [[{table}]] entry"),
                );
            }
            names.push((name.get_ref(), i));
        }
        let name = c.text(&field("name"), name, 128, Lines::One);
        let id_expected = "4 hex digits, as lsusb shows them, e.g. \"0951\"";
        c.required(
            entry.span(),
            &field("vendor_id"),
            &device.vendor_id,
            id_expected,
        );
        c.required(
            entry.span(),
            &field("product_id"),
            &device.product_id,
            id_expected,
        );
        let vendor_id = usb_id(c, &field("vendor_id"), &device.vendor_id);
        let product_id = usb_id(c, &field("product_id"), &device.product_id);
        let serial = usb_serial(c, &field("serial"), &device.serial);
        if c.errors.len() != errors_before {
            continue;
        }
        if let (Some(name), Some(vendor_id), Some(product_id)) = (name, vendor_id, product_id) {
            out.push(UsbDevice {
                name,
                vendor_id,
                product_id,
                serial,
            });
        }
    }
    out
}
