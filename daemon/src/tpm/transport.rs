//! Bytes to and from a TPM: one command written, one response read.
//!
//! - A character device (`/dev/tpmrm0`, `/dev/tpm0`): the command in one write(2), the whole
//!   response in one read(2) (the kernel hands the response over in one piece).
//! - A unix socket speaking raw TPM 2.0 commands (swtpm's `--server type=unixio`): the response
//!   is a stream, read until the size its header gives.
//!
//! Both are bounded: a response longer than any TPM's is an error, and a socket that stops
//! answering times out instead of holding the record's writer.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::marshal::MAX_RESPONSE;
use super::TpmError;

/// How long a socket TPM may take to answer one command.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(30);

/// An open TPM.
pub enum Transport {
    /// A TPM character device.
    Device(PathBuf, File),
    /// A raw-command socket.
    Socket(PathBuf, UnixStream),
}

impl Transport {
    /// Open `path`, a character device or a unix socket (anything else is refused).
    pub fn open(path: &Path) -> Result<Transport, TpmError> {
        let io = |source| TpmError::Io {
            path: path.to_path_buf(),
            source,
        };
        let kind = std::fs::metadata(path).map_err(io)?.file_type();
        if kind.is_char_device() {
            let f = OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(libc::O_CLOEXEC | libc::O_NOCTTY)
                .open(path)
                .map_err(io)?;
            Ok(Transport::Device(path.to_path_buf(), f))
        } else if kind.is_socket() {
            let s = UnixStream::connect(path).map_err(io)?;
            s.set_read_timeout(Some(SOCKET_TIMEOUT)).map_err(io)?;
            s.set_write_timeout(Some(SOCKET_TIMEOUT)).map_err(io)?;
            Ok(Transport::Socket(path.to_path_buf(), s))
        } else {
            Err(io(std::io::Error::other(
                "neither a TPM character device nor a unix socket",
            )))
        }
    }

    /// Send one command, return its response (not yet checked beyond its length).
    pub fn exchange(&mut self, command: &[u8]) -> Result<Vec<u8>, TpmError> {
        match self {
            Transport::Device(path, f) => {
                let io = |source| TpmError::Io {
                    path: path.clone(),
                    source,
                };
                f.write_all(command).map_err(io)?;
                // One byte more than the largest response: a longer one shows as too long.
                let mut buf = vec![0u8; MAX_RESPONSE + 1];
                let n = f.read(&mut buf).map_err(io)?;
                buf.truncate(n);
                Ok(buf)
            }
            Transport::Socket(path, s) => {
                let io = |source| TpmError::Io {
                    path: path.clone(),
                    source,
                };
                s.write_all(command).map_err(io)?;
                let mut head = [0u8; 10];
                s.read_exact(&mut head).map_err(io)?;
                let size = u32::from_be_bytes([head[2], head[3], head[4], head[5]]) as usize;
                if !(10..=MAX_RESPONSE).contains(&size) {
                    return Err(TpmError::Malformed {
                        command: "response",
                        what: format!("a response of {size} bytes"),
                    });
                }
                let mut buf = head.to_vec();
                buf.resize(size, 0);
                s.read_exact(&mut buf[10..]).map_err(io)?;
                Ok(buf)
            }
        }
    }
}
