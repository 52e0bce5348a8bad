//! Who owns each device and interrupt: one domain, unless a `[[share]]`
//! lists every domain that uses it. The console's device is the kernel's,
//! so a domain that uses it needs a share too.

use super::super::read::{DomainDraft, ShareDraft};
use super::super::reader::Problems;
use super::super::report::Problem;
use super::super::ShareTarget;
use crate::board::Board;
use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use toml::Spanned;

/// The share of each target that counts: the first.
type FirstShares<'s> = HashMap<&'s ShareTarget, &'s ShareDraft>;

/// Checks that each device of `board` and each interrupt has one owner
/// among the domains of `drafts`, or that the first of `shares` sharing it
/// lists every domain that uses it (the `console`'s device always needs
/// one); reports a target shared again.
pub(super) fn check(
    board: &Board,
    console: &str,
    drafts: &[DomainDraft],
    shares: &[ShareDraft],
    problems: &mut Problems,
) {
    let first_shares = first_shares(shares, problems);
    check_devices(board, console, drafts, &first_shares, problems);
    check_interrupts(drafts, &first_shares, problems);
}

/// The first share of each target among `shares`; reports the others.
fn first_shares<'s>(shares: &'s [ShareDraft], problems: &mut Problems) -> FirstShares<'s> {
    let mut first_shares = FirstShares::new();
    for share in shares {
        let Some(target) = &share.target else { continue };
        match first_shares.entry(target.get_ref()) {
            Entry::Vacant(entry) => {
                entry.insert(share);
            }
            Entry::Occupied(first) => {
                let what = match target.get_ref() {
                    ShareTarget::Device(device) => format!("device {device}"),
                    ShareTarget::Interrupt(interrupt) => format!("interrupt {interrupt}"),
                };
                problems.at(
                    &target.span(),
                    &share.label,
                    format!(
                        "{what} is shared by {} already: list every domain there",
                        first.get().label
                    ),
                );
            }
        }
    }
    first_shares
}

/// The domains sharing `target`, if a share lists them.
fn sharers<'s>(first_shares: &FirstShares<'s>, target: &ShareTarget) -> Option<Vec<&'s str>> {
    let share = first_shares.get(target)?;
    Some(share.domains.iter().map(|d| d.get_ref().as_str()).collect())
}

/// Checks the owners of each device of `board` (see [`check`]).
fn check_devices(
    board: &Board,
    console: &str,
    drafts: &[DomainDraft],
    first_shares: &FirstShares,
    problems: &mut Problems,
) {
    for device in &board.devices {
        let users: Vec<(&str, &Spanned<String>)> = drafts
            .iter()
            .filter_map(|draft| {
                Some((
                    draft.name()?,
                    draft.uses.iter().find(|used| *used.get_ref() == device.name)?,
                ))
            })
            .collect();
        let is_console = device.name == console;
        let sharers = sharers(first_shares, &ShareTarget::Device(device.name.clone()));
        report_unshared(&users, "uses", is_console, sharers, problems, |users| {
            if is_console {
                format!(
                    "{0} is the kernel's console ([image] console): to use it beside the kernel, \
                     add a [[share]] with device = \"{0}\" and domains = [{users}]",
                    device.name
                )
            } else {
                format!(
                    "device {0} is used by another domain too: a device has one owner unless a \
                     [[share]] with device = \"{0}\" lists every domain that uses it ({users})",
                    device.name
                )
            }
        });
    }
}

/// Checks the owners of each interrupt the domains of `drafts` take (see
/// [`check`]).
fn check_interrupts(drafts: &[DomainDraft], first_shares: &FirstShares, problems: &mut Problems) {
    let interrupts: BTreeSet<&str> = drafts
        .iter()
        .flat_map(|draft| draft.interrupts.iter().map(|taken| taken.get_ref().as_str()))
        .collect();
    for interrupt in interrupts {
        let users: Vec<(&str, &Spanned<String>)> = drafts
            .iter()
            .filter_map(|draft| {
                let taken = draft.interrupts.iter().find(|taken| taken.get_ref() == interrupt)?;
                Some((draft.name()?, taken))
            })
            .collect();
        let sharers = sharers(first_shares, &ShareTarget::Interrupt(interrupt.to_string()));
        report_unshared(&users, "interrupts", false, sharers, problems, |users| {
            format!(
                "interrupt {interrupt} is taken by another domain too: an interrupt has one owner \
                 unless a [[share]] with interrupt = \"{interrupt}\" lists every domain that \
                 takes it ({users})"
            )
        });
    }
}

/// Reports each of `users` (domain, where it names the shared thing) that
/// is not in `sharers`, when sharing is needed: two users or more, or one
/// beside the kernel.
fn report_unshared(
    users: &[(&str, &Spanned<String>)],
    key: &str,
    beside_kernel: bool,
    sharers: Option<Vec<&str>>,
    problems: &mut Problems,
    reason: impl Fn(&str) -> String,
) {
    if users.len() < if beside_kernel { 1 } else { 2 } {
        return;
    }
    let list: Vec<String> = users.iter().map(|(name, _)| format!("{name:?}")).collect();
    let list = list.join(", ");
    // Without a share the first user owns it; with one, all must be listed.
    let skip = usize::from(sharers.is_none() && !beside_kernel);
    let sharers = sharers.unwrap_or_default();
    for (name, at) in users.iter().skip(skip) {
        if !sharers.contains(name) {
            let mut problem =
                Problem::at(&at.span(), &format!("domain {name:?}, key `{key}`"), reason(&list));
            // Point at another user: the owner, when there is no share.
            if let Some((other, other_at)) = users.iter().find(|(other, _)| other != name) {
                problem = problem.also(&other_at.span(), format!("domain {other:?} too"));
            }
            problems.report(problem);
        }
    }
}
