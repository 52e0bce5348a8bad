//! Time from the ARM generic timer's physical counter.
//!
//! Conversions between counter ticks and nanoseconds use 32.32 fixed-point
//! factors computed once from the counter frequency, so the hot paths
//! (every scheduling decision reads the time and sets the timer) multiply
//! instead of dividing 128-bit numbers.

use aarch64_cpu::registers::{CNTFRQ_EL0, CNTPCT_EL0};
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use tock_registers::interfaces::Readable;
use vesper_abi::dcb::ticks_to_ns;

const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// Nanoseconds per tick, 32.32 fixed point (16.0 for QEMU's 62.5 MHz).
static NS_PER_TICK: AtomicU64 = AtomicU64::new(0);
/// Ticks per nanosecond, 32.32 fixed point, rounded up so that a deadline
/// converted to ticks is never early.
static TICKS_PER_NS: AtomicU64 = AtomicU64::new(0);

/// Reads the counter frequency and prepares the conversions. Call once at
/// boot, before anything asks for the time.
pub fn init() {
    let hz = u128::from(frequency_hz()).max(1);
    let saturated = |factor: u128| u64::try_from(factor).unwrap_or(u64::MAX);
    NS_PER_TICK.store(saturated((NANOS_PER_SECOND << 32) / hz), Ordering::Relaxed);
    TICKS_PER_NS.store(saturated((hz << 32).div_ceil(NANOS_PER_SECOND)), Ordering::Relaxed);
}

/// The counter's frequency (62.5 MHz on QEMU, 19.2 MHz on a physical Pi 3).
pub fn frequency_hz() -> u64 {
    CNTFRQ_EL0.get()
}

/// Nanoseconds per counter tick, 32.32 fixed point, as the DCB publishes it
/// to domains.
pub fn ns_per_tick() -> u64 {
    NS_PER_TICK.load(Ordering::Relaxed)
}

/// Nanoseconds since the counter started (at reset).
pub fn now_ns() -> u64 {
    ticks_to_ns(CNTPCT_EL0.get(), ns_per_tick())
}

/// Time since the counter started (at reset).
pub fn now() -> Duration {
    Duration::from_nanos(now_ns())
}

/// The first counter value at or after `ns`.
pub fn ns_to_ticks_ceil(ns: u64) -> u64 {
    let product = u128::from(ns) * u128::from(TICKS_PER_NS.load(Ordering::Relaxed));
    u64::try_from(product.div_ceil(1 << 32)).unwrap_or(u64::MAX)
}
