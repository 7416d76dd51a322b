/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The few kernel types the programs read, written by hand rather than taken from a
 * 135,000-line vmlinux.h. Each lists only the members read, under their kernel names: with
 * preserve_access_index clang records every access as a CO-RE relocation by name, and the
 * loader rewrites the offset to this kernel's layout from its BTF (/sys/kernel/btf/vmlinux).
 * A member that does not exist on a kernel makes the load fail, so a layout change can never
 * make a program read the wrong bytes.
 */
#ifndef AIRGAPD_KERNEL_TYPES_H
#define AIRGAPD_KERNEL_TYPES_H

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

/* devices.bpf.c: kernel threads (kdevtmpfs making /dev nodes, kworkers reading partition
 * tables) are the kernel's own work, not a task's choice. */
struct task_struct {
	unsigned int flags; /* PF_KTHREAD */
};

#pragma clang attribute pop

#endif /* AIRGAPD_KERNEL_TYPES_H */
