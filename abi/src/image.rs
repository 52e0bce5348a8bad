//! The image's tables: everything the image builder hands the kernel about
//! the system a manifest describes, defined once for both.
//!
//! The builder (`images/builder`) fills these types from a validated
//! manifest and the domain programs it placed, and writes each value as the
//! Rust expression that builds it (`image_config.rs`, one item per field of
//! [`ImageConfig`]); the kernel compiles that file into
//! `kernel/src/domain/config.rs` and reads the tables from there
//! (`config::DOMAINS`, `config::REGIONS`, ...), so it parses no text at
//! boot. Only the builder writes the values and only the kernel reads them,
//! but the kernel trusts none of them: every field below says what it holds
//! and who checks it, the builder when it reads the manifest (its checks
//! are in `docs/manifest.md`) and the kernel's boot check
//! (`domain::setup`) before the domain starts.
//!
//! Every table is `'static`: the kernel's are compiled in, and the builder
//! makes its values once per image, on the host.

use crate::cap::{CapInfo, Object, Rights};
pub use crate::dcb::Supervision;

/// What a domain may do with one of its program's segments.
#[allow(clippy::enum_variant_names)] // every right includes reading
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentRights {
    /// Read-only data.
    ReadOnly,
    /// Data, bss, the stack and the memory region.
    ReadWrite,
    /// Code (never writable).
    ReadExecute,
}

/// A page-aligned range of a domain's memory, with its rights.
///
/// The builder derives segments from the program's `PT_LOAD` headers
/// (refusing two rights on one page), then adds the domain's stack and
/// memory regions; the kernel maps them and checks that each is
/// page-aligned, non-empty and inside the program area of the domain's
/// slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// First address (page-aligned).
    pub start: u64,
    /// One past the last address (page-aligned).
    pub end: u64,
    /// The domain's rights.
    pub rights: SegmentRights,
}

/// A domain's CPU reservation as the manifest gives it (Atropos's
/// `(p, s, x, l)`; the kernel's scheduler converts it into its own type).
///
/// The builder checks `0 < slice_ns <= period_ns`, the board's minimum
/// period and slice, and admission control over the whole image; the
/// kernel checks the minimums again and admits the reservation, refusing
/// a domain that does not fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReservationConfig {
    /// Length of each period, in nanoseconds.
    pub period_ns: u64,
    /// CPU time guaranteed in every period, in nanoseconds.
    pub slice_ns: u64,
    /// Latency hint, in nanoseconds: after blocking for longer than a
    /// period the domain gets its slice within this long of waking (the
    /// builder writes the period when the manifest gives none).
    pub latency_ns: u64,
    /// Whether the domain may also run in slack time.
    pub extra: bool,
}

/// A thread the manifest declares for a workload domain; the kernel copies
/// it into a `ThreadSpec` of the domain's DCB.
///
/// The builder checks names (unique, 1 to 15 bytes), durations and
/// tickets; the kernel checks that the name fits the DCB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadConfig {
    /// Its name.
    pub name: &'static str,
    /// Its period, in nanoseconds (0: a single job).
    pub period_ns: u64,
    /// The work of each job, in nanoseconds.
    pub wcet_ns: u64,
    /// Each job's relative deadline, in nanoseconds (0: the period).
    pub deadline_ns: u64,
    /// Its tickets, for lottery and stride.
    pub tickets: u64,
}

/// A capability the manifest gives a domain (one of a device in `uses`,
/// an interrupt, a channel end or a region).
///
/// The builder works them out in table order and checks that they fit the
/// table with the kernel's own two ([`crate::cap::KERNEL_CAPS`]); the
/// kernel checks that each names something in the image's tables and, for
/// a channel end or an interrupt, delivers to this domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapConfig {
    /// Its name in the DCB mirror: the device, interrupt, channel or
    /// region (at most [`crate::cap::MAX_CAP_NAME_LEN`] bytes; the builder
    /// checks, the kernel cuts longer names).
    pub name: &'static str,
    /// What it names: an index into [`ImageConfig::channels`],
    /// [`ImageConfig::irqs`] or [`ImageConfig::regions`].
    pub object: Object,
    /// What it allows.
    pub rights: Rights,
}

/// One domain of the image.
///
/// The builder gives domain `i` (in manifest order) slot `i`; the kernel
/// loads it under that number and checks the entry first: its slot (in RAM
/// above the kernel, not another domain's), its program's size, its
/// segments, its entry and stack, the lengths of its names, its threads,
/// its capabilities and its reservation. A domain that fails is reported
/// and not started; the others still run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DomainConfig {
    /// Its name in the manifest (1 to 31 bytes: it is copied into the
    /// DCB's 32-byte `name`).
    pub name: &'static str,
    /// The program it runs (a binary under `domains/`).
    pub program: &'static str,
    /// Its CPU reservation.
    pub reservation: ReservationConfig,
    /// Base of its memory slot (see [`crate::layout`]).
    pub slot_base: u64,
    /// The activation entry point (in a [`SegmentRights::ReadExecute`]
    /// segment).
    pub entry: u64,
    /// The top of the activation stack (16-byte aligned, at most the end of
    /// a [`SegmentRights::ReadWrite`] segment).
    pub activation_sp: u64,
    /// The relocated program, copied to `slot_base + IMAGE_OFFSET`; memory
    /// past it (bss) starts zeroed.
    pub image: &'static [u8],
    /// Everything it maps besides its DCB, in address order: its program's
    /// segments, then its stack and memory regions.
    pub segments: &'static [Segment],
    /// The user-level scheduler its threads run under (`fifo`, `edf`,
    /// `round-robin`, `lottery`, `stride`; at most 15 bytes, for the DCB).
    pub scheduler: &'static str,
    /// The threads the manifest declares (workload domains), or, for a
    /// group's scheduler domain, its members (each named after its member
    /// domain); at most [`crate::dcb::MAX_THREAD_SPECS`].
    pub threads: &'static [ThreadConfig],
    /// The capabilities the manifest gives it, in table order after the
    /// kernel's own ([`crate::cap::KERNEL_CAP_NAMES`], which the kernel
    /// adds and this table does not hold).
    pub caps: &'static [CapConfig],
    /// The domains that supervise it (`supervises` in theirs), each with
    /// the event slot there that counts its stops: the kernel counts an
    /// event for each when it faults, exits or is stopped. The builder
    /// lists each supervisor once; the kernel checks each target as for a
    /// channel end (a domain of the image, a slot below
    /// [`crate::cap::EVENT_SLOTS`]) and skips one that fails.
    pub supervisors: &'static [EventTarget],
    /// The program's arguments (`args`; at most
    /// [`crate::dcb::ARGS_LEN`] - 1 bytes of printable ASCII: the builder
    /// checks, the kernel refuses a domain whose do not fit), copied into
    /// its DCB.
    pub args: &'static str,
    /// The restart policy it applies to the domains it supervises, passed
    /// to its DCB (`event` is `u64::MAX` unless it supervises some). The
    /// kernel only copies it.
    pub supervision: Supervision,
    /// For a member of a group (`members` in its scheduler domain's
    /// table): its scheduler domain, and the event slot there that counts
    /// the member's wake-ups and stops. A member holds no reservation:
    /// Atropos never picks it; it runs only on time its scheduler donates
    /// (`domain_donate`). `None` for every other domain. The builder never
    /// makes a scheduler domain a member; the kernel refuses a member whose
    /// scheduler is one, or is itself.
    pub scheduled_by: Option<EventTarget>,
    /// The core its reservation is on (`core` in the manifest; a member's
    /// is its scheduler's), below [`crate::layout::CORES`]: each core's
    /// Atropos admits the domains placed on it. The kernel runs domains on
    /// core 0 only so far, and does not start one placed elsewhere.
    pub core: usize,
}

/// What kind of memory a region is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    /// RAM shared between domains (a `[[region]]`).
    Normal,
    /// A device's registers (mapped as device memory, never executable).
    Device,
}

/// A memory region domains may map: a `[[region]]`, or the registers of a
/// device in some domain's `uses` (rounded out to whole pages).
///
/// The builder places `[[region]]`s clear of the kernel, the slots and each
/// other; the kernel maps a region exactly while a domain holds a
/// capability with `READ` for it, and checks that it is page-aligned and
/// among the first [`crate::layout::MAX_REGIONS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionConfig {
    /// The region's or the device's name.
    pub name: &'static str,
    /// First address (page-aligned).
    pub start: u64,
    /// One past the last address (page-aligned).
    pub end: u64,
    /// RAM or device registers.
    pub kind: RegionKind,
}

/// Where an event is counted: a domain and an event slot of its DCB.
///
/// The builder gives each interrupt the slot the manifest names and each
/// channel end the lowest free one; the kernel checks, for every
/// capability, that the target is the holder and the slot below
/// [`crate::cap::EVENT_SLOTS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventTarget {
    /// The domain's index.
    pub domain: usize,
    /// The event slot (`0..EVENT_SLOTS`).
    pub event: usize,
}

/// An event channel between two domains: each end counts, in its owner's
/// DCB, the events the other end sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelConfig {
    /// The channel's name.
    pub name: &'static str,
    /// Its two ends (end 0 and end 1 of a channel capability's
    /// [`Object::Channel`]).
    pub ends: [EventTarget; 2],
}

/// An interrupt line delivered to domains as events.
///
/// The builder takes the line from the board and routes it to the domains
/// that list it (several only with a `[[share]]`); the kernel checks the
/// line against its interrupt controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqConfig {
    /// Its name, `DEVICE.NAME`.
    pub name: &'static str,
    /// Its number in the BCM2835 interrupt table (0-63 GPU, 64-71 basic).
    pub line: u32,
    /// The domains it is delivered to, in domain order, each with its
    /// event slot there.
    pub owners: &'static [EventTarget],
}

/// The UART the kernel prints on: the device the manifest's `[image]
/// console` names, by the kernel driver it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsoleUart {
    /// The PL011 (`uart0`: GPIO14/15 in ALT0, QEMU's first `-serial`).
    Pl011,
    /// The mini UART in the AUX block (`uart1`: GPIO14/15 in ALT5, QEMU's
    /// second `-serial`), which leaves the PL011 to a driver domain.
    MiniUart,
}

/// A whole image: `image_config.rs` defines one item per field (named in
/// each field's first line) in the kernel's `domain::config`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageConfig {
    /// `IMAGE_NAME`: the image's name (`[image] name`, else the manifest's
    /// file stem).
    pub name: &'static str,
    /// `RUN_FOR_NS`: virtual time after which the kernel prints per-domain
    /// statistics and ends the run (`None`: run until halted).
    pub run_for_ns: Option<u64>,
    /// `SWITCH_COST_NS`: what a preemption costs its victim, charged to
    /// the preemptor (the board's `switch-cost`).
    pub switch_cost_ns: u64,
    /// `MIN_PERIOD_NS`: the shortest reservation period the board allows,
    /// checked at boot and by `reservation_set`.
    pub min_period_ns: u64,
    /// `MIN_SLICE_NS`: the shortest reservation slice the board allows.
    pub min_slice_ns: u64,
    /// `CONSOLE`: the UART the kernel prints on.
    pub console: ConsoleUart,
    /// `DOMAINS`: the domains, in manifest order (domain `i` lives in slot
    /// `i`).
    pub domains: &'static [DomainConfig],
    /// `REGIONS`: the memory regions domains may map, the `[[region]]`s in
    /// manifest order, then the registers of each device a domain uses, in
    /// board order.
    pub regions: &'static [RegionConfig],
    /// `CHANNELS`: the event channels, in manifest order.
    pub channels: &'static [ChannelConfig],
    /// `IRQS`: the interrupts delivered to domains, in board order.
    pub irqs: &'static [IrqConfig],
    /// `TRACE_RECORDS`: the records the kernel's trace ring holds
    /// (`[image] trace` over [`crate::trace::RECORD_SIZE`]); 0, the
    /// default, leaves tracing out of the kernel altogether.
    pub trace_records: usize,
}

impl ImageConfig {
    /// The image of a kernel built without a manifest: no domains, and no
    /// board limits (only a period or slice of 0 is refused). The kernel's
    /// build script uses its rendering (`kernel/image_config.kernel-only.rs`,
    /// which a test of the builder keeps equal to it) when the builder
    /// passes no configuration.
    pub const KERNEL_ONLY: Self = Self {
        trace_records: 0,
        name: "kernel-only",
        run_for_ns: None,
        switch_cost_ns: 0,
        min_period_ns: 1,
        min_slice_ns: 1,
        console: ConsoleUart::Pl011,
        domains: &[],
        regions: &[],
        channels: &[],
        irqs: &[],
    };
}

/// How many cores `domains` run on: 1 + the highest `core` below
/// [`crate::layout::CORES`] (1 for none). The kernel starts that many.
pub const fn cores_used(domains: &[DomainConfig]) -> usize {
    let mut used = 1;
    let mut index = 0;
    while index < domains.len() {
        let core = domains[index].core;
        if core < crate::layout::CORES && core >= used {
            used = core + 1;
        }
        index += 1;
    }
    used
}

impl ImageConfig {
    /// How a capability to `object` with `rights`, under `handle`, shows in
    /// the DCB mirror of domain `holder`: its kind and rights, the event
    /// slot a channel end or interrupt counts in there, a region's extent
    /// or a domain's number, and the name the image gives the object
    /// ([`crate::cap::SELF`] and [`crate::cap::RESERVATION`] for the
    /// holder's own).
    #[inline]
    pub fn cap_info(&self, holder: usize, handle: u64, object: Object, rights: Rights) -> CapInfo {
        let mut info = CapInfo {
            handle,
            kind: object.kind() as u64,
            rights: rights.bits(),
            event: u64::MAX,
            ..CapInfo::default()
        };
        let domain_name = |domain: usize, own: &'static str| {
            if domain == holder {
                own
            } else {
                self.domains.get(domain).map_or("", |d| d.name)
            }
        };
        let name = match object {
            Object::Channel { channel, end } => {
                let channel = self.channels.get(channel);
                let target = channel.and_then(|c| c.ends.get(end));
                info.event = target.map_or(u64::MAX, |t| t.event as u64);
                channel.map_or("", |c| c.name)
            }
            Object::Irq { irq } => {
                let irq = self.irqs.get(irq);
                let owner = irq.and_then(|i| i.owners.iter().find(|o| o.domain == holder));
                info.event = owner.map_or(u64::MAX, |o| o.event as u64);
                irq.map_or("", |i| i.name)
            }
            Object::Region { region } => {
                let region = self.regions.get(region);
                info.base = region.map_or(0, |r| r.start);
                info.size = region.map_or(0, |r| r.end - r.start);
                region.map_or("", |r| r.name)
            }
            Object::Domain { domain } => {
                info.base = domain as u64;
                domain_name(domain, crate::cap::SELF)
            }
            Object::Reservation { domain } => {
                info.base = domain as u64;
                domain_name(domain, crate::cap::RESERVATION)
            }
        };
        let len = name.len().min(info.name.len() - 1);
        info.name[..len].copy_from_slice(&name.as_bytes()[..len]);
        info
    }
}
