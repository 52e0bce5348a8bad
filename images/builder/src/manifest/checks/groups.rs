//! Groups: a scheduler domain's `members`, domains of the manifest that
//! run only on the time their scheduler donates to them (see
//! docs/manifest.md).
//!
//! A member names another domain of the manifest; a domain belongs to at
//! most one group; a group's scheduler is no member (groups do not nest)
//! and runs members or threads, not both. A member holds no reservation of
//! its own (no `period`, `slice`, `extra`, `latency` or `core`: it runs on
//! its scheduler's core); every other domain needs a period and a slice.

use super::super::read::DomainDraft;
use super::super::reader::{did_you_mean, key_of, Problems};
use super::super::report::Problem;
use std::collections::HashSet;

/// Finds each member's group, and checks the rules above.
pub(super) fn form(drafts: &mut [DomainDraft], problems: &mut Problems) {
    let names: Vec<Option<String>> =
        drafts.iter().map(|draft| draft.name().map(str::to_string)).collect();
    let schedulers: HashSet<String> = drafts
        .iter()
        .filter(|draft| draft.members_at.is_some())
        .filter_map(|draft| draft.name().map(str::to_string))
        .collect();
    for index in 0..drafts.len() {
        let (Some(scheduler), Some(at)) = (&names[index], drafts[index].members_at.clone()) else {
            continue;
        };
        let what = key_of(&drafts[index].label, "members");
        if drafts[index].threads_at.is_some() {
            let reason = "a domain runs either threads or a group's members, not both";
            problems.at(&at, &what, reason);
        }
        for member in drafts[index].members.clone() {
            let name = member.name.as_str();
            let Some(target) = names.iter().position(|n| n.as_deref() == Some(name)) else {
                let known: Vec<&str> = names.iter().flatten().map(String::as_str).collect();
                let help = did_you_mean(name, &known, |close| format!("{close:?}"));
                let reason = format!("no domain is called {name:?}");
                problems.report(Problem::at(&at, &what, reason).maybe_help(help));
                continue;
            };
            let reason = if target == index {
                "a domain cannot be a member of its own group".to_string()
            } else if schedulers.contains(name) {
                format!("domain {name:?} schedules a group of its own: groups do not nest")
            } else if let Some(other) = &drafts[target].scheduled_by {
                format!(
                    "domain {name:?} is a member of group {other:?} already: a domain belongs \
                     to at most one group"
                )
            } else {
                drafts[target].scheduled_by = Some(scheduler.clone());
                continue;
            };
            problems.at(&at, &what, reason);
        }
    }
    for draft in drafts.iter() {
        check_reservation(draft, problems);
    }
}

/// A member gives no reservation; any other domain gives a period and a
/// slice (reported as missing here when it gives neither: the reader
/// leaves that to the checks across tables).
fn check_reservation(draft: &DomainDraft, problems: &mut Problems) {
    let Some(group) = &draft.scheduled_by else {
        if draft.unreserved {
            for key in ["period", "slice"] {
                problems.at(&draft.span, &key_of(&draft.label, key), "missing (it is required)");
            }
        }
        return;
    };
    let given = [
        ("period", !draft.unreserved),
        ("extra", draft.extra),
        ("latency", draft.latency.is_some()),
        ("core", draft.core.is_some()),
    ];
    for (key, _) in given.iter().filter(|(_, given)| *given) {
        problems.at(
            &draft.span,
            &key_of(&draft.label, key),
            format!(
                "a member of group {group:?} runs on its scheduler's reservation and has no \
                 `period`, `slice`, `extra`, `latency` or `core` of its own"
            ),
        );
    }
}
