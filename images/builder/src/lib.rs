//! The Vesper image builder: turns a manifest (`images/*.toml`, see
//! [`manifest`]) into a bootable image.
//!
//! [`build_image`] reads and validates the manifest, builds every domain
//! program for `aarch64-unknown-none` (position-independent, see
//! [`domains`]), places each domain's program in its memory slot and
//! relocates it ([`program`]), writes the kernel's image configuration as
//! Rust source ([`codegen`]), and compiles the kernel with it, turning the
//! kernel's ELF into the flat `kernel8.img` that the Raspberry Pi firmware
//! (and QEMU's `-kernel`) load at physical 0x80000 ([`flat`]).
//!
//! Used by `cargo xtask` and by the QEMU integration tests.

mod cargo;
pub mod codegen;
pub mod domains;
pub mod flat;
pub mod manifest;
pub mod program;
pub mod summary;

pub use cargo::{build_kernel, KernelImage, KernelVariant, IMAGE_CONFIG_ENV, KERNEL_TARGET};
pub use domains::DOMAIN_TARGET;
pub use manifest::Manifest;
pub use summary::Summary;

use anyhow::{ensure, Context, Result};
use program::PlacedProgram;
use std::path::{Path, PathBuf};
use vesper_abi::layout::slot_base;

/// A domain of a manifest with its program placed in its slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacedDomain {
    /// The domain as the manifest describes it.
    pub domain: manifest::Domain,
    /// Base of its slot (`vesper_abi::layout::slot_base` of its index).
    pub slot_base: u64,
    /// Its program, relocated to `slot_base + IMAGE_OFFSET`.
    pub program: PlacedProgram,
}

/// A built image.
#[derive(Clone, Debug)]
pub struct BuiltImage {
    /// The kernel with the image's domains compiled in.
    pub kernel: KernelImage,
    /// The generated `image_config.rs`.
    pub config: PathBuf,
    /// What the image holds, for printing.
    pub summary: Summary,
}

/// The folder the image called `name` is written to:
/// `<root>/target/images/<name>`.
pub fn image_dir(root: &Path, name: &str) -> PathBuf {
    root.join("target").join("images").join(name)
}

/// Builds the image that the manifest at `manifest` describes, in the
/// workspace at `root`: `target/images/<stem>/{kernel.elf,kernel8.img}`,
/// beside the generated `image_config.rs` and one `<domain>.bin` per domain.
pub fn build_image(root: &Path, manifest: &Path) -> Result<BuiltImage> {
    build_image_with_features(root, manifest, &[])
}

/// [`build_image`], with extra cargo features for the kernel (e.g. `bench`
/// for the benchmark image).
pub fn build_image_with_features(
    root: &Path,
    manifest: &Path,
    kernel_features: &[&str],
) -> Result<BuiltImage> {
    let packages = domains::domain_packages(root)?;
    let programs = domains::known_programs(&packages)?;
    let manifest = Manifest::load(manifest, &programs)?;
    check_image_name(&manifest.name)?;
    let programs_dir = domains::build_programs(root, &packages)?;
    let placed = place_domains(&manifest, &programs_dir)?;
    let config = codegen::write_image(&image_dir(root, &manifest.name), &manifest, &placed)?;
    let mut variant = KernelVariant::image(&manifest.name, &config);
    variant.features.extend(kernel_features.iter().map(|f| f.to_string()));
    let kernel = build_kernel(root, &variant)
        .with_context(|| format!("building the kernel of image {}", manifest.name))?;
    Ok(BuiltImage { kernel, config, summary: Summary::new(&manifest, &placed) })
}

/// Refuses image names whose output folders belong to the kernel variants
/// without domains ([`KernelVariant::qemu`], [`KernelVariant::qemu_selftest`]).
fn check_image_name(name: &str) -> Result<()> {
    ensure!(
        name != KernelVariant::qemu().name && !name.starts_with("selftest-"),
        "the image name {name:?} (the manifest's file stem) is used by a kernel variant \
         without domains: rename the manifest"
    );
    Ok(())
}

/// Places each domain of `manifest` in its slot (domain `i` in slot `i`),
/// reading the built programs from `programs_dir`.
pub fn place_domains(manifest: &Manifest, programs_dir: &Path) -> Result<Vec<PlacedDomain>> {
    manifest
        .domains
        .iter()
        .enumerate()
        .map(|(index, domain)| {
            let path = programs_dir.join(&domain.program);
            let elf =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let slot_base = slot_base(index);
            let program = program::place(&domain.program, &elf, slot_base).with_context(|| {
                format!("placing domain {:?} of {}", domain.name, manifest.path.display())
            })?;
            Ok(PlacedDomain { domain: domain.clone(), slot_base, program })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_names_are_not_image_names() {
        assert!(check_image_name("demo").is_ok());
        assert!(check_image_name("qemu-demo").is_ok());
        assert!(check_image_name("qemu").unwrap_err().to_string().contains("rename the manifest"));
        assert!(check_image_name(&KernelVariant::qemu_selftest("panic").name).is_err());
    }

    #[test]
    fn images_go_under_target_images() {
        assert_eq!(image_dir(Path::new("/ws"), "demo"), Path::new("/ws/target/images/demo"));
    }
}
