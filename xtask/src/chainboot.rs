//! `cargo xtask chainboot`: the host's side of `vesper_abi::chainload`.
//! It waits for the chainloader's request on a serial line, sends the
//! kernel in one frame with a progress bar, reads the loader's answer
//! (sending again, up to [`ATTEMPTS`] times, if the loader refused the
//! frame), then turns into a terminal on the board's console.
//!
//! The same code drives a physical board (a USB serial adapter) and QEMU
//! (its PL011 on a pty), which is how `cargo xtask test` checks it.

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serialport::SerialPort;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};
use vesper_abi::chainload::{header, trailer, ERROR, MAX_IMAGE, OK, REQUEST};

/// How many frames are sent before giving up on a loader that refuses
/// them.
pub const ATTEMPTS: usize = 3;
/// How long to wait for the loader's request or answer (real time).
pub const WAIT: Duration = Duration::from_secs(60);
/// The key that ends the terminal: Ctrl-] (as in telnet).
pub const QUIT: u8 = 0x1d;
/// Bytes per write while sending (the progress bar's step).
const CHUNK: usize = 1024;

/// Opens the serial line `port` at `baud`, 8N1 (a pty too).
pub fn open(port: &Path, baud: u32) -> Result<Box<dyn SerialPort>> {
    serialport::new(port.to_string_lossy(), baud)
        .timeout(Duration::from_millis(50))
        .open()
        .with_context(|| format!("opening the serial line {}", port.display()))
}

/// The whole command: send `kernel` through the loader on `port`, then be
/// a terminal on the line until [`QUIT`] (or until the line closes).
pub fn chainboot(port: &Path, baud: u32, kernel: &[u8]) -> Result<()> {
    let mut line = Line::new(open(port, baud)?);
    eprintln!("xtask: waiting for the chainloader on {} (reset the board)", port.display());
    let progress = ProgressBar::new(kernel.len() as u64).with_style(
        ProgressStyle::with_template("{bytes}/{total_bytes} [{bar:40}] {bytes_per_sec}, {eta}")
            .context("the progress bar's template")?
            .progress_chars("=> "),
    );
    let sending = Sending { progress: Some(&progress), corrupt: 0 };
    let refused = line.send(kernel, &sending, &mut std::io::stderr())?;
    progress.finish();
    eprintln!("xtask: the kernel is running ({refused} frames refused on the way)");
    line.terminal()
}

/// How a kernel is sent.
#[derive(Default)]
pub struct Sending<'a> {
    /// Shows the bytes sent, if any.
    pub progress: Option<&'a ProgressBar>,
    /// How many frames to spoil (one byte of the image flipped) before
    /// sending a good one: for testing the loader's check.
    pub corrupt: usize,
}

/// A serial line and what was read from it but not used yet.
pub struct Line<P> {
    port: P,
    pending: Vec<u8>,
}

impl<P: Read + Write> Line<P> {
    /// Talks over `port`.
    pub fn new(port: P) -> Self {
        Self { port, pending: Vec::new() }
    }

    /// Sends `kernel` to the loader: waits for its request, sends a frame,
    /// reads the answer; a refused frame is sent again, up to [`ATTEMPTS`]
    /// frames in all. Returns how many were refused. Whatever else the
    /// line says goes to `log`.
    pub fn send(
        &mut self,
        kernel: &[u8],
        sending: &Sending,
        log: &mut impl Write,
    ) -> Result<usize> {
        let size = u32::try_from(kernel.len()).ok().filter(|&n| (1..=MAX_IMAGE).contains(&n));
        let Some(size) = size else {
            bail!("the kernel is {} bytes: the chainloader takes 1 to {MAX_IMAGE}", kernel.len());
        };
        for attempt in 0..ATTEMPTS {
            self.wait_for(&[REQUEST], log)?;
            // Only a frame to spoil is copied.
            let image: std::borrow::Cow<[u8]> = if attempt < sending.corrupt {
                let mut spoiled = kernel.to_vec();
                spoiled[kernel.len() / 2] ^= 0xA5;
                spoiled.into()
            } else {
                kernel.into()
            };
            if let Some(progress) = sending.progress {
                progress.set_position(0);
            }
            self.put(&header(size))?;
            for chunk in image.chunks(CHUNK) {
                self.put(chunk)?;
                if let Some(progress) = sending.progress {
                    progress.inc(chunk.len() as u64);
                }
            }
            self.put(&trailer(kernel))?;
            if self.wait_for(&[OK, ERROR], log)? == 0 {
                return Ok(attempt);
            }
            let reason = self.line_end()?;
            writeln!(log, "xtask: the chainloader refused the frame: {reason}")?;
        }
        bail!("the chainloader refused {ATTEMPTS} frames in a row")
    }

    /// Writes all of `bytes`, waiting while the line is full (a write
    /// that times out is tried again, for [`WAIT`] at most).
    fn put(&mut self, mut bytes: &[u8]) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        while !bytes.is_empty() {
            match self.port.write(bytes) {
                Ok(0) if Instant::now() >= deadline => bail!("the serial line takes nothing"),
                Ok(n) => bytes = &bytes[n..],
                Err(error)
                    if matches!(
                        error.kind(),
                        std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::Interrupted
                    ) && Instant::now() < deadline => {}
                Err(error) => return Err(error).context("writing to the serial line"),
            }
        }
        Ok(())
    }

    /// Reads until one of `patterns` has come; returns which. What came
    /// before it goes to `log`.
    fn wait_for(&mut self, patterns: &[&[u8]], log: &mut impl Write) -> Result<usize> {
        let deadline = Instant::now() + WAIT;
        loop {
            let found = patterns
                .iter()
                .enumerate()
                .filter_map(|(index, p)| Some((find(&self.pending, p)?, index, p.len())))
                .min();
            if let Some((at, index, len)) = found {
                log.write_all(&self.pending[..at])?;
                self.pending.drain(..at + len);
                return Ok(index);
            }
            if Instant::now() > deadline {
                bail!("no word from the chainloader in {} s", WAIT.as_secs());
            }
            self.fill()?;
        }
    }

    /// The rest of the current line, without its end.
    fn line_end(&mut self) -> Result<String> {
        let mut rest = Vec::new();
        self.wait_for(&[b"\n"], &mut rest)?;
        Ok(String::from_utf8_lossy(&rest).trim().to_string())
    }

    /// Reads what the line has (or waits a little).
    fn fill(&mut self) -> Result<()> {
        let mut buf = [0u8; 4096];
        match self.port.read(&mut buf) {
            Ok(0) => bail!("the serial line closed"),
            Ok(n) => self.pending.extend_from_slice(&buf[..n]),
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => {}
            Err(error) => return Err(error).context("reading the serial line"),
        }
        Ok(())
    }

    /// Everything the line says from now on, until `until` says the
    /// output is complete, the line closes, or `wait` passes.
    pub fn read_until(&mut self, until: impl Fn(&[u8]) -> bool, wait: Duration) -> Vec<u8> {
        let deadline = Instant::now() + wait;
        while !until(&self.pending) && Instant::now() < deadline {
            if self.fill().is_err() {
                break;
            }
        }
        std::mem::take(&mut self.pending)
    }
}

impl Line<Box<dyn SerialPort>> {
    /// A terminal on the line: what the board prints goes to stdout. When
    /// stdin is a terminal it is put in raw mode (restored on every way
    /// out) and each key goes to the board, until [`QUIT`]; otherwise the
    /// board is only listened to, until the line closes (or Ctrl-C).
    pub fn terminal(mut self) -> Result<()> {
        let mut stdout = std::io::stdout();
        stdout.write_all(&std::mem::take(&mut self.pending))?;
        let quit = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let _raw = if std::io::stdin().is_terminal() {
            eprintln!("xtask: a terminal on the board's console; Ctrl-] ends it");
            let raw = RawMode::on()?;
            let mut keys_to = self.port.try_clone().context("sharing the serial line")?;
            let quit = quit.clone();
            std::thread::spawn(move || {
                let mut key = [0u8; 1];
                while std::io::stdin().read(&mut key).is_ok_and(|n| n == 1) {
                    if key[0] == QUIT {
                        quit.store(true, std::sync::atomic::Ordering::Relaxed);
                        return;
                    }
                    let _ = keys_to.write_all(&key);
                }
            });
            Some(raw)
        } else {
            None
        };
        let mut buf = [0u8; 4096];
        while !quit.load(std::sync::atomic::Ordering::Relaxed) {
            match self.port.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    stdout.write_all(&buf[..n])?;
                    stdout.flush()?;
                }
                Err(error) if error.kind() == std::io::ErrorKind::TimedOut => {}
                Err(error) => return Err(error).context("reading the serial line"),
            }
        }
        Ok(())
    }
}

/// The terminal in raw mode for as long as this lives.
struct RawMode;

impl RawMode {
    fn on() -> Result<Self> {
        crossterm::terminal::enable_raw_mode().context("putting the terminal in raw mode")?;
        Ok(Self)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vesper_abi::chainload::{Receiver, Step};

    /// A loader in memory: it answers frames as the real one does.
    struct FakeLoader {
        to_host: Vec<u8>,
        receiver: Receiver,
        image: Vec<u8>,
    }

    impl Read for FakeLoader {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.to_host.is_empty() {
                return Err(std::io::ErrorKind::TimedOut.into());
            }
            let n = buf.len().min(self.to_host.len());
            buf[..n].copy_from_slice(&self.to_host[..n]);
            self.to_host.drain(..n);
            Ok(n)
        }
    }

    impl Write for FakeLoader {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            for &byte in bytes {
                match self.receiver.feed(byte) {
                    Step::Nothing => {}
                    Step::Byte { offset, byte } => {
                        self.image.resize(self.image.len().max(offset as usize + 1), 0);
                        self.image[offset as usize] = byte;
                    }
                    Step::Done(Ok(_)) => self.to_host.extend_from_slice(OK),
                    Step::Done(Err(failure)) => {
                        self.to_host.extend_from_slice(ERROR);
                        self.to_host.extend_from_slice(failure.reason().as_bytes());
                        self.to_host.extend_from_slice(b"\r\n");
                        self.to_host.extend_from_slice(REQUEST);
                    }
                }
            }
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_spoiled_frame_is_refused_and_sent_again() {
        let loader = FakeLoader {
            to_host: [&b"boot noise\r\n"[..], REQUEST].concat(),
            receiver: Receiver::new(),
            image: Vec::new(),
        };
        let mut line = Line::new(loader);
        let kernel: Vec<u8> = (0..5000u32).map(|i| (i * 7) as u8).collect();
        let mut log = Vec::new();
        let refused =
            line.send(&kernel, &Sending { progress: None, corrupt: 2 }, &mut log).unwrap();
        assert_eq!(refused, 2);
        assert_eq!(line.port.image, kernel);
        let log = String::from_utf8(log).unwrap();
        assert!(log.starts_with("boot noise"), "{log}");
        assert_eq!(log.matches("refused the frame: checksum").count(), 2, "{log}");
        let mut stubborn = Line::new(FakeLoader {
            to_host: REQUEST.to_vec(),
            receiver: Receiver::new(),
            image: Vec::new(),
        });
        let sending = Sending { progress: None, corrupt: ATTEMPTS };
        assert!(stubborn.send(&kernel, &sending, &mut Vec::new()).is_err());
    }
}
