// Saving, restoring and clearing the FP/SIMD registers, which belong to the
// domains. The kernel itself is built soft-float and never touches them,
// so they only change hands when the CPU does.
//
// The area is a vesper_abi::dcb::Context from its `v` field on: q0-q31
// (16 bytes each, as `v: [u128; 32]` holds them; four registers' worth
// per st1/ld1, which in little-endian order lays each out as str/ldr of
// the q register would), then fpcr and fpsr at the offsets FPCR_FROM_V
// and FPSR_FROM_V from `v`, `const` operands computed from the Rust type
// in fpu.rs. (The register lists' braces are doubled: this file is a
// `global_asm!` template.)

.arch_extension fp
.arch_extension simd
.section .text, "ax"

// fpu_save(area: *mut u8)
.global fpu_save
fpu_save:
    st1     {{v0.2d-v3.2d}}, [x0], #64
    st1     {{v4.2d-v7.2d}}, [x0], #64
    st1     {{v8.2d-v11.2d}}, [x0], #64
    st1     {{v12.2d-v15.2d}}, [x0], #64
    st1     {{v16.2d-v19.2d}}, [x0], #64
    st1     {{v20.2d-v23.2d}}, [x0], #64
    st1     {{v24.2d-v27.2d}}, [x0], #64
    st1     {{v28.2d-v31.2d}}, [x0], #64   // x0: past q31
    mrs     x1, fpcr
    str     x1, [x0, #{FPCR_FROM_V} - 16 * 32]
    mrs     x1, fpsr
    str     x1, [x0, #{FPSR_FROM_V} - 16 * 32]
    ret

// fpu_restore(area: *const u8)
.global fpu_restore
fpu_restore:
    ld1     {{v0.2d-v3.2d}}, [x0], #64
    ld1     {{v4.2d-v7.2d}}, [x0], #64
    ld1     {{v8.2d-v11.2d}}, [x0], #64
    ld1     {{v12.2d-v15.2d}}, [x0], #64
    ld1     {{v16.2d-v19.2d}}, [x0], #64
    ld1     {{v20.2d-v23.2d}}, [x0], #64
    ld1     {{v24.2d-v27.2d}}, [x0], #64
    ld1     {{v28.2d-v31.2d}}, [x0], #64   // x0: past q31
    ldr     x1, [x0, #{FPCR_FROM_V} - 16 * 32]
    msr     fpcr, x1
    ldr     x1, [x0, #{FPSR_FROM_V} - 16 * 32]
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
