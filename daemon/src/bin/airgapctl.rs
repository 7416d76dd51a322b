//! `airgapctl`: ask the running airgapd, over D-Bus, whether this machine is air-gapped.

fn main() {
    std::process::exit(airgapd::ctl::main());
}
