//! Exception entry: which vector was taken, and what the kernel does about it.
//!
//! From a domain (EL0): a system call or a fault goes to the dispatcher, as
//! does an interrupt. Anything taken while the kernel itself runs is a
//! fatal kernel error: it is reported with its decoded syndrome and all
//! registers, and the kernel stops with [`ExitCode::KernelException`].
//!
//! [`ExitCode::KernelException`]: crate::exit::ExitCode::KernelException

use core::fmt;

/// Where the exception came from (the vector table's four groups).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// EL1 while running on SP_EL0.
    CurrentElSp0,
    /// EL1 on its own stack (SP_EL1): the kernel itself.
    CurrentElSpx,
    /// EL0 in AArch64: a domain.
    LowerElAarch64,
    /// EL0 in AArch32 (never used by Vesper).
    LowerElAarch32,
}

/// The type of exception (the four entries of each group).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExceptionType {
    /// A synchronous exception: SVC, abort, undefined instruction, ...
    Synchronous,
    /// An interrupt.
    Irq,
    /// A fast interrupt.
    Fiq,
    /// An asynchronous system error.
    SError,
}

/// One of the sixteen vectors, as numbered in `vectors.s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VectorKind {
    /// Where the exception came from.
    pub origin: Origin,
    /// What kind of exception it is.
    pub kind: ExceptionType,
}

impl VectorKind {
    /// Decodes the number `vectors.s` passes: origin * 4 + type.
    pub fn from_number(number: u64) -> Self {
        let origin = match (number >> 2) & 3 {
            0 => Origin::CurrentElSp0,
            1 => Origin::CurrentElSpx,
            2 => Origin::LowerElAarch64,
            _ => Origin::LowerElAarch32,
        };
        let kind = match number & 3 {
            0 => ExceptionType::Synchronous,
            1 => ExceptionType::Irq,
            2 => ExceptionType::Fiq,
            _ => ExceptionType::SError,
        };
        Self { origin, kind }
    }
}

impl fmt::Display for VectorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ExceptionType::Synchronous => "synchronous exception",
            ExceptionType::Irq => "IRQ",
            ExceptionType::Fiq => "FIQ",
            ExceptionType::SError => "SError",
        };
        let origin = match self.origin {
            Origin::CurrentElSp0 => "EL1 on SP_EL0",
            Origin::CurrentElSpx => "EL1 (kernel)",
            Origin::LowerElAarch64 => "EL0 (AArch64)",
            Origin::LowerElAarch32 => "EL0 (AArch32)",
        };
        write!(f, "{kind} from {origin}")
    }
}

#[cfg(not(test))]
mod entry {
    use super::{ExceptionType, Origin, VectorKind};
    use crate::arch::aarch64::esr::Syndrome;
    use crate::arch::aarch64::trap_frame::{TrapFrame, TRAP_FRAME_SIZE};
    use crate::dispatch;
    use crate::exit::ExitCode;
    use aarch64_cpu::asm::barrier;
    use aarch64_cpu::registers::VBAR_EL1;
    use tock_registers::interfaces::Writeable;

    core::arch::global_asm!(include_str!("vectors.s"), BENCH = const cfg!(feature = "bench") as u8);

    extern "C" {
        static exception_vectors: u8;
    }

    /// Points VBAR_EL1 at the vector table.
    pub fn install_vectors() {
        let table = core::ptr::addr_of!(exception_vectors) as u64;
        VBAR_EL1.set(table);
        barrier::isb(barrier::SY);
    }

    /// Called by `vectors.s` with the vector number and the saved registers.
    #[no_mangle]
    extern "C" fn handle_exception(number: u64, frame: &mut TrapFrame) {
        let vector = VectorKind::from_number(number);
        let syndrome = Syndrome::new(frame.esr);
        match (vector.origin, vector.kind) {
            (Origin::LowerElAarch64, ExceptionType::Synchronous) if syndrome.is_svc() => {
                dispatch::on_syscall(frame)
            }
            (Origin::LowerElAarch64 | Origin::LowerElAarch32, ExceptionType::Synchronous) => {
                dispatch::on_domain_fault(frame)
            }
            (Origin::LowerElAarch64 | Origin::LowerElAarch32, ExceptionType::Irq) => {
                dispatch::on_interrupt(frame)
            }
            _ => kernel_fault(vector, syndrome, frame),
        }
    }

    /// Reports an exception the kernel did not expect and stops.
    fn kernel_fault(vector: VectorKind, syndrome: Syndrome, frame: &TrapFrame) -> ! {
        let kernel_sp = frame as *const TrapFrame as usize + TRAP_FRAME_SIZE;
        log::error!("KERNEL EXCEPTION: {vector}");
        log::error!("  class    {syndrome}");
        log::error!("  ESR_EL1  {:#018x}  FAR_EL1  {:#018x}", syndrome.raw(), frame.far);
        log::error!("  ELR_EL1  {:#018x}  SPSR_EL1 {:#018x}", frame.elr, frame.spsr);
        log::error!("  SP_EL1   {:#018x}", kernel_sp);
        log::error!("registers:\n{frame}");
        crate::exit::halt(ExitCode::KernelException)
    }
}

#[cfg(not(test))]
pub use entry::install_vectors;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_numbers_decode_in_table_order() {
        assert_eq!(
            VectorKind::from_number(5),
            VectorKind { origin: Origin::CurrentElSpx, kind: ExceptionType::Irq }
        );
        assert_eq!(
            VectorKind::from_number(8),
            VectorKind { origin: Origin::LowerElAarch64, kind: ExceptionType::Synchronous }
        );
        assert_eq!(VectorKind::from_number(15).kind, ExceptionType::SError);
        assert_eq!(VectorKind::from_number(15).origin, Origin::LowerElAarch32);
    }

    #[test]
    fn vector_kind_reads_as_a_sentence() {
        assert_eq!(
            VectorKind::from_number(4).to_string(),
            "synchronous exception from EL1 (kernel)"
        );
        assert_eq!(VectorKind::from_number(9).to_string(), "IRQ from EL0 (AArch64)");
    }
}
