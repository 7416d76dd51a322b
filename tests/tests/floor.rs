//! Issue 23: the benchmark's dispatch floor (`airgapd_tests::floor`) is what it claims: a
//! cgroup with a `return 1` program on every hook the enforced cgroup has programs on, as
//! many per hook, and nothing refused there that the enforced cgroup refuses.

use std::os::fd::AsFd;
use std::path::Path;

use airgapd::links::{self, AttachType};
use airgapd::maps::NetMode;
use airgapd_tests::floor::Floor;
use airgapd_tests::{run_at, Armed, Place};

fn probe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_airgap-probe"))
}

#[tokio::test]
async fn the_floor_mirrors_every_hook_with_programs_that_allow() {
    let mut armed = Armed::network(NetMode::Loopback);
    armed
        .enforcer
        .enforce_devices(&armed.scope)
        .expect("attaching the device program");
    let floor = Floor::mirror(&armed.scope, "floor-test").expect("mirroring the hooks");

    // The same hooks, as many programs on each, as the kernel lists them.
    let (on, low) = (armed.scope.dir().unwrap(), floor.scope.dir().unwrap());
    let mut mirrored = 0;
    for attach in [
        AttachType::BPF_CGROUP_INET_INGRESS,
        AttachType::BPF_CGROUP_INET_EGRESS,
        AttachType::BPF_CGROUP_INET_SOCK_CREATE,
        AttachType::BPF_CGROUP_DEVICE,
        AttachType::BPF_CGROUP_INET4_CONNECT,
        AttachType::BPF_CGROUP_UDP4_SENDMSG,
        AttachType::BPF_CGROUP_SETSOCKOPT,
    ] {
        let want = links::cgroup_programs(on.as_fd(), attach).unwrap();
        let got = links::cgroup_programs(low.as_fd(), attach).unwrap();
        assert_eq!(
            got.len(),
            want.len(),
            "{attach:?}: floor {got:?}, enforced {want:?}"
        );
        for id in got {
            assert!(
                links::prog_info(id).unwrap().is_named("floor_1"),
                "{attach:?}"
            );
        }
        mirrored += want.len();
    }
    assert!(
        mirrored >= 5,
        "the enforced cgroup has programs on these hooks"
    );
    let listed: usize = floor.hooks.iter().map(|(_, n)| n).sum();
    assert!(listed >= mirrored, "hooks reported: {:?}", floor.hooks);

    // A raw socket: refused at creation in the enforced cgroup, allowed on the floor (its
    // programs run, and decide nothing).
    let raw = ["socket", "2", "3", "1"];
    let place = |scope| Place {
        scope: Some(scope),
        fresh_netns: true,
    };
    assert_eq!(run_at(probe(), place(&armed.scope), &raw).result, "EPERM");
    assert_eq!(run_at(probe(), place(&floor.scope), &raw).result, "ok");
    armed.drain();
}
