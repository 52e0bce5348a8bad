//! The serial chainloader: the image an SD card boots instead of a kernel,
//! so that a physical Pi 3 gets each new kernel over its serial line, as
//! QEMU gets it from a file (`cargo xtask chainboot`; docs/physical-pi3.md).
//!
//! The firmware loads it at 0x80000 and starts core 0 there at EL2, with
//! the MMU off (cores 1-3 wait on the firmware's spin table, untouched).
//! It copies itself up to where it is linked (see `link.ld`), so that a
//! kernel can be received at 0x80000; moves the header's pins to the PL011
//! (GPIO 14/15, and the Bluetooth module's GPIO 32/33 away from it);
//! then speaks `vesper_abi::chainload`: asks for a kernel, takes one frame,
//! checks it, and answers. A good kernel is started exactly as the firmware
//! starts one: at 0x80000, at EL2, MMU off, with the registers x0-x3 the
//! firmware gave the loader.
//!
//! No kernel code is in it: only the protocol (`vesper_abi::chainload`)
//! and the PL011's and GPIO's register blocks (`vesper_service::registers`).

#![no_std]
#![no_main]

use aarch64_cpu::registers::{CNTFRQ_EL0, CNTPCT_EL0};
use core::arch::global_asm;
use tock_registers::interfaces::{Readable, Writeable};
use vesper_abi::chainload::{
    Receiver, Step, BYTE_TIMEOUT_MS, ERROR, LOAD_ADDRESS, MAX_IMAGE, OK, REQUEST,
    REQUEST_INTERVAL_MS,
};
use vesper_service::registers::{
    route_header_uart, start_pl011, GpioRegisters, HeaderUart, Mmio, Pl011Registers, FR,
    PHYS_GPIO_BASE, PHYS_PL011_BASE, PL011_POLLED,
};

// The entry, position independent (it runs at 0x80000, not where it is
// linked): park every core but 0, copy the image up to its link address,
// clear .bss, set the stack and jump up there, x0-x3 untouched.
global_asm!(
    ".section .text.boot, \"ax\"",
    ".global _start",
    "_start:",
    // Only core 0 enters (the firmware keeps the others on its spin
    // table); another that did would wait here, where a received kernel
    // lands: so the loader is for core 0 alone.
    "    mrs     x4, mpidr_el1",
    "    and     x4, x4, #0xff",
    "    cbz     x4, 2f",
    "1:  wfe",
    "    b       1b",
    "2:  adr     x4, _start",
    "    ldr     x5, =__loader_start",
    "    ldr     x6, =__copy_end",
    "3:  ldr     x7, [x4], #8",
    "    str     x7, [x5], #8",
    "    cmp     x5, x6",
    "    b.lo    3b",
    "    ldr     x4, =__bss_start",
    "    ldr     x5, =__bss_end",
    "4:  cmp     x4, x5",
    "    b.hs    5f",
    "    str     xzr, [x4], #8",
    "    b       4b",
    "5:  ldr     x4, =__stack_top",
    "    mov     sp, x4",
    // The copy is code: no stale instructions may run from it.
    "    dsb     sy",
    "    ic      iallu",
    "    dsb     sy",
    "    isb",
    "    ldr     x4, =loader_main",
    "    br      x4",
    "    .ltorg",
    "",
    ".section .text",
    // chain(x0, x1, x2, x3, entry): starts the received kernel with the
    // firmware's registers.
    ".global chain",
    "chain:",
    "    dsb     sy",
    "    ic      iallu",
    "    dsb     sy",
    "    isb",
    "    br      x4",
);

extern "C" {
    fn chain(x0: u64, x1: u64, x2: u64, x3: u64, entry: u64) -> !;
}

/// Where the loader is linked (`link.ld`'s LOADER_BASE).
const LOADER_BASE: u64 = 0x800_0000;
/// Its stack, below LOADER_BASE.
const STACK: u64 = 64 << 10;
// The largest kernel, received at LOAD_ADDRESS, stays below the stack.
const _: () = assert!(LOAD_ADDRESS + MAX_IMAGE as u64 <= LOADER_BASE - STACK);

/// The PL011, polled.
struct Uart(Mmio<Pl011Registers>);

impl Uart {
    /// The PL011 on the header at 115200 8N1 (from the 48 MHz UART clock
    /// config.txt sets).
    fn new() -> Self {
        // SAFETY: with the MMU off these are the GPIO block's and the
        // PL011's physical registers, and the loader alone runs.
        let (gpio, pl011) = unsafe {
            (
                Mmio::<GpioRegisters>::new(PHYS_GPIO_BASE),
                Mmio::<Pl011Registers>::new(PHYS_PL011_BASE),
            )
        };
        route_header_uart(&gpio, HeaderUart::Pl011);
        start_pl011(&pl011, PL011_POLLED);
        Self(pl011)
    }

    fn write(&self, bytes: &[u8]) {
        for &byte in bytes {
            while self.0.fr.is_set(FR::TXFF) {}
            self.0.dr.set(u32::from(byte));
        }
    }

    /// Waits until the last byte has left the line.
    fn flush(&self) {
        while self.0.fr.is_set(FR::BUSY) {}
    }

    fn read(&self) -> Option<u8> {
        (!self.0.fr.is_set(FR::RXFE)).then(|| self.0.dr.get() as u8)
    }
}

/// Milliseconds since the counter started.
fn now_ms() -> u64 {
    let frequency = CNTFRQ_EL0.get().max(1);
    CNTPCT_EL0.get() * 1000 / frequency
}

/// The loader, running where it is linked; x0-x3 are the firmware's.
#[no_mangle]
extern "C" fn loader_main(x0: u64, x1: u64, x2: u64, x3: u64) -> ! {
    let uart = Uart::new();
    let mut receiver = Receiver::new();
    uart.write(REQUEST);
    let (mut asked, mut last_byte) = (now_ms(), now_ms());
    loop {
        let step = match uart.read() {
            Some(byte) => {
                last_byte = now_ms();
                receiver.feed(byte)
            }
            None if receiver.in_frame() && now_ms() - last_byte > BYTE_TIMEOUT_MS => {
                receiver.time_out()
            }
            None => {
                // Asked again only while the line is quiet: writing the
                // request does not read, and a frame starting meanwhile
                // would overrun the receive FIFO.
                let quiet = now_ms() - last_byte > REQUEST_INTERVAL_MS;
                if !receiver.in_frame() && quiet && now_ms() - asked > REQUEST_INTERVAL_MS {
                    uart.write(REQUEST);
                    asked = now_ms();
                }
                Step::Nothing
            }
        };
        match step {
            Step::Nothing => {}
            Step::Byte { offset, byte } => {
                let at = (LOAD_ADDRESS + u64::from(offset)) as *mut u8;
                // SAFETY: the protocol keeps `offset` below MAX_IMAGE, so
                // the byte lands between 0x80000 and the loader, which is
                // linked above that; the firmware's spin table lies below.
                unsafe { at.write_volatile(byte) };
            }
            Step::Done(Ok(_)) => {
                uart.write(OK);
                uart.flush();
                // SAFETY: a whole kernel image, its checksum verified, is
                // at LOAD_ADDRESS; it is started as the firmware would.
                unsafe { chain(x0, x1, x2, x3, LOAD_ADDRESS) }
            }
            Step::Done(Err(failure)) => {
                uart.write(ERROR);
                uart.write(failure.reason().as_bytes());
                uart.write(b"\r\n");
                uart.write(REQUEST);
                asked = now_ms();
            }
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {
        aarch64_cpu::asm::wfe();
    }
}
