//! Passes the kernel's linker script to the linker when building for the
//! board, and brings in the image configuration the image builder generated
//! (the domains, their memory and reservations: see `src/domain/config.rs`).

use std::path::PathBuf;

/// Names the generated configuration file; unset means an image with no
/// domains.
const CONFIG_ENV: &str = "VESPER_IMAGE_CONFIG";

/// The configuration of an image without domains: the image builder's
/// rendering of `vesper_abi::image::ImageConfig::KERNEL_ONLY`, which a test
/// of the builder keeps current (`VESPER_BLESS=1 cargo test -p
/// vesper-builder kernel_only` rewrites it).
const KERNEL_ONLY_CONFIG: &str = include_str!("image_config.kernel-only.rs");

fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    println!("cargo:rerun-if-changed=link.ld");
    // Host builds are the unit tests of the kernel's pure logic: no script.
    if target.starts_with("aarch64-unknown-none") {
        println!("cargo:rustc-link-arg-bins=-T{manifest_dir}/link.ld");
    }

    println!("cargo:rerun-if-env-changed={CONFIG_ENV}");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let config = match std::env::var(CONFIG_ENV) {
        Ok(path) => {
            println!("cargo:rerun-if-changed={path}");
            std::fs::read_to_string(&path)
                .unwrap_or_else(|err| panic!("{CONFIG_ENV}={path}: cannot read it: {err}"))
        }
        Err(_) => KERNEL_ONLY_CONFIG.to_string(),
    };
    std::fs::write(out.join("image_config.rs"), config).expect("writing OUT_DIR/image_config.rs");
}
