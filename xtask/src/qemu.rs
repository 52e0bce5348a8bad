//! Booting an image in QEMU's `raspi3b` machine.

use anyhow::{Context, Result};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use vesper_abi::image::ConsoleUart;
use wait_timeout::ChildExt;

/// The QEMU binary.
pub const QEMU: &str = "qemu-system-aarch64";

/// Runs are deterministic: virtual time advances one nanosecond per
/// instruction, and the guest never waits on the host's clock.
pub const ICOUNT: &str = "shift=0,sleep=off";

/// Interactive runs: still one nanosecond per instruction while the guest
/// runs, but while it idles virtual time waits for real time, so that a
/// person can type before the next deadline comes.
pub const ICOUNT_REALTIME: &str = "shift=0,sleep=on";

/// How to boot one image.
#[derive(Clone, Debug)]
pub struct Boot {
    /// A flat `kernel8.img` (entered at EL2) or the ELF (entered at EL3).
    pub kernel: PathBuf,
    /// Extra QEMU arguments.
    pub extra_args: Vec<String>,
    /// Where the UART one talks to goes, as QEMU's `-serial` takes it
    /// (`stdio`, `file:PATH`, ...): the kernel's console, or, when a driver
    /// domain owns the PL011 ([`Boot::console`] is the mini UART), the
    /// PL011, the kernel's console then going to [`Boot::kernel_log`] in a
    /// captured run.
    pub serial: String,
    /// The UART the kernel prints on (the image's `[image] console`). With
    /// the mini UART, the PL011 belongs to a driver domain: in a captured
    /// run it is the one on stdin and stdout, and the kernel's console goes
    /// to [`Boot::kernel_log`].
    pub console: ConsoleUart,
    /// What a captured run types on the PL011 (its stdin), all at once
    /// from the start; `None`: nothing, stdin closed.
    pub input: Option<Vec<u8>>,
    /// Virtual time follows real time while the guest idles (`-icount
    /// sleep=on`), for a person typing; otherwise it jumps to the next
    /// deadline and the run is deterministic.
    pub realtime: bool,
    /// What a captured run types in answer to what the guest prints on the
    /// PL011 (instead of [`Boot::input`]), and when it ends the run.
    pub conversation: Option<Conversation>,
    /// The SD card image in the slot (see [`check_sd_card`]), if any.
    pub sd_card: Option<PathBuf>,
    /// Open QEMU's window on the Pi's screen (its default display
    /// backend) instead of running without one.
    pub display: bool,
    /// Where QEMU works, and so where a traced kernel's trace lands
    /// (`vesper_abi::trace::FILE_NAME`, written through semihosting);
    /// `None`: the current folder. Every path of the boot must then be
    /// absolute ([`Boot::traced_in`] makes them so).
    pub trace_dir: Option<PathBuf>,
}

/// Checks that `card` can be QEMU's SD card before QEMU starts (QEMU's
/// own complaint comes late and obscure): a file whose size is a power of
/// two, at least one block. `cargo xtask sdcard` writes such cards.
pub fn check_sd_card(card: &Path) -> Result<()> {
    let size = std::fs::metadata(card)
        .with_context(|| format!("the SD card image {} cannot be read", card.display()))?
        .len();
    if size < 512 || !size.is_power_of_two() {
        anyhow::bail!(
            "the SD card image {} is {size} bytes, but QEMU's SD card must be a power of two \
             bytes long, at least 512 (`cargo xtask sdcard` writes one; `truncate -s 64M FILE` \
             makes a blank one)",
            card.display()
        );
    }
    Ok(())
}

/// A captured run that answers the guest: each time a line the guest
/// prints on the PL011 contains `prompt`, the host types `reply` there; the
/// first line that contains `until` ends the run (QEMU is stopped, the exit
/// being [`Exit::Ended`]). For an image that waits for input with no
/// deadline: virtual time stands still while it waits, so when the reply
/// comes does not change what the guest does.
#[derive(Clone, Debug)]
pub struct Conversation {
    /// What the host answers.
    pub prompt: String,
    /// The answer.
    pub reply: Vec<u8>,
    /// What ends the run.
    pub until: String,
    /// How long (real time) the host waits before each answer: with the
    /// guest waiting for it with no deadline, virtual time stands still
    /// meanwhile, and the pause makes sure the guest has finished printing
    /// and is waiting when the answer comes.
    pub pause: Duration,
}

impl Boot {
    /// Boots `kernel` with the standard machine: raspi3b, no display, the
    /// kernel's console on stdio (on the UART the image recorded beside
    /// the kernel, see `vesper_builder::image::CONSOLE_FILE`), semihosting
    /// (for the exit code), icount.
    pub fn new(kernel: impl AsRef<Path>) -> Self {
        let kernel = kernel.as_ref().to_path_buf();
        Self {
            console: vesper_builder::image::read_console(&kernel),
            kernel,
            extra_args: Vec::new(),
            serial: "stdio".into(),
            input: None,
            realtime: false,
            conversation: None,
            sd_card: None,
            display: false,
            trace_dir: None,
        }
    }

    /// This boot with QEMU working in `folder`, where a traced kernel
    /// writes its trace (`vesper_abi::trace::FILE_NAME`); the kernel's and
    /// the card's paths become absolute.
    pub fn traced_in(mut self, folder: &Path) -> Result<Self> {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("creating {}", folder.display()))?;
        self.kernel = std::path::absolute(&self.kernel)?;
        if let Some(card) = &self.sd_card {
            self.sd_card = Some(std::path::absolute(card)?);
        }
        self.trace_dir = Some(std::path::absolute(folder)?);
        Ok(self)
    }

    /// The trace a traced kernel wrote in this boot, if any.
    pub fn trace_file(&self) -> Option<PathBuf> {
        let path = self.trace_dir.as_ref()?.join(vesper_abi::trace::FILE_NAME);
        path.exists().then_some(path)
    }

    /// Where a captured run writes the kernel's console when it is the mini
    /// UART (the PL011, a driver's, being on stdio): beside the kernel image.
    pub fn kernel_log(&self) -> PathBuf {
        self.kernel.with_file_name("kernel-console.log")
    }

    /// The full QEMU command line, with `kernel` as the mini UART's
    /// `-serial` when it is the kernel's console (the PL011 then on
    /// `serial`).
    fn command_with(&self, kernel: &str) -> Command {
        // QEMU's first `-serial` is the PL011, the second the mini UART.
        let uarts = match self.console {
            ConsoleUart::Pl011 => [self.serial.as_str(), "null"],
            ConsoleUart::MiniUart => [self.serial.as_str(), kernel],
        };
        let mut cmd = Command::new(QEMU);
        if let Some(folder) = &self.trace_dir {
            cmd.current_dir(folder);
        }
        cmd.args(["-M", "raspi3b", "-monitor", "none"]);
        if !self.display {
            cmd.args(["-display", "none"]);
        }
        cmd.args(["-serial", uarts[0], "-serial", uarts[1]])
            .args(["-semihosting", "-icount", if self.realtime { ICOUNT_REALTIME } else { ICOUNT }])
            .arg("-kernel")
            .arg(&self.kernel);
        if let Some(card) = &self.sd_card {
            cmd.arg("-drive").arg(format!("file={},if=sd,format=raw", card.display()));
        }
        cmd.args(&self.extra_args);
        cmd
    }

    /// The full QEMU command line with the kernel's console on `serial`
    /// whichever UART it is, and a driver's PL011 unconnected: for a
    /// debugger's session, where the kernel's log is what matters.
    pub fn command_kernel_console(&self) -> Command {
        match self.console {
            ConsoleUart::Pl011 => self.command_with("null"),
            ConsoleUart::MiniUart => {
                let mut kernel = self.clone();
                kernel.serial = "null".into();
                kernel.command_with(&self.serial)
            }
        }
    }

    /// The full QEMU command line of a captured run.
    pub fn command(&self) -> Command {
        self.command_with(&format!("file:{}", self.kernel_log().display()))
    }

    /// Boots and waits, with the console on this terminal (and, when a
    /// driver domain owns the PL011, the PL011 too: it gets the keyboard,
    /// and both print here). Returns QEMU's exit code (the kernel's,
    /// through semihosting).
    pub fn run_interactive(&self) -> Result<i32> {
        let mut cmd = match self.console {
            ConsoleUart::Pl011 => self.command_with("null"),
            ConsoleUart::MiniUart => {
                // The PL011 is the terminal (Ctrl-A X quits, through the
                // multiplexer); the kernel's mini UART only writes, to the
                // same terminal through stderr.
                let mut driver = self.clone();
                driver.serial = "chardev:term".into();
                let mut cmd = driver.command_with("file:/dev/stderr");
                cmd.args(["-chardev", "stdio,id=term,mux=on,signal=off"]);
                cmd
            }
        };
        let status = cmd.status().with_context(|| format!("could not start {QEMU}"))?;
        Ok(status.code().unwrap_or(-1))
    }

    /// Boots with the PL011 on a new pseudo-terminal, which a serial
    /// program opens as it would a USB serial adapter (the chainboot
    /// test). QEMU names the terminal on its stdout, which is drained in
    /// the background. Everything QEMU sends on the line is also written to
    /// [`OnPty::log`]: when QEMU exits, the terminal hangs up and Linux
    /// drops what the reader had not yet taken, so the log is the complete
    /// record once QEMU has exited.
    pub fn spawn_on_pty(&self) -> Result<OnPty> {
        use std::io::BufRead;
        static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log = self.kernel.with_file_name(format!("line-{}-{run}.log", std::process::id()));
        let _ = std::fs::remove_file(&log);
        let mut boot = self.clone();
        boot.serial = "chardev:line".into();
        let mut command = boot.command_with("null");
        command.arg("-chardev").arg(format!("pty,id=line,logfile={}", log.display()));
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("could not start {QEMU}"))?;
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("piped"));
        let (named, pty) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            while stdout.read_line(&mut line).is_ok_and(|n| n > 0) {
                // "char device redirected to /dev/pts/N (label line)"
                if let Some(rest) = line.split("redirected to ").nth(1) {
                    let path = rest.split_whitespace().next().unwrap_or_default();
                    let _ = named.send(PathBuf::from(path));
                }
                line.clear();
            }
        });
        match pty.recv_timeout(Duration::from_secs(30)) {
            Ok(pty) => Ok(OnPty { child, pty, log }),
            Err(_) => {
                let _ = child.kill();
                anyhow::bail!("QEMU named no pseudo-terminal")
            }
        }
    }

    /// Boots, types [`Boot::input`] or holds [`Boot::conversation`],
    /// captures the serial output, and kills QEMU if it is still running
    /// after `timeout` (a safety net for hung guests, not a measurement:
    /// under icount the guest's time does not depend on it).
    pub fn run_captured(&self, timeout: Duration) -> Result<Outcome> {
        let _ = std::fs::remove_file(self.kernel_log());
        let typing = self.input.is_some() || self.conversation.is_some();
        let mut child = self
            .command()
            .stdin(if typing { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("could not start {QEMU}"))?;
        let mut stdin = child.stdin.take();
        if let Some(input) = self.input.clone() {
            if let Some(mut stdin) = stdin.take() {
                // Written from a thread, so that a guest slow to read cannot
                // block the run; the pipe closes when it is done.
                std::thread::spawn(move || {
                    use std::io::Write;
                    let _ = stdin.write_all(&input);
                });
            }
        }
        let stdout = child.stdout.take().expect("piped");
        let mut stderr = child.stderr.take().expect("piped");
        let (ended_tx, ended) = std::sync::mpsc::channel();
        let conversation = self.conversation.clone();
        let out_reader = std::thread::spawn(move || {
            let (buf, said) = converse(stdout, conversation.as_ref().zip(stdin));
            let _ = ended_tx.send(said);
            buf
        });
        let err_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr.read_to_end(&mut buf);
            buf
        });
        // The guest said what the conversation waited for: stop it now.
        // Its output ended: it is exiting, give it a moment.
        let ended = ended.recv_timeout(timeout).ok();
        let ended_early = ended.is_some();
        let grace = if ended == Some(false) { GRACE } else { Duration::ZERO };
        let exit = match child.wait_timeout(grace)? {
            Some(status) => Exit::Code(status.code().unwrap_or(-1)),
            None => {
                child.kill()?;
                child.wait()?;
                if ended_early {
                    Exit::Ended
                } else {
                    Exit::TimedOut
                }
            }
        };
        let serial = out_reader.join().unwrap_or_default();
        let stderr = err_reader.join().unwrap_or_default();
        let (kernel, device) = match self.console {
            ConsoleUart::Pl011 => (serial, Vec::new()),
            ConsoleUart::MiniUart => (std::fs::read(self.kernel_log()).unwrap_or_default(), serial),
        };
        Ok(Outcome {
            exit,
            serial: String::from_utf8_lossy(&kernel).replace("\r\n", "\n"),
            device_serial: String::from_utf8_lossy(&device).replace("\r\n", "\n"),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }
}

/// How long QEMU may take to exit by itself once its output has ended.
const GRACE: Duration = Duration::from_secs(5);

/// Reads the guest's PL011 output to its end, or, holding `conversation`,
/// until its `until` line, answering its prompts on `stdin`. Returns the
/// output and whether the `until` line came.
fn converse(
    stdout: std::process::ChildStdout,
    conversation: Option<(&Conversation, std::process::ChildStdin)>,
) -> (Vec<u8>, bool) {
    use std::io::{BufRead, BufReader, Write};
    let mut reader = BufReader::new(stdout);
    let mut buf = Vec::new();
    let Some((conversation, mut stdin)) = conversation else {
        let _ = reader.read_to_end(&mut buf);
        return (buf, false);
    };
    loop {
        let start = buf.len();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return (buf, false),
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&buf[start..]);
        if line.contains(&conversation.until) {
            return (buf, true);
        }
        if line.contains(&conversation.prompt) {
            std::thread::sleep(conversation.pause);
            let _ = stdin.write_all(&conversation.reply).and_then(|()| stdin.flush());
        }
    }
}

/// How a captured QEMU run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// QEMU exited with this status (the guest's semihosting exit code).
    Code(i32),
    /// QEMU was killed after the timeout.
    TimedOut,
    /// QEMU was stopped once the guest had said what its
    /// [`Conversation`] waited for.
    Ended,
}

/// What a captured run produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// How it ended.
    pub exit: Exit,
    /// Everything the kernel wrote to its console (`\r\n` made `\n`).
    pub serial: String,
    /// Everything the guest wrote to the PL011 when a driver domain owns
    /// it (the kernel's console is the mini UART); empty otherwise.
    pub device_serial: String,
    /// QEMU's own messages.
    pub stderr: String,
}

/// A QEMU run whose PL011 is on a pseudo-terminal ([`Boot::spawn_on_pty`]).
pub struct OnPty {
    /// QEMU itself.
    pub child: std::process::Child,
    /// The terminal's path, to open as a serial line.
    pub pty: PathBuf,
    /// Everything QEMU sent on the line, complete once QEMU has exited.
    pub log: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_sd_card_must_exist_and_be_a_power_of_two_long() {
        let dir = std::env::temp_dir().join(format!("vesper-sd-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let card = |name: &str, size: u64| {
            let path = dir.join(name);
            std::fs::File::create(&path).unwrap().set_len(size).unwrap();
            path
        };
        assert!(check_sd_card(&card("good.img", 64 << 20)).is_ok());
        let odd = check_sd_card(&card("odd.img", 60 << 20)).unwrap_err().to_string();
        assert!(odd.contains("62914560 bytes") && odd.contains("power of two"), "{odd}");
        let missing = check_sd_card(&dir.join("missing.img")).unwrap_err().to_string();
        assert!(missing.contains("cannot be read"), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
