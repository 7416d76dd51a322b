//! `airgapd`: the air-gap enforcement daemon and its `run` and `lift` commands.

fn main() {
    std::process::exit(airgapd::cli::main());
}
