/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Approved read-only media stay read-only, root included, where the kernel runs BPF LSM
 * programs. The daemon sets the read-only flag of every block device that reaches such a
 * medium (BLKROSET) and lists them in airgap_ro_dev; the kernel then refuses read-write
 * mounts, remounts and journal replay itself. What is left are the routes that need no
 * descriptor opened for writing (the device rule refuses those), each refused here:
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
 * Where these cannot load the daemon sets a cleared flag again on its tick and `airgapctl
 * doctor` names the routes this kernel cannot refuse. Scope first, as every LSM program.
 */

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
	struct airgap_event *e = deny_event(AIRGAP_KIND_DEV_READONLY);

	if (e) {
		fill_task(e);
		e->dev_major = dev >> 20;
		e->dev_minor = dev & 0xfffff;
		e->access = AIRGAP_ACC_WRITE;
		e->opt_level = route;
		e->opt_name = detail;
		bpf_ringbuf_submit(e, 0);
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

SEC("lsm/file_ioctl")
int BPF_PROG(airgap_lsm_ro_ioctl, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	struct sg_io_head h;
	struct inode *inode;
	__u32 dev, route;
	__u8 op;

	if (ret)
		return ret;
	/* Every ioctl on the machine comes here: the few that matter first, the scope after. */
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
	if (bpf_probe_read_user(&h, sizeof(h), (const void *)arg) || h.interface_id != 'S' ||
	    h.cmd_len == 0 || bpf_probe_read_user(&op, 1, (const void *)h.cmdp))
		return refuse(dev, route, 0x100);
	if (scsi_reads(op))
		return 0;
	return refuse(dev, route, op);
}

SEC("lsm/sb_mount")
int BPF_PROG(airgap_lsm_ro_remount, const char *dev_name, const struct path *path,
	     const char *type, unsigned long flags, void *data, int ret)
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
