//! Raspberry Pi 3 (BCM2837): memory map, kernel console, GPU mailbox.

mod gpio;
pub mod intc;
pub mod local_intc;
pub mod mailbox;
pub mod memory_map;
mod mmio;
pub mod pl011;
pub use vesper_kernel_core::revision;

pub use console::{console, init_console};

mod console {
    use super::{gpio, memory_map, pl011::Pl011};

    // SAFETY: PL011_BASE is the PL011's register block in the kernel map, and
    // the kernel is its only user (the user-level UART driver gets the mini
    // UART or, later, this one handed over).
    static CONSOLE: Pl011 = unsafe { Pl011::new(memory_map::mmio(memory_map::PL011_BASE)) };

    /// The kernel's debug console: the PL011 (first `-serial` on QEMU, GPIO
    /// 14/15 on a physical Pi 3).
    pub fn console() -> &'static Pl011 {
        &CONSOLE
    }

    /// Routes the PL011 to GPIO 14/15 and sets it to 115200 8N1.
    pub fn init_console() {
        gpio::route_pl011_to_header();
        CONSOLE.init();
    }
}
