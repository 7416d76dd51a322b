/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Approved read-only media stay read-only, root included, where the kernel runs BPF LSM
 * programs or BPF trampolines (fmod_ret, at the end of this file). The daemon sets the
 * read-only flag of every block device that reaches such a medium (BLKROSET) and lists them
 * in airgap_ro_dev; the kernel then refuses read-write mounts, remounts and journal replay
 * itself. What is left are the routes that need no descriptor opened for writing (the device
 * rule refuses those), each refused here:
 *
 *  - file_ioctl BLKROSET: clearing the flag takes only CAP_SYS_ADMIN and a read-only
 *    descriptor;
 *  - file_ioctl SG_IO with a SCSI command that is not a read: with CAP_SYS_RAWIO the block
 *    layer passes any command on a read-only descriptor, and a WRITE(10) never meets the
 *    flag; so do SCSI_IOCTL_SEND_COMMAND, HDIO_DRIVE_* and CDROM_SEND_PACKET (refused whole);
 *  - file_ioctl BLKPG, BLKRRPART: partitions made anew come with their flag clear;
 *  - sb_mount with MS_REMOUNT and without MS_RDONLY on such a filesystem: refused by the
 *    kernel already while the flag is set, refused and recorded here as well.
 *
 * Where neither can load the daemon sets a cleared flag again on its tick and `airgapctl
 * doctor` names the routes this kernel cannot refuse. Scope first, as every LSM program.
 */

#include "kernel_types.h"

#define BLKROSET 0x125d
#define BLKRRPART 0x125f
#define BLKPG 0x1269
#define SG_IO 0x2285
#define SCSI_IOCTL_SEND_COMMAND 1
#define HDIO_DRIVE_TASKFILE 0x031d
#define HDIO_DRIVE_TASK 0x031e
#define HDIO_DRIVE_CMD 0x031f
#define CDROM_SEND_PACKET 0x5393
#define S_IFMT 00170000
#define S_IFBLK 0060000
#define MS_RDONLY 1
#define MS_REMOUNT 32
#define MS_BIND 4096

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, AIRGAP_RO_DEV_ENTRIES);
	__type(key, __u32);
	__type(value, __u32);
} airgap_ro_dev SEC(".maps");

/* The head of struct sg_io_hdr (scsi/sg.h), as user space passes it to SG_IO. */
struct sg_io_head {
	__s32 interface_id; /* 'S' */
	__s32 dxfer_direction;
	__u8 cmd_len;
	__u8 mx_sb_len;
	__u16 iovec_count;
	__u32 dxfer_len;
	__u64 dxferp;
	__u64 cmdp;
};

static __always_inline int refuse(__u32 dev, __u32 route, __u32 detail)
{
	struct airgap_event ev, *e = deny_begin(&ev, AIRGAP_KIND_DEV_READONLY);

	if (e) {
		fill_task(e);
		e->dev_major = dev >> 20;
		e->dev_minor = dev & 0xfffff;
		e->access = AIRGAP_ACC_WRITE;
		e->opt_level = route;
		e->opt_name = detail;
		if (in_compat_syscall())
			e->flags |= AIRGAP_EVENT_COMPAT;
		deny_send(e);
	}
	return -EPERM;
}

/* SCSI commands that only read or ask (what the kernel lets a read-only descriptor send
 * without CAP_SYS_RAWIO, and the medium-removal ones udisks uses to eject). */
static __always_inline int scsi_reads(__u8 op)
{
	switch (op) {
	case 0x00: /* TEST UNIT READY */
	case 0x03: /* REQUEST SENSE */
	case 0x08: /* READ(6) */
	case 0x12: /* INQUIRY */
	case 0x1a: /* MODE SENSE(6) */
	case 0x1b: /* START STOP UNIT (eject) */
	case 0x1e: /* PREVENT ALLOW MEDIUM REMOVAL */
	case 0x23: /* READ FORMAT CAPACITIES */
	case 0x25: /* READ CAPACITY(10) */
	case 0x28: /* READ(10) */
	case 0x43: /* READ TOC */
	case 0x46: /* GET CONFIGURATION */
	case 0x4a: /* GET EVENT STATUS NOTIFICATION */
	case 0x4d: /* LOG SENSE */
	case 0x51: /* READ DISC INFORMATION */
	case 0x5a: /* MODE SENSE(10) */
	case 0x88: /* READ(16) */
	case 0x9e: /* SERVICE ACTION IN(16): READ CAPACITY(16) */
	case 0xa0: /* REPORT LUNS */
	case 0xa8: /* READ(12) */
		return 1;
	}
	return 0;
}

/* The head of struct compat_sg_io_hdr: the same, with 32-bit pointers. */
struct sg_io_head32 {
	__s32 interface_id;
	__s32 dxfer_direction;
	__u8 cmd_len;
	__u8 mx_sb_len;
	__u16 iovec_count;
	__u32 dxfer_len;
	__u32 dxferp;
	__u32 cmdp;
};

/* The SCSI command's address of an SG_IO header, in the layout of the calling entry: a 32-bit
 * caller's header has 32-bit pointers, and reading it as the 64-bit one would take the
 * command from the fields after cmdp, which the caller also chooses. 0: unreadable. */
static __always_inline __u64 sg_io_cmdp(unsigned long arg)
{
	struct sg_io_head32 h32;
	struct sg_io_head h;

	if (in_compat_syscall()) {
		if (bpf_probe_read_user(&h32, sizeof(h32), (const void *)arg) ||
		    h32.interface_id != 'S' || h32.cmd_len == 0)
			return 0;
		return h32.cmdp;
	}
	if (bpf_probe_read_user(&h, sizeof(h), (const void *)arg) || h.interface_id != 'S' ||
	    h.cmd_len == 0)
		return 0;
	return h.cmdp;
}

static __always_inline int ro_ioctl_refused(struct file *file, unsigned int cmd,
					    unsigned long arg, int ret)
{
	struct inode *inode;
	__u32 dev, route;
	__u64 cmdp;
	__u8 op;

	if (ret)
		return ret;
	/* Every ioctl on the machine comes here: the few that matter first, the scope after.
	 * The numbers are the same through the 32-bit entry. */
	switch (cmd) {
	case BLKROSET:
		route = AIRGAP_RO_ROSET;
		break;
	case SG_IO:
		route = AIRGAP_RO_SG_IO;
		break;
	case BLKPG:
	case BLKRRPART:
		route = AIRGAP_RO_PARTS;
		break;
	case SCSI_IOCTL_SEND_COMMAND:
	case HDIO_DRIVE_TASKFILE:
	case HDIO_DRIVE_TASK:
	case HDIO_DRIVE_CMD:
	case CDROM_SEND_PACKET:
		route = AIRGAP_RO_RAW_CMD;
		break;
	default:
		return 0;
	}
	if (!in_scope() || !file)
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFBLK)
		return 0;
	dev = BPF_CORE_READ(inode, i_rdev);
	if (!bpf_map_lookup_elem(&airgap_ro_dev, &dev))
		return 0;
	if (route != AIRGAP_RO_SG_IO)
		return refuse(dev, route, cmd);
	/* A command that cannot be read is refused, never guessed. */
	cmdp = sg_io_cmdp(arg);
	if (!cmdp || bpf_probe_read_user(&op, 1, (const void *)cmdp))
		return refuse(dev, route, 0x100);
	if (scsi_reads(op))
		return 0;
	return refuse(dev, route, op);
}

static __always_inline int ro_remount_refused(const struct path *path, unsigned long flags,
					      int ret)
{
	__u32 dev;

	if (ret)
		return ret;
	/* A bind remount changes one mount's flags, never the filesystem's. */
	if (!(flags & MS_REMOUNT) || (flags & (MS_RDONLY | MS_BIND)))
		return 0;
	if (!in_scope() || !path)
		return 0;
	dev = BPF_CORE_READ(path, mnt, mnt_sb, s_dev);
	if (!bpf_map_lookup_elem(&airgap_ro_dev, &dev))
		return 0;
	return refuse(dev, AIRGAP_RO_REMOUNT, (__u32)flags);
}

SEC("lsm/file_ioctl")
int BPF_PROG(airgap_lsm_ro_ioctl, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	return ro_ioctl_refused(file, cmd, arg, ret);
}

SEC("lsm/sb_mount")
int BPF_PROG(airgap_lsm_ro_remount, const char *dev_name, const struct path *path,
	     const char *type, unsigned long flags, void *data, int ret)
{
	return ro_remount_refused(path, flags, ret);
}

/*
 * The same judgements as fmod_ret programs on the security_* functions themselves, which the
 * verifier allows whether or not BPF LSM is in the kernel's active list (network.bpf.c's
 * compat program says why): where the LSM programs cannot load (Debian's default `lsm=`), these
 * refuse instead of the daemon's tick undoing a cleared flag after the fact and SG_IO writes
 * going unseen. The daemon loads them itself (daemon/src/network/compat.rs), never aya (hence
 * the fentry sections).
 *
 * security_file_ioctl_compat (Linux 6.8, and the stable kernels it was backported to) is where
 * a 32-bit process's ioctl goes instead of security_file_ioctl: neither the LSM program above
 * nor the native fmod_ret one sees it. Its program is attached on every kernel that has the
 * function, BPF LSM or not. On kernels without it the 32-bit calls reach file_ioctl, whose
 * judgement reads an SG_IO header in the caller's layout for that reason.
 */
SEC("fentry/security_file_ioctl")
int BPF_PROG(airgap_fmod_ro_ioctl, struct file *file, unsigned int cmd, unsigned long arg,
	     int ret)
{
	return ro_ioctl_refused(file, cmd, arg, ret);
}

SEC("fentry/security_file_ioctl_compat")
int BPF_PROG(airgap_fmod_ro_ioctl_compat, struct file *file, unsigned int cmd,
	     unsigned long arg, int ret)
{
	return ro_ioctl_refused(file, cmd, arg, ret);
}

SEC("fentry/security_sb_mount")
int BPF_PROG(airgap_fmod_ro_remount, const char *dev_name, const struct path *path,
	     const char *type, unsigned long flags, void *data, int ret)
{
	return ro_remount_refused(path, flags, ret);
}
