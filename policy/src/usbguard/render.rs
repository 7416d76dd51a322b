//! A converted rule set as airgapd policy TOML, each entry under a comment naming the rule
//! it came from. Every sentence of the output is here.

use std::fmt::Write;

use super::convert::{Conversion, Imported, Section};
use crate::model::Access;

/// Longest entry name the policy accepts (as `check/media.rs`).
const NAME_MAX: usize = 128;

/// The policy text: `[usb]` as USBGuard's default-block means it, then the entries.
pub fn to_toml(conversion: &Conversion, source: &str, access: Access) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# airgapd policy imported from the USBGuard rules {}",
        comment_text(source)
    );
    out.push_str(
        "# by `airgapctl policy import-usbguard`. USBGuard's block and reject rules and its\n\
         # implicit target are airgapd's default deny. Rules and attributes airgapd does not\n\
         # honour were listed when this file was made and are not in it. Review every entry,\n\
         # then check the file with `airgapctl policy check`.\n\n",
    );
    out.push_str(
        "[usb]\n\
         # Keyboards and mice are allowed as a class; each arrival is logged.\n\
         hid = \"allow\"\n\
         # USBGuard blocks what no rule allows: printers are allowed below only by id.\n\
         printers = \"deny\"\n\
         authorize_default = \"deny\"\n",
    );
    for (section, table) in [
        (Section::UsbAllow, "usb.allow"),
        (Section::CaptureAllow, "capture.allow"),
        (Section::Media, "media"),
    ] {
        for entry in conversion.imported.iter().filter(|e| e.section == section) {
            render_entry(&mut out, table, entry, access);
        }
    }
    out
}

fn render_entry(out: &mut String, table: &str, entry: &Imported, access: Access) {
    let _ = writeln!(
        out,
        "\n# USBGuard line {}: {}",
        entry.line,
        comment_text(entry.rule_text.trim())
    );
    let _ = writeln!(out, "[[{table}]]");
    let _ = writeln!(out, "name = {}", quote(&entry_name(entry)));
    let _ = writeln!(out, "vendor_id = \"{:04x}\"", entry.vendor_id);
    let _ = writeln!(out, "product_id = \"{:04x}\"", entry.product_id);
    if let Some(serial) = &entry.serial {
        let _ = writeln!(out, "serial = {}", quote(serial));
    }
    if entry.section == Section::Media {
        let _ = writeln!(out, "access = \"{access}\"");
    }
}

/// The label or name (printable, shortened) and the line, so names are unique.
fn entry_name(entry: &Imported) -> String {
    let suffix = format!("USBGuard rule, line {}", entry.line);
    let title: String = entry
        .title
        .as_deref()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let title = title.trim();
    if title.is_empty() {
        return suffix;
    }
    let room = NAME_MAX - suffix.chars().count() - 3;
    let title: String = title.chars().take(room).collect();
    format!("{} ({suffix})", title.trim_end())
}

/// A TOML basic string.
fn quote(text: &str) -> String {
    crate::toml_string(text)
}

/// Text safe in a TOML comment: no control characters but tab.
fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
        .collect()
}
