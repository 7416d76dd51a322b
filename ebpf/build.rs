fn main() {
    airgapd_bpf_builder::build()
}
