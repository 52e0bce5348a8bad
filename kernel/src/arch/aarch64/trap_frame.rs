//! The register state saved on exception entry (layout shared with
//! `vectors.s`).

use core::fmt;

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

/// Size of [`TrapFrame`]; `vectors.s` reserves this much stack.
pub const TRAP_FRAME_SIZE: usize = 288;

const _: () = assert!(core::mem::size_of::<TrapFrame>() == TRAP_FRAME_SIZE);

impl fmt::Display for TrapFrame {
    /// The general registers, four to a line, then the stack pointer.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (row, regs) in self.x.chunks(4).enumerate() {
            for (col, value) in regs.iter().enumerate() {
                let name = row * 4 + col;
                let sep = if col == 0 { "  " } else { " " };
                write!(f, "{sep}x{name:<2} {value:#018x}")?;
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
