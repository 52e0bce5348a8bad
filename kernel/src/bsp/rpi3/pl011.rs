//! The PL011 UART as the kernel's polled debug console.

use tock_registers::interfaces::{Readable, Writeable};
use vesper_service::registers::{start_pl011, Mmio, Pl011Registers, FR, PL011_POLLED};

/// The PL011 UART, polled.
pub struct Pl011 {
    regs: Mmio<Pl011Registers>,
}

impl Pl011 {
    /// # Safety
    /// `base` must be the kernel virtual address of a PL011 that nothing else
    /// drives.
    pub const unsafe fn new(base: usize) -> Self {
        // SAFETY: forwarded from this function's contract.
        Self { regs: unsafe { Mmio::new(base) } }
    }

    /// Sets 115200 8N1 with FIFOs and enables transmit and receive.
    pub fn init(&self) {
        self.flush();
        start_pl011(&self.regs, PL011_POLLED);
    }

    /// Sends one byte if the transmit FIFO has room; never waits.
    pub fn try_write_byte(&self, byte: u8) -> bool {
        if self.regs.fr.is_set(FR::TXFF) {
            return false;
        }
        self.regs.dr.set(u32::from(byte));
        true
    }

    /// Waits until everything written has left the UART.
    pub fn flush(&self) {
        while self.regs.fr.is_set(FR::BUSY) {
            core::hint::spin_loop();
        }
    }
}
