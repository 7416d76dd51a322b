//! System calls through the 32-bit compat entry (`int 0x80`) from a 64-bit test program: the
//! entry an i386 binary uses, where the kernel runs no `cgroup/setsockopt` program.

use std::io;

/// setsockopt on i386 (arch/x86/entry/syscalls/syscall_32.tbl).
const NR32_SETSOCKOPT: u32 = 366;
/// ioctl on i386.
const NR32_IOCTL: u32 = 54;

/// A private page below 4 GiB (MAP_32BIT): the compat entry takes 32-bit pointers.
pub struct LowPage(*mut libc::c_void);

impl LowPage {
    pub fn new() -> io::Result<LowPage> {
        // SAFETY: a fresh private anonymous page, unmapped on drop.
        let page = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_32BIT,
                -1,
                0,
            )
        };
        if page == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let addr = page as u64;
        assert!(addr < 1 << 32, "MAP_32BIT gave {addr:#x}");
        Ok(LowPage(page))
    }

    /// The 32-bit address of byte `offset` of the page.
    pub fn addr(&self, offset: usize) -> u32 {
        assert!(offset < 4096);
        (self.0 as u64 + offset as u64) as u32
    }

    /// Copy `bytes` into the page at `offset`.
    pub fn write(&self, offset: usize, bytes: &[u8]) {
        assert!(offset + bytes.len() <= 4096);
        // SAFETY: within the page, which is ours and writable.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                self.0.cast::<u8>().add(offset),
                bytes.len(),
            )
        };
    }
}

impl Drop for LowPage {
    fn drop(&mut self) {
        // SAFETY: the page mapped in `new`.
        unsafe { libc::munmap(self.0, 4096) };
    }
}

/// One system call through `int 0x80` with up to five 32-bit arguments; the kernel's answer.
fn int80(nr: u32, a: [u32; 5]) -> io::Result<i32> {
    let ret: u64;
    // SAFETY: int 0x80 with the i386 calling convention: eax = number, ebx, ecx, edx, esi, edi =
    // arguments. rbx is reserved by LLVM, so the first argument goes through a scratch register
    // swapped in and out. The kernel clobbers r8-r11 on this entry. Pointer arguments point
    // below 4 GiB (LowPage).
    unsafe {
        std::arch::asm!(
            "xchg {b}, rbx",
            "int 0x80",
            "xchg {b}, rbx",
            b = inout(reg) u64::from(a[0]) => _,
            inlateout("rax") u64::from(nr) => ret,
            in("rcx") u64::from(a[1]),
            in("rdx") u64::from(a[2]),
            in("rsi") u64::from(a[3]),
            in("rdi") u64::from(a[4]),
            out("r8") _,
            out("r9") _,
            out("r10") _,
            out("r11") _,
        );
    }
    let ret = ret as u32 as i32;
    if ret < 0 {
        Err(io::Error::from_raw_os_error(-ret))
    } else {
        Ok(ret)
    }
}

/// setsockopt(fd, level, name, &value, 4) through `int 0x80`.
pub fn setsockopt_int(fd: i32, level: i32, name: i32, value: i32) -> io::Result<()> {
    let page = LowPage::new()?;
    page.write(0, &value.to_ne_bytes());
    int80(
        NR32_SETSOCKOPT,
        [fd as u32, level as u32, name as u32, page.addr(0), 4],
    )
    .map(drop)
}

/// ioctl(fd, cmd, arg) through `int 0x80`: the 32-bit process's ioctl, which Linux 6.8 and
/// later judge in `security_file_ioctl_compat`, not `security_file_ioctl`.
pub fn ioctl(fd: i32, cmd: u32, arg: u32) -> io::Result<i32> {
    int80(NR32_IOCTL, [fd as u32, cmd, arg, 0, 0])
}

/// BLKROSET(value) through `int 0x80`: clear (0) or set a block device's read-only flag.
pub fn blkroset(fd: i32, value: i32) -> io::Result<()> {
    const BLKROSET: u32 = 0x125d;
    let page = LowPage::new()?;
    page.write(0, &value.to_ne_bytes());
    ioctl(fd, BLKROSET, page.addr(0)).map(drop)
}

/// SG_IO through `int 0x80`: a SCSI WRITE(10) of one zero block at LBA 0, in the 32-bit header
/// layout (`struct compat_sg_io_hdr`: 32-bit pointers, `cmdp` at offset 20). Its `sbp` and
/// `timeout` (offsets 24-31), read as the 64-bit header's `cmdp`, make the address of a
/// READ(10): a judge that read a 32-bit caller's header in the 64-bit layout would let the
/// write pass as a read.
pub fn sg_io_write(fd: i32) -> io::Result<()> {
    const SG_IO: u32 = 0x2285;
    const SG_DXFER_TO_DEV: i32 = -2;
    let page = LowPage::new()?;
    let (write10, read10, data) = (128, 160, 512);
    page.write(write10, &[0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    page.write(read10, &[0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    let mut h = [0u8; 64];
    h[0..4].copy_from_slice(&i32::from(b'S').to_ne_bytes());
    h[4..8].copy_from_slice(&SG_DXFER_TO_DEV.to_ne_bytes());
    h[8] = 10; // cmd_len
    h[9] = 0; // mx_sb_len: no sense data wanted (sbp is the decoy)
    h[12..16].copy_from_slice(&512u32.to_ne_bytes()); // dxfer_len
    h[16..20].copy_from_slice(&page.addr(data).to_ne_bytes()); // dxferp
    h[20..24].copy_from_slice(&page.addr(write10).to_ne_bytes()); // cmdp
    h[24..28].copy_from_slice(&page.addr(read10).to_ne_bytes()); // sbp
    h[28..32].copy_from_slice(&0u32.to_ne_bytes()); // timeout: the default
    page.write(0, &h);
    ioctl(fd, SG_IO, page.addr(0))?;
    // The header's status bytes (offsets 44-51): a command the device refused is not "ok".
    let mut status = [0u8; 8];
    // SAFETY: the page is ours; the kernel wrote the header back into it.
    unsafe { std::ptr::copy_nonoverlapping((page.0 as *const u8).add(44), status.as_mut_ptr(), 8) };
    if status.iter().any(|&b| b != 0) {
        return Err(io::Error::other(format!("SCSI status bytes {status:?}")));
    }
    Ok(())
}
