//! The boot check of an image's domain entries, shared: the kernel runs it
//! on every entry before the domain starts (and does not start one that
//! fails it), and the image builder runs the same code on the tables it
//! writes, so that a builder that would produce an entry the kernel
//! refuses fails at build time instead, with the kernel's own reason.

use crate::cap::{Object, EVENT_SLOTS};
use crate::dcb::{ARGS_LEN, MAX_THREAD_SPECS};
use crate::image::{CapConfig, DomainConfig, EventTarget, ImageConfig, SegmentRights};
use crate::layout::{
    slot_base, CORES, IMAGE_OFFSET, MAX_DOMAINS, MAX_REGIONS, PAGE_SIZE, SLOT_SIZE,
};

/// What the check needs to know of the board and the kernel image.
#[derive(Clone, Copy, Debug)]
pub struct BoardLimits {
    /// The first physical address past the kernel image: no slot below it.
    pub kernel_end: u64,
    /// The first physical address past the RAM domains may use.
    pub ram_end: u64,
    /// How many interrupt lines the interrupt controller has.
    pub irq_lines: u32,
}

/// Why a domain's entry fails the check (the kernel does not start it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomainError {
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
    /// A capability names a channel end, interrupt, region or domain that
    /// is not the domain's or does not exist.
    BadCapability(&'static str),
    /// The period or slice is shorter than the board allows.
    BelowMinimum {
        /// The board's shortest period.
        period_ns: u64,
        /// The board's shortest slice.
        slice_ns: u64,
    },
    /// It is a member of a group whose scheduler domain does not exist, is
    /// itself, is a member too, or is placed on another core.
    BadGroup,
    /// It is placed on a core the board does not have.
    OtherCore(usize),
}

impl core::fmt::Display for DomainError {
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
            Self::BelowMinimum { period_ns, slice_ns } => write!(
                f,
                "its period or slice is shorter than the board allows ({period_ns} ns, \
                 {slice_ns} ns)"
            ),
            Self::BadGroup => f.write_str(
                "its group's scheduler domain does not exist, is itself, is a member too or is \
                 on another core",
            ),
            Self::OtherCore(core) => {
                write!(f, "it is placed on core {core}; the board has cores 0 to {}", CORES - 1)
            }
        }
    }
}

impl ImageConfig {
    /// Whether a reservation's period and slice are at least the board's
    /// minimum, the check behind both the boot check and
    /// `reservation_set`.
    pub fn meets_minimum(&self, period_ns: u64, slice_ns: u64) -> bool {
        period_ns >= self.min_period_ns && slice_ns >= self.min_slice_ns
    }

    /// Checks domain `me`'s entry against the rest of the image and the
    /// board: everything the kernel relies on to load and run it safely.
    pub fn check_domain(&self, me: usize, board: &BoardLimits) -> Result<(), DomainError> {
        let config = self.domains.get(me).ok_or(DomainError::BadSlot)?;
        // Domain `me` lives in slot `me`, so its DCB is found from its
        // number alone, and no two domains share a slot.
        let slot = config.slot_base;
        if me >= MAX_DOMAINS
            || slot != slot_base(me)
            || slot < board.kernel_end
            || slot + SLOT_SIZE > board.ram_end
        {
            return Err(DomainError::BadSlot);
        }
        if IMAGE_OFFSET + config.image.len() as u64 > SLOT_SIZE {
            return Err(DomainError::ImageTooLarge);
        }
        check_segments(config)?;
        if config.name.len() >= 32 || config.args.len() >= ARGS_LEN {
            return Err(DomainError::NameTooLong);
        }
        let fits = |name: &str| name.len() < 16;
        if !fits(config.scheduler)
            || config.threads.len() > MAX_THREAD_SPECS
            || !config.threads.iter().all(|t| fits(t.name))
        {
            return Err(DomainError::BadThreads);
        }
        if let Some(bad) = config.caps.iter().find(|cap| !self.cap_is_sound(cap, me, board)) {
            return Err(DomainError::BadCapability(bad.name));
        }
        if config.core >= CORES {
            return Err(DomainError::OtherCore(config.core));
        }
        self.check_share(config, me)
    }

    /// Whether `cap`, given to domain `me`, names something that exists
    /// and, for channel ends and interrupts, delivers to `me`.
    fn cap_is_sound(&self, cap: &CapConfig, me: usize, board: &BoardLimits) -> bool {
        let mine = |target: &EventTarget| target.domain == me && target.event < EVENT_SLOTS;
        match cap.object {
            Object::Channel { channel, end } => {
                self.channels.get(channel).and_then(|c| c.ends.get(end)).is_some_and(mine)
            }
            Object::Irq { irq } => self
                .irqs
                .get(irq)
                .is_some_and(|i| i.line < board.irq_lines && i.owners.iter().any(mine)),
            Object::Region { region } => {
                region < MAX_REGIONS
                    && self.regions.get(region).is_some_and(|r| {
                        r.start % PAGE_SIZE == 0 && r.end % PAGE_SIZE == 0 && r.start < r.end
                    })
            }
            // A supervisor's (`supervises`): any domain of the image (one
            // that does not start is left out when capabilities are
            // granted).
            Object::Domain { domain } | Object::Reservation { domain } => {
                domain < self.domains.len() && domain < MAX_DOMAINS
            }
        }
    }

    /// Where the domain's CPU time comes from: a reservation the board
    /// allows, or (a group member) a scheduler domain on its core.
    fn check_share(&self, config: &DomainConfig, me: usize) -> Result<(), DomainError> {
        match config.scheduled_by {
            // A member runs on its scheduler's reservation and has none.
            Some(group) => {
                let scheduler = self.domains.get(group.domain).filter(|_| group.domain != me);
                if scheduler.is_none_or(|s| s.scheduled_by.is_some() || s.core != config.core)
                    || group.event >= EVENT_SLOTS
                {
                    return Err(DomainError::BadGroup);
                }
                Ok(())
            }
            None if !self
                .meets_minimum(config.reservation.period_ns, config.reservation.slice_ns) =>
            {
                Err(DomainError::BelowMinimum {
                    period_ns: self.min_period_ns,
                    slice_ns: self.min_slice_ns,
                })
            }
            None => Ok(()),
        }
    }
}

/// The segments lie page-aligned in the program area of the slot, the
/// entry point in code and the activation stack in data.
fn check_segments(config: &DomainConfig) -> Result<(), DomainError> {
    let slot = config.slot_base;
    let program = slot + IMAGE_OFFSET..=slot + SLOT_SIZE;
    let segments_ok = config.segments.iter().all(|s| {
        s.start % PAGE_SIZE == 0
            && s.end % PAGE_SIZE == 0
            && s.start < s.end
            && program.contains(&s.start)
            && program.contains(&s.end)
    });
    if !segments_ok {
        return Err(DomainError::BadSegment);
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
        return Err(DomainError::BadEntry);
    }
    Ok(())
}
