//! Events: channel sends, interrupts delivered as events, and their
//! acknowledgement.
//!
//! An event is a count going up in the receiver's DCB (`events[slot]`, and
//! `events_total`); a blocked receiver wakes. The kernel never activates a
//! domain just because an event arrived while it ran: the domain sees the
//! count when it next looks. An interrupt line is masked when it fires and
//! unmasked when every domain it was delivered to has acknowledged it, so
//! each line is delivered at most once per acknowledgement, and a driver
//! under load ends up polling its counts rather than taking an interrupt
//! per request.
//!
//! An event for a domain on another core is posted: counted in
//! [`POSTED`], its domain marked in that core's [`POSTED_TO`], and the
//! core interrupted (unless an interrupt for earlier posts is on its way).
//! That core counts the posted events in its domains' DCBs, shows them
//! their peers' states and wakes them, as a local event would have
//! ([`Dispatcher::take_posted`]): no core writes another core's DCBs or
//! scheduling state, and a send to another core takes no lock.

use super::syscall::Outcome;
use super::{core_of, supervision, AllCores, Dispatcher};
use crate::arch::time;
use crate::bsp::{intc, local_intc};
use crate::domain::config::{EventTarget, CHANNELS, CORES_USED, IRQS};
use crate::trace::{self, record};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use vesper_abi::cap::{CapKind, Handle, Rights, EVENT_SLOTS};
use vesper_abi::dcb::peer_stopped;
use vesper_abi::syscall::Error;
use vesper_abi::trace::{Kind, NO_WAKER};
use vesper_kernel_core::atropos::MAX_DOMAINS;
use vesper_kernel_core::bitset::IndexSet;
use vesper_kernel_core::cap::Object;

pub use vesper_abi::layout::MAX_IRQS;

/// A set of domains, by number.
pub type DomainSet = IndexSet<MAX_DOMAINS>;

/// For each domain and event slot: the events posted to it from other
/// cores that its core has not counted yet.
static POSTED: [[AtomicU32; EVENT_SLOTS]; MAX_DOMAINS] =
    [const { [const { AtomicU32::new(0) }; EVENT_SLOTS] }; MAX_DOMAINS];

/// For each domain: the event slots with events posted to it (bit n: slot
/// n), and [`PEERS_CHANGED`], so that its core visits only those.
static POSTED_SLOTS: [AtomicU64; MAX_DOMAINS] = [const { AtomicU64::new(0) }; MAX_DOMAINS];

/// In [`POSTED_SLOTS`]: a peer of the domain, on another core, stopped or
/// restarted (it posts the domain an event too), so the domain's core
/// shows it its peers' states.
const PEERS_CHANGED: u64 = 1 << EVENT_SLOTS;

/// For each core: the domains (a [`DomainSet`]'s bits) with events posted
/// to them.
static POSTED_TO: [AtomicU64; CORES_USED] = [const { AtomicU64::new(0) }; CORES_USED];

/// Posts an event for `target`, a domain on another core, and interrupts
/// that core unless an interrupt for earlier posts is on its way (their
/// bits were set: the core clears them only after its interrupt, and then
/// takes every post made before).
fn post(target: EventTarget) {
    let Some(posted) = POSTED.get(target.domain).and_then(|slots| slots.get(target.event)) else {
        return;
    };
    posted.fetch_add(1, Ordering::Relaxed);
    POSTED_SLOTS[target.domain].fetch_or(1 << target.event, Ordering::Release);
    let core = core_of(target.domain);
    if POSTED_TO[core].fetch_or(DomainSet::of(target.domain).bits(), Ordering::Release) == 0 {
        local_intc::interrupt_cores(1 << core);
    }
}

/// A peer of `index`, a domain on another core, stopped or restarted: its
/// core shows it its peers' states when it takes the event that follows.
pub(super) fn peers_changed(index: usize) {
    POSTED_SLOTS[index].fetch_or(PEERS_CHANGED, Ordering::Relaxed);
}

/// Whether every posted event has been counted by its core.
pub(super) fn nothing_posted() -> bool {
    POSTED_TO.iter().all(|to| to.load(Ordering::Acquire) == 0)
}

/// Drops the events posted to domain `index` not counted yet: they were
/// for the domain it was before its restart.
pub(super) fn drop_posted(index: usize) {
    POSTED[index].iter().for_each(|posted| posted.store(0, Ordering::Relaxed));
    POSTED_SLOTS[index].store(0, Ordering::Relaxed);
}

/// `index` if it is a domain that still runs (it may block).
pub(super) fn live(index: usize) -> Option<usize> {
    (index < MAX_DOMAINS && !peer_stopped(supervision::peer_state_of(index))).then_some(index)
}

impl AllCores {
    /// Whether a live domain takes an interrupt the kernel delivers: while
    /// one does, a device may yet wake it (a driver waiting for input), so
    /// a kernel with nothing to run waits for it rather than ending the
    /// run. (A line masked until a live owner acknowledges still counts:
    /// the kernel cannot know that the owner never will.)
    pub(super) fn a_device_may_wake_someone(&self) -> bool {
        IRQS.iter().enumerate().take(MAX_IRQS).any(|(irq, config)| {
            config.line < intc::LINES && self.cores.iter().any(|c| !c.irq_owners[irq].is_empty())
        })
    }

    /// Records who takes each interrupt, unmasks those some domain takes,
    /// and routes the peripherals' interrupt to the core of the domains
    /// that take them (the image builder places them all on one: the Pi
    /// has one such route).
    pub(super) fn enable_interrupts(&mut self) {
        let Some(owner) = IRQS.iter().flat_map(|irq| irq.owners).next() else { return };
        let core = &mut self.cores[core_of(owner.domain)];
        local_intc::route_peripherals_to(core_of(owner.domain));
        // The builder refuses an image with more than MAX_IRQS.
        for (irq, config) in IRQS.iter().enumerate().take(MAX_IRQS) {
            let owners = config.owners.iter().filter_map(|owner| live(owner.domain)).collect();
            core.irq_owners[irq] = owners;
            if !core.irq_owners[irq].is_empty() {
                intc::enable(config.line);
            }
        }
    }

    /// `event_send` moving a capability with the event (it changes two
    /// domains' tables): as [`Dispatcher::event_send`], in a borrow of the
    /// whole.
    pub(super) fn event_send(
        &mut self,
        index: usize,
        [handle, transfer, _]: [u64; 3],
    ) -> Result<Outcome, Error> {
        let target = match self.here().send_target(index, handle) {
            Ok(target) => target,
            Err(outcome) => return Ok(outcome),
        };
        let receiver = target.domain;
        let moved = self.shared.caps.get(index, Handle(transfer))?.object;
        let new = self.shared.caps.transfer(index, Handle(transfer), receiver)?;
        if let Some(slot) = self.ro(receiver).inbox.get_mut(target.event) {
            *slot = new.0;
        }
        self.refresh(matches!(moved, Object::Region { .. }), [index, receiver]);
        Ok(self.here().send(index, target))
    }
}

impl Dispatcher<'_> {
    /// A domain stopped: interrupts are no longer delivered to it, and as
    /// it will never acknowledge, a line that waited only for it is
    /// unmasked again, for its other owners (with none left it stays
    /// masked).
    pub(super) fn release_interrupts(&mut self, index: usize) {
        let sets = self.core.irq_owners.iter_mut().zip(&mut self.core.irq_waiting);
        for ((owners, waiting), config) in sets.zip(IRQS) {
            owners.remove(index);
            let was_waiting = waiting.contains(index);
            waiting.remove(index);
            if was_waiting && waiting.is_empty() && !owners.is_empty() {
                intc::enable(config.line);
            }
        }
    }

    /// Counts an event for `target` and wakes its domain if it is blocked
    /// (a group member's wake-up goes to its scheduler: see `group`); an
    /// event for a domain on another core is posted to that core. Returns
    /// whether this core must decide again who runs. Events for a domain
    /// that never started are dropped. `sender` is the domain whose call
    /// sent it (`None` for an interrupt): it is not owed a switch if the
    /// woken domain preempts it.
    // Always inlined: at `event_send` the sender's checks (the receiver
    // started, no time read yet) fold into it, 25 instructions fewer.
    #[inline(always)]
    pub(super) fn deliver(
        &mut self,
        target: EventTarget,
        sender: Option<usize>,
        now: &mut Option<u64>,
    ) -> bool {
        if !self.shared.started.contains(target.domain) {
            return false;
        }
        if !self.is_mine(target.domain) {
            post(target);
            return false;
        }
        let Some(index) = self.count_events(target, 1) else {
            return false;
        };
        self.wake_any(index, sender, now)
    }

    /// Wakes domain `index`, placed on this core, if it is blocked (a
    /// member through its scheduler); returns whether this core must
    /// decide again who runs.
    #[inline(always)]
    fn wake_any(&mut self, index: usize, sender: Option<usize>, now: &mut Option<u64>) -> bool {
        if self.shared.members.contains(index) {
            return self.wake_member(index, sender, now);
        }
        self.wake(index, sender, now)
    }

    /// Counts `count` events for `target`, a started domain placed on this
    /// core, in its DCB; returns the domain if it is live (an event may
    /// wake it).
    #[inline]
    pub(super) fn count_events(&mut self, target: EventTarget, count: u32) -> Option<usize> {
        let index = target.domain;
        let ro = self.ro(index);
        if let Some(slot) = ro.events.get_mut(target.event) {
            *slot = slot.wrapping_add(count.into());
            // A domain running on another core that sees the new total
            // must see the new count too (it reads the total first).
            if crate::sync::SMP {
                core::sync::atomic::fence(Ordering::Release);
            }
            ro.events_total = ro.events_total.wrapping_add(count.into());
        }
        live(index)
    }

    /// Counts the events other cores posted to this core's domains, shows
    /// those whose peers on other cores stopped or restarted their peers'
    /// states, and wakes them.
    #[cold]
    pub(super) fn take_posted(&mut self, now: u64) {
        let posted_to = POSTED_TO[self.here()].swap(0, Ordering::Acquire);
        let mut now = Some(now);
        for index in DomainSet::from_bits(posted_to).iter() {
            let news = POSTED_SLOTS[index].swap(0, Ordering::Acquire);
            if news & PEERS_CHANGED != 0 {
                self.show_peers(index);
            }
            for event in IndexSet::<EVENT_SLOTS>::from_bits(news).iter() {
                let count = POSTED[index][event].swap(0, Ordering::Relaxed);
                if count != 0 {
                    self.count_events(EventTarget { domain: index, event }, count);
                }
            }
            if live(index).is_some() {
                self.wake_any(index, None, &mut now);
            }
        }
    }

    /// Wakes domain `index` if Atropos has it blocked; returns whether it
    /// did.
    #[inline]
    pub(super) fn wake(
        &mut self,
        index: usize,
        sender: Option<usize>,
        now: &mut Option<u64>,
    ) -> bool {
        if !self.core.atropos.is_blocked(index) {
            return false;
        }
        let now = *now.get_or_insert_with(time::now_ns);
        let waker = sender.map_or(NO_WAKER, |sender| sender as u16);
        record(now, Kind::Wake, Some(index), waker, 0);
        self.core.atropos.wake(index, now, sender)
    }

    /// A peripheral interrupt is pending: masks each pending line the image
    /// routes and delivers it to its domains.
    pub(super) fn deliver_interrupts(&mut self, now: u64) {
        let pending = intc::pending();
        let mut now_ns = Some(now);
        for (irq, config) in IRQS.iter().enumerate().take(MAX_IRQS) {
            if config.line >= intc::LINES || pending & (1 << config.line) == 0 {
                continue;
            }
            intc::disable(config.line);
            self.core.irq_waiting[irq] = self.core.irq_owners[irq];
            for owner in config.owners {
                record(now, Kind::IrqDelivered, Some(owner.domain), irq as u16, owner.event as u32);
                self.deliver(*owner, None, &mut now_ns);
            }
        }
    }

    /// `irq_ack`: the caller has dealt with the interrupt.
    pub(super) fn irq_ack(&mut self, index: usize, handle: u64) -> Result<u64, Error> {
        let Object::Irq { irq } =
            self.shared.caps.lookup(index, Handle(handle), CapKind::Irq, Rights::ACK)?
        else {
            return Err(Error::WrongType);
        };
        let waiting = self.core.irq_waiting.get_mut(irq);
        let Some(waiting) = waiting.filter(|waiting| waiting.contains(index)) else { return Ok(0) };
        waiting.remove(index);
        if trace::ON {
            record(time::now_ns(), Kind::IrqAck, Some(index), irq as u16, 0);
        }
        if !waiting.is_empty() {
            return Ok(0);
        }
        intc::enable(IRQS[irq].line);
        Ok(1)
    }

    /// The end of the channel `handle` names that an event from `index`
    /// goes to, if `index` may send on it and the receiver runs: else
    /// what the call returns.
    // Always inlined: on every `event_send`, where a call returned its
    // result through memory.
    #[inline(always)]
    pub(super) fn send_target(&self, index: usize, handle: u64) -> Result<EventTarget, Outcome> {
        let object = self.shared.caps.lookup(index, Handle(handle), CapKind::Channel, Rights::SEND);
        let (channel, end) = match object {
            Ok(Object::Channel { channel, end }) => (channel, end),
            Ok(_) => return Err(Outcome::Return(Err(Error::WrongType))),
            Err(error) => return Err(Outcome::Return(Err(error))),
        };
        let target = CHANNELS[channel].ends[1 - end];
        if !self.shared.started.contains(target.domain) {
            return Err(Outcome::Return(Ok(0)));
        }
        if live(target.domain).is_none() {
            return Err(Outcome::Return(Err(Error::PeerStopped)));
        }
        Ok(target)
    }

    /// `event_send`: signals the other end of the channel. Moving the
    /// capability `transfer` with it (unless that is 0) changes what the
    /// cores share: [`AllCores::event_send`] does it.
    pub(super) fn event_send(&mut self, index: usize, [handle, transfer]: [u64; 2]) -> Outcome {
        if transfer != 0 {
            return Outcome::Whole(|all, index, args| all.event_send(index, args).into());
        }
        match self.send_target(index, handle) {
            Ok(target) => self.send(index, target),
            Err(outcome) => outcome,
        }
    }

    /// Sends the event of `index`'s `event_send` to `target`.
    #[inline(always)]
    fn send(&mut self, index: usize, target: EventTarget) -> Outcome {
        let mut now = None;
        if trace::ON {
            let at = *now.get_or_insert_with(time::now_ns);
            record(at, Kind::EventSent, Some(index), target.domain as u16, target.event as u32);
        }
        if !self.deliver(target, Some(index), &mut now) {
            return Outcome::Return(Ok(0));
        }
        // The receiver may have the earlier deadline now.
        Outcome::Reschedule(now.unwrap_or_else(time::now_ns))
    }
}
