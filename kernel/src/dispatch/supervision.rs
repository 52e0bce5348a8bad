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

use super::events::{self, live};
use super::syscall::Outcome;
use super::{AllCores, Dispatcher};
use crate::arch::time;
use crate::bsp::intc;
use crate::domain::config::{EventTarget, CHANNELS, DOMAINS, IRQS};
use crate::domain::{setup, DomainState, Resume};
use crate::trace::{self, record};
use core::sync::atomic::{AtomicU64, Ordering};
use vesper_abi::cap::Rights;
use vesper_abi::dcb::{peer_state, ActivationReason};
use vesper_abi::layout::MAX_DOMAINS;
use vesper_abi::syscall::Error;
use vesper_abi::trace::Kind;
use vesper_kernel_core::cap::Object;

/// Every domain's state as its peers see it in their DCB's `peers`
/// ([`peer_state`]), written by the core that changes it, so that any
/// core reads it without borrowing that core's part: a domain that never
/// started is stopped, and never restarted.
static PEER_STATES: [AtomicU64; MAX_DOMAINS] =
    [const { AtomicU64::new(peer_state(0, true)) }; MAX_DOMAINS];

/// Domain `index` now runs (or is stopped) after `restarts` restarts.
pub(super) fn publish_peer_state(index: usize, restarts: u64, stopped: bool) {
    PEER_STATES[index].store(peer_state(restarts, stopped), Ordering::Release);
}

/// Domain `index`'s state as its peers see it.
pub(super) fn peer_state_of(index: usize) -> u64 {
    PEER_STATES[index].load(Ordering::Acquire)
}

/// Each channel end of domain `index`, with the end facing it.
fn channel_ends_of(index: usize) -> impl Iterator<Item = (EventTarget, EventTarget)> {
    CHANNELS
        .iter()
        .flat_map(|channel| [(0, 1), (1, 0)].map(|(a, b)| (channel.ends[a], channel.ends[b])))
        .filter(move |(mine, _)| mine.domain == index)
}

impl Dispatcher<'_> {
    /// Writes `state` into the `peers` entry of channel end `end`, of a
    /// domain on this core.
    fn show_peer(&mut self, end: EventTarget, state: u64) {
        if let Some(slot) = self.ro(end.domain).peers.get_mut(end.event) {
            *slot = state;
        }
    }

    /// Fills in domain `index`'s `peers`: the state of the domain at the
    /// other end of each of its channel ends.
    pub(super) fn show_peers(&mut self, index: usize) {
        for (mine, theirs) in channel_ends_of(index) {
            self.show_peer(mine, peer_state_of(theirs.domain));
        }
    }

    /// Domain `index`, on this core, stopped or was restarted: the domain
    /// at the other end of each of its channels sees its new state in
    /// `peers` and gets an event there (on another core, through the post,
    /// which shows it the state), and, if it stopped, each of its
    /// supervisors gets one.
    pub(super) fn announce(&mut self, index: usize) {
        let state = peer_state_of(index);
        let mut now = None;
        let started = self.shared.started;
        for (_, theirs) in channel_ends_of(index).filter(|(_, t)| started.contains(t.domain)) {
            if self.is_mine(theirs.domain) {
                self.show_peer(theirs, state);
            } else {
                events::peers_changed(theirs.domain);
            }
            self.deliver(theirs, None, &mut now);
        }
        if live(index).is_none() {
            for supervisor in DOMAINS[index].supervisors {
                self.deliver(*supervisor, None, &mut now);
            }
        }
        if let Some(group) = DOMAINS[index].scheduled_by {
            self.show_members(group.domain);
            self.deliver(group, None, &mut now);
        }
    }

    /// Delivers the interrupts `target` takes to it again (see
    /// `release_interrupts`): a line masked only because no live owner was
    /// left is unmasked.
    fn route_interrupts_to(&mut self, target: usize) {
        for (irq, config) in IRQS.iter().enumerate().take(events::MAX_IRQS) {
            if !config.owners.iter().any(|owner| owner.domain == target) {
                continue;
            }
            let was_unowned = self.core.irq_owners[irq].is_empty();
            self.core.irq_owners[irq].insert(target);
            if was_unowned && self.core.irq_waiting[irq].is_empty() && config.line < intc::LINES {
                intc::enable(config.line);
            }
        }
    }
}

impl AllCores {
    /// `domain_restart`: puts the domain `handle` names back in its initial
    /// state (see the module documentation).
    pub(super) fn domain_restart(&mut self, index: usize, handle: u64) -> Result<Outcome, Error> {
        let target = self.shared.domain_cap(index, handle, Rights::RESTART)?;
        if target == index {
            return Err(Error::BadArgument);
        }
        let now = time::now_ns();
        if self.domain(target).state == DomainState::Live {
            self.of(target).stop(target, DomainState::Stopped, now);
        }
        let restarts = self.restart(target, now);
        log::info!(
            "domain {} restarted by domain {} (restart {restarts})",
            DOMAINS[target].name,
            DOMAINS[index].name
        );
        Ok(self.here().returned(index, Ok(restarts)))
    }

    /// Brings stopped domain `target` back to its initial state at `now`
    /// and returns how many times it has now been restarted.
    fn restart(&mut self, target: usize, now: u64) -> u64 {
        let mut regions = false;
        let changed = self.shared.caps.clear(target, |_, cap| {
            regions |= matches!(cap.object, Object::Region { .. });
        });
        self.refresh(regions, changed.iter().filter(|domain| *domain != target));
        setup::populate(target, &DOMAINS[target]);
        events::drop_posted(target);
        let domain = self.domain(target);
        domain.state = DomainState::Live;
        domain.resume = Resume::Activate(ActivationReason::Allocated);
        domain.alarm_ns = u64::MAX;
        domain.restarts += 1;
        let restarts = domain.restarts;
        publish_peer_state(target, restarts, false);
        self.grant_caps(target);
        let run_end_ns = self.shared.run_end_ns.unwrap_or(u64::MAX);
        let mut d = self.of(target);
        d.core.fpu.forget(target);
        d.core.members_blocked.remove(target);
        let ro = d.ro(target);
        ro.restarts = restarts;
        ro.run_end_ns = run_end_ns;
        ro.start_ns = now;
        d.show_peers(target);
        d.show_members(target);
        d.route_interrupts_to(target);
        d.core.atropos.restart(target, now);
        record(now, Kind::Restart, Some(target), 0, 0);
        trace::restarted(target);
        d.announce(target);
        restarts
    }
}
