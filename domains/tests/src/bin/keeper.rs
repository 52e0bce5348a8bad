//! `keeper`: fills a buffer with a pattern (and, if the manifest shares a
//! `vault` region with it, the vault too) and keeps checking it while other
//! domains run, then reports whether its memory stayed its own.

#![no_std]
#![no_main]

use core::ptr::{addr_of, addr_of_mut};
use vesper_activations::events::Region;
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

/// The vault's words, if there is one.
fn vault() -> Option<(*mut u64, usize)> {
    Region::named("vault").map(|r| (r.base as *mut u64, (r.size / 8) as usize))
}

fn run() {
    let buffer = addr_of_mut!(BUFFER) as *mut u64;
    for i in 0..WORDS {
        // SAFETY: `i` is in bounds of this domain's own static buffer, which
        // only this thread touches.
        unsafe { buffer.add(i).write_volatile(pattern(i)) };
    }
    if let Some((vault, words)) = vault() {
        for i in 0..words {
            // SAFETY: the vault is mapped read-write here; `i` is inside it.
            unsafe { vault.add(i).write_volatile(pattern(i)) };
        }
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
        if let Some((vault, words)) = vault() {
            // SAFETY: as above, reading.
            damaged += (0..words)
                .filter(|&i| unsafe { vault.add(i).read_volatile() } != pattern(i))
                .count();
        }
        passes += 1;
    }
    if damaged == 0 {
        let vault = if vault().is_some() { " (vault included)" } else { "" };
        println!("keeper: memory intact{vault} after {passes} passes");
    } else {
        println!("keeper: {damaged} words DAMAGED");
    }
}
