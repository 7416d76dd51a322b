/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * No execution from removable media, where the kernel runs BPF LSM programs. Three hooks,
 * each refusing files whose filesystem is on a device of airgap_exec_dev (every removable
 * medium the daemon judged, except media the policy lets run programs):
 *
 *  - bprm_check_security: execve/execveat. Called once for the program and again for the
 *    interpreter of a script, so a script on a medium, and an interpreter on a medium, are
 *    both refused.
 *  - mmap_file with PROT_EXEC: shared libraries (dlopen, LD_PRELOAD) and programs loaded by
 *    running ld.so on them, which never go through execve.
 *  - file_mprotect adding PROT_EXEC to a file mapping made readable first.
 *
 * Where these cannot load (see shared/notes/kernel.md) the daemon refuses execve through
 * fanotify and remounts media noexec; see daemon/src/noexec/.
 *
 * LSM programs run for every task: the scope is checked before anything is refused. mmap_file
 * runs for every mapping on the machine, so a mapping that is not executable (most of them)
 * is let through before even the scope lookup: that check can only allow.
 */
#include <bpf/bpf_core_read.h>
#include "kernel_types.h"

#define EPERM 1
#define PROT_EXEC 0x4

_Static_assert(sizeof(struct airgap_exec_event) == AIRGAP_EXEC_EVENT_SIZE, "airgap_exec_event layout");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, AIRGAP_EXEC_DEV_ENTRIES);
	__type(key, __u32);
	__type(value, __u32);
} airgap_exec_dev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, AIRGAP_EXEC_EVENTS_BYTES);
} airgap_exec_evt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct airgap_counter);
} airgap_exec_cnt SEC(".maps");

/* The device of the file's filesystem, when it is a medium whose programs are refused. */
static __always_inline int on_refused_medium(struct file *file, __u32 *dev)
{
	if (!file)
		return 0;
	*dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	return bpf_map_lookup_elem(&airgap_exec_dev, dev) != NULL;
}

/* Count the refusal and report it: the file's path when `path` is given (only hooks the
 * kernel lets call bpf_d_path may), else `name`, a kernel string. A full ring buffer loses the
 * detail, never the count. */
static __always_inline void report(__u32 hook, __u32 dev, struct file *file, struct path *path,
				   const void *name)
{
	__u32 zero = 0;
	struct airgap_counter *c = bpf_map_lookup_elem(&airgap_exec_cnt, &zero);
	struct airgap_exec_event *e;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	if (c)
		c->denied++;
	e = bpf_ringbuf_reserve(&airgap_exec_evt, sizeof(*e), 0);
	if (!e) {
		if (c)
			c->lost++;
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->boot_ns = bpf_ktime_get_boot_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->ino = BPF_CORE_READ(file, f_inode, i_ino);
	e->pid = (__u32)pid_tgid;
	e->tgid = pid_tgid >> 32;
	e->uid = (__u32)uid_gid;
	e->gid = uid_gid >> 32;
	e->dev = dev;
	e->hook = hook;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if ((!path || bpf_d_path(path, e->name, sizeof(e->name)) <= 0) && name)
		bpf_probe_read_kernel_str(e->name, sizeof(e->name), name);
	bpf_ringbuf_submit(e, 0);
}

/* execve: the program, or on the second round the interpreter of a script. */
SEC("lsm/bprm_check_security")
int BPF_PROG(airgap_lsm_bprm_check, struct linux_binprm *bprm, int ret)
{
	struct file *file;
	__u32 dev;

	if (ret)
		return ret;
	if (!in_scope())
		return 0;
	file = BPF_CORE_READ(bprm, file);
	if (!on_refused_medium(file, &dev))
		return 0;
	report(AIRGAP_EXEC_HOOK_BPRM, dev, file, &bprm->file->f_path, BPF_CORE_READ(bprm, interp));
	return -EPERM;
}

/* mmap(PROT_EXEC) of a file: libraries and ld.so-loaded programs. */
SEC("lsm/mmap_file")
int BPF_PROG(airgap_lsm_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	__u32 dev;

	if (ret)
		return ret;
	if (!(prot & PROT_EXEC) || !file)
		return 0;
	if (!in_scope())
		return 0;
	if (!on_refused_medium(file, &dev))
		return 0;
	report(AIRGAP_EXEC_HOOK_MMAP, dev, file, &file->f_path,
	       BPF_CORE_READ(file, f_path.dentry, d_name.name));
	return -EPERM;
}

/* mprotect(PROT_EXEC) of a file mapping first made without it. */
SEC("lsm/file_mprotect")
int BPF_PROG(airgap_lsm_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
	     unsigned long prot, int ret)
{
	struct file *file;
	__u32 dev;

	if (ret)
		return ret;
	if (!(prot & PROT_EXEC))
		return 0;
	if (!in_scope())
		return 0;
	file = BPF_CORE_READ(vma, vm_file);
	if (!on_refused_medium(file, &dev))
		return 0;
	/* Not bpf_d_path: file_mprotect is not among the hooks allowed to call it before 6.8. */
	report(AIRGAP_EXEC_HOOK_MPROTECT, dev, file, NULL,
	       BPF_CORE_READ(file, f_path.dentry, d_name.name));
	return -EPERM;
}
