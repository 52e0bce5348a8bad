//! `bench-busy`: the benchmark image's busy domain. It always wants the
//! CPU, so that the probe's period starts preempt it, and it measures
//! `yield_to_other`: the probe writes the counter into the shared region
//! just before it yields, and this domain, next to run, reads the counter
//! first thing in its activation.
//!
//! Once the probe measures the FP-live preemption (`fp_phase`), the loop
//! uses FP, so that its FP/SIMD state is live whenever it is preempted.
//!
//! Each new activation that follows a new yield is a sample; an activation
//! that something else ran before (another domain, the kernel's own
//! timer) only makes a sample longer, so the least of them is the direct
//! switch.

#![no_std]
#![no_main]

use vesper_activations::events::Region;
use vesper_activations::println;
use vesper_domains_bench::{activation_count, count_activations, shared, touch_fp, ROUNDS};

vesper_activations::main!(run);

/// The instructions counted between the probe's read and this domain's
/// that are not the path (which starts at the `svc`, as `null_syscall`
/// does): the probe's `mrs` itself and the `str` that publishes the count.
const SENDER_OVERHEAD: u64 = 2;

fn run() {
    let Some(region) = Region::named("yield") else {
        println!("bench-busy: the manifest gives no region `yield`");
        return;
    };
    // SAFETY: the manifest maps the region read-write here.
    let shared = unsafe { shared(region.base) };
    count_activations();
    let (mut last_sent, mut last_entry) = (0, activation_count());
    let (mut best, mut samples) = (u64::MAX, 0);
    loop {
        let entry = activation_count();
        // SAFETY: the probe writes this word; a volatile read sees it.
        let sent = unsafe { (&raw const (*shared).sent_at).read_volatile() };
        if entry != last_entry && sent != last_sent && entry > sent {
            best = best.min(entry - sent - SENDER_OVERHEAD);
            samples += 1;
            if samples == ROUNDS {
                println!("bench yield_to_other instructions={best}");
            }
            last_sent = sent;
        }
        last_entry = entry;
        // SAFETY: as above.
        if unsafe { (&raw const (*shared).fp_phase).read_volatile() } != 0 {
            touch_fp();
        }
        core::hint::spin_loop();
    }
}
