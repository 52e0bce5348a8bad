//! `bench-member`: the member of the benchmark group, which measures
//! `donate_to_member`: its scheduler (`bench-group`) stores the counter in
//! the region `donation` just before its `domain_donate`, and this
//! domain's activation handler reads the counter first thing. Then it
//! yields at once, the counter stored for `member_stop_to_scheduler`.

#![no_std]
#![no_main]

use vesper_abi::syscall::Syscall;
use vesper_activations::events::Region;
use vesper_activations::println;
use vesper_domains_bench::{
    activation_count, count_activations, marked_syscall, shared, MARK_OVERHEAD, ROUNDS,
};

vesper_activations::main!(run);

fn run() {
    let Some(region) = Region::named("donation") else {
        println!("bench-member: the manifest gives no region `donation`");
        return;
    };
    // SAFETY: the manifest maps the region read-write here.
    let shared = unsafe { shared(region.base) };
    count_activations();
    let mut best = u64::MAX;
    let mut samples = 0;
    loop {
        // SAFETY: the scheduler wrote it before its donation.
        let sent = unsafe { (&raw const (*shared).sent_at).read_volatile() };
        let entry = activation_count();
        if entry > sent && sent != 0 {
            best = best.min(entry - sent - MARK_OVERHEAD);
            samples += 1;
            if samples == ROUNDS {
                println!("bench donate_to_member instructions={best}");
            }
        }
        // SAFETY: `stopped_at` is in the mapped region.
        unsafe { marked_syscall(&raw mut (*shared).stopped_at, Syscall::Yield as u64, 0, 0) };
    }
}
