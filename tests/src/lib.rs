//! Helpers for the QEMU integration tests: build a kernel variant or the
//! image of a manifest once per test process, boot it under icount, and
//! assert on what it printed. Every failed assertion shows the guest's whole
//! serial output.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use vesper_builder::{build_image, build_kernel, KernelImage, KernelVariant};
use xtask::qemu::{Boot, Exit, Outcome};

pub use xtask::qemu::Exit as QemuExit;

/// Wall-clock limit for one boot: a safety net against hung guests only.
const BOOT_TIMEOUT: Duration = Duration::from_secs(60);

/// Builds `variant` once per test process and returns its images.
pub fn image(variant: &KernelVariant) -> KernelImage {
    static BUILT: OnceLock<Mutex<HashMap<String, KernelImage>>> = OnceLock::new();
    let mut built = BUILT.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    built
        .entry(variant.name.clone())
        .or_insert_with(|| {
            build_kernel(&xtask::workspace_root(), variant)
                .unwrap_or_else(|err| panic!("building {}: {err:#}", variant.name))
        })
        .clone()
}

/// Builds the image of the manifest at `path` (relative paths start at the
/// workspace root: `images/demo.toml`, `tests/manifests/NAME.toml`) once per
/// test process and returns its kernel.
pub fn manifest_image(path: &Path) -> KernelImage {
    static BUILT: OnceLock<Mutex<HashMap<PathBuf, KernelImage>>> = OnceLock::new();
    let root = xtask::workspace_root();
    let path = root.join(path);
    let mut built = BUILT.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    built
        .entry(path.clone())
        .or_insert_with(|| {
            build_image(&root, &path)
                .unwrap_or_else(|err| panic!("building {}: {err:#}", path.display()))
                .kernel
        })
        .clone()
}

/// A finished boot, with assertions that print the serial output on failure.
pub struct Run {
    /// What QEMU reported.
    pub outcome: Outcome,
    kernel: PathBuf,
}

/// Boots `kernel` (a flat image or an ELF) in QEMU and waits for it to end.
pub fn boot(kernel: impl Into<PathBuf>) -> Run {
    xtask::setup::ensure_qemu().expect("QEMU is needed for the boot tests");
    let kernel = kernel.into();
    let outcome = Boot::new(&kernel)
        .run_captured(BOOT_TIMEOUT)
        .unwrap_or_else(|err| panic!("booting {}: {err:#}", kernel.display()));
    Run { outcome, kernel }
}

impl Run {
    /// The guest's serial output.
    pub fn serial(&self) -> &str {
        &self.outcome.serial
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "{what}\n--- booted {} ---\n--- QEMU: {:?} ---\n--- serial output ---\n{}\n--- QEMU stderr ---\n{}",
            self.kernel.display(),
            self.outcome.exit,
            self.outcome.serial,
            self.outcome.stderr
        )
    }

    /// Asserts that QEMU exited with `code`.
    pub fn assert_exit(&self, code: i32) -> &Self {
        if self.outcome.exit != Exit::Code(code) {
            self.fail(&format!("expected exit code {code}"));
        }
        self
    }

    /// Asserts that the serial output contains `needle`.
    pub fn assert_contains(&self, needle: &str) -> &Self {
        if !self.serial().contains(needle) {
            self.fail(&format!("expected the serial output to contain {needle:?}"));
        }
        self
    }

    /// Asserts that the serial output does not contain `needle`.
    pub fn assert_lacks(&self, needle: &str) -> &Self {
        if self.serial().contains(needle) {
            self.fail(&format!("expected the serial output not to contain {needle:?}"));
        }
        self
    }
}
