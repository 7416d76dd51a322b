//! Loading the one BPF object and holding it while it enforces: the programs (whose links
//! detach when this is dropped, unless pinned), the typed maps, and what each layer achieved.

use std::fmt;

use aya::maps::{MapData, RingBuf};
use aya::programs::ProgramError;
use aya::{Btf, Ebpf, EbpfError, EbpfLoader};

use airgapd_ebpf::abi;

use crate::maps::{Config, ConfigMap, Counters, DevRules, MapsError, NetMode};
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
    /// The kernel refused to attach a program.
    #[error("attaching BPF program {name}: {source}")]
    Attach {
        /// Program name.
        name: &'static str,
        /// The aya error.
        source: Box<ProgramError>,
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

    pub(crate) fn attach(name: &'static str) -> impl FnOnce(ProgramError) -> EnforceError {
        move |source| EnforceError::Attach {
            name,
            source: Box::new(source),
        }
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
    /// cgroup/dev program.
    Devices,
}

impl Layer {
    /// Stable name (`AIRGAP_LAYER`, JSON).
    pub fn name(self) -> &'static str {
        match self {
            Layer::CgroupNetwork => "cgroup-network",
            Layer::Wire => "interface",
            Layer::Lsm => "bpf-lsm",
            Layer::Devices => "cgroup-device",
        }
    }
}

/// What became of a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerState {
    /// Attached and enforcing.
    Active,
    /// Not possible on this kernel or in this mode; the reason says why.
    Unavailable(String),
}

impl fmt::Display for LayerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerState::Active => f.write_str("active"),
            LayerState::Unavailable(why) => write!(f, "unavailable: {why}"),
        }
    }
}

/// The loaded object while it enforces. Dropping it detaches every link it owns.
pub struct Enforcer {
    ebpf: Ebpf,
    config: ConfigMap,
    counters: Counters,
    dev_rules: DevRules,
    events: Option<RingBuf<MapData>>,
    layers: Vec<(Layer, LayerState)>,
}

impl Enforcer {
    /// Parse the embedded object and create its maps. Nothing is attached yet.
    pub fn load() -> Result<Enforcer, EnforceError> {
        let btf = Btf::from_sys_fs().ok();
        let mut ebpf = EbpfLoader::new()
            .btf(btf.as_ref())
            .load(airgapd_ebpf::OBJECT)
            .map_err(|e| EnforceError::Object {
                source: Box::new(e),
            })?;
        let config = ConfigMap::take(&mut ebpf)?;
        let counters = Counters::take(&mut ebpf)?;
        let dev_rules = DevRules::take(&mut ebpf)?;
        let events = ebpf.take_map(abi::MAP_EVENTS).ok_or(MapsError::Missing {
            name: abi::MAP_EVENTS,
        })?;
        let events = RingBuf::try_from(events).map_err(|source| MapsError::Map {
            name: abi::MAP_EVENTS,
            action: "opening".into(),
            source,
        })?;
        Ok(Enforcer {
            ebpf,
            config,
            counters,
            dev_rules,
            events: Some(events),
            layers: Vec::new(),
        })
    }

    /// Bind the programs to `scope` and set the network mode. Must come before any attach.
    pub fn configure(&mut self, scope: &Scope, net_mode: NetMode) -> Result<(), EnforceError> {
        self.config.write(&Config {
            scope_cgroup_id: scope.id(),
            scope_level: scope.level(),
            net_mode,
        })?;
        Ok(())
    }

    /// Attach the network area to the scope: the cgroup programs (required), then the BPF LSM
    /// layer where the kernel allows it (reported either way).
    pub fn enforce_network(&mut self, scope: &Scope) -> Result<(), EnforceError> {
        let dir = scope.dir()?;
        network::attach_cgroup(&mut self.ebpf, &dir)?;
        self.set_layer(Layer::CgroupNetwork, LayerState::Active);
        let lsm = match Btf::from_sys_fs() {
            Ok(btf) => match network::attach_lsm(&mut self.ebpf, &btf) {
                Ok(()) => LayerState::Active,
                Err(e) => LayerState::Unavailable(format!(
                    "this kernel refused the BPF LSM program ({e}); AF_PACKET, AF_VSOCK, \
                     Bluetooth and other non-inet sockets are not refused at creation"
                )),
            },
            Err(e) => LayerState::Unavailable(format!("no kernel BTF ({e})")),
        };
        match &lsm {
            LayerState::Active => tracing::info!(layer = "bpf-lsm", "BPF LSM layer active"),
            LayerState::Unavailable(why) => {
                tracing::info!(layer = "bpf-lsm", "BPF LSM layer unavailable: {why}")
            }
        }
        self.set_layer(Layer::Lsm, lsm);
        Ok(())
    }

    /// Attach the device program to the scope. Write the rules first: from the moment it is
    /// attached, every block device without a rule is refused.
    pub fn enforce_devices(&mut self, scope: &Scope) -> Result<(), EnforceError> {
        let dir = scope.dir()?;
        crate::devices::enforce::attach(&mut self.ebpf, &dir)?;
        self.set_layer(Layer::Devices, LayerState::Active);
        Ok(())
    }

    /// The device rules, to grant or withdraw access as devices come and go.
    pub fn dev_rules(&mut self) -> &mut DevRules {
        &mut self.dev_rules
    }

    /// Attach the interface programs to one interface of the calling thread's netns.
    pub fn enforce_interface(&mut self, interface: &str) -> Result<(), EnforceError> {
        network::attach_wire(&mut self.ebpf, interface)?;
        self.set_layer(Layer::Wire, LayerState::Active);
        Ok(())
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

    /// The per-kind counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The event ring buffer, for the one reader (None once taken).
    pub fn take_events(&mut self) -> Option<RingBuf<MapData>> {
        self.events.take()
    }

    /// The object, for areas that attach their own programs.
    pub fn ebpf_mut(&mut self) -> &mut Ebpf {
        &mut self.ebpf
    }
}
