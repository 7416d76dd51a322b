/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * airgapd_abi.h: the one definition of everything the BPF programs and the daemon share.
 *
 * The daemon's Rust mirror (ebpf/src/abi.rs) is generated from this file by bindgen at build
 * time, so a constant or field exists exactly once. Sizes are pinned by the *_SIZE constants
 * below: the C side checks them with _Static_assert for the BPF target, the Rust side with
 * const assertions for the host, so a layout that differs between the two fails the build.
 *
 * Only fixed-width types, natural alignment and explicit padding: the BPF target and x86_64
 * then agree on every offset.
 */
#ifndef AIRGAPD_ABI_H
#define AIRGAPD_ABI_H

#ifdef __BPF__
#include <linux/types.h>
#else
#include <stdint.h>
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
#endif

/* Bumped whenever a struct or a meaning below changes. Maps pinned by another version are never
 * reused: a daemon finding them (a package upgrade) gives each pinned link its own program and
 * its own maps (daemon/src/pinned/upgrade.rs). */
#define AIRGAP_ABI_VERSION 9

/* What a refusal was about. Also the index into the per-kind counters. */
enum airgap_kind {
	AIRGAP_KIND_NET_CREATE = 0,       /* socket(2) of a refused family/type/protocol */
	AIRGAP_KIND_NET_CONNECT = 1,      /* connect(2), TCP Fast Open */
	AIRGAP_KIND_NET_BIND = 2,         /* bind(2) */
	AIRGAP_KIND_NET_SEND = 3,         /* sendto/sendmsg with an address */
	AIRGAP_KIND_NET_SKB_EGRESS = 4,   /* a packet of a scoped socket leaving on a real interface */
	AIRGAP_KIND_NET_SKB_INGRESS = 5,  /* a packet for a scoped socket arriving on one */
	AIRGAP_KIND_NET_WIRE_EGRESS = 6,  /* interface program: frame leaving (AF_PACKET, ...) */
	AIRGAP_KIND_NET_WIRE_INGRESS = 7, /* interface program: frame arriving */
	AIRGAP_KIND_DEV_BLOCK = 8,        /* block device open/mount/mknod */
	AIRGAP_KIND_DEV_CHAR = 9,         /* character device (raw paths: sg, bsg, usb) */
	AIRGAP_KIND_NET_SOCKOPT = 10,     /* setsockopt(2) opening a path around the layers above:
					   * PACKET_QDISC_BYPASS, AF_XDP rings, multicast joins */
	AIRGAP_KIND_DEV_READONLY = 11,    /* a route to writing an approved read-only medium
					   * (media_ro.bpf.c): opt_level an enum airgap_ro_route,
					   * opt_name its detail */
	AIRGAP_KIND_BPF_GUARD = 12,       /* another process's bpf() on airgapd's own objects
					   * (bpf_guard.bpf.c): opt_level an enum
					   * airgap_guard_action, opt_name the object's id */
	AIRGAP_KIND_COUNT = 13,
};

/* [network] mode: a set of the bits below, each adding one thing TCP/UDP may reach. Zero is the
 * strictest so a config never written denies everything; a value an older program does not
 * know is treated by it as "not loopback", which is stricter still. */
enum airgap_net_mode {
	AIRGAP_NET_NONE = 0,     /* no AF_INET/AF_INET6 socket may be created */
	AIRGAP_NET_LOOPBACK = 1, /* TCP/UDP on 127.0.0.0/8 and ::1 */
	AIRGAP_NET_LAN = 2,      /* TCP/UDP with the peers of airgap_lan_peers, over their interface
				  * (the isolated-lan profile, law 117/2025) */
};

/* Device access bits as the cgroup/dev hook reports them (ctx->access_type >> 16). */
enum airgap_dev_access {
	AIRGAP_ACC_MKNOD = 1,
	AIRGAP_ACC_READ = 2,
	AIRGAP_ACC_WRITE = 4,
};

enum airgap_dev_type {
	AIRGAP_DEV_BLOCK = 1,
	AIRGAP_DEV_CHAR = 2,
};

/* Single entry of the config array map (key 0). Written by the daemon before any attach. */
struct airgap_config {
	__u64 scope_cgroup_id; /* the cgroup v2 id of the enforcement scope; 1 = whole machine */
	__u32 scope_level;     /* its depth below the root: 0 = whole machine */
	__u32 net_mode;        /* enum airgap_net_mode */
	__u32 abi_version;     /* AIRGAP_ABI_VERSION of the daemon that wrote it */
	__u32 trusted_tgid;    /* the daemon itself: may read any block device, to identify it */
	__u64 trusted_cgroup_id; /* the daemon's cgroup v2: the same trust where the kernel gives the
				  * device program no process id (airgap_dev_reduced) */
	__u64 fold_ns;           /* refusals of one airgap_fold_key within this many ns of the one
				  * that was sent are counted in airgap_fold, not sent; 0: every
				  * refusal is sent */
};
#define AIRGAP_CONFIG_SIZE 40
/* Where abi_version sits, in every ABI version past and future: a daemon reads it from a config
 * map pinned by another version (a package upgrade) to know it must replace that enforcement. */
#define AIRGAP_CONFIG_ABI_OFFSET 16

/* Per-CPU, indexed by enum airgap_kind. `denied` counts every refusal, `lost` the ones whose
 * event did not fit in the ring buffer, `folded` the ones counted in airgap_fold instead of
 * sent: detail may be lost, the count never is. denied == sent + lost + folded. */
struct airgap_counter {
	__u64 denied;
	__u64 lost;
	__u64 folded;
};
#define AIRGAP_COUNTER_SIZE 24

/* One refusal, as sent through the ring buffer. Fields that do not apply to a kind are 0. */
struct airgap_event {
	__u64 boot_ns;   /* bpf_ktime_get_boot_ns(): CLOCK_BOOTTIME */
	__u64 cgroup_id; /* cgroup v2 id of the process (or socket) */
	__u32 pid;       /* thread id */
	__u32 tgid;      /* process id */
	__u32 uid;
	__u32 gid;
	__u16 kind;      /* enum airgap_kind */
	__u16 family;    /* AF_* */
	__u16 sock_type; /* SOCK_* */
	__u16 protocol;  /* IPPROTO_* or ETH_P_* (host order) for wire events */
	__u16 port;      /* host byte order */
	__u16 access;    /* enum airgap_dev_access bits */
	__u32 dev_major;
	__u32 dev_minor;
	__u32 ifindex;
	__u8 addr[16]; /* IPv4 in the first 4 bytes, network order */
	char comm[16];
	__u32 opt_level; /* AIRGAP_KIND_NET_SOCKOPT: the option's level (SOL_PACKET, SOL_XDP, ...) */
	__u32 opt_name;  /* and its name (PACKET_QDISC_BYPASS, XDP_UMEM_REG, ...) */
	__u32 flags;     /* enum airgap_event_flag bits */
	__u32 reserved;  /* 0 */
	__u64 folded;    /* airgap_fold's running count for this event's key when it was sent */
};
#define AIRGAP_EVENT_SIZE 112

/*
 * Kernel-side folding of refusal storms (issue 23). A process refusing in a loop would send
 * every refusal through the ring buffer, and the daemon would spend its CPU reading events it
 * only counts (storm::Aggregator writes one record per interval). With airgap_config.fold_ns
 * set, a refusal is sent and opens a window for its key; refusals *identical to it* within the
 * window only add 1 to the entry's `folded`, a running total never reset; the first after the
 * window is sent again, carrying the total in airgap_event.folded. The daemon attributes the
 * difference between two totals it saw to the key's record, and reads the map for totals no
 * later event carried (a process that stopped). The map is LRU: an entry pushed out takes its
 * unattributed count with it, which the per-kind `folded` counter still has: the daemon
 * records that difference as lost.
 *
 * Identical: the key is the process (airgap_event.tgid, 0 where the hook knows none) and the
 * kind, and a hash of every other field a record shows (airgap_event words 1 to 12, the
 * thread id masked out: AIRGAP_FOLD_HASHED), so a refusal that differs in anything but its time
 * and thread (another address, option, device, access, user) is never folded into another's
 * record. Packets and frames (the SKB and WIRE kinds) are not folded.
 */
struct airgap_fold_key {
	__u32 who;  /* airgap_event.tgid */
	__u16 kind; /* enum airgap_kind */
	__u16 pad;  /* 0 */
	__u64 hash; /* airgap_fold_hash() of the event */
};
#define AIRGAP_FOLD_KEY_SIZE 16

struct airgap_fold {
	__u64 opened_ns; /* bpf_ktime_get_boot_ns() of the last refusal sent */
	__u64 folded;    /* refusals counted here and not sent, since the entry was made */
};
#define AIRGAP_FOLD_SIZE 16
/* The 64-bit words of airgap_event the hash covers ([1, 13): cgroup_id to reserved), and the
 * mask of word 2 (pid, tgid: the thread id is its low half). FNV-1a over the words, each mixed
 * with a shift: the daemon computes the same (maps/fold.rs). */
#define AIRGAP_FOLD_HASHED 13
#define AIRGAP_FOLD_TID_MASK 0xffffffff00000000ULL
#define AIRGAP_FOLD_SEED 0xcbf29ce484222325ULL
#define AIRGAP_FOLD_PRIME 0x100000001b3ULL
#define AIRGAP_FOLD_ENTRIES 4096

/* airgap_event.flags. */
enum airgap_event_flag {
	/* The call came through the 32-bit compat entry (an i386 program, or `int 0x80` from a
	 * 64-bit one): refused by the fmod_ret program, which the kernel runs for that entry too,
	 * where it skips every cgroup/setsockopt program. */
	AIRGAP_EVENT_COMPAT = 1,
	/* pid, tgid and comm are unknown (0 and empty): a reduced program variant, loaded where the
	 * kernel gives that hook no bpf_get_current_pid_tgid/comm (cgroup/dev and
	 * cgroup/setsockopt on Debian 11's 5.10). uid, gid and cgroup_id are still the caller's. */
	AIRGAP_EVENT_NO_TASK = 2,
};

/* Key of the device rule map; the value is a __u32 mask of enum airgap_dev_access that may be
 * granted. A rule names one device, or with AIRGAP_DEV_ANY every minor of a major, or every
 * device of a type. The most specific rule wins. With no rule at all, block devices are refused
 * and character devices allowed (raw paths are refused by per-major rules). */
struct airgap_dev_key {
	__u32 type; /* enum airgap_dev_type */
	__u32 major;
	__u32 minor;
};
#define AIRGAP_DEV_ANY 0xffffffffu
#define AIRGAP_DEV_KEY_SIZE 12

/*
 * An accelerator in front of the rule map, never a rule of its own: an array indexed by
 * type * AIRGAP_DEV_MAJORS + major (block majors first, AIRGAP_DEV_BLOCK - 1 = 0), whose value
 * is what the rule map answers for a device of that major with no rule of its own (its major's
 * rule, else its type's, else the default), with AIRGAP_DEV_IDX_MINORS when some device of the
 * major has a rule of its own (then that device's rule is looked up first). A character device
 * with no rule costs one inlined array load instead of three hash lookups (issue 23). An entry
 * without AIRGAP_DEV_IDX_VALID (not written yet) sends the program to the rule map alone, so
 * an unfilled array only costs time. The daemon derives it from the rules it writes, and
 * checks it against them as it checks the rules.
 */
#define AIRGAP_DEV_MAJORS 4096
#define AIRGAP_DEV_IDX_VALID (1u << 31)
#define AIRGAP_DEV_IDX_MINORS (1u << 30)
#define AIRGAP_DEV_IDX_ACCESS 0xffu

/*
 * Isolated LAN (AIRGAP_NET_LAN). Two longest-prefix-match tries with one key layout: an IPv6
 * address, IPv4 stored IPv4-mapped (::ffff:a.b.c.d, prefix 96 + n), so one lookup serves both
 * families and the IPv4-mapped forms of IPv6 sockets alike.
 *
 *   airgap_lan_local  the LAN subnets: addresses this machine may bind to.
 *   airgap_lan_peers  the hosts this machine may talk to: the listed peers (/32, /128) or,
 *                     when a LAN lists none, its subnets.
 *
 * The value is the ifindex of the LAN's interface in the enforcing network namespace (the
 * daemon resolves the policy's interface_mac and rewrites it when links change). A packet or
 * frame passes only on that interface; 0 means the interface is absent and nothing passes.
 */
struct airgap_lan_key {
	__u32 prefixlen; /* bits of addr that count, 0..128 */
	__u8 addr[16];   /* network order */
};
#define AIRGAP_LAN_KEY_SIZE 20
#define AIRGAP_LAN_ENTRIES 1024

/*
 * The office's log host (isolated-lan profile, [network.log_host], issue 21): the one address
 * that is not a peer and yet may be reached, by one cgroup (the journal upload service's), on
 * one port. Single entry (key 0) of airgap_log_host, a hash map so that the daemon replaces it
 * whole (a reader never sees half an old and half a new entry); no entry: no log host.
 *
 * The daemon also writes the address into airgap_lan_peers as a full-length entry of value 0,
 * which carves it out of a LAN that lists no peers: every other process, and the upload service
 * on every other port, is refused there as for any address that is not a peer.
 */
struct airgap_log_host {
	__u8 addr[16];   /* as the LAN keys: IPv4-mapped for IPv4, network order */
	__u64 cgroup_id; /* the upload service's cgroup v2 id; 0 while it does not exist: nothing
			  * passes */
	__u32 ifindex;   /* the interface of the LAN the host lies in; 0 when absent: nothing
			  * passes */
	__u16 port;      /* host order, never 0 */
	__u16 pad;       /* 0 */
};
#define AIRGAP_LOG_HOST_SIZE 32

/* Map names, as the daemon looks them up in the object. */
#define AIRGAP_MAP_CONFIG "airgap_config"
#define AIRGAP_MAP_COUNTERS "airgap_counters"
#define AIRGAP_MAP_EVENTS "airgap_events"
#define AIRGAP_MAP_DEV_RULES "airgap_dev_rules"
#define AIRGAP_MAP_DEV_MAJOR "airgap_dev_major"
#define AIRGAP_MAP_LAN_LOCAL "airgap_lan_local"
#define AIRGAP_MAP_LAN_PEERS "airgap_lan_peers"
#define AIRGAP_MAP_LOG_HOST "airgap_log_host"
#define AIRGAP_MAP_FOLD "airgap_fold"

#define AIRGAP_EVENTS_BYTES (256 * 1024)
#define AIRGAP_DEV_RULES_ENTRIES 4096

/*
 * Removable media: no execution from them (exec.bpf.c), and who wrote or read a file on them
 * (register.bpf.c). Devices are kernel dev_t values as super_block.s_dev holds them:
 * major << 20 | minor (AIRGAP_KDEV below).
 *
 *   airgap_exec_dev   every removable medium the daemon has judged, approved or not, except
 *                     media whose [[media]] entry sets allow_exec; value 1. The LSM programs
 *                     refuse execution and executable mappings of files on these devices.
 *   airgap_exec_evt   one struct airgap_exec_event per refusal (ring buffer);
 *   airgap_exec_cnt   per-CPU struct airgap_counter: refusals, and those whose event was lost.
 *   airgap_exits      the identity of each process of the scope when it ended, by tgid (LRU):
 *                     fanotify names the pid of a copy, which has often exited (and been
 *                     reaped) by the time the daemon reads the event.
 */
#define AIRGAP_KDEV(major, minor) (((major) << 20) | (minor))
#define AIRGAP_EXEC_DEV_ENTRIES 1024
#define AIRGAP_EXEC_EVENTS_BYTES (64 * 1024)
#define AIRGAP_EXITS_ENTRIES 4096

/* Which LSM hook refused. */
enum airgap_exec_hook {
	AIRGAP_EXEC_HOOK_BPRM = 1,     /* execve of a program, a script, or a script's interpreter */
	AIRGAP_EXEC_HOOK_MMAP = 2,     /* mmap(PROT_EXEC) of a file: shared libraries, ld.so */
	AIRGAP_EXEC_HOOK_MPROTECT = 3, /* mprotect(PROT_EXEC) of a file mapping */
};

/* One refused execution or executable mapping. */
struct airgap_exec_event {
	__u64 boot_ns;   /* bpf_ktime_get_boot_ns() */
	__u64 cgroup_id;
	__u64 ino;       /* the file's inode number */
	__u32 pid;       /* thread id */
	__u32 tgid;      /* process id */
	__u32 uid;
	__u32 gid;
	__u32 dev;       /* the file's super_block.s_dev */
	__u32 hook;      /* enum airgap_exec_hook */
	char comm[16];
	/* The file's path as the process sees it (bpf_d_path) for execve and mmap; the name the
	 * process gave (execve) or the file's own name (mprotect) where the kernel cannot say. */
	char name[256];
};
#define AIRGAP_EXEC_EVENT_SIZE 320

/* Value of airgap_exits. */
struct airgap_task_exit {
	__u64 boot_ns; /* when it ended */
	__u32 uid;
	__u32 gid;
	char comm[16];
};
#define AIRGAP_TASK_EXIT_SIZE 32

/*
 * Approved read-only media (media_ro.bpf.c, where BPF LSM loads). airgap_ro_dev holds every
 * block device the daemon marked read-only for a read-only grant (the medium's device, a
 * partition's disk, a disk's partitions), as AIRGAP_KDEV; value 1. Filled after the device's
 * read-only flag is set and before its device rule is written; emptied before a flag is
 * cleared. What reaches such a device is refused with AIRGAP_KIND_DEV_READONLY records.
 */
#define AIRGAP_RO_DEV_ENTRIES 1024
#define AIRGAP_MAP_RO_DEV "airgap_ro_dev"

/* How a refused attempt would have written a read-only medium (airgap_event.opt_level). */
enum airgap_ro_route {
	AIRGAP_RO_ROSET = 1,     /* BLKROSET: its read-only flag (opt_name: the ioctl) */
	AIRGAP_RO_SG_IO = 2,     /* SG_IO with a SCSI command that is not a read (opt_name: the
				  * command's operation code; 0x100 when it could not be read) */
	AIRGAP_RO_PARTS = 3,     /* BLKPG, BLKRRPART: partitions made anew, flags clear */
	AIRGAP_RO_REMOUNT = 4,   /* mount(2) MS_REMOUNT without MS_RDONLY (opt_name: the flags) */
	AIRGAP_RO_RAW_CMD = 5,   /* another raw command ioctl (SCSI_IOCTL_SEND_COMMAND, HDIO_DRIVE_*,
				  * CDROM_SEND_PACKET; opt_name: the ioctl) */
};

#define AIRGAP_MAP_EXEC_DEV "airgap_exec_dev"
#define AIRGAP_MAP_EXEC_EVENTS "airgap_exec_evt"
#define AIRGAP_MAP_EXEC_COUNT "airgap_exec_cnt"
#define AIRGAP_MAP_EXITS "airgap_exits"

/*
 * airgapd's own BPF objects, where BPF LSM loads (bpf_guard.bpf.c). While the daemon runs, no
 * other process may open one of its links (by id or by pin), open one of its maps for
 * writing, change its pin directory (unpin, pin a decoy) or ptrace it (pidfd_getfd would hand
 * over its descriptors). The guard's links are never pinned: they end with the daemon, so a
 * stopped, killed or lifted daemon leaves nothing that refuses.
 *
 *   airgap_guard_cfg  (array, key 0) struct airgap_guard_config;
 *   airgap_guarded    the objects, by struct airgap_guard_key; value 1.
 */
#define AIRGAP_MAP_GUARD_CFG "airgap_guard_cfg"
#define AIRGAP_MAP_GUARDED "airgap_guarded"
#define AIRGAP_GUARDED_ENTRIES 1024

struct airgap_guard_config {
	__u32 daemon_tgid; /* the daemon; 0: nothing is refused */
	__u32 pin_dev;     /* the bpffs holding the pins, as super_block.s_dev (AIRGAP_KDEV) */
};
#define AIRGAP_GUARD_CONFIG_SIZE 8

/* What an airgap_guard_key names. */
enum airgap_guard_object {
	AIRGAP_GUARD_LINK = 1,  /* a link, by id */
	AIRGAP_GUARD_MAP = 2,   /* a map, by id */
	AIRGAP_GUARD_INODE = 3, /* a pin or the pin directory, by inode number on pin_dev */
};

struct airgap_guard_key {
	__u32 type; /* enum airgap_guard_object */
	__u32 id;
};
#define AIRGAP_GUARD_KEY_SIZE 8

/* What was refused (airgap_event.opt_level; opt_name is the object's id, or the daemon's pid
 * for AIRGAP_GUARD_PTRACE). */
enum airgap_guard_action {
	AIRGAP_GUARD_LINK_BY_ID = 1, /* BPF_LINK_GET_FD_BY_ID */
	AIRGAP_GUARD_MAP_WRITE = 2,  /* a map opened for writing (by id or by pin) */
	AIRGAP_GUARD_PIN_WRITE = 3,  /* a link pin opened (BPF_OBJ_GET), or the pin directory
				      * changed (unpin, pin, rename) */
	AIRGAP_GUARD_PTRACE = 4,     /* ptrace, /proc/PID/mem, pidfd_getfd of the daemon */
};

#endif /* AIRGAPD_ABI_H */
