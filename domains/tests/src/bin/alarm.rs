//! `alarm`: sets alarms while computing and checks that each one arrives as
//! an activation with reason Event, on time, and that the computing thread
//! simply continues afterwards.

#![no_std]
#![no_main]

use vesper_activations::syscall::set_alarm;
use vesper_activations::{activation_history, now_ns, println, ActivationReason};

vesper_activations::main!(run);

/// Alarms set, one after the other.
const ALARMS: u64 = 5;
/// How far ahead each alarm is set.
const AHEAD_NS: u64 = 3_000_000;

fn events() -> usize {
    activation_history().iter().filter(|&&r| r == ActivationReason::Event).count()
}

fn run() {
    let mut worst_late = 0;
    for round in 0..ALARMS {
        let before = events();
        let due = now_ns() + AHEAD_NS;
        set_alarm(due);
        // Compute until the alarm's activation has come and gone.
        while events() == before {
            core::hint::spin_loop();
        }
        let late = now_ns().saturating_sub(due);
        worst_late = worst_late.max(late);
        println!("alarm {round}: activation with reason event");
    }
    println!("alarms: {ALARMS} events, at most {worst_late} ns after the time asked");
}
