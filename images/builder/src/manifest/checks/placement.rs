//! Memory: the domains' slots and the regions laid out in the board's RAM,
//! clear of the kernel and of each other.

use super::super::read::{DomainDraft, RegionDraft};
use super::super::reader::{key_of, Problems};
use super::super::report::Problem;
use super::super::Region;
use crate::board::{AddressRange, Board};
use crate::layout::{region_fit, KERNEL_AREA, REGION_AREA_BASE};
use crate::units::format_size;
use std::ops::Range;
use toml::Spanned;
use vesper_abi::layout::slot_base;

/// What lies where, how messages name it, and where the manifest asks for
/// it (not for the kernel's area).
type Taken = Vec<(AddressRange, String, Option<Range<usize>>)>;

/// Places the regions in the address space and checks the whole image
/// against the board's RAM: regions with an `address` where they say
/// (page-aligned, in RAM, clear of the kernel, the slots and each other),
/// the others first-fit from [`REGION_AREA_BASE`]. The first slots are the
/// domains' (one per draft, valid or not). Returns the regions if every
/// one is complete and placed.
pub(super) fn place(
    board: &Board,
    drafts: &[DomainDraft],
    regions: &[RegionDraft],
    problems: &mut Problems,
) -> Option<Vec<Region>> {
    let mut taken = slots(board, drafts, problems);
    let mut placed: Vec<Option<Region>> = vec![None; regions.len()];
    // Fixed regions first, in manifest order; then the others.
    for (index, region) in regions.iter().enumerate() {
        let (Some(size), Some(address)) = (&region.size, &region.address) else { continue };
        let Some(range) = fixed_range(board, region, size, address, &taken, problems) else {
            continue;
        };
        taken.push((range, format!("region {:?}", name_of(region)), Some(address.span())));
        placed[index] = Some(region_at(region, range, true));
    }
    let mut used: u64 = taken.iter().map(|(range, ..)| range.len()).sum();
    for (index, region) in regions.iter().enumerate() {
        let (Some(size), None) = (&region.size, &region.address) else { continue };
        let ranges: Vec<AddressRange> = taken.iter().map(|(range, ..)| *range).collect();
        let ram_end = board.memory.ram.end;
        match region_fit(&ranges, *size.get_ref(), REGION_AREA_BASE, ram_end) {
            Some(start) => {
                let range = AddressRange { start, end: start + size.get_ref() };
                used += range.len();
                taken.push((range, format!("region {:?}", name_of(region)), None));
                placed[index] = Some(region_at(region, range, false));
            }
            None => problems.at(
                &size.span(),
                &key_of(&region.label, "size"),
                format!(
                    "the image is larger than RAM: no room for {} from {REGION_AREA_BASE:#x} up \
                     to the end of board {}'s ARM RAM at {:#x} ({} already taken by the kernel, \
                     the slots and the other regions)",
                    format_size(*size.get_ref()),
                    board.name,
                    ram_end,
                    format_size(used)
                ),
            ),
        }
    }
    placed.into_iter().collect()
}

/// The kernel's area and the domains' slots, one per draft; reports slots
/// that end past the board's RAM.
fn slots(board: &Board, drafts: &[DomainDraft], problems: &mut Problems) -> Taken {
    let slots = drafts.len();
    let ram = board.memory.ram;
    let slots_end = slot_base(slots);
    if slots_end > ram.end {
        problems.global(format!(
            "the image is larger than RAM: {slots} domain slots end at {slots_end:#x}, past the \
             end of board {}'s ARM RAM at {:#x}",
            board.name, ram.end
        ));
    }
    let mut taken: Taken = vec![(KERNEL_AREA, "the kernel and firmware area".to_string(), None)];
    for (index, draft) in drafts.iter().enumerate() {
        let owner = match draft.name() {
            Some(name) => format!("domain {name:?}"),
            None => format!("domain #{}", index + 1),
        };
        let range = AddressRange { start: slot_base(index), end: slot_base(index + 1) };
        taken.push((range, format!("the slot of {owner}"), Some(draft.span.clone())));
    }
    taken
}

/// Where `region`, of `size` at `address`, lies, if that is in `board`'s
/// RAM and clear of what is `taken`; reports it otherwise.
fn fixed_range(
    board: &Board,
    region: &RegionDraft,
    size: &Spanned<u64>,
    address: &Spanned<u64>,
    taken: &Taken,
    problems: &mut Problems,
) -> Option<AddressRange> {
    let what = key_of(&region.label, "address");
    let Some(end) = address.get_ref().checked_add(*size.get_ref()) else {
        problems.at(&address.span(), &what, "the region wraps around the address space");
        return None;
    };
    let range = AddressRange { start: *address.get_ref(), end };
    let ram = board.memory.ram;
    if !ram.contains(&range) {
        problems.at(
            &address.span(),
            &what,
            format!(
                "{} ({}) is not inside board {}'s ARM RAM ({})",
                describe(range),
                format_size(*size.get_ref()),
                board.name,
                describe(ram)
            ),
        );
        return None;
    }
    if let Some((other, owner, at)) = taken.iter().find(|(other, ..)| other.overlaps(&range)) {
        let reason = format!("{} overlaps {owner} ({})", describe(range), describe(*other));
        let mut problem = Problem::at(&address.span(), &what, reason);
        if let Some(at) = at {
            problem = problem.also(at, format!("{owner}: {}", describe(*other)));
        }
        problems.report(problem);
        return None;
    }
    Some(range)
}

/// `range` as messages show it.
fn describe(range: AddressRange) -> String {
    format!("{:#x}-{:#x}", range.start, range.end)
}

/// The name of `region`: empty if it has no valid name of its own (that is
/// reported already), so that messages about what overlaps it still read.
fn name_of(region: &RegionDraft) -> &str {
    region.name().unwrap_or_default()
}

/// A complete region draft placed at `range`.
fn region_at(draft: &RegionDraft, range: AddressRange, fixed: bool) -> Region {
    let mut access = draft.access.clone();
    access.sort();
    Region { name: name_of(draft).to_string(), range, fixed, access }
}
