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

/// Called by the boot stub on cores 1-3, MMU off, once core 0 has built
/// the kernel map: turns translation on with it.
#[no_mangle]
extern "C" fn early_enable_mmu_secondary() {
    arch::mmu::turn_on();
}

/// The cores that may join (bit n: core n), set by core 0; read by the
/// boot stub of cores 1-3 with their caches off. In `.data`, not `.bss`:
/// it must read 0 before core 0 has zeroed the `.bss`.
#[no_mangle]
#[link_section = ".data.SECONDARY_GO"]
static SECONDARY_GO: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

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

/// Lets cores 1 to `CORES_USED - 1` join: they wait in the boot stub,
/// caches off, for `SECONDARY_GO` and an interrupt. Called by the
/// dispatcher on core 0 as the run starts, in an image that uses several
/// cores.
pub fn release_cores() {
    use core::sync::atomic::Ordering;
    // Bit n: core n, for each core past 0 the image uses.
    let cores: u32 = (1 << domain::config::CORES_USED) - 2;
    SECONDARY_GO.store(cores, Ordering::Release);
    let address = core::ptr::addr_of!(SECONDARY_GO) as usize;
    arch::cache::clean_invalidate(address, core::mem::size_of_val(&SECONDARY_GO));
    for core in (1..4).filter(|core| cores & (1 << core) != 0) {
        bsp::local_intc::wake_core(core);
    }
}

/// First Rust code in the upper half on cores 1-3 (`core`), on their own
/// boot stacks, once core 0 has loaded the domains: runs the domains
/// placed on this core.
#[no_mangle]
pub extern "C" fn secondary_main(core: u64) -> ! {
    arch::init();
    log::info!("core {core} up");
    dispatch::start()
}
