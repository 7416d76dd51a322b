//! The one build step for airgapd's BPF side, called from `ebpf/build.rs`.
//!
//! It compiles the C programs with clang for the BPF target and generates the Rust mirror of the
//! shared ABI header with bindgen, so every struct and constant is written once, in C.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Compilers tried in order when `CLANG` is not set: Debian's versioned name first.
const CLANGS: &[&str] = &["clang-19", "clang"];

/// Build `src/airgapd.bpf.c` into `$OUT_DIR/airgapd.bpf.o` and `include/airgapd_abi.h` into
/// `$OUT_DIR/abi.rs`. Panics with the failing command on error: this runs inside a build script.
pub fn build() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let include = manifest.join("include");
    let src = manifest.join("src");

    for dir in [&include, &src] {
        rerun_for_sources(dir);
    }
    println!("cargo:rerun-if-env-changed=CLANG");

    compile(
        &src.join("airgapd.bpf.c"),
        &include,
        &out.join("airgapd.bpf.o"),
    );
    generate_abi(&include.join("airgapd_abi.h"), &out.join("abi.rs"));
}

fn rerun_for_sources(dir: &Path) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if matches!(path.extension().and_then(|e| e.to_str()), Some("c" | "h")) {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}

fn clang() -> String {
    if let Ok(c) = env::var("CLANG") {
        return c;
    }
    for c in CLANGS {
        if Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return (*c).to_string();
        }
    }
    panic!(
        "no clang found (tried {CLANGS:?}; set CLANG=...). On Debian: \
         apt-get install clang-19 llvm-19 libbpf-dev linux-libc-dev"
    );
}

/// `__TARGET_ARCH_*` for bpf_tracing.h and the multiarch include dir holding `asm/types.h`.
fn target_arch() -> (&'static str, &'static str) {
    match env::var("CARGO_CFG_TARGET_ARCH").as_deref() {
        Ok("x86_64") => ("x86", "/usr/include/x86_64-linux-gnu"),
        Ok("aarch64") => ("arm64", "/usr/include/aarch64-linux-gnu"),
        other => panic!("airgapd's BPF programs are not set up for target arch {other:?}"),
    }
}

fn compile(source: &Path, include: &Path, object: &Path) {
    let (arch, multiarch) = target_arch();
    let mut cmd = Command::new(clang());
    cmd.args(["-target", "bpf", "-O2", "-g", "-Wall", "-Werror"])
        .arg(format!("-D__TARGET_ARCH_{arch}"))
        .arg("-I")
        .arg(include)
        .arg("-idirafter")
        .arg(multiarch)
        .arg("-c")
        .arg(source)
        .arg("-o")
        .arg(object);
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    if !output.status.success() {
        panic!(
            "compiling {} failed\ncommand: {cmd:?}\n{}",
            source.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

fn generate_abi(header: &Path, out: &Path) {
    let bindings = bindgen::Builder::default()
        .header(header.to_string_lossy())
        .allowlist_item("(airgap|AIRGAP)_.*")
        .prepend_enum_name(false)
        .derive_default(true)
        .derive_eq(true)
        .layout_tests(true)
        .use_core()
        .generate()
        .unwrap_or_else(|e| panic!("bindgen on {}: {e}", header.display()));
    bindings
        .write_to_file(out)
        .unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}
