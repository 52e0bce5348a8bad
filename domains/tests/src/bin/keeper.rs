//! `keeper`: fills a buffer with a pattern and keeps checking it while other
//! domains run, then reports whether its memory stayed its own.

#![no_std]
#![no_main]

use core::ptr::{addr_of, addr_of_mut};
use vesper_activations::{now_ns, println};

vesper_activations::main!(run);

/// Words in the buffer.
const WORDS: usize = 8192;
/// How long to keep checking.
const DURATION_NS: u64 = 80_000_000;

static mut BUFFER: [u64; WORDS] = [0; WORDS];

fn pattern(i: usize) -> u64 {
    (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xA5A5_A5A5_A5A5_A5A5
}

fn run() {
    let buffer = addr_of_mut!(BUFFER) as *mut u64;
    for i in 0..WORDS {
        // SAFETY: `i` is in bounds of this domain's own static buffer, which
        // only this thread touches.
        unsafe { buffer.add(i).write_volatile(pattern(i)) };
    }
    let end = now_ns() + DURATION_NS;
    let mut passes = 0u64;
    let mut damaged = 0usize;
    while now_ns() < end {
        let buffer = addr_of!(BUFFER) as *const u64;
        for i in 0..WORDS {
            // SAFETY: as above, reading.
            if unsafe { buffer.add(i).read_volatile() } != pattern(i) {
                damaged += 1;
            }
        }
        passes += 1;
    }
    if damaged == 0 {
        println!("keeper: memory intact after {passes} passes");
    } else {
        println!("keeper: {damaged} words DAMAGED");
    }
}
