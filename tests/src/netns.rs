//! Network namespaces and veth pairs that a test creates (never the machine's own interfaces),
//! removed again on drop.

use std::fs::File;
use std::process::Command;

/// Run `ip ARGS`, panicking with its stderr on failure.
pub fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .expect("running ip (iproute2)");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A named network namespace, deleted on drop.
pub struct NetNs {
    /// Its name under /run/netns.
    pub name: String,
}

impl NetNs {
    /// Create `airgapd-<tag>-<pid>`.
    pub fn new(tag: &str) -> NetNs {
        let name = format!("airgapd-{tag}-{}", std::process::id());
        ip(&["netns", "add", &name]);
        let ns = NetNs { name };
        ns.exec(&["ip", "link", "set", "lo", "up"]);
        // No IPv6 autoconfiguration chatter: interface counters then move only for the
        // frames a test sends.
        ns.exec(&["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"]);
        ns.exec(&["sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1"]);
        ns
    }

    /// Run a command inside the namespace; true when it exited 0.
    pub fn try_exec(&self, cmd: &[&str]) -> bool {
        let mut args = vec!["netns", "exec", &self.name];
        args.extend_from_slice(cmd);
        Command::new("ip")
            .args(&args)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    /// Run a command inside the namespace.
    pub fn exec(&self, cmd: &[&str]) {
        let mut args = vec!["netns", "exec", &self.name];
        args.extend_from_slice(cmd);
        ip(&args);
    }

    /// Run `f` on a thread that has entered the namespace (for attaching interface programs).
    pub fn enter<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        let path = format!("/run/netns/{}", self.name);
        std::thread::scope(|s| {
            s.spawn(|| {
                let fd = File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
                nix::sched::setns(fd, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
                f()
            })
            .join()
            .expect("netns thread panicked")
        })
    }

    /// A counter of an interface in this namespace (`rx_packets`, `tx_packets`, ...).
    /// Read through `ip netns exec`, which mounts the namespace's own /sys.
    pub fn stat(&self, ifname: &str, counter: &str) -> u64 {
        let path = format!("/sys/class/net/{ifname}/statistics/{counter}");
        let out = Command::new("ip")
            .args(["netns", "exec", &self.name, "cat", &path])
            .output()
            .expect("running ip netns exec cat");
        assert!(
            out.status.success(),
            "{path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("counter")
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// Two namespaces joined by a veth pair: `a` has `veth-a` with 10.231.0.1/24 (the side under
/// enforcement), `b` has `veth-b` with 10.231.0.2/24 (the test's own peer host).
pub struct Link {
    /// The enforced side.
    pub a: NetNs,
    /// The peer.
    pub b: NetNs,
}

impl Link {
    /// Create both namespaces and the pair; everything goes away when the namespaces do.
    pub fn new(tag: &str) -> Link {
        let a = NetNs::new(&format!("{tag}a"));
        let b = NetNs::new(&format!("{tag}b"));
        a.exec(&[
            "ip", "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b", "netns",
            &b.name,
        ]);
        a.exec(&["ip", "addr", "add", "10.231.0.1/24", "dev", "veth-a"]);
        b.exec(&["ip", "addr", "add", "10.231.0.2/24", "dev", "veth-b"]);
        a.exec(&["ip", "link", "set", "veth-a", "up"]);
        b.exec(&["ip", "link", "set", "veth-b", "up"]);
        Link { a, b }
    }
}
