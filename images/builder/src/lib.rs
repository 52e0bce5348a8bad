//! The Vesper image builder: turns a manifest (`images/*.toml`, see
//! [`manifest`] and `docs/manifest.md`) into a bootable image.
//!
//! [`check_manifest`] reads and validates a manifest against its board
//! ([`board`]) and lays out the single address space ([`layout`]) without
//! building anything. [`build_image`] then builds every domain program for
//! `aarch64-unknown-none` (position-independent, see [`domains`]), places
//! each in its slot and relocates it ([`program`]), fills the kernel's
//! image tables, whose types the ABI defines ([`image`], [`caps`]), writes
//! them as Rust source ([`source`], [`codegen`]), and compiles the kernel
//! with them, turning the kernel's ELF into the flat `kernel8.img` that the
//! Raspberry Pi firmware (and QEMU's `-kernel`) load at physical 0x80000
//! ([`flat`]). [`write_image_dir`] adds a `config.txt` for a physical Pi 3
//! ([`config_txt`]) and [`sdcard`] writes a bootable SD card image.
//!
//! Used by `cargo xtask` and by the QEMU integration tests.

pub mod board;
pub mod caps;
mod cargo;
pub mod codegen;
pub mod config_txt;
pub mod domains;
pub mod flat;
pub mod image;
pub mod layout;
pub mod manifest;
pub mod program;
pub mod sdcard;
pub mod source;
pub mod summary;
pub mod units;

pub use cargo::{
    build_chainloader, build_kernel, KernelImage, KernelVariant, Machine, IMAGE_CONFIG_ENV,
    KERNEL_TARGET,
};
pub use domains::DOMAIN_TARGET;
pub use manifest::Manifest;
pub use summary::Summary;

use anyhow::{bail, Context, Result};
use program::{PlacedProgram, Segment, SegmentRights};
use std::path::{Path, PathBuf};
use vesper_abi::layout::DOMAIN_REGION_BASE;

/// A domain of a manifest with its program placed in its slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacedDomain {
    /// The domain as the manifest describes it (with its layout).
    pub domain: manifest::Domain,
    /// Base of its slot (`vesper_abi::layout::slot_base` of its index).
    pub slot_base: u64,
    /// Its program, relocated to `slot_base + IMAGE_OFFSET`.
    pub program: PlacedProgram,
}

impl PlacedDomain {
    /// `domain` placed in its slot with a stand-in program: `segments`
    /// (offsets from the program's base, with their rights) holding
    /// `image`, the entry at `entry` and the activation stack's top at
    /// `stack_top` (offsets too). For the tests of what follows placement.
    #[cfg(test)]
    pub(crate) fn stand_in(
        domain: &manifest::Domain,
        image: Vec<u8>,
        segments: &[(u64, u64, program::SegmentRights)],
        entry: u64,
        stack_top: u64,
    ) -> Self {
        let base = domain.layout.program_base;
        let segments = segments
            .iter()
            .map(|&(start, end, rights)| program::Segment {
                start: base + start,
                end: base + end,
                rights,
            })
            .collect();
        Self {
            domain: domain.clone(),
            slot_base: domain.layout.slot.start,
            program: PlacedProgram {
                base,
                entry: base + entry,
                activation_sp: base + stack_top,
                image,
                segments,
            },
        }
    }

    /// Everything the domain maps besides its DCB: its program's segments,
    /// then its stack and its memory (read-write), in address order.
    pub fn segments(&self) -> Vec<Segment> {
        let layout = &self.domain.layout;
        let extra = [layout.stack, layout.memory].into_iter().flatten().map(|range| Segment {
            start: range.start,
            end: range.end,
            rights: SegmentRights::ReadWrite,
        });
        self.program.segments.iter().copied().chain(extra).collect()
    }
}

/// A built image.
#[derive(Clone, Debug)]
pub struct BuiltImage {
    /// The manifest it was built from.
    pub manifest: Manifest,
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

/// Reads and validates the manifest at `manifest` in the workspace at
/// `root`, without building anything (`cargo metadata` names the programs
/// domains may run). The error lists every problem.
pub fn check_manifest(root: &Path, manifest: &Path) -> Result<Manifest> {
    let packages = domains::domain_packages(root)?;
    let programs = domains::known_programs(&packages)?;
    Manifest::load(manifest, &programs)
}

/// Builds the QEMU image that the manifest at `manifest` describes, in the
/// workspace at `root`: `target/images/<name>/{kernel.elf,kernel8.img}`,
/// beside the generated `image_config.rs` and one `<domain>.bin` per domain.
pub fn build_image(root: &Path, manifest: &Path) -> Result<BuiltImage> {
    build(root, manifest, Machine::Qemu, &[], Overrides::default())
}

/// What a command changes in a manifest before building it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Drop `run-for`, so that the run goes on until quit.
    pub until_quit: bool,
    /// End the run after this long, whatever `run-for` says (a screenshot
    /// at that time).
    pub run_for_ns: Option<u64>,
    /// Trace with a ring of this many records, whatever `[image] trace`
    /// says.
    pub trace_records: Option<usize>,
    /// Run every thread domain under this user-level scheduler, whatever
    /// its `scheduler` says.
    pub scheduler: Option<manifest::Scheduler>,
}

/// [`build_image`] with `overrides` applied to the manifest.
pub fn build_image_with(root: &Path, manifest: &Path, overrides: Overrides) -> Result<BuiltImage> {
    build(root, manifest, Machine::Qemu, &[], overrides)
}

/// [`build_image`] for a person at a terminal: the manifest's `run-for`
/// is dropped, so that the run goes on until they quit QEMU.
pub fn build_image_until_quit(root: &Path, manifest: &Path) -> Result<BuiltImage> {
    build(
        root,
        manifest,
        Machine::Qemu,
        &[],
        Overrides { until_quit: true, ..Overrides::default() },
    )
}

/// [`build_image`], with extra cargo features for the kernel (e.g. `bench`
/// for the benchmark image).
pub fn build_image_with_features(
    root: &Path,
    manifest: &Path,
    kernel_features: &[&str],
) -> Result<BuiltImage> {
    build(root, manifest, Machine::Qemu, kernel_features, Overrides::default())
}

/// [`build_image_with_features`] with `overrides` applied to the manifest.
pub fn build_image_with_features_and(
    root: &Path,
    manifest: &Path,
    kernel_features: &[&str],
    overrides: Overrides,
) -> Result<BuiltImage> {
    build(root, manifest, Machine::Qemu, kernel_features, overrides)
}

/// [`build_image_for`] [`Machine::Board`] with `overrides` applied to the
/// manifest: a kernel that halts at the end of the run instead of ending
/// QEMU, so that what the run left (the screen) can be looked at.
pub fn build_board_image_with(
    root: &Path,
    manifest: &Path,
    overrides: Overrides,
) -> Result<BuiltImage> {
    build(root, manifest, Machine::Board, &[], overrides)
}

/// [`build_image`] for `machine`: [`Machine::Board`] builds the kernel for
/// a physical Pi 3, without semihosting, into `target/images/board/<name>`.
pub fn build_image_for(root: &Path, manifest: &Path, machine: Machine) -> Result<BuiltImage> {
    build(root, manifest, machine, &[], Overrides::default())
}

fn build(
    root: &Path,
    manifest: &Path,
    machine: Machine,
    kernel_features: &[&str],
    overrides: Overrides,
) -> Result<BuiltImage> {
    let packages = domains::domain_packages(root)?;
    let programs = domains::known_programs(&packages)?;
    let mut manifest = Manifest::load(manifest, &programs)?;
    if overrides.until_quit {
        manifest.run_for_ns = None;
    }
    if let Some(run_for_ns) = overrides.run_for_ns {
        manifest.run_for_ns = Some(run_for_ns);
    }
    if let Some(records) = overrides.trace_records {
        manifest.trace_records = records;
    }
    if let Some(scheduler) = overrides.scheduler {
        for domain in manifest.domains.iter_mut().filter(|d| !d.threads.is_empty()) {
            domain.scheduler = scheduler;
        }
    }
    let programs_dir = domains::build_programs(root, &packages)?;
    let placed = place_domains(&manifest, &programs_dir)?;
    let config = codegen::write_image(&image_dir(root, &manifest.name), &manifest, &placed)?;
    let mut variant = KernelVariant::image_for(machine, &manifest.name, &config);
    variant.features.extend(kernel_features.iter().map(|f| f.to_string()));
    let kernel = build_kernel(root, &variant)
        .with_context(|| format!("building the kernel of image {}", manifest.name))?;
    let elf =
        std::fs::read(&kernel.elf).with_context(|| format!("reading {}", kernel.elf.display()))?;
    let kernel_end = flat::memory_end(&elf)?;
    check_kernel_end(kernel_end)?;
    image::write_console(&kernel.flat, image::console_uart(&manifest))?;
    let summary = Summary::built(&manifest, &placed, kernel_end);
    Ok(BuiltImage { manifest, kernel, config, summary })
}

/// Fails if the kernel, loaded, reaches into the first domain slot.
fn check_kernel_end(kernel_end: u64) -> Result<()> {
    if kernel_end > DOMAIN_REGION_BASE {
        bail!(
            "the kernel ends at {kernel_end:#x}, past the start of the first domain slot at \
             {DOMAIN_REGION_BASE:#x}: the kernel and the domains do not fit the address space"
        );
    }
    Ok(())
}

/// Places each domain of `manifest` in its slot (domain `i` in slot `i`),
/// reading the built programs from `programs_dir`, and checks that each
/// program fits below the stack and memory its domain asks for. Reports
/// every domain that does not fit.
pub fn place_domains(manifest: &Manifest, programs_dir: &Path) -> Result<Vec<PlacedDomain>> {
    let mut placed = Vec::new();
    let mut problems = Vec::new();
    for domain in &manifest.domains {
        let path = programs_dir.join(&domain.program);
        let elf = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let slot_base = domain.layout.slot.start;
        let program = program::place(&domain.program, &elf, slot_base).with_context(|| {
            format!("placing domain {:?} of {}", domain.name, manifest.path.display())
        })?;
        match fit_problem(manifest, domain, &program) {
            Some(problem) => problems.push(problem),
            None => placed.push(PlacedDomain { domain: domain.clone(), slot_base, program }),
        }
    }
    if !problems.is_empty() {
        bail!(
            "the programs do not fit in their slots ({} {}):\n  {}",
            problems.len(),
            if problems.len() == 1 { "domain" } else { "domains" },
            problems.join("\n  ")
        );
    }
    Ok(placed)
}

/// Why `program` does not fit below `domain`'s stack and memory, if it
/// does not.
fn fit_problem(
    manifest: &Manifest,
    domain: &manifest::Domain,
    program: &PlacedProgram,
) -> Option<String> {
    let end = program.segments.last().map_or(program.base, |segment| segment.end);
    let layout = &domain.layout;
    if end <= layout.program_limit {
        return None;
    }
    let at = domain.sizes_at;
    Some(format!(
        "{}:{}:{}: domain {:?}, key `{}`: program {} needs {} KiB, but beside stack {} and \
         memory {} (and a guard page) the slot leaves it {} KiB",
        manifest.path.display(),
        at.line,
        at.column,
        domain.name,
        if domain.memory_bytes > 0 { "memory" } else { "stack" },
        domain.program,
        (end - program.base).div_ceil(1024),
        units::format_size(domain.stack_bytes),
        units::format_size(domain.memory_bytes),
        layout.program_room() / 1024
    ))
}

/// Writes what a physical Pi 3 boots from into `out`: `kernel8.img`, the
/// `kernel.elf` (for debuggers) and a `config.txt`. Returns the files
/// written.
pub fn write_image_dir(image: &BuiltImage, out: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut written = Vec::new();
    for (from, name) in [(&image.kernel.flat, "kernel8.img"), (&image.kernel.elf, "kernel.elf")] {
        let to = out.join(name);
        std::fs::copy(from, &to)
            .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
        written.push(to);
    }
    let config = out.join(config_txt::FILE_NAME);
    std::fs::write(&config, config_txt::config_txt(&image.manifest)?)
        .with_context(|| format!("writing {}", config.display()))?;
    written.push(config);
    Ok(written)
}

/// What [`write_card`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardReport {
    /// Where the firmware files came from; `None`: the card has none and
    /// will not boot a physical board.
    pub firmware: Option<PathBuf>,
    /// The files on the boot partition, in the order written.
    pub files: Vec<String>,
}

/// Writes an SD card image of `size` bytes to `out` for `image`: the
/// firmware files from the folder `firmware` (none without it: the card
/// then boots only in QEMU; [`sdcard::find_firmware`] finds a folder),
/// `config.txt` and `kernel8.img`. Reads the card back and checks every
/// file before returning.
pub fn write_card(
    image: &BuiltImage,
    out: &Path,
    size: u64,
    firmware: Option<&Path>,
) -> Result<CardReport> {
    write_card_booting(image, CardBoot::Kernel, out, size, firmware)
}

/// What a card's firmware starts.
#[derive(Clone, Copy, Debug)]
pub enum CardBoot<'a> {
    /// The image's kernel, `kernel8.img`.
    Kernel,
    /// The serial chainloader whose flat image is at this path (see
    /// [`build_chainloader`]), as `chainloader.img`: kernels then come over
    /// the serial line (`cargo xtask chainboot`).
    Chainloader(&'a Path),
}

/// [`write_card`], the card booting `boot`.
pub fn write_card_booting(
    image: &BuiltImage,
    boot: CardBoot<'_>,
    out: &Path,
    size: u64,
    firmware: Option<&Path>,
) -> Result<CardReport> {
    let firmware = firmware.map(Path::to_path_buf);
    let mut files = match &firmware {
        Some(dir) => sdcard::firmware_files(dir)?,
        None => Vec::new(),
    };
    let (config, file) = match boot {
        CardBoot::Kernel => (
            config_txt::config_txt(&image.manifest)?,
            sdcard::BootFile::read(config_txt::KERNEL_FILE, &image.kernel.flat)?,
        ),
        CardBoot::Chainloader(loader) => (
            config_txt::chainloader_config_txt(&image.manifest)?,
            sdcard::BootFile::read(config_txt::CHAINLOADER_FILE, loader)?,
        ),
    };
    files.push(sdcard::BootFile { name: config_txt::FILE_NAME.into(), bytes: config.into_bytes() });
    files.push(file);
    sdcard::write_sdcard(out, size, &files)?;
    let card = sdcard::read_sdcard(out)?;
    for file in &files {
        if card.files.get(&file.name) != Some(&file.bytes) {
            bail!("{} on the card written to {} does not read back", file.name, out.display());
        }
    }
    Ok(CardReport { firmware, files: files.into_iter().map(|file| file.name).collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_go_under_target_images() {
        assert_eq!(image_dir(Path::new("/ws"), "demo"), Path::new("/ws/target/images/demo"));
    }

    fn manifest(extra: &str) -> Manifest {
        let text = format!(
            "[[domain]]\nname = \"a\"\nprogram = \"spin\"\nperiod = \"10ms\"\nslice = \"1ms\"\n{extra}"
        );
        let programs = ["spin".to_string()].into();
        Manifest::parse(&text, Path::new("images/t.toml"), &programs).unwrap()
    }

    /// A program of `pages` pages at the start of `domain`'s program area.
    fn program(domain: &manifest::Domain, pages: u64) -> PlacedProgram {
        let base = domain.layout.program_base;
        PlacedProgram {
            base,
            entry: base,
            activation_sp: base + pages * 0x1000,
            image: vec![1; 16],
            segments: vec![Segment {
                start: base,
                end: base + pages * 0x1000,
                rights: SegmentRights::ReadWrite,
            }],
        }
    }

    #[test]
    fn stack_and_memory_are_mapped_after_the_program() {
        let manifest = manifest("stack = \"8KiB\"\nmemory = \"16KiB\"\n");
        let domain = manifest.domains[0].clone();
        let placed = PlacedDomain { slot_base: 0x200_0000, program: program(&domain, 1), domain };
        let segments = placed.segments();
        assert_eq!(segments.len(), 3);
        assert_eq!(
            segments[1..],
            [
                Segment { start: 0x21F_A000, end: 0x21F_C000, rights: SegmentRights::ReadWrite },
                Segment { start: 0x21F_C000, end: 0x220_0000, rights: SegmentRights::ReadWrite },
            ]
        );
    }

    #[test]
    fn a_program_too_big_for_its_room_is_reported_at_the_memory_key() {
        let manifest = manifest("memory = \"2000KiB\"\n");
        let domain = &manifest.domains[0];
        assert_eq!(domain.layout.program_room(), 28 << 10);
        assert_eq!(fit_problem(&manifest, domain, &program(domain, 7)), None);
        let problem = fit_problem(&manifest, domain, &program(domain, 8)).unwrap();
        assert_eq!(
            problem,
            "images/t.toml:6:10: domain \"a\", key `memory`: program spin needs 32 KiB, but \
             beside stack 0B and memory 2000KiB (and a guard page) the slot leaves it 28 KiB"
        );
    }

    #[test]
    fn image_folders_and_cards_hold_what_a_pi_boots_from() {
        let dir = std::env::temp_dir().join(format!("vesper-lib-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let kernel = KernelImage { elf: dir.join("k.elf"), flat: dir.join("k.img") };
        std::fs::write(&kernel.elf, b"elf").unwrap();
        std::fs::write(&kernel.flat, b"flat").unwrap();
        let manifest = manifest("");
        let image = BuiltImage {
            summary: Summary::checked(&manifest),
            manifest,
            kernel,
            config: dir.join("image_config.rs"),
        };
        let out = dir.join("out");
        let written = write_image_dir(&image, &out).unwrap();
        assert_eq!(written, ["kernel8.img", "kernel.elf", "config.txt"].map(|f| out.join(f)));
        assert_eq!(std::fs::read(out.join("kernel8.img")).unwrap(), b"flat");
        let config = std::fs::read_to_string(out.join("config.txt")).unwrap();
        assert!(config.contains("arm_64bit=1"), "{config}");

        let firmware = dir.join("firmware");
        std::fs::create_dir_all(&firmware).unwrap();
        for file in sdcard::FIRMWARE_FILES {
            std::fs::write(firmware.join(file), file).unwrap();
        }
        let card = dir.join("sd.img");
        let report = write_card(&image, &card, sdcard::DEFAULT_SIZE, Some(&firmware)).unwrap();
        assert_eq!(report.firmware.as_deref(), Some(firmware.as_path()));
        assert_eq!(
            report.files,
            ["bootcode.bin", "start.elf", "fixup.dat", "config.txt", "kernel8.img"]
        );
        let contents = sdcard::read_sdcard(&card).unwrap();
        assert_eq!(contents.files["kernel8.img"], b"flat");
        assert_eq!(contents.files["config.txt"], config.as_bytes());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_kernel_must_end_below_the_first_slot() {
        assert!(check_kernel_end(DOMAIN_REGION_BASE).is_ok());
        let err = check_kernel_end(DOMAIN_REGION_BASE + 1).unwrap_err().to_string();
        assert!(err.contains("the kernel ends at 0x2000001, past the start"), "{err}");
    }
}
