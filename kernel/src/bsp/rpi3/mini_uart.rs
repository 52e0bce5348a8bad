//! The mini UART (AUX block) as the kernel's polled debug console, for
//! images whose PL011 belongs to a driver domain (`[image] console =
//! "uart1"`).
//!
//! Its baud rate derives from the VideoCore core clock: 250 MHz /
//! (8 * (270 + 1)) = 115313 baud, 0.1% off 115200, which a physical Pi 3
//! keeps only with `core_freq=250` in config.txt (the SD card writer adds
//! it for such images). QEMU ignores the divisor.

use super::mmio::Mmio;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    ENABLES [
        /// The mini UART's clock and registers.
        MINI_UART OFFSET(0) NUMBITS(1) []
    ],
    IIR [
        /// Writing 0b11 clears both FIFOs.
        FIFO_CLEAR OFFSET(1) NUMBITS(2) [
            Both = 0b11
        ]
    ],
    LCR [
        DATA_SIZE OFFSET(0) NUMBITS(2) [
            EightBit = 0b11
        ]
    ],
    LSR [
        /// The transmit FIFO can take a byte.
        TX_EMPTY OFFSET(5) NUMBITS(1) [],
        /// The transmitter is idle and its FIFO empty.
        TX_IDLE OFFSET(6) NUMBITS(1) []
    ],
    CNTL [
        TX_ENABLE OFFSET(1) NUMBITS(1) [],
        RX_ENABLE OFFSET(0) NUMBITS(1) []
    ],
    BAUD [
        RATE OFFSET(0) NUMBITS(16) []
    ]
}

register_structs! {
    RegisterBlock {
        (0x00 => _irq),
        (0x04 => enables: ReadWrite<u32, ENABLES::Register>),
        (0x08 => _reserved0),
        (0x40 => io: ReadWrite<u32>),
        (0x44 => ier: WriteOnly<u32>),
        (0x48 => iir: WriteOnly<u32, IIR::Register>),
        (0x4c => lcr: WriteOnly<u32, LCR::Register>),
        (0x50 => mcr: WriteOnly<u32>),
        (0x54 => lsr: ReadOnly<u32, LSR::Register>),
        (0x58 => _msr_scratch),
        (0x60 => cntl: WriteOnly<u32, CNTL::Register>),
        (0x64 => _stat),
        (0x68 => baud: WriteOnly<u32, BAUD::Register>),
        (0x6c => @END),
    }
}

/// 115200 baud from the 250 MHz core clock: 250e6 / (8 * 115200) - 1.
const BAUD_115200_AT_250MHZ: u32 = 270;

/// The mini UART, polled.
pub struct MiniUart {
    regs: Mmio<RegisterBlock>,
}

impl MiniUart {
    /// # Safety
    /// `base` must be the kernel virtual address of the AUX block, which
    /// nothing else drives.
    pub const unsafe fn new(base: usize) -> Self {
        // SAFETY: forwarded from this function's contract.
        Self { regs: unsafe { Mmio::new(base) } }
    }

    /// Sets 115200 8N1, no interrupts, and enables transmit and receive.
    pub fn init(&self) {
        self.regs.enables.write(ENABLES::MINI_UART::SET);
        self.regs.cntl.set(0);
        self.regs.ier.set(0);
        self.regs.lcr.write(LCR::DATA_SIZE::EightBit);
        self.regs.mcr.set(0);
        self.regs.iir.write(IIR::FIFO_CLEAR::Both);
        self.regs.baud.write(BAUD::RATE.val(BAUD_115200_AT_250MHZ));
        self.regs.cntl.write(CNTL::TX_ENABLE::SET + CNTL::RX_ENABLE::SET);
    }

    /// Sends one byte if the transmit FIFO has room; never waits.
    pub fn try_write_byte(&self, byte: u8) -> bool {
        if !self.regs.lsr.is_set(LSR::TX_EMPTY) {
            return false;
        }
        self.regs.io.set(u32::from(byte));
        true
    }

    /// Waits until everything written has left the UART.
    pub fn flush(&self) {
        while !self.regs.lsr.is_set(LSR::TX_IDLE) {
            core::hint::spin_loop();
        }
    }
}
