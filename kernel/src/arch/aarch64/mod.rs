//! AArch64 (ARMv8-A, Cortex-A53): boot, exception vectors, MMU, caches and
//! the generic timer.

#[cfg(not(test))]
mod boot;
#[cfg(not(test))]
pub mod cache;
#[cfg(not(test))]
pub mod cpu;
pub mod esr;
pub mod exception;
#[cfg(not(test))]
pub mod fpu;
pub mod mmu;
#[cfg(not(test))]
pub mod pmu;
#[cfg(not(test))]
pub mod time;
#[cfg(not(test))]
pub mod timer;
pub mod trap_frame;
#[cfg(not(test))]
pub mod user;

/// Brings the CPU from the boot state to the kernel's running state:
/// installs the exception vectors, drops the boot identity map and starts
/// the instruction counter.
#[cfg(not(test))]
pub fn init() {
    time::init();
    timer::init();
    exception::install_vectors();
    mmu::drop_identity_map();
    pmu::init();
}

/// Logs the CPU's identity, exception level and timer frequency.
#[cfg(not(test))]
pub fn log_cpu_info() {
    let id = cpu::MainId::read();
    log::info!(
        "CPU {} r{}p{} (MIDR {:#010x}), core {}, EL{}, timer {} Hz",
        id.part_name(),
        id.variant(),
        id.revision(),
        id.0,
        cpu::core_id(),
        cpu::current_el(),
        time::frequency_hz()
    );
}
