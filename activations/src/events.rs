//! Capabilities, event channels and interrupts, on top of the system calls
//! and the DCB.
//!
//! A domain finds its capabilities by name in its DCB (the kernel mirrors
//! its capability table there). A channel end counts the events the other
//! end sends; a thread waits for a count with [`EventChannel::await_count`]
//! and signals the other end with [`EventChannel::advance`]. Requests and
//! replies travel through a shared region both domains map: in the single
//! address space a pointer into it means the same to both.

use crate::runtime::{await_event, dcb, event_count};
use crate::syscall;
use vesper_abi::cap::{CapInfo, CapKind, Rights};
use vesper_abi::syscall::Error;

/// The first capability in the DCB's mirror of the table that `wanted`
/// accepts (empty entries never are).
fn find_cap(wanted: impl Fn(&CapInfo) -> bool) -> Option<CapInfo> {
    caps().find(|cap| wanted(cap))
}

/// The capability called `name`.
pub fn cap(name: &str) -> Option<CapInfo> {
    find_cap(|cap| cap.name() == name)
}

/// The capability of kind `kind` called `name` (a region and a channel may
/// share a name: a service's pair of them do).
fn cap_of_kind(name: &str, kind: CapKind) -> Option<CapInfo> {
    find_cap(|cap| cap.name() == name && cap.kind() == kind)
}

/// Every capability the domain holds, as its DCB mirrors the table.
pub fn caps() -> impl Iterator<Item = CapInfo> {
    // SAFETY: the mapped read-only DCB half; read volatile because the
    // kernel rewrites the mirror when the table changes.
    let caps = unsafe { core::ptr::read_volatile(&dcb().caps) };
    caps.into_iter().filter(|cap| cap.handle != 0)
}

/// A group's scheduler: the capability to donate the CPU to its member
/// called `name` (a Domain capability with `SCHEDULE`, named after it).
pub fn member_cap(name: &str) -> Option<CapInfo> {
    find_cap(|cap| {
        cap.kind() == CapKind::Domain
            && Rights::from_bits_truncate(cap.rights).contains(Rights::SCHEDULE)
            && cap.name() == name
    })
}

/// The capability whose handle is `handle`, if the domain holds it.
pub fn cap_by_handle(handle: u64) -> Option<CapInfo> {
    find_cap(|cap| cap.handle == handle)
}

/// One end of an event channel this domain holds.
#[derive(Clone, Copy, Debug)]
pub struct EventChannel {
    handle: u64,
    slot: usize,
}

impl EventChannel {
    /// The channel end called `name` (the manifest's channel name).
    pub fn named(name: &str) -> Option<Self> {
        let cap = cap_of_kind(name, CapKind::Channel)?;
        Some(Self { handle: cap.handle, slot: cap.event as usize })
    }

    /// Its capability handle.
    pub fn handle(&self) -> u64 {
        self.handle
    }

    /// Its event slot in this domain's DCB.
    pub fn slot(&self) -> usize {
        self.slot
    }

    /// Events received on this end so far.
    pub fn count(&self) -> u64 {
        event_count(self.slot)
    }

    /// Blocks the calling thread until this end has received `value`
    /// events; returns the count.
    pub fn await_count(&self, value: u64) -> u64 {
        await_event(self.slot, value)
    }

    /// Sends one event to the other end.
    pub fn advance(&self) -> Result<(), Error> {
        syscall::event_send(self.handle, 0).map(|_| ())
    }

    /// Sends one event to the other end, moving capability `transfer` with
    /// it into the other domain.
    pub fn advance_with(&self, transfer: u64) -> Result<(), Error> {
        syscall::event_send(self.handle, transfer).map(|_| ())
    }

    /// The state of the domain at the other end, as the kernel shows it
    /// in the DCB's `peers` (see `vesper_abi::dcb::peer_state`): how many
    /// times it was restarted, and whether it is stopped now.
    pub fn peer(&self) -> u64 {
        let Some(state) = dcb().peers.get(self.slot) else { return 0 };
        // SAFETY: as in `event_count`: the kernel changes it when the peer
        // stops or is restarted.
        unsafe { core::ptr::read_volatile(state) }
    }

    /// The handle of the capability that came with the latest event on
    /// this end (0: none).
    pub fn inbox(&self) -> u64 {
        let Some(handle) = dcb().inbox.get(self.slot) else { return 0 };
        // SAFETY: as in `find_cap`.
        unsafe { core::ptr::read_volatile(handle) }
    }
}

/// An interrupt this domain takes.
#[derive(Clone, Copy, Debug)]
pub struct Interrupt {
    handle: u64,
    slot: usize,
}

impl Interrupt {
    /// The interrupt called `name` (`DEVICE.NAME`).
    pub fn named(name: &str) -> Option<Self> {
        let cap = cap_of_kind(name, CapKind::Irq)?;
        Some(Self { handle: cap.handle, slot: cap.event as usize })
    }

    /// Times it has been delivered.
    pub fn count(&self) -> u64 {
        event_count(self.slot)
    }

    /// Blocks the calling thread until it has been delivered `value` times;
    /// returns the count.
    pub fn await_count(&self, value: u64) -> u64 {
        await_event(self.slot, value)
    }

    /// Tells the kernel it has been dealt with: the line is unmasked (once
    /// every domain it goes to has acknowledged it).
    pub fn ack(&self) -> Result<(), Error> {
        syscall::irq_ack(self.handle).map(|_| ())
    }
}

/// A memory region (shared memory or device registers) this domain maps.
#[derive(Clone, Copy, Debug)]
pub struct Region {
    /// First address.
    pub base: u64,
    /// Length in bytes.
    pub size: u64,
}

impl Region {
    /// The region (or device) called `name`.
    pub fn named(name: &str) -> Option<Self> {
        let cap = cap_of_kind(name, CapKind::Region)?;
        Some(Self { base: cap.base, size: cap.size })
    }
}
