//! The single address space: where the kernel, each domain's slot (and the
//! stack and memory it asks for inside it) and each shared region lie.
//! Virtual addresses equal physical ones (see `vesper_abi::layout`).
//!
//! ```text
//! 0x0000_0000  kernel and firmware (the kernel image at 0x8_0000, its
//!              tables, stacks and bss), up to DOMAIN_REGION_BASE
//! 0x0200_0000  slot 0, slot 1, ... (2 MiB each; domain i in slot i)
//! 0x0400_0000  shared regions without an address, upward: one of at least
//!              2 MiB starts a 2 MiB span; smaller ones are packed, page by
//!              page, each inside one span (one level-3 table's reach)
//! ```
//!
//! Inside a slot the program sits at `IMAGE_OFFSET`, and the domain's
//! `memory` and `stack` are taken from the top of the slot, so that their
//! addresses do not depend on the program's size:
//!
//! ```text
//! slot + 0x0000             DCB (two pages), two guard pages
//! slot + 0x4000             program: text, rodata, data, bss (upward)
//! ...                       (unmapped: at least one guard page)
//! top - memory - stack      stack (read-write; grows down to the guard)
//! top - memory              memory (read-write)
//! top = slot + 2 MiB
//! ```

use crate::board::AddressRange;
use vesper_abi::layout::{
    slot_base, DOMAIN_REGION_BASE, IMAGE_OFFSET, MAX_DOMAINS, PAGE_SIZE, SLOT_SIZE,
};

/// The kernel and the firmware's data (spin table, the kernel image at
/// 0x8_0000, the kernel's bss and stacks): everything below the first slot.
pub const KERNEL_AREA: AddressRange = AddressRange { start: 0, end: DOMAIN_REGION_BASE };

/// Where shared regions without an `address` start: after the last slot an
/// image can have, so that adding a domain does not move them.
pub const REGION_AREA_BASE: u64 = slot_base(MAX_DOMAINS);

/// Alignment of large regions placed by the builder: one level-3 table's
/// reach, like a slot.
pub const REGION_ALIGN: u64 = SLOT_SIZE;

/// Bytes of a slot a program, its stack and its memory share.
pub const SLOT_ROOM: u64 = SLOT_SIZE - IMAGE_OFFSET;

/// Where one domain's memory lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DomainLayout {
    /// The whole slot.
    pub slot: AddressRange,
    /// Where the program's address 0 is placed.
    pub program_base: u64,
    /// The program must end at or below this address.
    pub program_limit: u64,
    /// The stack region, if the domain asks for one.
    pub stack: Option<AddressRange>,
    /// The memory region, if the domain asks for one.
    pub memory: Option<AddressRange>,
}

impl DomainLayout {
    /// The layout of the domain in slot `index` with `stack` and `memory`
    /// bytes (page multiples), or the reason they do not fit in a slot.
    pub fn new(index: usize, stack: u64, memory: u64) -> Result<Self, String> {
        let base = slot_base(index);
        let top = base + SLOT_SIZE;
        let guard = if stack.saturating_add(memory) > 0 { PAGE_SIZE } else { 0 };
        let reserved = stack.saturating_add(memory).saturating_add(guard);
        if reserved > SLOT_ROOM {
            return Err(format!(
                "stack {} and memory {} (with a guard page: {} KiB) do not fit in a slot, \
                 which has {} KiB after its DCB and guard pages, program included",
                crate::units::format_size(stack),
                crate::units::format_size(memory),
                reserved / 1024,
                SLOT_ROOM / 1024
            ));
        }
        let region =
            |start: u64, size: u64| (size > 0).then_some(AddressRange { start, end: start + size });
        Ok(Self {
            slot: AddressRange { start: base, end: top },
            program_base: base + IMAGE_OFFSET,
            program_limit: top - reserved,
            stack: region(top - memory - stack, stack),
            memory: region(top - memory, memory),
        })
    }

    /// Bytes the program may take.
    pub fn program_room(&self) -> u64 {
        self.program_limit - self.program_base
    }
}

/// The lowest address from `from` (aligned up to `align`, a power of two)
/// where `size` bytes fit below `limit` without touching any of `taken`.
pub fn first_fit(
    taken: &[AddressRange],
    size: u64,
    from: u64,
    align: u64,
    limit: u64,
) -> Option<u64> {
    let mut start = from.checked_next_multiple_of(align)?;
    loop {
        let candidate = AddressRange { start, end: start.checked_add(size)? };
        if candidate.end > limit {
            return None;
        }
        match taken.iter().filter(|range| range.overlaps(&candidate)).map(|r| r.end).max() {
            Some(end) => start = end.checked_next_multiple_of(align)?,
            None => return Some(start),
        }
    }
}

/// Where the builder places a region of `size` bytes without an address:
/// the lowest fit from `from` below `limit` clear of `taken`. A region of
/// at least 2 MiB starts a 2 MiB span; a smaller one is page-aligned and
/// stays inside one span, so that it takes one level-3 table in each domain
/// that maps it, shared with the other small regions of that span: a
/// driver with many clients' regions does not run out of tables.
pub fn region_fit(taken: &[AddressRange], size: u64, from: u64, limit: u64) -> Option<u64> {
    if size >= REGION_ALIGN {
        return first_fit(taken, size, from, REGION_ALIGN, limit);
    }
    let mut from = from;
    loop {
        let start = first_fit(taken, size, from, PAGE_SIZE, limit)?;
        let span_end = (start / REGION_ALIGN + 1) * REGION_ALIGN;
        if start + size <= span_end {
            return Some(start);
        }
        from = span_end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_regions_share_a_span_and_never_cross_one() {
        let base = 0x400_0000;
        let mut taken = Vec::new();
        let mut place = |size: u64| {
            let start = region_fit(&taken, size, base, 0x1000_0000).unwrap();
            taken.push(AddressRange { start, end: start + size });
            start
        };
        assert_eq!(place(0x1000), base);
        assert_eq!(place(0x1000), base + 0x1000, "packed");
        assert_eq!(place(0x20_0000), base + 0x20_0000, "a large one takes the next span");
        // Too big for what is left of the first span: the next free one.
        assert_eq!(place(0x1F_F000), base + 0x40_0000);
        assert_eq!(place(0x1000), base + 0x2000, "a small one still fills the first span");
    }

    #[test]
    fn without_stack_or_memory_the_program_has_the_whole_slot() {
        let layout = DomainLayout::new(1, 0, 0).unwrap();
        assert_eq!(layout.slot, AddressRange { start: 0x220_0000, end: 0x240_0000 });
        assert_eq!(layout.program_base, 0x220_4000);
        assert_eq!(layout.program_limit, 0x240_0000);
        assert_eq!((layout.stack, layout.memory), (None, None));
        assert_eq!(layout.program_room(), SLOT_ROOM);
    }

    #[test]
    fn stack_and_memory_come_from_the_top_with_a_guard_page_below() {
        let layout = DomainLayout::new(0, 0x1_0000, 0x4_0000).unwrap();
        assert_eq!(layout.memory, Some(AddressRange { start: 0x21C_0000, end: 0x220_0000 }));
        assert_eq!(layout.stack, Some(AddressRange { start: 0x21B_0000, end: 0x21C_0000 }));
        assert_eq!(layout.program_limit, 0x21A_F000);
        let memory_only = DomainLayout::new(0, 0, 0x1000).unwrap();
        assert_eq!(memory_only.stack, None);
        assert_eq!(memory_only.program_limit, 0x21F_E000);
    }

    #[test]
    fn too_much_is_refused_with_the_numbers() {
        let err = DomainLayout::new(0, 1 << 20, 1 << 20).unwrap_err();
        assert!(err.contains("stack 1MiB and memory 1MiB (with a guard page: 2052 KiB)"), "{err}");
        assert!(err.contains("which has 2032 KiB"), "{err}");
        assert!(DomainLayout::new(0, SLOT_ROOM - PAGE_SIZE, 0).is_ok());
        assert!(DomainLayout::new(0, u64::MAX, u64::MAX).is_err());
    }

    #[test]
    fn first_fit_skips_what_is_taken() {
        let taken = [
            AddressRange { start: 0x400_0000, end: 0x410_0000 },
            AddressRange { start: 0x460_0000, end: 0x480_0000 },
        ];
        let fit = |size| first_fit(&taken, size, 0x400_0000, 0x20_0000, 0x500_0000);
        assert_eq!(fit(0x1000), Some(0x420_0000));
        assert_eq!(fit(0x40_0000), Some(0x420_0000));
        assert_eq!(fit(0x60_0000), Some(0x480_0000));
        assert_eq!(fit(0x100_0000), None);
        assert_eq!(first_fit(&[], u64::MAX, 0x1000, 0x1000, u64::MAX), None);
    }
}
