//! airgapd's BPF side as the daemon sees it: the compiled object and the ABI it speaks.
//!
//! The programs are C (`src/*.bpf.c`), compiled by clang from `build.rs`; the object is embedded
//! here so an installed `airgapd` needs no file besides itself.

pub mod abi;

/// The compiled BPF object holding every airgapd program and map.
pub static OBJECT: &[u8] = aligned_object();

// ELF parsing wants the bytes 8-aligned; include_bytes! only guarantees 1.
#[repr(C, align(8))]
struct Aligned<T: ?Sized>(T);

static ALIGNED: &Aligned<[u8]> =
    &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/airgapd.bpf.o")));

const fn aligned_object() -> &'static [u8] {
    &ALIGNED.0
}
