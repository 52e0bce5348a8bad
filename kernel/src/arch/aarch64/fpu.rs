//! The FP/SIMD register file, moved between the CPU and a domain's saved
//! [`Context`] (see `fpu.s`).

use vesper_abi::dcb::Context;

// fpu.s is handed `&context.v`; where FPCR and FPSR go from there comes
// from the Rust type, so that the two cannot disagree.
core::arch::global_asm!(
    include_str!("fpu.s"),
    FPCR_FROM_V = const core::mem::offset_of!(Context, fpcr) - core::mem::offset_of!(Context, v),
    FPSR_FROM_V = const core::mem::offset_of!(Context, fpsr) - core::mem::offset_of!(Context, v),
);

extern "C" {
    fn fpu_save(area: *mut u8);
    fn fpu_restore(area: *const u8);
    fn fpu_zero();
}

/// Copies the FP/SIMD registers into `context`.
pub fn save(context: &mut Context) {
    // SAFETY: fpu.s writes q0-q31 into `v`, and FPCR and FPSR into `fpcr`
    // and `fpsr` at their offsets from `v` (const operands above): only
    // `context`, which the exclusive borrow lets us write.
    unsafe { fpu_save(context.v.as_mut_ptr().cast()) }
}

/// Loads the FP/SIMD registers from `context`.
pub fn restore(context: &Context) {
    // SAFETY: as in `save`, reading instead of writing.
    unsafe { fpu_restore(context.v.as_ptr().cast()) }
}

/// Clears the FP/SIMD registers, so that nothing leaks between domains.
pub fn clear() {
    // SAFETY: only registers the kernel never uses are written.
    unsafe { fpu_zero() }
}
