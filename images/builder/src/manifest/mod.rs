//! Image manifests: the TOML file that describes a whole system, checked
//! against the board it is for. `docs/manifest.md` documents every key.
//!
//! ```toml
//! [image]
//! run-for = "500ms"   # optional: stop after this much virtual time
//!
//! [[domain]]
//! name = "a"          # 1 to 31 bytes of [A-Za-z0-9_-], unique
//! program = "spin"    # a binary of a crate under domains/
//! period = "10ms"
//! slice = "2ms"       # 0 < slice <= period
//! uses = ["gpio"]     # devices of the board
//! ```
//!
//! Validation reports every problem it finds at once, each naming the file,
//! line and column, the table (domain, region, ...) and the key, the
//! reason and, where a fix is known, the fix (see [`Report`], which also
//! renders them the way rustc shows its errors). Checks across tables run
//! over the tables that were read even when others have errors. A valid
//! manifest may still carry warnings ([`Manifest::warnings`]).
//!
//! Devices, interrupts, shared regions and channels become the
//! domains' capabilities (see [`crate::caps`]); validation also gives each
//! channel end an event slot and checks that every domain's capabilities,
//! event slots and capability names fit the kernel's tables.
//!
//! More tables than an image can hold (domains, regions, and a domain's
//! threads, devices and interrupts) are one problem, at the first table
//! beyond the limit, and the tables from there on are not checked: a
//! manifest with thousands of them is refused as quickly as one that fits,
//! and the problems it lists are the ones worth reading.

mod checks;
mod read;
mod reader;
mod report;
mod rules;

pub use reader::Location;
pub use report::{Problem, Report, Severity};

use crate::board::{AddressRange, Board};
use crate::layout::DomainLayout;
use crate::units::share_ppb;
use anyhow::{Context, Result};
use reader::{Problems, Section};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use toml::de::DeTable;

/// The longest domain name, in bytes: the name is copied NUL-padded into the
/// 32-byte `name` field of the domain control block.
pub const MAX_NAME_LEN: usize = 31;

/// Event slots in a domain's DCB (`0..EVENT_SLOTS`): each interrupt it
/// takes and each channel end it holds counts its events in one.
pub const EVENT_SLOTS: u64 = vesper_abi::cap::EVENT_SLOTS as u64;

/// Slots in a domain's capability table.
pub const CAP_SLOTS: usize = vesper_abi::cap::CAP_SLOTS;

/// Capabilities the kernel gives every domain before the manifest's (see
/// `vesper_abi::cap::KERNEL_CAP_NAMES`).
pub const KERNEL_CAPS: usize = vesper_abi::cap::KERNEL_CAPS;

/// The longest region or channel name, in bytes: a capability is named
/// after its region, channel, device or interrupt, NUL-padded into the 16
/// bytes of its entry in the DCB's table mirror.
pub const MAX_CAP_NAME_LEN: usize = vesper_abi::cap::MAX_CAP_NAME_LEN;

/// The most threads a manifest declares for one domain: what its DCB
/// holds.
pub const MAX_THREADS: usize = vesper_abi::dcb::MAX_THREAD_SPECS;

/// The longest thread name, in bytes (NUL-padded into 16 bytes of the DCB).
pub const MAX_THREAD_NAME_LEN: usize = 15;

/// A thread's tickets when the manifest gives none: the schedulers' own
/// default, so that `tickets = 300` means three times a default thread.
pub const DEFAULT_TICKETS: u64 = vesper_schedulers::DEFAULT_TICKETS as u64;

/// The console when `[image]` names none.
pub const DEFAULT_CONSOLE: &str = "uart0";

/// The programs that run the threads a manifest declares (`threads`): the
/// binaries under `domains/` that start one user-level thread per
/// `ThreadSpec` of their DCB. Another program given `threads` leaves them
/// unstarted, which the checker warns about. A test checks this list
/// against the programs' sources (those that read `thread_specs()`).
pub const THREAD_PROGRAMS: [&str; 1] = ["periodic"];

/// The programs that schedule a group's members (`members`): the binaries
/// under `domains/` that donate their CPU to the members under their
/// `scheduler` (a test checks this list against the programs' sources, as
/// for [`THREAD_PROGRAMS`]).
pub const MEMBER_PROGRAMS: [&str; 2] = ["bench-group", "domain-scheduler"];

/// Image names that would collide with the output folders of kernel
/// variants (see [`crate::KernelVariant`]).
pub const RESERVED_IMAGE_NAMES: [&str; 2] = ["qemu", "board"];

/// A validated manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The image's name: `[image] name`, else the manifest's file stem
    /// (`images/demo.toml` is `demo`). Names the output folders.
    pub name: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// The board it is for.
    pub board: Board,
    /// The device the kernel prints on.
    pub console: String,
    /// Virtual time after which the kernel prints its statistics and ends
    /// the run, if given.
    pub run_for_ns: Option<u64>,
    /// The SD card image `cargo xtask run` attaches (`[image] sd-card`,
    /// resolved against the manifest's folder), if named.
    pub sd_card: Option<PathBuf>,
    /// The kernel's trace ring, in records (`[image] trace`; 0: no
    /// tracing).
    pub trace_records: usize,
    /// The domains, in manifest order (domain `i` gets slot `i`).
    pub domains: Vec<Domain>,
    /// Devices and interrupts several domains may use.
    pub shares: Vec<Share>,
    /// Shared memory regions.
    pub regions: Vec<Region>,
    /// Channels between domains.
    pub channels: Vec<Channel>,
    /// What the manifest asks for that is valid but probably not meant
    /// (threads needing more than their domain's share, threads given to
    /// a program that does not run them).
    pub warnings: Report,
}

/// One validated `[[domain]]` of a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Domain {
    /// Its unique name.
    pub name: String,
    /// The program it runs: a binary of a crate under `domains/`.
    pub program: String,
    /// The reservation's period, in nanoseconds (non-zero; 0 for a group
    /// member, which has no reservation).
    pub period_ns: u64,
    /// CPU time guaranteed in each period, in nanoseconds
    /// (`0 < slice_ns <= period_ns`; 0 for a group member).
    pub slice_ns: u64,
    /// Whether the domain may also run in slack time.
    pub extra: bool,
    /// The latency hint, in nanoseconds (the period unless given).
    pub latency_ns: u64,
    /// Bytes of its stack region (0: none).
    pub stack_bytes: u64,
    /// Bytes of its memory region (0: none).
    pub memory_bytes: u64,
    /// Its user-level thread scheduler.
    pub scheduler: Scheduler,
    /// The threads of a workload domain (empty: the program starts its own).
    pub threads: Vec<Thread>,
    /// A group's scheduler domain: its members (`members`), each a
    /// [`Thread`] named after its member domain, in manifest order (empty
    /// for other domains).
    pub members: Vec<Thread>,
    /// A group's scheduler domain: the event slot in its DCB counting its
    /// members' wake-ups and stops.
    pub group_event: Option<u64>,
    /// A group member: its scheduler domain (`None` for other domains).
    pub scheduled_by: Option<String>,
    /// The core its reservation is on (`core`; 0 unless given; a member's
    /// is its scheduler's).
    pub core: usize,
    /// The devices it uses, in manifest order.
    pub uses: Vec<String>,
    /// Its interrupts and their event slots, by slot.
    pub interrupts: Vec<InterruptRoute>,
    /// The domains it supervises (`supervises`), in manifest order: it
    /// holds a capability to each (`READ` and `CONTROL`) and to its
    /// reservation (`READ` and `WRITE`), both named after it.
    pub supervises: Vec<String>,
    /// Its restart policy for the domains it supervises (the defaults if
    /// it supervises none).
    pub restart: RestartPolicy,
    /// Its program's arguments (`args`; empty unless given).
    pub args: String,
    /// The event slot in its DCB counting the stops of the domains it
    /// supervises (`None` if it supervises none).
    pub supervision_event: Option<u64>,
    /// Trusted (`trusted = true`): it may use devices that reach all of
    /// RAM by DMA.
    pub trusted: bool,
    /// Where its memory lies.
    pub layout: DomainLayout,
    /// Where in the manifest its memory is asked for (its `memory` or
    /// `stack` key, else its table), for errors found once the program is
    /// built.
    pub sizes_at: Location,
}

/// A supervisor's restart policy (`restart-limit`, `restart-window`,
/// `restart-backoff`), which the kernel passes to its DCB and the
/// `supervisor` program applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestartPolicy {
    /// Restarts allowed within the window.
    pub limit: u64,
    /// The window, in nanoseconds.
    pub window_ns: u64,
    /// The wait before the first restart, in nanoseconds (doubled at each
    /// further failure within the window).
    pub backoff_ns: u64,
}

impl RestartPolicy {
    /// The policy of a supervisor whose manifest entry gives none: three
    /// restarts within a second, the first after a millisecond.
    pub const DEFAULT: Self = Self { limit: 3, window_ns: 1_000_000_000, backoff_ns: 1_000_000 };
}

impl Domain {
    /// The domain's share of the CPU, `slice / period`, in parts per
    /// billion rounded up, as the kernel's admission control counts it.
    pub fn share_ppb(&self) -> u64 {
        share_ppb(self.slice_ns, self.period_ns)
    }
}

/// A user-level thread scheduler, linked into a domain: the schedulers
/// crate's own list of policies, so that a name the builder accepts is one
/// the domain's runtime knows.
pub use vesper_schedulers::PolicyKind as Scheduler;

/// One thread of a workload domain (a `vesper_abi::dcb::ThreadSpec`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thread {
    /// Its name, unique in the domain.
    pub name: String,
    /// A job is released every period, ns (none: a single job, released at
    /// the start).
    pub period_ns: Option<u64>,
    /// The CPU time each job needs at most (worst-case execution time), ns.
    pub wcet_ns: u64,
    /// Each job's relative deadline, ns (the period unless given; none
    /// without either).
    pub deadline_ns: Option<u64>,
    /// Tickets, for the lottery and stride schedulers (1 unless given).
    pub tickets: u64,
}

/// An interrupt routed to a domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterruptRoute {
    /// Its name, `DEVICE.NAME`.
    pub interrupt: String,
    /// Its number in the board's interrupt table.
    pub number: u32,
    /// The event slot its events count in, in the domain's DCB (the value
    /// the manifest gives it).
    pub event: u64,
}

/// What a `[[share]]` lets several domains use.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ShareTarget {
    /// A device, by name.
    Device(String),
    /// An interrupt, `DEVICE.NAME`.
    Interrupt(String),
}

/// A device or interrupt that several domains use on purpose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Share {
    /// What is shared.
    pub target: ShareTarget,
    /// The domains sharing it.
    pub domains: Vec<String>,
}

/// What a domain may do with a shared region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RegionRights {
    /// `"r"`: read.
    Read,
    /// `"rw"`: read and write.
    ReadWrite,
}

impl RegionRights {
    /// As manifests write it.
    pub fn name(self) -> &'static str {
        match self {
            RegionRights::Read => "r",
            RegionRights::ReadWrite => "rw",
        }
    }
}

/// A shared memory region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// Its unique name.
    pub name: String,
    /// Where it lies.
    pub range: AddressRange,
    /// Whether the manifest fixed its address.
    pub fixed: bool,
    /// The domains that map it, with their rights, sorted by domain name.
    pub access: Vec<(String, RegionRights)>,
}

/// What a domain may do at its end of a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelRights {
    /// Send to the other end.
    Send,
    /// Receive from the other end.
    Receive,
    /// Both.
    SendReceive,
}

impl ChannelRights {
    /// As manifests write it.
    pub fn name(self) -> &'static str {
        match self {
            ChannelRights::Send => "send",
            ChannelRights::Receive => "receive",
            ChannelRights::SendReceive => "send-receive",
        }
    }

    /// Whether the end may send.
    pub fn sends(self) -> bool {
        self != ChannelRights::Receive
    }

    /// Whether the end may receive.
    pub fn receives(self) -> bool {
        self != ChannelRights::Send
    }
}

/// One end of a channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelEnd {
    /// The domain holding it.
    pub domain: String,
    /// What the domain may do with it.
    pub rights: ChannelRights,
    /// The event slot, in the domain's DCB, that counts the events the
    /// other end sends: the lowest slot not taken by the domain's
    /// interrupts nor by its ends of earlier channels (in manifest order).
    pub event: u64,
}

/// A channel between two domains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    /// Its unique name.
    pub name: String,
    /// Its two ends, sorted by domain name (the order of the manifest's
    /// `ends` table as read): end `i` is end `i` of the kernel's channel.
    pub ends: [ChannelEnd; 2],
}

/// The top-level keys of a manifest.
const TOP_KEYS: [&str; 5] = ["image", "domain", "share", "region", "channel"];

/// The whole document as the section the rules start from (its unknown
/// top-level keys reported).
fn root_section<'t, 'i>(document: &'t DeTable<'i>, problems: &mut Problems) -> Section<'t, 'i> {
    Section::new(document, 0..0, "the manifest".into(), "a manifest", &TOP_KEYS, problems)
}

impl Manifest {
    /// Reads and validates the manifest at `path`. `programs` are the
    /// binaries that domains may run.
    pub fn load(path: &Path, programs: &BTreeSet<String>) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text, path, programs)
    }

    /// Parses and validates manifest `text`, read from `path` (which names
    /// the image unless `[image] name` does, and appears in error messages,
    /// relative to the current folder if it is in it). `programs` are the
    /// binaries that domains may run. The error is a [`Report`] of every
    /// problem found.
    pub fn parse(text: &str, path: &Path, programs: &BTreeSet<String>) -> Result<Self> {
        Self::parse_with(text, path, Some(programs))
    }

    /// Reads and validates the manifest at `path` like [`Manifest::load`],
    /// but accepts any program name: for tools that do not run the
    /// programs, such as the scheduling simulator.
    pub fn load_any_program(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse_any_program(&text, path)
    }

    /// [`Manifest::parse`], accepting any program name (see
    /// [`Manifest::load_any_program`]).
    pub fn parse_any_program(text: &str, path: &Path) -> Result<Self> {
        Self::parse_with(text, path, None)
    }

    /// [`Manifest::parse`], checking programs against `programs` if given.
    fn parse_with(text: &str, path: &Path, programs: Option<&BTreeSet<String>>) -> Result<Self> {
        let file = shown(path).display().to_string();
        let mut problems = Problems::new(&file, text);
        let (document, syntax_errors) = DeTable::parse_recoverable(text);
        if !syntax_errors.is_empty() {
            // One error per line: a syntax error often sets off more.
            let mut lines = BTreeSet::new();
            for error in &syntax_errors {
                let span = error.span().unwrap_or(0..0);
                if lines.insert(problems.locate(&span).line) {
                    problems.at(&span, "TOML syntax", error.message());
                }
            }
            return Err(problems.into_reports().0.into());
        }
        let root = root_section(document.get_ref(), &mut problems);
        let manifest = rules::read(&root, path, programs, &mut problems);
        let valid = problems.count() == 0;
        let (errors, warnings) = problems.into_reports();
        match manifest {
            Some(manifest) if valid => Ok(Self { warnings, ..manifest }),
            _ => Err(errors.into()),
        }
    }

    /// The total utilisation of all domains, in parts per billion (each
    /// share rounded up, see [`Domain::share_ppb`]).
    pub fn utilisation_ppb(&self) -> u64 {
        self.domains.iter().map(Domain::share_ppb).sum()
    }

    /// The admitted utilisation of the domains on `core`, in parts per
    /// billion (each core's Atropos admits its own).
    pub fn core_utilisation_ppb(&self, core: usize) -> u64 {
        self.domains.iter().filter(|d| d.core == core).map(Domain::share_ppb).sum()
    }

    /// Whether some domain is placed on a core other than 0.
    pub fn uses_other_cores(&self) -> bool {
        self.domains.iter().any(|d| d.core != 0)
    }

    /// The index of the domain called `name` (its slot).
    pub fn domain_index(&self, name: &str) -> Option<usize> {
        self.domains.iter().position(|domain| domain.name == name)
    }

    /// The highest address the image's domains and regions use.
    pub fn memory_end(&self) -> u64 {
        let slots = self.domains.iter().map(|domain| domain.layout.slot.end);
        let regions = self.regions.iter().map(|region| region.range.end);
        slots.chain(regions).max().unwrap_or(crate::layout::KERNEL_AREA.end)
    }
}

/// `path` as messages show it: relative to the current folder if it is
/// in it (`xtask` resolves the manifests it is given to absolute paths).
fn shown(path: &Path) -> &Path {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok())
        .filter(|relative| !relative.as_os_str().is_empty())
        .unwrap_or(path)
}

/// Checks a name (of a domain, region, channel or thread): 1 to
/// [`MAX_NAME_LEN`] bytes of `[A-Za-z0-9_-]`.
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!("{} bytes long, but names have at most {MAX_NAME_LEN}", name.len()));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(format!("{bad:?} is not allowed: names use only letters, digits, '_' and '-'"));
    }
    Ok(())
}

/// Checks an image name: a valid [`check_name`] that is not reserved for a
/// kernel variant's folder.
pub fn check_image_name(name: &str) -> std::result::Result<(), String> {
    check_name(name)?;
    if RESERVED_IMAGE_NAMES.contains(&name) || name.starts_with("selftest-") {
        return Err(format!(
            "{name:?} names the output folder of a kernel variant without domains; choose another"
        ));
    }
    Ok(())
}

/// The board `name`, or an error naming the known ones.
fn board_named(name: &str) -> std::result::Result<Board, String> {
    match Board::named(name) {
        Ok(Some(board)) => Ok(board),
        Ok(None) => Err(format!(
            "no board is called {name:?}; the builder knows: {}",
            Board::names().join(", ")
        )),
        Err(error) => Err(format!("{error:#}")),
    }
}

/// Fails unless `bytes` is a multiple of the page size.
fn check_pages(bytes: u64) -> std::result::Result<(), String> {
    let page = vesper_abi::layout::PAGE_SIZE;
    if bytes.is_multiple_of(page) {
        Ok(())
    } else {
        Err(format!(
            "{} is not a whole number of 4KiB pages (memory is mapped page by page)",
            crate::units::format_size(bytes)
        ))
    }
}

#[cfg(test)]
mod tests;
