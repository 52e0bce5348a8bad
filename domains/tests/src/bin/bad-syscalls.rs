//! `bad-syscalls`: misuses system calls and reports the error codes; the
//! kernel must refuse each one and let the domain go on.

#![no_std]
#![no_main]

use core::arch::asm;
use vesper_abi::syscall::{decode, Syscall};
use vesper_activations::println;

vesper_activations::main!(run);

/// A raw system call, so that any number and arguments can be sent.
fn raw(number: u64, a0: u64, a1: u64) -> u64 {
    let ret;
    // SAFETY: the kernel preserves every register but x0; what it does with
    // bad arguments is what this program tests.
    unsafe {
        asm!("svc #0", inlateout("x0") a0 => ret, in("x1") a1, in("x8") number,
             options(nostack));
    }
    ret
}

fn run() {
    let kernel = 0xFFFF_FF80_0008_0000u64;
    let message = b"never printed";
    let checks = [
        ("unknown number", raw(999, 0, 0)),
        ("console_write kernel pointer", raw(Syscall::ConsoleWrite as u64, kernel, 16)),
        ("console_write unmapped pointer", raw(Syscall::ConsoleWrite as u64, 0x1000, 16)),
        (
            "console_write too long",
            raw(Syscall::ConsoleWrite as u64, message.as_ptr() as u64, 1 << 20),
        ),
        ("console_write wrapping", raw(Syscall::ConsoleWrite as u64, u64::MAX - 3, 8)),
        ("rfa kernel pointer", raw(Syscall::Rfa as u64, kernel, 0)),
        ("rfa misaligned", raw(Syscall::Rfa as u64, message.as_ptr() as u64 | 1, 0)),
    ];
    for (what, result) in checks {
        println!("{what}: {:?}", decode(result));
    }
    println!("still running after {} refused calls", checks.len());
}
