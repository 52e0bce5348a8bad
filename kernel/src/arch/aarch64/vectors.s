// Exception vector table: 16 entries of 0x80 bytes (VBAR_EL1 needs 2 KiB
// alignment). Every entry saves x0/x1, puts its own number in x0 and joins
// the common path, which saves the rest of a TrapFrame on the kernel stack
// and calls `handle_exception(kind, frame)`. If that returns, the frame is
// restored and `eret` resumes the interrupted context.
//
// TrapFrame layout (must match arch/aarch64/trap_frame.rs):
//   0..248  x0..x30   248 sp_el0   256 elr_el1   264 spsr_el1
//   272 esr_el1       280 far_el1  (288 bytes, a multiple of 16)

.equ TRAP_FRAME_SIZE, 288

.macro VECTOR_ENTRY kind
.balign 0x80
    sub     sp, sp, #TRAP_FRAME_SIZE
    stp     x0, x1, [sp, #0]
.if \kind == 9 && {BENCH}
    // Benchmark kernels only: the instruction count at an interrupt from
    // EL0, for measuring the path to the next activation (arch/aarch64/pmu.rs).
    mrs     x1, pmevcntr0_el0
    msr     tpidr_el1, x1
.endif
    mov     x0, #\kind
    b       exception_entry_common
.endm

.section .text.vectors, "ax"
.balign 0x800
.global exception_vectors
exception_vectors:
    // Kinds: source * 4 + type; source 0 = current EL with SP_EL0,
    // 1 = current EL with SP_ELx, 2 = lower EL AArch64, 3 = lower EL AArch32;
    // type 0 = synchronous, 1 = IRQ, 2 = FIQ, 3 = SError.
    VECTOR_ENTRY 0
    VECTOR_ENTRY 1
    VECTOR_ENTRY 2
    VECTOR_ENTRY 3
    VECTOR_ENTRY 4
    VECTOR_ENTRY 5
    VECTOR_ENTRY 6
    VECTOR_ENTRY 7

    // Synchronous from EL0. Fast path: the `nop` system call (svc with
    // x8 = 0) returns 0 at once, touching only x0 and the flags, which the
    // system call may clobber. Anything else takes the full path.
.balign 0x80
    cbnz    x8, 1f
    mrs     x8, esr_el1
    lsr     x8, x8, #26
    cmp     x8, #0x15                   // EC: SVC from AArch64
    mov     x8, #0                      // x8 was 0; mov leaves the flags
    b.ne    1f
    mov     x0, #0
    eret
1:  sub     sp, sp, #TRAP_FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x0, #8
    b       exception_entry_common

    VECTOR_ENTRY 9
    VECTOR_ENTRY 10
    VECTOR_ENTRY 11
    VECTOR_ENTRY 12
    VECTOR_ENTRY 13
    VECTOR_ENTRY 14
    VECTOR_ENTRY 15

exception_entry_common:
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x6, x7, [sp, #16 * 3]
    stp     x8, x9, [sp, #16 * 4]
    stp     x10, x11, [sp, #16 * 5]
    stp     x12, x13, [sp, #16 * 6]
    stp     x14, x15, [sp, #16 * 7]
    stp     x16, x17, [sp, #16 * 8]
    stp     x18, x19, [sp, #16 * 9]
    stp     x20, x21, [sp, #16 * 10]
    stp     x22, x23, [sp, #16 * 11]
    stp     x24, x25, [sp, #16 * 12]
    stp     x26, x27, [sp, #16 * 13]
    stp     x28, x29, [sp, #16 * 14]
    mrs     x1, sp_el0
    stp     x30, x1, [sp, #16 * 15]
    mrs     x1, elr_el1
    mrs     x2, spsr_el1
    stp     x1, x2, [sp, #16 * 16]
    mrs     x1, esr_el1
    mrs     x2, far_el1
    stp     x1, x2, [sp, #16 * 17]

    mov     x1, sp
    bl      handle_exception

// Restores the TrapFrame at sp and returns from the exception.
exception_return:
    ldp     x1, x2, [sp, #16 * 16]
    msr     elr_el1, x1
    msr     spsr_el1, x2
    ldp     x30, x1, [sp, #16 * 15]
    msr     sp_el0, x1
    ldp     x0, x1, [sp, #16 * 0]
    ldp     x2, x3, [sp, #16 * 1]
    ldp     x4, x5, [sp, #16 * 2]
    ldp     x6, x7, [sp, #16 * 3]
    ldp     x8, x9, [sp, #16 * 4]
    ldp     x10, x11, [sp, #16 * 5]
    ldp     x12, x13, [sp, #16 * 6]
    ldp     x14, x15, [sp, #16 * 7]
    ldp     x16, x17, [sp, #16 * 8]
    ldp     x18, x19, [sp, #16 * 9]
    ldp     x20, x21, [sp, #16 * 10]
    ldp     x22, x23, [sp, #16 * 11]
    ldp     x24, x25, [sp, #16 * 12]
    ldp     x26, x27, [sp, #16 * 13]
    ldp     x28, x29, [sp, #16 * 14]
    add     sp, sp, #TRAP_FRAME_SIZE
    eret

// enter_user(frame: *const TrapFrame) -> !
//
// Starts the first domain: makes `frame` the frame being returned to, as
// if an exception from EL0 were finishing. From then on SP_EL1 rests just
// above it whenever a domain runs.
.global enter_user
enter_user:
    mov     sp, x0
    b       exception_return

// copy_registers(dst: *mut u64, src: *const u64)
//
// Copies the 34 words that a TrapFrame and a vesper_abi Context share at
// their start (x0-x30, then SP_EL0, PC and PSTATE), in either direction.
.global copy_registers
copy_registers:
    ldp     x2, x3, [x1, #16 * 0]
    stp     x2, x3, [x0, #16 * 0]
    ldp     x2, x3, [x1, #16 * 1]
    stp     x2, x3, [x0, #16 * 1]
    ldp     x2, x3, [x1, #16 * 2]
    stp     x2, x3, [x0, #16 * 2]
    ldp     x2, x3, [x1, #16 * 3]
    stp     x2, x3, [x0, #16 * 3]
    ldp     x2, x3, [x1, #16 * 4]
    stp     x2, x3, [x0, #16 * 4]
    ldp     x2, x3, [x1, #16 * 5]
    stp     x2, x3, [x0, #16 * 5]
    ldp     x2, x3, [x1, #16 * 6]
    stp     x2, x3, [x0, #16 * 6]
    ldp     x2, x3, [x1, #16 * 7]
    stp     x2, x3, [x0, #16 * 7]
    ldp     x2, x3, [x1, #16 * 8]
    stp     x2, x3, [x0, #16 * 8]
    ldp     x2, x3, [x1, #16 * 9]
    stp     x2, x3, [x0, #16 * 9]
    ldp     x2, x3, [x1, #16 * 10]
    stp     x2, x3, [x0, #16 * 10]
    ldp     x2, x3, [x1, #16 * 11]
    stp     x2, x3, [x0, #16 * 11]
    ldp     x2, x3, [x1, #16 * 12]
    stp     x2, x3, [x0, #16 * 12]
    ldp     x2, x3, [x1, #16 * 13]
    stp     x2, x3, [x0, #16 * 13]
    ldp     x2, x3, [x1, #16 * 14]
    stp     x2, x3, [x0, #16 * 14]
    ldp     x2, x3, [x1, #16 * 15]
    stp     x2, x3, [x0, #16 * 15]
    ldp     x2, x3, [x1, #16 * 16]
    stp     x2, x3, [x0, #16 * 16]
    ret

// clear_registers(frame: *mut u64)
//
// Zeroes x2-x30 of a TrapFrame (x0 and x1 carry an upcall's arguments), so
// that nothing of the previous domain reaches the next one.
.global clear_registers
clear_registers:
    stp     xzr, xzr, [x0, #16 * 1]
    stp     xzr, xzr, [x0, #16 * 2]
    stp     xzr, xzr, [x0, #16 * 3]
    stp     xzr, xzr, [x0, #16 * 4]
    stp     xzr, xzr, [x0, #16 * 5]
    stp     xzr, xzr, [x0, #16 * 6]
    stp     xzr, xzr, [x0, #16 * 7]
    stp     xzr, xzr, [x0, #16 * 8]
    stp     xzr, xzr, [x0, #16 * 9]
    stp     xzr, xzr, [x0, #16 * 10]
    stp     xzr, xzr, [x0, #16 * 11]
    stp     xzr, xzr, [x0, #16 * 12]
    stp     xzr, xzr, [x0, #16 * 13]
    stp     xzr, xzr, [x0, #16 * 14]
    str     xzr, [x0, #16 * 15]
    ret
