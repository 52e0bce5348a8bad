// Exception vector table: 16 entries of 0x80 bytes (VBAR_EL1 needs 2 KiB
// alignment). Every entry saves x0/x1, puts its own number in x0 and joins
// the common path, which saves the rest of a TrapFrame on the kernel stack
// and calls `handle_exception(kind, frame)`. If that returns, the frame is
// restored and `eret` resumes the interrupted context. Two entries are
// faster: the `nop` system call is answered in its vector, and an IRQ from
// EL0 (the timer, a device) goes straight to `handle_irq(frame)`, with no
// syndrome to save or decode.
//
// The TrapFrame's size and offsets are not written here: they are `const`
// operands computed from the Rust type (arch/aarch64/trap_frame.rs) and
// passed in exception.rs, so the two cannot disagree.
//   FRAME_SIZE  size of the frame
//   FRAME_X     x0-x30; sp_el0 follows x30
//   FRAME_ELR   elr_el1; spsr_el1 follows it
//   FRAME_ESR   esr_el1; far_el1 follows it
// The followers are stored with one `stp`; trap_frame.rs checks that they
// do follow, and that the size keeps SP 16-byte aligned.

.macro VECTOR_ENTRY kind
.balign 0x80
    sub     sp, sp, #{FRAME_SIZE}
    stp     x0, x1, [sp, #{FRAME_X}]
    mov     x0, #\kind
    b       exception_entry_common
.endm

// Saves x2-x30, sp_el0, elr and spsr into the TrapFrame at sp (x0 and x1
// are saved by the vector entry); leaves x1 = sp.
.macro SAVE_FRAME
    stp     x2, x3, [sp, #{FRAME_X} + 8 * 2]
    stp     x4, x5, [sp, #{FRAME_X} + 8 * 4]
    stp     x6, x7, [sp, #{FRAME_X} + 8 * 6]
    stp     x8, x9, [sp, #{FRAME_X} + 8 * 8]
    stp     x10, x11, [sp, #{FRAME_X} + 8 * 10]
    stp     x12, x13, [sp, #{FRAME_X} + 8 * 12]
    stp     x14, x15, [sp, #{FRAME_X} + 8 * 14]
    stp     x16, x17, [sp, #{FRAME_X} + 8 * 16]
    stp     x18, x19, [sp, #{FRAME_X} + 8 * 18]
    stp     x20, x21, [sp, #{FRAME_X} + 8 * 20]
    stp     x22, x23, [sp, #{FRAME_X} + 8 * 22]
    stp     x24, x25, [sp, #{FRAME_X} + 8 * 24]
    stp     x26, x27, [sp, #{FRAME_X} + 8 * 26]
    stp     x28, x29, [sp, #{FRAME_X} + 8 * 28]
    mrs     x1, sp_el0
    stp     x30, x1, [sp, #{FRAME_X} + 8 * 30]     // x30, sp_el0
    mrs     x1, elr_el1
    mrs     x2, spsr_el1
    stp     x1, x2, [sp, #{FRAME_ELR}]             // elr, spsr
    mov     x1, sp
.endm

.section .text.vectors, "ax"
.balign 0x800
.global exception_vectors
exception_vectors:
    // Kinds: source * 4 + type; source 0 = current EL with SP_EL0,
    // 1 = current EL with SP_ELx, 2 = lower EL AArch64, 3 = lower EL AArch32;
    // type 0 = synchronous, 1 = IRQ, 2 = FIQ, 3 = SError.
    .irp    kind, 0, 1, 2, 3, 4, 5, 6, 7
    VECTOR_ENTRY \kind
    .endr

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
1:  sub     sp, sp, #{FRAME_SIZE}
    stp     x0, x1, [sp, #{FRAME_X}]
    mov     x0, #8
    b       exception_entry_common

    // IRQ from EL0: a dedicated entry. Its cause needs no decoding, so it
    // goes straight to `handle_irq` (the timer or a device).
.balign 0x80
    sub     sp, sp, #{FRAME_SIZE}
    stp     x0, x1, [sp, #{FRAME_X}]
.if {BENCH}
    // Benchmark kernels only: the instruction count at an interrupt from
    // EL0, for measuring the path to the next activation (arch/aarch64/pmu.rs).
    mrs     x1, pmevcntr0_el0
    msr     tpidr_el1, x1
.endif
    b       irq_entry

    .irp    kind, 10, 11, 12, 13, 14, 15
    VECTOR_ENTRY \kind
    .endr

exception_entry_common:
    SAVE_FRAME
    mrs     x2, esr_el1
    mrs     x3, far_el1
    stp     x2, x3, [sp, #{FRAME_ESR}]             // esr, far
    bl      handle_exception
    b       exception_return

// An IRQ from EL0: the frame without the syndrome, then `handle_irq(frame)`.
irq_entry:
    SAVE_FRAME
    mov     x0, x1
    bl      handle_irq

// Restores the TrapFrame at sp and returns from the exception.
exception_return:
    ldp     x1, x2, [sp, #{FRAME_ELR}]             // elr, spsr
    msr     elr_el1, x1
    msr     spsr_el1, x2
    ldp     x30, x1, [sp, #{FRAME_X} + 8 * 30]     // x30, sp_el0
    msr     sp_el0, x1
    ldp     x0, x1, [sp, #{FRAME_X}]
    ldp     x2, x3, [sp, #{FRAME_X} + 8 * 2]
    ldp     x4, x5, [sp, #{FRAME_X} + 8 * 4]
    ldp     x6, x7, [sp, #{FRAME_X} + 8 * 6]
    ldp     x8, x9, [sp, #{FRAME_X} + 8 * 8]
    ldp     x10, x11, [sp, #{FRAME_X} + 8 * 10]
    ldp     x12, x13, [sp, #{FRAME_X} + 8 * 12]
    ldp     x14, x15, [sp, #{FRAME_X} + 8 * 14]
    ldp     x16, x17, [sp, #{FRAME_X} + 8 * 16]
    ldp     x18, x19, [sp, #{FRAME_X} + 8 * 18]
    ldp     x20, x21, [sp, #{FRAME_X} + 8 * 20]
    ldp     x22, x23, [sp, #{FRAME_X} + 8 * 22]
    ldp     x24, x25, [sp, #{FRAME_X} + 8 * 24]
    ldp     x26, x27, [sp, #{FRAME_X} + 8 * 26]
    ldp     x28, x29, [sp, #{FRAME_X} + 8 * 28]
    add     sp, sp, #{FRAME_SIZE}
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
// Copies the registers that a TrapFrame and a vesper_abi Context share
// (x0-x30, then SP_EL0, PC and PSTATE), in either direction. It uses the
// TrapFrame's offsets for both: arch/aarch64/user.rs checks that the
// Context has x, sp, pc and pstate at the same ones.
.global copy_registers
copy_registers:
    // x0-x29 and x30 with sp_el0, a pair at a time
    .set    .Loffset, {FRAME_X}
    .rept   16
    ldp     x2, x3, [x1, #.Loffset]
    stp     x2, x3, [x0, #.Loffset]
    .set    .Loffset, .Loffset + 16
    .endr
    ldp     x2, x3, [x1, #{FRAME_ELR}]             // elr, spsr
    stp     x2, x3, [x0, #{FRAME_ELR}]
    ret

// clear_registers(frame: *mut u64)
//
// Zeroes x2-x30 of a TrapFrame (x0 and x1 carry an upcall's arguments), so
// that nothing of the previous domain reaches the next one.
.global clear_registers
clear_registers:
    // x2-x29, a pair at a time
    .set    .Loffset, {FRAME_X} + 8 * 2
    .rept   14
    stp     xzr, xzr, [x0, #.Loffset]
    .set    .Loffset, .Loffset + 16
    .endr
    str     xzr, [x0, #{FRAME_X} + 8 * 30]
    ret
