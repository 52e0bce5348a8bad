//! Warnings: what a manifest may ask for but probably does not mean, a
//! domain's threads (or a group's members) that never start or that need
//! more of the CPU than its reservation gives.

use super::super::read::{DomainDraft, Reservation};
use super::super::reader::{key_of, Problems};
use super::super::report::Problem;
use super::super::{Thread, MEMBER_PROGRAMS, THREAD_PROGRAMS};
use crate::units::{format_duration, format_share, PPB_ONE};
use std::ops::Range;
use toml::Spanned;

/// A list of threads a domain runs: its `threads`, or its group's
/// `members`, and the programs that run them.
struct List<'d> {
    key: &'static str,
    threads: &'d [Thread],
    at: &'d Range<usize>,
    programs: &'static [&'static str],
}

/// Warns about the threads and members of each domain of `drafts` that
/// has any.
pub(super) fn check(drafts: &[DomainDraft], problems: &mut Problems) {
    for draft in drafts {
        let threads = draft.threads_at.as_ref().map(|at| List {
            key: "threads",
            threads: &draft.threads,
            at,
            programs: &THREAD_PROGRAMS,
        });
        let members = draft.members_at.as_ref().map(|at| List {
            key: "members",
            threads: &draft.members,
            at,
            programs: &MEMBER_PROGRAMS,
        });
        for list in threads.into_iter().chain(members) {
            let what = key_of(&draft.label, list.key);
            if let Some(program) = &draft.program {
                warn_unrun_threads(program, &list, &what, problems);
            }
            if let Some(reservation) = &draft.reservation {
                warn_overloaded_threads(&list, reservation, &what, problems);
            }
        }
    }
}

/// Warns if `program` (a domain's `program` value) is not one of the
/// programs that run `list`: its threads would never start.
fn warn_unrun_threads(program: &Spanned<String>, list: &List, what: &str, problems: &mut Problems) {
    let name = program.get_ref();
    if list.programs.contains(&name.as_str()) {
        return;
    }
    let key = list.key;
    let problem = Problem::at(
        list.at,
        what,
        format!(
            "program {name} does not run the manifest's {key}: they would never start (the \
             programs that run them: {})",
            list.programs.join(", ")
        ),
    )
    .also(&program.span(), format!("{name} starts threads of its own, if any"))
    .help(format!(
        "give the {key} to a program that runs them (program = {:?}), or leave out `{key}`",
        list.programs[0]
    ));
    problems.warn(problem);
}

/// Warns if the periodic threads of `list` need more of the CPU than
/// the domain's `reservation` guarantees: the sum of their `wcet / period`
/// (threads without a period release one job, so need no steady share) is
/// over `slice / period`, and some jobs would miss their deadlines (for a
/// group: admission of its members within its reservation).
fn warn_overloaded_threads(
    list: &List,
    reservation: &Reservation,
    what: &str,
    problems: &mut Problems,
) {
    let (threads, span, key) = (list.threads, list.at, list.key);
    // Rounded down, against a share rounded up: only a sure overload warns.
    let needs: Vec<(&str, u64)> = threads
        .iter()
        .filter_map(|thread| {
            let period = thread.period_ns?;
            let need = u128::from(thread.wcet_ns) * u128::from(PPB_ONE) / u128::from(period);
            Some((thread.name.as_str(), u64::try_from(need).unwrap_or(u64::MAX)))
        })
        .collect();
    let need = needs.iter().fold(0u64, |sum, (_, need)| sum.saturating_add(*need));
    if need <= reservation.share {
        return;
    }
    let each: Vec<String> =
        needs.iter().map(|(name, need)| format!("{name} {}", format_share(*need, 2))).collect();
    let slice_ns = u128::from(reservation.period_ns) * u128::from(need);
    let slice_ns = u64::try_from(slice_ns.div_ceil(u128::from(PPB_ONE))).unwrap_or(u64::MAX);
    let help = if slice_ns <= reservation.period_ns {
        format!(
            "a slice of {} would cover them (or give the {key} less work or longer periods)",
            format_duration(slice_ns)
        )
    } else {
        format!("they need more than the whole period: give the {key} less work or longer periods")
    };
    let slice = &reservation.slice;
    let problem = Problem::at(
        span,
        what,
        format!(
            "the {key} need {} of the CPU ({}), more than the domain's share of {}: some jobs \
             will miss their deadlines",
            format_share(need, 2),
            each.join(", "),
            format_share(reservation.share, 2)
        ),
    )
    .also(
        &slice.span(),
        format!(
            "the share: {} every {}",
            format_duration(*slice.get_ref()),
            format_duration(reservation.period_ns)
        ),
    )
    .help(help);
    problems.warn(problem);
}
