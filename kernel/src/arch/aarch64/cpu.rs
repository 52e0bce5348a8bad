//! The running core: identity, exception level, and stopping.

use aarch64_cpu::registers::{CurrentEL, MIDR_EL1, MPIDR_EL1};
use tock_registers::interfaces::Readable;
use tock_registers::LocalRegisterCopy;

use crate::exit::ExitCode;

/// The part named by a Main ID Register value (MIDR_EL1), for the Arm parts
/// this kernel may meet.
pub fn part_name(id: LocalRegisterCopy<u64, MIDR_EL1::Register>) -> &'static str {
    match (id.read(MIDR_EL1::Implementer), id.read(MIDR_EL1::PartNum)) {
        (0x41, 0xd03) => "Cortex-A53",
        (0x41, 0xd08) => "Cortex-A72",
        (0x41, _) => "Arm core",
        _ => "unknown core",
    }
}

/// This core's number (MPIDR_EL1.Aff0): 0 to 3 on the Pi 3.
pub fn core_id() -> u64 {
    MPIDR_EL1.get() & 0xff
}

/// The current exception level (1 once the kernel runs).
pub fn current_el() -> u64 {
    CurrentEL.read(CurrentEL::EL)
}

/// Stops the kernel. Under QEMU with semihosting, QEMU exits with `code`;
/// on a physical board the core halts with interrupts masked.
pub fn halt(code: ExitCode) -> ! {
    #[cfg(feature = "semihosting")]
    {
        use qemu_exit::QEMUExit;
        qemu_exit::AArch64::new().exit(code as u32)
    }
    #[cfg(not(feature = "semihosting"))]
    {
        use aarch64_cpu::{asm, registers::DAIF};
        use tock_registers::interfaces::Writeable;
        let _ = code;
        DAIF.write(DAIF::D::Masked + DAIF::A::Masked + DAIF::I::Masked + DAIF::F::Masked);
        loop {
            asm::wfi();
        }
    }
}
