//! Issue 19: the TPM client against a software TPM (swtpm): the clock's reset count, airgapd's
//! NV counter defined once, incremented, read back, and never going back across the TPM's
//! reboots; a path that is no TPM is an error, never a panic.

mod common;

use airgapd::tpm::{Tpm, TpmError, COUNTER_INDEX};
use common::swtpm::Swtpm;

#[test]
fn the_clock_counts_resets_and_the_counter_only_goes_forward() {
    let mut sw = Swtpm::start("client");
    let mut tpm = Tpm::open(&sw.socket()).unwrap();
    let first = tpm.read_clock().unwrap();
    // Never defined: none, not an error.
    assert_eq!(tpm.read_counter(COUNTER_INDEX).unwrap(), None);
    assert!(tpm.define_counter(COUNTER_INDEX).unwrap());
    assert!(!tpm.define_counter(COUNTER_INDEX).unwrap(), "defined twice");
    // Defined, never incremented: none.
    assert_eq!(tpm.read_counter(COUNTER_INDEX).unwrap(), None);
    let a = tpm.advance_counter(COUNTER_INDEX).unwrap();
    let b = tpm.advance_counter(COUNTER_INDEX).unwrap();
    assert_eq!(b, a + 1);
    assert_eq!(tpm.read_counter(COUNTER_INDEX).unwrap(), Some(b));
    drop(tpm);

    sw.reboot();
    let mut tpm = Tpm::open(&sw.socket()).unwrap();
    let second = tpm.read_clock().unwrap();
    assert_eq!(
        second.reset_count,
        first.reset_count + 1,
        "{first:?} {second:?}"
    );
    assert_eq!(tpm.read_counter(COUNTER_INDEX).unwrap(), Some(b));
    assert_eq!(tpm.advance_counter(COUNTER_INDEX).unwrap(), b + 1);
}

#[test]
fn what_is_not_a_tpm_is_an_error() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let missing = dir.join("no-such-tpm");
    assert!(matches!(Tpm::open(&missing), Err(TpmError::Io { .. })));
    // A regular file is neither a device nor a socket.
    let file = dir.join(format!("not-a-tpm-{}", std::process::id()));
    std::fs::write(&file, b"x").unwrap();
    let e = Tpm::open(&file).err().unwrap();
    assert!(e.to_string().contains("neither"), "{e}");
    let _ = std::fs::remove_file(&file);
    // A character device that is not a TPM answers nothing a TPM would: /dev/zero reads zeros.
    let mut zero = Tpm::open(std::path::Path::new("/dev/zero")).unwrap();
    let e = zero.read_clock().unwrap_err();
    assert!(matches!(e, TpmError::Malformed { .. }), "{e}");
}
