//! Reading a domain's `threads`: each thread's name, period, worst-case
//! execution time, deadline and tickets; and a group scheduler's
//! `members`, which take the place of threads (each names its member
//! domain with `domain` instead of `name`).

use super::super::reader::{Problems, Section};
use super::super::{check_name, Thread, DEFAULT_TICKETS, MAX_THREADS, MAX_THREAD_NAME_LEN};
use super::label_by;
use crate::units::format_duration;
use std::collections::HashSet;
use toml::Spanned;

const THREAD_KEYS: [&str; 6] = ["name", "period", "wcet", "work", "deadline", "tickets"];

const MEMBER_KEYS: [&str; 6] = ["domain", "period", "wcet", "work", "deadline", "tickets"];

/// What a list of a domain's is: `threads` or `members`.
#[derive(Clone, Copy)]
pub(super) enum List {
    /// Its threads (`threads`).
    Threads,
    /// A group scheduler's members (`members`).
    Members,
}

impl List {
    /// The key, what an entry is called, its name's key and its keys.
    fn words(self) -> (&'static str, &'static str, &'static str, &'static [&'static str; 6]) {
        match self {
            Self::Threads => ("threads", "thread", "name", &THREAD_KEYS),
            Self::Members => ("members", "member", "domain", &MEMBER_KEYS),
        }
    }
}

/// The most tickets a thread may hold.
const MAX_TICKETS: u64 = 1_000_000;

/// Reads the `threads` or `members` (`list`) of `domain` up to
/// [`MAX_THREADS`] and returns the valid ones (a member as a [`Thread`]
/// named after its domain).
pub(super) fn read(domain: &Section, list: List, problems: &mut Problems) -> Vec<Thread> {
    let (key, entry, name_key, keys) = list.words();
    let mut tables = domain.tables(key, problems);
    let count = tables.len();
    let beyond = tables.split_off(count.min(MAX_THREADS));
    if let Some((_, span)) = beyond.first() {
        problems.at(
            span,
            &domain.what(key),
            format!(
                "{count} {key}, but a domain has at most {MAX_THREADS} (what its DCB holds); \
                 the {key} from this one on are not checked"
            ),
        );
    }
    let mut names = HashSet::new();
    let mut threads = Vec::new();
    for (index, (table, span)) in tables.into_iter().enumerate() {
        let label = format!("{}, {}", domain.label, label_by(entry, name_key, index, table));
        let s = Section::new(table, span, label, &format!("a {entry}"), keys, problems);
        threads.extend(read_thread(&s, list, &mut names, problems));
    }
    threads
}

/// Reads one thread or member, `s`, whose name must not be among the
/// `names` of the domain's `list` read before (it is added to them).
fn read_thread(
    s: &Section,
    list: List,
    names: &mut HashSet<String>,
    problems: &mut Problems,
) -> Option<Thread> {
    let (_, entry, name_key, _) = list.words();
    let name = s.required_string(name_key, problems).and_then(|name| {
        let reason = match check_name(name.get_ref()) {
            Err(reason) => reason,
            Ok(()) if name.get_ref().len() > MAX_THREAD_NAME_LEN => format!(
                "{} bytes long, but {entry} names have at most {MAX_THREAD_NAME_LEN} (what the \
                 DCB's `threads` hold)",
                name.get_ref().len()
            ),
            Ok(()) if !names.insert(name.get_ref().clone()) => {
                format!("another {entry} of this domain has this name (names must be unique)")
            }
            Ok(()) => return Some(name.into_inner()),
        };
        problems.at(&name.span(), &s.what(name_key), reason);
        None
    });
    let period_ns = s.duration("period", true, problems).map(Spanned::into_inner);
    let (wcet_key, wcet) = read_wcet(s, problems);
    let deadline = s.duration("deadline", true, problems);
    let tickets = s.integer("tickets", 1..=MAX_TICKETS, problems).map(Spanned::into_inner);
    if let (Some(deadline), Some(period)) = (&deadline, period_ns) {
        if *deadline.get_ref() > period {
            problems.at(
                &deadline.span(),
                &s.what("deadline"),
                format!(
                    "{} is longer than the period ({}): a job's deadline comes before the next \
                     job's release",
                    format_duration(*deadline.get_ref()),
                    format_duration(period)
                ),
            );
        }
    }
    let deadline_ns = deadline.map(Spanned::into_inner).or(period_ns);
    if let (Some(wcet), Some(bound)) = (&wcet, deadline_ns) {
        if *wcet.get_ref() > bound {
            problems.at(
                &wcet.span(),
                &s.what(wcet_key),
                format!(
                    "{} is longer than the deadline ({}): no job could ever finish in time",
                    format_duration(*wcet.get_ref()),
                    format_duration(bound)
                ),
            );
        }
    }
    let tickets = tickets.unwrap_or(DEFAULT_TICKETS);
    Some(Thread { name: name?, period_ns, wcet_ns: wcet?.into_inner(), deadline_ns, tickets })
}

/// Reads the thread's worst-case execution time: its key (`wcet`, or
/// `work`, another name for it that the simulator's task sets use) and
/// its value.
fn read_wcet(s: &Section, problems: &mut Problems) -> (&'static str, Option<Spanned<u64>>) {
    let key = match (s.get("wcet"), s.get("work")) {
        (Some(_), Some(work)) => {
            problems.at(
                &work.span(),
                &s.what("work"),
                "`work` and `wcet` are the same key: give one",
            );
            "wcet"
        }
        (None, Some(_)) => "work",
        _ => "wcet",
    };
    (key, s.required_duration(key, problems))
}
