//! A domain's translation tables: its view of the lower half (TTBR0).
//!
//! Domain memory is mapped at its physical address (see
//! `vesper_abi::layout`), with 4 KiB pages, not global (tagged with the
//! domain's ASID), and never executable by the kernel. A domain's slot is
//! one 2 MiB-aligned block of at most 2 MiB, so its tables are one table
//! per level; everything outside the pages it is given stays unmapped.

use super::descriptor::{self, Access, Attributes, Execute, MemoryKind};
use super::tables::{TranslationTable, ENTRIES, L1_BLOCK, L2_BLOCK};

/// Bytes in a page.
pub const PAGE: u64 = 0x1000;

/// What a domain may do with a range of its memory.
#[allow(clippy::enum_variant_names)] // every right includes reading
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserRights {
    /// Read only.
    ReadOnly,
    /// Read and write.
    ReadWrite,
    /// Read and execute.
    ReadExecute,
}

/// A page-aligned range of a domain's memory and its rights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserRegion {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// The domain's rights.
    pub rights: UserRights,
}

/// The three tables of one domain, kept together so one physical offset
/// locates them all.
#[repr(C)]
pub struct DomainTables {
    /// Level 1: entry 0 points at `l2`.
    pub l1: TranslationTable,
    /// Level 2: the slot's entry points at `l3`.
    pub l2: TranslationTable,
    /// Level 3: one entry per page of the slot.
    pub l3: TranslationTable,
}

impl DomainTables {
    /// Tables with nothing mapped.
    pub const fn empty() -> Self {
        Self {
            l1: TranslationTable::empty(),
            l2: TranslationTable::empty(),
            l3: TranslationTable::empty(),
        }
    }
}

/// Why a domain's memory cannot be mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserMapError {
    /// The slot is not a 2 MiB-aligned block in the first GiB.
    BadSlot(u64),
    /// A region is not page-aligned, is empty, or leaves the slot.
    BadRegion(UserRegion),
}

fn attributes(rights: UserRights) -> Attributes {
    let (access, execute) = match rights {
        UserRights::ReadOnly => (Access::UserReadOnly, Execute::Never),
        UserRights::ReadWrite => (Access::UserReadWrite, Execute::Never),
        UserRights::ReadExecute => (Access::UserReadOnly, Execute::User),
    };
    Attributes { kind: MemoryKind::Normal, access, execute, global: false }
}

/// Fills `tables` to map `regions` of the slot at `slot_base`, each at its
/// physical address. `tables_phys` is the physical address of `tables`.
pub fn map_domain(
    tables: &mut DomainTables,
    tables_phys: u64,
    slot_base: u64,
    regions: impl IntoIterator<Item = UserRegion>,
) -> Result<(), UserMapError> {
    if !slot_base.is_multiple_of(L2_BLOCK) || slot_base + L2_BLOCK > L1_BLOCK {
        return Err(UserMapError::BadSlot(slot_base));
    }
    let table_size = core::mem::size_of::<TranslationTable>() as u64;
    *tables = DomainTables::empty();
    tables.l1.0[0] = descriptor::table(tables_phys + table_size);
    tables.l2.0[(slot_base / L2_BLOCK) as usize] = descriptor::table(tables_phys + 2 * table_size);
    for region in regions {
        let inside = region.start >= slot_base && region.end <= slot_base + L2_BLOCK;
        let aligned = region.start.is_multiple_of(PAGE) && region.end.is_multiple_of(PAGE);
        if !inside || !aligned || region.start >= region.end {
            return Err(UserMapError::BadRegion(region));
        }
        let mut page = region.start;
        while page < region.end {
            let index = ((page - slot_base) / PAGE) as usize % ENTRIES;
            tables.l3.0[index] = descriptor::page(page, attributes(region.rights));
            page += PAGE;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::aarch64::mmu::descriptor::output_address_of;

    const SLOT: u64 = 0x0200_0000;
    const TABLES: u64 = 0x10_0000;

    fn map(regions: &[UserRegion]) -> Result<Box<DomainTables>, UserMapError> {
        let mut tables = Box::new(DomainTables::empty());
        map_domain(&mut tables, TABLES, SLOT, regions.iter().copied())?;
        Ok(tables)
    }

    #[test]
    fn pages_get_their_rights_and_the_rest_stays_unmapped() {
        let tables = map(&[
            UserRegion { start: SLOT, end: SLOT + PAGE, rights: UserRights::ReadOnly },
            UserRegion {
                start: SLOT + 4 * PAGE,
                end: SLOT + 6 * PAGE,
                rights: UserRights::ReadExecute,
            },
            UserRegion {
                start: SLOT + 6 * PAGE,
                end: SLOT + 7 * PAGE,
                rights: UserRights::ReadWrite,
            },
        ])
        .unwrap();
        assert_eq!(output_address_of(tables.l1.0[0]), TABLES + 0x1000);
        assert_eq!(output_address_of(tables.l2.0[16]), TABLES + 0x2000);
        let l3 = &tables.l3.0;
        assert_eq!(output_address_of(l3[0]), SLOT);
        assert_eq!((l3[0] >> 6) & 3, 0b11, "read-only for EL0");
        assert_eq!(l3[0] & (1 << 54), 1 << 54, "not executable");
        assert_eq!(l3[1], 0, "the page after the DCB is unmapped");
        assert_eq!(l3[4] & (1 << 54), 0, "text is executable by EL0");
        assert_eq!(l3[4] & (1 << 53), 1 << 53, "but never by the kernel");
        assert_eq!((l3[6] >> 6) & 3, 0b01, "data is read/write for EL0");
        assert_eq!(l3[6] & (1 << 11), 1 << 11, "tagged with the ASID");
        assert!(l3[7..].iter().all(|&d| d == 0));
    }

    #[test]
    fn regions_outside_the_slot_are_refused() {
        let outside = UserRegion { start: SLOT - PAGE, end: SLOT, rights: UserRights::ReadWrite };
        assert_eq!(map(&[outside]).err(), Some(UserMapError::BadRegion(outside)));
        let beyond =
            UserRegion { start: SLOT, end: SLOT + L2_BLOCK + PAGE, rights: UserRights::ReadWrite };
        assert_eq!(map(&[beyond]).err(), Some(UserMapError::BadRegion(beyond)));
        let odd = UserRegion { start: SLOT + 1, end: SLOT + PAGE, rights: UserRights::ReadOnly };
        assert_eq!(map(&[odd]).err(), Some(UserMapError::BadRegion(odd)));
    }

    #[test]
    fn bad_slots_are_refused() {
        let mut tables = Box::new(DomainTables::empty());
        assert_eq!(
            map_domain(&mut tables, TABLES, SLOT + PAGE, []),
            Err(UserMapError::BadSlot(SLOT + PAGE))
        );
        assert_eq!(
            map_domain(&mut tables, TABLES, L1_BLOCK, []),
            Err(UserMapError::BadSlot(L1_BLOCK))
        );
    }
}
