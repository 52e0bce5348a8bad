//! `undefined`: executes an undefined instruction, which must stop this
//! domain and nothing else.

#![no_std]
#![no_main]

use vesper_activations::{println, sleep_ns};

vesper_activations::main!(run);

fn run() {
    sleep_ns(50_000_000);
    println!("executing an undefined instruction");
    // SAFETY: not safe at all, on purpose: the instruction must trap.
    unsafe { core::arch::asm!("udf #0") };
    println!("SECURITY: survived an undefined instruction");
}
