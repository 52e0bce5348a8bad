//! `cargo xtask`: Vesper's build tool. Run `cargo xtask --help`.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use vesper_builder::domains::domain_packages;
use vesper_builder::manifest::Report;
use vesper_builder::Manifest;
use vesper_builder::{
    build_image, build_image_for, check_manifest, sdcard, write_image_dir, BuiltImage, Machine,
    Summary, DOMAIN_TARGET, KERNEL_TARGET,
};
use xtask::qemu::Boot;
use xtask::{gdb, manifest_path, setup, workspace_root};

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
    /// Writes target/images/NAME/{kernel.elf,kernel8.img}, NAME being
    /// `[image] name`, else the manifest's file stem, and prints the
    /// image's domains.
    Build {
        /// The image manifest (default: images/demo.toml).
        manifest: Option<PathBuf>,
        /// Refuse a manifest with warnings, before building.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Check a manifest without building anything: print its warnings and
    /// summary, or every problem (and exit with 1).
    Check {
        /// The image manifest (default: images/demo.toml).
        manifest: Option<PathBuf>,
        /// Exit with 1 if the manifest has warnings.
        #[arg(long)]
        deny_warnings: bool,
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
        /// Write the card even if no firmware is found: it then boots
        /// kernel8.img in QEMU only, not on a physical board.
        #[arg(long, conflicts_with = "firmware")]
        no_firmware: bool,
        /// The card image's size: a power of two, at least 64MiB.
        #[arg(long, default_value = "64MiB")]
        size: String,
        /// Put the QEMU kernel (with semihosting) on the card instead.
        #[arg(long)]
        qemu: bool,
        /// Boot the serial chainloader instead of the image's kernel: kernels
        /// then come over the serial line (`cargo xtask chainboot`).
        #[arg(long, conflicts_with = "qemu")]
        chainloader: bool,
    },
    /// Build a board image and send its kernel to a Pi 3 running the
    /// chainloader, over a serial line; then be a terminal on the board's
    /// console (Ctrl-] ends it).
    Chainboot {
        /// The image manifest (default: images/demo.toml).
        manifest: Option<PathBuf>,
        /// The serial line (a USB serial adapter, or a pty).
        #[arg(long, value_name = "PORT")]
        port: PathBuf,
        /// Its speed: the chainloader speaks 115200 8N1 (its PL011
        /// divisors are fixed), so another value suits only an adapter or
        /// a loader that differs.
        #[arg(long, default_value_t = 115_200)]
        baud: u32,
        /// Send the QEMU kernel (with semihosting) instead of the board's.
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
        /// Refuse a manifest with warnings, before building.
        #[arg(long)]
        deny_warnings: bool,
        /// Put this SD card image in the slot (`cargo xtask sdcard` writes
        /// one; its size must be a power of two). Default: the manifest's
        /// `[image] sd-card`, if any.
        #[arg(long, value_name = "FILE")]
        sd: Option<PathBuf>,
        /// Open QEMU's window on the Pi's screen (where a display is
        /// available: `cargo xtask screenshot` works without one).
        #[arg(long)]
        display: bool,
    },
    /// Boot a manifest's image until a virtual time and save what the Pi's
    /// screen shows then as a PNG (QEMU's screendump; no display needed).
    Screenshot {
        /// The image manifest.
        manifest: PathBuf,
        /// When: the run ends there, and the screen is taken.
        #[arg(long, value_name = "TIME", value_parser = duration_arg, default_value = "500ms")]
        at: u64,
        /// The PNG to write.
        #[arg(long, value_name = "FILE", default_value = "shot.png")]
        out: PathBuf,
    },
    /// Run every test: host unit tests and the QEMU boot tests.
    Test {
        /// Extra arguments for `cargo test` (e.g. a test name filter).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Boot a manifest's image halted, waiting for gdb on tcp::PORT, and
    /// attach gdb-multiarch to it (the guest's console goes to a log file
    /// shown on the terminal, so that gdb alone reads the keyboard).
    Gdb {
        /// The image manifest (default: images/demo.toml).
        manifest: Option<PathBuf>,
        /// Only start QEMU and wait, its console on this terminal; attach a
        /// debugger from another terminal.
        #[arg(long)]
        qemu_only: bool,
        /// The port of QEMU's gdb stub.
        #[arg(long, default_value_t = xtask::gdb::DEFAULT_PORT)]
        port: u16,
    },
    /// Run clippy on the host crates, and on the kernel and the domain
    /// crates for the board.
    Clippy,
    /// Count instructions (PMU, exact under -icount) on kernel paths:
    /// prints `bench NAME instructions=N` lines.
    Bench {
        /// Also rewrite the figures in docs/benchmarks.md.
        #[arg(long)]
        markdown: bool,
        /// Instead, trace one preemption instruction by instruction and
        /// count its instructions by function (with --markdown: into
        /// docs/benchmarks.md).
        #[arg(long)]
        breakdown: bool,
        /// Exit with 1 if a path is over its target.
        #[arg(long)]
        check: bool,
    },
    /// Boot a manifest's image with the kernel's scheduling trace on, and
    /// write the schedule it recorded into DIR: trace.json (open it in
    /// ui.perfetto.dev), gantt.svg and jobs.csv, as `sim --trace` writes
    /// the simulator's (see docs/tracing.md).
    Trace {
        /// The image manifest (it needs a `run-for`).
        manifest: PathBuf,
        /// Where to write the files.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Start of the Gantt chart's window (a duration: "20ms").
        #[arg(long, value_name = "TIME", value_parser = duration_arg)]
        from: Option<u64>,
        /// End of the Gantt chart's window (default: the end of the run).
        #[arg(long, value_name = "TIME", value_parser = duration_arg)]
        to: Option<u64>,
    },
    /// Run a manifest's task set under each user-level scheduler on QEMU
    /// (traced) and in the simulator: print one table (jobs, misses,
    /// response times, lateness, tardiness, CPU share; whether the two
    /// agree) and write an HTML report with the Gantt charts and a
    /// response-time plot per scheduler (see docs/tracing.md).
    Compare {
        /// The image manifest (it needs a `run-for` and a domain with
        /// `threads`).
        manifest: PathBuf,
        /// The schedulers, comma-separated, or `all`.
        #[arg(long, default_value = "all")]
        schedulers: String,
        /// Where to write the report and each run's files.
        #[arg(long, value_name = "DIR", default_value = "target/compare")]
        out: PathBuf,
    },
    /// Draw every figure of docs/tutorial.md from images/tutorial.toml
    /// (its traced schedule, its task set under EDF and round-robin, the
    /// comparison's table) into docs/figures and the tutorial.
    Figures,
    /// Simulate a task set under user-level schedulers, without booting:
    /// per-job rows and `job domain=..` summaries (see docs/schedulers.md).
    Sim(vesper_sim::SimArgs),
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(code) => code,
        Err(err) => {
            match err.downcast_ref::<Report>() {
                // A manifest's problems, shown the way rustc shows errors.
                Some(report) => eprint!("{}", report.render(colour())),
                None => eprintln!("xtask: error: {err:#}"),
            }
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

/// Whether to colour what goes to stderr: when it is a terminal, unless
/// `NO_COLOR` is set.
fn colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Prints `manifest`'s warnings on stderr; with `deny`, fails if it has
/// any.
fn show_warnings(manifest: &Manifest, deny: bool) -> Result<()> {
    let warnings = &manifest.warnings;
    if warnings.is_empty() {
        return Ok(());
    }
    eprint!("{}", warnings.render(colour()));
    if deny {
        bail!("{}: warnings are denied (--deny-warnings)", warnings.file());
    }
    Ok(())
}

/// With `deny`, checks the manifest a command names (the demo if `None`)
/// before anything is built, and fails if it has warnings. Returns the
/// manifest's path.
fn deny_warnings_first(manifest: Option<PathBuf>, deny: bool) -> Result<PathBuf> {
    let path = resolve(manifest)?;
    if deny {
        show_warnings(&check_manifest(&workspace_root(), &path)?, true)?;
    }
    Ok(path)
}

/// Builds the QEMU image of `manifest` (the demo if `None`) and prints its
/// warnings and what it holds.
/// A duration on the command line, as manifests write them.
fn duration_arg(text: &str) -> Result<u64, String> {
    vesper_builder::units::parse_duration(text).map_err(|error| error.to_string())
}

fn build_and_show(manifest: Option<PathBuf>) -> Result<BuiltImage> {
    let image = build_image(&workspace_root(), &resolve(manifest)?)?;
    show_warnings(&image.manifest, false)?;
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

fn exit_code(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

impl Cmd {
    /// Whether the command compiles anything (the kernel, the domains, or
    /// the tests that build them), and so needs the pinned toolchain's
    /// targets and components.
    fn builds(&self) -> bool {
        !matches!(self, Cmd::Check { .. } | Cmd::Sim(_))
    }
}

fn run(command: Cmd) -> Result<ExitCode> {
    if command.builds() {
        setup::ensure_toolchain(&workspace_root())?;
    }
    match command {
        Cmd::Check { manifest, deny_warnings } => {
            let manifest = check_manifest(&workspace_root(), &resolve(manifest)?)?;
            show_warnings(&manifest, deny_warnings)?;
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
        Cmd::Sdcard { manifest, out, firmware, no_firmware, size, qemu, chainloader } => {
            let size = vesper_builder::units::parse_size(&size)
                .map_err(|reason| anyhow::anyhow!("--size: {reason}"))?;
            sdcard::check_size(size)?;
            // Decided before the build, so that a card that cannot boot a
            // board stops the command at once.
            let firmware =
                if no_firmware { None } else { sdcard::find_firmware(firmware.as_deref())? };
            if firmware.is_none() && !no_firmware {
                bail!(
                    "no firmware (bootcode.bin, start.elf, fixup.dat), and a card without it does \
                     not boot a physical board. Pass --firmware DIR (the boot/ folder of the \
                     Raspberry Pi firmware), or install Debian's raspi-firmware package \
                     (non-free-firmware) so that {} holds it, or pass --no-firmware for a card \
                     that boots in QEMU only",
                    sdcard::DEBIAN_FIRMWARE_DIR
                );
            }
            let image = build_for_card(manifest, qemu)?;
            let loader = if chainloader {
                Some(vesper_builder::build_chainloader(&workspace_root())?)
            } else {
                None
            };
            let boot = match &loader {
                Some(loader) => vesper_builder::CardBoot::Chainloader(loader),
                None => vesper_builder::CardBoot::Kernel,
            };
            let report =
                vesper_builder::write_card_booting(&image, boot, &out, size, firmware.as_deref())?;
            println!(
                "wrote {} ({}): FAT32 boot partition from 4MiB holding {}",
                out.display(),
                vesper_builder::units::format_size(size),
                report.files.join(", ")
            );
            match report.firmware {
                Some(dir) => println!("firmware from {}", dir.display()),
                None => println!(
                    "no firmware (--no-firmware): this card boots in QEMU, not on a physical \
                     board"
                ),
            }
            if chainloader {
                println!(
                    "the card boots the chainloader: send kernels with `cargo xtask chainboot \
                     MANIFEST --port PORT`"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Chainboot { manifest, port, baud, qemu } => {
            let image = build_for_card(manifest, qemu)?;
            let kernel = std::fs::read(&image.kernel.flat)
                .with_context(|| format!("reading {}", image.kernel.flat.display()))?;
            xtask::chainboot::chainboot(&port, baud, &kernel)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Build { manifest, deny_warnings } => {
            let path = deny_warnings_first(manifest, deny_warnings)?;
            let image = build_and_show(Some(path))?;
            println!("kernel ELF:   {}", image.kernel.elf.display());
            println!("kernel image: {}", image.kernel.flat.display());
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Screenshot { manifest, at, out } => {
            setup::ensure_qemu()?;
            let path = resolve(Some(manifest))?;
            let timeout = std::time::Duration::from_secs(600);
            let shot = xtask::screenshot::screenshot(&workspace_root(), &path, at, &out, timeout)?;
            print!("{}", shot.console);
            println!("wrote {}", shot.png.display());
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Run { manifest, elf, deny_warnings, sd, display } => {
            if display
                && std::env::var_os("DISPLAY").is_none()
                && std::env::var_os("WAYLAND_DISPLAY").is_none()
            {
                bail!(
                    "--display: no display here (neither DISPLAY nor WAYLAND_DISPLAY is set); \
                     `cargo xtask screenshot MANIFEST --at 500ms --out shot.png` saves what the \
                     screen shows instead"
                );
            }
            // A card named on the command line is checked before the build.
            if let Some(card) = &sd {
                xtask::qemu::check_sd_card(card)?;
            }
            setup::ensure_qemu()?;
            let path = deny_warnings_first(manifest, deny_warnings)?;
            // At a terminal the run is a person's: it goes on until they
            // quit, and virtual time waits for them while the guest idles.
            let at_terminal = std::io::stdin().is_terminal();
            let image = if at_terminal {
                let image = vesper_builder::build_image_until_quit(&workspace_root(), &path)?;
                show_warnings(&image.manifest, false)?;
                print!("{}", image.summary);
                image
            } else {
                build_and_show(Some(path))?
            };
            let card = sd.or_else(|| image.manifest.sd_card.clone());
            if let Some(card) = &card {
                // Again: the manifest's, or a card changed during the build.
                xtask::qemu::check_sd_card(card)?;
            }
            let kernel = if elf { image.kernel.elf } else { image.kernel.flat };
            let mut boot = Boot::new(&kernel);
            boot.realtime = at_terminal;
            boot.sd_card = card;
            boot.display = display;
            if at_terminal {
                eprintln!("xtask: interactive: the run goes on until you quit QEMU with Ctrl-A X");
            }
            eprintln!("xtask: booting {} in QEMU raspi3b", kernel.display());
            let code = boot.run_interactive()?;
            eprintln!("xtask: QEMU exited with code {code}");
            Ok(exit_code(code))
        }
        Cmd::Sim(args) => {
            print!("{}", vesper_sim::run(&args)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Compare { manifest, schedulers, out } => {
            setup::ensure_qemu()?;
            let path = resolve(Some(manifest))?;
            let policies = vesper_sim::parse_policies(&schedulers)?;
            print!("{}", xtask::compare::compare(&workspace_root(), &path, &policies, &out)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Figures => {
            setup::ensure_qemu()?;
            for path in xtask::figures::write(&workspace_root())? {
                println!("wrote {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Trace { manifest, out, from, to } => {
            setup::ensure_qemu()?;
            let path = resolve(Some(manifest))?;
            print!("{}", xtask::trace::trace(&workspace_root(), &path, &out, (from, to))?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bench { markdown, breakdown: true, .. } => {
            let root = workspace_root();
            let report = xtask::breakdown::run(&root)?;
            print!("{report}");
            if markdown {
                let block = xtask::breakdown::markdown(&report);
                xtask::bench::write_block(&root, xtask::bench::BREAKDOWN_BEGIN, &block)?;
                eprintln!("xtask: wrote the breakdown into {}", xtask::bench::DOC);
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bench { markdown, check, breakdown: false } => {
            let root = workspace_root();
            let measurements = xtask::bench::measure(&root)?;
            for m in &measurements {
                println!("bench {} instructions={}", m.name, m.instructions);
            }
            let mut over = 0;
            for m in &measurements {
                if let Some((target, within)) = xtask::bench::within_target(m) {
                    let verdict = if within { "within" } else { "over" };
                    over += usize::from(!within);
                    eprintln!(
                        "xtask: {}: {} instructions, {verdict} the target of {target}",
                        m.name, m.instructions
                    );
                }
                if m.name.ends_with("_1mib") {
                    let rate = xtask::bench::kib_per_second(m.instructions);
                    eprintln!("xtask: {}: {rate} KiB per second of virtual time", m.name);
                }
            }
            if markdown {
                let block = xtask::bench::markdown(&measurements);
                xtask::bench::write_block(&root, xtask::bench::DOC_BEGIN, &block)?;
                eprintln!("xtask: wrote the figures into {}", xtask::bench::DOC);
            }
            if check && over > 0 {
                bail!("{over} paths are over their targets");
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
        Cmd::Gdb { manifest, qemu_only, port } => {
            setup::ensure_qemu()?;
            let image = build_and_show(manifest)?.kernel;
            if qemu_only {
                eprintln!(
                    "xtask: QEMU waits for a debugger on localhost:{port}; from another terminal:"
                );
                eprintln!(
                    "    gdb-multiarch -ex 'file {}' -ex 'target remote :{port}'",
                    image.elf.display()
                );
                let mut qemu = gdb::halted_qemu(&image.flat, port, &gdb::Serial::Terminal);
                let status = qemu.status().context("could not start QEMU")?;
                return Ok(exit_code(status.code().unwrap_or(-1)));
            }
            setup::ensure_program("gdb-multiarch", setup::GDB_PACKAGE)?;
            let log = image.flat.with_file_name("serial.log");
            std::fs::write(&log, b"").with_context(|| format!("creating {}", log.display()))?;
            eprintln!(
                "xtask: the guest's console goes to {} (shown here as it comes)",
                log.display()
            );
            let qemu = gdb::halted_qemu(&image.flat, port, &gdb::Serial::File(log.clone()))
                .spawn()
                .context("could not start QEMU")?;
            let tail = gdb::Tail::follow(log);
            let status = gdb::gdb(&image.elf, port, &[]).status();
            gdb::stop(qemu);
            drop(tail);
            status.context("could not start gdb-multiarch")?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Clippy => {
            // Domain programs are `no_std`/`no_main` binaries: board only.
            let domains: Vec<String> =
                domain_packages(&workspace_root())?.into_iter().map(|p| p.name).collect();
            let mut host = cargo();
            host.args(["clippy", "--workspace", "--all-targets"]);
            host.args(["--exclude", "vesper-kernel", "--exclude", "vesper-chainloader"]);
            for package in &domains {
                host.args(["--exclude", package]);
            }
            host.args(["--", "-D", "warnings"]);
            run_status(host, "clippy on the host crates")?;
            let mut board = cargo();
            board.args(["clippy", "--package", "vesper-kernel", "--package", "vesper-chainloader"]);
            board.args(["--target", KERNEL_TARGET]).args([
                "--all-features",
                "--",
                "-D",
                "warnings",
            ]);
            run_status(board, "clippy on the kernel and the chainloader")?;
            let mut domain_crates = cargo();
            // The libraries only domains link, linted for the board.
            domain_crates.args(["clippy", "--package", "vesper-activations"]);
            domain_crates.args(["--package", "vesper-files"]);
            for package in &domains {
                domain_crates.args(["--package", package]);
            }
            domain_crates.args(["--target", DOMAIN_TARGET, "--", "-D", "warnings"]);
            run_status(domain_crates, "clippy on the domain crates")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
