//! The subcommands of the `airgapd` binary, one per file. These are the edges: they use
//! `anyhow` and print for people; the logic they call lives in the library.

pub mod lift;
pub mod run;
pub mod service;
