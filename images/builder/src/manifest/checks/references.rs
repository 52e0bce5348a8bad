//! References between tables: the domains that shares, regions and
//! channels name must be domains of the manifest, and a domain sharing a
//! device or interrupt must use or take it. What each table names that
//! passes becomes its sharers, its access or its ends.

use super::super::read::{ChannelDraft, DomainDraft, RegionDraft, ShareDraft};
use super::super::reader::{did_you_mean, key_of, Problems};
use super::super::report::Problem;
use super::super::ShareTarget;
use std::collections::{HashMap, HashSet};
use toml::Spanned;

/// The domains that other tables name.
pub(super) struct DomainNames<'d> {
    /// The valid names of the domains read, in manifest order.
    names: Vec<&'d str>,
    /// The drafts of those domains, by name.
    drafts: HashMap<&'d str, &'d DomainDraft>,
    /// The names of the domains beyond the limit, which are not read: the
    /// problem of their number covers every table that names one of them.
    unread: HashSet<&'d str>,
}

impl<'d> DomainNames<'d> {
    /// The names of `drafts` and of the `unread` domain tables.
    pub fn new(drafts: &'d [DomainDraft], unread: &[&'d str]) -> Self {
        let named = drafts.iter().filter_map(|draft| Some((draft.name()?, draft)));
        Self {
            names: named.clone().map(|(name, _)| name).collect(),
            drafts: named.collect(),
            unread: unread.iter().copied().collect(),
        }
    }

    /// Whether `name` is a domain that is read.
    fn contains(&self, name: &str) -> bool {
        self.drafts.contains_key(name)
    }

    /// Whether `name` is a domain beyond the limit: a table naming it has
    /// no problem of its own.
    fn is_unread(&self, name: &str) -> bool {
        !self.contains(name) && self.unread.contains(name)
    }

    /// Why `name`, which should name a domain, names none, and the help
    /// if a domain's name is close.
    fn unknown(&self, name: &str) -> (String, Option<String>) {
        let reason =
            format!("no domain is called {name:?}; the domains are: {}", self.names.join(", "));
        (reason, did_you_mean(name, &self.names, |close| format!("{close:?}")))
    }

    /// Whether `domain`, named in `what`, is a domain that is read; reports
    /// it if it is none (`describe` words the reason), unless it is beyond
    /// the limit.
    fn check_known(
        &self,
        domain: &Spanned<String>,
        what: &str,
        describe: impl FnOnce(String) -> String,
        problems: &mut Problems,
    ) -> bool {
        let name = domain.get_ref();
        if self.contains(name) {
            return true;
        }
        if !self.is_unread(name) {
            let (reason, help) = self.unknown(name);
            problems.report(Problem::at(&domain.span(), what, describe(reason)).maybe_help(help));
        }
        false
    }
}

/// Gives each share the domains it lists that may share its target (the
/// console's device with the kernel too): domains of the manifest, listed
/// once, that use the device or take the interrupt. Reports the others,
/// and a share with too few sharers for sharing.
pub(super) fn check_shares(
    shares: &mut [ShareDraft],
    known: &DomainNames,
    console: &str,
    problems: &mut Problems,
) {
    for share in shares {
        let what = key_of(&share.label, "domains");
        // Domains beyond the limit count towards the sharers, so that the
        // limit's problem is the only one.
        let mut unread = 0;
        for name in &share.listed {
            if known.is_unread(name.get_ref()) {
                unread += 1;
                continue;
            }
            match sharer_problem(name.get_ref(), share, known) {
                Some((reason, help)) => {
                    problems.report(Problem::at(&name.span(), &what, reason).maybe_help(help));
                }
                None => share.domains.push(name.clone()),
            }
        }
        check_enough_sharers(share, unread, console, problems);
    }
}

/// Why the domain `name` that `share` lists may not share its target (and
/// the help, if known), if it may not.
fn sharer_problem(
    name: &str,
    share: &ShareDraft,
    known: &DomainNames,
) -> Option<(String, Option<String>)> {
    // `domains` holds each domain once, so at most MAX_DOMAINS.
    if share.domains.iter().any(|listed| listed.get_ref() == name) {
        return Some((format!("{name} is listed twice"), None));
    }
    let Some(draft) = known.drafts.get(name) else { return Some(known.unknown(name)) };
    let reason = match share.target.as_ref().map(Spanned::get_ref) {
        Some(ShareTarget::Device(device))
            if !draft.uses.iter().any(|used| used.get_ref() == device) =>
        {
            format!(
                "domain {name:?} does not use {device} (its `uses` does not list it), so it \
                 cannot share it"
            )
        }
        Some(ShareTarget::Interrupt(interrupt))
            if !draft.interrupts.iter().any(|taken| taken.get_ref() == interrupt) =>
        {
            format!(
                "domain {name:?} does not take {interrupt} (its `interrupts` does not list it), \
                 so it cannot share it"
            )
        }
        _ => return None,
    };
    Some((reason, None))
}

/// Reports `share` if its sharers, with the `unread` domains it lists,
/// are too few to share its target: two, or one beside the kernel (the
/// `console`'s device).
fn check_enough_sharers(share: &ShareDraft, unread: usize, console: &str, problems: &mut Problems) {
    let (Some(target), Some(listed_at)) = (&share.target, &share.listed_at) else { return };
    let with_kernel = *target.get_ref() == ShareTarget::Device(console.to_string());
    let least = if with_kernel { 1 } else { 2 };
    if share.domains.len() + unread >= least {
        return;
    }
    let reason = if with_kernel {
        "must list at least one domain (the console is shared with the kernel)"
    } else {
        "must list at least two domains: sharing takes two"
    };
    problems.at(listed_at, &key_of(&share.label, "domains"), reason);
}

/// Gives each region the domains its `domains` grants access to that are
/// domains of the manifest, with their rights; reports the others, and
/// rights that are neither `r` nor `rw`.
pub(super) fn check_regions(
    regions: &mut [RegionDraft],
    known: &DomainNames,
    problems: &mut Problems,
) {
    for region in regions {
        let what = key_of(&region.label, "domains");
        for grant in &region.grants {
            if !known.check_known(&grant.domain, &what, |reason| reason, problems) {
                continue;
            }
            let domain = grant.domain.get_ref();
            match &grant.rights {
                Ok(rights) => region.access.push((domain.clone(), *rights)),
                Err(at) => problems.at(
                    at,
                    &format!("{what}, domain {domain:?}"),
                    "rights must be \"r\" (read) or \"rw\" (read and write)",
                ),
            }
        }
    }
}

/// Gives each channel the ends its `ends` names that are domains of the
/// manifest, with their rights; reports the others, rights that are none
/// of `send`, `receive` and `send-receive`, and two ends neither of which
/// may send to the other.
pub(super) fn check_channels(
    channels: &mut [ChannelDraft],
    known: &DomainNames,
    problems: &mut Problems,
) {
    for channel in channels {
        let what = key_of(&channel.label, "ends");
        for grant in &channel.grants {
            let domain = grant.domain.get_ref();
            let describe = |reason: String| format!("the end {domain:?}: {reason}");
            if !known.check_known(&grant.domain, &what, describe, problems) {
                continue;
            }
            match &grant.rights {
                Ok(rights) => channel.ends.push((grant.domain.clone(), *rights)),
                Err(at) => problems.at(
                    at,
                    &format!("{what}, end {domain:?}"),
                    "rights must be \"send\", \"receive\" or \"send-receive\"",
                ),
            }
        }
        if let (Some(at), [(_, a), (_, b)]) = (&channel.ends_at, channel.ends.as_slice()) {
            if !(a.sends() && b.receives() || b.sends() && a.receives()) {
                problems.at(
                    at,
                    &what,
                    "neither end may send to the other: one end needs \"send\" and the other \
                     \"receive\"",
                );
            }
        }
    }
}
