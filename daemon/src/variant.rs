//! Reduced variants of the cgroup programs, for kernels whose verifier refuses the full ones.
//!
//! Some cgroup hooks get fewer helpers on older kernels: on Debian 11's 5.10, `cgroup/setsockopt`
//! and `cgroup/dev` programs may not call `bpf_get_current_pid_tgid` or `bpf_get_current_comm`,
//! and `cgroup/dev` not `bpf_get_current_task_btf` or `bpf_set_retval` either; the verifier
//! refuses the whole program for one unknown helper ("unknown func
//! bpf_get_current_pid_tgid#14"). The C source defines each such program twice from one
//! judgement (`airgap_X` and `airgap_X_reduced`); the daemon loads the full one and, only when
//! the verifier refuses it, the reduced one, and reports the layer as limited with what it gives
//! up and the verifier's words. The refusals are the same; the records and the details below
//! differ. The link keeps the full program's pin name, so a daemon started on another kernel
//! (or after an upgrade) adopts it either way.

use aya::programs::ProgramError;

/// A program with a reduced variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// The full program (C function) name, also its pin name's.
    pub full: &'static str,
    /// The reduced program.
    pub reduced: &'static str,
    /// What the reduced one gives up, for the operator.
    pub gives_up: &'static str,
}

/// Layer 6, `cgroup/setsockopt` (`network.bpf.c`).
pub const SETSOCKOPT: Variant = Variant {
    full: "airgap_setsockopt",
    reduced: "airgap_setsockopt_reduced",
    gives_up: "refused socket options (layer 6) are recorded without the process id and name \
               (uid, gid and cgroup are recorded; AIRGAP_PROCESS=unknown)",
};

/// The device program, `cgroup/dev` (`devices.bpf.c`).
pub const DEVICE: Variant = Variant {
    full: "airgap_dev",
    reduced: "airgap_dev_reduced",
    gives_up: "refused device opens are recorded without the process id and name (uid, gid \
               and cgroup are recorded; AIRGAP_PROCESS=unknown); kernel threads are told by \
               the root cgroup and the daemon's own reads by its service's cgroup, not by the \
               task; writing an approved read-only medium answers EPERM instead of EACCES, so \
               mount(8) does not fall back to read-only by itself: mount it with -o ro",
};

/// The reason given when a test asked for the reduced variants.
pub const FORCED: &str = "reduced variant requested (tests of older kernels)";

/// Every program with a reduced variant.
pub const ALL: [Variant; 2] = [SETSOCKOPT, DEVICE];

/// The reduced variant of program `full`, if it has one.
pub fn reduced_of(full: &str) -> Option<&'static str> {
    ALL.iter().find(|v| v.full == full).map(|v| v.reduced)
}

/// Whether a failed load is the verifier's refusal (the only case that falls back): EINVAL
/// (an unknown helper, a context access) or EACCES (a helper argument it rejects). A missing
/// privilege, memory or a bad object fails the same way for both variants and is not hidden.
pub fn refused_by_verifier(e: &ProgramError) -> bool {
    matches!(
        e,
        ProgramError::LoadError { io_error, .. }
            if matches!(io_error.raw_os_error(), Some(libc::EINVAL) | Some(libc::EACCES))
    )
}

/// The verifier's reason in one line: the last non-empty line of its log that is not a
/// statistic, or the kernel's error when there is no log.
pub fn verifier_reason(e: &ProgramError) -> String {
    let ProgramError::LoadError {
        io_error,
        verifier_log,
    } = e
    else {
        return e.to_string();
    };
    reason_in(&verifier_log.to_string()).unwrap_or_else(|| io_error.to_string())
}

fn reason_in(log: &str) -> Option<String> {
    let statistic = |l: &str| {
        [
            "processed ",
            "verification time",
            "stack depth",
            "-- END PROG LOAD LOG --",
        ]
        .iter()
        .any(|p| l.starts_with(p))
    };
    log.lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !statistic(l))
        .map(str::to_string)
}

/// Load `variant`: the full program, or the reduced one where the verifier refuses the full one.
/// `Ok(None)`: the full program loaded; `Ok(Some(reason))`: the reduced one did, `reason` being
/// the verifier's words about the full one. When both are refused, the full one's error.
/// `force`: the reduced one without trying the full one (how host tests show the older kernels).
pub fn load_either(
    variant: Variant,
    force: bool,
    mut load: impl FnMut(&'static str) -> Result<(), ProgramError>,
) -> Result<Option<String>, (&'static str, ProgramError)> {
    if force {
        return load(variant.reduced)
            .map(|()| Some(FORCED.to_string()))
            .map_err(|e| (variant.reduced, e));
    }
    match load(variant.full) {
        Ok(()) => Ok(None),
        Err(e) if refused_by_verifier(&e) => {
            let reason = verifier_reason(&e);
            match load(variant.reduced) {
                Ok(()) => {
                    tracing::warn!(
                        program = variant.full,
                        reason = %reason,
                        "the verifier refused the full program; its reduced variant {} is \
                         loaded: {}",
                        variant.reduced,
                        variant.gives_up
                    );
                    Ok(Some(reason))
                }
                Err(_) => Err((variant.full, e)),
            }
        }
        Err(e) => Err((variant.full, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_is_the_verifiers_last_word() {
        let log = "0: R1=ctx() R10=fp0\n; __u64 pid_tgid = bpf_get_current_pid_tgid();\n\
                   12: (85) call bpf_get_current_pid_tgid#14\n\
                   unknown func bpf_get_current_pid_tgid#14\n\
                   processed 42 insns (limit 1000000) max_states_per_insn 0\n\n";
        assert_eq!(
            reason_in(log).as_deref(),
            Some("unknown func bpf_get_current_pid_tgid#14")
        );
        assert_eq!(reason_in("\n \n"), None);
    }

    #[test]
    fn only_verifier_refusals_fall_back() {
        let refused = || ProgramError::LoadError {
            io_error: std::io::Error::from_raw_os_error(libc::EINVAL),
            verifier_log: aya_obj::VerifierLog::new(String::new()),
        };
        let mut tried = Vec::new();
        let r = load_either(SETSOCKOPT, false, |name| {
            tried.push(name);
            if name == SETSOCKOPT.full {
                Err(refused())
            } else {
                Ok(())
            }
        });
        assert_eq!(
            r.unwrap(),
            Some("Invalid argument (os error 22)".to_string())
        );
        assert_eq!(tried, [SETSOCKOPT.full, SETSOCKOPT.reduced]);

        // EPERM (no privilege) is no verifier refusal: the reduced one is not tried.
        let mut tried = Vec::new();
        let r = load_either(DEVICE, false, |name| {
            tried.push(name);
            Err(ProgramError::LoadError {
                io_error: std::io::Error::from_raw_os_error(libc::EPERM),
                verifier_log: aya_obj::VerifierLog::new(String::new()),
            })
        });
        assert_eq!(r.unwrap_err().0, DEVICE.full);
        assert_eq!(tried, [DEVICE.full]);

        // The full program loads: nothing else is tried.
        let mut tried = Vec::new();
        assert_eq!(
            load_either(DEVICE, false, |n| {
                tried.push(n);
                Ok(())
            })
            .unwrap(),
            None
        );
        assert_eq!(tried, [DEVICE.full]);
        assert_eq!(reduced_of("airgap_dev"), Some("airgap_dev_reduced"));
        assert_eq!(reduced_of("airgap_connect4"), None);
    }
}
