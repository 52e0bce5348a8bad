//! `cargo xtask sdcard` without firmware: an error, before anything is
//! built, unless `--no-firmware` says a card for QEMU only is wanted.

use std::path::Path;
use std::process::{Command, Output};
use vesper_builder::sdcard::{DEBIAN_FIRMWARE_DIR, FIRMWARE_FILES};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask")).args(args).output().unwrap()
}

#[test]
fn a_card_without_firmware_must_be_asked_for() {
    let debian =
        FIRMWARE_FILES.iter().all(|file| Path::new(DEBIAN_FIRMWARE_DIR).join(file).is_file());
    if debian {
        eprintln!("skipped: Debian's raspi-firmware is installed, so there is always firmware");
        return;
    }
    let out = std::env::temp_dir().join(format!("vesper-xtask-{}-sd.img", std::process::id()));
    let run = xtask(&["sdcard", "--out", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("xtask: error: no firmware (bootcode.bin, start.elf, fixup.dat)")
            && stderr.contains("pass --no-firmware for a card that boots in QEMU only"),
        "{stderr}"
    );
    // Nothing was built or written.
    assert!(run.stdout.is_empty(), "{}", String::from_utf8_lossy(&run.stdout));
    assert!(!out.exists());
}

#[test]
fn no_firmware_and_a_firmware_folder_contradict_each_other() {
    let run = xtask(&["sdcard", "--out", "sd.img", "--no-firmware", "--firmware", "fw"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("'--no-firmware' cannot be used with '--firmware <DIR>'"), "{stderr}");
}
