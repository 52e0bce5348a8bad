//! Images for a physical Pi 3: the SD card image read back with FAT and
//! MBR libraries, the `kernel8.img` on it booted in QEMU with the card
//! attached, and the board kernel (no semihosting) halting at the end.

use std::path::{Path, PathBuf};
use std::time::Duration;
use vesper_builder::sdcard::{DEFAULT_SIZE, FIRMWARE_FILES};
use vesper_builder::{write_card, write_card_booting, CardBoot, Machine};
use vesper_tests::{boot_with, built_image, read_card, QemuExit};

/// A short image: two domains, 50 ms of virtual time.
const MANIFEST: &str = "tests/manifests/two-hellos.toml";

/// `hlt #0xf000`, the semihosting call, little-endian.
const SEMIHOSTING_HLT: [u8; 4] = 0xD45E_0000u32.to_le_bytes();

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vesper-sdcard-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_card_holds_the_boot_files_and_its_kernel_boots_in_qemu() {
    let image = built_image(Path::new(MANIFEST), Machine::Qemu);
    let dir = temp_dir("card");
    let firmware = dir.join("firmware");
    std::fs::create_dir_all(&firmware).unwrap();
    for name in FIRMWARE_FILES {
        std::fs::write(firmware.join(name), format!("stand-in for {name}")).unwrap();
    }
    let card = dir.join("sd.img");
    write_card(&image, &card, DEFAULT_SIZE, Some(&firmware)).unwrap();
    assert_eq!(std::fs::metadata(&card).unwrap().len(), DEFAULT_SIZE);

    let files = read_card(&card);
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["bootcode.bin", "start.elf", "fixup.dat", "config.txt", "kernel8.img"]);
    let file = |wanted: &str| &files.iter().find(|(name, _)| name == wanted).unwrap().1;
    assert_eq!(file("start.elf"), b"stand-in for start.elf");
    let config = String::from_utf8(file("config.txt").clone()).unwrap();
    for line in ["arm_64bit=1", "kernel=kernel8.img", "enable_uart=1", "init_uart_clock=48000000"] {
        assert!(config.lines().any(|l| l == line), "config.txt lacks {line}:\n{config}");
    }
    let kernel = file("kernel8.img");
    assert_eq!(kernel, &std::fs::read(&image.kernel.flat).unwrap());

    // Boot the kernel taken off the card, with the card as QEMU's SD card
    // (QEMU refuses cards whose size is not a power of two).
    let extracted = dir.join("kernel8.img");
    std::fs::write(&extracted, kernel).unwrap();
    let drive = format!("file={},if=sd,format=raw", card.display());
    let run = boot_with(&extracted, &["-drive", &drive], Duration::from_secs(60));
    run.assert_exit(0)
        .assert_contains("Vesper 0.1.0 on Raspberry Pi 3 Model B")
        .assert_contains("[first] hello from first at ")
        .assert_contains("[second] hello from second at ");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn board_kernels_have_no_semihosting_and_halt_at_the_end() {
    let qemu = built_image(Path::new(MANIFEST), Machine::Qemu).kernel;
    let board = built_image(Path::new(MANIFEST), Machine::Board).kernel;
    assert_ne!(qemu.flat, board.flat, "the two builds have their own folders");
    assert!(board.flat.starts_with(xtask::workspace_root().join("target/images/board")));
    let has_hlt =
        |path: &Path| std::fs::read(path).unwrap().windows(4).any(|w| w == SEMIHOSTING_HLT);
    assert!(has_hlt(&qemu.flat), "the QEMU kernel ends the run through semihosting");
    assert!(!has_hlt(&board.flat), "semihosting traps on a physical board");

    // It runs as on QEMU, then halts: QEMU has to be stopped.
    let run = boot_with(&board.flat, &[], Duration::from_secs(4));
    run.check(run.outcome.exit == QemuExit::TimedOut, "a board kernel cannot end QEMU")
        .assert_contains("[second] hello from second at ")
        .assert_contains("run ended at ")
        .assert_contains("stats domain=first")
        .assert_contains("halted (exit code 0): the run is over; reset the board to run again");
}

/// The files `config` names (its `kernel`, `dtoverlay`, `device_tree`,
/// `initramfs` and `armstub` settings): each must be on the card.
fn named_files(config: &str) -> Vec<String> {
    config
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .filter_map(|(key, value)| match key.trim() {
            "kernel" | "device_tree" | "armstub" => Some(value.trim().to_string()),
            "initramfs" => value.split_whitespace().next().map(str::to_string),
            "dtoverlay" => Some(format!("overlays/{}.dtbo", value.trim())),
            _ => None,
        })
        .collect()
}

#[test]
fn every_file_config_txt_names_is_on_the_card_and_a_chainloader_card_boots_the_loader() {
    let image = built_image(Path::new(MANIFEST), Machine::Board);
    let dir = temp_dir("chainloader");
    let loader = vesper_builder::build_chainloader(&xtask::workspace_root()).unwrap();
    for (name, boot) in [("kernel", CardBoot::Kernel), ("loader", CardBoot::Chainloader(&loader))] {
        let card = dir.join(format!("{name}.img"));
        write_card_booting(&image, boot, &card, DEFAULT_SIZE, None).unwrap();
        let files = read_card(&card);
        let file = |wanted: &str| files.iter().find(|(name, _)| name == wanted).map(|f| &f.1);
        let config = String::from_utf8(file("config.txt").unwrap().clone()).unwrap();
        let named = named_files(&config);
        assert!(!named.is_empty(), "config.txt names its kernel:\n{config}");
        for wanted in &named {
            assert!(
                file(wanted).is_some(),
                "{name} card: config.txt names {wanted}, not on the card"
            );
        }
        if name == "loader" {
            assert_eq!(named, ["chainloader.img"]);
            assert_eq!(file("chainloader.img").unwrap(), &std::fs::read(&loader).unwrap());
            assert!(file("kernel8.img").is_none(), "the loader card boots no fixed kernel");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
