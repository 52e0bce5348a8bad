//! Compiling the kernel with cargo and writing its images.

use crate::flat::flat_image;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The bare-metal target the kernel is built for: soft-float, so that the
/// kernel never touches the FP/SIMD registers, which belong to the domains
/// and are saved and restored only when the CPU changes hands.
pub const KERNEL_TARGET: &str = "aarch64-unknown-none-softfloat";

/// The environment variable through which the kernel's build script gets
/// the generated image configuration (see `kernel/build.rs`).
pub const IMAGE_CONFIG_ENV: &str = "VESPER_IMAGE_CONFIG";

/// One way of building the kernel: a name, the cargo features it enables
/// and the image configuration it is built with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelVariant {
    /// Names the output folders (`target/kernel/NAME`, `target/images/NAME`).
    pub name: String,
    /// Cargo features of `vesper-kernel` to enable.
    pub features: Vec<String>,
    /// The generated `image_config.rs` (domains and run time), passed to the
    /// kernel's build script in [`IMAGE_CONFIG_ENV`]; `None` builds a kernel
    /// without domains.
    pub config: Option<PathBuf>,
}

impl KernelVariant {
    /// The kernel that runs under QEMU and ends it with an exit code.
    pub fn qemu() -> Self {
        Self { name: "qemu".into(), features: vec!["semihosting".into()], config: None }
    }

    /// A QEMU kernel with one deliberate failure built in
    /// (`selftest-<name>`, see kernel/src/selftest.rs).
    pub fn qemu_selftest(name: &str) -> Self {
        Self {
            name: format!("selftest-{name}"),
            features: vec!["semihosting".into(), format!("selftest-{name}")],
            config: None,
        }
    }

    /// The QEMU kernel of the image `name`, whose domains `config` (an
    /// `image_config.rs` the builder generated) describes.
    pub fn image(name: &str, config: &Path) -> Self {
        Self::image_for(Machine::Qemu, name, config)
    }

    /// The kernel of the image `name` for `machine`. A physical board's
    /// kernel is built without the `semihosting` feature (semihosting traps
    /// on real hardware: the kernel halts instead of exiting) and lives in
    /// its own folders, `target/kernel/board/NAME` and
    /// `target/images/board/NAME`, so that it never overwrites the QEMU
    /// build of the same manifest.
    pub fn image_for(machine: Machine, name: &str, config: &Path) -> Self {
        let (name, features) = match machine {
            Machine::Qemu => (name.to_string(), vec!["semihosting".to_string()]),
            Machine::Board => (format!("{BOARD_PREFIX}{name}"), Vec::new()),
        };
        Self { name, features, config: Some(config.to_path_buf()) }
    }
}

/// What a kernel is built to run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Machine {
    /// QEMU `raspi3b`: ends the run through semihosting, with an exit code.
    Qemu,
    /// A physical Raspberry Pi 3: no semihosting; halts at the end.
    Board,
}

/// The folder prefix of board kernels (see [`KernelVariant::image_for`]).
const BOARD_PREFIX: &str = "board/";

/// A built kernel: the ELF (for debuggers and ELF boot) and the flat image.
#[derive(Clone, Debug)]
pub struct KernelImage {
    /// The linked kernel, with symbols.
    pub elf: PathBuf,
    /// The flat image for the firmware or `qemu -kernel`.
    pub flat: PathBuf,
}

/// Builds `variant` of the kernel in the workspace at `root` and writes
/// `target/images/<variant>/{kernel.elf,kernel8.img}`.
///
/// Each variant has its own cargo target directory, so that variants built
/// one after another (or by tests in parallel) do not overwrite each other.
pub fn build_kernel(root: &Path, variant: &KernelVariant) -> Result<KernelImage> {
    let target_dir = root.join("target").join("kernel").join(&variant.name);
    let mut cargo = cargo_command(root);
    cargo
        .args(["build", "--release", "--package", "vesper-kernel", "--target", KERNEL_TARGET])
        .arg("--features")
        .arg(variant.features.join(","))
        .arg("--target-dir")
        .arg(&target_dir);
    match &variant.config {
        Some(config) => cargo.env(IMAGE_CONFIG_ENV, config),
        // Whatever the caller's environment says, this variant has no domains.
        None => cargo.env_remove(IMAGE_CONFIG_ENV),
    };
    let status = cargo.status().context("could not run cargo to build the kernel")?;
    if !status.success() {
        bail!("building the kernel ({}) failed: {status}", variant.name);
    }

    let built = target_dir.join(KERNEL_TARGET).join("release").join("vesper-kernel");
    let elf_bytes =
        std::fs::read(&built).with_context(|| format!("reading {}", built.display()))?;
    let flat = flat_image(&elf_bytes).with_context(|| format!("converting {}", built.display()))?;

    let out_dir = root.join("target").join("images").join(&variant.name);
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let image = KernelImage { elf: out_dir.join("kernel.elf"), flat: out_dir.join("kernel8.img") };
    write_atomically(&image.elf, &elf_bytes)?;
    write_atomically(&image.flat, &flat)?;
    Ok(image)
}

/// Builds the serial chainloader (`chainloader/`) in the workspace at
/// `root` and writes its flat image, `target/images/chainloader/chainloader.img`;
/// returns that path.
pub fn build_chainloader(root: &Path) -> Result<PathBuf> {
    let target_dir = root.join("target").join("chainloader");
    let status = cargo_command(root)
        .args(["build", "--release", "--package", "vesper-chainloader", "--target", KERNEL_TARGET])
        .arg("--target-dir")
        .arg(&target_dir)
        .status()
        .context("could not run cargo to build the chainloader")?;
    if !status.success() {
        bail!("building the chainloader failed: {status}");
    }
    let built = target_dir.join(KERNEL_TARGET).join("release").join("vesper-chainloader");
    let elf = std::fs::read(&built).with_context(|| format!("reading {}", built.display()))?;
    let flat = flat_image(&elf).with_context(|| format!("converting {}", built.display()))?;
    let out_dir = root.join("target").join("images").join("chainloader");
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let image = out_dir.join(crate::config_txt::CHAINLOADER_FILE);
    write_atomically(&image, &flat)?;
    Ok(image)
}

/// `cargo`, as the running cargo names it (`$CARGO`), in the workspace at
/// `root`.
pub(crate) fn cargo_command(root: &Path) -> Command {
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo.current_dir(root);
    cargo
}

/// Writes `bytes` to `path` unless it already holds exactly them, so that
/// an unchanged input does not make cargo rebuild what depends on it.
pub(crate) fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    write_atomically(path, bytes)
}

/// Writes through a temporary file and a rename, so that a reader (say, a
/// test booting the previous build) never sees half a file.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    // Unique per call: threads of one process (tests) may write the same
    // file at once.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn board_kernels_have_no_semihosting_and_their_own_folders() {
        let config = Path::new("/ws/target/images/demo/image_config.rs");
        let qemu = KernelVariant::image_for(Machine::Qemu, "demo", config);
        assert_eq!(qemu, KernelVariant::image("demo", config));
        assert_eq!(
            (qemu.name.as_str(), qemu.features.as_slice()),
            ("demo", &["semihosting".to_string()][..])
        );
        let board = KernelVariant::image_for(Machine::Board, "demo", config);
        assert_eq!(board.name, "board/demo");
        assert!(board.features.is_empty());
        assert_eq!(board.config.as_deref(), Some(config));
        assert!(KernelVariant::qemu_selftest("panic").features.contains(&"selftest-panic".into()));
    }
}
