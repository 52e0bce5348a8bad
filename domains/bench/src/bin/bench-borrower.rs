//! `bench-borrower`: one link of the chain `bench-lender` revokes. Borrower
//! `bI` (I = 1, 2, ...) takes the loan that arrives from upstream over the
//! channel `cI`, touches every page of it (so the mapping is real), passes
//! a copy on downstream over `c(I+1)` if that channel exists, fills the rest
//! of its capability table with a chain of copies (each minted from the one
//! before), and once everything downstream is ready too, tells upstream.

#![no_std]
#![no_main]

use core::fmt::Write;
use vesper_abi::cap::Rights;
use vesper_activations::events::{cap_by_handle, EventChannel};
use vesper_activations::syscall::cap_mint;
use vesper_activations::{domain_name, println};

vesper_activations::main!(run);

/// The channel `c{index}`, if this domain holds an end of it.
fn channel(index: u32) -> Option<EventChannel> {
    let mut name = heapless::String::<8>::new();
    write!(name, "c{index}").ok()?;
    EventChannel::named(&name)
}

fn run() {
    let index = domain_name().strip_prefix('b').and_then(|n| n.parse::<u32>().ok());
    let Some(upstream) = index.and_then(channel) else {
        println!("bench-borrower: named bI, with a channel cI to the domain before");
        return;
    };
    let downstream = index.and_then(|i| channel(i + 1));
    upstream.await_count(1);
    let Some(loan) = cap_by_handle(upstream.inbox()) else {
        println!("bench-borrower: no capability came with the event");
        return;
    };
    for page in (0..loan.size).step_by(4096) {
        // SAFETY: the loan is mapped read-write here while it is held.
        unsafe { ((loan.base + page) as *mut u64).write_volatile(page) };
    }
    if let Some(downstream) = &downstream {
        let passed = cap_mint(loan.handle, Rights::READ | Rights::WRITE | Rights::GRANT)
            .and_then(|copy| downstream.advance_with(copy));
        if let Err(error) = passed {
            println!("bench-borrower: passing the loan on failed: {error:?}");
        }
    }
    let mut newest = loan.handle;
    let mut links = 0;
    while let Ok(next) = cap_mint(newest, Rights::READ | Rights::GRANT) {
        newest = next;
        links += 1;
    }
    if let Some(downstream) = &downstream {
        downstream.await_count(1);
    }
    println!("bench-borrower: {} bytes mapped, a chain of {links} copies", loan.size);
    let _ = upstream.advance();
}
