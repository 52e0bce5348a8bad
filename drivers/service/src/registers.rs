//! The register blocks of the devices drivers own, defined once (BCM2835
//! ARM Peripherals manual; offsets checked on QEMU raspi3b, see
//! ../shared/notes/raspi3b-on-qemu.md). A driver reaches them through
//! [`Mmio`] at the address the manifest's `uses` mapped.

use core::marker::PhantomData;
use core::ops::Deref;
use tock_registers::registers::{ReadOnly, ReadWrite};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// The system timer's control/status: one match flag per compare;
    /// writing 1 clears it.
    pub CS [
        /// Compare 1 matched.
        M1 OFFSET(1) NUMBITS(1) [],
        /// Compare 3 matched.
        M3 OFFSET(3) NUMBITS(1) []
    ]
}

register_structs! {
    /// The BCM2835 system timer: a free-running 1 MHz counter and four
    /// 32-bit compares against its low word (C0 and C2 belong to the GPU).
    pub SysTimerRegisters {
        /// Match flags.
        (0x00 => pub cs: ReadWrite<u32, CS::Register>),
        /// Counter, low 32 bits.
        (0x04 => pub clo: ReadOnly<u32>),
        /// Counter, high 32 bits.
        (0x08 => pub chi: ReadOnly<u32>),
        (0x0c => _c0),
        /// Compare 1: matches when the low word equals it.
        (0x10 => pub c1: ReadWrite<u32>),
        (0x14 => _c2),
        /// Compare 3.
        (0x18 => pub c3: ReadWrite<u32>),
        (0x1c => @END),
    }
}

/// A register block of type `T` at a fixed address.
pub struct Mmio<T> {
    base: usize,
    phantom: PhantomData<fn() -> T>,
}

impl<T> Mmio<T> {
    /// The block at `base`.
    ///
    /// # Safety
    /// `base` must be the device's registers, mapped as device memory in
    /// this domain for as long as the value lives, and no other code may
    /// assume it alone drives them.
    pub const unsafe fn new(base: usize) -> Self {
        Self { base, phantom: PhantomData }
    }
}

impl<T> Deref for Mmio<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `new`'s caller promised a mapped block of type `T`.
        unsafe { &*(self.base as *const T) }
    }
}
