//! Loading the image's domains at boot: check each entry of the builder's
//! table, admit its reservation, copy its program into its slot, fill in its
//! DCB and build its translation tables. A domain whose entry is wrong is
//! reported and left out; the others still start.

use super::config::{
    meets_minimum, CapConfig, DomainConfig, SegmentRights, CHANNELS, DOMAINS, IRQS, MIN_PERIOD_NS,
    MIN_SLICE_NS, REGIONS,
};
use super::Domain;
use crate::arch::cache;
use crate::arch::user::ttbr0;
use crate::bsp::intc;
use crate::bsp::memory_map::ARM_RAM_END;
use crate::memory::{phys_to_virt, virt_to_phys};
use crate::sync::KernelCell;
use vesper_abi::cap::EVENT_SLOTS;
use vesper_abi::dcb::{
    Accounting, DcbReadOnly, DcbWritable, Reservation as DcbReservation, MAX_THREAD_SPECS,
};
use vesper_abi::layout::{
    slot_base, CORES, DCB_RO_OFFSET, DCB_RW_OFFSET, IMAGE_OFFSET, PAGE_SIZE, SLOT_SIZE,
};
use vesper_kernel_core::atropos::{AdmitError, Atropos, MAX_DOMAINS};
use vesper_kernel_core::cap::Object;
use vesper_kernel_core::mmu::user::{map_domain, DomainTables, UserRegion, UserRights};

static TABLES: KernelCell<[DomainTables; MAX_DOMAINS]> =
    KernelCell::new([const { DomainTables::empty() }; MAX_DOMAINS]);

extern "C" {
    static __kernel_end: u8;
}

/// Why a domain was not started.
#[derive(Clone, Copy, Debug)]
pub enum LoadError {
    /// The slot is not the domain's own (slot `i` for domain `i`),
    /// overlaps the kernel or leaves RAM.
    BadSlot,
    /// The program does not fit in the slot.
    ImageTooLarge,
    /// A segment is misaligned or outside the program area.
    BadSegment,
    /// The entry point is not in code, or the activation stack not in data.
    BadEntry,
    /// The name or the arguments do not fit the DCB.
    NameTooLong,
    /// The scheduler's name or the threads do not fit the DCB.
    BadThreads,
    /// A capability names a channel end, interrupt, region or domain that is not
    /// the domain's or does not exist.
    BadCapability(&'static str),
    /// The period or slice is shorter than the board allows.
    BelowMinimum,
    /// It is a member of a group whose scheduler domain does not exist, is
    /// itself, is a member too, or is placed on another core.
    BadGroup,
    /// It is placed on a core the board does not have.
    OtherCore(usize),
    /// The reservation was refused.
    Admission(AdmitError),
}

impl core::fmt::Display for LoadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::BadSlot => {
                f.write_str("its slot is not its own, overlaps the kernel or leaves RAM")
            }
            Self::ImageTooLarge => f.write_str("its program does not fit in its slot"),
            Self::BadSegment => f.write_str("a segment is misaligned or outside the program area"),
            Self::BadEntry => {
                f.write_str("its entry is not in code or its activation stack not in data")
            }
            Self::NameTooLong => f.write_str("its name or its args are longer than 31 bytes"),
            Self::BadThreads => f.write_str(
                "its scheduler name is longer than 15 bytes, or it declares more than \
                 16 threads or a thread name longer than 15 bytes",
            ),
            Self::BadCapability(name) => write!(
                f,
                "its capability {name:?} names a channel end, interrupt, region or domain that \
                 does not exist or is not its own"
            ),
            Self::BelowMinimum => write!(
                f,
                "its period or slice is shorter than the board allows ({MIN_PERIOD_NS} ns, \
                 {MIN_SLICE_NS} ns)"
            ),
            Self::OtherCore(core) => {
                write!(f, "it is placed on core {core}; the board has cores 0 to {}", CORES - 1)
            }
            Self::BadGroup => f.write_str(
                "its group's scheduler domain does not exist, is itself, is a member too or is \
             on another core",
            ),
            Self::Admission(AdmitError::OverUtilised { utilisation_ppb }) => write!(
                f,
                "admission control: total utilisation would be {}.{:09}",
                utilisation_ppb / 1_000_000_000,
                utilisation_ppb % 1_000_000_000
            ),
            Self::Admission(error) => write!(f, "reservation refused: {error:?}"),
        }
    }
}

pub use vesper_abi::layout::MAX_REGIONS;

/// Whether `cap`, given to manifest domain `me`, names something that
/// exists and, for channel ends and interrupts, delivers to `me`.
fn cap_is_sound(cap: &CapConfig, me: usize) -> bool {
    let mine =
        |target: &super::config::EventTarget| target.domain == me && target.event < EVENT_SLOTS;
    match cap.object {
        Object::Channel { channel, end } => {
            CHANNELS.get(channel).and_then(|c| c.ends.get(end)).is_some_and(mine)
        }
        Object::Irq { irq } => {
            IRQS.get(irq).is_some_and(|i| i.line < intc::LINES && i.owners.iter().any(mine))
        }
        Object::Region { region } => {
            region < MAX_REGIONS
                && REGIONS.get(region).is_some_and(|r| {
                    r.start % PAGE_SIZE == 0 && r.end % PAGE_SIZE == 0 && r.start < r.end
                })
        }
        // A supervisor's (`supervises`): any domain of the image (one that
        // does not start is left out when capabilities are granted).
        Object::Domain { domain } | Object::Reservation { domain } => {
            domain < DOMAINS.len() && domain < MAX_DOMAINS
        }
    }
}

fn check(config: &DomainConfig, me: usize) -> Result<(), LoadError> {
    let kernel_end = virt_to_phys(core::ptr::addr_of!(__kernel_end) as usize) as u64;
    // Domain `me` lives in slot `me`, so its DCB is found from its number
    // alone, and no two domains share a slot.
    let slot = config.slot_base;
    if slot != slot_base(me) || slot < kernel_end || slot + SLOT_SIZE > ARM_RAM_END {
        return Err(LoadError::BadSlot);
    }
    if IMAGE_OFFSET + config.image.len() as u64 > SLOT_SIZE {
        return Err(LoadError::ImageTooLarge);
    }
    let program = slot + IMAGE_OFFSET..=slot + SLOT_SIZE;
    let segments_ok = config.segments.iter().all(|s| {
        s.start % PAGE_SIZE == 0
            && s.end % PAGE_SIZE == 0
            && s.start < s.end
            && program.contains(&s.start)
            && program.contains(&s.end)
    });
    if !segments_ok {
        return Err(LoadError::BadSegment);
    }
    let inside = |address: u64, rights: SegmentRights, end_ok: bool| {
        config.segments.iter().any(|s| {
            s.rights == rights
                && address >= s.start
                && (address < s.end || end_ok && address == s.end)
        })
    };
    if !inside(config.entry, SegmentRights::ReadExecute, false)
        || !inside(config.activation_sp, SegmentRights::ReadWrite, true)
        || !config.activation_sp.is_multiple_of(16)
    {
        return Err(LoadError::BadEntry);
    }
    if config.name.len() >= core::mem::size_of::<[u8; 32]>()
        || config.args.len() >= vesper_abi::dcb::ARGS_LEN
    {
        return Err(LoadError::NameTooLong);
    }
    let fits = |name: &str| name.len() < core::mem::size_of::<[u8; 16]>();
    if !fits(config.scheduler)
        || config.threads.len() > MAX_THREAD_SPECS
        || !config.threads.iter().all(|t| fits(t.name))
    {
        return Err(LoadError::BadThreads);
    }
    if let Some(bad) = config.caps.iter().find(|cap| !cap_is_sound(cap, me)) {
        return Err(LoadError::BadCapability(bad.name));
    }
    if config.core >= CORES {
        return Err(LoadError::OtherCore(config.core));
    }
    match config.scheduled_by {
        // A member runs on its scheduler's reservation and has none.
        Some(group) => {
            let scheduler = DOMAINS.get(group.domain).filter(|_| group.domain != me);
            if scheduler.is_none_or(|s| s.scheduled_by.is_some() || s.core != config.core)
                || group.event >= EVENT_SLOTS
            {
                return Err(LoadError::BadGroup);
            }
        }
        None if !meets_minimum(config.reservation.period_ns, config.reservation.slice_ns) => {
            return Err(LoadError::BelowMinimum);
        }
        None => {}
    }
    Ok(())
}

fn regions(config: &DomainConfig) -> impl Iterator<Item = UserRegion> + '_ {
    let dcb = |offset, rights| UserRegion {
        start: config.slot_base + offset,
        end: config.slot_base + offset + PAGE_SIZE,
        rights,
    };
    [dcb(DCB_RO_OFFSET, UserRights::ReadOnly), dcb(DCB_RW_OFFSET, UserRights::ReadWrite)]
        .into_iter()
        .chain(config.segments.iter().map(|s| UserRegion {
            start: s.start,
            end: s.end,
            rights: s.rights,
        }))
}

/// Copies the program from the image (its pristine copy, which nothing
/// ever writes), clears the rest of what the domain can see, and fills in
/// both DCB halves: the domain's initial state, at boot and at every
/// restart. The caller has checked `config` (see `check`).
pub fn populate(index: usize, config: &DomainConfig) {
    let slot = phys_to_virt(config.slot_base as usize);
    // Only what the domain can see is cleared: the rest of the slot stays
    // unmapped. SAFETY: `check` put the slot in RAM above the kernel and
    // apart from every other domain, and the segments inside it; nothing
    // else uses it yet.
    unsafe {
        core::ptr::write_bytes(slot as *mut u8, 0, 2 * PAGE_SIZE as usize);
        for segment in config.segments {
            let start = phys_to_virt(segment.start as usize) as *mut u8;
            core::ptr::write_bytes(start, 0, (segment.end - segment.start) as usize);
        }
        let image = slot + IMAGE_OFFSET as usize;
        core::ptr::copy_nonoverlapping(config.image.as_ptr(), image as *mut u8, config.image.len());
    }
    cache::sync_instructions(slot + IMAGE_OFFSET as usize, config.image.len());

    // SAFETY: the DCB pages lie at the start of the slot, zeroed above.
    let (ro, rw) = unsafe {
        (
            &mut *((slot + DCB_RO_OFFSET as usize) as *mut DcbReadOnly),
            &mut *((slot + DCB_RW_OFFSET as usize) as *mut DcbWritable),
        )
    };
    let reservation = config.reservation;
    ro.domain_id = index as u64;
    ro.reservation = DcbReservation {
        period_ns: reservation.period_ns,
        slice_ns: reservation.slice_ns,
        latency_ns: reservation.latency_ns,
        extra: u64::from(reservation.extra),
    };
    ro.accounting = Accounting::default();
    ro.ns_per_tick = crate::arch::time::ns_per_tick();
    ro.supervision = config.supervision;
    ro.trace_on = u64::from(crate::trace::ON);
    ro.group = vesper_abi::dcb::Group::NONE;
    let mut members = DOMAINS.iter().filter_map(|d| d.scheduled_by);
    if let Some(group) = members.find(|group| group.domain == index) {
        ro.group.event = group.event as u64;
    }
    ro.name[..config.name.len()].copy_from_slice(config.name.as_bytes());
    ro.args[..config.args.len()].copy_from_slice(config.args.as_bytes());
    ro.scheduler[..config.scheduler.len()].copy_from_slice(config.scheduler.as_bytes());
    ro.thread_count = config.threads.len() as u64;
    for (spec, thread) in ro.threads.iter_mut().zip(config.threads) {
        spec.name[..thread.name.len()].copy_from_slice(thread.name.as_bytes());
        spec.period_ns = thread.period_ns;
        spec.wcet_ns = thread.wcet_ns;
        spec.deadline_ns = thread.deadline_ns;
        spec.tickets = thread.tickets;
    }
    rw.activation_pc = config.entry;
    rw.activation_sp = config.activation_sp;
    rw.activations_enabled = 1;
    rw.actctx = 0;
    rw.resctx = 1;
}

fn load(
    index: usize,
    config: &'static DomainConfig,
    atropos: &mut Atropos,
    now: u64,
) -> Result<Domain, LoadError> {
    check(config, index)?;
    populate(index, config);
    let l1_phys = with_tables(index, |tables, phys| {
        map_domain(tables, phys, config.slot_base, regions(config)).map(|()| phys)
    });
    let l1_phys = l1_phys.map_err(|_| LoadError::BadSegment)?;
    // Admitted last: a domain the scheduler knows is one that runs. A
    // member takes a number Atropos never picks: its scheduler's
    // reservation carries it.
    let admitted = match config.scheduled_by {
        Some(_) => atropos.skip().ok_or(LoadError::Admission(AdmitError::Full))?,
        None => atropos.admit(config.reservation.into(), now).map_err(LoadError::Admission)?,
    };
    debug_assert_eq!(admitted, index);
    let asid = (index + 1) as u16;
    Ok(Domain::new(config, ttbr0(l1_phys, asid), asid))
}

/// Where a domain's CPU time comes from, for the boot log.
struct CpuShare(&'static DomainConfig);

impl core::fmt::Display for CpuShare {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let reservation = self.0.reservation;
        match self.0.scheduled_by {
            Some(group) => {
                let scheduler = DOMAINS.get(group.domain).map_or("?", |d| d.name);
                write!(f, "member of group {scheduler}")
            }
            None => write!(
                f,
                "slice {} us every {} us{}",
                reservation.slice_ns / 1000,
                reservation.period_ns / 1000,
                if reservation.extra { ", extra time" } else { "" }
            ),
        }
    }
}

/// " on core N" after a core's utilisation, when the image uses several.
struct OnCore(usize, usize);

impl core::fmt::Display for OnCore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self(_, 1) => Ok(()),
            Self(core, _) => write!(f, " on core {core}"),
        }
    }
}

/// Runs `f` on the translation tables of domain `index` and their physical
/// address.
pub fn with_tables<R>(index: usize, f: impl FnOnce(&mut DomainTables, u64) -> R) -> R {
    TABLES.with(|tables| {
        let mine = &mut tables[index];
        let phys = virt_to_phys(mine as *mut DomainTables as usize) as u64;
        f(mine, phys)
    })
}

/// Loads every domain of the image into `domains`, each at its manifest
/// number (which the scheduler, the capability tables, the image's
/// channels and interrupts all use), and returns how many started. A domain
/// that fails its check keeps its number and stays `None`: not started.
pub fn load_all(
    domains: &mut [Option<Domain>; MAX_DOMAINS],
    cores: &mut [Atropos],
    now: u64,
) -> usize {
    let mut count = 0;
    if REGIONS.len() > MAX_REGIONS {
        log::error!(
            "the image has {} regions; the kernel holds {MAX_REGIONS}, and a domain \
             given any region past them is not started",
            REGIONS.len()
        );
    }
    for (index, config) in DOMAINS.iter().enumerate() {
        if index >= MAX_DOMAINS {
            log::error!(
                "domain {}: not started: the kernel holds {MAX_DOMAINS} domains",
                config.name
            );
            continue;
        }
        // Each core's Atropos numbers every domain and admits those placed
        // on it; the others take a number they never pick.
        let here = config.core;
        for (_, atropos) in cores.iter_mut().enumerate().filter(|&(core, _)| core != here) {
            let _ = atropos.skip();
        }
        let loaded = match cores.get_mut(here) {
            Some(atropos) => load(index, config, atropos, now),
            None => Err(LoadError::OtherCore(here)),
        };
        match loaded {
            Ok(domain) => {
                log::info!(
                    "domain {} ({}): slot {:#x}, {}",
                    config.name,
                    config.program,
                    config.slot_base,
                    CpuShare(config)
                );
                domains[index] = Some(domain);
                count += 1;
            }
            Err(error) => {
                log::error!("domain {}: not started: {error}", config.name);
                // Its number stays its own, for a domain that never runs.
                if let Some(atropos) = cores.get_mut(here) {
                    let _ = atropos.skip();
                }
            }
        }
    }
    for (core, atropos) in cores.iter().enumerate() {
        let utilisation = atropos.utilisation_ppb();
        log::info!(
            "image {}: {count} domains, reserved utilisation {}.{:03}{}",
            super::config::IMAGE_NAME,
            utilisation / 1_000_000_000,
            utilisation % 1_000_000_000 / 1_000_000,
            OnCore(core, cores.len())
        );
    }
    count
}
