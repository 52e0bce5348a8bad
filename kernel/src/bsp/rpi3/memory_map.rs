//! The BCM2837's physical memory map as the ARM cores see it.
//!
//! Addresses are ARM physical addresses (the VideoCore's bus addresses for
//! peripherals start at 0x7E00_0000 instead of 0x3F00_0000).

use vesper_kernel_core::mmu::descriptor::MemoryKind;
use vesper_kernel_core::mmu::tables::PhysRegion;

/// Start of the peripherals (BCM2835 "ARM peripherals" moved for BCM2837).
pub const PERIPHERAL_BASE: u64 = 0x3F00_0000;
/// The ARM-local block (per-core timers and interrupt routing, BCM2836 QA7).
pub const LOCAL_BASE: u64 = 0x4000_0000;
/// PL011 UART0.
pub const PL011_BASE: u64 = PERIPHERAL_BASE + 0x20_1000;
/// The AUX block: the mini UART (UART1) and its enables.
pub const AUX_BASE: u64 = PERIPHERAL_BASE + 0x21_5000;
/// GPIO function select, pull control and levels.
pub const GPIO_BASE: u64 = PERIPHERAL_BASE + 0x20_0000;
/// The peripheral interrupt controller.
pub const INTC_BASE: u64 = PERIPHERAL_BASE + 0xB200;
/// The VideoCore mailboxes.
pub const MAILBOX_BASE: u64 = PERIPHERAL_BASE + 0xB880;

/// End of the RAM the ARM owns (the GPU firmware keeps the rest; 0x3C00_0000
/// on a 1 GiB Pi 3 with the default GPU split, as QEMU reports).
pub const ARM_RAM_END: u64 = 0x3C00_0000;

/// What the kernel maps, linearly, in the upper half: RAM and the memory
/// the GPU firmware keeps (the framebuffer lives there) as normal memory, the
/// peripherals and the local block as device memory. A constant, not a
/// static: it is read with the MMU off, where only PC-relative addresses
/// (of the promoted array) are right, not a pointer stored in a static.
pub const KERNEL_MAP: &[PhysRegion] = &[
    PhysRegion { start: 0, end: PERIPHERAL_BASE, kind: MemoryKind::Normal },
    PhysRegion { start: PERIPHERAL_BASE, end: LOCAL_BASE, kind: MemoryKind::Device },
    PhysRegion { start: LOCAL_BASE, end: 2 * LOCAL_BASE, kind: MemoryKind::Device },
];

/// The kernel's virtual address of a peripheral register block.
pub const fn mmio(pa: u64) -> usize {
    crate::memory::phys_to_virt(pa as usize)
}
