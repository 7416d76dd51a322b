#![no_main]

use std::sync::OnceLock;

use airgapd::update::TrustedKeys;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static KEYS: OnceLock<TrustedKeys> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        // Rust's `main` ignores SIGPIPE, so the daemon sees EPIPE when ssh-keygen exits before
        // reading the whole text; libFuzzer's C `main` does not, and the signal would kill the
        // fuzzer silently.
        // SAFETY: setting a signal's disposition to SIG_IGN has no memory effects.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
        airgapd::fuzzing::trusted_keys(include_str!("../keys/fuzz-signer.pub"))
    });
    airgapd::fuzzing::signed_update(data, keys);
});
