//! GPIO pin multiplexing, as far as the kernel console needs it.
//!
//! QEMU ignores pin functions; a physical Pi 3 needs GPIO 14/15 in ALT0 for
//! the PL011 to reach the header (pins 8 and 10), and config.txt's
//! `dtoverlay=disable-bt` to take the PL011 back from Bluetooth; or in ALT5
//! for the mini UART, when it is the console.

use super::memory_map::{mmio, GPIO_BASE};
use aarch64_cpu::asm::nop;
use tock_registers::interfaces::{ReadWriteable, Writeable};
use tock_registers::registers::ReadWrite;
use tock_registers::{register_bitfields, register_structs};
use vesper_service::registers::Mmio;

register_bitfields! {u32,
    GPFSEL1 [
        /// GPIO 15: PL011 RXD in ALT0.
        FSEL15 OFFSET(15) NUMBITS(3) [
            Input = 0b000,
            Alt0 = 0b100,
            Alt5 = 0b010
        ],
        /// GPIO 14: PL011 TXD in ALT0.
        FSEL14 OFFSET(12) NUMBITS(3) [
            Input = 0b000,
            Alt0 = 0b100,
            Alt5 = 0b010
        ]
    ],
    GPPUD [
        PUD OFFSET(0) NUMBITS(2) [
            Off = 0b00,
            PullDown = 0b01,
            PullUp = 0b10
        ]
    ],
    GPPUDCLK0 [
        PUDCLK15 OFFSET(15) NUMBITS(1) [],
        PUDCLK14 OFFSET(14) NUMBITS(1) []
    ]
}

register_structs! {
    RegisterBlock {
        (0x00 => _gpfsel0),
        (0x04 => gpfsel1: ReadWrite<u32, GPFSEL1::Register>),
        (0x08 => _gpfsel2_to_reserved),
        (0x94 => gppud: ReadWrite<u32, GPPUD::Register>),
        (0x98 => gppudclk0: ReadWrite<u32, GPPUDCLK0::Register>),
        (0x9c => @END),
    }
}

/// The BCM2835 pull-control sequence needs 150 cycles between its steps.
fn wait_150_cycles() {
    for _ in 0..150 {
        nop();
    }
}

/// Puts GPIO 14/15 in ALT0 (PL011 TXD/RXD) with no pull-up or pull-down.
pub fn route_pl011_to_header() {
    route_header_uart(GPFSEL1::FSEL14::Alt0 + GPFSEL1::FSEL15::Alt0);
}

/// Puts GPIO 14/15 in ALT5 (mini UART TXD/RXD) with no pull-up or
/// pull-down.
pub fn route_mini_uart_to_header() {
    route_header_uart(GPFSEL1::FSEL14::Alt5 + GPFSEL1::FSEL15::Alt5);
}

/// Gives GPIO 14/15 the functions `select` and no pull-up or pull-down.
fn route_header_uart(select: tock_registers::fields::FieldValue<u32, GPFSEL1::Register>) {
    // SAFETY: GPIO_BASE is the GPIO block in the kernel map; the kernel
    // touches only the console's two pins.
    let gpio: Mmio<RegisterBlock> = unsafe { Mmio::new(mmio(GPIO_BASE)) };
    gpio.gpfsel1.modify(select);
    gpio.gppud.write(GPPUD::PUD::Off);
    wait_150_cycles();
    gpio.gppudclk0.write(GPPUDCLK0::PUDCLK14::SET + GPPUDCLK0::PUDCLK15::SET);
    wait_150_cycles();
    gpio.gppud.write(GPPUD::PUD::Off);
    gpio.gppudclk0.set(0);
}
