//! What the exception vectors hand the kernel: which vector was taken,
//! and the register state saved on entry (its layout is shared with the
//! board kernel's `vectors.s`, which gets the offsets as `const` operands).

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

/// Everything `vectors.s` saves when an exception is taken to EL1.
#[repr(C)]
#[derive(Clone, Debug, Default)]
pub struct TrapFrame {
    /// General-purpose registers x0 to x30.
    pub x: [u64; 31],
    /// The EL0 stack pointer.
    pub sp_el0: u64,
    /// Where the exception was taken (ELR_EL1).
    pub elr: u64,
    /// The interrupted PSTATE (SPSR_EL1).
    pub spsr: u64,
    /// The syndrome (ESR_EL1).
    pub esr: u64,
    /// The fault address (FAR_EL1), meaningful for aborts.
    pub far: u64,
}

/// Size of [`TrapFrame`]; `vectors.s` reserves this much stack (it gets
/// this and the fields' offsets as `const` operands, see `exception.rs`).
pub const TRAP_FRAME_SIZE: usize = core::mem::size_of::<TrapFrame>();

// What `vectors.s` assumes beyond the offsets it is given.
const _: () = {
    use core::mem::offset_of;
    // SP_EL1 must stay 16-byte aligned, and the frame is carved out of it.
    assert!(TRAP_FRAME_SIZE.is_multiple_of(16));
    // One `stp`/`ldp` each moves x30 with sp_el0, elr with spsr and esr
    // with far, so the two of each pair must be adjacent.
    assert!(offset_of!(TrapFrame, sp_el0) == offset_of!(TrapFrame, x) + 8 * 31);
    assert!(offset_of!(TrapFrame, spsr) == offset_of!(TrapFrame, elr) + 8);
    assert!(offset_of!(TrapFrame, far) == offset_of!(TrapFrame, esr) + 8);
};

impl fmt::Display for TrapFrame {
    /// The general registers, four to a line, then the stack pointer.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (row, regs) in self.x.chunks(4).enumerate() {
            for (col, value) in regs.iter().enumerate() {
                let sep = if col == 0 { "  " } else { " " };
                write!(f, "{sep}x{:<2} {value:#018x}", row * 4 + col)?;
            }
            writeln!(f)?;
        }
        write!(f, "  sp_el0 {:#018x}", self.sp_el0)
    }
}

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

    #[test]
    fn register_dump_names_every_register() {
        let mut frame = TrapFrame::default();
        frame.x[30] = 0xdead_beef;
        frame.sp_el0 = 0x1000;
        let text = frame.to_string();
        assert_eq!(text.lines().count(), 9);
        assert!(text.contains("x0  0x0000000000000000"));
        assert!(text.contains("x30 0x00000000deadbeef"));
        assert!(text.ends_with("sp_el0 0x0000000000001000"));
    }
}
