//! `airgapd-notify`: desktop notices of airgapd's refusals (see `airgapd::notify`).

fn main() {
    std::process::exit(airgapd::notify::main());
}
