//! The serial chainloader on QEMU, driven by `cargo xtask chainboot`'s own
//! code through a pseudo-terminal as it would drive a board through a USB
//! serial adapter: a kernel sent over the line boots, prints its banner
//! and its report, and ends the run; a spoiled frame is refused and sent
//! again.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use vesper_builder::Machine;
use vesper_tests::built_image;
use xtask::chainboot::{open, Line, Sending};
use xtask::qemu::Boot;

/// A short image: two domains, 50 ms of virtual time.
const MANIFEST: &str = "tests/manifests/two-hellos.toml";

/// One chainboot at a time: each test's host side must keep up with its
/// loader (a frame that stops for 2 s of the guest's time is refused).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The chainloader, built once per test process.
fn loader() -> PathBuf {
    static LOADER: OnceLock<PathBuf> = OnceLock::new();
    LOADER
        .get_or_init(|| {
            vesper_builder::build_chainloader(&xtask::workspace_root())
                .expect("building the chainloader")
        })
        .clone()
}

/// Sends the kernel (spoiling `corrupt` frames) and returns what the
/// sender logged, what QEMU printed on the line for the whole run (from
/// its log of the line: the terminal itself loses its last lines when QEMU
/// exits and it hangs up) and QEMU's exit code.
fn chainboot(corrupt: usize) -> (String, String, Option<i32>) {
    xtask::setup::ensure_qemu().expect("QEMU is needed for the boot tests");
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let loader = loader();
    let kernel =
        std::fs::read(built_image(Path::new(MANIFEST), Machine::Qemu).kernel.flat).unwrap();
    let run = Boot::new(&loader).spawn_on_pty().expect("starting QEMU");
    let mut qemu = run.child;
    let mut line = Line::new(open(&run.pty, 115_200).expect("opening the pty"));
    let mut log = Vec::new();
    let sent = line.send(&kernel, &Sending { progress: None, corrupt }, &mut log);
    line.read_until(
        |seen| String::from_utf8_lossy(seen).contains("stats domain=second"),
        Duration::from_secs(120),
    );
    let code = wait_timeout::ChildExt::wait_timeout(&mut qemu, Duration::from_secs(30))
        .ok()
        .flatten()
        .and_then(|status| status.code());
    let _ = qemu.kill();
    let log = String::from_utf8_lossy(&log).into_owned();
    let printed =
        String::from_utf8_lossy(&std::fs::read(&run.log).unwrap_or_default()).into_owned();
    let _ = std::fs::remove_file(&run.log);
    assert!(
        sent.is_ok(),
        "the transfer failed: {sent:?}\n--- before ---\n{log}\n--- on the line ---\n{printed}"
    );
    (log, printed, code)
}

#[test]
fn a_kernel_sent_over_the_serial_line_boots_and_reports() {
    let (log, printed, code) = chainboot(0);
    let shown = format!("--- before ---\n{log}\n--- on the line ---\n{printed}");
    assert!(printed.contains("Vesper 0.1.0 on Raspberry Pi 3 Model B"), "{shown}");
    assert!(printed.contains("[second] hello from second at "), "{shown}");
    assert!(printed.contains("stats domain=first"), "{shown}");
    assert!(!log.contains("refused"), "{shown}");
    assert_eq!(code, Some(0), "the kernel ended the run: {shown}");
}

#[test]
fn a_spoiled_transfer_is_refused_and_the_next_one_boots() {
    let (log, printed, code) = chainboot(1);
    let shown = format!("--- before ---\n{log}\n--- on the line ---\n{printed}");
    assert_eq!(log.matches("the chainloader refused the frame: checksum").count(), 1, "{shown}");
    assert!(printed.contains("stats domain=second"), "{shown}");
    assert_eq!(code, Some(0), "{shown}");
}
