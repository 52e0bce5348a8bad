//! The Vesper nucleus for the Raspberry Pi 3 (Cortex-A53, AArch64).
//!
//! Boot (`arch::aarch64::boot`) brings core 0 to EL1 with the MMU on and the
//! kernel in the upper half, then calls [`kernel_main`]. Architecture code
//! lives in `arch/aarch64`, board code in `bsp/rpi3`, and everything else is
//! generic.
//!
//! On the host this crate builds only its unit tests: the modules that touch
//! hardware are compiled for the board alone (`cfg(not(test))`).

#![cfg_attr(not(test), no_std)]
#![cfg_attr(not(test), no_main)]
// In the host test build the hardware code that calls the pure modules is
// compiled out, so "unused" says nothing there; the board build checks it.
#![cfg_attr(test, allow(dead_code))]

mod arch;
mod bitset;
mod bsp;
mod cap;
mod console;
#[cfg(not(test))]
mod dispatch;
mod domain;
mod exit;
#[cfg(not(test))]
mod logger;
mod memory;
#[cfg(not(test))]
mod panic;
mod sched;
#[cfg(not(test))]
mod selftest;
mod sync;

/// The kernel's version, shown in the boot banner.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// First Rust code in the upper half: called by the boot stub on core 0 at
/// EL1, MMU and caches on, interrupts masked, on the boot stack.
#[cfg(not(test))]
#[no_mangle]
pub extern "C" fn kernel_main() -> ! {
    arch::aarch64::init();
    bsp::rpi3::init_console();
    logger::init();

    let revision = bsp::rpi3::mailbox::board_revision();
    log::info!("Vesper {VERSION} on {}", bsp::rpi3::revision::BoardName(revision));
    arch::aarch64::log_cpu_info();
    memory::log_kernel_image();

    selftest::run();

    if dispatch::load_domains() == 0 {
        log::info!("boot complete, no domains to run");
        exit::halt(exit::ExitCode::Success)
    }
    dispatch::start()
}
