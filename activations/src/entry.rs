//! The activation entry (`entry.s`) and the user-level context switch.

use core::mem::offset_of;
use vesper_abi::dcb::{Context, FP_SAVED, FP_ZERO};

// `vesper_switch_out` writes a `Context`; its field offsets come from the
// Rust type, so that entry.s cannot fall out of step with it.
core::arch::global_asm!(
    include_str!("entry.s"),
    CONTEXT_X = const offset_of!(Context, x),
    CONTEXT_SP = const offset_of!(Context, sp),
    CONTEXT_PC = const offset_of!(Context, pc),
    CONTEXT_PSTATE = const offset_of!(Context, pstate),
    CONTEXT_V = const offset_of!(Context, v),
    CONTEXT_FPCR = const offset_of!(Context, fpcr),
    CONTEXT_FPSR = const offset_of!(Context, fpsr),
    CONTEXT_FP_STATE = const offset_of!(Context, fp_state),
    FP_SAVED = const FP_SAVED,
    FP_ZERO = const FP_ZERO,
);

extern "C" {
    /// Saves the caller's callee-saved state in `context` and runs `then`;
    /// returns when `context` is resumed with `rfa`. `fp_live` is the DCB's
    /// flag: at 0 the FP/SIMD registers are neither touched nor saved.
    pub fn vesper_switch_out(
        context: *mut Context,
        then: extern "C" fn() -> !,
        fp_live: *const u64,
    );
}
