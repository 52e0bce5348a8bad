//! Capabilities as a domain sees them: handles, types and rights.
//!
//! The kernel keeps each domain's capability table; a domain names an entry
//! by a [`Handle`], which carries the entry's slot and a generation number.
//! Deleting an entry (or moving it to another domain) bumps the slot's
//! generation, so an old handle to a reused slot is refused as stale rather
//! than silently naming something else. The kernel mirrors the table into
//! the read-only DCB half ([`CapInfo`]), so a domain finds its capabilities
//! by name without a system call.

use bitflags::bitflags;

/// Entries in a domain's capability table.
pub const CAP_SLOTS: usize = 32;

/// Event slots in a domain's DCB: channel ends and interrupts, each with a
/// monotonic count (see [`crate::dcb::DcbReadOnly::events`]).
pub const EVENT_SLOTS: usize = 32;

/// Longest capability name, in bytes (NUL-padded into 16).
pub const MAX_CAP_NAME_LEN: usize = 15;

/// The name of a domain's capability to itself (a [`CapKind::Domain`],
/// rights `CONTROL` and `GRANT`): the first the kernel gives every domain.
pub const SELF: &str = "self";

/// The name of a domain's capability to its own CPU reservation (a
/// [`CapKind::Reservation`], rights `READ`, `WRITE` and `GRANT`): the
/// second the kernel gives every domain.
pub const RESERVATION: &str = "reservation";

/// The capabilities the kernel gives every domain before the manifest's,
/// in table order.
pub const KERNEL_CAP_NAMES: [&str; KERNEL_CAPS] = [SELF, RESERVATION];

/// How many capabilities the kernel gives every domain before the
/// manifest's: a domain's table has room for `CAP_SLOTS - KERNEL_CAPS` of
/// its manifest's.
pub const KERNEL_CAPS: usize = 2;

bitflags! {
    /// What a capability lets its holder do. Which rights mean something
    /// depends on its [`CapKind`]; minting can only drop rights.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Rights: u64 {
        /// Region: map it readable. Reservation: read it. Domain: read its
        /// state and accounting (`domain_info`).
        const READ = 1 << 0;
        /// Region: map it writable (with `READ`). Reservation: change it.
        const WRITE = 1 << 1;
        /// Channel end: signal the other end.
        const SEND = 1 << 2;
        /// Channel end: receive its events (bound to the end's owner).
        const RECEIVE = 1 << 3;
        /// Interrupt: acknowledge it, unmasking the line (bound to the
        /// interrupt's owner).
        const ACK = 1 << 4;
        /// Domain: stop it.
        const CONTROL = 1 << 5;
        /// May be moved to another domain (with `event_send`).
        const GRANT = 1 << 6;
        /// Domain: restart it (`domain_restart`). A supervisor's
        /// capability holds it; a domain's own (`self`) does not.
        const RESTART = 1 << 7;
        /// Domain: give it the CPU on the holder's reservation
        /// (`domain_donate`). Only a group's scheduler domain holds it,
        /// for its members, and it cannot move.
        const SCHEDULE = 1 << 8;
    }
}

impl Rights {
    /// Rights that tie a capability to its holder: the domain whose DCB
    /// receives its events, or a group's scheduler. A capability holding
    /// one cannot be moved.
    pub const BOUND: Rights = Rights::RECEIVE.union(Rights::ACK).union(Rights::SCHEDULE);
}

/// The type of object a capability names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum CapKind {
    /// An empty table entry.
    Empty = 0,
    /// One end of an event channel.
    Channel = 1,
    /// An interrupt line, delivered as events.
    Irq = 2,
    /// A memory region (shared memory, or a device's registers).
    Region = 3,
    /// A domain, to control.
    Domain = 4,
    /// A domain's CPU reservation.
    Reservation = 5,
}

impl CapKind {
    /// The kind with this number, if any.
    pub fn from_number(number: u64) -> Option<Self> {
        Some(match number {
            0 => Self::Empty,
            1 => Self::Channel,
            2 => Self::Irq,
            3 => Self::Region,
            4 => Self::Domain,
            5 => Self::Reservation,
            _ => return None,
        })
    }
}

/// What a capability names. Channels, interrupts and regions are indexes
/// into the image's tables (`CHANNELS`, `IRQS`, `REGIONS` in the generated
/// image configuration); domains are the kernel's domain indexes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Object {
    /// End `end` (0 or 1) of channel `channel`.
    Channel {
        /// Index into the image's channels.
        channel: usize,
        /// Which end.
        end: usize,
    },
    /// Interrupt `irq` of the image.
    Irq {
        /// Index into the image's interrupts.
        irq: usize,
    },
    /// Memory region `region` (shared memory or a device's registers).
    Region {
        /// Index into the image's regions.
        region: usize,
    },
    /// A domain, to control.
    Domain {
        /// The domain's index.
        domain: usize,
    },
    /// A domain's CPU reservation.
    Reservation {
        /// The domain's index.
        domain: usize,
    },
}

impl Object {
    /// Its type.
    pub fn kind(self) -> CapKind {
        match self {
            Self::Channel { .. } => CapKind::Channel,
            Self::Irq { .. } => CapKind::Irq,
            Self::Region { .. } => CapKind::Region,
            Self::Domain { .. } => CapKind::Domain,
            Self::Reservation { .. } => CapKind::Reservation,
        }
    }
}

/// A domain's name for one of its capabilities: the table slot in the low
/// 8 bits, the slot's generation above. Generation 0 is never used, so 0 is
/// never a valid handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Handle(pub u64);

impl Handle {
    /// Bits of the handle that hold the slot.
    const SLOT_BITS: u32 = 8;

    /// The handle of `slot` at `generation`.
    pub const fn new(slot: usize, generation: u32) -> Self {
        Self(((generation as u64) << Self::SLOT_BITS) | (slot as u64 & 0xFF))
    }

    /// The table slot it names.
    pub const fn slot(self) -> usize {
        (self.0 & 0xFF) as usize
    }

    /// The generation it was issued at (bits above 40 are not part of any
    /// valid handle, so a handle with them set is refused as forged).
    pub const fn generation(self) -> u64 {
        self.0 >> Self::SLOT_BITS
    }
}

/// One entry of the capability table, as mirrored in the read-only DCB half.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct CapInfo {
    /// Its handle (0: the entry is empty).
    pub handle: u64,
    /// Its [`CapKind`] as a number.
    pub kind: u64,
    /// Its [`Rights`] bits.
    pub rights: u64,
    /// Channel ends and interrupts: the event slot its events count in (in
    /// the owner's DCB); `u64::MAX` for other kinds.
    pub event: u64,
    /// Regions: first address. Domains and reservations: the domain's index.
    pub base: u64,
    /// Regions: length in bytes.
    pub size: u64,
    /// Its name: the channel, region, device or interrupt it came from in
    /// the manifest ([`SELF`] and [`RESERVATION`] for the domain's own),
    /// NUL-padded.
    pub name: [u8; 16],
}

impl CapInfo {
    /// Its kind (`Empty` for an unknown number).
    pub fn kind(&self) -> CapKind {
        CapKind::from_number(self.kind).unwrap_or(CapKind::Empty)
    }

    /// Its rights.
    pub fn rights(&self) -> Rights {
        Rights::from_bits_truncate(self.rights)
    }

    /// Its name.
    pub fn name(&self) -> &str {
        crate::dcb::padded_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_pack_slot_and_generation() {
        let handle = Handle::new(31, 7);
        assert_eq!((handle.slot(), handle.generation()), (31, 7));
        assert_eq!(Handle::new(0, 1).0, 0x100);
        assert_ne!(Handle::new(0, 1).0, 0, "0 is never a valid handle");
    }

    #[test]
    fn kinds_round_trip() {
        for n in 0..6 {
            assert_eq!(CapKind::from_number(n).map(|k| k as u64), Some(n));
        }
        assert_eq!(CapKind::from_number(6), None);
    }

    #[test]
    fn bound_rights_are_receive_and_ack() {
        assert!(Rights::BOUND.contains(Rights::RECEIVE | Rights::ACK));
        assert!(!Rights::BOUND.intersects(Rights::SEND | Rights::GRANT));
    }
}
