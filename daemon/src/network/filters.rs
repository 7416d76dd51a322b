//! The classic tc filters on an interface's clsact hooks, as the kernel lists them
//! (RTM_GETTFILTER dump), in the order it runs them: lowest priority number first, and within
//! one priority the order of the classifier's list (cls_bpf puts a new filter at its head).
//! Kernels without TCX carry the interface programs as such filters
//! ([`super::attach_wire_legacy`]); the tamper check reads them to see that airgapd's filter is
//! there, runs airgapd's program, and comes first.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use aya::programs::TcAttachType;

use super::rtnetlink::{attrs, messages, route_socket, NLMSG_HDR};

/// struct tcmsg: family, pads, ifindex @4, handle @8, parent @12, info @16.
const TCMSG: usize = 20;
const RTM_NEWTFILTER: u16 = 44;
const RTM_GETTFILTER: u16 = 46;
const TCA_KIND: u16 = 1;
const TCA_OPTIONS: u16 = 2;
const TCA_BPF_NAME: u16 = 7;
const TCA_BPF_ID: u16 = 11;

/// One filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Its priority (`tc ... pref`).
    pub prio: u16,
    /// Its handle.
    pub handle: u32,
    /// The classifier (`bpf`, `u32`, `matchall`, ...).
    pub kind: String,
    /// For a `bpf` filter, the id of the program it runs.
    pub prog_id: Option<u32>,
    /// For a `bpf` filter, the name tc gave it (`airgap_wire_egress`, a file name...).
    pub name: String,
}

impl Filter {
    /// In words, for the records.
    pub fn describe(&self) -> String {
        let prog = self
            .prog_id
            .map_or_else(String::new, |id| format!(", program id {id}"));
        format!(
            "{} filter {:?} (pref {}, handle {:#x}{prog})",
            self.kind, self.name, self.prio, self.handle
        )
    }
}

/// What keeps airgapd's filter of one direction from enforcing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterProblem {
    /// Another qdisc than clsact on the ingress handle (`ingress`: no egress hook; its filters
    /// share one list, where airgapd's cannot be put back without replacing someone else's).
    ForeignQdisc(String),
    /// No bpf filter at airgapd's priority and handle.
    Missing,
    /// Airgapd's filter runs another program (the filter, described).
    OtherProgram(String),
    /// Filters that run before airgapd's (described).
    Overtaken(Vec<String>),
}

/// Judge airgapd's filter of `attach` on `ifindex` (a bpf filter at `prio`, `handle`, first
/// of its list, whose program `is_ours` accepts). None: it enforces (or the filters cannot be
/// read, which says nothing).
pub fn judge(
    ifindex: u32,
    attach: TcAttachType,
    (prio, handle): (u16, u32),
    is_ours: &dyn Fn(&Filter) -> bool,
) -> Option<FilterProblem> {
    if let Some(kind) = ingress_qdisc(ifindex).ok()?.filter(|k| k != "clsact") {
        return Some(FilterProblem::ForeignQdisc(kind));
    }
    let list = list(ifindex, attach).ok()?;
    let Some(at) = list
        .iter()
        .position(|f| f.kind == "bpf" && f.prio == prio && f.handle == handle)
    else {
        return Some(FilterProblem::Missing);
    };
    if !is_ours(&list[at]) {
        return Some(FilterProblem::OtherProgram(list[at].describe()));
    }
    (at > 0).then(|| FilterProblem::Overtaken(list[..at].iter().map(Filter::describe).collect()))
}

/// The clsact parent of a direction: TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS or _EGRESS).
fn parent(attach: TcAttachType) -> u32 {
    match attach {
        TcAttachType::Ingress => 0xffff_fff2,
        _ => 0xffff_fff3,
    }
}

/// The filters of `attach` on interface `ifindex` of the calling thread's namespace, in the
/// order they run. Empty when there is no clsact qdisc.
pub fn list(ifindex: u32, attach: TcAttachType) -> io::Result<Vec<Filter>> {
    Ok(
        dump(RTM_GETTFILTER, RTM_NEWTFILTER, ifindex, parent(attach))?
            .iter()
            .filter_map(|b| parse(b))
            .collect(),
    )
}

/// The kind of the qdisc on `ifindex`'s ingress handle (`ffff:`): `clsact` as airgapd puts
/// it, `ingress` (the older qdisc, which has no egress hook), or None.
pub fn ingress_qdisc(ifindex: u32) -> io::Result<Option<String>> {
    const RTM_NEWQDISC: u16 = 36;
    const RTM_GETQDISC: u16 = 38;
    const TC_H_INGRESS: u32 = 0xffff_fff1;
    for body in dump(RTM_GETQDISC, RTM_NEWQDISC, ifindex, 0)? {
        let Some(tcm) = body.get(..TCMSG) else {
            continue;
        };
        let u32_at = |o: usize| u32::from_ne_bytes(tcm[o..o + 4].try_into().expect("4 bytes"));
        if u32_at(4) != ifindex || u32_at(12) != TC_H_INGRESS {
            continue;
        }
        let kind = attrs(&body[TCMSG..]).find(|(k, _)| *k == TCA_KIND);
        return Ok(kind.map(|(_, p)| text(p)));
    }
    Ok(None)
}

/// A dump request (`request`, tcmsg with `ifindex` and `parent`); the bodies of the `answer`
/// messages.
fn dump(request: u16, answer: u16, ifindex: u32, parent: u32) -> io::Result<Vec<Vec<u8>>> {
    let fd = route_socket(0)?;
    let seq = 1;
    let mut req = vec![0u8; NLMSG_HDR + TCMSG];
    let hdr = libc::nlmsghdr {
        nlmsg_len: req.len() as u32,
        nlmsg_type: request,
        nlmsg_flags: (libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16,
        nlmsg_seq: seq,
        nlmsg_pid: 0,
    };
    // SAFETY: nlmsghdr is plain data and req is large enough for it.
    unsafe { std::ptr::write_unaligned(req.as_mut_ptr().cast(), hdr) };
    let body = &mut req[NLMSG_HDR..];
    body[0] = libc::AF_UNSPEC as u8;
    body[4..8].copy_from_slice(&ifindex.to_ne_bytes());
    body[12..16].copy_from_slice(&parent.to_ne_bytes());
    // SAFETY: valid fd and buffer.
    if unsafe { libc::send(fd.as_raw_fd(), req.as_ptr().cast(), req.len(), 0) } < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut out = Vec::new();
    loop {
        let buf = recv(&fd)?;
        for (hdr, body) in messages(&buf) {
            if hdr.nlmsg_seq != seq {
                continue;
            }
            match i32::from(hdr.nlmsg_type) {
                libc::NLMSG_DONE => return Ok(out),
                libc::NLMSG_ERROR => {
                    let errno = body
                        .get(..4)
                        .map_or(0, |b| i32::from_ne_bytes(b.try_into().expect("4 bytes")));
                    if errno == 0 {
                        return Ok(out);
                    }
                    return Err(io::Error::from_raw_os_error(-errno));
                }
                _ if hdr.nlmsg_type == answer => out.push(body.to_vec()),
                _ => {}
            }
        }
    }
}

fn text(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

fn recv(fd: &OwnedFd) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        // SAFETY: valid fd and buffer.
        let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n >= 0 {
            buf.truncate(n as usize);
            return Ok(buf);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// One RTM_NEWTFILTER body; None for the header each priority's classifier sends first
/// (handle 0) and for truncated messages.
fn parse(body: &[u8]) -> Option<Filter> {
    let tcm = body.get(..TCMSG)?;
    let u32_at = |o: usize| u32::from_ne_bytes(tcm[o..o + 4].try_into().expect("4 bytes"));
    let handle = u32_at(8);
    if handle == 0 {
        return None;
    }
    let mut f = Filter {
        prio: (u32_at(16) >> 16) as u16,
        handle,
        kind: String::new(),
        prog_id: None,
        name: String::new(),
    };
    for (kind, payload) in attrs(&body[TCMSG..]) {
        match kind {
            TCA_KIND => f.kind = text(payload),
            TCA_OPTIONS => {
                for (k, p) in attrs(payload) {
                    match k {
                        TCA_BPF_ID if p.len() >= 4 => {
                            f.prog_id = Some(u32::from_ne_bytes(p[..4].try_into().ok()?))
                        }
                        TCA_BPF_NAME => f.name = text(p),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::rtnetlink::align4;

    fn attr(kind: u16, payload: &[u8]) -> Vec<u8> {
        let mut a = Vec::new();
        a.extend_from_slice(&((4 + payload.len()) as u16).to_ne_bytes());
        a.extend_from_slice(&kind.to_ne_bytes());
        a.extend_from_slice(payload);
        a.resize(align4(a.len()), 0);
        a
    }

    fn body(handle: u32, prio: u16, options: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; TCMSG];
        b[8..12].copy_from_slice(&handle.to_ne_bytes());
        b[16..20].copy_from_slice(&(u32::from(prio) << 16 | 0x0300).to_ne_bytes());
        b.extend(attr(TCA_KIND, b"bpf\0"));
        // TCA_OPTIONS is sent with NLA_F_NESTED.
        b.extend(attr(TCA_OPTIONS | 0x8000, options));
        b
    }

    #[test]
    fn reads_a_bpf_filter_and_skips_the_priority_header() {
        let mut opts = attr(TCA_BPF_NAME, b"airgap_wire_egress\0");
        opts.extend(attr(TCA_BPF_ID, &42u32.to_ne_bytes()));
        let f = parse(&body(1, 1, &opts)).unwrap();
        assert_eq!(
            f,
            Filter {
                prio: 1,
                handle: 1,
                kind: "bpf".into(),
                prog_id: Some(42),
                name: "airgap_wire_egress".into(),
            }
        );
        assert!(f.describe().contains("pref 1, handle 0x1, program id 42"));
        assert_eq!(parse(&body(0, 1, &[])), None, "the header of pref 1");
        assert_eq!(parse(&[0u8; 8]), None, "truncated");
    }
}
