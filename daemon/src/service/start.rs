//! Start-up: the policy (never leaving the machine open), the scope, the pinned or fresh
//! enforcement, the history kept from the last run, the first judgement of every device.

use super::*;

impl Service {
    pub(super) fn start(opts: &Options, sink: Sink) -> Result<Service> {
        // First: its prober forks the holder process (`devices::holder`), which keeps every page
        // the daemon has at the fork. Forked later, after the programs were loaded, it held the
        // ~30 MB the start used (the kernel's BTF, the object) for the daemon's life.
        let mut media = media::Media::default();
        // The kernel's BTF and the relocated object, made while the policy and the records
        // are read (`kernel_btf`).
        crate::kernel_btf::prefetch();
        let loaded = load_or_strict(&opts.policy);
        if let Some(why) = &loaded.fallback {
            send(
                &sink,
                records::policy_rejected(why, "enforcing the built-in strict policy"),
            );
        }
        for w in &loaded.warnings {
            tracing::warn!("policy: {w}");
        }
        let policy = loaded.policy;

        let scope = match &opts.scope_cgroup {
            Some(path) => Scope::at(path.clone()),
            None => Scope::machine(),
        }
        .context("opening the enforcement scope")?;
        // Interface programs on a scoped service only in a namespace a test made: the machine's
        // own interfaces (and the sockets of whoever reaches it) are never touched by a test.
        if opts.cover_interfaces && !scope.is_machine() && !crate::network::in_named_netns()? {
            anyhow::bail!(
                "--cover-interfaces puts the interface programs on every interface of the \
                 daemon's network namespace; run the daemon in a namespace made with `ip netns add` \
                 (this one is not)"
            );
        }
        crate::bpffs::ensure_mounted(&opts.pin_dir).context("mounting bpffs")?;
        std::fs::create_dir_all(&opts.pin_dir)
            .with_context(|| format!("creating {}", opts.pin_dir.display()))?;

        // --- tampering while no daemon ran (issue 14): before adoption puts everything back ---
        let down = crate::tamper::while_down(&opts.pin_dir, &opts.record);
        let machine = crate::machine_record::Writer::start(
            opts.machine_record.clone(),
            opts.journal_socket.clone(),
            opts.tpm.clone(),
        );
        for t in &down {
            send(&sink, t.record());
            machine.send(tamper_entry(t));
        }
        // A package upgrade: the old daemon's links keep enforcing until each runs our program.
        let retired = crate::pinned::upgrade::retire_other_abi(&opts.pin_dir)
            .context("setting aside the enforcement of another ABI version")?;
        let mut enforcer = Enforcer::load_pinned(&opts.pin_dir)?;
        if opts.tc_filters {
            enforcer.use_tc_filters();
        }
        let facts = Facts::read().context("reading /proc/self/mountinfo and /proc/devices")?;
        let plan = Plan::new(&policy, &facts).context("planning device rules")?;
        // --- isolated LAN (issue 9): the LAN tries before the mode that uses them ---
        let mut lan = crate::network::lan::LanGuard::default();
        for r in lan.apply(&mut enforcer, &plan, &scope)? {
            send(&sink, r);
        }
        // Issue 23: a storm crosses the ring buffer as one event per interval per process and
        // kind; the window is the records' own.
        enforcer.fold_refusals(policy.logging.storm_interval)?;
        enforcer.configure(&scope, plan.net_mode)?;
        apply_rules(&mut enforcer, None, &plan)?;
        enforcer.enforce_network(&scope)?;
        enforcer.enforce_devices(&scope)?;
        if opts.media_ro_tick_only {
            enforcer.use_media_ro_tick_only();
        }
        enforcer.enforce_media_read_only(); // issue 17: reported either way
        if !scope.is_machine() && !opts.cover_interfaces {
            enforcer.set_layer(
                Layer::Wire,
                LayerState::Unavailable(
                    "interface programs are only used with a whole-machine scope".into(),
                ),
            );
        }
        // --- copy register and exec refusal on removable media (issue 8) ---
        let media_files = crate::register::MediaFiles::new(
            &mut enforcer,
            crate::register::Setup {
                register: opts.register.clone(),
                journal_socket: opts.journal_socket.clone(),
                pin_dir: opts.pin_dir.clone(),
                machine: scope.is_machine(),
                scope_cgroup: (!scope.is_machine()).then(|| scope.path().to_path_buf()),
                mountinfo: crate::paths::MOUNTINFO.into(),
            },
        );
        let events = EventStream::new(enforcer.take_events().context("event ring buffer")?)?;

        let mode = if scope.is_machine() {
            "enforcing".to_string()
        } else {
            format!("scoped:{}", scope.path().display())
        };
        let guard = crate::tamper::Guard::new(
            opts.record.clone(),
            crate::pinned::record::Record {
                pin_dir: opts.pin_dir.display().to_string(),
                daemon: Some(crate::pinned::record::DaemonRecord::this_process(
                    crate::pinned::record::now_us(),
                )),
                tampering: down.iter().map(|t| t.to_record()).collect(),
                ..Default::default()
            },
        );
        let mut state = State::new(mode, policy.logging.recent_violations);
        state.policy = policy_info(&policy, loaded.fallback.as_deref());
        // --- history across restarts (issue 15) ---
        let stored = history::load(&opts.history);
        state.restore_violations(
            stored
                .violations
                .into_iter()
                .filter_map(history::StoredViolation::restore)
                .collect(),
            stored.next_seq,
        );
        let last_present: Vec<DeviceRecord> = stored.present.into_iter().map(Into::into).collect();
        media.at_start = Some(last_present.clone());
        let interval = policy.logging.storm_interval;
        let mut folds = super::folds::Folds::default();
        if let Ok(counts) = enforcer.counters().all() {
            folds.baseline(&counts);
        }
        let mut service = Service {
            opts: opts.clone(),
            sink,
            scope,
            enforcer,
            events,
            plan,
            state: state.shared(),
            storm: Aggregator::with_crowds(
                interval,
                crate::storm::DEFAULT_MAX_KEYS,
                refusals::CROWD,
                refusals::crowd_of,
            ),
            deferred: Vec::new(),
            folds,
            lost_seen: Vec::new(),
            policy,
            media,
            uevents: Some(UeventSocket::open().context("subscribing to kernel uevents")?),
            usb_devices: Vec::new(),
            covered: Default::default(),
            uncoverable: Default::default(),
            usb_grants: Default::default(),
            uevents_lost: 0,
            dbus: None,
            lan,
            media_files,
            present: last_present,
            departed: stored.departed.into_iter().map(Into::into).collect(),
            history_dirty: false,
            history_saved: Instant::now(),
            guard,
            bpf_guard: None,
            premount_deny: None,
            premount_left: Default::default(),
            mountinfo_at_start: facts.mountinfo.clone(),
            machine,
            day: Default::default(),
        };
        send(&service.sink, records::policy_loaded(&service.policy));
        let usb_state = if service.scope.is_machine() {
            let (state, devices, grants) = usb::startup(&service.sink, &service.policy);
            service.usb_devices = devices;
            for g in grants {
                service.apply_usb_grants(g);
            }
            state
        } else {
            LayerState::Unavailable(
                "USB authorization is machine-wide: only with a whole-machine scope".into(),
            )
        };
        service
            .enforcer
            .set_layer(Layer::UsbAuthorization, usb_state);
        if service.scope.is_machine() {
            capture::block_radios(&service.sink, &service.policy);
        }
        service.publish_layers(true);
        service.rescan_media();
        // Present media answer (or are refused as not answering) before READY=1.
        let mut cx = media::Ctx {
            enforcer: &mut service.enforcer,
            sink: &service.sink,
            policy: &service.policy,
            plan: &service.plan,
        };
        service.media.settle(&mut cx);
        service.media.at_start = None;
        // --- refused media mounted before the start (issue 15 item 7): once every medium
        // present is judged, so that approved ones are never touched ---
        service.premounted_media();
        service.sync_media_files();
        // Devices present when the daemon last stopped and not there now left meanwhile.
        service.publish_devices_at(true);
        service.save_history();
        // --- copy register and exec refusal (issue 8): the LSM layer once its device map is
        // filled by the rescan, then the media mounts ---
        for (layer, state) in service.media_files.attach(&mut service.enforcer) {
            send(&service.sink, records::layer(layer, &state, false));
        }
        // Every link of ours is made: what only the old version had goes now.
        if let Some(retired) = retired {
            let up = retired.finish(
                &service.opts.pin_dir,
                &crate::pinned::upgrade::object_programs(),
                &crate::network::WIRE_LINKS.map(|(name, _)| name),
            );
            send(&service.sink, records::upgraded(&up));
            service.machine.send(crate::machine_record::Entry {
                detail: Some(records::upgrade_detail(&up)),
                ..crate::machine_record::Entry::now("upgrade")
            });
        }
        // --- issue 14: other processes' bpf() on airgapd's objects refused, once every link
        // is made; the guard's own links end with this process ---
        let guard_state =
            match crate::bpf_guard::BpfGuard::arm(&mut service.enforcer, &service.opts.pin_dir) {
                Ok(g) => {
                    tracing::info!(guarded = g.guarded(), "bpf() on airgapd's objects refused");
                    service.bpf_guard = Some(g);
                    LayerState::Active
                }
                Err(why) => LayerState::Unavailable(why),
            };
        send(
            &service.sink,
            records::layer(Layer::BpfGuard, &guard_state, false),
        );
        service.enforcer.set_layer(Layer::BpfGuard, guard_state);
        service.publish_layers(false);
        service.guard_tick(); // issue 14: the first enforcement record
        Ok(service)
    }
}

/// The machine record's line for a tampering found (issue 19).
pub(super) fn tamper_entry(t: &crate::tamper::Tampering) -> crate::machine_record::Entry {
    let when = if t.while_down {
        "while no daemon ran"
    } else {
        "while running"
    };
    let repair = match &t.repair_error {
        None => "repaired".to_string(),
        Some(e) => format!("NOT repaired: {e}"),
    };
    crate::machine_record::Entry {
        detail: Some(format!(
            "{}: set as {}, found as {} ({when}); {repair}",
            t.object, t.before, t.after
        )),
        ..crate::machine_record::Entry::now("tamper")
    }
}
