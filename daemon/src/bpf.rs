//! Loading the one BPF object and holding it while it enforces: the programs and their links
//! (which detach when this is dropped, unless pinned), the typed maps, and what each layer
//! achieved.

use std::fmt;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use aya::maps::{MapData, RingBuf};
use aya::programs::ProgramError;
use aya::{Ebpf, EbpfError, EbpfLoader};

use airgapd_ebpf::abi;

use crate::devices::readonly_lsm::{self, RoDevices};

use crate::links::{self, AttachType, Origin, Target};
use crate::maps::{
    Config, ConfigMap, Counters, DevRules, FoldMap, LanEntries, LanTrie, LogHostMap, MapsError,
    NetMode,
};
use crate::network;
use crate::scope::{Scope, ScopeError};

/// Errors while loading or attaching enforcement.
#[derive(Debug, thiserror::Error)]
pub enum EnforceError {
    /// The embedded object could not be parsed or its maps created.
    #[error("loading the BPF object: {source}")]
    Object {
        /// The aya error.
        #[source]
        source: Box<EbpfError>,
    },
    /// The object lacks a program this daemon expects (a build mismatch).
    #[error("the BPF object has no program {name} of the expected type")]
    MissingProgram {
        /// Program (C function) name.
        name: &'static str,
    },
    /// The kernel refused to load a program.
    #[error("loading BPF program {name}: {source}")]
    Load {
        /// Program name.
        name: &'static str,
        /// The aya error (with the verifier log, if any).
        source: Box<ProgramError>,
    },
    /// A link could not be created, pinned or adopted.
    #[error("linking BPF program {name}: {source}")]
    Link {
        /// Program name.
        name: &'static str,
        /// The bpf(2) error.
        source: std::io::Error,
    },
    /// The pin directory holds enforcement of another ABI version.
    #[error(
        "{dir} holds enforcement of ABI version {found}, this daemon speaks {expected}; \
         lift it first (airgapd lift)"
    )]
    AbiMismatch {
        /// The pin directory.
        dir: String,
        /// Version found in the pinned config.
        found: u32,
        /// Our version.
        expected: u32,
    },
    /// The network interfaces could not be read (rtnetlink), so a LAN interface could not be
    /// found by its MAC address.
    #[error("reading the network interfaces (rtnetlink): {source}")]
    Interfaces {
        /// The netlink error.
        source: std::io::Error,
    },
    /// A map operation failed.
    #[error(transparent)]
    Maps(#[from] MapsError),
    /// The scope cgroup could not be used.
    #[error(transparent)]
    Scope(#[from] ScopeError),
}

impl EnforceError {
    pub(crate) fn load(name: &'static str) -> impl FnOnce(ProgramError) -> EnforceError {
        move |source| EnforceError::Load {
            name,
            source: Box::new(source),
        }
    }
}

/// The kernel's answer to a failed load, without the (often empty) verifier log aya appends.
/// Whether the kernel runs BPF LSM programs at all, as its active LSM list says. A kernel whose
/// `lsm=` list leaves `bpf` out still loads and attaches BPF LSM programs, and then never calls
/// them: the layers said "active" while AF_PACKET sockets were created freely (found by the
/// guest's boot of 6.1 without `bpf` in `lsm=`, issue 22). Where securityfs is not mounted the
/// list cannot be read, and the load decides as before.
pub(crate) fn bpf_lsm_listed() -> Result<(), String> {
    let Ok(list) = std::fs::read_to_string(LSM_LIST) else {
        return Ok(());
    };
    bpf_lsm_in(&list)
}

/// The LSM list securityfs shows (comma-separated).
pub(crate) const LSM_LIST: &str = "/sys/kernel/security/lsm";

fn bpf_lsm_in(list: &str) -> Result<(), String> {
    let list = list.trim();
    if list.split(',').any(|m| m == "bpf") {
        return Ok(());
    }
    Err(format!(
        "bpf is not in the kernel's active LSM list ({list}): the kernel would accept BPF LSM \
         programs and never run them; add bpf to lsm= on the kernel command line"
    ))
}

use crate::kernel_btf::kernel_btf;

fn kernel_answer(e: &EnforceError) -> String {
    match e {
        EnforceError::Load { source, .. } => load_answer(source),
        other => other.to_string(),
    }
}

/// The kernel's answer to a failed program load, with the verifier's last word when it said
/// one (Debian 11's 5.10 answers EINVAL to the LSM programs: the log says what it refused).
pub(crate) fn load_answer(e: &ProgramError) -> String {
    match e {
        ProgramError::LoadError { io_error, .. } => {
            let reason = crate::variant::verifier_reason(e);
            if reason == io_error.to_string() {
                reason
            } else {
                format!("{io_error}; verifier: {reason}")
            }
        }
        other => other.to_string(),
    }
}

/// Look up a program of the object by name and type.
pub(crate) fn program_mut<'a, T>(
    ebpf: &'a mut Ebpf,
    name: &'static str,
) -> Result<&'a mut T, EnforceError>
where
    &'a mut T: TryFrom<&'a mut aya::programs::Program>,
{
    ebpf.program_mut(name)
        .and_then(|p| p.try_into().ok())
        .ok_or(EnforceError::MissingProgram { name })
}

/// An enforcement layer, as reported to the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// cgroup sock_create, sockaddr and skb programs.
    CgroupNetwork,
    /// Interface (TCX) programs.
    Wire,
    /// BPF LSM programs.
    Lsm,
    /// fmod_ret on `security_socket_setsockopt`: setsockopt of the 32-bit compat entry, which
    /// the `cgroup/setsockopt` program never sees (`crate::network::compat`).
    CompatSockopt,
    /// fmod_ret on `security_socket_create`: layer 5 (every family but AF_UNIX, AF_NETLINK and
    /// inet refused at socket()) on kernels with trampolines, BPF LSM or not.
    CreateFmodRet,
    /// cgroup/dev program.
    Devices,
    /// USB authorization (`authorized_default`, per-device `authorized`).
    UsbAuthorization,
    /// The copy register of removable media (fanotify; `crate::register`).
    CopyRegister,
    /// BPF LSM programs refusing execution from removable media (`crate::noexec`).
    ExecLsm,
    /// fanotify exec permission on removable media (`crate::noexec`).
    ExecFanotify,
    /// noexec remount of removable media (`crate::noexec`).
    ExecNoexec,
    /// BPF LSM programs keeping approved read-only media read-only
    /// (`crate::devices::readonly_lsm`).
    MediaReadOnlyLsm,
    /// The same as fmod_ret programs, BPF LSM or not, and the 32-bit ioctl entry
    /// (`crate::devices::readonly_lsm::FMOD_RET`).
    MediaReadOnlyFmodRet,
    /// Unprivileged user namespaces turned off (`crate::noexec::userns`).
    ExecUserNamespaces,
    /// Refused media mounted before the daemon started made unusable
    /// (`crate::devices::premount`): unavailable when one is left usable.
    PremountedMedia,
    /// BPF LSM programs refusing other processes' bpf(2) on airgapd's own links, maps and
    /// pins while the daemon runs (`crate::bpf_guard`).
    BpfGuard,
}

impl Layer {
    /// Stable name (`AIRGAP_LAYER`, JSON).
    pub fn name(self) -> &'static str {
        match self {
            Layer::CgroupNetwork => "cgroup-network",
            Layer::Wire => "interface",
            Layer::Lsm => "bpf-lsm",
            Layer::CompatSockopt => "compat-setsockopt",
            Layer::CreateFmodRet => "socket-create-fmod-ret",
            Layer::Devices => "cgroup-device",
            Layer::UsbAuthorization => "usb-authorization",
            Layer::CopyRegister => "copy-register",
            Layer::ExecLsm => "exec-bpf-lsm",
            Layer::ExecFanotify => "exec-fanotify",
            Layer::ExecNoexec => "exec-noexec",
            Layer::MediaReadOnlyLsm => "media-ro-bpf-lsm",
            Layer::MediaReadOnlyFmodRet => "media-ro-fmod-ret",
            Layer::ExecUserNamespaces => "exec-userns",
            Layer::PremountedMedia => "premounted-media",
            Layer::BpfGuard => "bpf-guard",
        }
    }
}

/// What became of a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerState {
    /// Attached and enforcing.
    Active,
    /// Attached and enforcing, with something weaker on this kernel than where the full
    /// programs load (a reduced program variant): the text says what.
    Limited(String),
    /// Not possible on this kernel or in this mode; the reason says why.
    Unavailable(String),
}

impl LayerState {
    /// Whether the layer enforces (fully or limited).
    pub fn is_active(&self) -> bool {
        matches!(self, LayerState::Active | LayerState::Limited(_))
    }
}

impl fmt::Display for LayerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerState::Active => f.write_str("active"),
            LayerState::Limited(what) => write!(f, "active, limited on this kernel: {what}"),
            LayerState::Unavailable(why) => write!(f, "unavailable: {why}"),
        }
    }
}

/// The loaded object while it enforces. Dropping it closes every link it holds: unpinned links
/// detach, pinned ones stay with the kernel.
pub struct Enforcer {
    ebpf: Ebpf,
    config: ConfigMap,
    counters: Counters,
    fold: FoldMap,
    /// The kernel's folding window ([`Enforcer::fold_refusals`]), in ns.
    fold_ns: u64,
    dev_rules: DevRules,
    lan_local: LanTrie,
    lan_peers: LanTrie,
    log_host: LogHostMap,
    events: Option<RingBuf<MapData>>,
    layers: Vec<(Layer, LayerState)>,
    /// Where links and maps are pinned; None: they live only as long as this value.
    pin_dir: Option<PathBuf>,
    links: Vec<HeldLink>,
    adopted: usize,
    /// The scope cgroup the cgroup links are attached to (to attach again: `crate::tamper`).
    scope_dir: Option<PathBuf>,
    /// The config value last written by [`Enforcer::configure`].
    config_written: Option<abi::airgap_config>,
    /// Interfaces (name, ifindex) carrying the interface programs as classic tc filters.
    wire_tc: Vec<(String, u32)>,
    /// Use classic tc filters even where the kernel has TCX (tests of the older kernels).
    force_tc: bool,
    /// The block devices of read-only grants (`crate::devices::readonly_lsm`).
    ro_devices: Option<RoDevices>,
    /// The fmod_ret programs, loaded outside aya ([`network::compat`]), by name.
    fmod_ret_progs: Vec<(&'static str, OwnedFd)>,
    /// Programs loaded as their reduced variant ([`crate::variant`]): (full, reduced).
    reduced: Vec<(&'static str, &'static str)>,
    /// Load the reduced variants without trying the full ones (tests of the older kernels).
    force_reduced: bool,
    /// Tests: [`Enforcer::use_media_ro_tick_only`].
    force_media_tick: bool,
}

/// A link this enforcer holds, with what it takes to make it again.
pub(crate) struct HeldLink {
    /// Its name in the pin directory (`link_<program>[_<interface>]`).
    pub pin: String,
    /// The program it must run.
    pub program: &'static str,
    /// The ifindex of an interface link; None for cgroup and global links.
    pub ifindex: Option<u32>,
    /// Its attach type.
    pub attach: AttachType,
    /// The link.
    pub fd: OwnedFd,
}

impl HeldLink {
    /// The interface of an interface program's link (the end of its pin name).
    pub fn interface(&self) -> Option<&str> {
        self.ifindex?;
        self.pin
            .strip_prefix("link_")?
            .strip_prefix(self.program)?
            .strip_prefix('_')
    }
}

impl Enforcer {
    /// Parse the embedded object and create its maps. Nothing is attached yet; links made by
    /// this enforcer detach when it is dropped.
    pub fn load() -> Result<Enforcer, EnforceError> {
        Self::load_with(None)
    }

    /// Like [`Enforcer::load`], but maps and links are pinned in `dir` (reused when an earlier
    /// daemon left them there), so enforcement outlives this process.
    pub fn load_pinned(dir: &Path) -> Result<Enforcer, EnforceError> {
        let enforcer = Self::load_with(Some(dir))?;
        let found = enforcer.config.abi_version()?;
        if found != 0 && found != abi::AIRGAP_ABI_VERSION {
            return Err(EnforceError::AbiMismatch {
                dir: dir.display().to_string(),
                found,
                expected: abi::AIRGAP_ABI_VERSION,
            });
        }
        Ok(enforcer)
    }

    fn load_with(pin_dir: Option<&Path>) -> Result<Enforcer, EnforceError> {
        // aya parses the kernel's BTF in `new` whatever it is given later; a prefetch
        // (`kernel_btf::prefetch`) parses ours meanwhile.
        let mut loader = EbpfLoader::new();
        let btf = kernel_btf().ok();
        let pins: Vec<(&str, PathBuf)> = pin_dir
            .map(|dir| {
                [
                    abi::MAP_CONFIG,
                    abi::MAP_COUNTERS,
                    abi::MAP_EVENTS,
                    abi::MAP_DEV_RULES,
                    abi::MAP_DEV_MAJOR,
                    abi::MAP_LAN_LOCAL,
                    abi::MAP_LAN_PEERS,
                    abi::MAP_LOG_HOST,
                ]
                .into_iter()
                .map(|name| (name, dir.join(format!("map_{name}"))))
                .collect()
            })
            .unwrap_or_default();
        loader.btf(btf.as_deref());
        for (name, path) in &pins {
            loader.map_pin_path(name, path.as_path());
        }
        let mut ebpf = loader
            .load(airgapd_ebpf::OBJECT)
            .map_err(|e| EnforceError::Object {
                source: Box::new(e),
            })?;
        let config = ConfigMap::take(&mut ebpf)?;
        let counters = Counters::take(&mut ebpf)?;
        let fold = FoldMap::take(&mut ebpf)?;
        let dev_rules = DevRules::take(&mut ebpf)?;
        let lan_local = LanTrie::take(&mut ebpf, abi::MAP_LAN_LOCAL)?;
        let lan_peers = LanTrie::take(&mut ebpf, abi::MAP_LAN_PEERS)?;
        let log_host = LogHostMap::take(&mut ebpf)?;
        let events = ebpf.take_map(abi::MAP_EVENTS).ok_or(MapsError::Missing {
            name: abi::MAP_EVENTS,
        })?;
        let ro_devices = RoDevices::take(&mut ebpf);
        let events = RingBuf::try_from(events).map_err(|source| MapsError::Map {
            name: abi::MAP_EVENTS,
            action: "opening".into(),
            source,
        })?;
        Ok(Enforcer {
            ebpf,
            config,
            counters,
            fold,
            fold_ns: 0,
            dev_rules,
            lan_local,
            lan_peers,
            log_host,
            events: Some(events),
            layers: Vec::new(),
            pin_dir: pin_dir.map(Path::to_path_buf),
            links: Vec::new(),
            adopted: 0,
            scope_dir: None,
            config_written: None,
            wire_tc: Vec::new(),
            force_tc: false,
            ro_devices,
            fmod_ret_progs: Vec::new(),
            reduced: Vec::new(),
            force_reduced: false,
            force_media_tick: false,
        })
    }

    /// Bind the programs to `scope` and set the network mode. Must come before any attach.
    pub fn configure(&mut self, scope: &Scope, net_mode: NetMode) -> Result<(), EnforceError> {
        let value = ConfigMap::value(&Config {
            scope_cgroup_id: scope.id(),
            scope_level: scope.level(),
            net_mode,
            fold_ns: self.fold_ns,
        });
        self.config.write_raw(value)?;
        self.config_written = Some(value);
        Ok(())
    }

    /// Have the kernel fold refusal storms: within `window` of a refusal it sent, refusals
    /// identical to it (the same process and every field a record shows) are only counted
    /// (`airgap_fold`; the daemon
    /// attributes them, `crate::storm::kernel`). Zero sends every refusal, the default. Kept
    /// by later [`Enforcer::configure`] calls; written now if the config was.
    pub fn fold_refusals(&mut self, window: std::time::Duration) -> Result<(), EnforceError> {
        self.fold_ns = u64::try_from(window.as_nanos()).unwrap_or(u64::MAX);
        if let Some(mut value) = self.config_written {
            value.fold_ns = self.fold_ns;
            self.config.write_raw(value)?;
            self.config_written = Some(value);
        }
        Ok(())
    }

    /// The kernel's running counts of folded refusals.
    pub fn folds(&self) -> &FoldMap {
        &self.fold
    }

    /// Bring the LAN tries to `entries` (withdrawing first, so never more open than either the
    /// old or the new contents). They count only in [`NetMode::Lan`]. Write them before
    /// [`Enforcer::configure`]: entries written before the mode exist for nothing, and LAN mode
    /// with fewer entries is only stricter; again whenever interfaces come and go.
    /// The log host entry is written last: its address is carved out of the peers first.
    pub fn set_lan(&mut self, entries: &LanEntries) -> Result<(), EnforceError> {
        self.lan_peers.sync(&entries.peers)?;
        self.lan_local.sync(&entries.local)?;
        self.log_host.set(entries.log_host.as_ref())?;
        Ok(())
    }

    /// What the LAN tries hold now.
    pub fn lan(&self) -> LanEntries {
        LanEntries {
            local: self.lan_local.entries(),
            peers: self.lan_peers.entries(),
            log_host: self.log_host.get(),
        }
    }

    /// Link a loaded program to `target`, pinned as `pin_name` when this enforcer pins.
    fn link(
        &mut self,
        name: &'static str,
        target: Target<'_>,
        attach: AttachType,
        pin_name: &str,
    ) -> Result<Origin, EnforceError> {
        let prog = self
            .ebpf
            .program(name)
            .ok_or(EnforceError::MissingProgram { name })?;
        let fd = prog.fd().map_err(EnforceError::load(name))?;
        let pin = self.pin_dir.as_ref().map(|d| d.join(pin_name));
        let (link, origin) = links::attach(fd.as_fd(), target, attach, pin.as_deref())
            .map_err(|source| EnforceError::Link { name, source })?;
        if origin == Origin::Adopted {
            self.adopted += 1;
        }
        let ifindex = match target {
            Target::Interface(i) => Some(i),
            _ => None,
        };
        self.links.push(HeldLink {
            pin: pin_name.to_string(),
            program: name,
            ifindex,
            attach,
            fd: link,
        });
        Ok(origin)
    }

    /// Also hold (and so watch, `crate::tamper`) a link another area made from a program of
    /// this object and pinned as `pin` (the exec LSM links of `crate::register`).
    pub(crate) fn hold(
        &mut self,
        pin: String,
        program: &'static str,
        attach: AttachType,
        link: &OwnedFd,
    ) -> std::io::Result<()> {
        self.links.push(HeldLink {
            pin,
            program,
            ifindex: None,
            attach,
            fd: link.try_clone()?,
        });
        Ok(())
    }

    /// The links this enforcer holds (for `crate::tamper`).
    pub(crate) fn held_links(&self) -> &[HeldLink] {
        &self.links
    }

    /// The kernel id of a loaded program of the object.
    pub(crate) fn program_id(&self, name: &str) -> Option<u32> {
        links::prog_info_of(self.program_fd(name)?)
            .ok()
            .map(|i| i.id)
    }

    /// A loaded program of the object: one aya loaded, or an fmod_ret program loaded beside it.
    fn program_fd(&self, name: &str) -> Option<BorrowedFd<'_>> {
        if let Some((_, fd)) = self.fmod_ret_progs.iter().find(|(n, _)| *n == name) {
            return Some(fd.as_fd());
        }
        self.ebpf.program(name)?.fd().ok().map(|fd| fd.as_fd())
    }

    /// Put our program back into held link `i` (another process swapped it).
    pub(crate) fn restore_program(&self, i: usize) -> std::io::Result<()> {
        let held = &self.links[i];
        let prog = self
            .program_fd(held.program)
            .ok_or_else(|| std::io::Error::other(format!("no program {}", held.program)))?;
        links::update(held.fd.as_fd(), prog)
    }

    /// Attach held link `i` again with a new link (the old one was detached), pinned in its
    /// place. Returns the new link's id.
    pub(crate) fn relink(&mut self, i: usize) -> std::io::Result<u32> {
        let held = &self.links[i];
        let prog = self
            .program_fd(held.program)
            .ok_or_else(|| std::io::Error::other(format!("no program {}", held.program)))?;
        // LSM and fmod_ret programs are global (they check the scope themselves).
        let global = matches!(
            held.attach,
            AttachType::BPF_LSM_MAC | AttachType::BPF_MODIFY_RETURN
        );
        let cgroup = match (&held.ifindex, &self.scope_dir) {
            (None, Some(dir)) if !global => Some(std::fs::File::open(dir)?),
            _ => None,
        };
        let target = match (held.ifindex, &cgroup) {
            (Some(i), _) => Target::Interface(i),
            (None, Some(dir)) => Target::Cgroup(dir.as_fd()),
            (None, None) => Target::Global,
        };
        let new = links::create(prog, target, held.attach)?;
        let id = links::link_info(new.as_fd())?.id;
        self.links[i].fd = new;
        self.repin(i)?;
        Ok(id)
    }

    /// Put interface link `i` first on its interface again (another program was put in front
    /// of it). The kernel keeps one program once per chain, so the old link is detached and a
    /// new one created in front: for that moment the interface runs without ours, which is no
    /// more open than the program in front already made it. Returns the new link's id.
    pub(crate) fn put_first(&mut self, i: usize) -> std::io::Result<u32> {
        links::detach(self.links[i].fd.as_fd())?;
        self.relink(i)
    }

    /// Load the reduced variants of the cgroup programs without trying the full ones: how
    /// tests show the behaviour of kernels whose verifier refuses those (Debian 11's 5.10).
    pub fn use_reduced_programs(&mut self) {
        self.force_reduced = true;
    }

    /// Put the interface programs as classic tc filters even where the kernel has TCX: how
    /// tests show the behaviour of kernels without it (Debian 12's 6.1).
    pub fn use_tc_filters(&mut self) {
        self.force_tc = true;
    }

    /// Load none of the programs that keep read-only media read-only: how tests show the
    /// daemon's tick alone, as on kernels that load neither kind (Debian 11's 5.10).
    pub fn use_media_ro_tick_only(&mut self) {
        self.force_media_tick = true;
    }

    /// The interfaces (name, ifindex) carrying the interface programs as classic tc filters.
    pub(crate) fn wire_tc(&self) -> &[(String, u32)] {
        &self.wire_tc
    }

    /// Attach the classic tc filters of `interface` again (removed or overtaken). airgapd's
    /// filter of each direction in `first` is deleted before, so that the new one goes to the
    /// head of its priority's list, in front of a filter added beside it.
    pub(crate) fn reattach_tc(
        &mut self,
        interface: &str,
        first: &[aya::programs::TcAttachType],
    ) -> std::io::Result<()> {
        use aya::programs::links::Link;
        use aya::programs::tc::SchedClassifierLink;
        for &attach in first {
            SchedClassifierLink::attached(
                interface,
                attach,
                network::WIRE_LEGACY_PRIORITY,
                network::WIRE_LEGACY_HANDLE,
                None,
            )?
            .detach()
            .map_err(std::io::Error::other)?;
        }
        network::attach_wire_legacy(&mut self.ebpf, interface)
            .map(drop)
            .map_err(std::io::Error::other)
    }

    /// Let go of an interface that is gone (its filters went with it).
    pub(crate) fn forget_tc(&mut self, ifindex: u32) {
        self.wire_tc.retain(|(_, i)| *i != ifindex);
    }

    /// Let go of held link `i` and its pin: its interface is gone (unplugged), so the kernel
    /// detached it and there is nothing left to enforce on.
    pub(crate) fn forget(&mut self, i: usize) {
        let held = self.links.remove(i);
        if let Some(dir) = &self.pin_dir {
            let _ = std::fs::remove_file(dir.join(&held.pin));
        }
    }

    /// Pin held link `i` again at its place (its pin was removed or replaced).
    pub(crate) fn repin(&self, i: usize) -> std::io::Result<()> {
        let Some(dir) = &self.pin_dir else {
            return Ok(());
        };
        let held = &self.links[i];
        let path = dir.join(&held.pin);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        links::pin(held.fd.as_fd(), &path)
    }

    /// Where links and maps are pinned, if they are.
    pub fn pin_dir(&self) -> Option<&Path> {
        self.pin_dir.as_deref()
    }

    /// The config value last written by [`Enforcer::configure`].
    pub(crate) fn config_written(&self) -> Option<abi::airgap_config> {
        self.config_written
    }

    /// The config map (for `crate::tamper` to compare and restore).
    pub(crate) fn config_map(&mut self) -> &mut ConfigMap {
        &mut self.config
    }

    /// The two LAN tries (for `crate::tamper`).
    pub(crate) fn log_host_map(&mut self) -> &mut LogHostMap {
        &mut self.log_host
    }

    pub(crate) fn lan_tries(&mut self) -> [&mut LanTrie; 2] {
        [&mut self.lan_local, &mut self.lan_peers]
    }

    /// The program loaded for `full`: itself, or its reduced variant where the verifier refused
    /// it ([`crate::variant`]).
    pub fn loaded_name(&self, full: &'static str) -> &'static str {
        self.reduced
            .iter()
            .find(|(f, _)| *f == full)
            .map_or(full, |(_, r)| *r)
    }

    /// Note that `variant` was loaded reduced for `reason`, and the layer's state that says so.
    fn note_reduced(
        &mut self,
        variant: crate::variant::Variant,
        reason: Option<String>,
    ) -> LayerState {
        let Some(reason) = reason else {
            return LayerState::Active;
        };
        self.reduced.retain(|(f, _)| *f != variant.full);
        self.reduced.push((variant.full, variant.reduced));
        LayerState::Limited(format!(
            "{}: this kernel's verifier refused {} ({reason}), {} is enforcing",
            variant.gives_up, variant.full, variant.reduced
        ))
    }

    /// How many pinned links of an earlier daemon this one adopted.
    pub fn adopted(&self) -> usize {
        self.adopted
    }

    /// Attach the network area to the scope: the cgroup programs (required), then the BPF LSM
    /// layer where the kernel allows it (reported either way).
    pub fn enforce_network(&mut self, scope: &Scope) -> Result<(), EnforceError> {
        self.enforce_cgroup_network(scope)?;
        let create = self.enforce_fmod_ret_create();
        let lsm = match self.enforce_lsm() {
            Ok(()) => LayerState::Active,
            Err(why) if create == LayerState::Active => LayerState::Unavailable(format!(
                "{why}; layer socket-create-fmod-ret refuses them at creation instead"
            )),
            Err(why) => LayerState::Unavailable(format!(
                "{why}; AF_PACKET, AF_VSOCK, Bluetooth and other non-inet sockets are not \
                 refused at creation"
            )),
        };
        tracing::info!(layer = "bpf-lsm", "BPF LSM layer {lsm}");
        self.set_layer(Layer::Lsm, lsm);
        self.enforce_compat_sockopt();
        Ok(())
    }

    /// Layer 6c: the fmod_ret program that refuses, for scoped tasks, the socket options of
    /// layer 6 set through the 32-bit compat entry. Global (it checks the scope itself); needs
    /// the cgroup programs loaded (it shares their maps). Reported either way.
    pub fn enforce_compat_sockopt(&mut self) -> LayerState {
        let state = match self.attach_compat_sockopt() {
            Ok(()) => LayerState::Active,
            Err(why) => LayerState::Unavailable(why),
        };
        tracing::info!(
            layer = "compat-setsockopt",
            "32-bit setsockopt layer {state}"
        );
        self.set_layer(Layer::CompatSockopt, state.clone());
        state
    }

    fn attach_compat_sockopt(&mut self) -> Result<(), String> {
        self.attach_fmod_ret(network::compat::PROGRAM, network::compat::TARGET)
            .map_err(|e| {
                format!(
                    "{e}; setsockopt(2) through the 32-bit entry is not judged: boot with \
                     ia32_emulation=0 to remove that entry"
                )
            })
    }

    /// Layer 5 by fmod_ret (`airgap_fmod_socket_create`): every socket family but AF_UNIX,
    /// AF_NETLINK and inet refused at socket() for scoped tasks, on every kernel with BPF
    /// trampolines. Attached beside the BPF LSM program where that loads too: the trampoline
    /// runs first, so a refusal is recorded once, and either stays if the other is removed.
    /// Reported either way.
    pub fn enforce_fmod_ret_create(&mut self) -> LayerState {
        let state = match self.attach_fmod_ret(
            network::compat::CREATE_PROGRAM,
            network::compat::CREATE_TARGET,
        ) {
            Ok(()) => LayerState::Active,
            Err(why) => LayerState::Unavailable(why),
        };
        tracing::info!(
            layer = "socket-create-fmod-ret",
            "socket creation layer (fmod_ret) {state}"
        );
        self.set_layer(Layer::CreateFmodRet, state.clone());
        state
    }

    /// Load `program` as fmod_ret on `target` with the maps of layer 6's setsockopt program
    /// (the cgroup programs must be loaded), attach it globally and hold the link.
    fn attach_fmod_ret(&mut self, program: &'static str, target: &str) -> Result<(), String> {
        let btf = kernel_btf()?;
        let sibling = self.loaded_name(crate::variant::SETSOCKOPT.full);
        let sibling = self
            .ebpf
            .program(sibling)
            .and_then(|p| p.fd().ok())
            .ok_or("the setsockopt program is not loaded")?;
        // The read-only media programs also use the map only they use.
        let ro = self.ro_devices.as_ref().map(|m| (abi::MAP_RO_DEV, m.fd()));
        let extra: Vec<_> = ro.into_iter().collect();
        let prog =
            network::compat::load_fmod_ret_with(program, target, sibling.as_fd(), &extra, &btf)
                .map_err(|e| {
                    format!("this kernel refused to load the fmod_ret program {program} ({e})")
                })?;
        let pin_name = format!("link_{program}");
        let pin = self.pin_dir.as_ref().map(|d| d.join(&pin_name));
        let link = network::compat::attach(prog.as_fd(), pin.as_deref())
            .map_err(|e| format!("this kernel refused to attach the fmod_ret program ({e})"))?;
        self.links.push(HeldLink {
            pin: pin_name,
            program,
            ifindex: None,
            attach: AttachType::BPF_MODIFY_RETURN,
            fd: link,
        });
        // The link holds the program; this fd keeps it for `program_id` and relinking.
        self.fmod_ret_progs.retain(|(n, _)| *n != program);
        self.fmod_ret_progs.push((program, prog));
        Ok(())
    }

    /// The cgroup programs of the network area alone, attached to `scope`'s cgroup. Tests use it
    /// to put them on a test cgroup under a whole-machine configuration, where the global LSM
    /// program must not go.
    pub fn enforce_cgroup_network(&mut self, scope: &Scope) -> Result<(), EnforceError> {
        let dir = scope.dir()?;
        self.scope_dir = Some(scope.path().to_path_buf());
        let reduced = network::load_cgroup(&mut self.ebpf, self.force_reduced)?;
        let state = self.note_reduced(crate::variant::SETSOCKOPT, reduced);
        for (name, attach) in network::CGROUP_LINKS {
            // The pin keeps the full program's name whichever variant runs in it.
            self.link(
                self.loaded_name(name),
                Target::Cgroup(dir.as_fd()),
                attach,
                &format!("link_{name}"),
            )?;
        }
        self.fit_packet_programs()?;
        tracing::info!(layer = Layer::CgroupNetwork.name(), "{state}");
        self.set_layer(Layer::CgroupNetwork, state);
        Ok(())
    }

    /// Attach or take away the per-packet cgroup programs as the configuration written last
    /// needs them ([`network::packet_programs_needed`]): after the cgroup programs are attached,
    /// and again when a reload changes the mode (the LAN mode needs them). Taking them away
    /// removes their pins too, an earlier daemon's included, so that nothing keeps running
    /// them; both are logged.
    pub fn fit_packet_programs(&mut self) -> Result<(), EnforceError> {
        let needed = self
            .config_written
            .is_none_or(|c| network::packet_programs_needed(c.scope_level, c.net_mode));
        self.fit_packet_programs_to(needed)
    }

    /// Attach the per-packet programs now if `mode` on `scope` will need them: a reload calls
    /// it before it writes a configuration that needs them, so that the new mode never runs
    /// without them for a moment.
    pub fn packet_programs_before(
        &mut self,
        scope: &Scope,
        mode: NetMode,
    ) -> Result<(), EnforceError> {
        if network::packet_programs_needed(scope.level(), mode.bits()) {
            self.fit_packet_programs_to(true)?;
        }
        Ok(())
    }

    fn fit_packet_programs_to(&mut self, needed: bool) -> Result<(), EnforceError> {
        let Some(dir) = self.scope_dir.clone() else {
            return Ok(());
        };
        for (name, attach) in network::SKB_LINKS {
            let pin = format!("link_{name}");
            let held = self.links.iter().any(|l| l.pin == pin);
            if needed && !held {
                let cgroup = std::fs::File::open(&dir)
                    .map_err(|source| EnforceError::Link { name, source })?;
                self.link(name, Target::Cgroup(cgroup.as_fd()), attach, &pin)?;
                tracing::info!(program = name, "per-packet program attached");
            } else if !needed {
                // Dropping the link fd detaches it once its pin is gone too.
                self.links.retain(|l| l.pin != pin);
                if let Some(path) = self.pin_dir.as_ref().map(|d| d.join(&pin)) {
                    match std::fs::remove_file(&path) {
                        Ok(()) => tracing::info!(pin, "per-packet program's pin removed"),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(source) => return Err(EnforceError::Link { name, source }),
                    }
                }
                if held {
                    tracing::info!(
                        program = name,
                        "per-packet program detached: the interface programs cover every \
                         non-loopback interface of the machine"
                    );
                }
            }
        }
        Ok(())
    }

    fn enforce_lsm(&mut self) -> Result<(), String> {
        bpf_lsm_listed()?;
        let btf = kernel_btf()?;
        network::load_lsm(&mut self.ebpf, &btf).map_err(|e| {
            format!(
                "this kernel refused to load the BPF LSM program ({})",
                kernel_answer(&e)
            )
        })?;
        let (name, _) = network::LSM_SOCKET_CREATE;
        let pin = format!("link_{name}");
        self.link(name, Target::Global, AttachType::BPF_LSM_MAC, &pin)
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// Attach the device program to the scope. Write the rules first: from the moment it is
    /// attached, every block device without a rule is refused.
    pub fn enforce_devices(&mut self, scope: &Scope) -> Result<(), EnforceError> {
        let dir = scope.dir()?;
        let reduced = crate::devices::enforce::load(&mut self.ebpf, self.force_reduced)?;
        let state = self.note_reduced(crate::variant::DEVICE, reduced);
        let (name, attach) = crate::devices::enforce::LINK;
        self.link(
            self.loaded_name(name),
            Target::Cgroup(dir.as_fd()),
            attach,
            &format!("link_{name}"),
        )?;
        tracing::info!(layer = Layer::Devices.name(), "{state}");
        self.set_layer(Layer::Devices, state);
        Ok(())
    }

    /// The programs that keep approved read-only media read-only (global, scope-checked in the
    /// kernel): fmod_ret ones wherever BPF trampolines exist, BPF LSM ones beside them where
    /// those load. The state of layer media-ro-bpf-lsm, which says when the other covers it.
    pub fn enforce_media_read_only(&mut self) -> LayerState {
        if self.force_media_tick {
            let off = format!(
                "not loaded (--media-ro-tick-only): {}",
                readonly_lsm::UNREFUSED
            );
            self.set_layer(
                Layer::MediaReadOnlyFmodRet,
                LayerState::Unavailable(off.clone()),
            );
            self.set_layer(
                Layer::MediaReadOnlyLsm,
                LayerState::Unavailable(off.clone()),
            );
            return LayerState::Unavailable(off);
        }
        let fmod = self.enforce_media_read_only_fmod_ret();
        let lsm = self.enforce_media_read_only_lsm();
        let lsm = match lsm {
            LayerState::Unavailable(why) if fmod == LayerState::Active => LayerState::Unavailable(
                format!("{why}; layer media-ro-fmod-ret refuses them instead"),
            ),
            other => other,
        };
        tracing::info!(layer = Layer::MediaReadOnlyLsm.name(), "{lsm}");
        self.set_layer(Layer::MediaReadOnlyLsm, lsm.clone());
        lsm
    }

    /// Layer media-ro-fmod-ret: [`readonly_lsm::FMOD_RET`], and the 32-bit ioctl program where
    /// the kernel has `security_file_ioctl_compat`. Needs the cgroup programs loaded (it shares
    /// their maps). Reported either way.
    fn enforce_media_read_only_fmod_ret(&mut self) -> LayerState {
        let attached = (|| {
            let btf = kernel_btf()?;
            for (program, target) in readonly_lsm::fmod_ret_programs(&btf) {
                self.attach_fmod_ret(program, target)?;
            }
            Ok::<(), String>(())
        })();
        let state = match attached {
            Ok(()) => LayerState::Active,
            Err(why) => LayerState::Unavailable(format!("{why}: {}", readonly_lsm::UNREFUSED)),
        };
        tracing::info!(layer = Layer::MediaReadOnlyFmodRet.name(), "{state}");
        self.set_layer(Layer::MediaReadOnlyFmodRet, state.clone());
        state
    }

    fn enforce_media_read_only_lsm(&mut self) -> LayerState {
        let loaded = bpf_lsm_listed()
            .and_then(|()| kernel_btf())
            .and_then(|btf| {
                readonly_lsm::load(&mut self.ebpf, &btf).map_err(|e| {
                    format!(
                        "this kernel refused to load the BPF LSM programs ({}): {}",
                        kernel_answer(&e),
                        readonly_lsm::UNREFUSED
                    )
                })
            });
        let state = loaded.and_then(|()| {
            for (name, _) in readonly_lsm::PROGRAMS {
                let pin = format!("link_{name}");
                self.link(name, Target::Global, AttachType::BPF_LSM_MAC, &pin)
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        });
        match state {
            Ok(()) => LayerState::Active,
            Err(why) => LayerState::Unavailable(why),
        }
    }

    /// The map of read-only media's block devices (None: the object has none).
    pub fn ro_devices(&mut self) -> Option<&mut RoDevices> {
        self.ro_devices.as_mut()
    }

    /// The device rules, to grant or withdraw access as devices come and go.
    pub fn dev_rules(&mut self) -> &mut DevRules {
        &mut self.dev_rules
    }

    /// Attach the interface programs (TCX egress and ingress) to one interface of the calling
    /// thread's network namespace. Never for `lo`. Kernels before 6.6 have no TCX: there the
    /// same programs become classic tc filters ([`network::attach_wire_legacy`]).
    pub fn enforce_interface(&mut self, interface: &str) -> Result<(), EnforceError> {
        network::load_wire(&mut self.ebpf)?;
        let ifindex = nix::net::if_::if_nametoindex(interface).map_err(|e| EnforceError::Link {
            name: network::WIRE_LINKS[0].0,
            source: std::io::Error::other(format!("no interface {interface}: {e}")),
        })?;
        for (i, (name, attach)) in network::WIRE_LINKS.into_iter().enumerate() {
            let pin = format!("link_{name}_{interface}");
            let linked = match self.force_tc {
                true => Err(EnforceError::Link {
                    name,
                    source: std::io::Error::from_raw_os_error(libc::EINVAL),
                }),
                false => self.link(name, Target::Interface(ifindex), attach, &pin),
            };
            match linked {
                Ok(_) => {}
                Err(EnforceError::Link { source, .. })
                    if i == 0 && network::tcx_missing(&source) =>
                {
                    network::attach_wire_legacy(&mut self.ebpf, interface)?;
                    self.wire_tc.retain(|(_, i)| *i != ifindex);
                    self.wire_tc.push((interface.to_string(), ifindex));
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        self.set_layer(Layer::Wire, LayerState::Active);
        Ok(())
    }

    /// Whether this kernel loads the BPF LSM program: loaded into a throwaway object, never
    /// attached (for `airgapctl doctor`).
    pub fn probe_lsm() -> Result<(), String> {
        let mut enforcer = Enforcer::load().map_err(|e| e.to_string())?;
        let btf = kernel_btf()?;
        network::load_lsm(&mut enforcer.ebpf, &btf).map_err(|e| kernel_answer(&e))
    }

    /// Which cgroup programs this kernel's verifier refuses in full (their reduced variants
    /// load instead), with its reason: loaded into a throwaway object, never attached (for
    /// `airgapctl doctor`).
    pub fn probe_cgroup() -> Result<Vec<(crate::variant::Variant, String)>, String> {
        let mut enforcer = Enforcer::load().map_err(|e| e.to_string())?;
        let sockopt = network::load_cgroup(&mut enforcer.ebpf, false).map_err(|e| e.to_string())?;
        let dev =
            crate::devices::enforce::load(&mut enforcer.ebpf, false).map_err(|e| e.to_string())?;
        Ok([
            (crate::variant::SETSOCKOPT, sockopt),
            (crate::variant::DEVICE, dev),
        ]
        .into_iter()
        .filter_map(|(v, why)| Some((v, why?)))
        .collect())
    }

    /// Whether this kernel loads layer 6c's fmod_ret program: loaded with a throwaway object,
    /// never attached (for `airgapctl doctor`).
    pub fn probe_compat_sockopt() -> Result<(), String> {
        Self::probe_fmod_ret(network::compat::PROGRAM, network::compat::TARGET)
    }

    /// Whether this kernel loads layer 5f's fmod_ret program (never attached), for
    /// `airgapctl doctor`.
    pub fn probe_fmod_ret_create() -> Result<(), String> {
        Self::probe_fmod_ret(
            network::compat::CREATE_PROGRAM,
            network::compat::CREATE_TARGET,
        )
    }

    /// Whether this kernel loads the read-only media's fmod_ret programs, the 32-bit ioctl one
    /// where it has that hook (never attached), for `airgapctl doctor`.
    pub fn probe_media_ro_fmod_ret() -> Result<(), String> {
        let btf = kernel_btf()?;
        Self::probe_fmod_ret_all(&readonly_lsm::fmod_ret_programs(&btf))
    }

    fn probe_fmod_ret(program: &'static str, target: &'static str) -> Result<(), String> {
        Self::probe_fmod_ret_all(&[(program, target)])
    }

    /// Load each (program, target) as fmod_ret into a throwaway object, beside its cgroup
    /// programs whose maps they share; every refusal, each named.
    fn probe_fmod_ret_all(programs: &[(&'static str, &'static str)]) -> Result<(), String> {
        let mut enforcer = Enforcer::load().map_err(|e| e.to_string())?;
        let btf = kernel_btf()?;
        let reduced = network::load_cgroup(&mut enforcer.ebpf, false).map_err(|e| e.to_string())?;
        let sibling = match reduced {
            Some(_) => crate::variant::SETSOCKOPT.reduced,
            None => crate::variant::SETSOCKOPT.full,
        };
        let sibling = enforcer
            .ebpf
            .program(sibling)
            .and_then(|p| p.fd().ok())
            .ok_or("the setsockopt program is not loaded")?;
        let extra: Vec<_> = enforcer
            .ro_devices
            .as_ref()
            .map(|m| (abi::MAP_RO_DEV, m.fd()))
            .into_iter()
            .collect();
        let refused: Vec<String> = programs
            .iter()
            .filter_map(|&(program, target)| {
                network::compat::load_fmod_ret_with(program, target, sibling.as_fd(), &extra, &btf)
                    .err()
                    .map(|e| format!("{program}: {e}"))
            })
            .collect();
        match refused.is_empty() {
            true => Ok(()),
            false => Err(refused.join("; ")),
        }
    }

    /// Record a layer's state (replacing an earlier one).
    pub fn set_layer(&mut self, layer: Layer, state: LayerState) {
        self.layers.retain(|(l, _)| *l != layer);
        self.layers.push((layer, state));
    }

    /// Every layer tried so far and its state.
    pub fn layers(&self) -> &[(Layer, LayerState)] {
        &self.layers
    }

    /// The loaded object, for an area that takes its own maps and programs from it
    /// (`crate::noexec`, `crate::register`).
    pub(crate) fn object_mut(&mut self) -> &mut Ebpf {
        &mut self.ebpf
    }

    /// The per-kind counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The event ring buffer, for the one reader (None once taken).
    pub fn take_events(&mut self) -> Option<RingBuf<MapData>> {
        self.events.take()
    }
}

#[cfg(test)]
mod lsm_list_tests {
    use super::bpf_lsm_in;

    #[test]
    fn bpf_lsm_counts_only_when_listed() {
        assert!(bpf_lsm_in("lockdown,capability,landlock,yama,apparmor,bpf\n").is_ok());
        let why = bpf_lsm_in("lockdown,capability,yama,apparmor\n").unwrap_err();
        assert!(why.contains("(lockdown,capability,yama,apparmor)"), "{why}");
        assert!(why.contains("lsm="), "{why}");
        assert!(bpf_lsm_in("bpfx,xbpf").is_err());
    }
}
