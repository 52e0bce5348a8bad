//! `cargo xtask screenshot MANIFEST --at 500ms --out shot.png`: what the
//! Pi's screen shows at a virtual time.
//!
//! The image is built with `run-for` set to that time and with the kernel
//! of a physical board, which at the end of the run halts instead of
//! ending QEMU (its last line says so): every domain has stopped, so the
//! screen holds what it held at that instant, whatever the host's speed.
//! Then QEMU's machine protocol (QMP, on a socket beside the image) takes
//! the screendump, as PNG (QEMU 7.1 and later), and QEMU is stopped.

use crate::qemu::Boot;
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use vesper_abi::image::ConsoleUart;

/// The board kernel's last line, once the run is over.
pub const HALTED: &str = "halted (exit code";

/// What a screenshot run gives: the console, and where the picture is.
#[derive(Clone, Debug)]
pub struct Screenshot {
    /// The kernel's console, to the halt.
    pub console: String,
    /// The PNG written.
    pub png: PathBuf,
}

/// Builds `manifest` to end at `at_ns`, boots it, and writes the screen
/// as it is then to `out` (PNG). Gives up after `timeout` of real time.
pub fn screenshot(
    root: &Path,
    manifest: &Path,
    at_ns: u64,
    out: &Path,
    timeout: Duration,
) -> Result<Screenshot> {
    let overrides = vesper_builder::Overrides { run_for_ns: Some(at_ns), ..Default::default() };
    let image = vesper_builder::build_board_image_with(root, manifest, overrides)?;
    let boot = Boot::new(&image.kernel.flat);
    let console = screendump(&boot, out, timeout)?;
    Ok(Screenshot { console, png: out.to_path_buf() })
}

/// Boots `boot` with a QMP socket, waits for the kernel's [`HALTED`] line,
/// has QEMU write the screen to `png`, stops QEMU, and returns the
/// kernel's console.
pub fn screendump(boot: &Boot, png: &Path, timeout: Duration) -> Result<String> {
    let socket = boot.kernel.with_file_name("qmp.sock");
    let _ = std::fs::remove_file(&socket);
    let png = std::path::absolute(png)?;
    if let Some(folder) = png.parent() {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("creating {}", folder.display()))?;
    }
    let _ = std::fs::remove_file(&png);
    let mut command = boot.command();
    command.arg("-qmp").arg(format!("unix:{},server=on,wait=off", socket.display()));
    let mut qemu = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("could not start {}", crate::qemu::QEMU))?;
    let stdout = qemu.stdout.take().expect("piped");
    let (lines_tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let result = wait_and_dump(boot, &lines, &socket, &png, timeout);
    let _ = qemu.kill();
    let _ = qemu.wait();
    let _ = std::fs::remove_file(&socket);
    let serial: Vec<String> = lines.try_iter().collect();
    result.map(|console| if console.is_empty() { serial.join("\n") } else { console })
}

/// Waits for the halt on the kernel's console (the PL011's lines, or the
/// mini UART's file), then takes the screendump. Returns the console.
fn wait_and_dump(
    boot: &Boot,
    lines: &std::sync::mpsc::Receiver<String>,
    socket: &Path,
    png: &Path,
    timeout: Duration,
) -> Result<String> {
    let start = Instant::now();
    let mut console = String::new();
    loop {
        if start.elapsed() > timeout {
            bail!("the run did not end within {timeout:?}:\n{console}");
        }
        match boot.console {
            ConsoleUart::Pl011 => match lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    console.push_str(&line);
                    console.push('\n');
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    bail!("QEMU ended before the kernel halted:\n{console}")
                }
            },
            ConsoleUart::MiniUart => {
                std::thread::sleep(Duration::from_millis(100));
                console = std::fs::read_to_string(boot.kernel_log()).unwrap_or_default();
            }
        }
        if console.contains(HALTED) {
            break;
        }
    }
    qmp_screendump(socket, png)?;
    Ok(console.replace("\r\n", "\n"))
}

/// Asks QEMU, through the QMP socket at `socket`, to write the screen to
/// `png` as PNG.
fn qmp_screendump(socket: &Path, png: &Path) -> Result<()> {
    let stream = UnixStream::connect(socket)
        .with_context(|| format!("connecting to QEMU's QMP socket {}", socket.display()))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let mut greeting = String::new();
    reader.read_line(&mut greeting)?;
    let mut command = |request: serde_json::Value| -> Result<()> {
        writeln!(writer, "{request}")?;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                bail!("QEMU closed the QMP socket");
            }
            let answer: serde_json::Value =
                serde_json::from_str(&line).with_context(|| format!("QMP answered {line:?}"))?;
            if answer.get("return").is_some() {
                return Ok(());
            }
            if let Some(error) = answer.get("error") {
                bail!("QMP refused {request}: {error}");
            }
            // An event: wait for the answer.
        }
    };
    command(serde_json::json!({ "execute": "qmp_capabilities" }))?;
    command(serde_json::json!({
        "execute": "screendump",
        "arguments": { "filename": png.display().to_string(), "format": "png" },
    }))?;
    if !png.exists() {
        bail!("QEMU wrote no screendump at {}", png.display());
    }
    Ok(())
}

/// The colour of every pixel of the PNG at `png`: width, height, and rows
/// of `(r, g, b)`.
pub fn read_png(png: &Path) -> Result<(u32, u32, Vec<[u8; 3]>)> {
    let file = std::fs::File::open(png).with_context(|| format!("opening {}", png.display()))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info()?;
    let mut buffer = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buffer)?;
    let channels = info.color_type.samples();
    if channels < 3 {
        bail!("{} is not in colour", png.display());
    }
    let pixels =
        buffer[..info.buffer_size()].chunks(channels).map(|p| [p[0], p[1], p[2]]).collect();
    Ok((info.width, info.height, pixels))
}
