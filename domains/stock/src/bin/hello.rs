//! `hello`: greets, names its reservation and its first activation, and
//! ends.

#![no_std]
#![no_main]

use vesper_activations::{activation_history, domain_name, now_ns, println};

vesper_activations::main!(run);

fn run() {
    let first = activation_history().first().map(|r| r.name()).unwrap_or("none");
    println!("hello from {} at {} ns (first activation: {first})", domain_name(), now_ns());
}
