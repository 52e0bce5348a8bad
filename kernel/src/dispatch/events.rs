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

use super::syscall::Outcome;
use super::Dispatcher;
use crate::arch::time;
use crate::bsp::{intc, local_intc};
use crate::domain::config::{EventTarget, CHANNELS, IRQS};
use crate::domain::DomainState;
use crate::trace::{self, record};
use vesper_abi::cap::{CapKind, Handle, Rights};
use vesper_abi::syscall::Error;
use vesper_abi::trace::{Kind, NO_WAKER};
use vesper_kernel_core::atropos::MAX_DOMAINS;
use vesper_kernel_core::cap::Object;

pub use vesper_abi::layout::MAX_IRQS;

/// A set of domains, by number.
pub type DomainSet = vesper_kernel_core::bitset::IndexSet<MAX_DOMAINS>;

impl Dispatcher {
    /// The live domains interrupt `irq` is delivered to, found from the
    /// domains' states (for [`Dispatcher::enable_interrupts`]; delivery
    /// reads the kept set, `irq_owners`).
    fn live_owners(&self, irq: usize) -> DomainSet {
        IRQS[irq].owners.iter().filter_map(|owner| self.live(owner.domain)).collect()
    }

    /// `index` if it is a domain that still runs (it may block).
    pub(super) fn live(&self, index: usize) -> Option<usize> {
        let domain = self.domains.get(index)?.as_ref()?;
        (domain.state == DomainState::Live).then_some(index)
    }

    /// A domain stopped: interrupts are no longer delivered to it, and as
    /// it will never acknowledge, a line that waited only for it is
    /// unmasked again, for its other owners (with none left it stays
    /// masked).
    pub(super) fn release_interrupts(&mut self, index: usize) {
        let sets = self.irq_owners.iter_mut().zip(&mut self.irq_waiting);
        for ((owners, waiting), config) in sets.zip(IRQS) {
            owners.remove(index);
            if !waiting.contains(index) {
                continue;
            }
            waiting.remove(index);
            if waiting.is_empty() && !owners.is_empty() {
                intc::enable(config.line);
            }
        }
    }

    /// Whether a live domain takes an interrupt the kernel delivers: while
    /// one does, a device may yet wake it (a driver waiting for input), so
    /// a kernel with nothing to run waits for it rather than ending the
    /// run. (A line masked until a live owner acknowledges still counts:
    /// the kernel cannot know that the owner never will.)
    pub(super) fn a_device_may_wake_someone(&self) -> bool {
        (0..IRQS.len().min(MAX_IRQS))
            .any(|irq| IRQS[irq].line < intc::LINES && !self.irq_owners[irq].is_empty())
    }

    /// Records who takes each interrupt, unmasks those some domain takes,
    /// and routes the peripherals' interrupt to the core of the domains
    /// that take them (the image builder places them all on one: the Pi
    /// has one such route).
    pub(super) fn enable_interrupts(&mut self) {
        if let Some(owner) = IRQS.iter().flat_map(|irq| irq.owners).next() {
            local_intc::route_peripherals_to(self.core_of(owner.domain));
        }
        // The builder refuses an image with more than MAX_IRQS.
        for (irq, config) in IRQS.iter().enumerate().take(MAX_IRQS) {
            self.irq_owners[irq] = self.live_owners(irq);
            if !self.irq_owners[irq].is_empty() {
                intc::enable(config.line);
            }
        }
    }

    /// Counts an event for `target` and wakes its domain if it is blocked
    /// (a group member's wake-up goes to its scheduler: see `group`).
    /// Returns whether the kernel must decide again who runs. Events for a
    /// domain that never started are dropped. `sender` is the domain whose
    /// call sent it (`None` for an interrupt): it is not owed a switch if
    /// the woken domain preempts it.
    // Always inlined: at `event_send` the sender's checks (the receiver
    // started, no time read yet) fold into it, 25 instructions fewer.
    #[inline(always)]
    pub(super) fn deliver(
        &mut self,
        target: EventTarget,
        sender: Option<usize>,
        now: &mut Option<u64>,
    ) -> bool {
        let Some(index) = self.count_event(target) else {
            return false;
        };
        if self.members.contains(index) {
            return self.wake_member(index, sender, now);
        }
        self.wake(index, sender, now)
    }

    /// Counts an event for `target` in its domain's DCB; returns the
    /// domain if it is live (an event may wake it).
    #[inline]
    pub(super) fn count_event(&mut self, target: EventTarget) -> Option<usize> {
        let index = self.started(target.domain)?;
        let ro = self.ro(index);
        if let Some(count) = ro.events.get_mut(target.event) {
            *count = count.wrapping_add(1);
            // A domain running on another core that sees the new total
            // must see the new count too (it reads the total first).
            if crate::sync::SMP {
                core::sync::atomic::fence(core::sync::atomic::Ordering::Release);
            }
            ro.events_total = ro.events_total.wrapping_add(1);
        }
        (self.domain(index).state == DomainState::Live).then_some(index)
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
        if !self.atropos[self.core_of(index)].is_blocked(index) {
            return false;
        }
        let now = *now.get_or_insert_with(time::now_ns);
        let waker = sender.map_or(NO_WAKER, |sender| sender as u16);
        record(now, Kind::Wake, Some(index), waker, 0);
        // A domain woken on another core is that core's to dispatch: it
        // decides again, and this one has no reason to.
        let core = self.core_of(index);
        self.atropos_of(index).wake(index, now, sender) && core == self.here()
    }

    /// A peripheral interrupt is pending: masks each pending line the image
    /// routes and delivers it to its domains.
    pub(super) fn deliver_interrupts(&mut self, now: u64) {
        let pending = intc::pending();
        let mut now = Some(now);
        for (irq, config) in IRQS.iter().enumerate().take(MAX_IRQS) {
            if config.line >= intc::LINES || pending & (1 << config.line) == 0 {
                continue;
            }
            intc::disable(config.line);
            self.irq_waiting[irq] = self.irq_owners[irq];
            for owner in config.owners {
                if let Some(at) = now {
                    record(
                        at,
                        Kind::IrqDelivered,
                        Some(owner.domain),
                        irq as u16,
                        owner.event as u32,
                    );
                }
                self.deliver(*owner, None, &mut now);
            }
        }
    }

    /// `irq_ack`: the caller has dealt with the interrupt.
    pub(super) fn irq_ack(&mut self, index: usize, handle: u64) -> Result<u64, Error> {
        let Object::Irq { irq } =
            self.caps.lookup(index, Handle(handle), CapKind::Irq, Rights::ACK)?
        else {
            return Err(Error::WrongType);
        };
        let Some(waiting) = self.irq_waiting.get_mut(irq) else {
            return Ok(0);
        };
        if !waiting.contains(index) {
            return Ok(0);
        }
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

    /// `event_send`: signals the other end of the channel, moving the
    /// capability `transfer` with it unless that is 0.
    pub(super) fn event_send(&mut self, index: usize, [handle, transfer]: [u64; 2]) -> Outcome {
        let object = self.caps.lookup(index, Handle(handle), CapKind::Channel, Rights::SEND);
        let (channel, end) = match object {
            Ok(Object::Channel { channel, end }) => (channel, end),
            Ok(_) => return Outcome::Return(Err(Error::WrongType)),
            Err(error) => return Outcome::Return(Err(error)),
        };
        let target = CHANNELS[channel].ends[1 - end];
        let Some(receiver) = self.started(target.domain) else {
            return Outcome::Return(Ok(0));
        };
        if self.live(receiver).is_none() {
            return Outcome::Return(Err(Error::PeerStopped));
        }
        if transfer != 0 {
            let moved = match self.caps.get(index, Handle(transfer)) {
                Ok(cap) => cap.object,
                Err(error) => return Outcome::Return(Err(error)),
            };
            let new = match self.caps.transfer(index, Handle(transfer), receiver) {
                Ok(new) => new,
                Err(error) => return Outcome::Return(Err(error)),
            };
            if let Some(slot) = self.ro(receiver).inbox.get_mut(target.event) {
                *slot = new.0;
            }
            self.refresh(moved, [index, receiver]);
        }
        let mut now = None;
        if trace::ON {
            let at = *now.get_or_insert_with(time::now_ns);
            record(at, Kind::EventSent, Some(index), receiver as u16, target.event as u32);
        }
        if !self.deliver(target, Some(index), &mut now) {
            return Outcome::Return(Ok(0));
        }
        // The receiver may have the earlier deadline now.
        Outcome::Reschedule(now.unwrap_or_else(time::now_ns))
    }
}
