/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Who copied: the identity of each process of the scope when it ends. The copy register learns
 * of a copy from fanotify, which gives only the pid, after the file was closed; a short-lived
 * `cp` has usually exited and been reaped by then, taking /proc/<pid> with it. This keeps its
 * user and command name a while longer (an LRU map by tgid). It records, it never refuses.
 */

_Static_assert(sizeof(struct airgap_task_exit) == AIRGAP_TASK_EXIT_SIZE, "airgap_task_exit layout");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, AIRGAP_EXITS_ENTRIES);
	__type(key, __u32);
	__type(value, struct airgap_task_exit);
} airgap_exits SEC(".maps");

/* do_exit() of every thread: current is the task that ends, its credentials still in place.
 * Only a process's main thread is kept (the map is by process): the threads a thread pool
 * starts and ends all day write nothing. */
SEC("raw_tracepoint/sched_process_exit")
int airgap_task_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct airgap_task_exit v = {};
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid;
	__u32 tgid = pid_tgid >> 32;

	if ((__u32)pid_tgid != tgid)
		return 0;
	if (!in_scope())
		return 0;
	uid_gid = bpf_get_current_uid_gid();
	v.boot_ns = bpf_ktime_get_boot_ns();
	v.uid = (__u32)uid_gid;
	v.gid = uid_gid >> 32;
	bpf_get_current_comm(v.comm, sizeof(v.comm));
	bpf_map_update_elem(&airgap_exits, &tgid, &v, BPF_ANY);
	return 0;
}
