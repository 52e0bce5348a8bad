//! `cargo xtask`: Vesper's build tool. Run `cargo xtask --help`.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use std::process::{Command, ExitCode};
use vesper_builder::{build_kernel, KernelImage, KernelVariant, KERNEL_TARGET};
use xtask::qemu::Boot;
use xtask::{setup, workspace_root};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Build, boot, test and debug Vesper")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build the kernel for QEMU: target/images/qemu/{kernel.elf,kernel8.img}.
    Build,
    /// Build and boot the demo in QEMU (installs QEMU first if needed).
    Run {
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
    /// Run clippy on the host crates and on the kernel for the board.
    Clippy,
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

fn build_qemu_kernel() -> Result<KernelImage> {
    build_kernel(&workspace_root(), &KernelVariant::qemu())
}

fn exit_code(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn run(command: Cmd) -> Result<ExitCode> {
    match command {
        Cmd::Build => {
            let image = build_qemu_kernel()?;
            println!("kernel ELF:   {}", image.elf.display());
            println!("kernel image: {}", image.flat.display());
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Run { elf } => {
            setup::ensure_qemu()?;
            let image = build_qemu_kernel()?;
            let kernel = if elf { image.elf } else { image.flat };
            let boot = Boot::new(&kernel);
            eprintln!("xtask: booting {} in QEMU raspi3b", kernel.display());
            let code = boot.run_interactive()?;
            eprintln!("xtask: QEMU exited with code {code}");
            Ok(exit_code(code))
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
            let image = build_qemu_kernel()?;
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
            let mut host = cargo();
            host.args(["clippy", "--workspace", "--exclude", "vesper-kernel", "--all-targets"])
                .args(["--", "-D", "warnings"]);
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
            Ok(ExitCode::SUCCESS)
        }
    }
}
