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
_Static_assert(sizeof(struct airgap_fold_key) == AIRGAP_FOLD_KEY_SIZE, "airgap_fold_key layout");
_Static_assert(sizeof(struct airgap_fold) == AIRGAP_FOLD_SIZE, "airgap_fold layout");

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

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, AIRGAP_FOLD_ENTRIES);
	__type(key, struct airgap_fold_key);
	__type(value, struct airgap_fold);
} airgap_fold SEC(".maps");

/* Count the refusal and reserve its event in the ring buffer, unfolded: the packet and frame
 * kinds. NULL means the ring buffer was full: the refusal stays counted as lost, only its
 * detail is gone. */
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

/* A refusal of a process, described on the program's stack (`ev`) and then sent or folded
 * by deny_send(). Never NULL: the callers' `if (e)` stays as for deny_event. */
static __always_inline struct airgap_event *deny_begin(struct airgap_event *ev, __u16 kind)
{
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	return ev;
}

/* airgapd_abi.h, "Kernel-side folding": every field a record shows, the thread id aside. */
static __always_inline __u64 airgap_fold_hash(const struct airgap_event *e)
{
	const __u64 *w = (const __u64 *)e;
	__u64 h = AIRGAP_FOLD_SEED;

#pragma unroll
	for (int i = 1; i < AIRGAP_FOLD_HASHED; i++) {
		__u64 v = w[i];

		if (i == 2)
			v &= AIRGAP_FOLD_TID_MASK;
		h = (h ^ v) * AIRGAP_FOLD_PRIME;
		h ^= h >> 29;
	}
	return h;
}

/* Count a refusal described by deny_begin() and send it, or fold it into the window of an
 * identical one (airgapd_abi.h). */
static __always_inline void deny_send(struct airgap_event *e)
{
	__u32 key = e->kind;
	struct airgap_counter *c = bpf_map_lookup_elem(&airgap_counters, &key);
	const struct airgap_config *cfg = config();
	__u64 now = bpf_ktime_get_boot_ns();
	__u64 total = 0;

	if (c)
		c->denied++;
	if (cfg && cfg->fold_ns) {
		struct airgap_fold_key fk = {
			.who = e->tgid, .kind = e->kind, .pad = 0, .hash = airgap_fold_hash(e),
		};
		struct airgap_fold *f = bpf_map_lookup_elem(&airgap_fold, &fk);

		if (f) {
			/* Signed: another CPU may have opened the window a moment after `now`. */
			if ((__s64)(now - f->opened_ns) < (__s64)cfg->fold_ns) {
				/* The entry first, the counter second: the daemon reads the counter
				 * before the entries, so it never finds a fold counted that no entry
				 * holds yet (it would record it as lost). */
				__sync_fetch_and_add(&f->folded, 1);
				if (c)
					c->folded++;
				return;
			}
			f->opened_ns = now;
			total = f->folded;
		} else {
			struct airgap_fold v = { .opened_ns = now, .folded = 0 };

			/* A failed insert (no memory) only means this refusal is not folded. */
			bpf_map_update_elem(&airgap_fold, &fk, &v, BPF_NOEXIST);
		}
	}
	e->boot_ns = now;
	e->folded = total;
	if (bpf_ringbuf_output(&airgap_events, e, sizeof(*e), 0) && c)
		c->lost++;
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
