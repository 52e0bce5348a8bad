//! `cargo xtask`: Vesper's build tool. Run `cargo xtask --help`.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use vesper_builder::domains::domain_packages;
use vesper_builder::{
    build_image, build_image_for, build_image_with_features, check_manifest, sdcard, write_card,
    write_image_dir, BuiltImage, Machine, Summary, DOMAIN_TARGET, KERNEL_TARGET,
};
use xtask::qemu::Boot;
use xtask::{manifest_path, setup, workspace_root};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Build, boot, test and debug Vesper")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build the image a manifest describes.
    ///
    /// Writes target/images/NAME/{kernel.elf,kernel8.img}, NAME being the
    /// manifest's file stem, and prints the image's domains.
    Build {
        /// The image manifest (default: images/demo.toml).
        manifest: Option<PathBuf>,
    },
    /// Check a manifest without building anything: print its summary, or
    /// every problem (and exit with 1).
    Check {
        /// The image manifest (default: images/demo.toml).
        manifest: Option<PathBuf>,
    },
    /// Build the image of a manifest for a physical Pi 3 and write
    /// kernel8.img, kernel.elf and config.txt to DIR.
    ///
    /// The kernel is built without semihosting (which traps on real
    /// hardware): at the end of a run it halts instead of exiting.
    Image {
        /// The image manifest (default: images/demo.toml).
        manifest: Option<PathBuf>,
        /// The folder to write to.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Build the QEMU kernel (with semihosting) instead.
        #[arg(long)]
        qemu: bool,
    },
    /// Write an SD card image for a physical Pi 3: an MBR with one FAT32
    /// partition holding the firmware, config.txt and kernel8.img.
    Sdcard {
        /// The image manifest (default: images/demo.toml).
        manifest: Option<PathBuf>,
        /// The card image to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The folder holding bootcode.bin, start.elf and fixup.dat
        /// (default: /usr/lib/raspi-firmware, Debian's raspi-firmware).
        #[arg(long, value_name = "DIR")]
        firmware: Option<PathBuf>,
        /// The card image's size: a power of two, at least 64MiB.
        #[arg(long, default_value = "64MiB")]
        size: String,
        /// Put the QEMU kernel (with semihosting) on the card instead.
        #[arg(long)]
        qemu: bool,
    },
    /// Build an image and boot it in QEMU (installs QEMU first if needed).
    Run {
        /// The image manifest (default: images/demo.toml).
        manifest: Option<PathBuf>,
        /// Boot the ELF (all cores enter at EL3) instead of kernel8.img (EL2).
        #[arg(long)]
        elf: bool,
    },
    /// Run every test: host unit tests and the QEMU boot tests.
    Test {
        /// Extra arguments for `cargo test` (e.g. a test name filter).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Boot the demo halted, waiting for gdb on tcp::1234, and attach
    /// gdb-multiarch to it.
    Gdb {
        /// Only start QEMU and wait; attach a debugger from another terminal.
        #[arg(long)]
        qemu_only: bool,
    },
    /// Run clippy on the host crates, and on the kernel and the domain
    /// crates for the board.
    Clippy,
    /// Count instructions (PMU, exact under -icount) on kernel paths:
    /// prints `bench NAME instructions=N` lines.
    Bench,
    /// Simulate a task set under user-level schedulers, without booting:
    /// per-job rows and `job domain=..` summaries (see docs/schedulers.md).
    Sim(vesper_sim::SimArgs),
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(workspace_root());
    cmd
}

fn run_status(mut cmd: Command, what: &str) -> Result<()> {
    let status = cmd.status().with_context(|| format!("could not run {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// The manifest a command names (the demo if `None`).
fn resolve(manifest: Option<PathBuf>) -> Result<PathBuf> {
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    Ok(manifest_path(manifest.as_deref(), &cwd, &workspace_root()))
}

/// Builds the QEMU image of `manifest` (the demo if `None`) and prints what
/// it holds.
fn build_and_show(manifest: Option<PathBuf>) -> Result<BuiltImage> {
    let image = build_image(&workspace_root(), &resolve(manifest)?)?;
    print!("{}", image.summary);
    Ok(image)
}

/// Builds `manifest` for a physical board, or for QEMU if `qemu`, prints
/// its summary and says which kernel it holds.
fn build_for_card(manifest: Option<PathBuf>, qemu: bool) -> Result<BuiltImage> {
    let machine = if qemu { Machine::Qemu } else { Machine::Board };
    let image = build_image_for(&workspace_root(), &resolve(manifest)?, machine)?;
    print!("{}", image.summary);
    if qemu {
        println!("kernel: for QEMU (semihosting; it traps on a physical board)");
    } else {
        println!("kernel: for a physical Pi 3 (no semihosting: it halts at the end of a run)");
    }
    Ok(image)
}

/// Wall-clock safety net for the benchmark boot (its guest time is fixed).
const BENCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

fn exit_code(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn run(command: Cmd) -> Result<ExitCode> {
    match command {
        Cmd::Check { manifest } => {
            let manifest = check_manifest(&workspace_root(), &resolve(manifest)?)?;
            print!("{}", Summary::checked(&manifest));
            println!("{}: valid", manifest.path.display());
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Image { manifest, out, qemu } => {
            let image = build_for_card(manifest, qemu)?;
            for file in write_image_dir(&image, &out)? {
                println!("wrote {}", file.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Sdcard { manifest, out, firmware, size, qemu } => {
            let size = vesper_builder::units::parse_size(&size)
                .map_err(|reason| anyhow::anyhow!("--size: {reason}"))?;
            sdcard::check_size(size)?;
            let image = build_for_card(manifest, qemu)?;
            let report = write_card(&image, &out, size, firmware.as_deref())?;
            println!(
                "wrote {} ({}): FAT32 boot partition from 4MiB holding {}",
                out.display(),
                vesper_builder::units::format_size(size),
                report.files.join(", ")
            );
            match report.firmware {
                Some(dir) => println!("firmware from {}", dir.display()),
                None => eprintln!(
                    "xtask: WARNING: no firmware (bootcode.bin, start.elf, fixup.dat): this card \
                     will NOT boot a physical board. Pass --firmware DIR (the boot/ folder of the \
                     Raspberry Pi firmware), or install Debian's raspi-firmware package \
                     (non-free-firmware) so that {} holds them. QEMU boots kernel8.img without \
                     them.",
                    sdcard::DEBIAN_FIRMWARE_DIR
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Build { manifest } => {
            let image = build_and_show(manifest)?;
            println!("kernel ELF:   {}", image.kernel.elf.display());
            println!("kernel image: {}", image.kernel.flat.display());
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Run { manifest, elf } => {
            setup::ensure_qemu()?;
            let image = build_and_show(manifest)?.kernel;
            let kernel = if elf { image.elf } else { image.flat };
            let boot = Boot::new(&kernel);
            eprintln!("xtask: booting {} in QEMU raspi3b", kernel.display());
            let code = boot.run_interactive()?;
            eprintln!("xtask: QEMU exited with code {code}");
            Ok(exit_code(code))
        }
        Cmd::Sim(args) => {
            print!("{}", vesper_sim::run(&args)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bench => {
            setup::ensure_qemu()?;
            let root = workspace_root();
            let mut measurements = Vec::new();
            let mut serial = String::new();
            for manifest in xtask::bench::MANIFESTS {
                let image = build_image_with_features(&root, &root.join(manifest), &["bench"])?;
                let outcome = Boot::new(&image.kernel.flat).run_captured(BENCH_TIMEOUT)?;
                measurements.extend(xtask::bench::parse(&outcome.serial));
                serial.push_str(&outcome.serial);
            }
            if let Err(error) = xtask::bench::check_complete(&measurements) {
                eprint!("{serial}");
                return Err(error);
            }
            for m in &measurements {
                println!("bench {} instructions={}", m.name, m.instructions);
            }
            for (name, target) in xtask::bench::TARGETS {
                if let Some(m) = measurements.iter().find(|m| m.name == *name) {
                    let verdict = if m.instructions <= *target { "within" } else { "over" };
                    eprintln!(
                        "xtask: {name}: {} instructions, {verdict} the target of {target}",
                        m.instructions
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Test { args } => {
            setup::ensure_qemu()?;
            let mut cmd = cargo();
            cmd.args(["test", "--workspace"]).args(args);
            let totals = xtask::test_summary::run_and_count(cmd)?;
            println!("summary: {} passed, {} failed", totals.passed, totals.failed);
            if !totals.success {
                bail!("cargo test failed");
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Gdb { qemu_only } => {
            setup::ensure_qemu()?;
            let image = build_and_show(None)?.kernel;
            let mut boot = Boot::new(&image.flat);
            boot.extra_args = vec!["-S".into(), "-gdb".into(), "tcp::1234".into()];
            eprintln!("xtask: QEMU waits for a debugger on localhost:1234; from another terminal:");
            eprintln!(
                "    gdb-multiarch -ex 'file {}' -ex 'target remote :1234'",
                image.elf.display()
            );
            if qemu_only {
                return Ok(exit_code(boot.run_interactive()?));
            }
            setup::ensure_program("gdb-multiarch", setup::GDB_PACKAGE)?;
            let mut qemu = boot.command().spawn().context("could not start QEMU")?;
            let status = Command::new("gdb-multiarch")
                .arg("-q")
                .arg("-ex")
                .arg(format!("file {}", image.elf.display()))
                .args(["-ex", "target remote :1234"])
                .status();
            let _ = qemu.kill();
            let _ = qemu.wait();
            status.context("could not start gdb-multiarch")?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Clippy => {
            // Domain programs are `no_std`/`no_main` binaries: board only.
            let domains: Vec<String> =
                domain_packages(&workspace_root())?.into_iter().map(|p| p.name).collect();
            let mut host = cargo();
            host.args(["clippy", "--workspace", "--exclude", "vesper-kernel", "--all-targets"]);
            for package in &domains {
                host.args(["--exclude", package]);
            }
            host.args(["--", "-D", "warnings"]);
            run_status(host, "clippy on the host crates")?;
            // On the host the kernel builds only as its unit tests.
            let mut kernel_tests = cargo();
            kernel_tests
                .args(["clippy", "--package", "vesper-kernel", "--tests"])
                .args(["--", "-D", "warnings"]);
            run_status(kernel_tests, "clippy on the kernel's unit tests")?;
            let mut board = cargo();
            board.args(["clippy", "--package", "vesper-kernel", "--target", KERNEL_TARGET]).args([
                "--all-features",
                "--",
                "-D",
                "warnings",
            ]);
            run_status(board, "clippy on the kernel")?;
            let mut domain_crates = cargo();
            domain_crates.args(["clippy", "--package", "vesper-activations"]);
            for package in &domains {
                domain_crates.args(["--package", package]);
            }
            domain_crates.args(["--target", DOMAIN_TARGET, "--", "-D", "warnings"]);
            run_status(domain_crates, "clippy on the domain crates")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
