//! The BCM2835 peripheral interrupt controller ("ARM peripherals" manual,
//! section 7): which GPU and ARM-basic interrupts are pending, and their
//! enables. Lines are numbered as in the manual's table: 0-63 GPU
//! peripherals (pending registers 1 and 2), 64-71 ARM basic interrupts.
//! All of them reach core 0 through the local block's GPU interrupt.

use super::memory_map::{mmio, INTC_BASE};
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, WriteOnly};
use vesper_service::registers::Mmio;

register_structs! {
    RegisterBlock {
        (0x00 => basic_pending: ReadOnly<u32>),
        (0x04 => pending: [ReadOnly<u32>; 2]),
        (0x0C => _fiq_control),
        // Each is "IRQs 1", "IRQs 2" and "basic IRQs" in a row, so line
        // `n` is bit `n % 32` of register `n / 32`.
        (0x10 => enable: [WriteOnly<u32>; 3]),
        (0x1C => disable: [WriteOnly<u32>; 3]),
        (0x28 => @END),
    }
}

/// Lines of the interrupt table.
pub const LINES: u32 = 72;

fn block() -> Mmio<RegisterBlock> {
    // SAFETY: INTC_BASE is the interrupt controller in the kernel map.
    unsafe { Mmio::new(mmio(INTC_BASE)) }
}

/// Enables (unmasks) `line`; lines past the table are ignored.
pub fn enable(line: u32) {
    if line < LINES {
        block().enable[(line / 32) as usize].set(1 << (line % 32));
    }
}

/// Disables (masks) `line`; lines past the table are ignored.
pub fn disable(line: u32) {
    if line < LINES {
        block().disable[(line / 32) as usize].set(1 << (line % 32));
    }
}

/// The pending enabled lines, as a bit set over `0..LINES`.
pub fn pending() -> u128 {
    let intc = block();
    // The basic register's low 8 bits are the ARM interrupts 64-71; its
    // other bits repeat selected GPU lines, which the pending registers
    // already show.
    u128::from(intc.pending[0].get())
        | u128::from(intc.pending[1].get()) << 32
        | u128::from(intc.basic_pending.get() & 0xFF) << 64
}
