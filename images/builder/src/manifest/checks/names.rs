//! Names across tables: each domain, region and channel needs a name that
//! no earlier table of its kind has.

use super::super::read::{ChannelDraft, DomainDraft, RegionDraft};
use super::super::reader::{key_of, Problems};
use super::super::report::Problem;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::ops::Range;
use toml::Spanned;

/// Reports each domain, region and channel whose valid name an earlier one
/// of its kind has, and takes that name from it: the tables naming it mean
/// the first.
pub(super) fn check(
    domains: &mut [DomainDraft],
    regions: &mut [RegionDraft],
    channels: &mut [ChannelDraft],
    problems: &mut Problems,
) {
    let domains = domains.iter_mut().map(|draft| (draft.label.as_str(), &mut draft.name));
    take_repeated("domain", domains, true, problems);
    let regions = regions.iter_mut().map(|draft| (draft.label.as_str(), &mut draft.name));
    take_repeated("region", regions, false, problems);
    let channels = channels.iter_mut().map(|draft| (draft.label.as_str(), &mut draft.name));
    take_repeated("channel", channels, false, problems);
}

/// Takes from each of `tables` (every table of `kind`, in manifest order:
/// its label and its valid name) the name that an earlier one has, and
/// reports it; `point_at_first` labels where the first has it.
fn take_repeated<'d>(
    kind: &str,
    tables: impl Iterator<Item = (&'d str, &'d mut Option<Spanned<String>>)>,
    point_at_first: bool,
    problems: &mut Problems,
) {
    let mut firsts: HashMap<String, (usize, Range<usize>)> = HashMap::new();
    for (index, (label, name)) in tables.enumerate() {
        let Some(given) = name.as_ref() else { continue };
        let (first, first_span) = match firsts.entry(given.get_ref().clone()) {
            Entry::Vacant(entry) => {
                entry.insert((index, given.span()));
                continue;
            }
            Entry::Occupied(entry) => entry.get().clone(),
        };
        let reason = format!("{kind} #{} has this name already (names must be unique)", first + 1);
        let mut problem = Problem::at(&given.span(), &key_of(label, "name"), reason);
        if point_at_first {
            problem = problem.also(&first_span, format!("{kind} #{} is named here", first + 1));
        }
        problems.report(problem);
        *name = None;
    }
}
