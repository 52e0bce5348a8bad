//! Which addresses belong to a domain, with which rights: the check behind
//! every pointer a domain passes to a system call.
//!
//! A range is accepted only if it lies entirely inside one of the domain's
//! own regions (its two DCB pages and its program's segments) and that
//! region grants the access. Because domain memory is mapped at its physical
//! address, an accepted address can then be reached by the kernel through
//! its linear map.

use super::config::{DomainConfig, SegmentRights};
use vesper_abi::layout::{DCB_RO_OFFSET, DCB_RW_OFFSET, PAGE_SIZE};

/// The domain's regions as (start, end, writable).
fn regions(config: &DomainConfig) -> impl Iterator<Item = (u64, u64, bool)> + '_ {
    let ro = config.slot_base + DCB_RO_OFFSET;
    let rw = config.slot_base + DCB_RW_OFFSET;
    [(ro, ro + PAGE_SIZE, false), (rw, rw + PAGE_SIZE, true)].into_iter().chain(
        config.segments.iter().map(|s| (s.start, s.end, s.rights == SegmentRights::ReadWrite)),
    )
}

/// Whether `[start, start + len)` lies in one region of `config` that the
/// domain may read (and, if `write`, write). An empty range is accepted
/// anywhere in such a region.
pub fn allows(config: &DomainConfig, start: u64, len: u64, write: bool) -> bool {
    let Some(end) = start.checked_add(len) else {
        return false;
    };
    regions(config)
        .any(|(r_start, r_end, writable)| start >= r_start && end <= r_end && (writable || !write))
}

/// Whether the domain may read `[start, start + len)`.
pub fn readable(config: &DomainConfig, start: u64, len: u64) -> bool {
    allows(config, start, len, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::config::Segment;
    use crate::sched::atropos::Reservation;

    const SLOT: u64 = 0x0200_0000;

    static SEGMENTS: [Segment; 2] = [
        Segment { start: SLOT + 0x4000, end: SLOT + 0x6000, rights: SegmentRights::ReadExecute },
        Segment { start: SLOT + 0x6000, end: SLOT + 0x9000, rights: SegmentRights::ReadWrite },
    ];

    static CONFIG: DomainConfig = DomainConfig {
        name: "t",
        program: "test",
        reservation: Reservation { period_ns: 10, slice_ns: 1, extra: false, latency_ns: 10 },
        slot_base: SLOT,
        entry: SLOT + 0x4000,
        activation_sp: SLOT + 0x9000,
        image: &[],
        segments: &SEGMENTS,
        scheduler: "fifo",
        threads: &[],
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
}
