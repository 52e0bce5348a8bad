//! A domain's translation tables: its view of the lower half (TTBR0).
//!
//! Domain memory is mapped at its physical address (see
//! `vesper_abi::layout`), with 4 KiB pages, not global (tagged with the
//! domain's ASID), and never executable by the kernel. A domain's slot is
//! one 2 MiB-aligned block of at most 2 MiB, one level-3 table's reach;
//! shared regions and device registers it holds capabilities for take a
//! few more level-3 tables, except where a region covers a whole 2 MiB
//! span: that span is one level-2 block entry and takes no table (the
//! VideoCore's memory, 48 MiB, takes 24 entries). Everything else stays
//! unmapped.

use super::descriptor::{self, Access, Attributes, Execute, MemoryKind};
use super::tables::{TranslationTable, L1_BLOCK, L2_BLOCK};
use vesper_abi::layout::PAGE_SIZE;

/// What a domain may do with a range of its memory: the image contract's
/// segment rights, which also describe its DCB pages and shared regions.
pub use vesper_abi::image::SegmentRights as UserRights;

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

/// Level-3 tables a domain has: one for its slot, the rest for shared
/// regions and device registers elsewhere in the first GiB.
pub const LEVEL3_TABLES: usize = 5;

/// The tables of one domain, kept together so one physical offset locates
/// them all.
#[repr(C)]
pub struct DomainTables {
    /// Level 1: entry 0 points at `l2`.
    pub l1: TranslationTable,
    /// Level 2: the entries of the 2 MiB spans in use point at tables of
    /// `l3`.
    pub l2: TranslationTable,
    /// Level 3: one entry per page of a 2 MiB span; the slot takes the
    /// first.
    pub l3: [TranslationTable; LEVEL3_TABLES],
}

impl DomainTables {
    /// Tables with nothing mapped.
    pub const fn empty() -> Self {
        Self {
            l1: TranslationTable::empty(),
            l2: TranslationTable::empty(),
            l3: [const { TranslationTable::empty() }; LEVEL3_TABLES],
        }
    }
}

/// Why a domain's memory cannot be mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserMapError {
    /// The slot is not a 2 MiB-aligned block in the first GiB.
    BadSlot(u64),
    /// A region is not page-aligned, is empty, or leaves the slot (or, for
    /// a shared region, the first GiB).
    BadRegion(UserRegion),
    /// The region needs more level-3 tables than the domain has.
    NoTable(UserRegion),
}

fn attributes(rights: UserRights, kind: MemoryKind) -> Attributes {
    let (access, execute) = match rights {
        UserRights::ReadOnly => (Access::UserReadOnly, Execute::Never),
        UserRights::ReadWrite => (Access::UserReadWrite, Execute::Never),
        UserRights::ReadExecute => (Access::UserReadOnly, Execute::User),
    };
    Attributes { kind, access, execute, global: false }
}

const TABLE_SIZE: u64 = core::mem::size_of::<TranslationTable>() as u64;

/// Physical address of level-3 table `index` of the tables at `tables_phys`.
fn level3_phys(tables_phys: u64, index: usize) -> u64 {
    tables_phys + (2 + index as u64) * TABLE_SIZE
}

/// Whether level-2 entry `entry` points at a level-3 table (not a block,
/// not empty).
fn is_table(entry: u64) -> bool {
    entry & 0b11 == 0b11
}

/// The level-3 table `l2` entry `span` points at, if any.
fn level3_of(tables: &DomainTables, tables_phys: u64, span: usize) -> Option<usize> {
    let entry = tables.l2.0[span];
    is_table(entry).then(|| {
        (0..LEVEL3_TABLES)
            .find(|&i| descriptor::table(level3_phys(tables_phys, i)) == entry)
            .expect("level-2 entries point only at the domain's own tables")
    })
}

/// The level-3 tables that no level-2 entry points at.
fn free_level3(tables: &DomainTables, tables_phys: u64) -> impl Iterator<Item = usize> + '_ {
    (0..LEVEL3_TABLES)
        .filter(move |&i| !tables.l2.0.contains(&descriptor::table(level3_phys(tables_phys, i))))
}

/// The level-3 table for `span`, taking a free one if it has none.
fn level3_for(tables: &mut DomainTables, tables_phys: u64, span: usize) -> Option<usize> {
    if let Some(index) = level3_of(tables, tables_phys, span) {
        return Some(index);
    }
    let free = free_level3(tables, tables_phys).next()?;
    tables.l3[free] = TranslationTable::empty();
    tables.l2.0[span] = descriptor::table(level3_phys(tables_phys, free));
    Some(free)
}

/// Checks `region` (page-aligned, not empty, in the first GiB) and returns
/// the 2 MiB spans it touches.
fn spans_of(region: UserRegion) -> Result<core::ops::RangeInclusive<usize>, UserMapError> {
    let aligned = region.start.is_multiple_of(PAGE_SIZE) && region.end.is_multiple_of(PAGE_SIZE);
    if !aligned || region.start >= region.end || region.end > L1_BLOCK {
        return Err(UserMapError::BadRegion(region));
    }
    Ok((region.start / L2_BLOCK) as usize..=((region.end - 1) / L2_BLOCK) as usize)
}

/// Whether `region` covers 2 MiB span `span` whole.
fn covers(region: UserRegion, span: usize) -> bool {
    let base = span as u64 * L2_BLOCK;
    region.start <= base && base + L2_BLOCK <= region.end
}

/// Maps `region` (page-aligned, in the first GiB) at its physical address
/// as `kind` memory: a span it covers whole as one block entry (unless
/// the span has a level-3 table already), the rest page by page, taking
/// level-3 tables as needed. What is already mapped gets the new rights.
/// `tables_phys` is the physical address of `tables`.
pub fn map_range(
    tables: &mut DomainTables,
    tables_phys: u64,
    region: UserRegion,
    kind: MemoryKind,
) -> Result<(), UserMapError> {
    let spans = spans_of(region)?;
    let paged = |tables: &DomainTables, span| {
        !covers(region, span) || level3_of(tables, tables_phys, span).is_some()
    };
    // Take every table first, so that a failure maps nothing.
    let needed = spans
        .clone()
        .filter(|&s| paged(tables, s) && level3_of(tables, tables_phys, s).is_none())
        .count();
    if needed > free_level3(tables, tables_phys).count() {
        return Err(UserMapError::NoTable(region));
    }
    let attributes = attributes(region.rights, kind);
    for span in spans {
        let base = span as u64 * L2_BLOCK;
        if !paged(tables, span) {
            tables.l2.0[span] = descriptor::block(base, attributes);
            continue;
        }
        let table = level3_for(tables, tables_phys, span).expect("counted above");
        let pages = region.start.max(base)..region.end.min(base + L2_BLOCK);
        for page in pages.step_by(PAGE_SIZE as usize) {
            let index = ((page - base) / PAGE_SIZE) as usize;
            tables.l3[table].0[index] = descriptor::page(page, attributes);
        }
    }
    Ok(())
}

/// Unmaps `region`'s pages; a level-3 table left empty is released. The
/// caller invalidates the domain's TLB entries.
pub fn unmap_range(
    tables: &mut DomainTables,
    tables_phys: u64,
    region: UserRegion,
) -> Result<(), UserMapError> {
    // Span by span (one level-3 table each), so that each table is checked
    // for emptiness once, not after every page: this runs inside a system
    // call, and its cost is part of the kernel's longest path.
    for span in spans_of(region)? {
        let Some(table) = level3_of(tables, tables_phys, span) else {
            // A block entry belongs to one region, which covers its span.
            if covers(region, span) {
                tables.l2.0[span] = 0;
            }
            continue;
        };
        let span_base = span as u64 * L2_BLOCK;
        let from = (region.start.max(span_base) - span_base) / PAGE_SIZE;
        let to = (region.end.min(span_base + L2_BLOCK) - span_base) / PAGE_SIZE;
        let entries = &mut tables.l3[table].0;
        entries[from as usize..to as usize].fill(0);
        // An OR over the table (no early exit) vectorises; a table the
        // region covered whole is empty without looking.
        let whole = to - from == L2_BLOCK / PAGE_SIZE;
        if whole || entries.iter().fold(0, |any, &d| any | d) == 0 {
            tables.l2.0[span] = 0;
        }
    }
    Ok(())
}

/// Fills `tables` to map `regions` of the slot at `slot_base`, each at its
/// physical address, as normal memory. `tables_phys` is the physical
/// address of `tables`.
pub fn map_domain(
    tables: &mut DomainTables,
    tables_phys: u64,
    slot_base: u64,
    regions: impl IntoIterator<Item = UserRegion>,
) -> Result<(), UserMapError> {
    if !slot_base.is_multiple_of(L2_BLOCK) || slot_base + L2_BLOCK > L1_BLOCK {
        return Err(UserMapError::BadSlot(slot_base));
    }
    *tables = DomainTables::empty();
    tables.l1.0[0] = descriptor::table(tables_phys + TABLE_SIZE);
    for region in regions {
        if region.start < slot_base || region.end > slot_base + L2_BLOCK {
            return Err(UserMapError::BadRegion(region));
        }
        map_range(tables, tables_phys, region, MemoryKind::Normal)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mmu::descriptor::tests::output_address_of;

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
            UserRegion { start: SLOT, end: SLOT + PAGE_SIZE, rights: UserRights::ReadOnly },
            UserRegion {
                start: SLOT + 4 * PAGE_SIZE,
                end: SLOT + 6 * PAGE_SIZE,
                rights: UserRights::ReadExecute,
            },
            UserRegion {
                start: SLOT + 6 * PAGE_SIZE,
                end: SLOT + 7 * PAGE_SIZE,
                rights: UserRights::ReadWrite,
            },
        ])
        .unwrap();
        assert_eq!(output_address_of(tables.l1.0[0]), TABLES + 0x1000);
        assert_eq!(output_address_of(tables.l2.0[16]), TABLES + 0x2000);
        let l3 = &tables.l3[0].0;
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
        let outside =
            UserRegion { start: SLOT - PAGE_SIZE, end: SLOT, rights: UserRights::ReadWrite };
        assert_eq!(map(&[outside]).err(), Some(UserMapError::BadRegion(outside)));
        let beyond = UserRegion {
            start: SLOT,
            end: SLOT + L2_BLOCK + PAGE_SIZE,
            rights: UserRights::ReadWrite,
        };
        assert_eq!(map(&[beyond]).err(), Some(UserMapError::BadRegion(beyond)));
        let odd =
            UserRegion { start: SLOT + 1, end: SLOT + PAGE_SIZE, rights: UserRights::ReadOnly };
        assert_eq!(map(&[odd]).err(), Some(UserMapError::BadRegion(odd)));
    }

    #[test]
    fn bad_slots_are_refused() {
        let mut tables = Box::new(DomainTables::empty());
        assert_eq!(
            map_domain(&mut tables, TABLES, SLOT + PAGE_SIZE, []),
            Err(UserMapError::BadSlot(SLOT + PAGE_SIZE))
        );
        assert_eq!(
            map_domain(&mut tables, TABLES, L1_BLOCK, []),
            Err(UserMapError::BadSlot(L1_BLOCK))
        );
    }

    #[test]
    fn shared_regions_and_devices_take_more_tables() {
        let mut tables =
            map(&[UserRegion { start: SLOT, end: SLOT + PAGE_SIZE, rights: UserRights::ReadOnly }])
                .unwrap();
        let device =
            UserRegion { start: 0x3F00_3000, end: 0x3F00_4000, rights: UserRights::ReadWrite };
        map_range(&mut tables, TABLES, device, MemoryKind::Device).unwrap();
        let span = (0x3F00_3000 / L2_BLOCK) as usize;
        assert_eq!(output_address_of(tables.l2.0[span]), TABLES + 3 * 0x1000, "the second L3");
        let entry = tables.l3[1].0[3];
        assert_eq!(output_address_of(entry), 0x3F00_3000);
        assert_eq!((entry >> 2) & 7, MemoryKind::Device as u64);
        assert_eq!(entry & (1 << 54), 1 << 54, "devices are never executable");
        // A region across two spans takes two more tables.
        let shared = UserRegion {
            start: 0x0400_0000 + L2_BLOCK - PAGE_SIZE,
            end: 0x0400_0000 + L2_BLOCK + PAGE_SIZE,
            rights: UserRights::ReadOnly,
        };
        map_range(&mut tables, TABLES, shared, MemoryKind::Normal).unwrap();
        assert_eq!(tables.l3[2].0[511] & 1, 1);
        assert_eq!(tables.l3[3].0[0] & 1, 1);
        // Remapping read-write changes the rights in place.
        let writable = UserRegion { rights: UserRights::ReadWrite, ..shared };
        map_range(&mut tables, TABLES, writable, MemoryKind::Normal).unwrap();
        assert_eq!((tables.l3[2].0[511] >> 6) & 3, 0b01);
        // Unmapping frees the tables again.
        unmap_range(&mut tables, TABLES, shared).unwrap();
        assert_eq!(tables.l2.0[(0x0400_0000 / L2_BLOCK) as usize], 0);
        assert_eq!(tables.l2.0[(0x0400_0000 / L2_BLOCK) as usize + 1], 0);
        assert_eq!(tables.l2.0[span] & 1, 1, "the device stays");
    }

    #[test]
    fn whole_spans_are_blocks_and_take_no_table() {
        let mut tables = map(&[]).unwrap();
        // The VideoCore's memory: 24 spans, all whole.
        let gpu =
            UserRegion { start: 0x3C00_0000, end: 0x3F00_0000, rights: UserRights::ReadWrite };
        map_range(&mut tables, TABLES, gpu, MemoryKind::Normal).unwrap();
        let spans = (0x3C00_0000 / L2_BLOCK) as usize..(0x3F00_0000 / L2_BLOCK) as usize;
        for span in spans.clone() {
            let entry = tables.l2.0[span];
            assert_eq!(entry & 0b11, 0b01, "a block");
            assert_eq!(output_address_of(entry), span as u64 * L2_BLOCK);
            assert_eq!((entry >> 6) & 3, 0b01, "read/write for EL0");
            assert_eq!(entry & (1 << 54), 1 << 54, "not executable");
        }
        // A region with a partial span at each end: blocks between, two
        // tables for the ends.
        let ragged = UserRegion {
            start: 0x0400_0000 + PAGE_SIZE,
            end: 0x0400_0000 + 3 * L2_BLOCK + PAGE_SIZE,
            rights: UserRights::ReadOnly,
        };
        map_range(&mut tables, TABLES, ragged, MemoryKind::Normal).unwrap();
        let first = (0x0400_0000 / L2_BLOCK) as usize;
        assert_eq!(tables.l2.0[first] & 0b11, 0b11, "a table for the partial span");
        assert_eq!(tables.l3[0].0[0], 0, "its first page is not the region's");
        assert_eq!(tables.l3[0].0[1] & 1, 1);
        assert_eq!(tables.l2.0[first + 1] & 0b11, 0b01);
        assert_eq!(tables.l2.0[first + 2] & 0b11, 0b01);
        assert_eq!(tables.l2.0[first + 3] & 0b11, 0b11);
        assert_eq!(tables.l3[1].0[0] & 1, 1);
        assert_eq!(tables.l3[1].0[1], 0);
        unmap_range(&mut tables, TABLES, ragged).unwrap();
        unmap_range(&mut tables, TABLES, gpu).unwrap();
        assert!(tables.l2.0.iter().all(|&d| d == 0), "unmapped, tables and blocks");
    }

    #[test]
    fn running_out_of_tables_maps_nothing() {
        let mut tables = map(&[]).unwrap();
        // One page in each of more spans than there are tables.
        for span in 0..LEVEL3_TABLES as u64 {
            let base = 0x0400_0000 + span * L2_BLOCK;
            let page =
                UserRegion { start: base, end: base + PAGE_SIZE, rights: UserRights::ReadOnly };
            map_range(&mut tables, TABLES, page, MemoryKind::Normal).unwrap();
        }
        let mapped = tables.l2.0;
        let base = 0x0400_0000 + LEVEL3_TABLES as u64 * L2_BLOCK;
        let wide = UserRegion {
            start: base - PAGE_SIZE,
            end: base + PAGE_SIZE,
            rights: UserRights::ReadOnly,
        };
        assert_eq!(
            map_range(&mut tables, TABLES, wide, MemoryKind::Normal),
            Err(UserMapError::NoTable(wide))
        );
        assert_eq!(tables.l2.0, mapped, "nothing more mapped");
        let above =
            UserRegion { start: L1_BLOCK, end: L1_BLOCK + PAGE_SIZE, rights: UserRights::ReadOnly };
        assert_eq!(
            map_range(&mut tables, TABLES, above, MemoryKind::Normal),
            Err(UserMapError::BadRegion(above))
        );
    }
}
