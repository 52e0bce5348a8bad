//! The mini UART (AUX block) as the kernel's polled debug console, for
//! images whose PL011 belongs to a driver domain (`[image] console =
//! "uart1"`).
//!
//! Its baud rate derives from the VideoCore core clock: 250 MHz /
//! (8 * (270 + 1)) = 115313 baud, 0.1% off 115200, which a physical Pi 3
//! keeps only with `core_freq=250` in config.txt (the SD card writer adds
//! it for such images). QEMU ignores the divisor.

use tock_registers::interfaces::{Readable, Writeable};
use vesper_service::registers::{
    MiniUartRegisters, Mmio, AUX_ENABLES, MINI_UART_DIVISOR_115200, MU_BAUD, MU_CNTL, MU_IIR,
    MU_LCR, MU_LSR,
};

/// The mini UART, polled.
pub struct MiniUart {
    regs: Mmio<MiniUartRegisters>,
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
        self.regs.enables.write(AUX_ENABLES::MINI_UART::SET);
        self.regs.cntl.set(0);
        self.regs.ier.set(0);
        self.regs.lcr.write(MU_LCR::DATA_SIZE::EightBit);
        self.regs.mcr.set(0);
        self.regs.iir.write(MU_IIR::FIFO_CLEAR::Both);
        self.regs.baud.write(MU_BAUD::RATE.val(MINI_UART_DIVISOR_115200));
        self.regs.cntl.write(MU_CNTL::TX_ENABLE::SET + MU_CNTL::RX_ENABLE::SET);
    }

    /// Sends one byte if the transmit FIFO has room; never waits.
    pub fn try_write_byte(&self, byte: u8) -> bool {
        if !self.regs.lsr.is_set(MU_LSR::TX_EMPTY) {
            return false;
        }
        self.regs.io.set(u32::from(byte));
        true
    }

    /// Waits until everything written has left the UART.
    pub fn flush(&self) {
        while !self.regs.lsr.is_set(MU_LSR::TX_IDLE) {
            core::hint::spin_loop();
        }
    }
}
