//! The network area on the daemon's side.
//!
//! - [`attach`]: which program of `network.bpf.c` goes where (cgroup, interfaces, LSM).
//! - [`interfaces`]: the interfaces there are and the ones that appear later (for the
//!   interface programs).
//! - [`isolation`]: the isolated-lan judgement: is the LAN still isolated? ([`watcher`] feeds
//!   it from rtnetlink.)
//! - [`lan`]: the LAN profile in force: the LAN tries kept resolved, and the watcher.
//! - [`log_host`]: the office's log host, the one non-peer the upload service may reach.
//! - [`filters`]: the classic tc filters of an interface (kernels without TCX), for the
//!   tamper check.
//! - `rtnetlink`: the netlink socket and message parsing the three above share.

pub mod attach;
pub mod compat;
pub mod filters;
pub mod interfaces;
pub mod isolation;
pub mod lan;
pub mod log_host;
pub(crate) mod rtnetlink;
pub mod watcher;

pub use attach::*;
pub use interfaces::in_named_netns;
