//! `restart-misuse`: a domain without the supervisor's right tries to
//! restart and observe others: its own capability (no `RESTART`), and
//! handles it forged, get error codes; it has no supervision slot, and the
//! fault of a domain it does not supervise brings it no event.

#![no_std]
#![no_main]

use vesper_abi::cap::{Handle, SELF};
use vesper_activations::events::cap;
use vesper_activations::syscall::{domain_info, domain_restart};
use vesper_activations::{dcb, events_seen, println, sleep_ns};

vesper_activations::main!(run);

fn run() {
    let before = events_seen();
    let own = cap(SELF).map_or(0, |cap| cap.handle);
    println!("restart-misuse: restart self: {:?}", domain_restart(own));
    for forged in [Handle::new(20, 1).0, Handle::new(3, 7).0, u64::MAX] {
        println!("restart-misuse: restart {forged:#x}: {:?}", domain_restart(forged));
        println!("restart-misuse: info {forged:#x}: {:?}", domain_info(forged).map(|_| ()));
    }
    println!("restart-misuse: supervision slot {:#x}", dcb().supervision.event);
    // Long after `victim` faulted.
    sleep_ns(60_000_000);
    println!("restart-misuse: events {}", events_seen() - before);
}
