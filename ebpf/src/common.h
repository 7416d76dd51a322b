/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Maps and helpers every enforcement area shares: the config (scope, modes), the per-kind
 * counters and the event ring buffer. Included once, by airgapd.bpf.c.
 */
#ifndef AIRGAPD_COMMON_H
#define AIRGAPD_COMMON_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>
#include "airgapd_abi.h"

_Static_assert(sizeof(struct airgap_config) == AIRGAP_CONFIG_SIZE, "airgap_config layout");
_Static_assert(__builtin_offsetof(struct airgap_config, abi_version) == AIRGAP_CONFIG_ABI_OFFSET,
	       "airgap_config.abi_version never moves");
_Static_assert(sizeof(struct airgap_counter) == AIRGAP_COUNTER_SIZE, "airgap_counter layout");
_Static_assert(sizeof(struct airgap_event) == AIRGAP_EVENT_SIZE, "airgap_event layout");
_Static_assert(__builtin_offsetof(struct airgap_event, addr) == 56, "airgap_event.addr offset");
_Static_assert(__builtin_offsetof(struct airgap_event, comm) == 72, "airgap_event.comm offset");
_Static_assert(sizeof(struct airgap_dev_key) == AIRGAP_DEV_KEY_SIZE, "airgap_dev_key layout");

/* cgroup programs: 1 lets the operation through, 0 makes the syscall fail with EPERM. */
#define CG_ALLOW 1
#define CG_DENY 0

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct airgap_config);
} airgap_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AIRGAP_KIND_COUNT);
	__type(key, __u32);
	__type(value, struct airgap_counter);
} airgap_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, AIRGAP_EVENTS_BYTES);
} airgap_events SEC(".maps");

/* A missing entry cannot happen for an array map, but the verifier wants the check; treating it
 * as the zero config (no network, empty scope) keeps the failure on the strict side. */
static __always_inline const struct airgap_config *config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&airgap_config, &zero);
}

/* Count the refusal and reserve its event. NULL means the ring buffer was full: the refusal
 * stays counted as lost, only its detail is gone. */
static __always_inline struct airgap_event *deny_event(__u16 kind)
{
	__u32 key = kind;
	struct airgap_counter *c = bpf_map_lookup_elem(&airgap_counters, &key);
	struct airgap_event *e;

	if (c)
		c->denied++;
	e = bpf_ringbuf_reserve(&airgap_events, sizeof(*e), 0);
	if (!e) {
		if (c)
			c->lost++;
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->boot_ns = bpf_ktime_get_boot_ns();
	e->kind = kind;
	return e;
}

/* For programs that are not attached to the scope cgroup (LSM): is the current task in it?
 * An unwritten config (id 0) puts nothing in scope. */
static __always_inline int in_scope(void)
{
	const struct airgap_config *cfg = config();

	if (!cfg || cfg->scope_cgroup_id == 0)
		return 0;
	if (cfg->scope_level == 0)
		return 1;
	return bpf_get_current_ancestor_cgroup_id(cfg->scope_level) == cfg->scope_cgroup_id;
}

/* Process identity, for hooks that run in the context of the calling task. */
static __always_inline void fill_task(struct airgap_event *e)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	e->pid = (__u32)pid_tgid;
	e->tgid = pid_tgid >> 32;
	e->uid = (__u32)uid_gid;
	e->gid = uid_gid >> 32;
	e->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

/* The identity the reduced variants of cgroup/dev and cgroup/setsockopt can give: older kernels
 * (Debian 11's 5.10) offer those hooks bpf_get_current_uid_gid and bpf_get_current_cgroup_id
 * but not bpf_get_current_pid_tgid or bpf_get_current_comm, and the verifier refuses the whole
 * program for one unknown helper. The flag makes the record say "process unknown" instead of
 * naming pid 0. `full` is a constant of each variant: the unused branch is compiled away. */
static __always_inline void fill_task_as(struct airgap_event *e, const int full)
{
	__u64 uid_gid;

	if (full) {
		fill_task(e);
		return;
	}
	uid_gid = bpf_get_current_uid_gid();
	e->uid = (__u32)uid_gid;
	e->gid = uid_gid >> 32;
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->flags |= AIRGAP_EVENT_NO_TASK;
}

#endif /* AIRGAPD_COMMON_H */
