//! Time from the ARM generic timer's physical counter.

use aarch64_cpu::registers::{CNTFRQ_EL0, CNTPCT_EL0};
use core::time::Duration;
use tock_registers::interfaces::Readable;

/// The counter's frequency (62.5 MHz on QEMU, 19.2 MHz on a physical Pi 3).
pub fn frequency_hz() -> u64 {
    CNTFRQ_EL0.get()
}

/// Nanoseconds since the counter started (at reset).
pub fn now_ns() -> u64 {
    let ticks = u128::from(CNTPCT_EL0.get());
    let hz = u128::from(frequency_hz()).max(1);
    u64::try_from(ticks * 1_000_000_000 / hz).unwrap_or(u64::MAX)
}

/// Time since the counter started (at reset).
pub fn now() -> Duration {
    Duration::from_nanos(now_ns())
}

/// The first counter value at or after `ns`.
pub fn ns_to_ticks_ceil(ns: u64) -> u64 {
    let hz = u128::from(frequency_hz());
    u64::try_from((u128::from(ns) * hz).div_ceil(1_000_000_000)).unwrap_or(u64::MAX)
}
