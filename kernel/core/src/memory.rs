//! Which addresses belong to a domain, with which rights: the check behind
//! every pointer a domain passes to a system call.
//!
//! A range is accepted only if it lies entirely inside one of the domain's
//! own regions (its two DCB pages and its program's segments) or one shared
//! region mapped in it (it holds a capability for it), and that region
//! grants the access. Device registers are never accepted: reading them
//! for a domain could have side effects. Because domain memory is mapped at
//! its physical address, an accepted address can then be reached by the
//! kernel through its linear map.

use crate::image::{DomainConfig, RegionConfig, RegionKind, SegmentRights};
use crate::mmu::user::UserRegion;
use vesper_abi::layout::{DCB_RO_OFFSET, DCB_RW_OFFSET, MAX_REGIONS, PAGE_SIZE};

/// A set of the image's regions, by index.
pub type RegionSet = crate::bitset::IndexSet<MAX_REGIONS>;

/// Which shared regions a domain has mapped, and which of those writable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mapped {
    /// Mapped readable.
    pub read: RegionSet,
    /// Mapped writable.
    pub write: RegionSet,
}

/// The domain's own regions, each with its rights: its two DCB pages (the
/// read-only half, then the writable one) and its program's segments. The
/// kernel maps exactly these in a domain at boot (see `domain::setup`).
pub fn own_regions(config: &DomainConfig) -> impl Iterator<Item = UserRegion> + '_ {
    let dcb = |offset, rights| UserRegion {
        start: config.slot_base + offset,
        end: config.slot_base + offset + PAGE_SIZE,
        rights,
    };
    [dcb(DCB_RO_OFFSET, SegmentRights::ReadOnly), dcb(DCB_RW_OFFSET, SegmentRights::ReadWrite)]
        .into_iter()
        .chain(config.segments.iter().map(|s| UserRegion {
            start: s.start,
            end: s.end,
            rights: s.rights,
        }))
}

/// The domain's regions as (start, end, writable).
fn regions<'a>(
    config: &'a DomainConfig,
    mapped: Mapped,
    table: &'a [RegionConfig],
) -> impl Iterator<Item = (u64, u64, bool)> + 'a {
    own_regions(config).map(|r| (r.start, r.end, r.rights == SegmentRights::ReadWrite)).chain(
        table
            .iter()
            .enumerate()
            .filter(move |(i, r)| r.kind == RegionKind::Normal && mapped.read.contains(*i))
            .map(move |(i, r)| (r.start, r.end, mapped.write.contains(i))),
    )
}

/// Whether `[start, start + len)` lies in one region of `config` (or of
/// the shared regions `table` it has `mapped`) that the domain may read
/// (and, if `write`, write). An empty range is accepted anywhere in such a
/// region.
pub fn allows_in(
    config: &DomainConfig,
    mapped: Mapped,
    table: &[RegionConfig],
    start: u64,
    len: u64,
    write: bool,
) -> bool {
    let Some(end) = start.checked_add(len) else {
        return false;
    };
    regions(config, mapped, table)
        .any(|(r_start, r_end, writable)| start >= r_start && end <= r_end && (writable || !write))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{ReservationConfig, Segment};

    const SLOT: u64 = 0x0200_0000;

    static SEGMENTS: [Segment; 2] = [
        Segment { start: SLOT + 0x4000, end: SLOT + 0x6000, rights: SegmentRights::ReadExecute },
        Segment { start: SLOT + 0x6000, end: SLOT + 0x9000, rights: SegmentRights::ReadWrite },
    ];

    fn allows(config: &DomainConfig, start: u64, len: u64, write: bool) -> bool {
        allows_in(config, Mapped::default(), &SHARED, start, len, write)
    }

    static SHARED: [RegionConfig; 2] = [
        RegionConfig { name: "s", start: 0x0400_0000, end: 0x0401_0000, kind: RegionKind::Normal },
        RegionConfig { name: "d", start: 0x3F00_3000, end: 0x3F00_4000, kind: RegionKind::Device },
    ];

    static CONFIG: DomainConfig = DomainConfig {
        name: "t",
        program: "test",
        reservation: ReservationConfig { period_ns: 10, slice_ns: 1, latency_ns: 10, extra: false },
        slot_base: SLOT,
        entry: SLOT + 0x4000,
        activation_sp: SLOT + 0x9000,
        image: &[],
        segments: &SEGMENTS,
        scheduler: "fifo",
        threads: &[],
        caps: &[],
        args: "",
        supervisors: &[],
        supervision: vesper_abi::dcb::Supervision::NONE,
        scheduled_by: None,
        core: 0,
    };

    #[test]
    fn own_memory_is_allowed_with_its_rights() {
        assert!(allows(&CONFIG, SLOT + 0x4100, 16, false), "text is readable");
        assert!(!allows(&CONFIG, SLOT + 0x4100, 16, true), "text is not writable");
        assert!(allows(&CONFIG, SLOT + 0x8ff0, 16, true), "data is writable");
        assert!(allows(&CONFIG, SLOT + 0x10, 8, false), "DCB read-only half");
        assert!(!allows(&CONFIG, SLOT + 0x10, 8, true));
        assert!(allows(&CONFIG, SLOT + 0x1000, 800, true), "DCB writable half");
    }

    #[test]
    fn anything_else_is_refused() {
        assert!(!allows(&CONFIG, SLOT + 0x2000, 8, false), "guard page");
        assert!(!allows(&CONFIG, SLOT + 0x8ff0, 32, false), "runs off the end");
        assert!(!allows(&CONFIG, 0xFFFF_FF80_0008_0000, 8, false), "the kernel");
        assert!(!allows(&CONFIG, u64::MAX - 4, 16, false), "wraps around");
        assert!(!allows(&CONFIG, 0x0220_4000, 8, false), "another domain's slot");
    }

    #[test]
    fn shared_regions_count_only_while_mapped() {
        let both: RegionSet = [0, 1].into_iter().collect();
        let read_only = Mapped { read: both, write: RegionSet::EMPTY };
        let read_write = Mapped { read: both, write: both };
        let check = |mapped, start, write| allows_in(&CONFIG, mapped, &SHARED, start, 16, write);
        assert!(!check(Mapped::default(), 0x0400_0100, false), "not mapped");
        assert!(check(read_only, 0x0400_0100, false));
        assert!(!check(read_only, 0x0400_0100, true), "mapped read-only");
        assert!(check(read_write, 0x0400_0100, true));
        assert!(!check(read_write, 0x3F00_3000, false), "device registers never");
    }
}
