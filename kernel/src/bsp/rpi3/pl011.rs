//! The PL011 UART as the kernel's polled debug console.

use super::mmio::Mmio;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    FR [
        /// Transmit FIFO full.
        TXFF OFFSET(5) NUMBITS(1) [],
        /// Busy transmitting.
        BUSY OFFSET(3) NUMBITS(1) []
    ],
    IBRD [
        BAUD_DIVINT OFFSET(0) NUMBITS(16) []
    ],
    FBRD [
        BAUD_DIVFRAC OFFSET(0) NUMBITS(6) []
    ],
    LCR_H [
        WLEN OFFSET(5) NUMBITS(2) [
            EightBit = 0b11
        ],
        FEN OFFSET(4) NUMBITS(1) []
    ],
    CR [
        RXE OFFSET(9) NUMBITS(1) [],
        TXE OFFSET(8) NUMBITS(1) [],
        UARTEN OFFSET(0) NUMBITS(1) []
    ],
    ICR [
        ALL OFFSET(0) NUMBITS(11) []
    ]
}

register_structs! {
    RegisterBlock {
        (0x00 => dr: ReadWrite<u32>),
        (0x04 => _reserved0),
        (0x18 => fr: ReadOnly<u32, FR::Register>),
        (0x1c => _reserved1),
        (0x24 => ibrd: WriteOnly<u32, IBRD::Register>),
        (0x28 => fbrd: WriteOnly<u32, FBRD::Register>),
        (0x2c => lcr_h: WriteOnly<u32, LCR_H::Register>),
        (0x30 => cr: WriteOnly<u32, CR::Register>),
        (0x34 => _reserved2),
        (0x44 => icr: WriteOnly<u32, ICR::Register>),
        (0x48 => @END),
    }
}

/// Divisors for 115200 baud from the 48 MHz UART clock that the firmware
/// sets with `init_uart_clock=48000000` in config.txt:
/// 48e6 / (16 * 115200) = 26.04, so IBRD = 26 and FBRD = round(0.04 * 64) = 3.
const IBRD_115200: u32 = 26;
const FBRD_115200: u32 = 3;

/// The PL011 UART, polled.
pub struct Pl011 {
    regs: Mmio<RegisterBlock>,
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
        self.regs.cr.set(0);
        self.regs.icr.write(ICR::ALL::SET);
        self.regs.ibrd.write(IBRD::BAUD_DIVINT.val(IBRD_115200));
        self.regs.fbrd.write(FBRD::BAUD_DIVFRAC.val(FBRD_115200));
        self.regs.lcr_h.write(LCR_H::WLEN::EightBit + LCR_H::FEN::SET);
        self.regs.cr.write(CR::UARTEN::SET + CR::TXE::SET + CR::RXE::SET);
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
