//! Helpers for the QEMU integration tests: build a kernel variant or the
//! image of a manifest once per test process, boot it under icount, and
//! assert on what it printed. Every failed assertion shows the guest's whole
//! serial output.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use vesper_abi::console::{origin, Origin, StatsLine};
use vesper_builder::{
    build_image_for, build_kernel, BuiltImage, KernelImage, KernelVariant, Machine,
};
use xtask::qemu::{Boot, Exit, Outcome};

pub use xtask::qemu::{Conversation, Exit as QemuExit};

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
/// workspace root: `images/demo.toml`, `tests/manifests/NAME.toml`) for
/// `machine` once per test process.
pub fn built_image(path: &Path, machine: Machine) -> BuiltImage {
    static BUILT: OnceLock<Mutex<HashMap<(PathBuf, Machine), BuiltImage>>> = OnceLock::new();
    let root = xtask::workspace_root();
    let path = root.join(path);
    let mut built = BUILT.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    built
        .entry((path.clone(), machine))
        .or_insert_with(|| {
            build_image_for(&root, &path, machine)
                .unwrap_or_else(|err| panic!("building {}: {err:#}", path.display()))
        })
        .clone()
}

/// The QEMU kernel of the manifest at `path` (see [`built_image`]).
pub fn manifest_image(path: &Path) -> KernelImage {
    built_image(path, Machine::Qemu).kernel
}

/// A finished boot, with assertions that print the serial output on failure.
pub struct Run {
    /// What QEMU reported.
    pub outcome: Outcome,
    kernel: PathBuf,
}

/// Boots `kernel` (a flat image or an ELF) in QEMU and waits for it to end.
pub fn boot(kernel: impl Into<PathBuf>) -> Run {
    boot_with(kernel, &[], BOOT_TIMEOUT)
}

/// Boots `kernel` in QEMU with `extra_args` (such as an SD card `-drive`)
/// and waits for it to end, killing QEMU after `timeout`.
pub fn boot_with(kernel: impl Into<PathBuf>, extra_args: &[&str], timeout: Duration) -> Run {
    xtask::setup::ensure_qemu().expect("QEMU is needed for the boot tests");
    let kernel = kernel.into();
    let mut boot = Boot::new(&kernel);
    boot.extra_args = extra_args.iter().map(|arg| arg.to_string()).collect();
    let outcome = boot
        .run_captured(timeout)
        .unwrap_or_else(|err| panic!("booting {}: {err:#}", kernel.display()));
    Run { outcome, kernel }
}

/// Boots the image built from manifest `path`, with the kernel's console
/// on the UART the manifest names, and waits for it to end.
pub fn boot_manifest(path: &Path) -> Run {
    boot_manifest_with_input(path, None)
}

/// [`boot_manifest`], typing `input` on the PL011 from the start (when a
/// driver domain owns it; else on the kernel's console).
pub fn boot_manifest_with_input(path: &Path, input: Option<&[u8]>) -> Run {
    xtask::setup::ensure_qemu().expect("QEMU is needed for the boot tests");
    let image = built_image(path, Machine::Qemu);
    let mut boot = Boot::new(&image.kernel.flat);
    boot.input = input.map(<[u8]>::to_vec);
    let outcome = boot
        .run_captured(BOOT_TIMEOUT)
        .unwrap_or_else(|err| panic!("booting {}: {err:#}", image.kernel.flat.display()));
    Run { outcome, kernel: image.kernel.flat }
}

/// Boots the image built from manifest `path` holding `conversation` on
/// the PL011 (the host answers the guest's prompts), until the guest says
/// what the conversation waits for or the run ends by itself.
pub fn boot_manifest_conversing(path: &Path, conversation: Conversation) -> Run {
    xtask::setup::ensure_qemu().expect("QEMU is needed for the boot tests");
    let image = built_image(path, Machine::Qemu);
    let mut boot = Boot::new(&image.kernel.flat);
    boot.conversation = Some(conversation);
    let outcome = boot
        .run_captured(BOOT_TIMEOUT)
        .unwrap_or_else(|err| panic!("booting {}: {err:#}", image.kernel.flat.display()));
    Run { outcome, kernel: image.kernel.flat }
}

/// [`boot_manifest_with_input`] with `extra_args` for QEMU (such as an SD
/// card's `-drive`).
pub fn boot_manifest_with(path: &Path, input: Option<&[u8]>, extra_args: &[&str]) -> Run {
    xtask::setup::ensure_qemu().expect("QEMU is needed for the boot tests");
    let image = built_image(path, Machine::Qemu);
    let mut boot = Boot::new(&image.kernel.flat);
    boot.input = input.map(<[u8]>::to_vec);
    boot.extra_args = extra_args.iter().map(|arg| arg.to_string()).collect();
    let outcome = boot
        .run_captured(BOOT_TIMEOUT)
        .unwrap_or_else(|err| panic!("booting {}: {err:#}", image.kernel.flat.display()));
    Run { outcome, kernel: image.kernel.flat }
}

/// The files in the root folder of the first partition of the card image
/// at `card` (a card made by `cargo xtask sdcard`: one FAT32 partition
/// from 4 MiB to the end), read with mbrman and fatfs, after checking the
/// partition table.
pub fn read_card(card: &Path) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut file = std::fs::File::options().read(true).write(true).open(card).unwrap();
    let size = file.metadata().unwrap().len();
    let mbr = mbrman::MBR::read_from(&mut file, 512).unwrap();
    let boot = &mbr[1];
    assert_eq!(boot.sys, 0x0C, "FAT32 (LBA)");
    assert!(boot.is_active());
    assert_eq!(boot.starting_lba, 8192, "the partition starts at 4 MiB");
    assert_eq!(u64::from(boot.sectors) * 512, size - (4 << 20));
    assert!((2..=4).all(|i| mbr[i].is_unused()), "one partition only");
    let start = u64::from(boot.starting_lba) * 512;
    let end = start + u64::from(boot.sectors) * 512;
    let partition = fscommon::StreamSlice::new(file, start, end).unwrap();
    let fs = fatfs::FileSystem::new(partition, fatfs::FsOptions::new()).unwrap();
    assert_eq!(fs.fat_type(), fatfs::FatType::Fat32);
    let mut files = Vec::new();
    for entry in fs.root_dir().iter() {
        let entry = entry.unwrap();
        let mut bytes = Vec::new();
        entry.to_file().read_to_end(&mut bytes).unwrap();
        files.push((entry.file_name(), bytes));
    }
    files
}

impl Run {
    /// The guest's serial output.
    pub fn serial(&self) -> &str {
        &self.outcome.serial
    }

    /// What the guest wrote on the PL011 while a driver domain owned it
    /// (the kernel's console being the mini UART).
    pub fn device_serial(&self) -> &str {
        &self.outcome.device_serial
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "{what}\n--- booted {} ---\n--- QEMU: {:?} ---\n--- serial output ---\n{}\n--- PL011 (a driver's) ---\n{}\n--- QEMU stderr ---\n{}",
            self.kernel.display(),
            self.outcome.exit,
            self.outcome.serial,
            self.outcome.device_serial,
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

    /// The lines the kernel wrote (domains' output left out: a domain can
    /// print anything, but not a line the kernel would write).
    pub fn kernel_lines(&self) -> impl Iterator<Item = &str> {
        self.serial().lines().filter_map(|line| match origin(line) {
            Origin::Kernel(line) => Some(line),
            Origin::Domain { .. } => None,
        })
    }

    /// What domain `domain` printed, line by line.
    pub fn printed_by<'a>(&'a self, domain: &'a str) -> impl Iterator<Item = &'a str> {
        self.serial().lines().filter_map(move |line| match origin(line) {
            Origin::Domain { name, text } if name == domain => Some(text),
            _ => None,
        })
    }

    /// Asserts that someone wrote `needle`: `[NAME] TEXT` means that
    /// domain NAME printed a line containing TEXT; anything else, that a
    /// line the kernel wrote contains it. No domain can forge the other
    /// writers' lines.
    pub fn assert_contains(&self, needle: &str) -> &Self {
        let found = match origin(needle) {
            Origin::Domain { name, text } => self.printed_by(name).any(|line| line.contains(text)),
            Origin::Kernel(needle) => self.kernel_lines().any(|line| line.contains(needle)),
        };
        if !found {
            self.fail(&format!("expected the serial output to contain {needle:?}"));
        }
        self
    }

    /// Asserts that no one (kernel or domain) wrote `needle`.
    pub fn assert_lacks(&self, needle: &str) -> &Self {
        if self.serial().contains(needle) {
            self.fail(&format!("expected the serial output not to contain {needle:?}"));
        }
        self
    }
}

/// What the `systimer-driver` test domain (named `driver`) prints when it
/// got each of its 50 system timer interrupts once and acknowledged it.
pub const SYSTIMER_DRIVER_DONE: &str =
    "[driver] systimer: 50 compares set, 50 interrupts delivered, 50 matched, 50 acknowledged";

/// One domain's `stats` line from the end-of-run report (the type the
/// kernel prints it with).
pub type Stats<'a> = StatsLine<'a>;

impl Run {
    /// The `stats` line the kernel wrote for `domain`; fails the test if
    /// there is none.
    pub fn stats(&self, domain: &str) -> Stats<'_> {
        self.kernel_lines()
            .filter_map(StatsLine::parse)
            .find(|stats| stats.domain == domain)
            .unwrap_or_else(|| self.fail(&format!("no stats line for domain {domain}")))
    }

    /// The text after `[domain] prefix` on the first line the domain printed
    /// that starts with `prefix`; fails the test if there is none.
    pub fn domain_line(&self, domain: &str, prefix: &str) -> String {
        self.printed_by(domain)
            .find_map(|line| line.strip_prefix(prefix).map(str::to_string))
            .unwrap_or_else(|| self.fail(&format!("domain {domain} never printed {prefix:?}")))
    }

    /// Asserts that the `ping` and `pong` domains (`ping-pong` manifests)
    /// made all their round trips with every reply right and finished,
    /// each blocked for most of them, woken by the other's events.
    pub fn assert_ping_pong_completed(&self) -> &Self {
        self.assert_contains("[ping] ping: 2000 round trips, 0 wrong replies");
        self.assert_contains("[pong] pong: served 2000 requests");
        for domain in ["ping", "pong"] {
            let stats = self.stats(domain);
            self.check(stats.state == "exited(0)", &format!("{domain} finished"));
            self.check(stats.blocks >= 500, &format!("{domain} blocked {} times", stats.blocks));
        }
        self
    }

    /// Fails the test, showing the guest's output, unless `condition` holds.
    pub fn check(&self, condition: bool, what: &str) -> &Self {
        if !condition {
            self.fail(what);
        }
        self
    }
}
