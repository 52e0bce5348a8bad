//! `cap-peer`: `cap-misuse`'s partner. It receives a read-only copy of a
//! region over the `link` channel, checks what it reads, and after the
//! lender revokes the copy, finds it gone and touches the region anyway:
//! the kernel must stop it with a fault, as the region is no longer mapped.

#![no_std]
#![no_main]

use vesper_activations::events::{cap_by_handle, EventChannel};
use vesper_activations::println;
use vesper_domains_tests::{pattern, LENT_WORDS};

vesper_activations::main!(run);

fn run() {
    let Some(link) = EventChannel::named("link") else {
        println!("peer: the manifest gives no channel `link`");
        return;
    };
    link.await_count(1);
    let Some(loan) = cap_by_handle(link.inbox()) else {
        println!("peer: no capability came with the event");
        return;
    };
    let base = loan.base as *const u64;
    // SAFETY: the loaned region is mapped read-only here while the
    // capability is held; `i` stays inside it.
    let intact = (0..LENT_WORDS).filter(|&i| unsafe { base.add(i).read_volatile() } == pattern(i));
    println!(
        "peer: loan of {} ({} bytes, rights {:#x}): {} of {LENT_WORDS} words intact",
        loan.name(),
        loan.size,
        loan.rights,
        intact.count()
    );
    let _ = link.advance();
    link.await_count(2);
    println!(
        "peer: loan after revoke: {}",
        if cap_by_handle(loan.handle).is_some() { "still held" } else { "gone" }
    );
    println!("peer: touching {:#x} anyway", loan.base);
    // SAFETY: deliberately not: the region is unmapped now, and the kernel
    // must stop this domain for the fault.
    let value = unsafe { base.read_volatile() };
    println!("peer: read {value:#x} after revoke (must not happen)");
}
