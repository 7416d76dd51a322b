//! A small TPM 2.0 client for the machine record (issue 19): the TPM's reset count at every
//! boot (a jump is boots airgapd never saw) and an NV counter that only goes forward (an old
//! copy of the record restored shows a counter value behind the TPM's).
//!
//! Four commands, marshalled by hand ([`marshal`]): TPM2_ReadClock, TPM2_NV_DefineSpace,
//! TPM2_NV_Increment, TPM2_NV_Read. No TSS library: its Rust bindings need the C library at
//! build and run time, for four fixed commands of a few dozen bytes each.
//!
//! The transport is a path ([`transport`]): the kernel's resource manager `/dev/tpmrm0` in
//! production (several users of the TPM at once, none of them leaving handles behind), or a
//! unix socket speaking raw TPM commands (`swtpm socket --server type=unixio`) in tests and on
//! machines without a TPM driver.

pub mod marshal;
pub mod transport;

use std::path::{Path, PathBuf};

pub use marshal::ClockInfo;
use transport::Transport;

/// The TPM of a production machine: the kernel's resource manager.
pub const DEVICE: &str = "/dev/tpmrm0";

/// airgapd's NV counter: an index in the owner's range (Registry of Reserved TPM 2.0 Handles:
/// 0x01000000–0x013FFFFF), spelled to be recognisable ("A19D", airgapd).
pub const COUNTER_INDEX: u32 = 0x0100_A19D;

/// How many times a command is sent again when the TPM says "retry", "yielded" or "testing".
const RETRIES: u32 = 20;

/// What went wrong talking to a TPM. Every answer a TPM (or something posing as one) gives is
/// either a value or one of these: never a panic.
#[derive(Debug, thiserror::Error)]
pub enum TpmError {
    /// The transport failed (no such device, permission, the TPM stopped answering).
    #[error("{path}: {source}")]
    Io {
        /// The device or socket.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TPM answered with an error code.
    #[error("{command}: the TPM answered 0x{code:03x} ({})", describe(*code))]
    Code {
        /// The command.
        command: &'static str,
        /// `TPM_RC`.
        code: u32,
    },
    /// The answer is not a well-formed response to the command.
    #[error("{command}: the TPM's answer is malformed: {what}")]
    Malformed {
        /// The command.
        command: &'static str,
        /// What is wrong with it.
        what: String,
    },
}

/// A few response codes in words (Part 2 §6.6), for logs and the record's `error`.
fn describe(code: u32) -> &'static str {
    // Format-one codes (bit 7) carry the handle, session or parameter number in bits 6 and
    // 8-11: the error itself is bit 7 and bits 0-5.
    let base = if code & 0x80 != 0 { code & 0xBF } else { code };
    match base {
        0x100 => "not started (TPM2_Startup)",
        0x101 => "failure mode",
        0x143 => "command not supported",
        0x149 => "NV locked",
        0x14A => "NV index never written",
        0x14B => "NV space full",
        0x14C => "NV index exists",
        0x921 => "in dictionary-attack lockout",
        0x8B => "no such handle",
        0x8E | 0xA2 => "bad authorisation (the owner's password is not empty)",
        0x82 | 0x8A => "attributes or type do not fit (not airgapd's counter)",
        _ => "see TPM 2.0 Part 2, TPM_RC",
    }
}

/// Whether `code` is TPM_RC_HANDLE on a handle (no such NV index).
fn no_such_handle(code: u32) -> bool {
    code & 0x80 != 0 && code & 0xFF == 0x8B
}

/// A connection to a TPM.
pub struct Tpm {
    transport: Transport,
}

impl Tpm {
    /// Open the TPM at `path`: a character device (`/dev/tpmrm0`) or a unix socket speaking
    /// raw TPM 2.0 commands.
    pub fn open(path: &Path) -> Result<Tpm, TpmError> {
        Ok(Tpm {
            transport: Transport::open(path)?,
        })
    }

    /// Send `command`, retrying while the TPM asks to; the raw response.
    fn exchange(&mut self, command: &[u8], name: &'static str) -> Result<Vec<u8>, TpmError> {
        for _ in 0..RETRIES {
            let response = self.transport.exchange(command)?;
            let code = marshal::response_code(&response, name)?;
            if !marshal::RC_WARN_RETRY.contains(&code) {
                return Ok(response);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Err(TpmError::Code {
            command: name,
            code: marshal::RC_WARN_RETRY[0],
        })
    }

    /// TPM2_ReadClock: reset and restart counts and the TPM's clocks.
    pub fn read_clock(&mut self) -> Result<ClockInfo, TpmError> {
        let r = self.exchange(&marshal::read_clock(), "TPM2_ReadClock")?;
        marshal::parse_read_clock(&r)
    }

    /// Define the counter at `index` unless it exists; true when this call defined it.
    pub fn define_counter(&mut self, index: u32) -> Result<bool, TpmError> {
        const CMD: &str = "TPM2_NV_DefineSpace";
        let r = self.exchange(&marshal::define_counter(index), CMD)?;
        match marshal::response_code(&r, CMD)? {
            marshal::RC_NV_DEFINED => Ok(false),
            _ => marshal::parse_empty(&r, CMD).map(|()| true),
        }
    }

    /// Add one to the counter at `index`.
    pub fn increment(&mut self, index: u32) -> Result<(), TpmError> {
        const CMD: &str = "TPM2_NV_Increment";
        let r = self.exchange(&marshal::increment(index), CMD)?;
        marshal::parse_empty(&r, CMD)
    }

    /// The counter at `index`: None when it does not exist or was never incremented.
    pub fn read_counter(&mut self, index: u32) -> Result<Option<u64>, TpmError> {
        const CMD: &str = "TPM2_NV_Read";
        let r = self.exchange(&marshal::read_counter(index), CMD)?;
        match marshal::response_code(&r, CMD)? {
            c if no_such_handle(c) => Ok(None),
            _ => marshal::parse_read_counter(&r),
        }
    }

    /// Define the counter if needed, add one, and read it back: the value this call made.
    pub fn advance_counter(&mut self, index: u32) -> Result<u64, TpmError> {
        self.define_counter(index)?;
        self.increment(index)?;
        self.read_counter(index)?.ok_or(TpmError::Malformed {
            command: "TPM2_NV_Read",
            what: "the counter just incremented reads as never written".into(),
        })
    }
}
