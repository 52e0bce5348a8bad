//! Loading the image's domains at boot: check each entry of the builder's
//! table, admit its reservation, copy its program into its slot, fill in its
//! DCB and build its translation tables. A domain whose entry is wrong is
//! reported and left out; the others still start.

use super::config::{DomainConfig, ReservationConfig, CORES_USED, DOMAINS, IMAGE};
use super::Domain;
use crate::arch::cache;
use crate::arch::user::ttbr0;
use crate::bsp::intc;
use crate::bsp::memory_map::ARM_RAM_END;
use crate::memory::{phys_to_virt, virt_to_phys};
use crate::sync::KernelCell;
use vesper_abi::dcb::{DcbReadOnly, DcbWritable, Reservation as DcbReservation};
use vesper_abi::image_check::{BoardLimits, DomainError};
use vesper_abi::layout::{DCB_RO_OFFSET, DCB_RW_OFFSET, IMAGE_OFFSET, PAGE_SIZE};
use vesper_kernel_core::atropos::{AdmitError, Atropos, MAX_DOMAINS};
use vesper_kernel_core::memory::own_regions;
use vesper_kernel_core::mmu::user::{map_domain, DomainTables};

static TABLES: KernelCell<[DomainTables; MAX_DOMAINS]> =
    KernelCell::new([const { DomainTables::empty() }; MAX_DOMAINS]);

extern "C" {
    static __kernel_end: u8;
}

/// Why a domain was not started.
#[derive(Clone, Copy, Debug)]
enum LoadError {
    /// Its entry fails the boot check.
    Check(DomainError),
    /// The reservation was refused.
    Admission(AdmitError),
}

impl core::fmt::Display for LoadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Check(error) => error.fmt(f),
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

/// The boot check of domain `me`'s entry (shared with the builder).
fn check(me: usize) -> Result<(), DomainError> {
    let board = BoardLimits {
        kernel_end: virt_to_phys(core::ptr::addr_of!(__kernel_end) as usize) as u64,
        ram_end: ARM_RAM_END,
        irq_lines: intc::LINES,
    };
    IMAGE.check_domain(me, &board)
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

    // What is not set below stays as zeroed above: no accounting yet,
    // activation context in slot 0 (`actctx`).
    // SAFETY: the DCB pages lie at the start of the slot, zeroed above.
    let (ro, rw) = unsafe {
        (
            &mut *((slot + DCB_RO_OFFSET as usize) as *mut DcbReadOnly),
            &mut *((slot + DCB_RW_OFFSET as usize) as *mut DcbWritable),
        )
    };
    let ReservationConfig { period_ns, slice_ns, latency_ns, extra } = config.reservation;
    ro.domain_id = index as u64;
    ro.reservation = DcbReservation { period_ns, slice_ns, latency_ns, extra: u64::from(extra) };
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
    rw.resctx = 1;
}

fn load(
    index: usize,
    config: &'static DomainConfig,
    atropos: &mut Atropos,
    now: u64,
) -> Result<Domain, LoadError> {
    check(index).map_err(LoadError::Check)?;
    populate(index, config);
    let l1_phys = with_tables(index, |tables, phys| {
        map_domain(tables, phys, config.slot_base, own_regions(config)).map(|()| phys)
    });
    let l1_phys = l1_phys.map_err(|_| LoadError::Check(DomainError::BadSegment))?;
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

/// Runs `f` on the translation tables of domain `index` and their physical
/// address.
pub fn with_tables<R>(index: usize, f: impl FnOnce(&mut DomainTables, u64) -> R) -> R {
    TABLES.with(|tables| {
        let mine = &mut tables[index];
        let phys = virt_to_phys(mine as *mut DomainTables as usize) as u64;
        f(mine, phys)
    })
}

/// Loads domain `index` of the image (its manifest number, which the
/// scheduler, the capability tables, the image's channels and interrupts
/// all use) into the Atropos of its core, one of `cores`; returns its
/// record, or `None` if it fails its check (it keeps its number, for a
/// domain that never runs).
pub fn load_one(
    index: usize,
    config: &'static DomainConfig,
    mut cores: [&mut Atropos; CORES_USED],
    now: u64,
) -> Option<Domain> {
    // Each core's Atropos numbers every domain and admits those placed on
    // it; the others take a number they never pick.
    let here = config.core;
    for (_, atropos) in cores.iter_mut().enumerate().filter(|&(core, _)| core != here) {
        let _ = atropos.skip();
    }
    // A domain past the kernel's tables, or given a region past them,
    // fails its check (`BadSlot`, `BadCapability`) and is not started.
    let loaded = match cores.get_mut(here) {
        Some(atropos) => load(index, config, atropos, now),
        None => Err(LoadError::Check(DomainError::OtherCore(here))),
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
            Some(domain)
        }
        Err(error) => {
            log::error!("domain {}: not started: {error}", config.name);
            if let Some(atropos) = cores.get_mut(here) {
                let _ = atropos.skip();
            }
            None
        }
    }
}

/// Reports each core's reserved utilisation, once `count` domains started.
pub fn report_utilisation(cores: [&Atropos; CORES_USED], count: usize) {
    const ON_CORE: [&str; 4] = [" on core 0", " on core 1", " on core 2", " on core 3"];
    for (core, atropos) in cores.into_iter().enumerate() {
        let utilisation = atropos.utilisation_ppb();
        log::info!(
            "image {}: {count} domains, reserved utilisation {}.{:03}{}",
            super::config::IMAGE_NAME,
            utilisation / 1_000_000_000,
            utilisation % 1_000_000_000 / 1_000_000,
            if CORES_USED > 1 { ON_CORE[core] } else { "" }
        );
    }
}
