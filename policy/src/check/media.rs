//! `[[media]]` rules: how an approved medium must be identified.

use toml::Spanned;

use super::{Checker, Lines};
use crate::model::{Access, Media};
use crate::raw::{Field, RawMedia};
use crate::value::{parse_fs_uuid, parse_usb_id};
use crate::warning::WarningKind;

const ACCESS: [(&str, Access); 2] = [
    ("read-only", Access::ReadOnly),
    ("read-write", Access::ReadWrite),
];

/// USB string descriptors hold at most 126 UTF-16 code units, so no serial is longer.
const SERIAL_MAX: usize = 126;

pub(super) fn check(c: &mut Checker<'_>, raw: &[Spanned<RawMedia>]) -> Vec<Media> {
    let mut media: Vec<(Media, usize)> = Vec::new();
    let mut names: Vec<(&str, usize)> = Vec::new();
    for (i, entry) in raw.iter().enumerate() {
        if let Some(name) = &entry.get_ref().name {
            if let Some((_, first)) = names.iter().find(|(n, _)| *n == name.get_ref()) {
                c.error(
                    name.span(),
                    &format!("media[{i}].name"),
                    format!("{:?} is already the name of media[{first}]", name.get_ref()),
                    "a name used by no other [[media]] entry",
                );
            }
            names.push((name.get_ref(), i));
        }
        let Some(checked) = check_entry(c, i, entry) else {
            continue;
        };
        // Two entries with one identity would make the access of a medium depend on entry
        // order, which an officer reading the file would not expect.
        if let Some((_, first)) = media.iter().find(|(m, _)| same_identity(m, &checked)) {
            c.error(
                entry.span(),
                &format!("media[{i}]"),
                format!("names the same medium as media[{first}]"),
                "each approved medium in one entry",
            );
        }
        media.push((checked, i));
    }
    media.into_iter().map(|(m, _)| m).collect()
}

fn same_identity(a: &Media, b: &Media) -> bool {
    (
        a.vendor_id,
        a.product_id,
        &a.serial,
        &a.fs_uuid,
        &a.fs_label,
    ) == (
        b.vendor_id,
        b.product_id,
        &b.serial,
        &b.fs_uuid,
        &b.fs_label,
    )
}

/// One entry; `None` if anything in it is wrong.
fn check_entry(c: &mut Checker<'_>, i: usize, raw: &Spanned<RawMedia>) -> Option<Media> {
    let base = format!("media[{i}]");
    let entry = raw.get_ref();
    let errors_before = c.errors.len();
    let field = |key: &str| format!("{base}.{key}");

    let name = c.required(
        raw.span(),
        &field("name"),
        &entry.name,
        "a name for the medium",
    );
    let name = c.text(&field("name"), name, 128, Lines::One);
    let vendor_id = usb_id(c, &field("vendor_id"), &entry.vendor_id);
    let product_id = usb_id(c, &field("product_id"), &entry.product_id);
    if let (Some(product), None) = (&entry.product_id, &entry.vendor_id) {
        c.error(
            product.span(),
            &field("product_id"),
            "product_id is given without vendor_id",
            "vendor_id as well: a product id only means something within one vendor",
        );
    }
    let serial = usb_serial(c, &field("serial"), &entry.serial);
    let fs_uuid = entry
        .fs_uuid
        .as_ref()
        .and_then(|uuid| c.parse(&field("fs_uuid"), uuid, parse_fs_uuid));
    let fs_label = c.text(&field("fs_label"), entry.fs_label.as_ref(), 255, Lines::One);
    let access = c.required(
        raw.span(),
        &field("access"),
        &entry.access,
        "\"read-only\" or \"read-write\"",
    );
    let access = access.and_then(|access| c.choice(&field("access"), access, &ACCESS));
    let allow_exec = entry.allow_exec.as_ref().is_some_and(|b| *b.get_ref());

    let usb_given = [
        entry.vendor_id.is_some(),
        entry.product_id.is_some(),
        entry.serial.is_some(),
    ];
    let fs_key = entry.fs_uuid.as_ref().or(entry.fs_label.as_ref());
    match (usb_given, fs_key) {
        ([false, false, false], None) => c.error(
            raw.span(),
            &base,
            "the entry names no identity field",
            "vendor_id, product_id and serial of the medium (fs_uuid and fs_label may be \
             added)",
        ),
        ([false, false, false], Some(fs)) => {
            let key = if entry.fs_uuid.is_some() {
                "fs_uuid"
            } else {
                "fs_label"
            };
            c.warn(
                fs.span(),
                &field(key),
                WarningKind::FilesystemOnlyIdentity,
                "filesystem identity is easy to forge; add vendor_id, product_id and serial",
            );
        }
        ([true, true, true], _) => {}
        (given, _) => {
            let missing: Vec<&str> = ["vendor_id", "product_id", "serial"]
                .into_iter()
                .zip(given)
                .filter_map(|(key, given)| (!given).then_some(key))
                .collect();
            c.warn(
                raw.span(),
                &base,
                WarningKind::IncompleteUsbIdentity,
                format!(
                    "other devices can match an entry without vendor_id, product_id and \
                     serial together; add {}",
                    missing.join(" and ")
                ),
            );
        }
    }
    if let Some(exec) = entry.allow_exec.as_ref().filter(|b| *b.get_ref()) {
        c.warn(
            exec.span(),
            &field("allow_exec"),
            WarningKind::ExecAllowed,
            "programs on this medium may be run; keep it only if the cipher authority \
             approved running programs from it",
        );
    }

    if c.errors.len() != errors_before {
        return None;
    }
    Some(Media {
        name: name?,
        vendor_id,
        product_id,
        serial,
        fs_uuid,
        fs_label,
        access: access?,
        allow_exec,
    })
}

/// An optional USB id.
pub(super) fn usb_id(c: &mut Checker<'_>, field: &str, value: &Field<String>) -> Option<u16> {
    value
        .as_ref()
        .and_then(|value| c.parse(field, value, parse_usb_id))
}

/// An optional USB serial number: printable ASCII, since the daemon compares it with what the
/// kernel reports in sysfs, where anything else is already escaped or replaced.
pub(super) fn usb_serial(
    c: &mut Checker<'_>,
    field: &str,
    value: &Field<String>,
) -> Option<String> {
    let value = value.as_ref()?;
    let serial = value.get_ref();
    let valid = (1..=SERIAL_MAX).contains(&serial.len())
        && serial.bytes().all(|b| (0x20..=0x7e).contains(&b));
    if !valid {
        c.error(
            value.span(),
            field,
            format!("{serial:?} is not a USB serial number"),
            format!("1 to {SERIAL_MAX} printable ASCII characters, as lsusb -v shows iSerial"),
        );
    }
    valid.then(|| serial.clone())
}
