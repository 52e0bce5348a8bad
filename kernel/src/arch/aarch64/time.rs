//! Time from the ARM generic timer's physical counter.

use aarch64_cpu::registers::{CNTFRQ_EL0, CNTPCT_EL0};
use core::time::Duration;
use tock_registers::interfaces::Readable;

/// The counter's frequency (62.5 MHz on QEMU, 19.2 MHz on a physical Pi 3).
pub fn frequency_hz() -> u64 {
    CNTFRQ_EL0.get()
}

/// Time since the counter started (at reset).
pub fn now() -> Duration {
    let ticks = u128::from(CNTPCT_EL0.get());
    let hz = u128::from(frequency_hz()).max(1);
    let nanos = ticks * 1_000_000_000 / hz;
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}
