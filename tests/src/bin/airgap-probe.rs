//! `airgap-probe OP ARGS...`: perform one network syscall sequence and print `ok` or the errno
//! name (`EPERM`, `ENETUNREACH`, ...). The integration tests run it inside and outside the
//! enforcement scope and compare. It must never need the network to say `ok` for a refused case.
//!
//! OPs:
//!   socket FAMILY TYPE PROTO        create a socket (numbers, e.g. `socket 2 3 1` = raw ICMP)
//!   sockopt-int80 FAMILY TYPE PROTO LEVEL NAME
//!                                   create a socket, then setsockopt(LEVEL, NAME, int 1) through
//!                                   `int 0x80`: the 32-bit entry, which runs no cgroup/setsockopt
//!   sockopt FAMILY TYPE PROTO LEVEL NAME
//!                                   the same through the native entry (cgroup/setsockopt judges it)
//!   connect tcp|udp ADDR PORT       connect (non-blocking TCP: EINPROGRESS counts as ok)
//!   bind tcp|udp ADDR PORT          bind
//!   sendto ADDR PORT                UDP sendto from an unbound socket
//!   fastopen ADDR PORT              TCP sendto(MSG_FASTOPEN)
//!   tcp-echo ADDR                   listen on ADDR:0, connect, send, accept, receive
//!   udp-echo ADDR                   bind ADDR:0, sendto itself, receive
//!   unix                            socketpair(AF_UNIX) round trip
//!   netlink                         AF_NETLINK route socket, bind, dump links
//!   ping-socket                     allow ping sockets in this netns, then open one
//!   connect-loop N ADDR PORT [ADDR PORT ...]  N rounds of UDP connects (a denial storm)
//!   icmp-echo ADDR MS [SRC]         one ICMP echo to ADDR (a ping socket, bound to SRC if given),
//!                                   reply within MS or ETIMEDOUT
//!   tcp-to ADDR PORT MS [SRC]       connect (from SRC if given), send, read the echo, all within MS
//!   udp-to ADDR PORT MS             sendto from an unbound socket, read the echo within MS
//!   tcp-accept ADDR PORT MS         listen on ADDR:PORT, print `ready`, serve one echo within MS
//!   echo-server ADDR PORT SECS      TCP and UDP echo on ADDR:PORT for SECS seconds (`ready` first;
//!                                   one line `served tcp|udp FROM` per request on stdout)
//!   open PATH ro|rw                 open(2) a device node
//!   mount DEV ro|rw                 mount(2) DEV (ext4) in a private mount namespace
//!   fsmount DEV ro|rw               the same through fsopen/fsconfig (the new mount API)
//!   mknod-open b|c MAJ MIN ro|rw    mknod a block or char node for MAJ:MIN in a temp dir, open it
//!   packet IFNAME COUNT             send COUNT raw Ethernet frames with AF_PACKET on IFNAME
//!   exec PATH [ARG...]              run PATH: ok when it exits 0, else how it failed
//!   mmap-exec PATH                  map PATH's first page PROT_READ|PROT_EXEC
//!   mprotect-exec PATH              map it PROT_READ, then mprotect it to PROT_READ|PROT_EXEC
//!   dlopen PATH                     dlopen(RTLD_NOW) a shared library (failures: dlerror's text)
//!   bpf-get PATH ro|rw              BPF_OBJ_GET of a bpffs pin (ro: BPF_F_RDONLY)
//!   pidfd-getfd PID FD              pidfd_getfd(2) of process PID's descriptor FD
//!   sg-read DEV, sg-write DEV       SG_IO READ(10) / WRITE(10) of block 0, DEV opened read-only
//!   sg-write-int80 DEV              the WRITE(10) through `int 0x80` in the 32-bit header layout,
//!                                   with a READ(10) where the 64-bit layout's cmdp would be
//!   setrw-int80 DEV                 BLKROSET 0 (clear the read-only flag) through `int 0x80`

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::ExitCode;

use airgapd_tests::errno::errno_name;

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

/// A sockaddr for an IP address and port, with its length.
fn sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: zeroed sockaddr_storage is a valid (empty) address.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as _,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from(*a.ip()).to_be(),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than sockaddr_in and suitably aligned.
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sin) };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as _,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: 0,
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: 0,
            };
            // SAFETY: as above, for sockaddr_in6.
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sin6) };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (ss, len as libc::socklen_t)
}

fn family(ip: IpAddr) -> i32 {
    if ip.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    }
}

fn proto_type(p: &str) -> i32 {
    if p == "udp" {
        libc::SOCK_DGRAM
    } else {
        libc::SOCK_STREAM
    }
}

fn addr(args: &[String], i: usize) -> SocketAddr {
    let ip: IpAddr = args[i].parse().expect("address");
    let port: u16 = args
        .get(i + 1)
        .map(|p| p.parse().expect("port"))
        .unwrap_or(0);
    SocketAddr::new(ip, port)
}

fn op(args: &[String]) -> io::Result<()> {
    match args[0].as_str() {
        "socket" => {
            let n: Vec<i32> = args[1..4]
                .iter()
                .map(|a| a.parse().expect("number"))
                .collect();
            socket(n[0], n[1], n[2]).map(drop)
        }
        // socket(FAMILY, TYPE, PROTO) then a native setsockopt(LEVEL, NAME, int 1).
        "sockopt" => {
            let n: Vec<i32> = args[1..6]
                .iter()
                .map(|a| a.parse().expect("number"))
                .collect();
            let s = socket(n[0], n[1], n[2])?;
            let one: libc::c_int = 1;
            // SAFETY: a valid fd and a pointer to an int of the length given.
            let rc = unsafe {
                libc::setsockopt(
                    s.as_raw_fd(),
                    n[3],
                    n[4],
                    (&one as *const libc::c_int).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                )
            };
            if rc == 0 {
                Ok(())
            } else {
                Err(io::Error::last_os_error())
            }
        }
        "sockopt-int80" => {
            let n: Vec<i32> = args[1..6]
                .iter()
                .map(|a| a.parse().expect("number"))
                .collect();
            let s = socket(n[0], n[1], n[2])?;
            airgapd_tests::compat32::setsockopt_int(s.as_raw_fd(), n[3], n[4], 1)
        }
        "connect" => {
            let a = addr(args, 2);
            let s = socket(
                family(a.ip()),
                proto_type(&args[1]) | libc::SOCK_NONBLOCK,
                0,
            )?;
            let (ss, len) = sockaddr(a);
            // SAFETY: valid fd and sockaddr of the given length.
            let rc = unsafe {
                libc::connect(
                    s.as_raw_fd(),
                    (&ss as *const libc::sockaddr_storage).cast(),
                    len,
                )
            };
            match cvt(rc) {
                Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => Ok(()),
                r => r.map(drop),
            }
        }
        "bind" => {
            let a = addr(args, 2);
            let s = socket(family(a.ip()), proto_type(&args[1]), 0)?;
            let (ss, len) = sockaddr(a);
            // SAFETY: valid fd and sockaddr.
            cvt(unsafe {
                libc::bind(
                    s.as_raw_fd(),
                    (&ss as *const libc::sockaddr_storage).cast(),
                    len,
                )
            })
            .map(drop)
        }
        "sendto" | "fastopen" => {
            let a = addr(args, 1);
            let (ty, flags) = if args[0] == "sendto" {
                (libc::SOCK_DGRAM, 0)
            } else {
                (libc::SOCK_STREAM | libc::SOCK_NONBLOCK, libc::MSG_FASTOPEN)
            };
            let s = socket(family(a.ip()), ty, 0)?;
            let (ss, len) = sockaddr(a);
            let msg = b"airgap-probe";
            // SAFETY: valid fd, buffer and sockaddr.
            let rc = unsafe {
                libc::sendto(
                    s.as_raw_fd(),
                    msg.as_ptr().cast(),
                    msg.len(),
                    flags,
                    (&ss as *const libc::sockaddr_storage).cast(),
                    len,
                )
            };
            match cvt(rc as libc::c_int) {
                Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => Ok(()),
                r => r.map(drop),
            }
        }
        "tcp-echo" => {
            let l = TcpListener::bind(addr(args, 1))?;
            let mut c = TcpStream::connect(l.local_addr()?)?;
            c.write_all(b"ping")?;
            let (mut s, _) = l.accept()?;
            let mut buf = [0u8; 4];
            s.read_exact(&mut buf)?;
            (&buf == b"ping")
                .then_some(())
                .ok_or_else(|| io::Error::other("echo mismatch"))
        }
        "udp-echo" => {
            let s = UdpSocket::bind(addr(args, 1))?;
            s.send_to(b"ping", s.local_addr()?)?;
            let mut buf = [0u8; 4];
            s.recv(&mut buf)?;
            (&buf == b"ping")
                .then_some(())
                .ok_or_else(|| io::Error::other("echo mismatch"))
        }
        "unix" => {
            let (mut a, mut b) = std::os::unix::net::UnixStream::pair()?;
            a.write_all(b"ping")?;
            let mut buf = [0u8; 4];
            b.read_exact(&mut buf)?;
            Ok(())
        }
        "netlink" => {
            let s = socket(libc::AF_NETLINK, libc::SOCK_RAW, libc::NETLINK_ROUTE)?;
            // SAFETY: zeroed sockaddr_nl is "kernel assigns the port".
            let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
            sa.nl_family = libc::AF_NETLINK as _;
            // SAFETY: valid fd and sockaddr_nl.
            cvt(unsafe {
                libc::bind(
                    s.as_raw_fd(),
                    (&sa as *const libc::sockaddr_nl).cast(),
                    std::mem::size_of::<libc::sockaddr_nl>() as _,
                )
            })
            .map(drop)
        }
        "ping-socket" => {
            std::fs::write("/proc/sys/net/ipv4/ping_group_range", "0 2147483647")?;
            socket(libc::AF_INET, libc::SOCK_DGRAM, libc::IPPROTO_ICMP).map(drop)
        }
        "connect-loop" => {
            // A denial storm: N refused connects in a row, for the lost-event accounting;
            // with more than one ADDR PORT, each round tries each of them in turn (one
            // socket per family).
            let n: u32 = args[1].parse().expect("count");
            let targets: Vec<_> = (2..args.len())
                .step_by(2)
                .map(|i| {
                    let a = addr(args, i);
                    let s = socket(family(a.ip()), libc::SOCK_DGRAM, 0)?;
                    Ok((sockaddr(a), s))
                })
                .collect::<io::Result<_>>()?;
            let mut last = Ok(());
            for _ in 0..n {
                for ((ss, len), s) in &targets {
                    // SAFETY: valid fd and sockaddr.
                    let rc = unsafe {
                        libc::connect(
                            s.as_raw_fd(),
                            (ss as *const libc::sockaddr_storage).cast(),
                            *len,
                        )
                    };
                    last = cvt(rc).map(drop);
                }
            }
            last
        }
        "icmp-echo" => icmp_echo(
            args[1].parse().expect("IPv4 address"),
            args[2].parse().expect("ms"),
            args.get(3).map(|a| a.parse().expect("IPv4 source address")),
        ),
        "tcp-to" => tcp_to(
            addr(args, 1),
            args[3].parse().expect("ms"),
            args.get(4).map(|a| a.parse().expect("source address")),
        ),
        "udp-to" => udp_to(addr(args, 1), args[3].parse().expect("ms")),
        "tcp-accept" => tcp_accept(addr(args, 1), args[3].parse().expect("ms")),
        "echo-server" => echo_server(addr(args, 1), args[3].parse().expect("seconds")),
        "open" => open_dev(&args[1], &args[2]),
        "sg-read" => sg_io_block0(&args[1], false),
        "sg-write" => sg_io_block0(&args[1], true),
        "sg-write-int80" => on_block_ro(&args[1], airgapd_tests::compat32::sg_io_write),
        "setrw-int80" => on_block_ro(&args[1], |fd| airgapd_tests::compat32::blkroset(fd, 0)),
        "mount" => mount_dev(&args[1], &args[2], false),
        "fsmount" => mount_dev(&args[1], &args[2], true),
        "mknod-open" => mknod_open(&args[1], &args[2], &args[3], &args[4]),
        "packet" => packet(&args[1], args[2].parse().expect("count")),
        "exec" => exec(&args[1], &args[2..]),
        "mmap-exec" => map_exec(&args[1], false),
        "mprotect-exec" => map_exec(&args[1], true),
        "dlopen" => dlopen(&args[1]),
        "bpf-get" => bpf_get(&args[1], &args[2]),
        "pidfd-getfd" => pidfd_getfd(args[1].parse().expect("pid"), args[2].parse().expect("fd")),
        other => panic!("unknown op {other}"),
    }
}

fn cstr(s: &str) -> std::ffi::CString {
    std::ffi::CString::new(s).expect("no NUL in argument")
}

/// BPF_OBJ_GET of a pinned object, read-only (`ro`: BPF_F_RDONLY) or read-write.
fn bpf_get(path: &str, mode: &str) -> io::Result<()> {
    const BPF_OBJ_GET: libc::c_long = 7;
    const BPF_F_RDONLY: u32 = 1 << 3;
    let p = cstr(path);
    // union bpf_attr for BPF_OBJ_GET: pathname @0, bpf_fd @8, file_flags @12.
    let mut attr = [0u8; 64];
    attr[..8].copy_from_slice(&(p.as_ptr() as u64).to_ne_bytes());
    let flags = if mode == "ro" { BPF_F_RDONLY } else { 0 };
    attr[12..16].copy_from_slice(&flags.to_ne_bytes());
    // SAFETY: a zero-padded bpf_attr for BPF_OBJ_GET; the path outlives the call.
    let fd = unsafe { libc::syscall(libc::SYS_bpf, BPF_OBJ_GET, attr.as_mut_ptr(), attr.len()) };
    let fd = cvt(fd as libc::c_int)?;
    // SAFETY: fd was just returned to us.
    unsafe { libc::close(fd) };
    Ok(())
}

/// pidfd_getfd(2): take a copy of descriptor `fd` of process `pid`.
fn pidfd_getfd(pid: i32, fd: i32) -> io::Result<()> {
    // SAFETY: pidfd_open returns a new fd we own (or -1).
    let pidfd = cvt(unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as libc::c_int)?;
    // SAFETY: pidfd is ours; the copy is closed right away.
    let got = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd, fd, 0) } as libc::c_int;
    let result = cvt(got).map(|fd| {
        // SAFETY: fd was just returned to us.
        unsafe { libc::close(fd) };
    });
    // SAFETY: pidfd is ours.
    unsafe { libc::close(pidfd) };
    result
}

fn open_dev(path: &str, mode: &str) -> io::Result<()> {
    let flags = if mode == "rw" {
        libc::O_RDWR
    } else {
        libc::O_RDONLY
    };
    let p = cstr(path);
    // SAFETY: valid path; the fd is closed right away.
    let fd = cvt(unsafe { libc::open(p.as_ptr(), flags | libc::O_CLOEXEC) })?;
    // SAFETY: fd was just opened by us.
    unsafe { libc::close(fd) };
    Ok(())
}

/// `struct sg_io_hdr` (scsi/sg.h).
#[repr(C)]
struct SgIoHdr {
    interface_id: i32,
    dxfer_direction: i32,
    cmd_len: u8,
    mx_sb_len: u8,
    iovec_count: u16,
    dxfer_len: u32,
    dxferp: *mut libc::c_void,
    cmdp: *const u8,
    sbp: *mut u8,
    timeout: u32,
    flags: u32,
    pack_id: i32,
    usr_ptr: *mut libc::c_void,
    status: u8,
    masked_status: u8,
    msg_status: u8,
    sb_len_wr: u8,
    host_status: u16,
    driver_status: u16,
    resid: i32,
    duration: u32,
    info: u32,
}

/// SCSI READ(10) of block 0 through SG_IO on a descriptor opened read-only; with `write`,
/// WRITE(10) of what was read back to it (the medium keeps its content if it succeeds). The
/// block layer lets root (CAP_SYS_RAWIO) send any command on a read-only descriptor.
/// Open a block device read-only and run `f` on the descriptor.
fn on_block_ro(path: &str, f: impl FnOnce(i32) -> io::Result<()>) -> io::Result<()> {
    let p = cstr(path);
    // SAFETY: valid path.
    let fd = cvt(unsafe { libc::open(p.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) })?;
    let r = f(fd);
    // SAFETY: fd was just opened.
    unsafe { libc::close(fd) };
    r
}

fn sg_io_block0(path: &str, write: bool) -> io::Result<()> {
    const SG_IO: libc::c_ulong = 0x2285;
    let p = cstr(path);
    // SAFETY: valid path.
    let fd = cvt(unsafe { libc::open(p.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) })?;
    let mut block = vec![0u8; 512];
    let mut sense = [0u8; 32];
    let mut run = |op: u8, dir: i32, block: &mut [u8]| -> io::Result<()> {
        // LBA 0, one block of 512 bytes.
        let cdb = [op, 0, 0, 0, 0, 0, 0, 0, 1, 0];
        let mut h = SgIoHdr {
            interface_id: b'S' as i32,
            dxfer_direction: dir,
            cmd_len: cdb.len() as u8,
            mx_sb_len: sense.len() as u8,
            iovec_count: 0,
            dxfer_len: block.len() as u32,
            dxferp: block.as_mut_ptr().cast(),
            cmdp: cdb.as_ptr(),
            sbp: sense.as_mut_ptr(),
            timeout: 10_000,
            flags: 0,
            pack_id: 0,
            usr_ptr: std::ptr::null_mut(),
            status: 0,
            masked_status: 0,
            msg_status: 0,
            sb_len_wr: 0,
            host_status: 0,
            driver_status: 0,
            resid: 0,
            duration: 0,
            info: 0,
        };
        // SAFETY: valid fd; the header and the buffers it points to outlive the call.
        cvt(unsafe { libc::ioctl(fd, SG_IO as _, &mut h) })?;
        if h.status != 0 || h.host_status != 0 || h.driver_status != 0 {
            return Err(io::Error::other(format!(
                "SCSI status {} host {} driver {}",
                h.status, h.host_status, h.driver_status
            )));
        }
        Ok(())
    };
    // SG_DXFER_FROM_DEV -3, SG_DXFER_TO_DEV -2.
    let mut result = run(0x28, -3, &mut block);
    if result.is_ok() && write {
        result = run(0x2a, -2, &mut block);
    }
    // SAFETY: fd was opened above.
    unsafe { libc::close(fd) };
    result
}

/// Run a program: `ok` when it exits 0, else its exit status and what it printed.
fn exec(path: &str, args: &[String]) -> io::Result<()> {
    let out = std::process::Command::new(path)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()?;
    if out.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&out.stderr);
    Err(io::Error::other(format!("{}: {}", out.status, text.trim())))
}

/// Map the first page of `path` executable: directly, or (`mprotect`) readable first and then
/// made executable, as a JIT or a loader patching a mapping would.
fn map_exec(path: &str, mprotect: bool) -> io::Result<()> {
    let file = std::fs::File::open(path)?;
    let first = if mprotect {
        libc::PROT_READ
    } else {
        libc::PROT_READ | libc::PROT_EXEC
    };
    // SAFETY: a fresh private mapping of an open file; unmapped before returning.
    unsafe {
        let addr = libc::mmap(
            std::ptr::null_mut(),
            4096,
            first,
            libc::MAP_PRIVATE,
            file.as_raw_fd(),
            0,
        );
        if addr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let rc = if mprotect {
            libc::mprotect(addr, 4096, libc::PROT_READ | libc::PROT_EXEC)
        } else {
            0
        };
        let err = io::Error::last_os_error();
        libc::munmap(addr, 4096);
        if rc != 0 {
            return Err(err);
        }
    }
    Ok(())
}

/// dlopen a library. The loader keeps no errno (a refused mapping reads "failed to map
/// segment"), so its message is printed.
fn dlopen(path: &str) -> io::Result<()> {
    let p = cstr(path);
    // SAFETY: valid path; the handle is left open (the process ends right after).
    if !unsafe { libc::dlopen(p.as_ptr(), libc::RTLD_NOW) }.is_null() {
        return Ok(());
    }
    // SAFETY: dlerror returns a NUL-terminated string owned by the loader, or null.
    let text = unsafe {
        let e = libc::dlerror();
        if e.is_null() {
            String::new()
        } else {
            std::ffi::CStr::from_ptr(e).to_string_lossy().into_owned()
        }
    };
    Err(io::Error::other(format!("dlerror: {text}")))
}

/// A private mount namespace and an empty directory to mount on: nothing this probe mounts is
/// visible outside it, and everything goes with the process.
fn private_mount_point() -> io::Result<std::ffi::CString> {
    // SAFETY: plain syscalls.
    unsafe {
        cvt(libc::unshare(libc::CLONE_NEWNS))?;
        let root = cstr("/");
        cvt(libc::mount(
            std::ptr::null(),
            root.as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        ))?;
    }
    let dir = std::env::temp_dir().join(format!("airgap-probe-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(cstr(dir.to_str().expect("utf-8 temp dir")))
}

fn mount_dev(dev: &str, mode: &str, new_api: bool) -> io::Result<()> {
    let target = private_mount_point()?;
    let result = if new_api {
        fsmount(dev, mode)
    } else {
        mount_syscall(dev, mode, &target)
    };
    let _ = std::fs::remove_dir(target.to_str().expect("utf-8"));
    result
}

fn mount_syscall(dev: &str, mode: &str, target: &std::ffi::CString) -> io::Result<()> {
    let (src, fstype) = (cstr(dev), cstr("ext4"));
    let flags = if mode == "ro" { libc::MS_RDONLY } else { 0 };
    // SAFETY: valid strings; the mount lives in our private namespace.
    cvt(unsafe {
        libc::mount(
            src.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            flags,
            std::ptr::null(),
        )
    })?;
    // SAFETY: unmount what we just mounted.
    unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
    Ok(())
}

/// fsopen + fsconfig(source) + fsconfig(FSCONFIG_CMD_CREATE): the device is opened at CREATE.
fn fsmount(dev: &str, mode: &str) -> io::Result<()> {
    const FSCONFIG_SET_FLAG: libc::c_long = 0;
    const FSCONFIG_SET_STRING: libc::c_long = 1;
    const FSCONFIG_CMD_CREATE: libc::c_long = 6;
    let (fstype, source, ro, dev) = (cstr("ext4"), cstr("source"), cstr("ro"), cstr(dev));
    // SAFETY: raw syscalls with valid strings; the fs context fd is closed at the end.
    unsafe {
        let fd = libc::syscall(
            libc::SYS_fsopen,
            fstype.as_ptr(),
            1, /* FSOPEN_CLOEXEC */
        );
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let fd = fd as libc::c_int;
        let mut rc = libc::syscall(
            libc::SYS_fsconfig,
            fd,
            FSCONFIG_SET_STRING,
            source.as_ptr(),
            dev.as_ptr(),
            0,
        );
        if rc == 0 && mode == "ro" {
            rc = libc::syscall(
                libc::SYS_fsconfig,
                fd,
                FSCONFIG_SET_FLAG,
                ro.as_ptr(),
                std::ptr::null::<u8>(),
                0,
            );
        }
        if rc == 0 {
            rc = libc::syscall(
                libc::SYS_fsconfig,
                fd,
                FSCONFIG_CMD_CREATE,
                std::ptr::null::<u8>(),
                std::ptr::null::<u8>(),
                0,
            );
        }
        let err = io::Error::last_os_error();
        libc::close(fd);
        if rc != 0 {
            return Err(err);
        }
    }
    Ok(())
}

/// A device node for MAJ:MIN made somewhere else than /dev, then opened.
fn mknod_open(kind: &str, major: &str, minor: &str, mode: &str) -> io::Result<()> {
    let kind = if kind == "c" {
        libc::S_IFCHR
    } else {
        libc::S_IFBLK
    };
    let dir = std::env::temp_dir().join(format!("airgap-probe-node-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let node = dir.join("disk");
    let path = cstr(node.to_str().expect("utf-8"));
    let dev = libc::makedev(major.parse().expect("major"), minor.parse().expect("minor"));
    // SAFETY: valid path.
    let made = cvt(unsafe { libc::mknod(path.as_ptr(), kind | 0o600, dev) });
    let result = made.and_then(|_| open_dev(node.to_str().expect("utf-8"), mode));
    let _ = std::fs::remove_file(&node);
    let _ = std::fs::remove_dir(&dir);
    result
}

/// An ICMP echo round trip through a ping socket (the kernel builds the header and answers
/// echo requests itself, so no peer process is needed).
fn icmp_echo(to: std::net::Ipv4Addr, ms: i32, from: Option<std::net::Ipv4Addr>) -> io::Result<()> {
    std::fs::write("/proc/sys/net/ipv4/ping_group_range", "0 2147483647")?;
    let s = socket(libc::AF_INET, libc::SOCK_DGRAM, libc::IPPROTO_ICMP)?;
    if let Some(from) = from {
        bind_fd(&s, SocketAddr::new(IpAddr::V4(from), 0))?;
    }
    let (ss, len) = sockaddr(SocketAddr::new(IpAddr::V4(to), 0));
    let echo = [8u8, 0, 0, 0, 0, 0, 0, 1]; // type 8 (echo request), checksum filled by the kernel
                                           // SAFETY: valid fd, buffer and sockaddr.
    let rc = unsafe {
        libc::sendto(
            s.as_raw_fd(),
            echo.as_ptr().cast(),
            echo.len(),
            0,
            (&ss as *const libc::sockaddr_storage).cast(),
            len,
        )
    };
    cvt(rc as libc::c_int)?;
    let mut pfd = libc::pollfd {
        fd: s.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    if cvt(unsafe { libc::poll(&mut pfd, 1, ms) })? == 0 {
        return Err(io::Error::from_raw_os_error(libc::ETIMEDOUT));
    }
    Ok(())
}

fn bind_fd(s: &OwnedFd, a: SocketAddr) -> io::Result<()> {
    let (ss, len) = sockaddr(a);
    // SAFETY: valid fd and sockaddr.
    cvt(unsafe {
        libc::bind(
            s.as_raw_fd(),
            (&ss as *const libc::sockaddr_storage).cast(),
            len,
        )
    })
    .map(drop)
}

/// Wait until `fd` is ready for `events`, at most until `deadline`; ETIMEDOUT otherwise.
fn wait_fd(
    fd: &impl AsRawFd,
    events: libc::c_short,
    deadline: std::time::Instant,
) -> io::Result<()> {
    let left = deadline.saturating_duration_since(std::time::Instant::now());
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    if cvt(unsafe { libc::poll(&mut pfd, 1, left.as_millis() as i32) })? == 0 {
        return Err(io::Error::from_raw_os_error(libc::ETIMEDOUT));
    }
    Ok(())
}

/// Send `ping` on a connected or addressed socket and read the echo back before `deadline`.
fn echo_round(s: &OwnedFd, to: Option<SocketAddr>, deadline: std::time::Instant) -> io::Result<()> {
    let msg = b"ping";
    let rc = match to {
        Some(a) => {
            let (ss, len) = sockaddr(a);
            // SAFETY: valid fd, buffer and sockaddr.
            unsafe {
                libc::sendto(
                    s.as_raw_fd(),
                    msg.as_ptr().cast(),
                    msg.len(),
                    0,
                    (&ss as *const libc::sockaddr_storage).cast(),
                    len,
                )
            }
        }
        // SAFETY: valid fd and buffer.
        None => unsafe { libc::send(s.as_raw_fd(), msg.as_ptr().cast(), msg.len(), 0) },
    };
    cvt(rc as libc::c_int)?;
    wait_fd(s, libc::POLLIN, deadline)?;
    let mut buf = [0u8; 16];
    // SAFETY: valid fd and buffer.
    let n =
        cvt(unsafe { libc::recv(s.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) } as i32)?;
    (&buf[..n as usize] == msg)
        .then_some(())
        .ok_or_else(|| io::Error::other("echo mismatch"))
}

/// A TCP round trip to an echo server, bounded by MS: connect (EPERM from the hook, or the
/// SYN dropped: ETIMEDOUT), send, read the echo.
fn tcp_to(to: SocketAddr, ms: u64, from: Option<IpAddr>) -> io::Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(ms);
    let s = socket(family(to.ip()), libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0)?;
    if let Some(from) = from {
        bind_fd(&s, SocketAddr::new(from, 0))?;
    }
    let (ss, len) = sockaddr(to);
    // SAFETY: valid fd and sockaddr.
    let rc = unsafe {
        libc::connect(
            s.as_raw_fd(),
            (&ss as *const libc::sockaddr_storage).cast(),
            len,
        )
    };
    match cvt(rc) {
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {
            wait_fd(&s, libc::POLLOUT, deadline)?;
            let mut err: libc::c_int = 0;
            let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
            // SAFETY: valid fd and option buffer of the given length.
            cvt(unsafe {
                libc::getsockopt(
                    s.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_ERROR,
                    (&mut err as *mut libc::c_int).cast(),
                    &mut len,
                )
            })?;
            if err != 0 {
                return Err(io::Error::from_raw_os_error(err));
            }
        }
        r => r.map(drop)?,
    }
    echo_round(&s, None, deadline)
}

/// A UDP round trip from an unbound socket (sendto: the sendmsg hook), bounded by MS.
fn udp_to(to: SocketAddr, ms: u64) -> io::Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(ms);
    let s = socket(family(to.ip()), libc::SOCK_DGRAM, 0)?;
    echo_round(&s, Some(to), deadline)
}

/// The victim as a server: listen, say `ready`, serve one echo within MS.
fn tcp_accept(at: SocketAddr, ms: u64) -> io::Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(ms);
    let l = TcpListener::bind(at)?;
    println!("ready");
    io::stdout().flush()?;
    l.set_nonblocking(true)?;
    loop {
        match l.accept() {
            Ok((mut c, _)) => {
                c.set_nonblocking(false)?;
                c.set_read_timeout(Some(std::time::Duration::from_millis(ms)))?;
                let mut buf = [0u8; 4];
                c.read_exact(&mut buf)?;
                return c.write_all(&buf);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => wait_fd(&l, libc::POLLIN, deadline)?,
            Err(e) => return Err(e),
        }
    }
}

/// The test's peer host: TCP and UDP echo on one address and port for SECS seconds. Prints
/// `ready`, then `served tcp|udp FROM` per request; ends with `ok`.
fn echo_server(at: SocketAddr, secs: u64) -> io::Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let tcp = TcpListener::bind(at)?;
    let udp = UdpSocket::bind(at)?;
    tcp.set_nonblocking(true)?;
    udp.set_nonblocking(true)?;
    println!("ready");
    io::stdout().flush()?;
    while std::time::Instant::now() < deadline {
        let mut pfds = [
            libc::pollfd {
                fd: tcp.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: udp.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: two valid pollfds.
        cvt(unsafe { libc::poll(pfds.as_mut_ptr(), 2, 200) })?;
        if let Ok((mut c, from)) = tcp.accept() {
            c.set_nonblocking(false)?;
            c.set_read_timeout(Some(std::time::Duration::from_secs(2)))?;
            let mut buf = [0u8; 4];
            if c.read_exact(&mut buf).is_ok() && c.write_all(&buf).is_ok() {
                println!("served tcp {}", from.ip());
            }
        }
        let mut buf = [0u8; 64];
        if let Ok((n, from)) = udp.recv_from(&mut buf) {
            if udp.send_to(&buf[..n], from).is_ok() {
                println!("served udp {}", from.ip());
            }
        }
        io::stdout().flush()?;
    }
    Ok(())
}

/// Raw Ethernet frames out of IFNAME: the path no socket hook sees.
fn packet(ifname: &str, count: u32) -> io::Result<()> {
    let s = socket(
        libc::AF_PACKET,
        libc::SOCK_RAW,
        (libc::ETH_P_ALL as u16).to_be() as i32,
    )?;
    let name = std::ffi::CString::new(ifname).expect("ifname");
    // SAFETY: valid NUL-terminated name.
    let ifindex = unsafe { libc::if_nametoindex(name.as_ptr()) };
    if ifindex == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: zeroed sockaddr_ll, then filled.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as _;
    sll.sll_ifindex = ifindex as i32;
    sll.sll_halen = 6;
    sll.sll_addr[..6].copy_from_slice(&[0xff; 6]);
    // Broadcast, a local-experimental ethertype (0x88b5): nothing on the far end parses it.
    let mut frame = [0u8; 60];
    frame[..6].copy_from_slice(&[0xff; 6]);
    frame[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 1]);
    frame[12..14].copy_from_slice(&0x88b5u16.to_be_bytes());
    let mut first = Ok(());
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
        // Try every frame; report the first error.
        if let (Ok(()), Err(e)) = (&first, cvt(rc as libc::c_int)) {
            first = Err(e);
        }
    }
    first
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        eprintln!("usage: airgap-probe OP ARGS... (see the source)");
        return ExitCode::from(2);
    }
    match op(&args) {
        Ok(()) => println!("ok"),
        Err(e) => println!("{}", errno_name(&e)),
    }
    ExitCode::SUCCESS
}
