// Saving, restoring and clearing the FP/SIMD registers, which belong to the
// domains. The kernel itself is built soft-float and never touches them,
// so they only change hands when the CPU does.
//
// The area is a vesper_abi::dcb::Context from its `v` field on: q0-q31
// (16 bytes each, as `v: [u128; 32]` holds them), then fpcr and fpsr at
// the offsets FPCR_FROM_V and FPSR_FROM_V from `v`, `const` operands
// computed from the Rust type in fpu.rs.

.arch_extension fp
.arch_extension simd
.section .text, "ax"

// fpu_save(area: *mut u8)
.global fpu_save
fpu_save:
    stp     q0, q1, [x0, #0]
    stp     q2, q3, [x0, #16 * 2]
    stp     q4, q5, [x0, #16 * 4]
    stp     q6, q7, [x0, #16 * 6]
    stp     q8, q9, [x0, #16 * 8]
    stp     q10, q11, [x0, #16 * 10]
    stp     q12, q13, [x0, #16 * 12]
    stp     q14, q15, [x0, #16 * 14]
    stp     q16, q17, [x0, #16 * 16]
    stp     q18, q19, [x0, #16 * 18]
    stp     q20, q21, [x0, #16 * 20]
    stp     q22, q23, [x0, #16 * 22]
    stp     q24, q25, [x0, #16 * 24]
    stp     q26, q27, [x0, #16 * 26]
    stp     q28, q29, [x0, #16 * 28]
    stp     q30, q31, [x0, #16 * 30]
    mrs     x1, fpcr
    str     x1, [x0, #{FPCR_FROM_V}]
    mrs     x1, fpsr
    str     x1, [x0, #{FPSR_FROM_V}]
    ret

// fpu_restore(area: *const u8)
.global fpu_restore
fpu_restore:
    ldp     q0, q1, [x0, #0]
    ldp     q2, q3, [x0, #16 * 2]
    ldp     q4, q5, [x0, #16 * 4]
    ldp     q6, q7, [x0, #16 * 6]
    ldp     q8, q9, [x0, #16 * 8]
    ldp     q10, q11, [x0, #16 * 10]
    ldp     q12, q13, [x0, #16 * 12]
    ldp     q14, q15, [x0, #16 * 14]
    ldp     q16, q17, [x0, #16 * 16]
    ldp     q18, q19, [x0, #16 * 18]
    ldp     q20, q21, [x0, #16 * 20]
    ldp     q22, q23, [x0, #16 * 22]
    ldp     q24, q25, [x0, #16 * 24]
    ldp     q26, q27, [x0, #16 * 26]
    ldp     q28, q29, [x0, #16 * 28]
    ldp     q30, q31, [x0, #16 * 30]
    ldr     x1, [x0, #{FPCR_FROM_V}]
    msr     fpcr, x1
    ldr     x1, [x0, #{FPSR_FROM_V}]
    msr     fpsr, x1
    ret

// fpu_zero(): every FP/SIMD register, FPCR and FPSR to zero
.global fpu_zero
fpu_zero:
    .irp    n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    movi    v\n\().2d, #0
    .endr
    msr     fpcr, xzr
    msr     fpsr, xzr
    ret
