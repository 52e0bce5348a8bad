//! `sleeper`: wakes every 20 ms, does a little work, and sleeps again;
//! reports how late its wake-ups were.

#![no_std]
#![no_main]

use vesper_activations::{now_ns, println, sleep_until};

vesper_activations::main!(run);

/// Time between wake-ups.
const INTERVAL_NS: u64 = 20_000_000;
/// Wake-ups before the report.
const ROUNDS: u64 = 10;

fn run() {
    let mut next = now_ns() + INTERVAL_NS;
    let mut worst_late = 0;
    let mut total_late = 0;
    for _ in 0..ROUNDS {
        sleep_until(next);
        let late = now_ns().saturating_sub(next);
        worst_late = worst_late.max(late);
        total_late += late;
        next += INTERVAL_NS;
    }
    println!(
        "woke {ROUNDS} times every {} ms: lateness max={worst_late} ns avg={} ns",
        INTERVAL_NS / 1_000_000,
        total_late / ROUNDS
    );
}
