//! Reloading the policy (SIGHUP, ReloadPolicy): a valid new policy replaces the old, never
//! passing through a more open state; an invalid one is refused and the old one stays.

use super::*;

impl Service {
    /// SIGHUP or ReloadPolicy: a valid new policy replaces the old; an invalid one is refused
    /// and the old one stays.
    pub(super) fn reload(&mut self) -> Result<PolicyInfo, String> {
        let tried = self.try_reload();
        // A reload that loaded programs parsed the kernel's BTF: not kept.
        crate::kernel_btf::release();
        match tried {
            Ok(policy) => {
                send(&self.sink, records::policy_loaded(&policy));
                // The enforcement record must say the new configuration at once: a stop before
                // the next tick otherwise left the old one, and the next start reported the
                // reload as tampering while no daemon ran (found by the machine record's test).
                self.guard_tick();
                let info = self.state.read().expect("state lock").policy.clone();
                self.machine.send(
                    crate::machine_record::Entry::now("policy")
                        .with_policy(&info, &self.opts.policy),
                );
                Ok(info)
            }
            Err(e) => {
                let why = format!("{e:#}");
                send(
                    &self.sink,
                    records::policy_rejected(&why, "the previous policy stays in force"),
                );
                Err(why)
            }
        }
    }

    pub(super) fn try_reload(&mut self) -> Result<airgapd_policy::Policy> {
        let checked = airgapd_policy::load(&self.opts.policy)?;
        crate::update::check_reload(&checked.policy, &self.opts.policy)?;
        let facts = self.facts()?;
        let plan = Plan::new(&checked.policy, &facts)?;
        apply_rules(&mut self.enforcer, Some(&self.plan), &plan)?;
        // --- isolated LAN (issue 9) ---
        for r in self.lan.apply(&mut self.enforcer, &plan, &self.scope)? {
            send(&self.sink, r);
        }
        // Issue 23: the per-packet programs, when the new mode needs them, before it is
        // written; when it does not, taken away after.
        self.enforcer
            .packet_programs_before(&self.scope, plan.net_mode)?;
        self.enforcer.configure(&self.scope, plan.net_mode)?;
        self.enforcer.fit_packet_programs()?;
        self.plan = plan;
        self.state.write().expect("state lock").policy = policy_info(&checked.policy, None);
        self.policy = checked.policy.clone();
        self.rescan_media();
        Ok(checked.policy)
    }
}

impl Service {
    /// The machine as plans read it after start: sysfs and devices now, but the mounts of the
    /// start, which are what make disks internal. A medium mounted since (one the daemon
    /// granted itself) is neither a pre-start mount nor internal (issue 17).
    pub(super) fn facts(&self) -> Result<Facts> {
        Ok(Facts {
            mountinfo: self.mountinfo_at_start.clone(),
            ..Facts::read()?
        })
    }
}

/// Bring the rule map to `new`: first withdraw what `old` (or, when adopting, whatever the map
/// holds) grants beyond it, then add; never more open than either.
pub(super) fn apply_rules(enforcer: &mut Enforcer, old: Option<&Plan>, new: &Plan) -> Result<()> {
    let stale: Vec<_> = match old {
        Some(old) => new.stale_in(old).map(|r| r.matches).collect(),
        None => enforcer
            .dev_rules()
            .matches()
            .into_iter()
            .filter(|m| !new.rules.contains_key(m))
            .collect(),
    };
    for m in stale {
        enforcer.dev_rules().remove(m)?;
    }
    for rule in new.rules.values() {
        enforcer.dev_rules().set(rule.matches, rule.access)?;
    }
    Ok(())
}
