//! AArch64 (ARMv8-A, Cortex-A53): boot, exception vectors, MMU, caches and
//! the generic timer.

use aarch64_cpu::registers::MIDR_EL1;
use tock_registers::interfaces::Readable;

mod boot;
pub mod cache;
pub mod cpu;
pub mod exception;
pub mod fpu;
pub mod mmu;
pub mod pmu;
#[cfg(feature = "semihosting")]
pub mod semihosting;
pub mod time;
pub mod timer;
pub mod trap_frame;
pub mod user;

/// Brings the CPU from the boot state to the kernel's running state:
/// installs the exception vectors, drops the boot identity map and starts
/// the instruction counter.
pub fn init() {
    time::init();
    timer::init();
    exception::install_vectors();
    mmu::drop_identity_map();
    pmu::init();
}

/// Logs the CPU's identity, exception level and timer frequency.
pub fn log_cpu_info() {
    let id = MIDR_EL1.extract();
    log::info!(
        "CPU {} r{}p{} (MIDR {:#010x}), core {}, EL{}, timer {} Hz",
        cpu::part_name(id),
        id.read(MIDR_EL1::Variant),
        id.read(MIDR_EL1::Revision),
        id.get(),
        cpu::core_id(),
        cpu::current_el(),
        time::frequency_hz()
    );
}
