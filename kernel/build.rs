//! Passes the kernel's linker script to the linker when building for the
//! board, and brings in the image configuration the image builder generated
//! (the domains, their memory and reservations: see `src/domain/config.rs`).

use std::path::PathBuf;

/// Names the generated configuration file; unset means an image with no
/// domains.
const CONFIG_ENV: &str = "VESPER_IMAGE_CONFIG";

/// The configuration of an image without domains.
const EMPTY_CONFIG: &str = "\
/// This image was built without a manifest.
pub const IMAGE_NAME: &str = \"kernel-only\";
/// Run until halted.
pub const RUN_FOR_NS: Option<u64> = None;
/// No domains, so no switches to charge.
pub const SWITCH_COST_NS: u64 = 0;
/// No board limit: only a period of 0 is refused.
pub const MIN_PERIOD_NS: u64 = 1;
/// No board limit: only a slice of 0 is refused.
pub const MIN_SLICE_NS: u64 = 1;
/// No domains.
pub static DOMAINS: &[DomainConfig] = &[];
/// No shared regions or devices.
pub static REGIONS: &[RegionConfig] = &[];
/// No channels.
pub static CHANNELS: &[ChannelConfig] = &[];
/// No interrupts delivered to domains.
pub static IRQS: &[IrqConfig] = &[];
";

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
        Err(_) => EMPTY_CONFIG.to_string(),
    };
    std::fs::write(out.join("image_config.rs"), config).expect("writing OUT_DIR/image_config.rs");
}
