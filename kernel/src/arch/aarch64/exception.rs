//! Exception entry: which vector was taken, and what the kernel does about it.
//!
//! From a domain (EL0): a system call or a fault goes to the dispatcher, as
//! does an interrupt. Anything taken while the kernel itself runs is a
//! fatal kernel error: it is reported with its decoded syndrome and all
//! registers, and the kernel stops with [`ExitCode::KernelException`].
//!
//! [`ExitCode::KernelException`]: crate::exit::ExitCode::KernelException

use vesper_kernel_core::trap::{ExceptionType, Origin, VectorKind};

use crate::arch::trap_frame::{TrapFrame, TRAP_FRAME_SIZE};
use crate::dispatch;
use crate::exit::ExitCode;
use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::VBAR_EL1;
use tock_registers::interfaces::Writeable;
use vesper_abi::syndrome::Syndrome;

// The frame's size and offsets come from the Rust type, so that
// vectors.s cannot fall out of step with it (trap_frame.rs checks what
// else vectors.s assumes).
core::arch::global_asm!(
    include_str!("vectors.s"),
    BENCH = const cfg!(feature = "bench") as u8,
    FRAME_SIZE = const TRAP_FRAME_SIZE,
    FRAME_X = const core::mem::offset_of!(TrapFrame, x),
    FRAME_ELR = const core::mem::offset_of!(TrapFrame, elr),
    FRAME_ESR = const core::mem::offset_of!(TrapFrame, esr),
);

extern "C" {
    static exception_vectors: u8;
}

/// Points VBAR_EL1 at the vector table.
pub fn install_vectors() {
    VBAR_EL1.set(core::ptr::addr_of!(exception_vectors) as u64);
    barrier::isb(barrier::SY);
}

/// An IRQ taken from EL0, from its dedicated entry in `vectors.s`.
#[no_mangle]
extern "C" fn handle_irq(frame: &mut TrapFrame) {
    dispatch::on_interrupt(frame)
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
        (Origin::LowerElAarch64, ExceptionType::Synchronous) if syndrome.is_fp_access() => {
            dispatch::on_fp_access(frame)
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
    log::error!("KERNEL EXCEPTION: {vector}");
    log::error!("  class    {syndrome}");
    log::error!("  ESR_EL1  {:#018x}  FAR_EL1  {:#018x}", syndrome.raw(), frame.far);
    log::error!("  ELR_EL1  {:#018x}  SPSR_EL1 {:#018x}", frame.elr, frame.spsr);
    log::error!("  SP_EL1   {:#018x}", frame as *const TrapFrame as usize + TRAP_FRAME_SIZE);
    log::error!("registers:\n{frame}");
    crate::exit::halt(ExitCode::KernelException)
}
