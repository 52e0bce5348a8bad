//! The MMU: the kernel's translation tables and turning translation on.
//!
//! Boot runs [`enable`] (through the kernel's `early_enable_mmu`, which
//! hands it the board's memory map) with the MMU off, at the kernel's
//! physical address. It builds the kernel map (`tables::map_kernel` over
//! that map) and installs the same level-1 table in TTBR1 (the upper half,
//! where the kernel is linked) and in TTBR0 (an identity map, so that the
//! instructions right after the MMU comes on still fetch). Once the kernel
//! runs in the upper half, [`drop_identity_map`] turns TTBR0 walks off: the
//! lower half belongs to the domains.

use crate::memory::VIRT_ADDRESS_BITS;
use aarch64_cpu::asm::{self, barrier};
use aarch64_cpu::registers::{MAIR_EL1, SCTLR_EL1, TCR_EL1, TTBR0_EL1, TTBR1_EL1};
use core::arch::asm;
use core::mem::offset_of;
use core::ptr::addr_of_mut;
use tock_registers::interfaces::{ReadWriteable, Writeable};
use vesper_kernel_core::mmu::descriptor::MAIR_VALUE;
use vesper_kernel_core::mmu::tables::{map_kernel, PhysRegion, TranslationTable};

/// The kernel map's tables, in .bss (zeroed by the boot stub).
#[repr(C)]
struct KernelTables {
    l1: TranslationTable,
    l2: TranslationTable,
}

static mut KERNEL_TABLES: KernelTables =
    KernelTables { l1: TranslationTable::empty(), l2: TranslationTable::empty() };

fn invalidate_tlb() {
    // SAFETY: invalidating EL1 TLB entries only forces fresh table walks.
    unsafe { asm!("tlbi vmalle1", "dsb sy", "isb", options(nostack, preserves_flags)) };
}

/// Builds the kernel map of the board's memory `map` and turns on the
/// MMU and caches.
///
/// Called once at boot, with the MMU off and running at the physical
/// address. Everything here is PC-relative, so the addresses it takes
/// of statics are physical: nothing may load an absolute (upper-half)
/// address, such as a function pointer from a table; `map` itself must
/// be a constant (its address taken PC-relative), not a static holding
/// a pointer.
pub fn enable(map: &[PhysRegion]) {
    // SAFETY: single-threaded early boot (the other cores wait until
    // this is done); nothing else uses the tables.
    let tables = unsafe { &mut *addr_of_mut!(KERNEL_TABLES) };
    let l2_phys = &tables.l2 as *const TranslationTable as u64;
    if map_kernel(&mut tables.l1, &mut tables.l2, l2_phys, map).is_err() {
        // The board map is checked by host tests; nothing can be printed
        // before the MMU is on, so stop here where a debugger will look.
        loop {
            asm::wfi();
        }
    }
    turn_on();
}

/// Turns on the MMU and caches of this core with the kernel map that
/// [`enable`] built on core 0: how cores 1-3 join, with the MMU off and
/// at the physical address, as [`enable`] runs.
pub fn turn_on() {
    let l1_phys = (&raw const KERNEL_TABLES) as u64 + offset_of!(KernelTables, l1) as u64;
    MAIR_EL1.set(MAIR_VALUE);
    let size = 64 - u64::from(VIRT_ADDRESS_BITS);
    TCR_EL1.write(
        TCR_EL1::IPS::Bits_32
            + TCR_EL1::AS::ASID16Bits
            + TCR_EL1::A1::TTBR0
            + TCR_EL1::TG1::KiB_4
            + TCR_EL1::SH1::Inner
            + TCR_EL1::ORGN1::WriteBack_ReadAlloc_WriteAlloc_Cacheable
            + TCR_EL1::IRGN1::WriteBack_ReadAlloc_WriteAlloc_Cacheable
            + TCR_EL1::EPD1::EnableTTBR1Walks
            + TCR_EL1::T1SZ.val(size)
            + TCR_EL1::TG0::KiB_4
            + TCR_EL1::SH0::Inner
            + TCR_EL1::ORGN0::WriteBack_ReadAlloc_WriteAlloc_Cacheable
            + TCR_EL1::IRGN0::WriteBack_ReadAlloc_WriteAlloc_Cacheable
            + TCR_EL1::EPD0::EnableTTBR0Walks
            + TCR_EL1::T0SZ.val(size),
    );
    TTBR0_EL1.set_baddr(l1_phys);
    TTBR1_EL1.set_baddr(l1_phys);
    // The tables were written with the MMU (and so the caches) off; make
    // sure those writes reached memory before the walker reads them.
    barrier::dsb(barrier::SY);
    invalidate_tlb();
    // UCI: EL0 may clean and invalidate data cache lines by address
    // (`dc civac`), only for memory it can reach: a driver sharing
    // memory with a DMA-capable device (the mailbox's firmware) keeps
    // it coherent itself.
    SCTLR_EL1.modify(
        SCTLR_EL1::M::Enable
            + SCTLR_EL1::C::Cacheable
            + SCTLR_EL1::I::Cacheable
            + SCTLR_EL1::UCI::DontTrap,
    );
    barrier::isb(barrier::SY);
}

/// Stops translating the lower half, which [`enable`] identity
/// mapped for the switch to the upper half. Domains install their own
/// TTBR0 tables later.
pub fn drop_identity_map() {
    TCR_EL1.modify(TCR_EL1::EPD0::DisableTTBR0Walks);
    TTBR0_EL1.set(0);
    invalidate_tlb();
}
