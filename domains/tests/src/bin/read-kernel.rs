//! `read-kernel`: works a little, then reads kernel memory, which must
//! stop this domain (and only this domain).

#![no_std]
#![no_main]

use vesper_activations::{println, sleep_ns};

vesper_activations::main!(run);

/// The kernel's first page: the boot code, in the upper half.
const KERNEL_TEXT: usize = 0xFFFF_FF80_0008_0000;

fn run() {
    sleep_ns(50_000_000);
    println!("reading kernel memory at {KERNEL_TEXT:#x}");
    // SAFETY: not safe at all, on purpose: the read must fault.
    let value = unsafe { core::ptr::read_volatile(KERNEL_TEXT as *const u64) };
    println!("SECURITY: read kernel memory: {value:#x}");
}
