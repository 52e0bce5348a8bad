//! The kernel's view of memory.
//!
//! Physical memory is mapped once, linearly, in the upper half (TTBR1): the
//! kernel sees physical address `pa` at `KERNEL_VIRT_BASE + pa`, and its
//! image is linked there (`kernel/link.ld` uses the same base). The lower
//! half (TTBR0) is left to the domains' single address space.

/// Where physical address 0 appears in the kernel's (upper-half) view.
pub const KERNEL_VIRT_BASE: usize = 0xFFFF_FF80_0000_0000;

/// Size of each half of the virtual address space: 39 bits (T0SZ = T1SZ = 25),
/// so translation starts at level 1 with 1 GiB per level-1 entry.
pub const VIRT_ADDRESS_BITS: u32 = 39;

/// The kernel's virtual address of a physical address.
pub const fn phys_to_virt(pa: usize) -> usize {
    KERNEL_VIRT_BASE + pa
}

/// The physical address behind a kernel virtual address of the linear map.
pub const fn virt_to_phys(va: usize) -> usize {
    va - KERNEL_VIRT_BASE
}

extern "C" {
    static __kernel_start: u8;
    static __kernel_end: u8;
}

/// Logs where the kernel image lies.
pub fn log_kernel_image() {
    let start = core::ptr::addr_of!(__kernel_start) as usize;
    let end = core::ptr::addr_of!(__kernel_end) as usize;
    log::info!(
        "kernel image {start:#x}..{end:#x} (physical {:#x}, {} KiB incl. bss and boot stack)",
        virt_to_phys(start),
        (end - start) / 1024
    );
}

// The linear map's base is the start of the upper half, and translation
// round-trips: checked when the kernel compiles, as it runs on no host.
const _: () = assert!(KERNEL_VIRT_BASE == !0usize << VIRT_ADDRESS_BITS);
const _: () = assert!(phys_to_virt(0x8_0000) == 0xFFFF_FF80_0008_0000);
const _: () = assert!(virt_to_phys(phys_to_virt(0x3F20_1000)) == 0x3F20_1000);
