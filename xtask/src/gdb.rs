//! `cargo xtask gdb`: an image booted halted under QEMU's gdb stub, and
//! gdb-multiarch attached to it.
//!
//! When gdb is attached from the same terminal, QEMU must not read that
//! terminal: with `-serial stdio` both read the keyboard and typed commands
//! reach the guest's UART in part (`break kernel_main` arrived in gdb as
//! `reak`). So in that mode the guest's UART goes to a log file, which the
//! command copies to the terminal as it grows, and gdb owns standard input.

use crate::qemu::Boot;
use anyhow::{Context, Result};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The port gdb connects to when the user gives none.
pub const DEFAULT_PORT: u16 = 1234;

/// Where the guest's UART goes while QEMU waits for gdb.
#[derive(Clone, Debug)]
pub enum Serial {
    /// This terminal (`-serial stdio`): only when no debugger shares it.
    Terminal,
    /// A file (`-serial file:PATH`), truncated first.
    File(PathBuf),
}

/// QEMU for `kernel`, halted before its first instruction, with its gdb
/// stub on `port` and the kernel's console (whichever UART it is) sent to
/// `serial`. QEMU never reads this
/// process's standard input unless the UART is the terminal.
pub fn halted_qemu(kernel: &Path, port: u16, serial: &Serial) -> Command {
    let mut boot = Boot::new(kernel);
    boot.extra_args = vec!["-S".into(), "-gdb".into(), format!("tcp::{port}")];
    if let Serial::File(path) = serial {
        boot.serial = format!("file:{}", path.display());
    }
    let mut qemu = boot.command_kernel_console();
    if matches!(serial, Serial::File(_)) {
        qemu.stdin(Stdio::null());
    }
    qemu
}

/// gdb-multiarch with the kernel's symbols, connected to `port`, then
/// running `commands` (each as one `-ex`).
pub fn gdb(elf: &Path, port: u16, commands: &[&str]) -> Command {
    let mut gdb = Command::new("gdb-multiarch");
    gdb.arg("-q")
        .args(["-ex", "set pagination off"])
        .arg("-ex")
        .arg(format!("file {}", elf.display()))
        .arg("-ex")
        .arg(format!("target remote :{port}"));
    for command in commands {
        gdb.args(["-ex", command]);
    }
    gdb
}

/// A TCP port nobody listens on now, for a gdb stub of our own (tests run
/// several at once).
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Copies what is appended to a file to standard error until dropped, so
/// the guest's output shows while gdb owns the terminal.
pub struct Tail {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Tail {
    /// Starts following `path`.
    pub fn follow(path: PathBuf) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut offset = 0;
            loop {
                // One last pass after the stop, for what came at the end.
                let last = flag.load(Ordering::Relaxed);
                if let Ok(mut file) = File::open(&path) {
                    let mut new = Vec::new();
                    if file.seek(SeekFrom::Start(offset)).is_ok() {
                        let _ = file.read_to_end(&mut new);
                    }
                    offset += new.len() as u64;
                    let _ = std::io::stderr().write_all(&new);
                }
                if last {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Self { stop, thread: Some(thread) }
    }
}

impl Drop for Tail {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Stops QEMU (it would wait for a debugger for ever).
pub fn stop(mut qemu: Child) {
    let _ = qemu.kill();
    let _ = qemu.wait();
}
