//! `restart-checksum`: shows that a restart brings back the program's
//! initial memory. In each life it prints a checksum of its initialised
//! data and its bss; in its first life it then scribbles over both, prints
//! the checksum again and faults, for its supervisor to restart it; in
//! its second it exits with 0.

#![no_std]
#![no_main]

use core::hint::black_box;
use core::ptr::{addr_of, addr_of_mut};
use vesper_activations::{dcb, println};

vesper_activations::main!(run);

/// Initialised data (`.data`): a pattern the image holds.
static mut DATA: [u8; 4096] = {
    let mut data = [0; 4096];
    let mut i = 0;
    while i < data.len() {
        data[i] = (i * 7 + 3) as u8;
        i += 1;
    }
    data
};

/// Zeroed data (`.bss`).
static mut ZEROED: [u8; 4096] = [0; 4096];

/// FNV-1a over both.
fn checksum() -> u64 {
    // SAFETY: one thread; the statics are only touched here and in
    // `scribble`, never at once.
    let (data, zeroed) = unsafe { (&*addr_of!(DATA), &*addr_of!(ZEROED)) };
    data.iter().chain(zeroed).fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3)
    })
}

fn scribble() {
    // SAFETY: as in `checksum`.
    let (data, zeroed) = unsafe { (&mut *addr_of_mut!(DATA), &mut *addr_of_mut!(ZEROED)) };
    for (i, (d, z)) in data.iter_mut().zip(zeroed.iter_mut()).enumerate() {
        *d = black_box(i as u8);
        *z = black_box(0xa5);
    }
}

fn run() {
    let life = dcb().restarts;
    println!("restart-checksum: life {life} checksum {:#018x}", checksum());
    if life > 0 {
        return;
    }
    scribble();
    println!("restart-checksum: life {life} scribbled {:#018x}", checksum());
    // SAFETY: not safe at all, on purpose: the instruction traps and the
    // kernel stops this domain for its supervisor to restart.
    unsafe { core::arch::asm!("udf #1") };
}
