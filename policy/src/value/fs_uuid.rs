//! Filesystem UUIDs in the forms `blkid` prints.

use crate::error::ValueError;

const EXPECTED: &str = "a filesystem UUID as blkid prints it: \
    8-4-4-4-12 hex digits (ext4, XFS, Btrfs), XXXX-XXXX (FAT, exFAT) or 16 hex digits (NTFS)";

/// Checks a filesystem UUID and returns it in lowercase.
///
/// Stored lowercase because blkid prints FAT and NTFS ids in uppercase and ext4 ones in
/// lowercase; matching compares without regard to case.
pub fn parse_fs_uuid(text: &str) -> Result<String, ValueError> {
    const SHAPES: [&[usize]; 3] = [&[8, 4, 4, 4, 12], &[4, 4], &[16]];
    let groups: Vec<&str> = text.split('-').collect();
    let fits = SHAPES.iter().any(|shape| {
        shape.len() == groups.len()
            && shape.iter().zip(&groups).all(|(&len, group)| {
                group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit())
            })
    });
    if !fits {
        return Err(ValueError::new(
            format!("{text:?} is not a filesystem UUID"),
            EXPECTED,
        ));
    }
    Ok(text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_blkid_forms_and_lowercases() {
        assert_eq!(
            parse_fs_uuid("2F3C5A1E-0B7D-4C11-9E2A-7D5F60A1B2C3").unwrap(),
            "2f3c5a1e-0b7d-4c11-9e2a-7d5f60a1b2c3"
        );
        assert_eq!(parse_fs_uuid("A1B2-C3D4").unwrap(), "a1b2-c3d4");
        assert_eq!(
            parse_fs_uuid("0123456789ABCDEF").unwrap(),
            "0123456789abcdef"
        );
    }

    #[test]
    fn refuses_other_shapes() {
        for bad in [
            "",
            "A1B2C3D4",
            "A1B2-C3D",
            "A1B2-C3D4-",
            "2f3c5a1e-0b7d-4c11-9e2a-7d5f60a1b2c",
            "2f3c5a1e0b7d4c119e2a7d5f60a1b2c3",
            "g1b2-c3d4",
            "0123456789ABCDEF0",
        ] {
            let err = parse_fs_uuid(bad).unwrap_err();
            assert_eq!(err.problem, format!("{bad:?} is not a filesystem UUID"));
        }
    }
}
