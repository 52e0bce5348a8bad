//! Where domains live in the single address space.
//!
//! Domain memory is mapped at the same virtual address as its physical
//! address (in the lower half, TTBR0), in every domain that may see it: a
//! pointer means the same thing everywhere, and a buffer can later be handed
//! to a device without translation. Each domain owns one slot of
//! [`SLOT_SIZE`] bytes starting at [`DOMAIN_REGION_BASE`]:
//!
//! ```text
//! slot + 0x0000  DCB read-only half     (domain: read;  kernel: write)
//! slot + 0x1000  DCB writable half      (domain: read/write)
//! slot + 0x2000  unmapped guard page
//! slot + 0x3000  unmapped guard page
//! slot + 0x4000  program image: text (RX), rodata (R), data and bss (RW)
//! ...            the rest of the slot is unmapped
//! ```

/// Bytes in a page (the 4 KiB granule).
pub const PAGE_SIZE: u64 = 0x1000;
/// Physical (= virtual) address of the first domain slot.
pub const DOMAIN_REGION_BASE: u64 = 0x0200_0000;
/// Size and alignment of a domain's slot: one level-3 table's reach.
pub const SLOT_SIZE: u64 = 0x20_0000;
/// Offset of the read-only DCB page within a slot.
pub const DCB_RO_OFFSET: u64 = 0;
/// Offset of the writable DCB page within a slot.
pub const DCB_RW_OFFSET: u64 = PAGE_SIZE;
/// Offset of the program image within a slot.
pub const IMAGE_OFFSET: u64 = 4 * PAGE_SIZE;
/// The most domains an image can hold.
pub const MAX_DOMAINS: usize = 16;

/// The cores of the board a domain can be placed on (`core` in the
/// manifest): the Pi 3's four Cortex-A53s.
pub const CORES: usize = 4;
/// The most regions (shared memory and devices) an image can hold: the
/// kernel keeps the regions a domain has mapped as 32-bit sets, and the
/// builder refuses an image with more.
pub const MAX_REGIONS: usize = 32;
/// The most interrupts an image can deliver to domains (each interrupt the
/// manifests' domains take counts once, however many take it): the
/// builder refuses an image with more.
pub const MAX_IRQS: usize = 32;

/// The base address of domain `index`'s slot.
pub const fn slot_base(index: usize) -> u64 {
    DOMAIN_REGION_BASE + index as u64 * SLOT_SIZE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_aligned_and_disjoint() {
        assert_eq!(slot_base(0) % SLOT_SIZE, 0);
        assert_eq!(slot_base(1) - slot_base(0), SLOT_SIZE);
        const { assert!(IMAGE_OFFSET > DCB_RW_OFFSET + PAGE_SIZE) };
        // All slots stay in RAM below the GPU's share (0x3C00_0000).
        const { assert!(slot_base(MAX_DOMAINS) <= 0x3C00_0000) };
    }
}
