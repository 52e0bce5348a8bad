//! Translation tables and the kernel's linear map of physical memory.
//!
//! With a 39-bit virtual address space and the 4 KiB granule, translation
//! starts at level 1: each level-1 entry covers 1 GiB, each level-2 entry
//! 2 MiB. The kernel map uses one level-1 table and one level-2 table for
//! the first GiB (RAM and peripherals), and 1 GiB blocks above it.

use super::descriptor::{self, Access, Attributes, Execute, MemoryKind};

/// Entries per table with the 4 KiB granule.
pub const ENTRIES: usize = 512;
/// Bytes mapped by one level-1 entry.
pub const L1_BLOCK: u64 = 1 << 30;
/// Bytes mapped by one level-2 entry.
pub const L2_BLOCK: u64 = 1 << 21;

/// One translation table: 512 descriptors, aligned to its own size.
#[repr(C, align(4096))]
pub struct TranslationTable(pub [u64; ENTRIES]);

impl TranslationTable {
    /// A table with no valid entries.
    pub const fn empty() -> Self {
        Self([0; ENTRIES])
    }
}

/// A range of physical memory and the kind of memory it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhysRegion {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// How the kernel maps it.
    pub kind: MemoryKind,
}

/// Why a board's memory map cannot be turned into the kernel map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// Region boundaries must fall on 2 MiB (below 1 GiB) or 1 GiB (above).
    Misaligned(PhysRegion),
    /// The region lies beyond what one level-1 table maps (512 GiB).
    OutOfRange(PhysRegion),
}

/// How the kernel maps `kind` memory: `Execute::Kernel` leaves device
/// memory never executable all the same (see `Attributes::fields`).
fn kernel_attributes(kind: MemoryKind) -> Attributes {
    Attributes { kind, access: Access::KernelReadWrite, execute: Execute::Kernel, global: true }
}

/// Fills `l1` (and `l2`, for the first GiB) with the kernel's linear map of
/// `regions`. `l2_phys` is the physical address of `l2`. Memory in no region
/// stays unmapped.
pub fn map_kernel(
    l1: &mut TranslationTable,
    l2: &mut TranslationTable,
    l2_phys: u64,
    regions: &[PhysRegion],
) -> Result<(), MapError> {
    for &region in regions {
        if region.end > L1_BLOCK * ENTRIES as u64 || region.start >= region.end {
            return Err(MapError::OutOfRange(region));
        }
        let attributes = kernel_attributes(region.kind);
        let (table, block_size) =
            if region.end <= L1_BLOCK { (&mut *l2, L2_BLOCK) } else { (&mut *l1, L1_BLOCK) };
        if region.start % block_size != 0 || region.end % block_size != 0 {
            return Err(MapError::Misaligned(region));
        }
        for pa in (region.start..region.end).step_by(block_size as usize) {
            table.0[(pa / block_size) as usize] = descriptor::block(pa, attributes);
        }
    }
    if regions.iter().any(|region| region.end <= L1_BLOCK) {
        l1.0[0] = descriptor::table(l2_phys);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Pi 3's map, as the board kernel gives it (`bsp::rpi3::memory_map`).
    const KERNEL_MAP: &[PhysRegion] = &[
        PhysRegion { start: 0, end: 0x3F00_0000, kind: MemoryKind::Normal },
        PhysRegion { start: 0x3F00_0000, end: 0x4000_0000, kind: MemoryKind::Device },
        PhysRegion { start: 0x4000_0000, end: 0x8000_0000, kind: MemoryKind::Device },
    ];

    fn build(
        regions: &[PhysRegion],
    ) -> Result<(Box<TranslationTable>, Box<TranslationTable>), MapError> {
        let mut l1 = Box::new(TranslationTable::empty());
        let mut l2 = Box::new(TranslationTable::empty());
        map_kernel(&mut l1, &mut l2, 0x9_2000, regions)?;
        Ok((l1, l2))
    }

    fn kind_of(d: u64) -> u64 {
        (d >> 2) & 7
    }

    #[test]
    fn pi3_map_covers_ram_peripherals_and_local_block() {
        let (l1, l2) = build(KERNEL_MAP).expect("the board map is valid");
        assert_eq!(l1.0[0], descriptor::table(0x9_2000));
        // RAM (including the kernel at 0x80000) is normal and executable.
        assert_eq!(kind_of(l2.0[0]), MemoryKind::Normal as u64);
        assert_eq!(l2.0[0] & (1 << 53), 0);
        // 0x3F00_0000: the peripherals, device memory.
        assert_eq!(kind_of(l2.0[(0x3F00_0000 / L2_BLOCK) as usize]), MemoryKind::Device as u64);
        assert_eq!(descriptor::tests::output_address_of(l2.0[504]), 0x3F00_0000);
        // 0x4000_0000: the local interrupt controller's GiB, device memory.
        assert_eq!(kind_of(l1.0[1]), MemoryKind::Device as u64);
        assert_eq!(l1.0[1] & 0b11, 0b01, "a valid block");
        // Nothing above it.
        assert!(l1.0[2..].iter().all(|&d| d == 0));
    }

    #[test]
    fn misaligned_regions_are_refused() {
        let odd = PhysRegion { start: 0x1000, end: 0x20_0000, kind: MemoryKind::Normal };
        assert_eq!(build(&[odd]).err(), Some(MapError::Misaligned(odd)));
        let high = PhysRegion { start: 0x4000_0000, end: 0x4020_0000, kind: MemoryKind::Device };
        assert_eq!(build(&[high]).err(), Some(MapError::Misaligned(high)));
    }

    #[test]
    fn out_of_range_and_empty_regions_are_refused() {
        let far = PhysRegion { start: 0, end: L1_BLOCK * 513, kind: MemoryKind::Normal };
        assert_eq!(build(&[far]).err(), Some(MapError::OutOfRange(far)));
        let empty = PhysRegion { start: L2_BLOCK, end: L2_BLOCK, kind: MemoryKind::Normal };
        assert_eq!(build(&[empty]).err(), Some(MapError::OutOfRange(empty)));
    }

    #[test]
    fn unmapped_gaps_stay_invalid() {
        let only = PhysRegion { start: 0, end: 4 * L2_BLOCK, kind: MemoryKind::Normal };
        let (l1, l2) = build(&[only]).unwrap();
        assert!(l2.0[4..].iter().all(|&d| d == 0));
        assert!(l1.0[1..].iter().all(|&d| d == 0));
    }
}
