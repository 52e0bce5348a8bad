//! Booting an image in QEMU's `raspi3b` machine.

use anyhow::{Context, Result};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use wait_timeout::ChildExt;

/// The QEMU binary.
pub const QEMU: &str = "qemu-system-aarch64";

/// Runs are deterministic: virtual time advances one nanosecond per
/// instruction, and the guest never waits on the host's clock.
pub const ICOUNT: &str = "shift=0,sleep=off";

/// How to boot one image.
#[derive(Clone, Debug)]
pub struct Boot {
    /// A flat `kernel8.img` (entered at EL2) or the ELF (entered at EL3).
    pub kernel: PathBuf,
    /// Extra QEMU arguments.
    pub extra_args: Vec<String>,
    /// Where the guest's first UART goes, as QEMU's `-serial` takes it
    /// (`stdio`, `file:PATH`, ...).
    pub serial: String,
}

impl Boot {
    /// Boots `kernel` with the standard machine: raspi3b, no display, the
    /// first UART on stdio, semihosting (for the exit code), icount.
    pub fn new(kernel: impl AsRef<Path>) -> Self {
        Self {
            kernel: kernel.as_ref().to_path_buf(),
            extra_args: Vec::new(),
            serial: "stdio".into(),
        }
    }

    /// The full QEMU command line.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(QEMU);
        cmd.args(["-M", "raspi3b", "-display", "none", "-monitor", "none"])
            .args(["-serial", &self.serial, "-semihosting", "-icount", ICOUNT])
            .arg("-kernel")
            .arg(&self.kernel)
            .args(&self.extra_args);
        cmd
    }

    /// Boots and waits, with the console on this terminal. Returns QEMU's
    /// exit code (the kernel's, through semihosting).
    pub fn run_interactive(&self) -> Result<i32> {
        let status = self.command().status().with_context(|| format!("could not start {QEMU}"))?;
        Ok(status.code().unwrap_or(-1))
    }

    /// Boots with no input, captures the serial output, and kills QEMU if it
    /// is still running after `timeout` (a safety net for hung guests, not a
    /// measurement: under icount the guest's time does not depend on it).
    pub fn run_captured(&self, timeout: Duration) -> Result<Outcome> {
        let mut child = self
            .command()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("could not start {QEMU}"))?;
        let mut stdout = child.stdout.take().expect("piped");
        let mut stderr = child.stderr.take().expect("piped");
        let out_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stdout.read_to_end(&mut buf);
            buf
        });
        let err_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr.read_to_end(&mut buf);
            buf
        });
        let exit = match child.wait_timeout(timeout)? {
            Some(status) => Exit::Code(status.code().unwrap_or(-1)),
            None => {
                child.kill()?;
                child.wait()?;
                Exit::TimedOut
            }
        };
        let serial = out_reader.join().unwrap_or_default();
        let stderr = err_reader.join().unwrap_or_default();
        Ok(Outcome {
            exit,
            serial: String::from_utf8_lossy(&serial).replace("\r\n", "\n"),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }
}

/// How a captured QEMU run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// QEMU exited with this status (the guest's semihosting exit code).
    Code(i32),
    /// QEMU was killed after the timeout.
    TimedOut,
}

/// What a captured run produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// How it ended.
    pub exit: Exit,
    /// Everything the guest wrote to its first UART (`\r\n` made `\n`).
    pub serial: String,
    /// QEMU's own messages.
    pub stderr: String,
}
