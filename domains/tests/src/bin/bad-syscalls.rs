//! `bad-syscalls`: misuses system calls and reports the error codes; the
//! kernel must refuse each one and let the domain go on.

#![no_std]
#![no_main]

use vesper_abi::syscall::{decode, Syscall};
use vesper_activations::println;
use vesper_activations::syscall::raw_number as raw;

vesper_activations::main!(run);

fn run() {
    let kernel = 0xFFFF_FF80_0008_0000u64;
    let message = b"never printed";
    let checks = [
        ("unknown number", raw(999, [0, 0, 0])),
        ("console_write kernel pointer", raw(Syscall::ConsoleWrite as u64, [kernel, 16, 0])),
        ("console_write unmapped pointer", raw(Syscall::ConsoleWrite as u64, [0x1000, 16, 0])),
        (
            "console_write too long",
            raw(Syscall::ConsoleWrite as u64, [message.as_ptr() as u64, 1 << 20, 0]),
        ),
        ("console_write wrapping", raw(Syscall::ConsoleWrite as u64, [u64::MAX - 3, 8, 0])),
        ("rfa kernel pointer", raw(Syscall::Rfa as u64, [kernel, 0, 0])),
        ("rfa misaligned", raw(Syscall::Rfa as u64, [message.as_ptr() as u64 | 1, 0, 0])),
    ];
    for (what, result) in checks {
        println!("{what}: {:?}", decode(result));
    }
    println!("still running after {} refused calls", checks.len());
}
