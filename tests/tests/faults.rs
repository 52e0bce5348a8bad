//! What the kernel reports when it faults or panics.

use vesper_builder::KernelVariant;
use vesper_tests::{boot, image};

/// `ExitCode::KernelException` in kernel/src/exit.rs.
const EXIT_KERNEL_EXCEPTION: i32 = 3;
/// `ExitCode::KernelPanic` in kernel/src/exit.rs.
const EXIT_KERNEL_PANIC: i32 = 2;

#[test]
fn data_abort_is_decoded_and_ends_qemu_with_an_error() {
    let kernel = image(&KernelVariant::qemu_selftest("data-abort"));
    boot(&kernel.flat)
        .assert_exit(EXIT_KERNEL_EXCEPTION)
        .assert_contains("selftest: reading unmapped address 0xffffff8080000000")
        .assert_contains("KERNEL EXCEPTION: synchronous exception from EL1 (kernel)")
        .assert_contains(
            "class    data abort from the same exception level (EC 0x25): translation fault, level 1, on a read",
        )
        .assert_contains("FAR_EL1  0xffffff8080000000")
        .assert_contains("ELR_EL1  0xffffff80000")
        .assert_contains("x30 0x")
        .assert_lacks("returned");
}

#[test]
fn panic_prints_location_and_message_and_ends_qemu_with_an_error() {
    let kernel = image(&KernelVariant::qemu_selftest("panic"));
    boot(&kernel.flat)
        .assert_exit(EXIT_KERNEL_PANIC)
        .assert_contains("KERNEL PANIC at kernel/src/selftest.rs:")
        .assert_contains(": selftest: deliberate kernel panic")
        .assert_lacks("boot complete");
}
