//! The rules a manifest follows: each table read key by key, then the
//! tables checked against each other (names, shares, references, event
//! slots, capabilities) and against the board (devices, interrupts, RAM),
//! every problem recorded.

use super::reader::{array_of_tables, did_you_mean, integer_value, Problems, Section};
use super::report::{Problem, Report, Severity};
use super::{
    board_named, check_image_name, check_name, check_pages, Channel, ChannelEnd, ChannelRights,
    Domain, InterruptRoute, Manifest, Region, RegionRights, Scheduler, Share, ShareTarget, Thread,
    CAP_SLOTS, DEFAULT_CONSOLE, DEFAULT_TICKETS, EVENT_SLOTS, KERNEL_CAPS, MAX_CAP_NAME_LEN,
    MAX_THREADS, MAX_THREAD_NAME_LEN, THREAD_PROGRAMS,
};
use crate::board::{AddressRange, Board, DEFAULT_BOARD};
use crate::layout::{first_fit, DomainLayout, KERNEL_AREA, REGION_ALIGN, REGION_AREA_BASE};
use crate::units::{format_duration, format_share, format_size, share_ppb, PPB_ONE};
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Range;
use std::path::Path;
use toml::de::{DeTable, DeValue};
use toml::Spanned;
use vesper_abi::layout::{slot_base, MAX_DOMAINS, MAX_REGIONS, PAGE_SIZE};

const IMAGE_KEYS: [&str; 4] = ["name", "board", "run-for", "console"];
const DOMAIN_KEYS: [&str; 12] = [
    "name",
    "program",
    "period",
    "slice",
    "extra",
    "latency",
    "stack",
    "memory",
    "scheduler",
    "threads",
    "uses",
    "interrupts",
];
const THREAD_KEYS: [&str; 6] = ["name", "period", "wcet", "work", "deadline", "tickets"];
const SHARE_KEYS: [&str; 3] = ["device", "interrupt", "domains"];
const REGION_KEYS: [&str; 4] = ["name", "size", "address", "domains"];
const CHANNEL_KEYS: [&str; 2] = ["name", "ends"];

/// The most tickets a thread may hold.
const MAX_TICKETS: u64 = 1_000_000;

/// The most devices a domain's `uses` may list: each is a capability, in
/// the slots the kernel's own leave.
const MAX_USES: usize = CAP_SLOTS - KERNEL_CAPS;

/// The most interrupts a domain's `interrupts` may hold: each has an event
/// slot of its own.
const MAX_INTERRUPTS: usize = EVENT_SLOTS as usize;

/// `[image]` as read.
struct Image {
    name: Option<String>,
    board: Option<Board>,
    console: String,
    run_for_ns: Option<u64>,
}

/// A domain as read, before the cross-checks.
struct DomainDraft {
    /// How messages name it.
    label: String,
    /// Its table.
    span: Range<usize>,
    /// Its name, if valid and unique.
    name: Option<String>,
    /// Devices it uses that the board has and domains may use.
    uses: Vec<Spanned<String>>,
    /// Interrupts it takes that the board has, on devices it uses.
    interrupts: Vec<Spanned<String>>,
    /// The event slots of those interrupts (those with a valid slot).
    events: Vec<u64>,
    /// Its reservation, if its period and slice are valid.
    reservation: Option<Reservation>,
    /// The domain, if its own table is valid.
    domain: Option<Domain>,
}

/// A domain's CPU reservation as read, for admission control.
struct Reservation {
    /// The domain's name (its label if it has no valid one).
    name: String,
    /// Its share of the CPU, in parts per billion rounded up.
    share: u64,
    /// Its `slice` value.
    slice: Spanned<u64>,
    /// Its period, ns.
    period_ns: u64,
}

/// A `[[share]]` as read.
struct ShareDraft {
    label: String,
    target: Option<Spanned<ShareTarget>>,
    domains: Vec<Spanned<String>>,
}

/// A `[[region]]` as read: complete if `size` is `Some`.
struct RegionDraft {
    label: String,
    name: String,
    size: Option<Spanned<u64>>,
    address: Option<Spanned<u64>>,
    access: Vec<(String, RegionRights)>,
}

/// A `[[channel]]` as read, before its ends get event slots.
struct ChannelDraft {
    /// How messages name its `ends` key.
    ends_what: String,
    /// Its name (empty if missing or invalid).
    name: String,
    /// Its ends that name a domain and valid rights, in table order.
    ends: Vec<(Spanned<String>, ChannelRights)>,
}

/// Reads every table of the manifest under `root`, checks them against each
/// other and against the board, and returns the manifest if nothing was
/// wrong (the caller checks `problems`).
pub(super) fn read(
    root: &Section,
    path: &Path,
    programs: Option<&BTreeSet<String>>,
    problems: &mut Problems,
) -> Option<Manifest> {
    let image = read_image(root, path, problems);
    let board = image.board.as_ref();

    let domain_tables = tables_of(root, "domain", problems);
    if domain_tables.is_empty() {
        problems.global("no domains: an image needs at least one [[domain]] table");
    }
    let domain_tables = within_limit(root, "domain", domain_tables, MAX_DOMAINS, problems, |n| {
        format!("{n} domains, but an image holds at most {MAX_DOMAINS} (one per memory slot)")
    });
    let mut seen = HashMap::new();
    let drafts: Vec<DomainDraft> = domain_tables
        .checked
        .iter()
        .enumerate()
        .map(|(index, (table, span))| {
            read_domain(index, table, span.clone(), board, programs, &mut seen, problems)
        })
        .collect();
    let domains = DomainNames::new(&drafts, &domain_tables.unchecked);

    let shares: Vec<ShareDraft> = tables_of(root, "share", problems)
        .into_iter()
        .enumerate()
        .map(|(i, (table, span))| {
            read_share(i, table, span, board, &image.console, &domains, problems)
        })
        .collect();
    if let Some(board) = board {
        check_owners(board, &image.console, &drafts, &shares, problems);
    }
    // A device's registers are a region of the kernel's too (see `caps`).
    let devices: BTreeSet<&str> =
        drafts.iter().flat_map(|draft| &draft.uses).map(|used| used.get_ref().as_str()).collect();
    let region_tables = tables_of(root, "region", problems);
    let region_limit = MAX_REGIONS.saturating_sub(devices.len());
    let region_tables = within_limit(root, "region", region_tables, region_limit, problems, |n| {
        let devices = match devices.len() {
            0 => String::new(),
            1 => " and the domains use 1 device, whose registers are a region too".into(),
            used => format!(" and the domains use {used} devices, whose registers are regions too"),
        };
        format!(
            "{n} regions{devices}, but an image holds at most {MAX_REGIONS} (the kernel keeps the \
             regions a domain maps as {MAX_REGIONS}-bit sets)"
        )
    });
    let regions: Vec<RegionDraft> = read_named(region_tables.checked, "region", problems)
        .into_iter()
        .map(|(label, name, table, span)| read_region(label, name, table, span, &domains, problems))
        .collect();
    let channels: Vec<ChannelDraft> =
        read_named(tables_of(root, "channel", problems), "channel", problems)
            .into_iter()
            .map(|(label, name, table, span)| {
                read_channel(label, name, table, span, &domains, problems)
            })
            .collect();
    check_capabilities(&drafts, &channels, &regions, problems);
    let channels = assign_events(&drafts, channels, problems);

    check_admission(&drafts, problems);
    let placed = board.and_then(|board| place_regions(board, &drafts, &regions, problems));
    let domains: Option<Vec<Domain>> = drafts.into_iter().map(|draft| draft.domain).collect();

    Some(Manifest {
        name: image.name?,
        path: path.to_path_buf(),
        board: image.board?,
        console: image.console,
        run_for_ns: image.run_for_ns,
        domains: domains?,
        shares: shares
            .into_iter()
            .map(|share| {
                Some(Share {
                    target: share.target?.into_inner(),
                    domains: share.domains.into_iter().map(Spanned::into_inner).collect(),
                })
            })
            .collect::<Option<_>>()?,
        regions: placed?,
        channels: channels.into_iter().collect::<Option<_>>()?,
        // The caller sets them once every problem is known.
        warnings: Report::new(Severity::Warning, "", "", Vec::new()),
    })
}

/// Admission control: the shares of the domains whose period and slice
/// are valid must add up to at most the CPU. Domains without a valid
/// reservation only add to the total, so an overload of the others is
/// reported whatever their problems.
fn check_admission(drafts: &[DomainDraft], problems: &mut Problems) {
    let counted: Vec<&Reservation> =
        drafts.iter().filter_map(|draft| draft.reservation.as_ref()).collect();
    let total: u64 = counted.iter().map(|reservation| reservation.share).sum();
    if total <= PPB_ONE {
        return;
    }
    let shares: Vec<String> = counted
        .iter()
        .map(|reservation| format!("{} {}", reservation.name, format_share(reservation.share, 2)))
        .collect();
    let uncounted: Vec<&str> = drafts
        .iter()
        .filter(|draft| draft.reservation.is_none())
        .map(|draft| draft.label.as_str())
        .collect();
    let without = match uncounted.as_slice() {
        [] => String::new(),
        labels => format!(", not counting {} (no valid period and slice)", labels.join(", ")),
    };
    let mut problem = Problem::global(format!(
        "admission control: utilisation {} > 1{without}: {} (the slices/periods must add up to at \
         most 1)",
        format_share(total, 2),
        shares.join(", ")
    ))
    .help(format!(
        "take {} of the CPU from these domains: shorten slices or lengthen periods",
        format_share(total - PPB_ONE, 2)
    ));
    for reservation in counted {
        let label = format!(
            "{}: {} ({} every {})",
            reservation.name,
            format_share(reservation.share, 2),
            format_duration(*reservation.slice.get_ref()),
            format_duration(reservation.period_ns)
        );
        problem = problem.also(&reservation.slice.span(), label);
    }
    problems.report(problem);
}

/// The tables of the top-level array `key` (`[[key]]`).
fn tables_of<'t, 'i>(
    root: &Section<'t, 'i>,
    key: &str,
    problems: &mut Problems,
) -> Vec<(&'t DeTable<'i>, Range<usize>)> {
    match root.get(key) {
        Some(value) => array_of_tables(value, &root.what(key), problems),
        None => Vec::new(),
    }
}

/// The tables of a top-level array split at a limit on their number.
struct Limited<'t, 'i> {
    /// The tables up to the limit, which are checked.
    checked: Vec<(&'t DeTable<'i>, Range<usize>)>,
    /// The tables beyond it, which are not.
    unchecked: Vec<(&'t DeTable<'i>, Range<usize>)>,
}

/// Splits `tables`, those of the top-level array `key`, at `limit`: more
/// cannot be an image, so one problem, at the first table beyond the limit,
/// says so (`reason` of their number), and the tables beyond it are left
/// unchecked, keeping a manifest with thousands of tables as quick to check
/// as one that fits.
fn within_limit<'t, 'i>(
    root: &Section<'t, 'i>,
    key: &str,
    mut tables: Vec<(&'t DeTable<'i>, Range<usize>)>,
    limit: usize,
    problems: &mut Problems,
    reason: impl FnOnce(usize) -> String,
) -> Limited<'t, 'i> {
    let count = tables.len();
    let unchecked = tables.split_off(count.min(limit));
    if let Some((_, span)) = unchecked.first() {
        let why = reason(count);
        problems.at(
            span,
            &root.what(key),
            format!("{why}; the tables from this one on are not checked"),
        );
    }
    Limited { checked: tables, unchecked }
}

/// The domains that other tables name.
struct DomainNames<'d> {
    /// The valid names of the domains checked, in manifest order.
    names: Vec<&'d str>,
    /// The drafts of those domains, by name.
    drafts: HashMap<&'d str, &'d DomainDraft>,
    /// The names of the domains beyond [`MAX_DOMAINS`], which are not
    /// checked: the problem of their number covers every table that names
    /// one of them.
    unchecked: HashSet<&'d str>,
}

impl<'d> DomainNames<'d> {
    /// The names of `drafts` and of the `unchecked` domain tables.
    fn new<'i: 'd>(
        drafts: &'d [DomainDraft],
        unchecked: &'d [(&'d DeTable<'i>, Range<usize>)],
    ) -> Self {
        let named = drafts.iter().filter_map(|draft| Some((draft.name.as_deref()?, draft)));
        let unchecked = unchecked.iter().filter_map(|(table, _)| {
            match table.get("name").map(Spanned::get_ref) {
                Some(DeValue::String(name)) => Some(name.as_ref()),
                _ => None,
            }
        });
        Self {
            names: named.clone().map(|(name, _)| name).collect(),
            drafts: named.collect(),
            unchecked: unchecked.collect(),
        }
    }

    /// Whether `name` is a domain that is checked.
    fn contains(&self, name: &str) -> bool {
        self.drafts.contains_key(name)
    }

    /// Whether `name` is a domain beyond the limit: a table naming it has
    /// no problem of its own.
    fn is_unchecked(&self, name: &str) -> bool {
        !self.contains(name) && self.unchecked.contains(name)
    }

    /// Why `name`, which should name a domain, names none, and the help
    /// if a domain's name is close.
    fn unknown(&self, name: &str) -> (String, Option<String>) {
        unknown_domain(name, &self.names)
    }
}

/// `tables` of `kind` with a unique, valid `name`: label, name (empty if
/// missing or invalid), table and span. Reports missing, invalid and
/// repeated names.
fn read_named<'t, 'i>(
    tables: Vec<(&'t DeTable<'i>, Range<usize>)>,
    kind: &str,
    problems: &mut Problems,
) -> Vec<(String, String, &'t DeTable<'i>, Range<usize>)> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut named = Vec::new();
    for (index, (table, span)) in tables.into_iter().enumerate() {
        let label = label_of(kind, index, table);
        let name = match table.get("name") {
            None => {
                problems.at(&span, &format!("{label}, key `name`"), "missing (it is required)");
                String::new()
            }
            Some(value) => match value.get_ref() {
                DeValue::String(name) => {
                    let what = format!("{label}, key `name`");
                    if let Err(reason) = check_cap_name(name, kind) {
                        problems.at(&value.span(), &what, reason);
                        String::new()
                    } else if let Some(first) = seen.get(name.as_ref()) {
                        problems.at(
                            &value.span(),
                            &what,
                            format!(
                                "{kind} #{} has this name already (names must be unique)",
                                first + 1
                            ),
                        );
                        String::new()
                    } else {
                        seen.insert(name.to_string(), index);
                        name.to_string()
                    }
                }
                _ => String::new(), // the table's reader reports the type
            },
        };
        named.push((label, name, table, span));
    }
    named
}

/// Checks the name of a region or channel: a valid [`check_name`] that
/// fits a capability's name.
fn check_cap_name(name: &str, kind: &str) -> std::result::Result<(), String> {
    check_name(name)?;
    if name.len() > MAX_CAP_NAME_LEN {
        return Err(format!(
            "{} bytes long, but {kind} names have at most {MAX_CAP_NAME_LEN} (capabilities are \
             named after them, in 16 bytes with a terminating NUL)",
            name.len()
        ));
    }
    Ok(())
}

/// How messages name the `index`th table of `kind`: by its name if it has
/// a string one, else by its position.
fn label_of(kind: &str, index: usize, table: &DeTable) -> String {
    match table.get("name").map(Spanned::get_ref) {
        Some(DeValue::String(name)) => format!("{kind} {name:?}"),
        _ => format!("{kind} #{}", index + 1),
    }
}

fn read_image(root: &Section, path: &Path, problems: &mut Problems) -> Image {
    let section = root.table("image", problems).map(|(table, span)| {
        Section::new(table, span, "[image]".into(), "[image]", &IMAGE_KEYS, problems)
    });
    let section = section.as_ref();

    let name = match section.and_then(|s| s.string("name", problems)) {
        Some(name) => match check_image_name(name.get_ref()) {
            Ok(()) => Some(name.into_inner()),
            Err(reason) => {
                problems.at(&name.span(), "[image], key `name`", reason);
                None
            }
        },
        None => {
            let stem = path.file_stem().and_then(|stem| stem.to_str()).unwrap_or_default();
            match check_image_name(stem) {
                Ok(()) => Some(stem.to_string()),
                Err(reason) => {
                    problems.global(format!(
                        "the image is named after the file ({stem:?}), which is not a valid image \
                         name: {reason}; set [image] name"
                    ));
                    None
                }
            }
        }
    };

    let board = match section.and_then(|s| s.string("board", problems)) {
        Some(board) => board_named(board.get_ref())
            .map_err(|reason| problems.at(&board.span(), "[image], key `board`", reason))
            .ok(),
        None => board_named(DEFAULT_BOARD).map_err(|reason| problems.global(reason)).ok(),
    };

    let run_for_ns = section.and_then(|s| s.duration("run-for", false, problems)).and_then(|ns| {
        if *ns.get_ref() == 0 {
            problems.at(
                &ns.span(),
                "[image], key `run-for`",
                "must be greater than 0 (leave it out to run until halted)",
            );
            return None;
        }
        Some(ns.into_inner())
    });

    let console = section.and_then(|s| s.string("console", problems));
    if let (Some(console), Some(board)) = (&console, &board) {
        let consoles: Vec<&str> =
            board.devices.iter().filter(|d| d.console).map(|d| d.name.as_str()).collect();
        let reason = match board.device(console.get_ref()) {
            None => Some(format!(
                "no device is called {:?} on board {}; the consoles are: {}",
                console.get_ref(),
                board.name,
                consoles.join(", ")
            )),
            Some(device) if !device.console => Some(format!(
                "{} cannot be the console: the kernel has a console driver only for {}",
                device.name,
                consoles.join(", ")
            )),
            Some(_) => None,
        };
        if let Some(reason) = reason {
            problems.at(&console.span(), "[image], key `console`", reason);
        }
    }
    let console = console.map_or_else(|| DEFAULT_CONSOLE.to_string(), Spanned::into_inner);
    Image { name, board, console, run_for_ns }
}

/// Reads one `[[domain]]`.
fn read_domain(
    index: usize,
    table: &DeTable,
    span: Range<usize>,
    board: Option<&Board>,
    programs: Option<&BTreeSet<String>>,
    seen: &mut HashMap<String, (usize, Range<usize>)>,
    problems: &mut Problems,
) -> DomainDraft {
    let label = label_of("domain", index, table);
    let s =
        Section::new(table, span.clone(), label.clone(), "a [[domain]]", &DOMAIN_KEYS, problems);
    let before = problems.count();

    let name = s.required_string("name", problems).and_then(|name| {
        let what = s.what("name");
        if let Err(reason) = check_name(name.get_ref()) {
            problems.at(&name.span(), &what, reason);
            None
        } else if let Some((first, first_span)) = seen.get(name.get_ref()) {
            let reason =
                format!("domain #{} has this name already (names must be unique)", first + 1);
            let problem = Problem::at(&name.span(), &what, reason)
                .also(first_span, format!("domain #{} is named here", first + 1));
            problems.report(problem);
            None
        } else {
            seen.insert(name.get_ref().clone(), (index, name.span()));
            Some(name.into_inner())
        }
    });
    let program = s.required_string("program", problems).and_then(|program| {
        let Some(programs) = programs else {
            return Some(program.into_inner());
        };
        if programs.contains(program.get_ref()) {
            return Some(program.into_inner());
        }
        let known: Vec<&str> = programs.iter().map(String::as_str).collect();
        let help = did_you_mean(program.get_ref(), &known, |close| format!("{close:?}"));
        // The list of programs is long; a close one is all a typo needs.
        let list = match (&help, known.is_empty()) {
            (Some(_), _) => String::new(),
            (None, true) => {
                "; the programs are: none (no crate under domains/ has a binary)".into()
            }
            (None, false) => format!("; the programs are: {}", known.join(", ")),
        };
        let reason = format!("no domain program is called {:?}{list}", program.get_ref());
        problems.report(Problem::at(&program.span(), &s.what("program"), reason).maybe_help(help));
        None
    });
    let period = s.required_duration("period", problems);
    let slice = s.required_duration("slice", problems);
    let extra = s.bool("extra", problems).unwrap_or(false);
    let latency = s.duration("latency", true, problems);
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
    let mut reservation = None;
    if let (Some(period), Some(slice)) = (&period, &slice) {
        if slice.get_ref() <= period.get_ref() {
            reservation = Some(Reservation {
                name: name.clone().unwrap_or_else(|| s.label.clone()),
                share: share_ppb(*slice.get_ref(), *period.get_ref()),
                slice: slice.clone(),
                period_ns: *period.get_ref(),
            });
        } else {
            problems.at(
                &slice.span(),
                &s.what("slice"),
                format!(
                    "{} is longer than the period ({}): a slice is the part of each period the \
                     domain is guaranteed",
                    format_duration(*slice.get_ref()),
                    format_duration(*period.get_ref())
                ),
            );
        }
    }

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
    let sizes_span = memory.as_ref().or(stack.as_ref()).map_or(span.clone(), Spanned::span);
    let sizes_key = if memory.is_some() { "memory" } else { "stack" };
    let valid_sizes = (s.get("stack").is_none() || stack.is_some())
        && (s.get("memory").is_none() || memory.is_some());
    let stack_bytes = stack.map_or(0, Spanned::into_inner);
    let memory_bytes = memory.map_or(0, Spanned::into_inner);
    let layout = valid_sizes.then(|| DomainLayout::new(index, stack_bytes, memory_bytes)).and_then(
        |layout| layout.map_err(|reason| problems.at(&sizes_span, &s.what(sizes_key), reason)).ok(),
    );

    let scheduler = match s.string("scheduler", problems) {
        None => Some(Scheduler::Fifo),
        Some(name) => Scheduler::named(name.get_ref()).or_else(|| {
            let known: Vec<&str> = Scheduler::ALL.iter().map(|(_, name)| *name).collect();
            let reason = format!(
                "no scheduler is called {:?}; the schedulers are: {}",
                name.get_ref(),
                known.join(", ")
            );
            let help = did_you_mean(name.get_ref(), &known, |close| format!("{close:?}"));
            problems
                .report(Problem::at(&name.span(), &s.what("scheduler"), reason).maybe_help(help));
            None
        }),
    };
    let threads = read_threads(&s, problems);
    if let Some(value) = s.get("threads").filter(|_| !threads.is_empty()) {
        let what = s.what("threads");
        if let Some(program) = s.get("program") {
            warn_unrun_threads(program, &value.span(), &what, problems);
        }
        if let Some(reservation) = &reservation {
            warn_overloaded_threads(&threads, reservation, &value.span(), &what, problems);
        }
    }
    let uses = read_uses(&s, board, problems);
    let (interrupts, routes) = read_interrupts(&s, board, &uses, problems);
    let events = routes.iter().map(|route| route.event).collect();

    let sizes_at = problems.locate(&sizes_span);
    let clean = problems.count() == before;
    let domain = (|| {
        let period_ns = period?.into_inner();
        Some(Domain {
            name: name.clone()?,
            program: program?,
            period_ns,
            slice_ns: slice?.into_inner(),
            extra,
            latency_ns: latency.map_or(period_ns, Spanned::into_inner),
            stack_bytes,
            memory_bytes,
            scheduler: scheduler?,
            threads,
            uses: uses.iter().map(|u| u.get_ref().clone()).collect(),
            interrupts: routes,
            layout: layout?,
            sizes_at,
        })
    })()
    .filter(|_| clean);
    DomainDraft { label, span, name, uses, interrupts, events, reservation, domain }
}

/// Warns if `program` (a domain's `program` value) is not one of the
/// [`THREAD_PROGRAMS`]: the threads at `threads` would never start.
fn warn_unrun_threads(
    program: &Spanned<DeValue>,
    threads: &Range<usize>,
    what: &str,
    problems: &mut Problems,
) {
    let DeValue::String(name) = program.get_ref() else { return };
    if THREAD_PROGRAMS.contains(&name.as_ref()) {
        return;
    }
    let problem = Problem::at(
        threads,
        what,
        format!(
            "program {name} does not run the manifest's threads: they would never start (the \
             programs that run them: {})",
            THREAD_PROGRAMS.join(", ")
        ),
    )
    .also(&program.span(), format!("{name} starts threads of its own, if any"))
    .help(format!(
        "give the threads to a program that runs them (program = {:?}), or leave out `threads`",
        THREAD_PROGRAMS[0]
    ));
    problems.warn(problem);
}

/// Warns if the periodic `threads` of a domain need more of the CPU than
/// its `reservation` guarantees: the sum of their `wcet / period` (threads
/// without a period release one job, so need no steady share) is over
/// `slice / period`, and some jobs would miss their deadlines.
fn warn_overloaded_threads(
    threads: &[Thread],
    reservation: &Reservation,
    span: &Range<usize>,
    what: &str,
    problems: &mut Problems,
) {
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
            "a slice of {} would cover them (or give the threads less work or longer periods)",
            format_duration(slice_ns)
        )
    } else {
        "they need more than the whole period: give the threads less work or longer periods"
            .to_string()
    };
    let slice = &reservation.slice;
    let problem = Problem::at(
        span,
        what,
        format!(
            "the threads need {} of the CPU ({}), more than the domain's share of {}: some jobs \
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

/// Reads a domain's `threads`.
fn read_threads(domain: &Section, problems: &mut Problems) -> Vec<Thread> {
    let mut tables = domain.tables("threads", problems);
    let count = tables.len();
    let beyond = tables.split_off(count.min(MAX_THREADS));
    if let Some((_, span)) = beyond.first() {
        problems.at(
            span,
            &domain.what("threads"),
            format!(
                "{count} threads, but a domain has at most {MAX_THREADS} (what its DCB holds); \
                 the threads from this one on are not checked"
            ),
        );
    }
    let mut seen = HashSet::new();
    let mut threads = Vec::new();
    for (index, (table, span)) in tables.into_iter().enumerate() {
        let label = format!("{}, {}", domain.label, label_of("thread", index, table));
        let s = Section::new(table, span, label, "a thread", &THREAD_KEYS, problems);
        let name = s.required_string("name", problems).and_then(|name| {
            let reason = match check_name(name.get_ref()) {
                Err(reason) => reason,
                Ok(()) if name.get_ref().len() > MAX_THREAD_NAME_LEN => format!(
                    "{} bytes long, but thread names have at most {MAX_THREAD_NAME_LEN}",
                    name.get_ref().len()
                ),
                Ok(()) if !seen.insert(name.get_ref().clone()) => {
                    "another thread of this domain has this name (names must be unique)".into()
                }
                Ok(()) => return Some(name.into_inner()),
            };
            problems.at(&name.span(), &s.what("name"), reason);
            None
        });
        let period = s.duration("period", true, problems);
        // `work` is another name for `wcet` (the simulator's task sets use it).
        let wcet_key =
            if s.get("wcet").is_none() && s.get("work").is_some() { "work" } else { "wcet" };
        if s.get("wcet").is_some() && s.get("work").is_some() {
            if let Some(work) = s.get("work") {
                problems.at(
                    &work.span(),
                    &s.what("work"),
                    "`work` and `wcet` are the same key: give one",
                );
            }
        }
        let wcet = s.required_duration(wcet_key, problems);
        let deadline = s.duration("deadline", true, problems);
        let tickets =
            s.integer("tickets", 1..=MAX_TICKETS, problems).map(|tickets| tickets.into_inner());
        let period_ns = period.as_ref().map(|period| *period.get_ref());
        if let (Some(deadline), Some(period)) = (&deadline, period_ns) {
            if *deadline.get_ref() > period {
                problems.at(
                    &deadline.span(),
                    &s.what("deadline"),
                    format!(
                        "{} is longer than the period ({}): a job's deadline comes before the \
                         next job's release",
                        format_duration(*deadline.get_ref()),
                        format_duration(period)
                    ),
                );
            }
        }
        let deadline_ns = deadline.as_ref().map(|deadline| *deadline.get_ref()).or(period_ns);
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
        if let (Some(name), Some(wcet)) = (name, wcet) {
            threads.push(Thread {
                name,
                period_ns,
                wcet_ns: wcet.into_inner(),
                deadline_ns,
                tickets: tickets.unwrap_or(DEFAULT_TICKETS),
            });
        }
    }
    threads
}

/// Reads a domain's `uses`: the devices it names that exist and that
/// domains may use.
fn read_uses(
    domain: &Section,
    board: Option<&Board>,
    problems: &mut Problems,
) -> Vec<Spanned<String>> {
    let mut uses: Vec<Spanned<String>> = Vec::new();
    let mut devices = domain.strings("uses", problems);
    let count = devices.len();
    let beyond = devices.split_off(count.min(MAX_USES));
    if let Some(device) = beyond.first() {
        problems.at(
            &device.span(),
            &domain.what("uses"),
            format!(
                "{count} devices, but a domain's capability table has {CAP_SLOTS} slots, \
                 {KERNEL_CAPS} of them the kernel's; the devices from this one on are not checked"
            ),
        );
    }
    for device in devices {
        let what = domain.what("uses");
        if uses.iter().any(|used| used.get_ref() == device.get_ref()) {
            problems.at(&device.span(), &what, format!("{} is listed twice", device.get_ref()));
            continue;
        }
        let Some(board) = board else { continue };
        match board.device(device.get_ref()) {
            None => {
                let usable: Vec<&str> =
                    board.devices.iter().filter(|d| !d.kernel).map(|d| d.name.as_str()).collect();
                let reason = format!(
                    "no device is called {:?} on board {}; its devices are: {}",
                    device.get_ref(),
                    board.name,
                    usable.join(", ")
                );
                let help = did_you_mean(device.get_ref(), &usable, |close| format!("{close:?}"));
                problems.report(Problem::at(&device.span(), &what, reason).maybe_help(help));
            }
            Some(found) if found.kernel => problems.at(
                &device.span(),
                &what,
                format!(
                    "{} ({}) belongs to the kernel: no domain may use it",
                    found.name, found.description
                ),
            ),
            Some(found) => {
                if let Some(kernel) = board.kernel_device_near(found) {
                    let pages = found.pages();
                    problems.at(
                        &device.span(),
                        &what,
                        format!(
                            "{} shares a page with {}, which belongs to the kernel: a domain maps \
                             a device by whole 4KiB pages ({:#x}-{:#x}), so it would reach the \
                             kernel's registers ({:#x}-{:#x})",
                            found.name,
                            kernel.name,
                            pages.start,
                            pages.end,
                            kernel.base,
                            kernel.registers().end
                        ),
                    );
                }
                uses.push(device);
            }
        }
    }
    uses
}

/// Reads a domain's `interrupts` table: `"DEVICE.NAME" = event slot`.
/// Returns the interrupts that exist on devices the domain uses, and their
/// routes (by event slot).
fn read_interrupts(
    domain: &Section,
    board: Option<&Board>,
    uses: &[Spanned<String>],
    problems: &mut Problems,
) -> (Vec<Spanned<String>>, Vec<InterruptRoute>) {
    let mut taken = Vec::new();
    let mut routes = Vec::new();
    let Some((table, _)) = domain.table("interrupts", problems) else {
        return (taken, routes);
    };
    let what = domain.what("interrupts");
    // The table iterates by key; "from this one on" means in the file.
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    let beyond = entries.split_off(entries.len().min(MAX_INTERRUPTS));
    if let Some((key, _)) = beyond.first() {
        problems.at(
            &key.span(),
            &what,
            format!(
                "{} interrupts, but a domain has {EVENT_SLOTS} event slots, one for each interrupt \
                 it takes; the interrupts from this one on are not checked",
                table.len()
            ),
        );
    }
    let mut slots: BTreeMap<u64, String> = BTreeMap::new();
    for (key, value) in entries {
        let name = key.get_ref().as_ref();
        let slot = integer_value(value, 0..=EVENT_SLOTS - 1)
            .map_err(|reason| {
                problems.at(
                    &value.span(),
                    &format!("{what}, interrupt {name}"),
                    format!("the event slot {reason}"),
                )
            })
            .ok();
        if let Some(slot) = &slot {
            if let Some(other) = slots.insert(*slot.get_ref(), name.to_string()) {
                problems.at(
                    &slot.span(),
                    &what,
                    format!("{name} and {other} both use event slot {}", slot.get_ref()),
                );
            }
        }
        let Some(board) = board else { continue };
        let Some(interrupt) = board.interrupt(name) else {
            problems.at(&key.span(), &what, unknown_interrupt(board, name));
            continue;
        };
        if !uses.iter().any(|device| device.get_ref() == &interrupt.device.name) {
            problems.at(
                &key.span(),
                &what,
                format!(
                    "{name} is an interrupt of {}, which this domain does not list in `uses`",
                    interrupt.device.name
                ),
            );
            continue;
        }
        taken.push(Spanned::new(key.span(), name.to_string()));
        if let Some(slot) = slot {
            routes.push(InterruptRoute {
                interrupt: name.to_string(),
                number: interrupt.number,
                event: slot.into_inner(),
            });
        }
    }
    routes.sort_by_key(|route| route.event);
    (taken, routes)
}

/// Why `name` is not an interrupt of `board`.
fn unknown_interrupt(board: &Board, name: &str) -> String {
    let device_name = name.split_once('.').map_or(name, |(device, _)| device);
    match board.device(device_name) {
        Some(device) if device.interrupts.is_empty() => {
            format!("{} has no interrupts a domain may take", device.name)
        }
        Some(device) => {
            let names: Vec<String> =
                device.interrupts.keys().map(|irq| format!("{}.{irq}", device.name)).collect();
            format!(
                "no interrupt is called {name:?}: interrupts are named DEVICE.NAME, and those of \
                 {} are {}",
                device.name,
                names.join(", ")
            )
        }
        None => format!(
            "no interrupt is called {name:?}: interrupts are named DEVICE.NAME, and board {} \
             has no device {device_name:?}",
            board.name
        ),
    }
}

/// Reads one `[[share]]`.
fn read_share(
    index: usize,
    table: &DeTable,
    span: Range<usize>,
    board: Option<&Board>,
    console: &str,
    known: &DomainNames,
    problems: &mut Problems,
) -> ShareDraft {
    let label = format!("share #{}", index + 1);
    let s = Section::new(table, span.clone(), label.clone(), "a [[share]]", &SHARE_KEYS, problems);
    let device = s.string("device", problems);
    let interrupt = s.string("interrupt", problems);
    let target = match (device, interrupt) {
        (Some(_), Some(interrupt)) => {
            problems.at(
                &interrupt.span(),
                &s.what("interrupt"),
                "give `device` or `interrupt`, not both",
            );
            None
        }
        (None, None) => {
            if s.get("device").is_none() && s.get("interrupt").is_none() {
                problems.at(
                    &span,
                    &s.what("device"),
                    "missing: a share names a `device` or an `interrupt`",
                );
            }
            None
        }
        (Some(device), None) => {
            let known = board.map(|board| board.device(device.get_ref()));
            match known {
                Some(None) => {
                    problems.at(
                        &device.span(),
                        &s.what("device"),
                        format!("no device is called {:?} on this board", device.get_ref()),
                    );
                    None
                }
                Some(Some(found)) if found.kernel => {
                    problems.at(
                        &device.span(),
                        &s.what("device"),
                        format!("{} belongs to the kernel: it cannot be shared", found.name),
                    );
                    None
                }
                _ => Some(Spanned::new(device.span(), ShareTarget::Device(device.into_inner()))),
            }
        }
        (None, Some(interrupt)) => match board {
            Some(board) if board.interrupt(interrupt.get_ref()).is_none() => {
                let reason = unknown_interrupt(board, interrupt.get_ref());
                problems.at(&interrupt.span(), &s.what("interrupt"), reason);
                None
            }
            _ => {
                Some(Spanned::new(interrupt.span(), ShareTarget::Interrupt(interrupt.into_inner())))
            }
        },
    };
    if s.get("domains").is_none() {
        s.missing("domains", problems);
    }
    let mut domains: Vec<Spanned<String>> = Vec::new();
    // Domains beyond the limit count towards the sharers, so that the
    // limit's problem is the only one.
    let mut unchecked = 0;
    for name in s.strings("domains", problems) {
        if known.is_unchecked(name.get_ref()) {
            unchecked += 1;
            continue;
        }
        let what = s.what("domains");
        let draft = known.drafts.get(name.get_ref().as_str());
        // `domains` holds each checked domain once, so at most MAX_DOMAINS.
        let problem = if domains.iter().any(|listed| listed.get_ref() == name.get_ref()) {
            Some((format!("{} is listed twice", name.get_ref()), None))
        } else {
            match (draft, target.as_ref().map(Spanned::get_ref)) {
                (None, _) => Some(known.unknown(name.get_ref())),
                (Some(draft), Some(ShareTarget::Device(device)))
                    if !draft.uses.iter().any(|used| used.get_ref() == device) =>
                {
                    let reason = format!(
                        "domain {:?} does not use {device} (its `uses` does not list it), so it \
                         cannot share it",
                        name.get_ref()
                    );
                    Some((reason, None))
                }
                (Some(draft), Some(ShareTarget::Interrupt(interrupt)))
                    if !draft.interrupts.iter().any(|taken| taken.get_ref() == interrupt) =>
                {
                    let reason = format!(
                        "domain {:?} does not take {interrupt} (its `interrupts` does not list \
                         it), so it cannot share it",
                        name.get_ref()
                    );
                    Some((reason, None))
                }
                _ => None,
            }
        };
        match problem {
            Some((reason, help)) => {
                problems.report(Problem::at(&name.span(), &what, reason).maybe_help(help));
            }
            None => domains.push(name),
        }
    }
    if let Some(target) = &target {
        let with_kernel = *target.get_ref() == ShareTarget::Device(console.to_string());
        let least = if with_kernel { 1 } else { 2 };
        if s.get("domains").is_some() && domains.len() + unchecked < least {
            let reason = if with_kernel {
                "must list at least one domain (the console is shared with the kernel)".to_string()
            } else {
                "must list at least two domains: sharing takes two".to_string()
            };
            problems.at(&s.get("domains").map_or(span, |v| v.span()), &s.what("domains"), reason);
        }
    }
    ShareDraft { label, target, domains }
}

/// Why `name`, which should name a domain, names none of `names`, and
/// the help if one of them is close.
fn unknown_domain(name: &str, names: &[&str]) -> (String, Option<String>) {
    let reason = format!("no domain is called {name:?}; the domains are: {}", names.join(", "));
    (reason, did_you_mean(name, names, |close| format!("{close:?}")))
}

/// Checks that each device and interrupt has one owner, unless a share
/// lists every domain that uses it; the console device is the kernel's, so
/// any domain that uses it needs a share.
fn check_owners(
    board: &Board,
    console: &str,
    drafts: &[DomainDraft],
    shares: &[ShareDraft],
    problems: &mut Problems,
) {
    // The first share of each target is the one that counts.
    let mut first_shares: HashMap<&ShareTarget, &ShareDraft> = HashMap::new();
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
    let sharers = |target: &ShareTarget| -> Option<Vec<&str>> {
        let share = first_shares.get(target)?;
        Some(share.domains.iter().map(|d| d.get_ref().as_str()).collect())
    };
    for device in &board.devices {
        let users: Vec<(&str, &Spanned<String>)> = drafts
            .iter()
            .filter_map(|draft| {
                let name = draft.name.as_deref()?;
                Some((name, draft.uses.iter().find(|used| *used.get_ref() == device.name)?))
            })
            .collect();
        let is_console = device.name == console;
        let target = ShareTarget::Device(device.name.clone());
        report_unshared(&users, "uses", is_console, sharers(&target), problems, |users| {
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
    let interrupts: BTreeSet<&str> = drafts
        .iter()
        .flat_map(|draft| draft.interrupts.iter().map(|taken| taken.get_ref().as_str()))
        .collect();
    for interrupt in interrupts {
        let users: Vec<(&str, &Spanned<String>)> = drafts
            .iter()
            .filter_map(|draft| {
                let name = draft.name.as_deref()?;
                Some((name, draft.interrupts.iter().find(|taken| taken.get_ref() == interrupt)?))
            })
            .collect();
        let target = ShareTarget::Interrupt(interrupt.to_string());
        report_unshared(&users, "interrupts", false, sharers(&target), problems, |users| {
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

/// Reads one `[[region]]` (its name already checked).
fn read_region(
    label: String,
    name: String,
    table: &DeTable,
    span: Range<usize>,
    domains: &DomainNames,
    problems: &mut Problems,
) -> RegionDraft {
    let s = Section::new(table, span, label.clone(), "a [[region]]", &REGION_KEYS, problems);
    let _ = s.string("name", problems);
    if s.get("size").is_none() {
        s.missing("size", problems);
    }
    let size = s.size("size", problems).and_then(|size| {
        let reason = match *size.get_ref() {
            0 => "must be greater than 0".to_string(),
            bytes => match check_pages(bytes) {
                Ok(()) => return Some(size),
                Err(reason) => reason,
            },
        };
        problems.at(&size.span(), &s.what("size"), reason);
        None
    });
    let address = s.integer("address", 0..=u64::MAX, problems).and_then(|address| {
        if address.get_ref().is_multiple_of(PAGE_SIZE) {
            return Some(address);
        }
        problems.at(
            &address.span(),
            &s.what("address"),
            format!("{:#x} is not page-aligned (a multiple of 0x1000)", address.get_ref()),
        );
        None
    });
    let mut access = Vec::new();
    if s.get("domains").is_none() {
        s.missing("domains", problems);
    }
    if let Some((table, table_span)) = s.table("domains", problems) {
        if table.is_empty() {
            problems.at(&table_span, &s.what("domains"), "must name at least one domain");
        }
        for (domain, value) in table.iter() {
            let domain_name = domain.get_ref().as_ref();
            if !domains.contains(domain_name) {
                if !domains.is_unchecked(domain_name) {
                    let (reason, help) = domains.unknown(domain_name);
                    let problem = Problem::at(&domain.span(), &s.what("domains"), reason);
                    problems.report(problem.maybe_help(help));
                }
                continue;
            }
            let rights = named(
                value.get_ref(),
                &[("r", RegionRights::Read), ("rw", RegionRights::ReadWrite)],
            );
            match rights {
                Some(rights) => access.push((domain_name.to_string(), rights)),
                None => problems.at(
                    &value.span(),
                    &format!("{}, domain {domain_name:?}", s.what("domains")),
                    "rights must be \"r\" (read) or \"rw\" (read and write)",
                ),
            }
        }
    }
    RegionDraft { label, name, size, address, access }
}

/// The value of `choices` whose name the string `value` is, if any.
fn named<T: Copy>(value: &DeValue<'_>, choices: &[(&str, T)]) -> Option<T> {
    let DeValue::String(text) = value else { return None };
    choices.iter().find(|(name, _)| *name == text.as_ref()).map(|&(_, choice)| choice)
}

/// Reads one `[[channel]]` (its name already checked).
fn read_channel(
    label: String,
    name: String,
    table: &DeTable,
    span: Range<usize>,
    domains: &DomainNames,
    problems: &mut Problems,
) -> ChannelDraft {
    let s = Section::new(table, span, label, "a [[channel]]", &CHANNEL_KEYS, problems);
    let _ = s.string("name", problems);
    if s.get("ends").is_none() {
        s.missing("ends", problems);
    }
    let mut ends = Vec::new();
    let ends_what = s.what("ends");
    let Some((table, table_span)) = s.table("ends", problems) else {
        return ChannelDraft { ends_what, name, ends };
    };
    if table.len() != 2 {
        problems.at(
            &table_span,
            &s.what("ends"),
            format!(
                "a channel has exactly two ends, each a domain and its rights (found {})",
                table.len()
            ),
        );
    }
    for (domain, value) in table.iter() {
        let domain_name = domain.get_ref().as_ref();
        if !domains.contains(domain_name) {
            if !domains.is_unchecked(domain_name) {
                let (reason, help) = domains.unknown(domain_name);
                let reason = format!("the end {domain_name:?}: {reason}");
                problems
                    .report(Problem::at(&domain.span(), &s.what("ends"), reason).maybe_help(help));
            }
            continue;
        }
        let rights = named(
            value.get_ref(),
            &[
                ("send", ChannelRights::Send),
                ("receive", ChannelRights::Receive),
                ("send-receive", ChannelRights::SendReceive),
            ],
        );
        match rights {
            Some(rights) => {
                ends.push((Spanned::new(domain.span(), domain_name.to_string()), rights));
            }
            None => problems.at(
                &value.span(),
                &format!("{}, end {domain_name:?}", s.what("ends")),
                "rights must be \"send\", \"receive\" or \"send-receive\"",
            ),
        }
    }
    if let [(_, a), (_, b)] = ends.as_slice() {
        if !(a.sends() && b.receives() || b.sends() && a.receives()) {
            problems.at(
                &table_span,
                &s.what("ends"),
                "neither end may send to the other: one end needs \"send\" and the other \"receive\"",
            );
        }
    }
    ChannelDraft { ends_what, name, ends }
}

/// Gives every channel end an event slot in its domain's DCB: the lowest
/// slot that neither the domain's interrupts nor its ends of earlier
/// channels (in manifest order, each channel's ends in table order) use.
/// Reports a domain whose interrupts and channel ends need more than
/// [`EVENT_SLOTS`], at its first end left without one. Returns the complete
/// channels.
fn assign_events(
    drafts: &[DomainDraft],
    channels: Vec<ChannelDraft>,
    problems: &mut Problems,
) -> Vec<Option<Channel>> {
    let mut used: HashMap<&str, u64> = HashMap::new();
    let mut interrupts: HashMap<&str, usize> = HashMap::new();
    for draft in drafts {
        let Some(name) = draft.name.as_deref() else { continue };
        used.insert(name, draft.events.iter().fold(0, |set, slot| set | 1 << slot));
        interrupts.insert(name, draft.events.len());
    }
    let mut ends_of: HashMap<String, usize> = HashMap::new();
    for (domain, _) in channels.iter().flat_map(|channel| &channel.ends) {
        *ends_of.entry(domain.get_ref().clone()).or_default() += 1;
    }
    let mut reported = HashSet::new();
    let mut complete = Vec::new();
    for channel in channels {
        let mut ends = Vec::new();
        for (domain, rights) in &channel.ends {
            let name = domain.get_ref().as_str();
            // Ends name domains of the manifest (see `read_channel`).
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
                None if reported.insert(name.to_string()) => {
                    let taken = interrupts.get(name).copied().unwrap_or(0);
                    let ends = ends_of.get(name).copied().unwrap_or(0);
                    problems.at(
                        &domain.span(),
                        &channel.ends_what,
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
        complete.push(match ends {
            Some(ends) if !channel.name.is_empty() => Some(Channel { name: channel.name, ends }),
            _ => None,
        });
    }
    complete
}

/// Checks that each domain's capabilities fit its table: the kernel's
/// [`KERNEL_CAPS`], then one per device in `uses`, interrupt, channel end
/// and region the domain maps.
fn check_capabilities(
    drafts: &[DomainDraft],
    channels: &[ChannelDraft],
    regions: &[RegionDraft],
    problems: &mut Problems,
) {
    let mut ends_of: HashMap<&str, usize> = HashMap::new();
    for (domain, _) in channels.iter().flat_map(|channel| &channel.ends) {
        *ends_of.entry(domain.get_ref()).or_default() += 1;
    }
    // A region's `domains` table names each domain once.
    let mut mapped_by: HashMap<&str, usize> = HashMap::new();
    for (domain, _) in regions.iter().flat_map(|region| &region.access) {
        *mapped_by.entry(domain).or_default() += 1;
    }
    for draft in drafts {
        let Some(name) = draft.name.as_deref() else { continue };
        let ends = ends_of.get(name).copied().unwrap_or(0);
        let mapped = mapped_by.get(name).copied().unwrap_or(0);
        let (uses, interrupts) = (draft.uses.len(), draft.interrupts.len());
        let total = KERNEL_CAPS + uses + interrupts + ends + mapped;
        if total > CAP_SLOTS {
            problems.at(
                &draft.span,
                &draft.label,
                format!(
                    "needs {total} capabilities, but a domain's table has {CAP_SLOTS} slots: \
                     {KERNEL_CAPS} the kernel adds (self, reservation), {uses} for devices \
                     (`uses`), {interrupts} for `interrupts`, {ends} for channel ends and \
                     {mapped} for regions"
                ),
            );
        }
    }
}

/// Places the regions in the address space and checks the whole image
/// against the board's RAM: regions with an `address` where they say
/// (page-aligned, in RAM, clear of the kernel, the slots and each other),
/// the others first-fit from [`REGION_AREA_BASE`]. The first slots are the
/// domains' (one per draft, valid or not). Returns the regions if every
/// one is complete and placed.
fn place_regions(
    board: &Board,
    drafts: &[DomainDraft],
    regions: &[RegionDraft],
    problems: &mut Problems,
) -> Option<Vec<Region>> {
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
    // What lies where, and where the manifest asks for it (not for the
    // kernel's area).
    let mut taken: Vec<(AddressRange, String, Option<Range<usize>>)> =
        vec![(KERNEL_AREA, "the kernel and firmware area".to_string(), None)];
    for (index, draft) in drafts.iter().enumerate() {
        let owner = match &draft.name {
            Some(name) => format!("domain {name:?}"),
            None => format!("domain #{}", index + 1),
        };
        let range = AddressRange { start: slot_base(index), end: slot_base(index + 1) };
        taken.push((range, format!("the slot of {owner}"), Some(draft.span.clone())));
    }
    let mut placed: Vec<Option<Region>> = vec![None; regions.len()];
    let describe = |range: AddressRange| format!("{:#x}-{:#x}", range.start, range.end);
    // Fixed regions first, in manifest order; then the others.
    for (index, region) in regions.iter().enumerate() {
        let (Some(size), Some(address)) = (&region.size, &region.address) else { continue };
        let Some(end) = address.get_ref().checked_add(*size.get_ref()) else {
            problems.at(
                &address.span(),
                &format!("{}, key `address`", region.label),
                "the region wraps around the address space",
            );
            continue;
        };
        let range = AddressRange { start: *address.get_ref(), end };
        let what = format!("{}, key `address`", region.label);
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
            continue;
        }
        if let Some((other, owner, at)) = taken.iter().find(|(other, ..)| other.overlaps(&range)) {
            let reason = format!("{} overlaps {owner} ({})", describe(range), describe(*other));
            let mut problem = Problem::at(&address.span(), &what, reason);
            if let Some(at) = at {
                problem = problem.also(at, format!("{owner}: {}", describe(*other)));
            }
            problems.report(problem);
            continue;
        }
        taken.push((range, format!("region {:?}", region.name), Some(address.span())));
        placed[index] = Some(region_at(region, range, true));
    }
    let mut used: u64 = taken.iter().map(|(range, ..)| range.len()).sum();
    for (index, region) in regions.iter().enumerate() {
        let (Some(size), None) = (&region.size, &region.address) else { continue };
        let ranges: Vec<AddressRange> = taken.iter().map(|(range, ..)| *range).collect();
        match first_fit(&ranges, *size.get_ref(), REGION_AREA_BASE, REGION_ALIGN, ram.end) {
            Some(start) => {
                let range = AddressRange { start, end: start + size.get_ref() };
                used += range.len();
                taken.push((range, format!("region {:?}", region.name), None));
                placed[index] = Some(region_at(region, range, false));
            }
            None => problems.at(
                &size.span(),
                &format!("{}, key `size`", region.label),
                format!(
                    "the image is larger than RAM: no room for {} from {REGION_AREA_BASE:#x} up \
                     to the end of board {}'s ARM RAM at {:#x} ({} already taken by the kernel, \
                     the slots and the other regions)",
                    format_size(*size.get_ref()),
                    board.name,
                    ram.end,
                    format_size(used)
                ),
            ),
        }
    }
    placed.into_iter().collect()
}

/// A complete region draft placed at `range`.
fn region_at(draft: &RegionDraft, range: AddressRange, fixed: bool) -> Region {
    let mut access = draft.access.clone();
    access.sort();
    Region { name: draft.name.clone(), range, fixed, access }
}
