//! The one-shot timer: the EL1 physical timer (CNTP), compared against the
//! counter that `time` reads. The dispatcher sets it to the next scheduling
//! event; nothing ticks periodically.

use super::time;
use aarch64_cpu::registers::{CNTKCTL_EL1, CNTP_CTL_EL0, CNTP_CVAL_EL0};
use tock_registers::interfaces::{Readable, Writeable};

/// Decides what EL0 may touch of the generic timer, instead of relying on
/// a reset value (QEMU resets CNTKCTL_EL1 to 0; a physical core's warm reset
/// leaves it UNKNOWN). Domains may read the virtual counter and its
/// frequency (CNTVCT_EL0, CNTFRQ_EL0): telling the time that way needs no
/// kernel entry, and reveals nothing a domain cannot learn from the DCB's
/// `now_ns` or by counting. The physical counter and both timers trap, so
/// the one-shot timer the kernel schedules with stays the kernel's.
pub fn init() {
    CNTKCTL_EL1.write(
        CNTKCTL_EL1::EL0PTEN::TrappedPhysical
            + CNTKCTL_EL1::EL0VTEN::TrappedVirtual
            + CNTKCTL_EL1::EL0VCTEN::TrappedNone
            + CNTKCTL_EL1::EL0PCTEN::TrappedFreqPct
            + CNTKCTL_EL1::EVNTEN::Disable,
    );
}

/// Fires the timer interrupt at `deadline_ns` (ns since boot), or never
/// for `u64::MAX`.
pub fn set_deadline(deadline_ns: u64) {
    if deadline_ns == u64::MAX {
        CNTP_CTL_EL0.write(CNTP_CTL_EL0::ENABLE::CLEAR);
        return;
    }
    CNTP_CVAL_EL0.set(time::ns_to_ticks_ceil(deadline_ns));
    CNTP_CTL_EL0.write(CNTP_CTL_EL0::ENABLE::SET + CNTP_CTL_EL0::IMASK::CLEAR);
}

/// Whether the deadline has passed (the timer's condition is met).
pub fn expired() -> bool {
    CNTP_CTL_EL0.is_set(CNTP_CTL_EL0::ENABLE) && CNTP_CTL_EL0.is_set(CNTP_CTL_EL0::ISTATUS)
}

/// Waits, in low power, until the deadline passes or `other` says another
/// interrupt is pending. Interrupts stay masked: `wfi` wakes on a pending
/// interrupt all the same.
pub fn wait_for_deadline_or(other: impl Fn() -> bool) {
    while !expired() && !other() {
        aarch64_cpu::asm::wfi();
    }
}
