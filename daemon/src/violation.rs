//! A refusal the kernel reported, decoded from the ring buffer into plain Rust.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, SystemTime};

use airgapd_ebpf::abi;

use crate::maps::FoldKey;

/// What was refused. One per `enum airgap_kind` in the ABI header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// socket(2) of a refused family, type or protocol.
    NetCreate,
    /// connect(2) or TCP Fast Open to a refused address.
    NetConnect,
    /// bind(2) to a refused address.
    NetBind,
    /// sendto/sendmsg to a refused address.
    NetSend,
    /// A scoped socket's packet leaving on a non-loopback interface.
    NetSkbEgress,
    /// A packet for a scoped socket arriving on a non-loopback interface.
    NetSkbIngress,
    /// A frame leaving through an interface program (AF_PACKET and other non-socket paths).
    NetWireEgress,
    /// A frame arriving through an interface program.
    NetWireIngress,
    /// A block device access.
    DevBlock,
    /// A character device access (raw device paths).
    DevChar,
    /// A socket option that opens a way around the network layers (PACKET_QDISC_BYPASS, AF_XDP
    /// rings, a multicast join in a cgroup scope).
    NetSockopt,
    /// A route to writing an approved read-only medium (BLKROSET, SG_IO write commands,
    /// partitions made anew, a read-write remount), where BPF LSM loads.
    DevReadOnly,
    /// Another process's bpf(2) on airgapd's own objects (a link opened, a map opened for
    /// writing, the pin directory changed, the daemon ptraced), where BPF LSM loads
    /// (`crate::bpf_guard`).
    BpfGuard,
    /// A program, script or executable mapping of a file on a removable medium. Not a kind of
    /// the kernel's violation events: the exec layers report through their own channels.
    Exec,
}

impl Kind {
    /// Every kind, in counter-index order.
    pub const ALL: [Kind; abi::AIRGAP_KIND_COUNT as usize] = [
        Kind::NetCreate,
        Kind::NetConnect,
        Kind::NetBind,
        Kind::NetSend,
        Kind::NetSkbEgress,
        Kind::NetSkbIngress,
        Kind::NetWireEgress,
        Kind::NetWireIngress,
        Kind::DevBlock,
        Kind::DevChar,
        Kind::NetSockopt,
        Kind::DevReadOnly,
        Kind::BpfGuard,
    ];

    /// Every kind `airgapctl violations` can show: the kernel's, then exec refusals.
    pub const REPORTED: [Kind; abi::AIRGAP_KIND_COUNT as usize + 1] = {
        let mut out = [Kind::Exec; abi::AIRGAP_KIND_COUNT as usize + 1];
        let mut i = 0;
        while i < Kind::ALL.len() {
            out[i] = Kind::ALL[i];
            i += 1;
        }
        out
    };

    /// The ABI value (counter index, event kind); `None` for [`Kind::Exec`], which no kernel
    /// event or counter carries.
    pub fn abi(self) -> Option<u32> {
        Some(match self {
            Kind::NetCreate => abi::AIRGAP_KIND_NET_CREATE,
            Kind::NetConnect => abi::AIRGAP_KIND_NET_CONNECT,
            Kind::NetBind => abi::AIRGAP_KIND_NET_BIND,
            Kind::NetSend => abi::AIRGAP_KIND_NET_SEND,
            Kind::NetSkbEgress => abi::AIRGAP_KIND_NET_SKB_EGRESS,
            Kind::NetSkbIngress => abi::AIRGAP_KIND_NET_SKB_INGRESS,
            Kind::NetWireEgress => abi::AIRGAP_KIND_NET_WIRE_EGRESS,
            Kind::NetWireIngress => abi::AIRGAP_KIND_NET_WIRE_INGRESS,
            Kind::DevBlock => abi::AIRGAP_KIND_DEV_BLOCK,
            Kind::DevChar => abi::AIRGAP_KIND_DEV_CHAR,
            Kind::NetSockopt => abi::AIRGAP_KIND_NET_SOCKOPT,
            Kind::DevReadOnly => abi::AIRGAP_KIND_DEV_READONLY,
            Kind::BpfGuard => abi::AIRGAP_KIND_BPF_GUARD,
            Kind::Exec => return None,
        })
    }

    /// The kind for an ABI value, if this daemon knows it.
    pub fn from_abi(v: u32) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.abi() == Some(v))
    }

    /// Stable name used in the journal (`AIRGAP_KIND`), JSON and `--kind` filters.
    pub fn name(self) -> &'static str {
        match self {
            Kind::NetCreate => "net.create",
            Kind::NetConnect => "net.connect",
            Kind::NetBind => "net.bind",
            Kind::NetSend => "net.send",
            Kind::NetSkbEgress => "net.egress",
            Kind::NetSkbIngress => "net.ingress",
            Kind::NetWireEgress => "net.wire-egress",
            Kind::NetWireIngress => "net.wire-ingress",
            Kind::DevBlock => "dev.block",
            Kind::DevChar => "dev.char",
            Kind::NetSockopt => "net.sockopt",
            Kind::DevReadOnly => "dev.readonly",
            Kind::BpfGuard => "bpf.guard",
            Kind::Exec => "exec",
        }
    }

    /// What the process tried, in words.
    pub fn verb(self) -> &'static str {
        match self {
            Kind::NetCreate => "socket",
            Kind::NetConnect => "connect",
            Kind::NetBind => "bind",
            Kind::NetSend => "send",
            Kind::NetSkbEgress => "packet out",
            Kind::NetSkbIngress => "packet in",
            Kind::NetWireEgress => "frame out",
            Kind::NetWireIngress => "frame in",
            Kind::DevBlock => "block device",
            Kind::DevChar => "char device",
            Kind::NetSockopt => "socket option",
            Kind::DevReadOnly => "writing read-only medium",
            Kind::BpfGuard => "bpf() on",
            Kind::Exec => "running",
        }
    }

    /// Whether this kind is about the network (as opposed to devices).
    pub fn is_network(self) -> bool {
        !matches!(
            self,
            Kind::DevBlock | Kind::DevChar | Kind::DevReadOnly | Kind::BpfGuard | Kind::Exec
        )
    }

    /// Whether this kind is about a packet or a frame (the hook runs for no process).
    pub fn is_packet(self) -> bool {
        matches!(
            self,
            Kind::NetSkbEgress | Kind::NetSkbIngress | Kind::NetWireEgress | Kind::NetWireIngress
        )
    }

    /// Whether this kind is about a device (a major:minor).
    pub fn is_device(self) -> bool {
        matches!(self, Kind::DevBlock | Kind::DevChar | Kind::DevReadOnly)
    }
}

/// One refusal with everything the kernel told about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Wall-clock time of the refusal.
    pub time: SystemTime,
    /// When the kernel refused, on `CLOCK_BOOTTIME` in nanoseconds (None for refusals not
    /// stamped by the kernel's clock): what the daemon compares with its own decisions, which a
    /// step of the wall clock does not move.
    pub boot_ns: Option<u64>,
    /// What was refused.
    pub kind: Kind,
    /// Thread id (0 where the hook runs outside the task, e.g. for packets).
    pub tid: u32,
    /// Process id.
    pub pid: u32,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Command name (`comm`), empty when unknown.
    pub comm: String,
    /// cgroup v2 id of the task or socket.
    pub cgroup_id: u64,
    /// Address family (AF_*).
    pub family: u16,
    /// Socket type (SOCK_*).
    pub sock_type: u16,
    /// Protocol (IPPROTO_*, or ETH_P_* for wire events).
    pub protocol: u16,
    /// The address the process used, when there is one.
    pub addr: Option<IpAddr>,
    /// Port, host order (0 when none).
    pub port: u16,
    /// Interface index for packet events.
    pub ifindex: u32,
    /// Device (major, minor) for device events.
    pub device: Option<(u32, u32)>,
    /// Access wanted, `enum airgap_dev_access` bits.
    pub access: u16,
    /// Exec refusals: the file refused, as the daemon could name it.
    pub file: Option<String>,
    /// Socket option refusals: the option's (level, name).
    pub sockopt: Option<(u32, u32)>,
    /// Read-only medium refusals: the route (`enum airgap_ro_route`) and its detail.
    pub route: Option<(u32, u32)>,
    /// The call came through the 32-bit compat entry (an i386 program, or `int 0x80`).
    pub compat: bool,
    /// The kernel gave the refusing program no process id or name (a reduced variant on an
    /// older kernel): `pid`, `tid` are 0 and `comm` empty although a task made the call.
    pub process_unknown: bool,
    /// bpf.guard refusals: what was refused (`enum airgap_guard_action`) and the object's id.
    pub guard: Option<(u32, u32)>,
    /// bpf.guard refusals: the object by name (`link_airgap_connect4 (link 17)`), as the daemon
    /// knows its objects; None until it is named.
    pub object: Option<String>,
    /// Refusals from the ring buffer that the kernel may fold: their fold key, and the
    /// kernel's running count of refusals identical to this one that it folded instead of
    /// sending, as it was when this one was sent (`airgap_event.folded`;
    /// `crate::storm::kernel` turns it into repeats).
    pub fold: Option<(FoldKey, u64)>,
}

const AF_INET: u16 = libc::AF_INET as u16;
const AF_INET6: u16 = libc::AF_INET6 as u16;

impl Violation {
    /// A refusal of `kind` at `time` of which nothing else is known yet: the base of the
    /// daemon's own descriptions (exec refusals, refusals the kernel folded whose event was
    /// lost), which set what they know with `..Violation::of(kind, time)`.
    pub fn of(kind: Kind, time: SystemTime) -> Violation {
        Violation {
            time,
            boot_ns: None,
            kind,
            tid: 0,
            pid: 0,
            uid: u32::MAX,
            gid: u32::MAX,
            comm: String::new(),
            cgroup_id: 0,
            family: 0,
            sock_type: 0,
            protocol: 0,
            addr: None,
            port: 0,
            ifindex: 0,
            device: None,
            access: 0,
            file: None,
            sockopt: None,
            route: None,
            compat: false,
            process_unknown: false,
            guard: None,
            object: None,
            fold: None,
        }
    }

    /// Decode a ring buffer record; `None` for a record of unknown size or kind (a newer
    /// kernel side than this daemon, which the ABI version check should have prevented).
    pub fn decode(bytes: &[u8], clock: &BootClock) -> Option<Violation> {
        if bytes.len() != std::mem::size_of::<abi::airgap_event>() {
            return None;
        }
        // SAFETY: the length matches and airgap_event is plain old data; read_unaligned copes
        // with the ring buffer's 8-byte (not necessarily struct) alignment.
        let e: abi::airgap_event = unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast()) };
        Violation::from_event(&e, clock)
    }

    /// Decode a kernel event struct; `None` for a kind this daemon does not know.
    pub fn from_event(e: &abi::airgap_event, clock: &BootClock) -> Option<Violation> {
        let kind = Kind::from_abi(u32::from(e.kind))?;
        let addr = match e.family {
            AF_INET if kind.is_network() => Some(IpAddr::V4(Ipv4Addr::new(
                e.addr[0], e.addr[1], e.addr[2], e.addr[3],
            ))),
            AF_INET6 if kind.is_network() => Some(IpAddr::V6(Ipv6Addr::from(e.addr))),
            _ => None,
        };
        let comm_len = e.comm.iter().position(|&c| c == 0).unwrap_or(e.comm.len());
        let comm: Vec<u8> = e.comm[..comm_len].iter().map(|&c| c as u8).collect();
        Some(Violation {
            time: clock.wall(e.boot_ns),
            boot_ns: Some(e.boot_ns),
            kind,
            tid: e.pid,
            pid: e.tgid,
            uid: e.uid,
            gid: e.gid,
            comm: String::from_utf8_lossy(&comm).into_owned(),
            cgroup_id: e.cgroup_id,
            family: e.family,
            sock_type: e.sock_type,
            protocol: e.protocol,
            // Socket creation and socket options name no address: none was used.
            addr: addr.filter(|_| !matches!(kind, Kind::NetCreate | Kind::NetSockopt)),
            port: e.port,
            ifindex: e.ifindex,
            device: kind.is_device().then_some((e.dev_major, e.dev_minor)),
            access: e.access,
            file: None,
            sockopt: (kind == Kind::NetSockopt).then_some((e.opt_level, e.opt_name)),
            route: (kind == Kind::DevReadOnly).then_some((e.opt_level, e.opt_name)),
            compat: e.flags & abi::AIRGAP_EVENT_COMPAT != 0,
            process_unknown: e.flags & abi::AIRGAP_EVENT_NO_TASK != 0,
            guard: (kind == Kind::BpfGuard).then_some((e.opt_level, e.opt_name)),
            object: None,
            // Packets and frames are never folded (airgapd_abi.h).
            fold: (!kind.is_packet()).then(|| (FoldKey::of_event(e), e.folded)),
        })
    }

    /// The address and port as a person writes them (`93.184.216.34:443`, `[::1]:80`).
    pub fn endpoint(&self) -> Option<String> {
        let addr = self.addr?;
        Some(match (addr, self.port) {
            (IpAddr::V6(a), 0) => a.to_string(),
            (IpAddr::V6(a), p) => format!("[{a}]:{p}"),
            (a, 0) => a.to_string(),
            (a, p) => format!("{a}:{p}"),
        })
    }
}

/// `airgapd: denied connect 93.184.216.34:443 by curl[4242] uid=1000`
impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "denied {}", self.kind.verb())?;
        match self.kind {
            Kind::NetCreate => write!(
                f,
                " {} type={} protocol={}",
                family_name(self.family),
                sock_type_name(self.sock_type),
                self.protocol
            )?,
            Kind::DevBlock | Kind::DevChar => {
                let (maj, min) = self.device.unwrap_or_default();
                write!(f, " {maj}:{min} ({})", access_words(self.access))?
            }
            Kind::DevReadOnly => {
                let (maj, min) = self.device.unwrap_or_default();
                let (route, detail) = self.route.unwrap_or_default();
                write!(f, " {maj}:{min} ({})", route_words(route, detail))?;
                if self.compat {
                    f.write_str(" through the 32-bit entry")?;
                }
            }
            Kind::Exec => write!(f, " {}", self.file.as_deref().unwrap_or("?"))?,
            Kind::BpfGuard => {
                let (action, id) = self.guard.unwrap_or_default();
                let object = self
                    .object
                    .clone()
                    .unwrap_or_else(|| format!("object {id}"));
                write!(f, " {object} ({})", guard_action_words(action))?
            }
            Kind::NetSockopt => {
                let (level, name) = self.sockopt.unwrap_or_default();
                write!(
                    f,
                    " {} on {}",
                    sockopt_name(level, name),
                    family_name(self.family)
                )?;
                if self.compat {
                    f.write_str(" through the 32-bit entry")?;
                }
            }
            _ => {
                if let Some(ep) = self.endpoint() {
                    write!(f, " {ep}")?;
                }
                if self.ifindex != 0 {
                    write!(f, " on ifindex {}", self.ifindex)?;
                }
            }
        }
        if self.pid != 0 {
            write!(f, " by {}[{}] uid={}", self.comm, self.pid, self.uid)?;
        } else if self.process_unknown {
            // Never "pid 0": the kernel did not say which process it was.
            write!(
                f,
                " by an unknown process (cgroup {}, uid={})",
                self.cgroup_id, self.uid
            )?;
        } else if self.kind.is_network() && self.cgroup_id != 0 {
            write!(f, " (cgroup {}, uid={})", self.cgroup_id, self.uid)?;
        }
        Ok(())
    }
}

/// How a refused attempt would have written a read-only medium (`enum airgap_ro_route`).
pub fn route_words(route: u32, detail: u32) -> String {
    match route {
        abi::AIRGAP_RO_ROSET => "clearing its read-only flag, BLKROSET".into(),
        abi::AIRGAP_RO_SG_IO if detail > 0xff => {
            "SG_IO with a command that could not be read".into()
        }
        abi::AIRGAP_RO_SG_IO => format!("SG_IO SCSI command 0x{detail:02x}"),
        abi::AIRGAP_RO_PARTS => format!("making its partitions anew, ioctl 0x{detail:x}"),
        abi::AIRGAP_RO_REMOUNT => "remounting it read-write".into(),
        abi::AIRGAP_RO_RAW_CMD => format!("raw device command, ioctl 0x{detail:x}"),
        other => format!("route {other}, detail 0x{detail:x}"),
    }
}

/// What a bpf.guard refusal refused (`enum airgap_guard_action`).
pub fn guard_action_words(action: u32) -> String {
    match action {
        abi::AIRGAP_GUARD_LINK_BY_ID => "opening the link by id".into(),
        abi::AIRGAP_GUARD_MAP_WRITE => "opening the map for writing".into(),
        abi::AIRGAP_GUARD_PIN_WRITE => "opening the pin or changing the pin directory".into(),
        abi::AIRGAP_GUARD_PTRACE => "ptrace or taking its descriptors".into(),
        other => format!("action {other}"),
    }
}

/// AF_* name for the families airgapd reports.
pub fn family_name(family: u16) -> String {
    match i32::from(family) {
        libc::AF_UNIX => "AF_UNIX".into(),
        libc::AF_INET => "AF_INET".into(),
        libc::AF_INET6 => "AF_INET6".into(),
        libc::AF_NETLINK => "AF_NETLINK".into(),
        libc::AF_PACKET => "AF_PACKET".into(),
        libc::AF_VSOCK => "AF_VSOCK".into(),
        libc::AF_BLUETOOTH => "AF_BLUETOOTH".into(),
        libc::AF_CAN => "AF_CAN".into(),
        libc::AF_XDP => "AF_XDP".into(),
        libc::AF_TIPC => "AF_TIPC".into(),
        libc::AF_RDS => "AF_RDS".into(),
        other => format!("family {other}"),
    }
}

/// `SOL_PACKET/PACKET_QDISC_BYPASS` for the socket options airgapd refuses; numbers otherwise.
pub fn sockopt_name(level: u32, name: u32) -> String {
    let level_name = match level as i32 {
        libc::SOL_IP => "SOL_IP",
        libc::SOL_IPV6 => "SOL_IPV6",
        libc::SOL_PACKET => "SOL_PACKET",
        libc::SOL_XDP => "SOL_XDP",
        _ => return format!("level {level} option {name}"),
    };
    let option = match (level as i32, name as i32) {
        (libc::SOL_PACKET, 20) => "PACKET_QDISC_BYPASS",
        (libc::SOL_XDP, libc::XDP_RX_RING) => "XDP_RX_RING",
        (libc::SOL_XDP, libc::XDP_TX_RING) => "XDP_TX_RING",
        (libc::SOL_XDP, libc::XDP_UMEM_REG) => "XDP_UMEM_REG",
        (libc::SOL_XDP, libc::XDP_UMEM_FILL_RING) => "XDP_UMEM_FILL_RING",
        (libc::SOL_XDP, libc::XDP_UMEM_COMPLETION_RING) => "XDP_UMEM_COMPLETION_RING",
        (libc::SOL_IP, libc::IP_ADD_MEMBERSHIP) => "IP_ADD_MEMBERSHIP",
        (libc::SOL_IP, libc::IP_ADD_SOURCE_MEMBERSHIP) => "IP_ADD_SOURCE_MEMBERSHIP",
        (libc::SOL_IPV6, libc::IPV6_ADD_MEMBERSHIP) => "IPV6_ADD_MEMBERSHIP",
        (libc::SOL_IPV6, 27) => "IPV6_JOIN_ANYCAST",
        (_, libc::MCAST_JOIN_GROUP) => "MCAST_JOIN_GROUP",
        (_, libc::MCAST_JOIN_SOURCE_GROUP) => "MCAST_JOIN_SOURCE_GROUP",
        _ => return format!("{level_name}/{name}"),
    };
    format!("{level_name}/{option}")
}

fn sock_type_name(t: u16) -> String {
    match i32::from(t) {
        libc::SOCK_STREAM => "stream".into(),
        libc::SOCK_DGRAM => "dgram".into(),
        libc::SOCK_RAW => "raw".into(),
        libc::SOCK_SEQPACKET => "seqpacket".into(),
        other => other.to_string(),
    }
}

/// "read", "read+write", "mknod" for a device access mask.
pub fn access_words(access: u16) -> String {
    let names = [
        (abi::AIRGAP_ACC_READ, "read"),
        (abi::AIRGAP_ACC_WRITE, "write"),
        (abi::AIRGAP_ACC_MKNOD, "mknod"),
    ];
    let words: Vec<&str> = names
        .iter()
        .filter(|(bit, _)| u32::from(access) & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    if words.is_empty() {
        "exists".into()
    } else {
        words.join("+")
    }
}

/// Turns CLOCK_BOOTTIME stamps from the kernel into wall-clock time.
#[derive(Debug, Clone, Copy)]
pub struct BootClock {
    wall_at_boot: SystemTime,
}

impl BootClock {
    /// Measure the offset between the two clocks now.
    pub fn now() -> BootClock {
        let boot = nix::time::clock_gettime(nix::time::ClockId::CLOCK_BOOTTIME)
            .map(|t| Duration::new(t.tv_sec() as u64, t.tv_nsec() as u32))
            .unwrap_or_default();
        BootClock {
            wall_at_boot: SystemTime::now() - boot,
        }
    }

    /// `CLOCK_BOOTTIME` now, in nanoseconds: the clock of the kernel's stamps on refusals.
    pub fn boot_ns() -> u64 {
        nix::time::clock_gettime(nix::time::ClockId::CLOCK_BOOTTIME)
            .map(|t| t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64)
            .unwrap_or_default()
    }

    /// The wall-clock time of a boot-time stamp in nanoseconds.
    pub fn wall(&self, boot_ns: u64) -> SystemTime {
        self.wall_at_boot + Duration::from_nanos(boot_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: u32) -> abi::airgap_event {
        let mut e = abi::airgap_event {
            kind: kind as u16,
            tgid: 4242,
            pid: 4243,
            uid: 1000,
            ..Default::default()
        };
        e.comm[..4].copy_from_slice(&[b'c' as _, b'u' as _, b'r' as _, b'l' as _]);
        e
    }

    fn bytes(e: &abi::airgap_event) -> Vec<u8> {
        // SAFETY: plain old data, read as bytes.
        unsafe {
            std::slice::from_raw_parts(
                (e as *const abi::airgap_event).cast::<u8>(),
                std::mem::size_of_val(e),
            )
        }
        .to_vec()
    }

    #[test]
    fn every_kind_round_trips() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_abi(k.abi().unwrap()), Some(k));
        }
        assert_eq!(Kind::from_abi(abi::AIRGAP_KIND_COUNT), None);
    }

    #[test]
    fn decodes_connect_v4_like_the_issue_says() {
        let mut e = event(abi::AIRGAP_KIND_NET_CONNECT);
        e.family = AF_INET;
        e.addr[..4].copy_from_slice(&[93, 184, 216, 34]);
        e.port = 443;
        let v = Violation::decode(&bytes(&e), &BootClock::now()).unwrap();
        assert_eq!(
            v.to_string(),
            "denied connect 93.184.216.34:443 by curl[4242] uid=1000"
        );
    }

    #[test]
    fn decodes_v6_and_socket_create() {
        let mut e = event(abi::AIRGAP_KIND_NET_SEND);
        e.family = AF_INET6;
        e.addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1).octets();
        e.port = 53;
        let v = Violation::decode(&bytes(&e), &BootClock::now()).unwrap();
        assert_eq!(v.endpoint().as_deref(), Some("[2001:db8::1]:53"));

        let mut e = event(abi::AIRGAP_KIND_NET_CREATE);
        e.family = AF_INET;
        e.sock_type = libc::SOCK_RAW as u16;
        e.protocol = 1;
        let v = Violation::decode(&bytes(&e), &BootClock::now()).unwrap();
        assert_eq!(
            v.to_string(),
            "denied socket AF_INET type=raw protocol=1 by curl[4242] uid=1000"
        );
    }

    #[test]
    fn decodes_a_refused_socket_option() {
        let mut e = event(abi::AIRGAP_KIND_NET_SOCKOPT);
        e.family = AF_INET;
        e.opt_level = libc::SOL_IP as u32;
        e.opt_name = libc::IP_ADD_MEMBERSHIP as u32;
        let v = Violation::decode(&bytes(&e), &BootClock::now()).unwrap();
        assert_eq!(v.addr, None, "a join names no address");
        e.family = libc::AF_PACKET as u16;
        e.opt_level = libc::SOL_PACKET as u32;
        e.opt_name = 20;
        let v = Violation::decode(&bytes(&e), &BootClock::now()).unwrap();
        assert_eq!(
            v.to_string(),
            "denied socket option SOL_PACKET/PACKET_QDISC_BYPASS on AF_PACKET by curl[4242] uid=1000"
        );
        assert_eq!(v.addr, None);
        assert_eq!(
            sockopt_name(libc::SOL_XDP as u32, 4),
            "SOL_XDP/XDP_UMEM_REG"
        );
        assert_eq!(sockopt_name(1, 2), "level 1 option 2");
    }

    #[test]
    fn decodes_a_refused_bpf_change_naming_the_object() {
        let mut e = event(abi::AIRGAP_KIND_BPF_GUARD);
        e.opt_level = abi::AIRGAP_GUARD_MAP_WRITE;
        e.opt_name = 14;
        let mut v = Violation::decode(&bytes(&e), &BootClock::now()).unwrap();
        assert_eq!(v.kind.name(), "bpf.guard");
        assert_eq!(v.guard, Some((abi::AIRGAP_GUARD_MAP_WRITE, 14)));
        assert_eq!((v.device, v.addr), (None, None));
        assert_eq!(
            v.to_string(),
            "denied bpf() on object 14 (opening the map for writing) by curl[4242] uid=1000"
        );
        v.object = Some("map airgap_config (map 14)".into());
        assert_eq!(
            v.to_string(),
            "denied bpf() on map airgap_config (map 14) (opening the map for writing) by \
             curl[4242] uid=1000"
        );
    }

    #[test]
    fn rejects_wrong_size_and_unknown_kind() {
        let e = event(99);
        assert!(Violation::decode(&bytes(&e), &BootClock::now()).is_none());
        assert!(Violation::decode(&[0u8; 10], &BootClock::now()).is_none());
    }
}
