//! journald's native protocol (systemd.io/JOURNAL_NATIVE_PROTOCOL), written by hand because it
//! is small and we want to control every byte an audit record turns into.
//!
//! A record is one datagram on journald's socket holding `NAME=value\n` per field, or for a value
//! containing a newline `NAME\n`, its length as 64-bit little endian, the value and `\n`. A
//! datagram larger than the socket's send buffer fails with `EMSGSIZE` (some kernels say
//! `ENOBUFS`); the record then goes into a memfd, sealed so journald can trust that it no longer
//! changes, whose descriptor is sent alone with `SCM_RIGHTS`.

use std::fs::File;
use std::io::{self, IoSlice, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::fcntl::{fcntl, FcntlArg, SealFlag};
use nix::sys::memfd::{memfd_create, MemFdCreateFlag};
use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags, UnixAddr};

use super::{JournalError, Record, SYSLOG_IDENTIFIER};

/// How long a send may block when journald is not reading. Records matter, but the daemon must
/// not stall behind a wedged journald: the caller gets an error and can fall back.
const SEND_TIMEOUT: Duration = Duration::from_secs(1);

/// How a record reached journald.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// In one datagram.
    Datagram,
    /// Too large for a datagram: through a sealed memfd.
    Memfd,
}

/// A client of journald's native socket.
#[derive(Debug)]
pub struct JournalSocket {
    /// Unbound and unconnected: every send names the path, so a restarted journald (new socket
    /// inode at the same path) is reached without reconnecting.
    socket: UnixDatagram,
    path: PathBuf,
}

impl JournalSocket {
    /// A client for the socket at `path` (normally [`crate::paths::JOURNAL_SOCKET`]). Does not
    /// check that journald listens there; see [`JournalSocket::probe`].
    pub fn new(path: impl Into<PathBuf>) -> Result<Self, JournalError> {
        let socket = UnixDatagram::unbound().map_err(|source| JournalError::Socket { source })?;
        socket
            .set_write_timeout(Some(SEND_TIMEOUT))
            .map_err(|source| JournalError::Socket { source })?;
        Ok(JournalSocket {
            socket,
            path: path.into(),
        })
    }

    /// The socket path records are sent to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks that a live receiver is bound at the path. Connecting a datagram socket makes the
    /// kernel look the receiver up (`ECONNREFUSED` for a stale socket file, `ENOENT` for none)
    /// without putting anything in the journal.
    pub fn probe(&self) -> io::Result<()> {
        UnixDatagram::unbound()?.connect(&self.path)
    }

    /// Sends `record`, through a memfd when it is too large for a datagram.
    pub fn send(&self, record: &Record) -> Result<Transport, JournalError> {
        record.validate()?;
        let payload = encode(record);
        match self.socket.send_to(&payload, &self.path) {
            Ok(_) => Ok(Transport::Datagram),
            Err(e) if matches!(e.raw_os_error(), Some(libc::EMSGSIZE | libc::ENOBUFS)) => {
                self.send_memfd(&payload)?;
                Ok(Transport::Memfd)
            }
            Err(source) => Err(JournalError::Send {
                path: self.path.clone(),
                source,
            }),
        }
    }

    fn send_memfd(&self, payload: &[u8]) -> Result<(), JournalError> {
        let memfd_err = |step: &'static str| {
            move |e: nix::Error| JournalError::Memfd {
                step,
                source: io::Error::from(e),
            }
        };
        let fd = memfd_create(
            c"airgapd-journal",
            MemFdCreateFlag::MFD_CLOEXEC | MemFdCreateFlag::MFD_ALLOW_SEALING,
        )
        .map_err(memfd_err("create"))?;
        let mut file = File::from(fd);
        file.write_all(payload)
            .map_err(|source| JournalError::Memfd {
                step: "write",
                source,
            })?;
        // journald trusts only a sealed memfd: the sender could change it while it is parsed.
        let seals = SealFlag::F_SEAL_SHRINK
            | SealFlag::F_SEAL_GROW
            | SealFlag::F_SEAL_WRITE
            | SealFlag::F_SEAL_SEAL;
        fcntl(file.as_raw_fd(), FcntlArg::F_ADD_SEALS(seals)).map_err(memfd_err("seal"))?;
        let addr = UnixAddr::new(&self.path).map_err(|e| JournalError::Send {
            path: self.path.clone(),
            source: io::Error::from(e),
        })?;
        let fds = [file.as_raw_fd()];
        let no_data: [IoSlice<'_>; 0] = [];
        sendmsg(
            self.socket.as_raw_fd(),
            &no_data,
            &[ControlMessage::ScmRights(&fds)],
            MsgFlags::empty(),
            Some(&addr),
        )
        .map_err(|e| JournalError::Send {
            path: self.path.clone(),
            source: io::Error::from(e),
        })?;
        Ok(())
    }
}

/// The native-protocol bytes of `record`, with the fields every airgapd record carries.
/// The record must have been validated.
pub(crate) fn encode(record: &Record) -> Vec<u8> {
    let mut buf = Vec::with_capacity(
        128 + record.message.len()
            + record
                .fields
                .iter()
                .map(|(n, v)| n.len() + v.len() + 10)
                .sum::<usize>(),
    );
    push_field(&mut buf, "MESSAGE", record.message.as_bytes());
    push_field(
        &mut buf,
        "MESSAGE_ID",
        record.message_id.to_string().as_bytes(),
    );
    push_field(
        &mut buf,
        "PRIORITY",
        record.priority.as_u8().to_string().as_bytes(),
    );
    push_field(&mut buf, "SYSLOG_IDENTIFIER", SYSLOG_IDENTIFIER.as_bytes());
    for (name, value) in &record.fields {
        push_field(&mut buf, name, value.as_bytes());
    }
    // The Vietnamese catalog entries print these instead of MESSAGE and English values.
    for (name, value) in super::vietnamese::fields(record) {
        push_field(&mut buf, name, value.as_bytes());
    }
    buf
}

fn push_field(buf: &mut Vec<u8>, name: &str, value: &[u8]) {
    buf.extend_from_slice(name.as_bytes());
    if value.contains(&b'\n') {
        buf.push(b'\n');
        buf.extend_from_slice(&(value.len() as u64).to_le_bytes());
    } else {
        buf.push(b'=');
    }
    buf.extend_from_slice(value);
    buf.push(b'\n');
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::journal::{field, MessageId, Priority};
    use nix::sys::socket::{recvmsg, ControlMessageOwned};
    use std::io::{IoSliceMut, Read, Seek, SeekFrom};
    use std::os::fd::{FromRawFd, OwnedFd};

    /// Parses native-protocol bytes back into (name, value) pairs; the inverse of `encode`.
    pub(crate) fn decode(mut bytes: &[u8]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            let eol = bytes.iter().position(|&b| b == b'\n').expect("line ends");
            let line = &bytes[..eol];
            if let Some(eq) = line.iter().position(|&b| b == b'=') {
                let name = String::from_utf8(line[..eq].to_vec()).unwrap();
                out.push((name, String::from_utf8(line[eq + 1..].to_vec()).unwrap()));
                bytes = &bytes[eol + 1..];
            } else {
                let name = String::from_utf8(line.to_vec()).unwrap();
                let rest = &bytes[eol + 1..];
                let len = u64::from_le_bytes(rest[..8].try_into().unwrap()) as usize;
                let value = String::from_utf8(rest[8..8 + len].to_vec()).unwrap();
                assert_eq!(
                    rest[8 + len],
                    b'\n',
                    "binary field {name} ends with a newline"
                );
                out.push((name, value));
                bytes = &rest[8 + len + 1..];
            }
        }
        out
    }

    /// A bound datagram socket standing in for journald, removed on drop.
    pub(crate) struct FakeJournald {
        pub(crate) socket: UnixDatagram,
        pub(crate) path: PathBuf,
    }

    impl FakeJournald {
        pub(crate) fn bind(tag: &str) -> FakeJournald {
            let path = std::env::temp_dir().join(format!(
                "airgapd-fake-journald-{tag}-{}",
                std::process::id()
            ));
            let _ = std::fs::remove_file(&path);
            let socket = UnixDatagram::bind(&path).unwrap();
            socket
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            FakeJournald { socket, path }
        }

        /// Receives one record, reading it from the memfd when one was passed.
        pub(crate) fn recv(&self) -> (Transport, Vec<(String, String)>) {
            let mut buf = vec![0u8; 1 << 20];
            let mut cmsg = nix::cmsg_space!([std::os::fd::RawFd; 1]);
            let mut iov = [IoSliceMut::new(&mut buf)];
            let msg = recvmsg::<()>(
                self.socket.as_raw_fd(),
                &mut iov,
                Some(&mut cmsg),
                MsgFlags::empty(),
            )
            .unwrap();
            let len = msg.bytes;
            let fd = msg.cmsgs().unwrap().find_map(|c| match c {
                ControlMessageOwned::ScmRights(fds) => Some(fds[0]),
                _ => None,
            });
            match fd {
                None => (Transport::Datagram, decode(&buf[..len])),
                Some(fd) => {
                    assert_eq!(len, 0, "a memfd comes alone");
                    // SAFETY: the kernel just installed this descriptor; nothing else owns it.
                    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
                    let seals = fcntl(fd.as_raw_fd(), FcntlArg::F_GET_SEALS).unwrap();
                    let want = SealFlag::F_SEAL_SHRINK
                        | SealFlag::F_SEAL_GROW
                        | SealFlag::F_SEAL_WRITE
                        | SealFlag::F_SEAL_SEAL;
                    assert_eq!(SealFlag::from_bits_truncate(seals) & want, want);
                    // The descriptor shares the sender's file offset, which is at the end.
                    let mut file = File::from(fd);
                    file.seek(SeekFrom::Start(0)).unwrap();
                    let mut data = Vec::new();
                    file.read_to_end(&mut data).unwrap();
                    (Transport::Memfd, decode(&data))
                }
            }
        }
    }

    impl Drop for FakeJournald {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.path);
        }
    }

    /// A size that cannot fit in one datagram with the default send buffer.
    pub(crate) fn too_big_for_a_datagram() -> usize {
        let wmem = std::fs::read_to_string("/proc/sys/net/core/wmem_default")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .unwrap_or(212_992);
        wmem.max(200 * 1024) + 64 * 1024
    }

    #[test]
    fn simple_and_binary_fields() {
        let record = Record::new(MessageId::NetworkViolation, "two\nlines")
            .field(field::PID, 42)
            .field(field::EXE, "/tmp/a\nb");
        let fields = decode(&encode(&record));
        let get = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("MESSAGE"), Some("two\nlines"));
        assert_eq!(get("MESSAGE_ID"), Some("a982450d2821469cb6d869ae4ddaf373"));
        assert_eq!(get("PRIORITY"), Some("4"));
        assert_eq!(get("SYSLOG_IDENTIFIER"), Some("airgapd"));
        assert_eq!(get("AIRGAP_PID"), Some("42"));
        assert_eq!(get("AIRGAP_EXE"), Some("/tmp/a\nb"));
        // The binary form: name, newline, length, value, newline.
        let bytes = encode(&record);
        let mut expect = b"AIRGAP_EXE\n".to_vec();
        expect.extend_from_slice(&8u64.to_le_bytes());
        expect.extend_from_slice(b"/tmp/a\nb\n");
        assert!(bytes.windows(expect.len()).any(|w| w == expect.as_slice()));
        assert!(get(super::super::vietnamese::SUMMARY).is_some());
    }

    #[test]
    fn small_record_goes_in_a_datagram() {
        let journald = FakeJournald::bind("small");
        let sock = JournalSocket::new(&journald.path).unwrap();
        sock.probe().unwrap();
        let record = Record::new(MessageId::DeviceArrival, "usb stick")
            .priority(Priority::Info)
            .field(field::SERIAL, "123")
            .field(field::ACTION, field::action::REFUSE)
            .field(field::RESULT, field::result::SUCCESS);
        assert_eq!(sock.send(&record).unwrap(), Transport::Datagram);
        let (transport, fields) = journald.recv();
        assert_eq!(transport, Transport::Datagram);
        assert!(fields.contains(&("PRIORITY".into(), "6".into())));
        assert!(fields.contains(&("AIRGAP_SERIAL".into(), "123".into())));
    }

    #[test]
    fn large_record_goes_through_a_sealed_memfd() {
        let journald = FakeJournald::bind("large");
        let sock = JournalSocket::new(&journald.path).unwrap();
        let big = "x".repeat(too_big_for_a_datagram());
        let record = Record::new(MessageId::PolicyRejected, big.clone()).field(field::RULE, "r");
        assert_eq!(sock.send(&record).unwrap(), Transport::Memfd);
        let (transport, fields) = journald.recv();
        assert_eq!(transport, Transport::Memfd);
        assert!(fields.contains(&("MESSAGE".into(), big)));
        assert!(fields.contains(&("AIRGAP_RULE".into(), "r".into())));
    }

    #[test]
    fn probe_fails_without_a_receiver() {
        let path = std::env::temp_dir().join(format!("airgapd-no-journald-{}", std::process::id()));
        let sock = JournalSocket::new(&path).unwrap();
        assert!(sock.probe().is_err());
        let err = sock
            .send(&Record::new(MessageId::DaemonStarted, "x"))
            .unwrap_err();
        assert!(matches!(err, JournalError::Send { .. }), "{err}");
    }
}
