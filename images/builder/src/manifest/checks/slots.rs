//! What each domain's DCB must hold: a capability for each device,
//! interrupt, channel end and region it has, in its capability table, and
//! an event slot for each interrupt and channel end.

use super::super::read::{ChannelDraft, DomainDraft, RegionDraft};
use super::super::reader::{key_of, Problems};
use super::super::{Channel, ChannelEnd, CAP_SLOTS, EVENT_SLOTS, KERNEL_CAPS};
use std::collections::{HashMap, HashSet};
use vesper_abi::cap::KERNEL_CAP_NAMES;

/// Checks that each domain's capabilities fit its table: the kernel's
/// [`KERNEL_CAPS`], then one per device in `uses`, interrupt, channel end
/// and region the domain maps, two per domain it supervises and one per
/// member of its group.
pub(super) fn check_capabilities(
    drafts: &[DomainDraft],
    channels: &[ChannelDraft],
    regions: &[RegionDraft],
    problems: &mut Problems,
) {
    let ends_of = ends_of(channels);
    // A region's `domains` table names each domain once.
    let mut mapped_by: HashMap<&str, usize> = HashMap::new();
    for (domain, _) in regions.iter().flat_map(|region| &region.access) {
        *mapped_by.entry(domain).or_default() += 1;
    }
    for draft in drafts {
        let Some(name) = draft.name() else { continue };
        let ends = ends_of.get(name).copied().unwrap_or(0);
        let mapped = mapped_by.get(name).copied().unwrap_or(0);
        let (uses, interrupts) = (draft.uses.len(), draft.interrupts.len());
        let supervised = 2 * draft.supervised.len();
        let members = draft.members.len();
        let total = KERNEL_CAPS + uses + interrupts + ends + mapped + supervised + members;
        if total > CAP_SLOTS {
            problems.at(
                &draft.span,
                &draft.label,
                format!(
                    "needs {total} capabilities, but a domain's table has {CAP_SLOTS} slots: \
                     {KERNEL_CAPS} the kernel adds ({}), {uses} for devices (`uses`), \
                     {interrupts} for `interrupts`, {ends} for channel ends, {mapped} for \
                     regions, {supervised} for the domains it supervises (a domain and a \
                     reservation each) and {members} for its group's members",
                    KERNEL_CAP_NAMES.join(", ")
                ),
            );
        }
    }
}

/// How many ends of `channels` each domain holds, by name.
fn ends_of(channels: &[ChannelDraft]) -> HashMap<&str, usize> {
    let mut ends_of: HashMap<&str, usize> = HashMap::new();
    for (domain, _) in channels.iter().flat_map(|channel| &channel.ends) {
        *ends_of.entry(domain.get_ref()).or_default() += 1;
    }
    ends_of
}

/// Gives every channel end an event slot in its domain's DCB: the lowest
/// slot that neither the domain's interrupts nor its ends of earlier
/// channels (in manifest order, each channel's ends in table order) use;
/// then every supervisor the lowest slot left, for the stops of the
/// domains it supervises, and every group's scheduler the next, for its
/// members' wake-ups and stops. Reports a domain whose interrupts and
/// channel ends need more than [`EVENT_SLOTS`], at its first end left
/// without one, and a supervisor or scheduler left without a slot. Returns the complete
/// channels.
pub(super) fn assign_events(
    drafts: &mut [DomainDraft],
    channels: &[ChannelDraft],
    problems: &mut Problems,
) -> Vec<Option<Channel>> {
    // Owned names: the drafts get their supervision slots at the end.
    let mut used: HashMap<String, u64> = HashMap::new();
    let mut interrupts: HashMap<String, usize> = HashMap::new();
    for draft in drafts.iter() {
        let Some(name) = draft.name() else { continue };
        used.insert(name.into(), draft.routes.iter().fold(0, |set, route| set | 1 << route.event));
        interrupts.insert(name.into(), draft.routes.len());
    }
    let ends_of = ends_of(channels);
    let mut reported = HashSet::new();
    let mut complete = Vec::new();
    for channel in channels {
        let mut ends = Vec::new();
        for (domain, rights) in &channel.ends {
            let name = domain.get_ref().as_str();
            // Ends name domains of the manifest (see `references`).
            let Some(set) = used.get_mut(name) else { continue };
            match (0..EVENT_SLOTS).find(|slot| *set & (1 << slot) == 0) {
                Some(slot) => {
                    *set |= 1 << slot;
                    ends.push(ChannelEnd {
                        domain: name.to_string(),
                        rights: *rights,
                        event: slot,
                    });
                }
                None if reported.insert(name) => {
                    let taken = interrupts.get(name).copied().unwrap_or(0);
                    let ends = ends_of.get(name).copied().unwrap_or(0);
                    problems.at(
                        &domain.span(),
                        &key_of(&channel.label, "ends"),
                        format!(
                            "domain {name:?} has no event slot left for this end: its {taken} \
                             interrupts and {ends} channel ends need {}, but a DCB has \
                             {EVENT_SLOTS} event slots",
                            taken + ends
                        ),
                    );
                }
                None => {}
            }
        }
        let ends: Option<[ChannelEnd; 2]> = ends.try_into().ok();
        complete.push(match (&channel.name, ends) {
            (Some(name), Some(ends)) => Some(Channel { name: name.get_ref().clone(), ends }),
            _ => None,
        });
    }
    for draft in drafts.iter_mut() {
        let Some(set) = draft.name().and_then(|name| used.get_mut(name)) else { continue };
        let name_reported = reported.contains(draft.name().unwrap_or(""));
        let mut take = |wanted: bool, key: &str, what: &str| {
            if !wanted {
                return None;
            }
            let slot = (0..EVENT_SLOTS).find(|slot| *set & (1 << slot) == 0);
            match slot {
                Some(slot) => *set |= 1 << slot,
                None if !name_reported => problems.at(
                    &draft.span,
                    &key_of(&draft.label, key),
                    format!(
                        "no event slot is left for {what}: its interrupts and channel ends use \
                         all {EVENT_SLOTS}"
                    ),
                ),
                None => {}
            }
            slot
        };
        draft.supervision_event = take(
            !draft.supervised.is_empty(),
            "supervises",
            "the stops of the domains it supervises",
        );
        draft.group_event =
            take(draft.members_at.is_some(), "members", "its members' wake-ups and stops");
    }
    complete
}
