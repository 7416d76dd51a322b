#![no_main]

use std::sync::OnceLock;

use airgapd::update::TrustedKeys;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static KEYS: OnceLock<TrustedKeys> = OnceLock::new();
    let keys = KEYS
        .get_or_init(|| airgapd::fuzzing::trusted_keys(include_str!("../keys/fuzz-signer.pub")));
    airgapd::fuzzing::signed_update(data, keys);
});
