//! `airgap-netprobe OP ARGS...`: the network attacks of issue 16 and the ordinary programs they
//! must not break, each one syscall sequence printing `ok` or the errno name (like
//! `airgap-probe`, kept apart so that each stays a file of a few hundred lines).
//!
//! OPs:
//!   qdisc-bypass IFNAME COUNT    AF_PACKET with PACKET_QDISC_BYPASS (the direct xmit path that
//!                                never runs TCX egress), then COUNT raw frames on IFNAME
//!   qdisc-bypass-int80 IFNAME COUNT  the same with the setsockopt made through `int 0x80`
//!                                (the 32-bit compat entry, which runs no cgroup/setsockopt)
//!   sockopt-int80 FAMILY LEVEL NAME  socket(FAMILY: packet, udp) and one setsockopt(LEVEL,
//!                                NAME, 1) through `int 0x80`, nothing sent
//!   xsk IFNAME COUNT             AF_XDP socket in copy mode on IFNAME queue 0: UMEM, rings,
//!                                bind, COUNT frames through the TX ring (the same direct path)
//!   xsk-socket                   only socket(AF_XDP): refused at creation where BPF LSM loads
//!   udp-cmsg ADDR KIND           a UDP socket connected to a receiver on ADDR, one sendmsg
//!                                without an address but with a control message KIND (tos,
//!                                tclass, pktinfo, gso), the datagram read back
//!   udp-cmsg-held ADDR PORT KIND the same to ADDR:PORT, which the probe first puts on lo; it
//!                                prints `ready` once connected and sends after a line on stdin
//!   listen-autobind SECS         TCP listen() without bind (the kernel picks a wildcard port),
//!                                print `port N`, stay SECS seconds
//!   udp-via HOW VIA ADDR PORT COUNT  COUNT datagrams to ADDR:PORT (a loopback address: the
//!                                address hooks let it pass) sent out of another interface:
//!                                HOW bindtodevice (SO_BINDTODEVICE VIA), pktinfo (IP_PKTINFO
//!                                with VIA's ifindex) or lsrr (loose source route, first hop VIA)
//!   udp-recv ADDR PORT MS        bind ADDR:PORT, print `ready`, wait MS for one datagram
//!   mcast-join ADDR HOW          join multicast group ADDR on lo (HOW: ip for
//!                                IP_ADD_MEMBERSHIP / IPV6_ADD_MEMBERSHIP, mcast for
//!                                MCAST_JOIN_GROUP)

use std::io::{self, BufRead};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use airgapd_tests::compat32;
use airgapd_tests::errno::errno_name;

const PACKET_QDISC_BYPASS: i32 = 20;

fn cvt(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

fn socket(family: i32, ty: i32, proto: i32) -> io::Result<OwnedFd> {
    // SAFETY: socket(2) returns a new fd we own.
    let fd = cvt(unsafe { libc::socket(family, ty | libc::SOCK_CLOEXEC, proto) })?;
    // SAFETY: fd was just created and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn setsockopt<T>(fd: &OwnedFd, level: i32, name: i32, value: &T) -> io::Result<()> {
    // SAFETY: valid fd; value points at size_of::<T>() readable bytes.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (value as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    })
    .map(drop)
}

fn ifindex(name: &str) -> io::Result<u32> {
    let c = std::ffi::CString::new(name).expect("ifname");
    // SAFETY: valid NUL-terminated name.
    match unsafe { libc::if_nametoindex(c.as_ptr()) } {
        0 => Err(io::Error::last_os_error()),
        i => Ok(i),
    }
}

/// Broadcast, a local-experimental ethertype (0x88b5): nothing on the far end parses it.
fn frame() -> [u8; 60] {
    let mut frame = [0u8; 60];
    frame[..6].copy_from_slice(&[0xff; 6]);
    frame[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 1]);
    frame[12..14].copy_from_slice(&0x88b5u16.to_be_bytes());
    frame
}

fn packet_socket() -> io::Result<OwnedFd> {
    socket(
        libc::AF_PACKET,
        libc::SOCK_RAW,
        (libc::ETH_P_ALL as u16).to_be() as i32,
    )
}

/// `int80`: set the option through the 32-bit compat entry.
fn qdisc_bypass(ifname: &str, count: u32, int80: bool) -> io::Result<()> {
    let s = packet_socket()?;
    if int80 {
        compat32::setsockopt_int(s.as_raw_fd(), libc::SOL_PACKET, PACKET_QDISC_BYPASS, 1)?;
    } else {
        setsockopt(&s, libc::SOL_PACKET, PACKET_QDISC_BYPASS, &1i32)?;
    }
    // SAFETY: zeroed sockaddr_ll, then filled.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as _;
    sll.sll_ifindex = ifindex(ifname)? as i32;
    sll.sll_halen = 6;
    sll.sll_addr[..6].copy_from_slice(&[0xff; 6]);
    let frame = frame();
    for _ in 0..count {
        // SAFETY: valid fd, buffer and sockaddr_ll.
        let rc = unsafe {
            libc::sendto(
                s.as_raw_fd(),
                frame.as_ptr().cast(),
                frame.len(),
                0,
                (&sll as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as _,
            )
        };
        cvt(rc as libc::c_int)?;
    }
    Ok(())
}

/// An anonymous shared mapping, unmapped on drop.
struct Map(*mut libc::c_void, usize);

impl Map {
    fn new(fd: i32, len: usize, offset: libc::off_t) -> io::Result<Map> {
        let flags = if fd < 0 {
            libc::MAP_SHARED | libc::MAP_ANONYMOUS
        } else {
            libc::MAP_SHARED | libc::MAP_POPULATE
        };
        // SAFETY: a fresh mapping; the kernel checks fd and offset.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                flags,
                fd,
                offset,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Map(p, len))
    }

    fn at<T>(&self, offset: u64) -> *mut T {
        // SAFETY: callers stay within the mapping (offsets the kernel gave, or our frames).
        unsafe { self.0.cast::<u8>().add(offset as usize).cast() }
    }
}

impl Drop for Map {
    fn drop(&mut self) {
        // SAFETY: our own mapping.
        unsafe { libc::munmap(self.0, self.1) };
    }
}

const XSK_FRAMES: u32 = 64;
const XSK_FRAME: u32 = 2048;

fn xsk(ifname: &str, count: u32) -> io::Result<()> {
    let s = socket(libc::AF_XDP, libc::SOCK_RAW, 0)?;
    let umem = Map::new(-1, (XSK_FRAMES * XSK_FRAME) as usize, 0)?;
    let reg = libc::xdp_umem_reg {
        addr: umem.0 as u64,
        len: (XSK_FRAMES * XSK_FRAME) as u64,
        chunk_size: XSK_FRAME,
        headroom: 0,
        flags: 0,
        tx_metadata_len: 0,
    };
    setsockopt(&s, libc::SOL_XDP, libc::XDP_UMEM_REG, &reg)?;
    for ring in [
        libc::XDP_UMEM_FILL_RING,
        libc::XDP_UMEM_COMPLETION_RING,
        libc::XDP_TX_RING,
    ] {
        setsockopt(&s, libc::SOL_XDP, ring, &XSK_FRAMES)?;
    }
    // SAFETY: zeroed offsets, filled by getsockopt.
    let mut off: libc::xdp_mmap_offsets = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::xdp_mmap_offsets>() as libc::socklen_t;
    // SAFETY: valid fd and buffer of `len` bytes.
    cvt(unsafe {
        libc::getsockopt(
            s.as_raw_fd(),
            libc::SOL_XDP,
            libc::XDP_MMAP_OFFSETS,
            (&mut off as *mut libc::xdp_mmap_offsets).cast(),
            &mut len,
        )
    })?;
    let desc = std::mem::size_of::<libc::xdp_desc>() as u64;
    let tx_len = off.tx.desc + u64::from(XSK_FRAMES) * desc;
    let tx = Map::new(s.as_raw_fd(), tx_len as usize, libc::XDP_PGOFF_TX_RING)?;
    let cq_len = off.cr.desc + u64::from(XSK_FRAMES) * 8;
    let _cq = Map::new(
        s.as_raw_fd(),
        cq_len as usize,
        libc::XDP_UMEM_PGOFF_COMPLETION_RING as libc::off_t,
    )?;
    let sxdp = libc::sockaddr_xdp {
        sxdp_family: libc::AF_XDP as u16,
        sxdp_flags: libc::XDP_COPY,
        sxdp_ifindex: ifindex(ifname)?,
        sxdp_queue_id: 0,
        sxdp_shared_umem_fd: 0,
    };
    // SAFETY: valid fd and sockaddr_xdp.
    cvt(unsafe {
        libc::bind(
            s.as_raw_fd(),
            (&sxdp as *const libc::sockaddr_xdp).cast(),
            std::mem::size_of::<libc::sockaddr_xdp>() as _,
        )
    })?;
    let frame = frame();
    for i in 0..count.min(XSK_FRAMES) {
        let addr = u64::from(i * XSK_FRAME);
        // SAFETY: frame i lies inside the UMEM; descriptor i inside the TX ring.
        unsafe {
            std::ptr::copy_nonoverlapping(frame.as_ptr(), umem.at::<u8>(addr), frame.len());
            tx.at::<libc::xdp_desc>(off.tx.desc + u64::from(i) * desc)
                .write(libc::xdp_desc {
                    addr,
                    len: frame.len() as u32,
                    options: 0,
                });
        }
    }
    // SAFETY: the producer index is a u32 the kernel reads concurrently: store with release.
    let producer = unsafe { &*tx.at::<AtomicU32>(off.tx.producer) };
    producer.store(count.min(XSK_FRAMES), Ordering::Release);
    // The kick: in copy mode the frames are transmitted within this call.
    // SAFETY: valid fd, no buffer.
    let rc = unsafe {
        libc::sendto(
            s.as_raw_fd(),
            std::ptr::null(),
            0,
            libc::MSG_DONTWAIT,
            std::ptr::null(),
            0,
        )
    };
    cvt(rc as libc::c_int).map(drop)
}

/// One control message of `kind` for a socket of `v6`, as (level, type, data).
fn cmsg(kind: &str, v6: bool, local: IpAddr) -> (i32, i32, Vec<u8>) {
    match (kind, v6) {
        ("tos", false) => (
            libc::IPPROTO_IP,
            libc::IP_TOS,
            0x10i32.to_ne_bytes().to_vec(),
        ),
        ("tclass", true) => (
            libc::IPPROTO_IPV6,
            libc::IPV6_TCLASS,
            0x10i32.to_ne_bytes().to_vec(),
        ),
        ("gso", _) => (
            libc::SOL_UDP,
            libc::UDP_SEGMENT,
            1000u16.to_ne_bytes().to_vec(),
        ),
        ("pktinfo", false) => {
            let IpAddr::V4(a) = local else { panic!("v4") };
            let info = libc::in_pktinfo {
                ipi_ifindex: 0,
                ipi_spec_dst: libc::in_addr {
                    s_addr: u32::from(a).to_be(),
                },
                ipi_addr: libc::in_addr { s_addr: 0 },
            };
            (libc::IPPROTO_IP, libc::IP_PKTINFO, bytes_of(&info))
        }
        ("pktinfo", true) => {
            let IpAddr::V6(a) = local else { panic!("v6") };
            let info = libc::in6_pktinfo {
                ipi6_addr: libc::in6_addr {
                    s6_addr: a.octets(),
                },
                ipi6_ifindex: 0,
            };
            (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, bytes_of(&info))
        }
        other => panic!("no control message {other:?}"),
    }
}

fn bytes_of<T>(v: &T) -> Vec<u8> {
    // SAFETY: plain data read as bytes.
    unsafe { std::slice::from_raw_parts((v as *const T).cast::<u8>(), std::mem::size_of::<T>()) }
        .to_vec()
}

/// sendmsg on a connected socket: no address, one control message.
fn send_with_cmsg(s: &UdpSocket, level: i32, ty: i32, data: &[u8]) -> io::Result<()> {
    let payload = *b"airgap-probe";
    let mut iov = libc::iovec {
        iov_base: payload.as_ptr() as *mut _,
        iov_len: payload.len(),
    };
    // SAFETY: CMSG_SPACE is arithmetic.
    let space = unsafe { libc::CMSG_SPACE(data.len() as u32) } as usize;
    let mut control = vec![0u64; space.div_ceil(8)];
    // SAFETY: zeroed msghdr, then filled with buffers that outlive the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = space;
    // SAFETY: control holds CMSG_SPACE(len) bytes, so the first header and its data fit.
    unsafe {
        let c = libc::CMSG_FIRSTHDR(&msg);
        (*c).cmsg_level = level;
        (*c).cmsg_type = ty;
        (*c).cmsg_len = libc::CMSG_LEN(data.len() as u32) as usize;
        std::ptr::copy_nonoverlapping(data.as_ptr(), libc::CMSG_DATA(c), data.len());
    }
    // SAFETY: valid fd and msghdr.
    cvt(unsafe { libc::sendmsg(s.as_raw_fd(), &msg, 0) } as libc::c_int).map(drop)
}

fn udp_cmsg(addr: IpAddr, kind: &str) -> io::Result<()> {
    let rx = UdpSocket::bind(SocketAddr::new(addr, 0))?;
    rx.set_read_timeout(Some(Duration::from_secs(2)))?;
    let tx = UdpSocket::bind(SocketAddr::new(addr, 0))?;
    tx.connect(rx.local_addr()?)?;
    let (level, ty, data) = cmsg(kind, addr.is_ipv6(), addr);
    send_with_cmsg(&tx, level, ty, &data)?;
    let mut buf = [0u8; 64];
    let n = rx.recv(&mut buf)?;
    (&buf[..n] == b"airgap-probe")
        .then_some(())
        .ok_or_else(|| io::Error::other("echo mismatch"))
}

fn udp_cmsg_held(addr: IpAddr, port: u16, kind: &str) -> io::Result<()> {
    let mut ip = std::process::Command::new("ip");
    ip.args(["addr", "add", &addr.to_string(), "dev", "lo"]);
    if addr.is_ipv6() {
        // Usable at once, without duplicate address detection.
        ip.arg("nodad");
    }
    let st = ip.status()?;
    assert!(st.success(), "ip addr add {addr} dev lo");
    let rx = UdpSocket::bind(SocketAddr::new(addr, port))?;
    let tx = UdpSocket::bind(SocketAddr::new(addr, 0))?;
    tx.connect(rx.local_addr()?)?;
    println!("ready");
    let mut line = String::new();
    io::stdin().lock().read_line(&mut line)?;
    let (level, ty, data) = cmsg(kind, addr.is_ipv6(), addr);
    send_with_cmsg(&tx, level, ty, &data)
}

fn mcast_join(group: IpAddr, how: &str) -> io::Result<()> {
    let lo = ifindex("lo")?;
    let s = socket(
        if group.is_ipv6() {
            libc::AF_INET6
        } else {
            libc::AF_INET
        },
        libc::SOCK_DGRAM,
        0,
    )?;
    match (group, how) {
        (IpAddr::V4(g), "ip") => {
            let mreq = libc::ip_mreqn {
                imr_multiaddr: libc::in_addr {
                    s_addr: u32::from(g).to_be(),
                },
                imr_address: libc::in_addr { s_addr: 0 },
                imr_ifindex: lo as i32,
            };
            setsockopt(&s, libc::IPPROTO_IP, libc::IP_ADD_MEMBERSHIP, &mreq)
        }
        (IpAddr::V6(g), "ip") => {
            let mreq = libc::ipv6_mreq {
                ipv6mr_multiaddr: libc::in6_addr {
                    s6_addr: g.octets(),
                },
                ipv6mr_interface: lo,
            };
            setsockopt(&s, libc::IPPROTO_IPV6, libc::IPV6_ADD_MEMBERSHIP, &mreq)
        }
        (g, "mcast") => {
            // struct group_req: an interface index, then a sockaddr_storage (aligned).
            #[repr(C)]
            struct GroupReq {
                interface: u32,
                group: libc::sockaddr_storage,
            }
            // SAFETY: zeroed sockaddr_storage is valid; the address is written into it.
            let mut req = GroupReq {
                interface: lo,
                group: unsafe { std::mem::zeroed() },
            };
            let (level, sa) = match g {
                IpAddr::V4(a) => (
                    libc::IPPROTO_IP,
                    bytes_of(&libc::sockaddr_in {
                        sin_family: libc::AF_INET as _,
                        sin_port: 0,
                        sin_addr: libc::in_addr {
                            s_addr: u32::from(a).to_be(),
                        },
                        sin_zero: [0; 8],
                    }),
                ),
                IpAddr::V6(a) => (
                    libc::IPPROTO_IPV6,
                    bytes_of(&libc::sockaddr_in6 {
                        sin6_family: libc::AF_INET6 as _,
                        sin6_port: 0,
                        sin6_flowinfo: 0,
                        sin6_addr: libc::in6_addr {
                            s6_addr: a.octets(),
                        },
                        sin6_scope_id: 0,
                    }),
                ),
            };
            // SAFETY: sa is shorter than a sockaddr_storage.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    sa.as_ptr(),
                    (&mut req.group as *mut libc::sockaddr_storage).cast(),
                    sa.len(),
                )
            };
            setsockopt(&s, level, libc::MCAST_JOIN_GROUP, &req)
        }
        other => panic!("no join {other:?}"),
    }
}

fn listen_autobind(secs: u64) -> io::Result<()> {
    let s = socket(libc::AF_INET, libc::SOCK_STREAM, 0)?;
    // SAFETY: valid fd.
    cvt(unsafe { libc::listen(s.as_raw_fd(), 4) })?;
    // SAFETY: zeroed sockaddr_in, filled by getsockname.
    let mut sin: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: valid fd and buffer of `len` bytes.
    cvt(unsafe {
        libc::getsockname(
            s.as_raw_fd(),
            (&mut sin as *mut libc::sockaddr_in).cast(),
            &mut len,
        )
    })?;
    println!("port {}", u16::from_be(sin.sin_port));
    std::thread::sleep(Duration::from_secs(secs));
    Ok(())
}

/// Issue 23: the paths by which a datagram for a loopback address leaves by another interface,
/// which the per-packet cgroup programs refused and the interface programs must.
fn udp_via(how: &str, via: &str, to: std::net::SocketAddrV4, count: u32) -> io::Result<()> {
    // Unbound: an explicit bind to the wildcard is refused in loopback mode; sendto binds it.
    let s = socket(libc::AF_INET, libc::SOCK_DGRAM, 0)?;
    let mut oif = 0;
    match how {
        "bindtodevice" => {
            // SAFETY: valid fd; the name's bytes are readable for its length.
            cvt(unsafe {
                libc::setsockopt(
                    s.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_BINDTODEVICE,
                    via.as_ptr().cast(),
                    via.len() as libc::socklen_t,
                )
            })?;
        }
        "pktinfo" => oif = ifindex(via)?,
        "lsrr" => {
            let hop: std::net::Ipv4Addr = via.parse().expect("first hop");
            // IPOPT_LSRR, length 7, pointer 4, the hop; END pads it to 8 bytes.
            let mut opt = [131u8, 7, 4, 0, 0, 0, 0, 0];
            opt[3..7].copy_from_slice(&hop.octets());
            // SAFETY: valid fd and 8 readable bytes.
            cvt(unsafe {
                libc::setsockopt(
                    s.as_raw_fd(),
                    libc::IPPROTO_IP,
                    libc::IP_OPTIONS,
                    opt.as_ptr().cast(),
                    opt.len() as libc::socklen_t,
                )
            })?;
        }
        other => panic!("no way {other}"),
    }
    let payload = *b"airgap-probe";
    let mut sin = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: to.port().to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(*to.ip()).to_be(),
        },
        sin_zero: [0; 8],
    };
    let info = libc::in_pktinfo {
        ipi_ifindex: oif as i32,
        ipi_spec_dst: libc::in_addr { s_addr: 0 },
        ipi_addr: libc::in_addr { s_addr: 0 },
    };
    for _ in 0..count {
        let mut iov = libc::iovec {
            iov_base: payload.as_ptr() as *mut _,
            iov_len: payload.len(),
        };
        // SAFETY: CMSG_SPACE is arithmetic.
        let space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<libc::in_pktinfo>() as u32) };
        let mut control = vec![0u64; (space as usize).div_ceil(8)];
        // SAFETY: zeroed msghdr, then filled with buffers that outlive the call.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_name = (&mut sin as *mut libc::sockaddr_in).cast();
        msg.msg_namelen = std::mem::size_of::<libc::sockaddr_in>() as u32;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if oif != 0 {
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = space as usize;
            // SAFETY: control holds CMSG_SPACE(len) bytes, so the header and its data fit.
            unsafe {
                let c = libc::CMSG_FIRSTHDR(&msg);
                (*c).cmsg_level = libc::IPPROTO_IP;
                (*c).cmsg_type = libc::IP_PKTINFO;
                (*c).cmsg_len =
                    libc::CMSG_LEN(std::mem::size_of::<libc::in_pktinfo>() as u32) as usize;
                std::ptr::write_unaligned(libc::CMSG_DATA(c).cast(), info);
            }
        }
        // SAFETY: valid fd and msghdr.
        cvt(unsafe { libc::sendmsg(s.as_raw_fd(), &msg, 0) } as libc::c_int)?;
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

fn udp_recv(at: SocketAddr, ms: u64) -> io::Result<()> {
    let s = UdpSocket::bind(at)?;
    s.set_read_timeout(Some(Duration::from_millis(ms)))?;
    println!("ready");
    let mut buf = [0u8; 64];
    s.recv(&mut buf).map(drop)
}

fn op(args: &[String]) -> io::Result<()> {
    let ip = |i: usize| -> IpAddr { args[i].parse().expect("address") };
    match args[0].as_str() {
        "qdisc-bypass" => qdisc_bypass(&args[1], args[2].parse().expect("count"), false),
        "qdisc-bypass-int80" => qdisc_bypass(&args[1], args[2].parse().expect("count"), true),
        "sockopt-int80" => {
            let s = match args[1].as_str() {
                "packet" => packet_socket()?,
                "udp" => socket(libc::AF_INET, libc::SOCK_DGRAM, 0)?,
                other => panic!("unknown family {other}"),
            };
            let n = |i: usize| -> i32 { args[i].parse().expect("number") };
            compat32::setsockopt_int(s.as_raw_fd(), n(2), n(3), 1)
        }
        "xsk" => xsk(&args[1], args[2].parse().expect("count")),
        "xsk-socket" => socket(libc::AF_XDP, libc::SOCK_RAW, 0).map(drop),
        "udp-cmsg" => udp_cmsg(ip(1), &args[2]),
        "udp-cmsg-held" => udp_cmsg_held(ip(1), args[2].parse().expect("port"), &args[3]),
        "mcast-join" => mcast_join(ip(1), &args[2]),
        "listen-autobind" => listen_autobind(args[1].parse().expect("seconds")),
        "udp-via" => udp_via(
            &args[1],
            &args[2],
            std::net::SocketAddrV4::new(
                args[3].parse().expect("address"),
                args[4].parse().expect("port"),
            ),
            args[5].parse().expect("count"),
        ),
        "udp-recv" => udp_recv(
            SocketAddr::new(ip(1), args[2].parse().expect("port")),
            args[3].parse().expect("ms"),
        ),
        other => panic!("unknown op {other}"),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        eprintln!("usage: airgap-netprobe OP ARGS... (see the source)");
        return ExitCode::from(2);
    }
    match op(&args) {
        Ok(()) => println!("ok"),
        Err(e) => println!("{}", errno_name(&e)),
    }
    ExitCode::SUCCESS
}
