//! The performance monitors: event counter 0 counts retired instructions
//! (INST_RETIRED), at EL0 and EL1, and domains may read the counters (not
//! configure them). Under QEMU with `-icount` the count is exact, which is
//! what `cargo xtask bench` measures kernel paths with.

use core::arch::asm;
#[cfg(feature = "bench")]
use core::sync::atomic::{AtomicU64, Ordering};

/// PMU event number of INST_RETIRED.
const INST_RETIRED: u64 = 0x08;
/// PMCR_EL0: E (enable) and P (reset event counters).
const PMCR_ENABLE_RESET: u64 = 0b11;
/// PMCNTENSET_EL0: event counter 0 and the cycle counter (bit 31).
const COUNTERS: u64 = (1 << 31) | 1;
/// PMUSERENR_EL0: ER (EL0 reads event counters) and CR (EL0 reads the cycle
/// counter); EN stays clear, so EL0 cannot reprogram anything.
const USER_READ: u64 = (1 << 3) | (1 << 2);

/// Starts counter 0 on retired instructions and lets domains read it.
pub fn init() {
    // SAFETY: these registers configure only the performance monitors,
    // which nothing else in the kernel uses.
    unsafe {
        asm!(
            "msr pmevtyper0_el0, {event}",
            "msr pmcntenset_el0, {counters}",
            "msr pmuserenr_el0, {user}",
            "msr pmcr_el0, {pmcr}",
            "isb",
            event = in(reg) INST_RETIRED,
            counters = in(reg) COUNTERS,
            user = in(reg) USER_READ,
            pmcr = in(reg) PMCR_ENABLE_RESET,
            options(nostack, preserves_flags),
        );
    }
}

/// With the `bench` feature, the IRQ-from-EL0 vector stores the instruction
/// count in TPIDR_EL1 as its third instruction (see `vectors.s`); this
/// returns how many instructions ran from the first instruction of that
/// vector to the one that read `count` (which itself is not counted).
#[cfg(feature = "bench")]
pub fn instructions_since_irq(count: u64) -> u64 {
    /// `sub sp` and `stp` run before the vector reads the counter.
    const VECTOR_PROLOGUE: u64 = 2;
    let snapshot: u64;
    // SAFETY: reading a system register the kernel uses for nothing else.
    unsafe { asm!("mrs {}, tpidr_el1", out(reg) snapshot, options(nomem, nostack)) };
    count.wrapping_sub(snapshot).wrapping_add(VECTOR_PROLOGUE)
}

/// The instruction count when the idle loop last woke for a device's
/// interrupt (see [`note_idle_wake`]).
#[cfg(feature = "bench")]
static IDLE_WAKE: AtomicU64 = AtomicU64::new(0);

/// Benchmark kernels only: the kernel's idle loop has just woken because a
/// device raised its interrupt; remembers the instruction count, for
/// measuring the path from a device's input to the domain that takes it.
#[cfg(feature = "bench")]
pub fn note_idle_wake() {
    let count: u64;
    // SAFETY: reading the event counter the kernel configured in `init`.
    unsafe { asm!("mrs {}, pmevcntr0_el0", out(reg) count, options(nomem, nostack)) };
    IDLE_WAKE.store(count, Ordering::Relaxed);
}

/// How many instructions ran from [`note_idle_wake`]'s reading of the
/// counter to the one that read `count` (which itself is not counted).
#[cfg(feature = "bench")]
pub fn instructions_since_idle_wake(count: u64) -> u64 {
    count.wrapping_sub(IDLE_WAKE.load(Ordering::Relaxed))
}
