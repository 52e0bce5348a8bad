//! The image's tables, as the image builder lays them out for the kernel:
//! its domains (program segments, reservation, scheduler and threads, the
//! capabilities the manifest gives), regions, channels and interrupts.
//!
//! The builder turns a manifest into Rust source that builds these values
//! (`image_config.rs`, compiled into the kernel), so the kernel parses no
//! text at boot; `domain::setup` still checks every entry before trusting
//! it.

use crate::atropos::Reservation;
use crate::cap::Object;
use vesper_abi::cap::Rights;

/// What a domain may do with one of its program's segments.
#[allow(clippy::enum_variant_names)] // every right includes reading
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentRights {
    /// Read-only data.
    ReadOnly,
    /// Data and bss.
    ReadWrite,
    /// Code.
    ReadExecute,
}

/// A page-aligned range of a domain's program, with its rights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// First address (page-aligned).
    pub start: u64,
    /// One past the last address (page-aligned).
    pub end: u64,
    /// The domain's rights.
    pub rights: SegmentRights,
}

/// A thread the manifest declares for a workload domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadConfig {
    /// Its name.
    pub name: &'static str,
    /// Its period (0: a single job).
    pub period_ns: u64,
    /// The work of each job.
    pub wcet_ns: u64,
    /// Each job's relative deadline (0: the period).
    pub deadline_ns: u64,
    /// Its tickets, for lottery and stride.
    pub tickets: u64,
}

/// One domain of the image.
#[derive(Clone, Copy, Debug)]
pub struct DomainConfig {
    /// Its name in the manifest.
    pub name: &'static str,
    /// The program it runs (a binary under `domains/`).
    pub program: &'static str,
    /// Its CPU reservation.
    pub reservation: Reservation,
    /// Base of its memory slot (see `vesper_abi::layout`).
    pub slot_base: u64,
    /// The activation entry point.
    pub entry: u64,
    /// The top of the activation stack.
    pub activation_sp: u64,
    /// The relocated program, copied to `slot_base + IMAGE_OFFSET`; memory
    /// past it (bss) starts zeroed.
    pub image: &'static [u8],
    /// The program's segments and their rights.
    pub segments: &'static [Segment],
    /// The user-level scheduler its threads run under (`fifo`, `edf`, ...).
    pub scheduler: &'static str,
    /// The threads the manifest declares (workload domains).
    pub threads: &'static [ThreadConfig],
    /// The capabilities the manifest gives it (`uses`, `interrupts`,
    /// channels, regions), in table order after its own two (`self` and
    /// `reservation`, which the kernel adds).
    pub caps: &'static [CapConfig],
}

/// A capability the manifest gives a domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapConfig {
    /// Its name in the DCB mirror: the channel, region, device or
    /// interrupt.
    pub name: &'static str,
    /// What it names.
    pub object: Object,
    /// What it allows.
    pub rights: Rights,
}

/// What kind of memory a region is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    /// RAM shared between domains.
    Normal,
    /// A device's registers (mapped as device memory, never executable).
    Device,
}

/// A memory region domains may map: a `[[region]]`, or the registers of a
/// device in some domain's `uses` (rounded out to whole pages).
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
    /// Its two ends.
    pub ends: [EventTarget; 2],
}

/// An interrupt line delivered to domains as events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqConfig {
    /// Its name, `DEVICE.NAME`.
    pub name: &'static str,
    /// Its number in the BCM2835 interrupt table (0-63 GPU, 64-71 basic).
    pub line: u32,
    /// The domains it is delivered to (several with a `[[share]]`).
    pub owners: &'static [EventTarget],
}
