//! Supervision: what the kernel does when a domain stops, and
//! `domain_restart`. Mechanism only: the kernel tells, and restarts when
//! asked; when to restart, and when to give up, is a supervising domain's
//! policy (`domains/supervisor`).
//!
//! When a domain faults, exits or is stopped, the kernel counts an event
//! for each of its supervisors (the manifest's `supervises`, in the slot
//! the builder gave the supervisor for it) and for the domain at the other
//! end of each of its channels, whose DCB `peers` entry for that end now
//! says *stopped*: a client blocked on a reply wakes instead of waiting for
//! ever, and a send to the stopped domain gets `PeerStopped`. The fault
//! report stays readable with `domain_info`.
//!
//! A restart puts the domain back as it booted: its program reloaded from
//! the image's pristine copy (compiled into the kernel, which never writes
//! it: nothing is allocated), its stack, data and DCB cleared and filled
//! in as at boot, its capabilities as the manifest gave them (everything
//! derived from its old ones revoked, everything moved to it gone), its
//! interrupts routed to it again, a fresh period of its unchanged
//! reservation, its first dispatch an `Allocated` upcall. Its peers see a
//! new generation in `peers` (the restart count) and get an event.

use super::syscall::Outcome;
use super::Dispatcher;
use crate::arch::time;
use crate::bsp::intc;
use crate::domain::config::{EventTarget, CHANNELS, IRQS};
use crate::domain::{setup, DomainState, Resume};
use crate::trace::{self, record};
use vesper_abi::cap::{CapKind, Handle, Rights};
use vesper_abi::dcb::{peer_state, ActivationReason};
use vesper_abi::syscall::Error;
use vesper_abi::trace::Kind;
use vesper_kernel_core::cap::Object;

/// Each channel end of domain `index`, with the end facing it.
fn channel_ends_of(index: usize) -> impl Iterator<Item = (EventTarget, EventTarget)> {
    CHANNELS
        .iter()
        .flat_map(|channel| [(0, 1), (1, 0)].map(|(a, b)| (channel.ends[a], channel.ends[b])))
        .filter(move |(mine, _)| mine.domain == index)
}

impl Dispatcher {
    /// Domain `index`'s state as its peers see it in their DCB's `peers`
    /// (a domain that never started is stopped, and never restarted).
    fn peer_state_of(&self, index: usize) -> u64 {
        match self.domains.get(index).and_then(Option::as_ref) {
            Some(domain) => peer_state(domain.restarts, domain.state != DomainState::Live),
            None => peer_state(0, true),
        }
    }

    /// Writes `state` into the `peers` entry of channel end `end`.
    fn show_peer(&mut self, end: EventTarget, state: u64) {
        if let Some(slot) = self.ro(end.domain).peers.get_mut(end.event) {
            *slot = state;
        }
    }

    /// Fills in domain `index`'s `peers`: the state of the domain at the
    /// other end of each of its channel ends.
    pub(super) fn show_peers(&mut self, index: usize) {
        for (mine, theirs) in channel_ends_of(index) {
            let state = self.peer_state_of(theirs.domain);
            self.show_peer(mine, state);
        }
    }

    /// Domain `index` stopped or was restarted: the domain at the other end
    /// of each of its channels sees its new state in `peers` and gets an
    /// event there, and, if it stopped, each of its supervisors gets one.
    pub(super) fn announce(&mut self, index: usize) {
        let state = self.peer_state_of(index);
        let mut now = None;
        for (_, theirs) in channel_ends_of(index) {
            if self.started(theirs.domain).is_some() {
                self.show_peer(theirs, state);
                self.deliver(theirs, None, &mut now);
            }
        }
        if self.domain(index).state != DomainState::Live {
            for supervisor in self.config(index).supervisors {
                self.deliver(*supervisor, None, &mut now);
            }
        }
        if let Some(group) = self.config(index).scheduled_by {
            self.show_members(group.domain);
            self.deliver(group, None, &mut now);
        }
    }

    /// `domain_restart`: puts the domain `handle` names back in its initial
    /// state (see the module documentation).
    pub(super) fn domain_restart(&mut self, index: usize, handle: u64) -> Outcome {
        let target = match self.caps.lookup(index, Handle(handle), CapKind::Domain, Rights::RESTART)
        {
            Ok(Object::Domain { domain }) => domain,
            Ok(_) => return Outcome::Return(Err(Error::WrongType)),
            Err(error) => return Outcome::Return(Err(error)),
        };
        if target == index {
            return Outcome::Return(Err(Error::BadArgument));
        }
        let now = time::now_ns();
        if self.domain(target).state == DomainState::Live {
            self.stop(target, DomainState::Stopped, now);
        }
        let restarts = self.restart(target, now);
        log::info!(
            "domain {} restarted by domain {} (restart {restarts})",
            self.config(target).name,
            self.config(index).name
        );
        self.returned(index, Ok(restarts))
    }

    /// Brings stopped domain `target` back to its initial state at `now`
    /// and returns how many times it has now been restarted.
    fn restart(&mut self, target: usize, now: u64) -> u64 {
        let mut regions = false;
        let changed = self.caps.clear(target, |_, cap| {
            regions |= matches!(cap.object, Object::Region { .. });
        });
        for domain in changed.iter().filter(|domain| *domain != target) {
            if regions {
                self.sync_regions(domain);
            }
            self.mirror(domain);
        }
        let core = self.core_of(target);
        self.cores[core].fpu.forget(target);
        let config = self.config(target);
        setup::populate(target, config);
        let domain = self.domain(target);
        domain.state = DomainState::Live;
        domain.resume = Resume::Activate(ActivationReason::Allocated);
        domain.alarm_ns = u64::MAX;
        domain.restarts += 1;
        let restarts = domain.restarts;
        self.members_blocked.remove(target);
        self.grant_caps(target);
        let run_end_ns = self.run_end_ns.unwrap_or(u64::MAX);
        let ro = self.ro(target);
        ro.restarts = restarts;
        ro.run_end_ns = run_end_ns;
        ro.start_ns = now;
        self.show_peers(target);
        self.show_members(target);
        self.route_interrupts_to(target);
        self.atropos_of(target).restart(target, now);
        record(now, Kind::Restart, Some(target), 0, 0);
        trace::restarted(target);
        self.announce(target);
        restarts
    }

    /// Delivers the interrupts `target` takes to it again (see
    /// `release_interrupts`): a line masked only because no live owner was
    /// left is unmasked.
    fn route_interrupts_to(&mut self, target: usize) {
        for (irq, config) in IRQS.iter().enumerate().take(super::events::MAX_IRQS) {
            if !config.owners.iter().any(|owner| owner.domain == target) {
                continue;
            }
            let was_unowned = self.irq_owners[irq].is_empty();
            self.irq_owners[irq].insert(target);
            if was_unowned && self.irq_waiting[irq].is_empty() && config.line < intc::LINES {
                intc::enable(config.line);
            }
        }
    }
}
