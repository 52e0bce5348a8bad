//! `worker`: the victim of the reservation tests. Counts loop iterations
//! (its useful work) until a fixed virtual time, read from the virtual
//! counter at EL0 without a system call, then prints the count: two runs
//! that differ only in what its neighbours do compare by this number, not
//! by the kernel's accounting.

#![no_std]
#![no_main]

use core::arch::asm;
use vesper_activations::println;

vesper_activations::main!(run);

/// When counting stops: virtual ns since boot.
const UNTIL_NS: u64 = 80_000_000;
/// Iterations between two reads of the counter.
const BATCH: u64 = 256;

fn counter_ns() -> u64 {
    let (count, frequency): (u64, u64);
    // SAFETY: reads two timer registers EL0 may read; no memory is touched.
    unsafe {
        asm!(
            "isb",
            "mrs {count}, cntvct_el0",
            "mrs {frequency}, cntfrq_el0",
            count = out(reg) count,
            frequency = out(reg) frequency,
            options(nomem, nostack)
        )
    };
    (u128::from(count) * 1_000_000_000 / u128::from(frequency.max(1))) as u64
}

fn run() {
    let mut work: u64 = 0;
    while counter_ns() < UNTIL_NS {
        for _ in 0..BATCH {
            work = core::hint::black_box(work + 1);
        }
    }
    println!("work {work} iterations by {UNTIL_NS} ns");
}
