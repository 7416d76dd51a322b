//! Refusing policy files that someone other than root could have written, or that are not
//! plain files. Ownership is exercised through `load_with_owner`, so these run unprivileged.

use std::fs::{self, Permissions};
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use airgapd_policy::{load, load_with_owner, PolicyError, MAX_POLICY_BYTES};
use nix::sys::stat::Mode;
use tempfile::TempDir;

const POLICY: &str = "[network]\nloopback = false\n";

/// A policy file with the given bytes and mode in a fresh directory; returns it and its owner.
fn file_with(dir: &TempDir, bytes: &[u8], mode: u32) -> (PathBuf, u32) {
    let path = dir.path().join("policy.toml");
    fs::write(&path, bytes).unwrap();
    // Set explicitly: the mode given at creation is filtered by the umask.
    fs::set_permissions(&path, Permissions::from_mode(mode)).unwrap();
    let uid = fs::metadata(&path).unwrap().uid();
    (path, uid)
}

fn display(error: &PolicyError) -> String {
    error.to_string()
}

#[test]
fn a_safe_file_loads_with_its_path_and_digest() {
    let dir = TempDir::new().unwrap();
    for mode in [0o644, 0o600, 0o400, 0o444] {
        let (path, uid) = file_with(&dir, POLICY.as_bytes(), mode);
        let checked = load_with_owner(&path, uid).unwrap_or_else(|e| panic!("{mode:o}: {e}"));
        assert!(!checked.policy.network.loopback);
        assert_eq!(checked.policy.source.path.as_deref(), Some(path.as_path()));
        assert!(!checked.policy.source.builtin);
        // printf '[network]\nloopback = false\n' | sha256sum
        assert_eq!(
            checked.policy.sha256(),
            "7f948949333710b9746acc872d12cd2551a2b6a82bd2912b0695cdfb0be7675c"
        );
    }
}

#[test]
fn load_requires_root_ownership() {
    let dir = TempDir::new().unwrap();
    let (path, uid) = file_with(&dir, POLICY.as_bytes(), 0o644);
    match (uid, load(&path)) {
        (0, Ok(_)) => {}
        (0, Err(e)) => panic!("root-owned file refused: {e}"),
        (
            _,
            Err(PolicyError::Owner {
                uid: owner,
                expected: 0,
                ..
            }),
        ) => assert_eq!(owner, uid),
        (_, other) => panic!("file owned by uid {uid} not refused as such: {other:?}"),
    }
}

#[test]
fn a_file_owned_by_someone_else_is_refused() {
    let dir = TempDir::new().unwrap();
    let (path, uid) = file_with(&dir, POLICY.as_bytes(), 0o644);
    let error = load_with_owner(&path, uid + 1).unwrap_err();
    assert!(
        matches!(error, PolicyError::Owner { uid: u, expected, .. } if u == uid && expected == uid + 1),
        "{error:?}"
    );
    let shown = display(&error);
    assert!(
        shown.starts_with(&format!("{}: is owned by uid {uid}", path.display())),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("chown root:root {}", path.display())),
        "{shown}"
    );
}

#[test]
fn group_or_world_writable_files_are_refused() {
    let dir = TempDir::new().unwrap();
    for mode in [0o666, 0o664, 0o646, 0o620, 0o602, 0o1666] {
        let (path, uid) = file_with(&dir, POLICY.as_bytes(), mode);
        let error = load_with_owner(&path, uid).unwrap_err();
        assert!(
            matches!(error, PolicyError::Writable { mode: m, .. } if m == mode),
            "{mode:o}: {error:?}"
        );
        let shown = display(&error);
        assert!(shown.contains(&format!("(mode {mode:04o})")), "{shown}");
        assert!(
            shown.contains(&format!("chmod 0644 {}", path.display())),
            "{shown}"
        );
    }
}

#[test]
fn symlinks_are_refused_even_to_a_good_file() {
    let dir = TempDir::new().unwrap();
    let (target, uid) = file_with(&dir, POLICY.as_bytes(), 0o644);
    let link = dir.path().join("link.toml");
    symlink(&target, &link).unwrap();
    let error = load_with_owner(&link, uid).unwrap_err();
    assert!(matches!(error, PolicyError::Symlink { .. }), "{error:?}");
    assert!(display(&error).contains("symbolic link"));
}

#[test]
fn special_files_are_refused_without_blocking() {
    let dir = TempDir::new().unwrap();
    let fifo = dir.path().join("fifo.toml");
    nix::unistd::mkfifo(&fifo, Mode::from_bits_truncate(0o644)).unwrap();
    let uid = fs::metadata(&fifo).unwrap().uid();
    let error = load_with_owner(&fifo, uid).unwrap_err();
    assert!(
        matches!(error, PolicyError::NotRegular { kind: "fifo", .. }),
        "{error:?}"
    );
    assert_eq!(
        display(&error),
        format!(
            "{}: is a fifo, not a regular file; the policy must be a plain file",
            fifo.display()
        )
    );
    let error = load_with_owner(dir.path(), uid).unwrap_err();
    assert!(
        matches!(
            error,
            PolicyError::NotRegular {
                kind: "directory",
                ..
            }
        ),
        "{error:?}"
    );
    let null = Path::new("/dev/null");
    let error = load_with_owner(null, fs::metadata(null).unwrap().uid()).unwrap_err();
    assert!(
        matches!(
            error,
            PolicyError::NotRegular {
                kind: "character device",
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn files_over_one_mebibyte_are_refused() {
    let dir = TempDir::new().unwrap();
    let limit = usize::try_from(MAX_POLICY_BYTES).unwrap();
    // Exactly the limit is fine: a policy padded with comment lines.
    let mut text = POLICY.to_string();
    text.push_str(&"#".repeat(limit - text.len() - 1));
    text.push('\n');
    let (path, uid) = file_with(&dir, text.as_bytes(), 0o644);
    assert!(load_with_owner(&path, uid).is_ok());
    text.push('\n');
    let (path, uid) = file_with(&dir, text.as_bytes(), 0o644);
    let error = load_with_owner(&path, uid).unwrap_err();
    assert!(
        matches!(error, PolicyError::TooLarge { size, limit, .. } if size == limit + 1 && limit == 1 << 20),
        "{error:?}"
    );
}

#[test]
fn non_utf8_is_refused_with_its_position() {
    let dir = TempDir::new().unwrap();
    let (path, uid) = file_with(&dir, b"[meta]\nid = \"\xff\"\n", 0o644);
    let error = load_with_owner(&path, uid).unwrap_err();
    let PolicyError::NotUtf8 { location } = &error else {
        panic!("{error:?}")
    };
    assert_eq!((location.line, location.column), (2, 7));
    assert_eq!(
        display(&error),
        format!(
            "{}:2:7: the file is not valid UTF-8; save it as UTF-8",
            path.display()
        )
    );
}

#[test]
fn a_missing_file_is_reported_as_missing() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("absent.toml");
    let error = load_with_owner(&path, 0).unwrap_err();
    assert!(
        matches!(error, PolicyError::Missing { ref file } if *file == path),
        "{error:?}"
    );
    assert!(display(&error).starts_with(&format!("{}: no such file", path.display())));
}

#[test]
fn errors_inside_a_loaded_file_name_the_file() {
    let dir = TempDir::new().unwrap();
    let (path, uid) = file_with(&dir, b"[logging]\nrecent_violations = 1\n", 0o644);
    let error = load_with_owner(&path, uid).unwrap_err();
    assert!(
        display(&error).starts_with(&format!(
            "{}:2:21: logging.recent_violations: ",
            path.display()
        )),
        "{error}"
    );
}
