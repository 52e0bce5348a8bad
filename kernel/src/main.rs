//! The Vesper nucleus for the Raspberry Pi 3 (Cortex-A53, AArch64).
//!
//! Boot (`arch::boot`) brings core 0 to EL1 with the MMU on and the
//! kernel in the upper half, then calls [`kernel_main`]. Architecture code
//! lives in `arch/aarch64`, board code in `bsp/rpi3`, and everything else is
//! generic.
//!
//! This crate is built for the board only. The kernel's pure logic
//! (Atropos, the capability tables, the console ring, pointer checks,
//! syndromes, translation tables) is the `vesper-kernel-core` crate, built
//! and tested on the host.

#![no_std]
#![no_main]

mod arch;
mod bsp;
mod console;
mod dispatch;
mod domain;
mod exit;
mod logger;
mod memory;
mod panic;
mod selftest;
mod sync;
mod trace;

/// The kernel's version, shown in the boot banner.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Called by the boot stub (`boot.s`) with the MMU off, at the physical
/// address: turns translation on with the kernel map of this board. It
/// joins the architecture's MMU code and the board's memory map, so that
/// neither knows the other.
#[no_mangle]
extern "C" fn early_enable_mmu() {
    arch::mmu::enable(bsp::memory_map::KERNEL_MAP);
}

/// First Rust code in the upper half: called by the boot stub on core 0 at
/// EL1, MMU and caches on, interrupts masked, on the boot stack.
#[no_mangle]
pub extern "C" fn kernel_main() -> ! {
    arch::init();
    bsp::init_console();
    logger::init();

    let revision = bsp::mailbox::board_revision();
    log::info!("Vesper {VERSION} on {}", vesper_service::board::BoardName(revision));
    arch::log_cpu_info();
    memory::log_kernel_image();

    selftest::run();

    if dispatch::load_domains() == 0 {
        log::info!("boot complete, no domains to run");
        exit::halt(exit::ExitCode::Success)
    }
    dispatch::start()
}
