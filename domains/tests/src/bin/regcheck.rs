//! `regcheck`: proves that preemption preserves every register.
//!
//! An assembly loop fills x1-x26 and all 32 SIMD registers with values
//! derived from a per-domain seed and checks them continuously while the
//! kernel preempts the domain; each preemption goes through the kernel's
//! save, an activation upcall, the thread library and `rfa`. Run two of
//! them (different seeds, so one domain's values can never pass for the
//! other's) beside other domains, and compare the preemption count in the
//! kernel's stats with the result printed here.

#![no_std]
#![no_main]

use vesper_activations::{domain_name, println};

core::arch::global_asm!(include_str!("regcheck.s"));

extern "C" {
    fn regcheck_loop(seed: u64, iterations: u64) -> u64;
}

vesper_activations::main!(run);

/// Loop iterations: about 500 instructions each.
const ITERATIONS: u64 = 100_000;

fn run() {
    let seed = domain_name()
        .bytes()
        .fold(0x9E37_79B9_7F4A_7C15u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3));
    // SAFETY: the loop preserves the callee-saved registers it uses, as the
    // C calling convention requires, and touches no memory but its stack.
    let result = unsafe { regcheck_loop(seed, ITERATIONS) };
    match result {
        0 => println!("regcheck: {ITERATIONS} rounds, every register intact"),
        n @ 1..=26 => println!("regcheck: FAILED: x{n} changed"),
        n => println!("regcheck: FAILED: v{} changed", n - 100),
    }
}
