/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Device control: cgroup/dev runs on every open(2) of a device node, on mount(2) and the new
 * mount API (fsconfig FSCONFIG_CMD_CREATE opens the source device), and on mknod(2), for every
 * task of the scope. So a removable disk cannot be read, written, mounted or reached through a
 * node re-created elsewhere unless a rule grants it, and raw paths around the block layer (SCSI
 * generic, bsg, /dev/bus/usb, ...) are refused by per-major rules the daemon writes.
 *
 * Attached to the scope cgroup only: being called means being in scope.
 */

#include "kernel_types.h"

#define BPF_DEVCG_DEV_BLOCK 1
#define BPF_DEVCG_DEV_CHAR 2
#define PF_KTHREAD 0x00200000
#define EACCES 13

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, AIRGAP_DEV_RULES_ENTRIES);
	__type(key, struct airgap_dev_key);
	__type(value, __u32);
} airgap_dev_rules SEC(".maps");

/* Mappable (ABI 8): the daemon compares it with what it wrote on every 250 ms tick; read by
 * BPF_MAP_LOOKUP_BATCH, its 8192 entries were three quarters of an idle daemon's CPU. Others
 * cannot map it writable where the BPF guard loads (no write-mode fd: bpf_guard.bpf.c). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * AIRGAP_DEV_MAJORS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u32);
} airgap_dev_major SEC(".maps");

/* The access the most specific rule grants for (type, major, minor). */
static __always_inline __u32 granted(__u32 type, __u32 major, __u32 minor)
{
	struct airgap_dev_key key = { .type = type, .major = major, .minor = minor };
	__u32 *mask;

	/* The per-major index first (an array: the verifier inlines the load). */
	if (major < AIRGAP_DEV_MAJORS && (type == AIRGAP_DEV_BLOCK || type == AIRGAP_DEV_CHAR)) {
		__u32 at = (type - AIRGAP_DEV_BLOCK) * AIRGAP_DEV_MAJORS + major;
		__u32 *idx = bpf_map_lookup_elem(&airgap_dev_major, &at);

		if (idx && (*idx & AIRGAP_DEV_IDX_VALID)) {
			__u32 entry = *idx;

			if (entry & AIRGAP_DEV_IDX_MINORS) {
				mask = bpf_map_lookup_elem(&airgap_dev_rules, &key);
				if (mask)
					return *mask;
			}
			return entry & AIRGAP_DEV_IDX_ACCESS;
		}
	}
	mask = bpf_map_lookup_elem(&airgap_dev_rules, &key);
	if (mask)
		return *mask;
	key.minor = AIRGAP_DEV_ANY;
	mask = bpf_map_lookup_elem(&airgap_dev_rules, &key);
	if (mask)
		return *mask;
	key.major = AIRGAP_DEV_ANY;
	mask = bpf_map_lookup_elem(&airgap_dev_rules, &key);
	if (mask)
		return *mask;
	/* No rule: default-deny for block devices; character devices are governed by their
	 * per-major rules (a terminal or /dev/null must never depend on a map being filled). */
	if (type == AIRGAP_DEV_BLOCK)
		return 0;
	return AIRGAP_ACC_MKNOD | AIRGAP_ACC_READ | AIRGAP_ACC_WRITE;
}

/*
 * One judgement, two programs. airgap_dev is the full one. airgap_dev_reduced is for kernels
 * whose cgroup/dev programs get no bpf_get_current_task_btf, bpf_get_current_pid_tgid,
 * bpf_get_current_comm or bpf_set_retval (Debian 11's 5.10): the daemon loads it only when the
 * verifier refuses the full one, and reports what it gives up. The rules and the refusals of
 * every task are the same; what differs:
 *  - a kernel thread is told by its cgroup: a task in the root cgroup itself, where the kernel's
 *    threads live (systemd puts every process in a child; only root can move one to the root);
 *  - the daemon's own reads are told by its cgroup (its service's), not its process;
 *  - refusals are recorded without pid and name (AIRGAP_EVENT_NO_TASK);
 *  - writing a read-only medium answers EPERM, not EACCES, so mount(8) does not retry it
 *    read-only by itself (`mount -o ro` works).
 */
#define ROOT_CGROUP_ID 1

static __always_inline int dev_judge(struct bpf_cgroup_dev_ctx *ctx, const int full)
{
	__u32 type = ctx->access_type & 0xffff;
	__u32 want = ctx->access_type >> 16;
	__u32 dtype = type == BPF_DEVCG_DEV_BLOCK ? AIRGAP_DEV_BLOCK : AIRGAP_DEV_CHAR;
	const struct airgap_config *cfg;
	struct airgap_event ev, *e;
	__u32 mask;

	/* access(path, F_OK) asks for nothing: existence is not access. */
	if (want == 0)
		return CG_ALLOW;
	mask = granted(dtype, ctx->major, ctx->minor);
	if ((want & ~mask) == 0)
		return CG_ALLOW;
	/* With a whole-machine scope kernel threads are in scope too: kdevtmpfs creating the /dev
	 * node of a new disk, a kworker reading its partition table. That is the kernel's own
	 * work (without it no node or partition of an approved stick would ever exist), and no
	 * task can become a kernel thread; every task's open of those nodes is still judged.
	 * Asked only when no rule grants the access: the opens that are allowed, nearly all of
	 * them, never pay for it. */
	if (full && (bpf_get_current_task_btf()->flags & PF_KTHREAD))
		return CG_ALLOW;
	if (!full && bpf_get_current_cgroup_id() == ROOT_CGROUP_ID)
		return CG_ALLOW;
	/* The daemon identifies a refused disk by reading it (filesystem UUID and label), through
	 * a node it makes itself in a tmpfs mounted nowhere (never the /dev path, which root or a
	 * udev rule may have replaced): making that node and reading are all it may do, and only
	 * the daemon's own process (its service's cgroup for the reduced variant). */
	cfg = config();
	if (cfg && (want & ~(AIRGAP_ACC_READ | AIRGAP_ACC_MKNOD)) == 0) {
		if (full && cfg->trusted_tgid &&
		    (bpf_get_current_pid_tgid() >> 32) == cfg->trusted_tgid)
			return CG_ALLOW;
		if (!full && cfg->trusted_cgroup_id &&
		    bpf_get_current_cgroup_id() == cfg->trusted_cgroup_id)
			return CG_ALLOW;
	}

	e = deny_begin(&ev, dtype == AIRGAP_DEV_BLOCK ? AIRGAP_KIND_DEV_BLOCK : AIRGAP_KIND_DEV_CHAR);
	if (e) {
		fill_task_as(e, full);
		e->dev_major = ctx->major;
		e->dev_minor = ctx->minor;
		e->access = want;
		deny_send(e);
	}
	/* A block device granted only reading (an approved read-only medium) refuses writing the
	 * way a write-protected disk does, with EACCES rather than EPERM: mount(8) then retries
	 * read-only by itself (util-linux does so on EACCES and EROFS, never on EPERM). The device
	 * cgroup check comes before the kernel's own read-only check, so without this a plain
	 * `mount` of a read-only medium would fail. */
	if (full && dtype == AIRGAP_DEV_BLOCK && (mask & AIRGAP_ACC_READ) &&
	    (want & AIRGAP_ACC_WRITE))
		bpf_set_retval(-EACCES);
	return CG_DENY;
}

SEC("cgroup/dev")
int airgap_dev(struct bpf_cgroup_dev_ctx *ctx)
{
	return dev_judge(ctx, 1);
}

SEC("cgroup/dev")
int airgap_dev_reduced(struct bpf_cgroup_dev_ctx *ctx)
{
	return dev_judge(ctx, 0);
}
