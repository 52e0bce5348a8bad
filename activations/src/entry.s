// The activation entry point (the domain ELF's entry, `_start`) and the
// user-level context switch.

// Domains are built soft-float: the compiler never uses FP/SIMD, and only
// code like this, which asks for it, does.
.arch_extension fp
.arch_extension simd

.section .text.entry, "ax"
.global _start
_start:
    // The kernel enters here on every activation: x0 = the DCB's read-only
    // half, x1 = the reason, sp = the activation stack, activations off.
    mov     x29, xzr
    mov     x30, xzr
    b       vesper_activation

// vesper_switch_out(context: *mut Context, then: extern "C" fn() -> !,
//                   fp_live: *const u64)
//
// Saves what a function call must preserve (x19-x30, sp, and, if the
// DCB's fp_live is set, q8-q15, fpcr and fpsr) into `context`, with
// pc = the `ret` below and fp_state saying whether the FP/SIMD part was
// saved, then jumps to `then` on the same stack. When `rfa` later resumes
// the context, execution continues at that `ret` and the call returns
// normally to its caller. With fp_live clear the domain's FP/SIMD state is
// all zero and the registers are not its own to read (they would trap).
// The CONTEXT_* operands are the offsets of vesper_abi::dcb::Context's
// fields, computed from the Rust type in entry.rs.
.section .text, "ax"
.global vesper_switch_out
vesper_switch_out:
    stp     x19, x20, [x0, #{CONTEXT_X} + 8 * 19]
    stp     x21, x22, [x0, #{CONTEXT_X} + 8 * 21]
    stp     x23, x24, [x0, #{CONTEXT_X} + 8 * 23]
    stp     x25, x26, [x0, #{CONTEXT_X} + 8 * 25]
    stp     x27, x28, [x0, #{CONTEXT_X} + 8 * 27]
    stp     x29, x30, [x0, #{CONTEXT_X} + 8 * 29]
    mov     x9, sp
    str     x9, [x0, #{CONTEXT_SP}]
    adr     x9, 1f
    str     x9, [x0, #{CONTEXT_PC}]
    str     xzr, [x0, #{CONTEXT_PSTATE}]
    ldr     x9, [x2]
    cbz     x9, 2f
    stp     q8, q9, [x0, #{CONTEXT_V} + 16 * 8]
    stp     q10, q11, [x0, #{CONTEXT_V} + 16 * 10]
    stp     q12, q13, [x0, #{CONTEXT_V} + 16 * 12]
    stp     q14, q15, [x0, #{CONTEXT_V} + 16 * 14]
    mrs     x9, fpcr
    str     x9, [x0, #{CONTEXT_FPCR}]
    mrs     x9, fpsr
    str     x9, [x0, #{CONTEXT_FPSR}]
    mov     x9, #{FP_SAVED}
    str     x9, [x0, #{CONTEXT_FP_STATE}]
    br      x1
2:  mov     x9, #{FP_ZERO}
    str     x9, [x0, #{CONTEXT_FP_STATE}]
    br      x1
1:  ret
