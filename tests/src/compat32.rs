//! System calls through the 32-bit compat entry (`int 0x80`) from a 64-bit test program: the
//! entry an i386 binary uses, where the kernel runs no `cgroup/setsockopt` program.

use std::io;

/// setsockopt on i386 (arch/x86/entry/syscalls/syscall_32.tbl).
const NR32_SETSOCKOPT: u32 = 366;

/// setsockopt(fd, level, name, &value, 4) through `int 0x80`. The compat entry takes 32-bit
/// pointers, so the value sits in a page mapped below 4 GiB (MAP_32BIT).
pub fn setsockopt_int(fd: i32, level: i32, name: i32, value: i32) -> io::Result<()> {
    // SAFETY: a fresh private anonymous page; unmapped below.
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
    // SAFETY: the page is ours and at least 4 bytes long.
    unsafe { page.cast::<i32>().write(value) };
    let addr = page as u64;
    assert!(addr < 1 << 32, "MAP_32BIT gave {addr:#x}");
    let ret: u64;
    // SAFETY: int 0x80 with the i386 calling convention: eax = number, ebx, ecx, edx, esi, edi =
    // arguments. rbx is reserved by LLVM, so the fd goes through a scratch register swapped in
    // and out. The kernel clobbers r8-r11 on this entry.
    unsafe {
        std::arch::asm!(
            "xchg {b}, rbx",
            "int 0x80",
            "xchg {b}, rbx",
            b = inout(reg) fd as u64 => _,
            inlateout("rax") u64::from(NR32_SETSOCKOPT) => ret,
            in("rcx") level as u32 as u64,
            in("rdx") name as u32 as u64,
            in("rsi") addr,
            in("rdi") 4u64,
            out("r8") _,
            out("r9") _,
            out("r10") _,
            out("r11") _,
        );
    }
    // SAFETY: the page mapped above.
    unsafe { libc::munmap(page, 4096) };
    let ret = ret as u32 as i32;
    if ret < 0 {
        Err(io::Error::from_raw_os_error(-ret))
    } else {
        Ok(())
    }
}
