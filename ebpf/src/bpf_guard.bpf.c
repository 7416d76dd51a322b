/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * airgapd's own BPF objects, where the kernel runs BPF LSM programs: while the daemon runs,
 * no other process (root included) gets what it takes to undo them. bpf(2) acts on links and
 * maps through descriptors, so the guard refuses the descriptors:
 *
 *  - bpf: BPF_LINK_GET_FD_BY_ID of one of airgapd's links. attr is the kernel's copy of the
 *    caller's argument, so the id judged is the id used. Programs are not refused: a program
 *    descriptor detaches nothing airgapd attached with a link, and `bpftool prog show` stays
 *    usable (docs/tampering.md).
 *  - bpf_map: a descriptor with write access to one of airgapd's maps, however it is asked
 *    for (BPF_MAP_GET_FD_BY_ID, BPF_OBJ_GET of a pin): every bpf_map_new_fd() comes here.
 *    Read-only descriptors stay allowed (`bpftool map dump`).
 *  - inode_permission: MAY_WRITE on the pin directory (unpinning, pinning a decoy, renaming)
 *    and on each pin (BPF_OBJ_GET of a link pin must ask for read and write; a map pin for
 *    writing). Every path lookup comes here: the mask and the filesystem's magic are checked
 *    before any map lookup. The inode is the kernel's, never a path read from user memory.
 *  - ptrace_access_check with PTRACE_MODE_ATTACH on the daemon: ptrace, /proc/PID/mem and
 *    pidfd_getfd, which would hand over the daemon's own descriptors.
 *
 * "The daemon" is the process whose tgid the daemon wrote in airgap_guard_cfg. The guard's
 * links are never pinned: the daemon holds them, so they end when it ends (stopped, killed,
 * crashed), and from then on nothing is refused, which is what `airgapctl status` without the
 * daemon, `airgapd lift`, an upgrade and a restart need. Each refusal is counted and reported
 * as AIRGAP_KIND_BPF_GUARD.
 */

#define BPF_FS_MAGIC 0xcafe4a11
#define MAY_WRITE 0x2
#define FMODE_WRITE 0x2
#define PTRACE_MODE_ATTACH 0x02

_Static_assert(sizeof(struct airgap_guard_config) == AIRGAP_GUARD_CONFIG_SIZE, "airgap_guard_config layout");
_Static_assert(sizeof(struct airgap_guard_key) == AIRGAP_GUARD_KEY_SIZE, "airgap_guard_key layout");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct airgap_guard_config);
} airgap_guard_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, AIRGAP_GUARDED_ENTRIES);
	__type(key, struct airgap_guard_key);
	__type(value, __u32);
} airgap_guarded SEC(".maps");

static __always_inline const struct airgap_guard_config *guard_config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&airgap_guard_cfg, &zero);
}

/* Whether the caller is another process than a running daemon (0 when no daemon armed it). */
static __always_inline int stranger(const struct airgap_guard_config *cfg)
{
	if (!cfg || cfg->daemon_tgid == 0)
		return 0;
	return (bpf_get_current_pid_tgid() >> 32) != cfg->daemon_tgid;
}

static __always_inline int guarded(__u32 type, __u32 id)
{
	struct airgap_guard_key key = { .type = type, .id = id };

	return bpf_map_lookup_elem(&airgap_guarded, &key) != NULL;
}

static __always_inline int guard_refuse(__u32 action, __u32 id)
{
	struct airgap_event ev, *e = deny_begin(&ev, AIRGAP_KIND_BPF_GUARD);

	if (e) {
		fill_task(e);
		e->opt_level = action;
		e->opt_name = id;
		deny_send(e);
	}
	return -EPERM;
}

SEC("lsm/bpf")
int BPF_PROG(airgap_guard_bpf, int cmd, union bpf_attr *attr, unsigned int size, int ret)
{
	const struct airgap_guard_config *cfg;
	__u32 id = 0;

	if (ret)
		return ret;
	if (cmd != BPF_LINK_GET_FD_BY_ID)
		return 0;
	cfg = guard_config();
	if (!stranger(cfg))
		return 0;
	bpf_probe_read_kernel(&id, sizeof(id), &attr->link_id);
	if (!guarded(AIRGAP_GUARD_LINK, id))
		return 0;
	return guard_refuse(AIRGAP_GUARD_LINK_BY_ID, id);
}

SEC("lsm/bpf_map")
int BPF_PROG(airgap_guard_map, struct bpf_map *map, unsigned int fmode, int ret)
{
	__u32 id;

	if (ret)
		return ret;
	if (!(fmode & FMODE_WRITE))
		return 0;
	if (!stranger(guard_config()))
		return 0;
	id = BPF_CORE_READ(map, id);
	if (!guarded(AIRGAP_GUARD_MAP, id))
		return 0;
	return guard_refuse(AIRGAP_GUARD_MAP_WRITE, id);
}

SEC("lsm/inode_permission")
int BPF_PROG(airgap_guard_inode, struct inode *inode, int mask, int ret)
{
	const struct airgap_guard_config *cfg;
	struct super_block *sb;
	__u32 ino;

	if (ret)
		return ret;
	if (!(mask & MAY_WRITE) || !inode)
		return 0;
	sb = BPF_CORE_READ(inode, i_sb);
	if (BPF_CORE_READ(sb, s_magic) != BPF_FS_MAGIC)
		return 0;
	cfg = guard_config();
	if (!stranger(cfg) || BPF_CORE_READ(sb, s_dev) != cfg->pin_dev)
		return 0;
	ino = BPF_CORE_READ(inode, i_ino);
	if (!guarded(AIRGAP_GUARD_INODE, ino))
		return 0;
	return guard_refuse(AIRGAP_GUARD_PIN_WRITE, ino);
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(airgap_guard_ptrace, struct task_struct *child, unsigned int mode, int ret)
{
	const struct airgap_guard_config *cfg;
	__u32 tgid;

	if (ret)
		return ret;
	if (!(mode & PTRACE_MODE_ATTACH))
		return 0;
	cfg = guard_config();
	if (!stranger(cfg))
		return 0;
	tgid = BPF_CORE_READ(child, tgid);
	if (tgid != cfg->daemon_tgid)
		return 0;
	return guard_refuse(AIRGAP_GUARD_PTRACE, tgid);
}
