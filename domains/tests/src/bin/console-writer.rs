//! `console-writer`: prints numbered lines through `println!`, which goes
//! to the `uart` driver when the manifest gives the domain a console
//! (`console-DOMAIN`). Several of them at once show that every line comes
//! out whole, prefixed with its writer's name, none lost.

#![no_std]
#![no_main]

use vesper_activations::{domain_name, println, yield_slice};

vesper_activations::main!(run);

/// Lines printed.
const LINES: u32 = 60;

fn run() {
    for n in 1..=LINES {
        println!(
            "line {n} of {LINES} from {}, long enough to take more than one chunk of the ring",
            domain_name()
        );
        if n % 7 == 0 {
            // Give the others a turn in the middle of things.
            yield_slice();
        }
    }
}
