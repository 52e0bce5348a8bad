//! `bench-driver`: measures `irq_to_activation`, from the first instruction
//! of the IRQ vector (taken while another domain runs) to the first
//! instruction of this driver's activation handler, for the BCM2835 system
//! timer's compare 1 interrupt delivered as an event.

#![no_std]
#![no_main]

use vesper_abi::syscall::BENCH_SINCE_IRQ;
use vesper_activations::events::{Interrupt, Region};
use vesper_activations::println;
use vesper_activations::syscall::bench_mark;
use vesper_domains_bench::{activation_count, count_activations, ROUNDS};

vesper_activations::main!(run);

const CS: u64 = 0x00;
const CLO: u64 = 0x04;
const C1: u64 = 0x10;
const MATCH_1: u32 = 1 << 1;
/// How far ahead each compare lies, in microseconds: long enough for the
/// driver to block and the busy domain to run.
const AHEAD_US: u32 = 300;

fn register(base: u64, offset: u64) -> *mut u32 {
    (base + offset) as *mut u32
}

fn run() {
    let (Some(timer), Some(irq)) = (Region::named("systimer"), Interrupt::named("systimer.c1"))
    else {
        println!("bench-driver: the manifest gives no systimer device or systimer.c1 interrupt");
        return;
    };
    let (cs, clo, c1) =
        (register(timer.base, CS), register(timer.base, CLO), register(timer.base, C1));
    // SAFETY: the timer's registers are mapped as device memory in this
    // domain, which holds its capability (so below too).
    unsafe { cs.write_volatile(MATCH_1) };
    let _ = irq.ack();
    count_activations();
    let mut best = u64::MAX;
    for _ in 0..ROUNDS {
        let seen = irq.count();
        // SAFETY: as above.
        unsafe { c1.write_volatile(clo.read_volatile().wrapping_add(AHEAD_US)) };
        irq.await_count(seen + 1);
        match bench_mark(activation_count(), BENCH_SINCE_IRQ) {
            Ok(instructions) => best = best.min(instructions),
            Err(error) => {
                println!("bench_mark refused: {error:?} (not a benchmark kernel?)");
                return;
            }
        }
        // SAFETY: as above.
        unsafe { cs.write_volatile(MATCH_1) };
        let _ = irq.ack();
    }
    println!("bench irq_to_activation instructions={best}");
}
