//! Raspberry Pi 3 (BCM2837): memory map, kernel console, GPU mailbox.

mod gpio;
pub mod intc;
pub mod local_intc;
pub mod mailbox;
pub mod memory_map;
mod mini_uart;
pub mod pl011;

use crate::domain::config::{ConsoleUart, CONSOLE};
use core::fmt;
use mini_uart::MiniUart;
use pl011::Pl011;
use vesper_service::registers::HeaderUart;

// SAFETY: PL011_BASE is the PL011's register block in the kernel map;
// the kernel uses it only when it is the image's console (otherwise it
// belongs to a driver domain).
static PL011: Pl011 = unsafe { Pl011::new(memory_map::mmio(memory_map::PL011_BASE)) };
// SAFETY: as above, for the mini UART in the AUX block.
static MINI_UART: MiniUart = unsafe { MiniUart::new(memory_map::mmio(memory_map::AUX_BASE)) };

/// The kernel's debug console: the UART the image names (`[image]
/// console`; the choice is a constant, so the match folds away).
#[derive(Clone, Copy)]
pub enum ConsoleUartDriver {
    /// The PL011 (first `-serial` on QEMU, GPIO 14/15 in ALT0).
    Pl011(&'static Pl011),
    /// The mini UART (second `-serial` on QEMU, GPIO 14/15 in ALT5).
    Mini(&'static MiniUart),
}

impl ConsoleUartDriver {
    /// Sends one byte if the transmit FIFO has room; never waits.
    pub fn try_write_byte(self, byte: u8) -> bool {
        match self {
            Self::Pl011(uart) => uart.try_write_byte(byte),
            Self::Mini(uart) => uart.try_write_byte(byte),
        }
    }

    /// Waits until everything written has left the UART.
    pub fn flush(self) {
        match self {
            Self::Pl011(uart) => uart.flush(),
            Self::Mini(uart) => uart.flush(),
        }
    }
}

/// Sends text, waiting for room, `\n` as `\r\n` for serial terminals.
impl fmt::Write for ConsoleUartDriver {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for byte in s.bytes() {
            if byte == b'\n' {
                while !self.try_write_byte(b'\r') {}
            }
            while !self.try_write_byte(byte) {}
        }
        Ok(())
    }
}

/// The kernel's debug console.
pub fn console() -> ConsoleUartDriver {
    match CONSOLE {
        ConsoleUart::Pl011 => ConsoleUartDriver::Pl011(&PL011),
        ConsoleUart::MiniUart => ConsoleUartDriver::Mini(&MINI_UART),
    }
}

/// Routes the console UART to GPIO 14/15 and sets it to 115200 8N1.
pub fn init_console() {
    match CONSOLE {
        ConsoleUart::Pl011 => {
            gpio::route_to_header(HeaderUart::Pl011);
            PL011.init();
        }
        ConsoleUart::MiniUart => {
            gpio::route_to_header(HeaderUart::MiniUart);
            MINI_UART.init();
        }
    }
}
