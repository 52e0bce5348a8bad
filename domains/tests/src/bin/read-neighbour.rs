//! `read-neighbour`: reads the first domain's DCB, which lies in another
//! slot of the single address space: the address is valid, but not mapped
//! for this domain, so the read must fault and stop this domain.

#![no_std]
#![no_main]

use vesper_abi::layout::DOMAIN_REGION_BASE;
use vesper_activations::{println, sleep_ns};

vesper_activations::main!(run);

fn run() {
    sleep_ns(50_000_000);
    let neighbour = DOMAIN_REGION_BASE as usize;
    println!("reading another domain's memory at {neighbour:#x}");
    // SAFETY: not safe at all, on purpose: the read must fault.
    let value = unsafe { core::ptr::read_volatile(neighbour as *const u64) };
    println!("SECURITY: read another domain's memory: {value:#x}");
}
