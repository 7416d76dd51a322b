//! The kernel's BTF and the object relocated against it, while a start loads programs.
//!
//! A start needs the kernel's BTF (`/sys/kernel/btf/vmlinux`, 4.6 MB, about 18 ms to read and
//! parse) for the object, the LSM, fmod_ret and guard programs and the probes, and the object's
//! CO-RE relocation (about 17 ms: aya-obj's candidate search walks every kernel type once per
//! struct the object names) for each program loaded outside aya (the fmod_ret ones). Both are
//! made once here, and [`release`] drops them once the start is done: their few MiB are not
//! kept for the daemon's life.
//!
//! [`prefetch`] makes them in a thread of their own while the start does other work: aya's
//! `EbpfLoader::new` parses the BTF once more by itself (it cannot be given one before it has)
//! and aya relocates its own copy of the object; on two CPUs the two halves overlap.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use aya::Btf;
use aya_obj::Object;

static KERNEL_BTF: Mutex<Option<Arc<Btf>>> = Mutex::new(None);
static RELOCATED: Mutex<Option<Arc<Object>>> = Mutex::new(None);
static PREFETCH: Mutex<Option<JoinHandle<()>>> = Mutex::new(None);

/// The kernel's BTF (parsed at the first call after a release).
pub(crate) fn kernel_btf() -> Result<Arc<Btf>, String> {
    // Held while parsing: a caller racing the prefetch waits for its parse, not a second one.
    let mut slot = KERNEL_BTF.lock().expect("kernel BTF lock");
    if let Some(btf) = &*slot {
        return Ok(btf.clone());
    }
    let btf = Arc::new(Btf::from_sys_fs().map_err(|e| format!("no kernel BTF ({e})"))?);
    *slot = Some(btf.clone());
    Ok(btf)
}

/// A copy of the embedded object with the kernel's BTF applied (CO-RE), every program in it.
pub(crate) fn relocated_object() -> Result<Object, String> {
    let mut slot = RELOCATED.lock().expect("relocated object lock");
    if let Some(obj) = &*slot {
        return Ok(Object::clone(obj));
    }
    let btf = kernel_btf()?;
    let mut obj = Object::parse(airgapd_ebpf::OBJECT).map_err(|e| format!("object: {e}"))?;
    obj.relocate_btf(&btf)
        .map_err(|e| format!("applying the kernel's BTF: {e}"))?;
    let obj = Arc::new(obj);
    *slot = Some(obj.clone());
    Ok(Object::clone(&obj))
}

/// Start making both in a thread of the daemon's (a service start, once its holder process is
/// forked: nothing forks while this runs). Errors are left for the callers, which meet them
/// again.
pub fn prefetch() {
    let mut slot = PREFETCH.lock().expect("prefetch lock");
    if slot.is_some() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("airgapd-btf".into())
        .spawn(|| {
            if kernel_btf().is_ok() {
                let _ = relocated_object();
            }
        });
    // Without the thread, each is made by its first caller.
    *slot = spawned.ok();
}

/// Forget both (every program of the start is loaded), and give the heap the start used (the
/// BTF, the object's sections and verifier buffers: some tens of MiB, freed but kept by the
/// allocator) back to the kernel.
pub fn release() {
    // A prefetch still running would fill the caches again after they were emptied.
    if let Some(thread) = PREFETCH.lock().expect("prefetch lock").take() {
        let _ = thread.join();
    }
    // glibc raises its trim threshold to twice the largest mapped block freed (the BTF's
    // 4.6 MB file buffer) and never trims a thread's arena below it, not even in
    // malloc_trim: the prefetch thread's arena kept about 0.6 MB of freed pages for the
    // daemon's life. Its default (128 KiB) while the start's memory is freed lets those frees
    // give the pages back; then a threshold as high as the one glibc had reached, so that the
    // steady state (the register's 1 MiB hashing buffer) is not trimmed and grown again per
    // file.
    // SAFETY: mallopt only changes the allocator's parameters.
    unsafe { libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 10) };
    KERNEL_BTF.lock().expect("kernel BTF lock").take();
    RELOCATED.lock().expect("relocated object lock").take();
    // SAFETY: malloc_trim only returns free memory at the heap's top and in free chunks.
    unsafe { libc::malloc_trim(0) };
    // SAFETY: as above.
    unsafe { libc::mallopt(libc::M_TRIM_THRESHOLD, 16 << 20) };
}
