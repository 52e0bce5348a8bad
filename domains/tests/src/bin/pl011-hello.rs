//! `pl011-hello`: writes a line straight into the PL011's registers, which
//! the manifest hands it (`uses = ["uart0"]`) while the kernel prints on
//! the mini UART (`[image] console = "uart1"`).

#![no_std]
#![no_main]

use tock_registers::interfaces::{Readable, Writeable};
use vesper_activations::events::Region;
use vesper_activations::println;
use vesper_service::registers::{Mmio, Pl011Registers, FR};

vesper_activations::main!(run);

fn run() {
    let Some(uart) = Region::named("uart0") else {
        println!("pl011-hello: the manifest gives no uart0");
        return;
    };
    // SAFETY: the manifest maps the PL011 here, and this domain alone uses
    // it.
    let uart = unsafe { Mmio::<Pl011Registers>::new(uart.base as usize) };
    for byte in b"hello from a domain on the PL011\n" {
        while uart.fr.is_set(FR::TXFF) {}
        uart.dr.set(u32::from(*byte));
    }
    println!("pl011-hello: written");
}
