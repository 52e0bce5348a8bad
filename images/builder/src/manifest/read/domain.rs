//! Reading `[[domain]]`s: each domain's name, program, CPU reservation,
//! memory and scheduler, checked against the board and the programs there
//! are. Its threads are read by [`super::threads`], its devices and
//! interrupts by [`super::devices`].

use super::super::reader::{did_you_mean, Location, Problems, Section};
use super::super::report::Problem;
use super::super::{
    check_name, check_pages, Domain, InterruptRoute, RestartPolicy, Scheduler, Thread,
};
use super::threads::{self, List};
use super::{devices, label_of, tables_of, within_limit};
use crate::board::Board;
use crate::layout::DomainLayout;
use crate::units::{format_duration, share_ppb};
use std::collections::BTreeSet;
use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;
use vesper_abi::layout::{CORES, MAX_DOMAINS};

const DOMAIN_KEYS: [&str; 22] = [
    "name",
    "program",
    "period",
    "slice",
    "extra",
    "latency",
    "core",
    "stack",
    "memory",
    "scheduler",
    "threads",
    "members",
    "uses",
    "interrupts",
    "provides",
    "services",
    "supervises",
    "restart-limit",
    "restart-window",
    "restart-backoff",
    "trusted",
    "args",
];

/// The keys of a supervisor's restart policy.
const RESTART_KEYS: [&str; 3] = ["restart-limit", "restart-window", "restart-backoff"];

/// A `[[domain]]` as read.
pub(crate) struct DomainDraft {
    /// How messages name it.
    pub label: String,
    /// Its table.
    pub span: Range<usize>,
    /// Its name, if valid; the checks across tables take it from a domain
    /// that repeats an earlier one's.
    pub name: Option<Spanned<String>>,
    /// Its `program`, as written (a string).
    pub program: Option<Spanned<String>>,
    /// Its reservation, if its period and slice are valid.
    pub reservation: Option<Reservation>,
    /// The valid ones of the threads it declares.
    pub threads: Vec<Thread>,
    /// Where its `threads` are, if any of them is valid.
    pub threads_at: Option<Range<usize>>,
    /// The valid ones of its group's members (`members`), each a thread
    /// named after its member domain.
    pub members: Vec<Thread>,
    /// Where its `members` are, if any of them is valid.
    pub members_at: Option<Range<usize>>,
    /// It gives neither `period` nor `slice`: valid for a group member
    /// only (the checks across tables find out).
    pub unreserved: bool,
    /// A member: its group's scheduler domain, once the checks across
    /// tables have found it.
    pub scheduled_by: Option<String>,
    /// A group's scheduler: the event slot counting its members' wake-ups
    /// and stops, once the checks across tables have given it one.
    pub group_event: Option<u64>,
    /// Devices it uses that the board has and domains may use.
    pub uses: Vec<Spanned<String>>,
    /// Interrupts it takes that the board has, on devices it uses.
    pub interrupts: Vec<Spanned<String>>,
    /// The routes of those interrupts that have a valid event slot, by
    /// slot.
    pub routes: Vec<InterruptRoute>,
    /// The service it provides as a driver (`provides`), if valid.
    pub provides: Option<Spanned<String>>,
    /// The services it uses (`services`), each connected to its provider
    /// by the checks across tables.
    pub services: Vec<Spanned<String>>,
    /// The domains it supervises (`supervises`) as written: names, or
    /// `"*"` for all the others.
    pub supervises: Vec<Spanned<String>>,
    /// Those domains by name, in manifest order, once the checks across
    /// tables have found them.
    pub supervised: Vec<String>,
    /// Its restart policy for them.
    pub restart: RestartPolicy,
    /// Its program's arguments (`args`), if valid.
    args: String,
    /// The event slot counting their stops, once the checks across tables
    /// have given it one.
    pub supervision_event: Option<u64>,
    /// Whether the manifest trusts it with DMA-capable devices.
    trusted: bool,
    /// Whether it may run in slack time.
    pub extra: bool,
    /// Its `latency`, if given and valid.
    pub latency: Option<Spanned<u64>>,
    /// Its `core`, if given and valid.
    pub core: Option<Spanned<u64>>,
    /// Its memory.
    memory: Memory,
    /// Its scheduler, if valid.
    scheduler: Option<Scheduler>,
    /// Whether its table has no problem of its own.
    valid: bool,
}

/// A domain's CPU reservation as read, for admission control.
pub(crate) struct Reservation {
    /// Its share of the CPU, in parts per billion rounded up.
    pub share: u64,
    /// Its `slice` value.
    pub slice: Spanned<u64>,
    /// Its period, ns.
    pub period_ns: u64,
}

/// A domain's memory as read.
struct Memory {
    /// Bytes of its stack region (0: none).
    stack_bytes: u64,
    /// Bytes of its memory region (0: none).
    memory_bytes: u64,
    /// Where it lies, if its sizes are valid and fit its slot.
    layout: Option<DomainLayout>,
    /// Where in the manifest it is asked for.
    at: Location,
}

impl DomainDraft {
    /// Its name, if it has a valid one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_ref().map(|name| name.get_ref().as_str())
    }

    /// The domain, if its table is valid and its name its own.
    pub fn into_domain(self) -> Option<Domain> {
        if !self.valid {
            return None;
        }
        let (period_ns, slice_ns) = match (self.reservation, &self.scheduled_by) {
            (Some(reservation), None) => (reservation.period_ns, reservation.slice.into_inner()),
            // A member runs on its group's reservation.
            (None, Some(_)) => (0, 0),
            _ => return None,
        };
        Some(Domain {
            name: self.name?.into_inner(),
            program: self.program?.into_inner(),
            period_ns,
            slice_ns,
            extra: self.extra,
            latency_ns: self.latency.map_or(period_ns, Spanned::into_inner),
            // A member's is set to its scheduler's once every domain is read.
            core: self.core.map_or(0, |core| core.into_inner() as usize),
            stack_bytes: self.memory.stack_bytes,
            memory_bytes: self.memory.memory_bytes,
            scheduler: self.scheduler?,
            threads: self.threads,
            members: self.members,
            group_event: self.group_event,
            scheduled_by: self.scheduled_by,
            uses: self.uses.into_iter().map(Spanned::into_inner).collect(),
            interrupts: self.routes,
            supervises: self.supervised,
            restart: self.restart,
            args: self.args,
            supervision_event: self.supervision_event,
            trusted: self.trusted,
            layout: self.memory.layout?,
            sizes_at: self.memory.at,
        })
    }
}

/// Reads the `[[domain]]`s of the manifest under `root` up to the limit,
/// against `board` if it is known, and returns them with the names of the
/// domains beyond it.
pub(super) fn read_all<'t>(
    root: &Section<'t, '_>,
    board: Option<&Board>,
    programs: Option<&BTreeSet<String>>,
    problems: &mut Problems,
) -> (Vec<DomainDraft>, Vec<&'t str>) {
    let tables = tables_of(root, "domain", problems);
    if tables.is_empty() {
        problems.global("no domains: an image needs at least one [[domain]] table");
    }
    let tables = within_limit(root, "domain", tables, MAX_DOMAINS, problems, |n| {
        format!("{n} domains, but an image holds at most {MAX_DOMAINS} (one per memory slot)")
    });
    let drafts = tables
        .read
        .into_iter()
        .enumerate()
        .map(|(index, (table, span))| read(index, table, span, board, programs, problems))
        .collect();
    let unread = tables
        .unread
        .into_iter()
        .filter_map(|(table, _)| match table.get("name").map(Spanned::get_ref) {
            Some(DeValue::String(name)) => Some(name.as_ref()),
            _ => None,
        })
        .collect();
    (drafts, unread)
}

/// Reads one `[[domain]]`, the `index`th.
fn read(
    index: usize,
    table: &DeTable,
    span: Range<usize>,
    board: Option<&Board>,
    programs: Option<&BTreeSet<String>>,
    problems: &mut Problems,
) -> DomainDraft {
    let label = label_of("domain", index, table);
    let s =
        Section::new(table, span.clone(), label.clone(), "a [[domain]]", &DOMAIN_KEYS, problems);
    let before = problems.count();
    let name = read_name(&s, problems);
    let program = s.required_string("program", problems);
    if let (Some(program), Some(programs)) = (&program, programs) {
        check_program(&s, program, programs, problems);
    }
    let unreserved = s.get("period").is_none() && s.get("slice").is_none();
    let reservation = if unreserved { None } else { read_reservation(&s, board, problems) };
    let extra = s.bool("extra", problems).unwrap_or(false);
    let latency = s.duration("latency", true, problems);
    let core = s.integer("core", 0..=CORES as u64 - 1, problems);
    let memory = read_memory(&s, index, problems);
    let scheduler = read_scheduler(&s, problems);
    let threads = threads::read(&s, List::Threads, problems);
    let threads_at = s.get("threads").filter(|_| !threads.is_empty()).map(Spanned::span);
    let members = threads::read(&s, List::Members, problems);
    let members_at = s.get("members").filter(|_| !members.is_empty()).map(Spanned::span);
    let trusted = s.bool("trusted", problems).unwrap_or(false);
    let uses = devices::uses(&s, board, trusted, problems);
    if !trusted {
        devices::refuse_dma(&s, board, &uses, problems);
    }
    let (interrupts, routes) = devices::interrupts(&s, board, &uses, problems);
    let provides = s.string("provides", problems);
    let provides =
        provides.and_then(|service| read_service_name(&s, "provides", service, problems));
    let services = s
        .strings("services", problems)
        .into_iter()
        .filter_map(|service| read_service_name(&s, "services", service, problems))
        .collect();
    let supervises = s.strings("supervises", problems);
    let restart = read_restart(&s, !supervises.is_empty(), problems);
    let args = read_args(&s, problems);
    let valid = problems.count() == before;
    DomainDraft {
        label,
        span,
        name,
        program,
        reservation,
        threads,
        threads_at,
        members,
        members_at,
        unreserved,
        scheduled_by: None,
        group_event: None,
        uses,
        interrupts,
        routes,
        provides,
        services,
        supervises,
        supervised: Vec::new(),
        restart,
        args,
        supervision_event: None,
        trusted,
        extra,
        latency,
        core,
        memory,
        scheduler,
        valid,
    }
}

/// Reads the program's `args`: printable ASCII that fits the DCB.
fn read_args(s: &Section, problems: &mut Problems) -> String {
    let Some(args) = s.string("args", problems) else { return String::new() };
    let max = vesper_abi::dcb::ARGS_LEN - 1;
    let text = args.get_ref();
    if text.len() > max || !text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        problems.at(
            &args.span(),
            &s.what("args"),
            format!("must be at most {max} characters of printable ASCII"),
        );
        return String::new();
    }
    args.into_inner()
}

/// Reads a supervisor's restart policy (`restart-limit`, `restart-window`,
/// `restart-backoff`), the defaults for keys it does not give; the keys
/// are refused on a domain that supervises none (`supervises`).
fn read_restart(s: &Section, supervises: bool, problems: &mut Problems) -> RestartPolicy {
    let defaults = RestartPolicy::DEFAULT;
    if !supervises {
        for key in RESTART_KEYS {
            if let Some(value) = s.get(key) {
                problems.at(
                    &value.span(),
                    &s.what(key),
                    "only a domain that supervises others (`supervises`) has a restart policy",
                );
            }
        }
        return defaults;
    }
    let limit = s.integer("restart-limit", 0..=vesper_service::supervision::MAX_LIMIT, problems);
    let window = s.duration("restart-window", true, problems);
    let backoff = s.duration("restart-backoff", false, problems);
    RestartPolicy {
        limit: limit.map_or(defaults.limit, Spanned::into_inner),
        window_ns: window.map_or(defaults.window_ns, Spanned::into_inner),
        backoff_ns: backoff.map_or(defaults.backoff_ns, Spanned::into_inner),
    }
}

/// Checks a service's name (in `provides` or `services`): a name like a
/// domain's.
fn read_service_name(
    s: &Section,
    key: &str,
    service: Spanned<String>,
    problems: &mut Problems,
) -> Option<Spanned<String>> {
    match check_name(service.get_ref()) {
        Ok(()) => Some(service),
        Err(reason) => {
            problems.at(&service.span(), &s.what(key), reason);
            None
        }
    }
}

/// Reads the domain's `name`: whether another domain has it is checked
/// across tables.
fn read_name(s: &Section, problems: &mut Problems) -> Option<Spanned<String>> {
    let name = s.required_string("name", problems)?;
    match check_name(name.get_ref()) {
        Ok(()) => Some(name),
        Err(reason) => {
            problems.at(&name.span(), &s.what("name"), reason);
            None
        }
    }
}

/// Checks that `program`, the domain's, is one of `programs`.
fn check_program(
    s: &Section,
    program: &Spanned<String>,
    programs: &BTreeSet<String>,
    problems: &mut Problems,
) {
    if programs.contains(program.get_ref()) {
        return;
    }
    let known: Vec<&str> = programs.iter().map(String::as_str).collect();
    let help = did_you_mean(program.get_ref(), &known, |close| format!("{close:?}"));
    // The list of programs is long; a close one is all a typo needs.
    let list = match (&help, known.is_empty()) {
        (Some(_), _) => String::new(),
        (None, true) => "; the programs are: none (no crate under domains/ has a binary)".into(),
        (None, false) => format!("; the programs are: {}", known.join(", ")),
    };
    let reason = format!("no domain program is called {:?}{list}", program.get_ref());
    problems.report(Problem::at(&program.span(), &s.what("program"), reason).maybe_help(help));
}

/// Reads the domain's `period` and `slice`: its reservation, if both are
/// valid, no shorter than `board` allows, and the slice fits the period.
fn read_reservation(
    s: &Section,
    board: Option<&Board>,
    problems: &mut Problems,
) -> Option<Reservation> {
    let period = s.required_duration("period", problems);
    let slice = s.required_duration("slice", problems);
    if let Some(timing) = board.map(|board| board.timing) {
        for (value, key, minimum) in
            [(&period, "period", timing.min_period), (&slice, "slice", timing.min_slice)]
        {
            if let Some(value) = value.as_ref().filter(|value| *value.get_ref() < minimum) {
                problems.at(
                    &value.span(),
                    &s.what(key),
                    format!(
                        "{} is shorter than the board allows ({}, `[timing] min-{key}` in its \
                         description): switches would cost the other domains more than their \
                         reservations leave room for",
                        format_duration(*value.get_ref()),
                        format_duration(minimum)
                    ),
                );
            }
        }
    }
    let (period, slice) = (period?, slice?);
    if slice.get_ref() > period.get_ref() {
        problems.at(
            &slice.span(),
            &s.what("slice"),
            format!(
                "{} is longer than the period ({}): a slice is the part of each period the domain \
                 is guaranteed",
                format_duration(*slice.get_ref()),
                format_duration(*period.get_ref())
            ),
        );
        return None;
    }
    let share = share_ppb(*slice.get_ref(), *period.get_ref());
    Some(Reservation { share, slice, period_ns: period.into_inner() })
}

/// Reads the domain's `stack` and `memory` sizes and lays them out in its
/// slot (the `index`th).
fn read_memory(s: &Section, index: usize, problems: &mut Problems) -> Memory {
    let mut size = |key: &str| -> Option<Spanned<u64>> {
        let size = s.size(key, problems)?;
        match check_pages(*size.get_ref()) {
            Ok(()) => Some(size),
            Err(reason) => {
                problems.at(&size.span(), &s.what(key), reason);
                None
            }
        }
    };
    let stack = size("stack");
    let memory = size("memory");
    // Problems with the room the domain asks for, here and once its program
    // is built, point at its `memory`, else its `stack`, else its table.
    let sizes_span = memory.as_ref().or(stack.as_ref()).map_or(s.span.clone(), Spanned::span);
    let sizes_key = if memory.is_some() { "memory" } else { "stack" };
    let valid_sizes = (s.get("stack").is_none() || stack.is_some())
        && (s.get("memory").is_none() || memory.is_some());
    let stack_bytes = stack.map_or(0, Spanned::into_inner);
    let memory_bytes = memory.map_or(0, Spanned::into_inner);
    let layout = valid_sizes.then(|| DomainLayout::new(index, stack_bytes, memory_bytes)).and_then(
        |layout| layout.map_err(|reason| problems.at(&sizes_span, &s.what(sizes_key), reason)).ok(),
    );
    Memory { stack_bytes, memory_bytes, layout, at: problems.locate(&sizes_span) }
}

/// Reads the domain's `scheduler` (FIFO unless given).
fn read_scheduler(s: &Section, problems: &mut Problems) -> Option<Scheduler> {
    let Some(name) = s.string("scheduler", problems) else { return Some(Scheduler::Fifo) };
    Scheduler::from_name(name.get_ref()).ok().or_else(|| {
        let known: Vec<&str> = Scheduler::ALL.iter().map(|kind| kind.name()).collect();
        let reason = format!(
            "no scheduler is called {:?}; the schedulers are: {}",
            name.get_ref(),
            known.join(", ")
        );
        let help = did_you_mean(name.get_ref(), &known, |close| format!("{close:?}"));
        problems.report(Problem::at(&name.span(), &s.what("scheduler"), reason).maybe_help(help));
        None
    })
}
