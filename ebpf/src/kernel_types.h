/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The few kernel types the programs read, written by hand rather than taken from a
 * 135,000-line vmlinux.h (see ebpf/README.md). Each lists only the members read, under their
 * kernel names: with preserve_access_index clang records every access as a CO-RE relocation
 * by name, and the loader rewrites the offset to this kernel's layout from its BTF
 * (/sys/kernel/btf/vmlinux). A member that does not exist on a kernel makes the load fail, so a
 * layout change can never make a program read the wrong bytes.
 *
 * Checked against 6.18 (bpftool btf dump file /sys/kernel/btf/vmlinux format c).
 */
#ifndef AIRGAPD_KERNEL_TYPES_H
#define AIRGAPD_KERNEL_TYPES_H

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

/* exec.bpf.c: the file an exec or an executable mapping is of, and its filesystem's device. */
struct super_block {
	__u32 s_dev;           /* dev_t: major << 20 | minor */
	unsigned long s_magic; /* bpf_guard.bpf.c: BPF_FS_MAGIC for bpffs */
};

/* media_ro.bpf.c: a block device node's type and number, and a mount's filesystem. */
struct inode {
	struct super_block *i_sb;
	unsigned long i_ino;
	unsigned short i_mode; /* umode_t */
	__u32 i_rdev;          /* dev_t: major << 20 | minor */
};

struct qstr {
	const unsigned char *name;
};

struct dentry {
	struct qstr d_name;
};

struct vfsmount {
	struct super_block *mnt_sb;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct file {
	struct inode *f_inode;
	struct path f_path;
};

struct vm_area_struct {
	struct file *vm_file;
};

struct linux_binprm {
	struct file *file;  /* what this round of exec loads: the program, or a script's interpreter */
	const char *interp; /* the name bprm->file was opened by */
};

/* network.bpf.c, media_ro.bpf.c: x86's thread-synchronous status; TS_COMPAT is set while
 * the task is in a 32-bit (compat) system call. */
struct thread_info {
	__u32 status;
};

/* devices.bpf.c: kernel threads (kdevtmpfs making /dev nodes, kworkers reading partition
 * tables) are the kernel's own work, not a task's choice. */
struct task_struct {
	unsigned int flags; /* PF_KTHREAD */
	struct thread_info thread_info;
	int tgid; /* bpf_guard.bpf.c: pid_t of the task's process */
};

#define TS_COMPAT 0x0002

/* Whether the current task is in a 32-bit system call (tracing and LSM programs only: they
 * have bpf_get_current_task_btf). */
static __always_inline int in_compat_syscall(void)
{
	return !!(bpf_get_current_task_btf()->thread_info.status & TS_COMPAT);
}

/* bpf_guard.bpf.c: which map a descriptor is asked for. */
struct bpf_map {
	__u32 id;
};

/* network.bpf.c: the fmod_ret setsockopt program. */
struct sock_common {
	unsigned short skc_family;
};

struct sock {
	struct sock_common __sk_common;
	__u16 sk_protocol;
};

struct socket {
	short type;
	struct sock *sk;
};

#pragma clang attribute pop

#endif /* AIRGAPD_KERNEL_TYPES_H */
