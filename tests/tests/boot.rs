//! The kernel boots on QEMU raspi3b, from the flat image and from the ELF.

use vesper_builder::KernelVariant;
use vesper_tests::{boot, image};

const BANNER: &str =
    "Vesper 0.1.0 on Raspberry Pi 3 Model B rev 1.2, BCM2837, 1024 MiB (revision 0xa02082)";

#[test]
fn flat_image_boots_to_the_banner_and_exits_cleanly() {
    let kernel = image(&KernelVariant::qemu());
    boot(&kernel.flat)
        .assert_exit(0)
        .assert_contains(BANNER)
        .assert_contains("CPU Cortex-A53 r0p4 (MIDR 0x410fd034), core 0, EL1")
        .assert_contains("boot complete")
        .assert_lacks("EXCEPTION")
        .assert_lacks("PANIC");
}

#[test]
fn elf_boots_from_el3_to_the_banner() {
    let kernel = image(&KernelVariant::qemu());
    boot(&kernel.elf)
        .assert_exit(0)
        .assert_contains(BANNER)
        .assert_contains("core 0, EL1")
        .assert_contains("boot complete");
}

#[test]
fn two_boots_print_byte_identical_output() {
    let kernel = image(&KernelVariant::qemu());
    let first = boot(&kernel.flat);
    let second = boot(&kernel.flat);
    first.assert_exit(0);
    second.assert_exit(0);
    assert_eq!(first.serial(), second.serial(), "icount runs must be deterministic");
}
