//! USB vendor and product ids: 16-bit numbers written as exactly 4 hex digits, as `lsusb` and
//! sysfs (`idVendor`, `idProduct`) print them.

use crate::error::ValueError;

const EXPECTED: &str = r#"4 hex digits, e.g. "0951""#;

/// Parses a USB vendor or product id written as 4 hex digits (`"0951"`, either case).
///
/// Exactly four digits, because that is how every tool prints them: accepting `"951"` or
/// `"0x0951"` would invite ids copied from the wrong column.
pub fn parse_usb_id(text: &str) -> Result<u16, ValueError> {
    if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ValueError::new(
            format!("{text:?} is not a USB id"),
            EXPECTED,
        ));
    }
    u16::from_str_radix(text, 16)
        .map_err(|_| ValueError::new(format!("{text:?} is not a USB id"), EXPECTED))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_hex_digits_only() {
        assert_eq!(parse_usb_id("0951"), Ok(0x0951));
        assert_eq!(parse_usb_id("FFfe"), Ok(0xfffe));
        for bad in ["", "951", "09511", "0x95", "09X1", "+951", " 951", "٠٩٥١"] {
            let err = parse_usb_id(bad).unwrap_err();
            assert_eq!(err.problem, format!("{bad:?} is not a USB id"));
            assert_eq!(err.expected, r#"4 hex digits, e.g. "0951""#);
        }
    }
}
