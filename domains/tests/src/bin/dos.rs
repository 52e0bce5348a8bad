//! `dos`: tries to take CPU from its neighbours with a tiny reservation
//! period. It asks for 1 ns every 1 ns (which must be refused), then finds
//! the shortest period the kernel accepts at a tenth of the CPU, and there
//! sleeps for a microsecond at a time, so that every period boundary and
//! every wake-up preempts whoever runs.

#![no_std]
#![no_main]

use vesper_abi::cap::RESERVATION;
use vesper_activations::dcb;
use vesper_activations::events::cap;
use vesper_activations::println;
use vesper_activations::syscall::{block_until, reservation_set, time_ns};

vesper_activations::main!(run);

/// The longest period tried: the manifest's.
const LONGEST_NS: u64 = 10_000_000;

fn run() {
    let Some(reservation) = cap(RESERVATION) else {
        println!("no reservation capability");
        return;
    };
    let handle = reservation.handle;
    println!("1 ns every 1 ns: {:?}", reservation_set(handle, 1, 1));
    // The shortest accepted period, by bisection: `high` is accepted,
    // `low` is not.
    let (mut low, mut high) = (1, LONGEST_NS);
    while high - low > 1 {
        let period = low + (high - low) / 2;
        if reservation_set(handle, period, period / 10).is_ok() {
            high = period;
        } else {
            low = period;
        }
    }
    let result = reservation_set(handle, high, high / 10);
    println!("attacking at {high} ns every period, slice {} ns: {result:?}", high / 10);
    // Within each slice, wake up every microsecond: each wake-up preempts
    // whoever runs, as the attacker's deadline is the earliest.
    loop {
        let _ = block_until(time_ns() + 1_000, dcb().events_total);
    }
}
