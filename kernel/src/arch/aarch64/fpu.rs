//! The FP/SIMD register file, moved between the CPU and a domain's saved
//! [`Context`] (see `fpu.s`).

use vesper_abi::dcb::Context;

core::arch::global_asm!(include_str!("fpu.s"));

extern "C" {
    fn fpu_save(area: *mut u8);
    fn fpu_restore(area: *const u8);
    fn fpu_zero();
}

/// Copies the FP/SIMD registers into `context`.
pub fn save(context: &mut Context) {
    // SAFETY: `v`, `fpcr` and `fpsr` are contiguous in the repr(C) Context
    // (checked by vesper_abi's layout tests), which is what fpu.s writes.
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
