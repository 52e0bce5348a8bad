//! `bench-group`: the scheduler domain of the benchmark group, which
//! measures `member_stop_to_scheduler`: its member (`bench-member`) stores
//! the counter in the region `donation` just before it yields, which ends
//! the donation, and this domain's activation handler reads the counter
//! first thing. It donates [`ROUNDS`] and more times, each donation
//! stored in the region too, for the member to measure
//! `donate_to_member`.

#![no_std]
#![no_main]

use vesper_abi::syscall::Syscall;
use vesper_activations::events::{member_cap, Region};
use vesper_activations::println;
use vesper_domains_bench::{
    activation_count, count_activations, marked_syscall, shared, MARK_OVERHEAD, ROUNDS,
};

vesper_activations::main!(run);

/// Far longer than the member takes to yield.
const BUDGET_NS: u64 = 1_000_000;

fn run() {
    let Some(region) = Region::named("donation") else {
        println!("bench-group: the manifest gives no region `donation`");
        return;
    };
    let specs = vesper_activations::dcb().member_specs();
    let member = specs.first().and_then(|spec| member_cap(spec.name()));
    let Some(member) = member else {
        println!("bench-group: no member to donate to");
        return;
    };
    // SAFETY: the manifest maps the region read-write here.
    let shared = unsafe { shared(region.base) };
    count_activations();
    let mut best = u64::MAX;
    // One more round than the member needs, so that it reports.
    for _ in 0..=ROUNDS {
        // SAFETY: `sent_at` is in the mapped region.
        unsafe {
            marked_syscall(
                &raw mut (*shared).sent_at,
                Syscall::DomainDonate as u64,
                member.handle,
                BUDGET_NS,
            );
        }
        // SAFETY: the member wrote it before its yield.
        let stopped = unsafe { (&raw const (*shared).stopped_at).read_volatile() };
        let entry = activation_count();
        if entry > stopped && stopped != 0 {
            best = best.min(entry - stopped - MARK_OVERHEAD);
        }
    }
    println!("bench member_stop_to_scheduler instructions={best}");
}
