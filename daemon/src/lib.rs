//! airgapd: the daemon's logic as a library; the `airgapd` and `airgapctl` mains are thin.
//!
//! Policy (crate `airgapd-policy`) knows nothing of the kernel; this crate translates a validated
//! policy into map entries, attaches the programs of `airgapd-ebpf` to the enforcement scope, and
//! reports what the kernel refused.

pub mod bpf;
pub mod bpf_guard;
pub mod bpffs;
pub mod chain;
pub mod cli;
pub mod ctl;
pub mod dbus;
pub mod devices;
pub mod doctor;
pub mod events;
pub mod fleet;
#[doc(hidden)]
pub mod fuzzing;
pub mod i18n;
pub mod inspect;
pub mod journal;
pub mod kernel_btf;
pub mod links;
pub mod logging;
pub mod machine_record;
pub mod maps;
pub mod memory;
pub mod network;
pub mod noexec;
pub mod notify;
pub mod paths;
pub mod pinned;
pub mod plan;
pub mod register;
pub mod release;
pub mod report;
pub mod scope;
pub mod sealing;
pub mod service;
pub mod spawn;
pub mod state;
pub mod storm;
pub mod tamper;
pub mod tpm;
pub mod update;
pub mod variant;
pub mod violation;

// The network area's former top-level paths, kept while branches that use them are in flight.
pub use network::{interfaces, isolation};
