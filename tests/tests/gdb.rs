//! `cargo xtask gdb`'s pieces, scripted: QEMU halted with its console in a
//! log file (as in attached mode, so that gdb alone reads the terminal),
//! and gdb-multiarch in batch mode breaking at `kernel_main` and printing a
//! backtrace.

use std::path::Path;
use std::process::Stdio;
use vesper_tests::manifest_image;
use xtask::gdb::{free_port, gdb, halted_qemu, stop, Serial};

#[test]
fn gdb_breaks_at_kernel_main_and_gets_a_backtrace() {
    xtask::setup::ensure_qemu().expect("QEMU is needed");
    xtask::setup::ensure_program("gdb-multiarch", xtask::setup::GDB_PACKAGE)
        .expect("gdb-multiarch is needed");
    let kernel = manifest_image(Path::new("images/demo.toml"));
    let log = kernel.flat.with_file_name("gdb-test-serial.log");
    let port = free_port().expect("a free port");
    let qemu = halted_qemu(&kernel.flat, port, &Serial::File(log.clone()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("QEMU starts");
    let output = gdb(&kernel.elf, port, &["break kernel_main", "continue", "bt", "kill"])
        .arg("-batch")
        .stdin(Stdio::null())
        .output();
    stop(qemu);
    let output = output.expect("gdb-multiarch runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let serial = std::fs::read_to_string(&log).unwrap_or_default();
    let report = format!(
        "--- gdb stdout ---\n{text}\n--- gdb stderr ---\n{}\n--- serial ---\n{serial}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("hit Breakpoint 1"), "no breakpoint hit:\n{report}");
    let frames: Vec<&str> = text.lines().filter(|line| line.starts_with('#')).collect();
    assert!(
        frames.iter().any(|frame| frame.contains("vesper_kernel::kernel_main")),
        "kernel_main is not in the backtrace:\n{report}"
    );
    assert!(!serial.contains("Vesper"), "the guest stopped at the breakpoint:\n{report}");
}
