// Vesper boot stub: from whatever exception level the loader chose to EL1
// with the MMU on and the kernel running in the upper half.
//
// Entered with the MMU off at physical 0x80000:
//   * raw kernel8.img (firmware or QEMU -kernel IMG): core 0 only, at EL2;
//     cores 1-3 wait on the firmware spin table (core n polls 0xd8 + 8n),
//     which core 0 points here.
//   * ELF (QEMU -kernel ELF): all four cores, at EL3.
// Every core drops to EL1 on its own and takes its own stack. Core 0 then
// builds the kernel map and boots the kernel; cores 1-3 wait in `wfi`
// until core 0 sets their bit in `SECONDARY_GO` (an image using them) and
// interrupts them, then turn on the MMU with core 0's tables and run
// secondary_main.
// Until the jump to the upper half everything here is position independent:
// adr/adrp give physical addresses because the code runs at its physical
// address.

.equ CORE_ID_MASK,       0xff
.equ SPIN_TABLE_CORE1,   0xe0            // core n: 0xd8 + 8n
.equ SCR_EL3_VALUE,      0x5b1           // RW | HCE | SMD | RES1[5:4] | NS
.equ SPSR_EL2H_MASKED,   0x3c9           // DAIF masked, EL2 with SP_EL2
.equ SPSR_EL1H_MASKED,   0x3c5           // DAIF masked, EL1 with SP_EL1
.equ HCR_EL2_RW,         (1 << 31)       // EL1 runs AArch64
.equ CPTR_EL2_NO_TRAPS,  0x33ff          // RES1 bits only: no FP/SIMD traps
.equ CPACR_EL1_FPEN,     (3 << 20)       // no FP/SIMD traps at EL1 and EL0
.equ SCTLR_EL1_RES1,     0x30d00800      // MMU and caches off, little endian
.equ BOOT_STACK_SIZE,    0x10000         // per core; linker.ld holds four

.section .text.boot, "ax"
.global _start
_start:
    mrs     x0, CurrentEL
    lsr     x0, x0, #2
    cmp     x0, #3
    b.eq    from_el3
    cmp     x0, #2
    b.eq    from_el2
    b       in_el1

from_el3:
    mov     x0, #SCR_EL3_VALUE
    msr     scr_el3, x0
    mov     x0, #SPSR_EL2H_MASKED
    msr     spsr_el3, x0
    adr     x0, from_el2
    msr     elr_el3, x0
    eret

from_el2:
    // Raw-image boot: core 0 moves cores 1-3 from the firmware's wfe spin
    // loop to _start, where they drop to EL1 and wait in wfi (which costs
    // nothing under icount). With an ELF boot nobody reads the spin table
    // and the writes are harmless.
    mrs     x0, mpidr_el1
    and     x0, x0, #CORE_ID_MASK
    cbnz    x0, 1f
    adr     x0, _start
    mov     x1, #SPIN_TABLE_CORE1
    stp     x0, x0, [x1]
    str     x0, [x1, #16]
    dsb     sy
    sev

1:  mov     x0, #HCR_EL2_RW
    msr     hcr_el2, x0
    mrs     x0, cnthctl_el2
    orr     x0, x0, #3                  // EL1PCTEN | EL1PCEN: EL1 owns the physical timer
    msr     cnthctl_el2, x0
    msr     cntvoff_el2, xzr
    mov     x0, #CPTR_EL2_NO_TRAPS
    msr     cptr_el2, x0
    msr     hstr_el2, xzr
    // At EL1, MIDR/MPIDR reads return these EL2 copies; their reset values
    // are UNKNOWN on real hardware.
    mrs     x0, midr_el1
    msr     vpidr_el2, x0
    mrs     x0, mpidr_el1
    msr     vmpidr_el2, x0
    mov     x0, #SPSR_EL1H_MASKED
    msr     spsr_el2, x0
    adr     x0, in_el1
    msr     elr_el2, x0
    eret

in_el1:
    // Rust code is compiled for the FP/SIMD registers: enable them first.
    mov     x0, #CPACR_EL1_FPEN
    msr     cpacr_el1, x0
    ldr     x0, =SCTLR_EL1_RES1
    msr     sctlr_el1, x0
    isb

    // This core's stack: core n's ends BOOT_STACK_SIZE * n below the top.
    mrs     x19, mpidr_el1
    and     x19, x19, #CORE_ID_MASK
    mov     x2, #BOOT_STACK_SIZE
    adrp    x0, __boot_stack_top
    add     x0, x0, :lo12:__boot_stack_top
    msub    x0, x19, x2, x0
    mov     sp, x0
    cbnz    x19, secondary

    adrp    x0, __bss_start
    add     x0, x0, :lo12:__bss_start
    adrp    x1, __bss_end
    add     x1, x1, :lo12:__bss_end
1:  cmp     x0, x1
    b.hs    2f
    stp     xzr, xzr, [x0], #16
    b       1b
2:
    // Builds the translation tables and turns the MMU on, still running at
    // the physical address (identity-mapped through TTBR0 for now).
    bl      early_enable_mmu

    // Absolute (upper-half) addresses from the literal pool.
    ldr     x0, =__boot_stack_top
    mov     sp, x0
    ldr     x0, =kernel_main
    br      x0

// Cores 1-3 (x19 = core, sp = its physical stack): wait until core 0 has
// built the kernel map and released them (it cleans `SECONDARY_GO` to
// memory, which these cores read with their caches off, and interrupts
// them through their mailbox), then join the kernel in the upper half.
secondary:
    adrp    x1, SECONDARY_GO
    add     x1, x1, :lo12:SECONDARY_GO
1:  ldr     w2, [x1]
    lsr     w2, w2, w19
    tbnz    w2, #0, 2f                  // bit n: core n may join
    wfi
    b       1b
2:  bl      early_enable_mmu_secondary
    ldr     x0, =__boot_stack_top
    mov     x2, #BOOT_STACK_SIZE
    msub    x0, x19, x2, x0
    mov     sp, x0
    mov     x0, x19
    ldr     x1, =secondary_main
    br      x1
