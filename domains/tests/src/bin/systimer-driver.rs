//! `systimer-driver`: a test driver for the BCM2835 system timer. It maps
//! the timer's registers (the manifest's `uses = ["systimer"]`), takes
//! compare 1's interrupt as events, and for each of its compares sets C1 a
//! little ahead, waits for the event, clears the match and acknowledges.
//! It reports how many compares it set, how many interrupts the kernel
//! delivered and how many it acknowledged: all three must match.

#![no_std]
#![no_main]

use vesper_activations::events::{Interrupt, Region};
use vesper_activations::println;

vesper_activations::main!(run);

/// Compares set.
const COMPARES: u64 = 50;
/// How far ahead each compare lies, in timer ticks (1 MHz: microseconds).
const AHEAD_US: u32 = 500;

/// Control/status: bit 1 is compare 1's match; writing 1 clears it.
const CS: u64 = 0x00;
/// The low 32 bits of the free-running 1 MHz counter.
const CLO: u64 = 0x04;
/// Compare 1.
const C1: u64 = 0x10;
const MATCH_1: u32 = 1 << 1;

struct SysTimer(u64);

impl SysTimer {
    fn read(&self, offset: u64) -> u32 {
        // SAFETY: the timer's register page is mapped as device memory in
        // this domain (it holds the capability); offsets are its registers.
        unsafe { ((self.0 + offset) as *const u32).read_volatile() }
    }

    fn write(&self, offset: u64, value: u32) {
        // SAFETY: as in `read`.
        unsafe { ((self.0 + offset) as *mut u32).write_volatile(value) }
    }
}

fn run() {
    let (Some(registers), Some(irq)) = (Region::named("systimer"), Interrupt::named("systimer.c1"))
    else {
        println!("systimer: the manifest gives no systimer device or systimer.c1 interrupt");
        return;
    };
    let timer = SysTimer(registers.base);
    // A match left from before boot (C1 starts at 0) may have been
    // delivered already: clear it and unmask the line.
    timer.write(CS, MATCH_1);
    let _ = irq.ack();
    let base = irq.count();
    let (mut acked, mut matched) = (0, 0);
    for n in 1..=COMPARES {
        timer.write(C1, timer.read(CLO).wrapping_add(AHEAD_US));
        irq.await_count(base + n);
        if timer.read(CS) & MATCH_1 != 0 {
            matched += 1;
        }
        timer.write(CS, MATCH_1);
        if irq.ack().is_ok() {
            acked += 1;
        }
    }
    let delivered = irq.count() - base;
    println!(
        "systimer: {COMPARES} compares set, {delivered} interrupts delivered, {matched} matched, \
         {acked} acknowledged"
    );
}
