//! The errno names the probes print, so tests compare words rather than numbers.

use std::io;

/// `EPERM`, `ENETUNREACH`, ...; `errno N` for others, the message for non-OS errors.
pub fn errno_name(e: &io::Error) -> String {
    let Some(code) = e.raw_os_error() else {
        return format!("error: {e}");
    };
    let name = match code {
        libc::EPERM => "EPERM",
        libc::EACCES => "EACCES",
        libc::ENETUNREACH => "ENETUNREACH",
        libc::ECONNREFUSED => "ECONNREFUSED",
        libc::EADDRNOTAVAIL => "EADDRNOTAVAIL",
        libc::EAFNOSUPPORT => "EAFNOSUPPORT",
        libc::EINVAL => "EINVAL",
        libc::ENOBUFS => "ENOBUFS",
        libc::ENOPROTOOPT => "ENOPROTOOPT",
        libc::ENODEV => "ENODEV",
        libc::EHOSTUNREACH => "EHOSTUNREACH",
        libc::EPROTONOSUPPORT => "EPROTONOSUPPORT",
        libc::ETIMEDOUT | libc::EAGAIN => "ETIMEDOUT",
        libc::ECONNRESET => "ECONNRESET",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::EDESTADDRREQ => "EDESTADDRREQ",
        _ => return format!("errno {code}"),
    };
    name.to_string()
}
