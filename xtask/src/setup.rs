//! Making sure the host has what running Vesper needs.

use anyhow::{bail, Context, Result};
use std::process::Command;

/// The Debian package that provides `qemu-system-aarch64`.
pub const QEMU_PACKAGE: &str = "qemu-system-arm";
/// The Debian package that provides `gdb-multiarch`.
pub const GDB_PACKAGE: &str = "gdb-multiarch";

/// Whether `program` can be found on the PATH.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Makes sure `program` is installed: if it is missing and we run as root on
/// a machine with apt-get, installs Debian's `package` (saying so);
/// otherwise stops with the command to run.
pub fn ensure_program(program: &str, package: &str) -> Result<()> {
    if on_path(program) {
        return Ok(());
    }
    let command = format!("apt-get update && apt-get install -y {package}");
    if !(is_root() && on_path("apt-get")) {
        bail!("`{program}` is missing. Install it with:\n    sudo sh -c '{command}'");
    }
    eprintln!("xtask: `{program}` is missing; installing Debian's {package} ...");
    let status = Command::new("sh")
        .args(["-c", &command])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .context("could not run apt-get")?;
    if !status.success() || !on_path(program) {
        bail!("installing {package} failed ({status}); try:\n    {command}");
    }
    Ok(())
}

/// Makes sure QEMU for AArch64 is installed.
pub fn ensure_qemu() -> Result<()> {
    ensure_program("qemu-system-aarch64", QEMU_PACKAGE)
}
