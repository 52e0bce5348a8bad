//! Groups: a scheduler domain decides, at user level, which of its member
//! domains runs on its reservation (`domain_donate` in
//! `vesper_abi::syscall`; docs/activations-and-atropos.md has the timeline).
//!
//! Atropos never picks a member (it holds a number with no share). While a
//! donation is on, Atropos goes on picking the scheduler domain and
//! charging it, and [`Dispatcher::donated`] gives the CPU to the member
//! instead, until the donation ends: the member yields, blocks or stops,
//! its budget is used up, or Atropos picks another domain (or none). The
//! scheduler then runs again, with the reason, and the report in its DCB.
//!
//! A member's wake-up is its scheduler's business: an event for a blocked
//! member counts one in its scheduler's group slot, shows the member ready
//! and brings the scheduler back to decide (waking it if it blocked,
//! ending its donation to another member if it was donating); the member
//! runs when its scheduler donates to it.

use super::syscall::Outcome;
use super::Dispatcher;
use crate::arch::time;
use crate::domain::Resume;
use crate::trace::record;
use vesper_abi::cap::{CapKind, Handle, Rights};
use vesper_abi::dcb::{ActivationReason, Donation};
use vesper_abi::syscall::Error;
use vesper_abi::trace::Kind;
use vesper_kernel_core::atropos::RunKind;
use vesper_kernel_core::cap::Object;

/// A donation in progress: `member` holds the CPU on `scheduler`'s
/// reservation.
#[derive(Clone, Copy, Debug)]
pub(super) struct Donated {
    scheduler: usize,
    member: usize,
    /// When it began.
    since: u64,
    /// When its budget is used up.
    pub(super) until: u64,
}

/// `value` as a trace record's `b`, saturated.
fn trace_b(value: u64) -> u32 {
    value.min(u64::from(u32::MAX)) as u32
}

impl Dispatcher {
    /// `domain_donate`: the caller gives the CPU to one of its members.
    pub(super) fn domain_donate(&mut self, index: usize, [handle, budget_ns]: [u64; 2]) -> Outcome {
        let lookup = self.caps.lookup(index, Handle(handle), CapKind::Domain, Rights::SCHEDULE);
        let member = match lookup {
            Ok(Object::Domain { domain }) => domain,
            Ok(_) => return Outcome::Return(Err(Error::WrongType)),
            Err(error) => return Outcome::Return(Err(error)),
        };
        let group = self.config(member).scheduled_by;
        if budget_ns == 0 || group.is_none_or(|group| group.domain != index) {
            return Outcome::Return(Err(Error::BadArgument));
        }
        if self.live(member).is_none() {
            return Outcome::Return(Err(Error::PeerStopped));
        }
        let now = time::now_ns();
        record(now, Kind::Donate, Some(index), member as u16, trace_b(budget_ns));
        self.members_blocked.remove(member);
        self.show_members(index);
        let until = now.saturating_add(budget_ns);
        self.core().donation = Some(Donated { scheduler: index, member, since: now, until });
        // The reason is the donation's end's, set when it ends.
        Outcome::GiveUp(ActivationReason::MemberBudget, now)
    }

    /// Who runs when Atropos picks `run` at `now`: while it picks the
    /// scheduler of the donation in progress, within the budget, the
    /// member does; otherwise the donation ends and Atropos's pick runs.
    #[cold]
    pub(super) fn donated(
        &mut self,
        run: Option<(usize, RunKind)>,
        now: u64,
    ) -> Option<(usize, RunKind)> {
        let Some(donated) = self.core().donation else { return run };
        let why = match run {
            Some((index, kind)) if index == donated.scheduler => {
                if now < donated.until {
                    return Some((donated.member, kind));
                }
                ActivationReason::MemberBudget
            }
            _ => ActivationReason::MemberPreempted,
        };
        self.end_donation(self.here(), why, u64::MAX, now);
        run
    }

    /// Ends the donation in progress on `core` at `now` for `why`
    /// (`until_ns`: what a member that blocked waits for): the scheduler
    /// runs next with that reason, and finds the report in its DCB.
    pub(super) fn end_donation(
        &mut self,
        core: usize,
        why: ActivationReason,
        until_ns: u64,
        now: u64,
    ) {
        let Some(donated) = self.cores[core].donation.take() else { return };
        self.kick(core);
        let ran_ns = now.saturating_sub(donated.since);
        record(now, Kind::DonationEnd, Some(donated.member), why as u16, trace_b(ran_ns));
        self.domain(donated.member).donated_ns += ran_ns;
        let scheduler = self.domain(donated.scheduler);
        if let Resume::Activate(_) = scheduler.resume {
            scheduler.resume = Resume::Activate(why);
        }
        let report = &mut self.ro(donated.scheduler).group.donation;
        *report = Donation {
            count: report.count.wrapping_add(1),
            member: donated.member as u64,
            why: why as u64,
            ran_ns,
            until_ns,
        };
    }

    /// Domain `index` yields or blocks until `until_ns` (`why`): if it is a
    /// member, its donation ends (a blocked member is not ready until an
    /// event for it, or a donation). Returns whether it is a member.
    #[inline]
    pub(super) fn member_gives_up(
        &mut self,
        index: usize,
        why: ActivationReason,
        until_ns: u64,
        now: u64,
    ) -> bool {
        if !self.members.contains(index) {
            return false;
        }
        self.member_gave_up(index, why, until_ns, now);
        true
    }

    /// [`Dispatcher::member_gives_up`] for member `index`.
    #[cold]
    fn member_gave_up(&mut self, index: usize, why: ActivationReason, until_ns: u64, now: u64) {
        if let (ActivationReason::MemberBlocked, Some(group)) =
            (why, self.config(index).scheduled_by)
        {
            self.members_blocked.insert(index);
            self.show_members(group.domain);
        }
        self.end_donation(self.here(), why, until_ns, now);
    }

    /// `result` for domain `index`'s call, which stopped or restarted
    /// another domain: if `index` is a member whose donation that ended (it
    /// stopped its scheduler, or a sibling woke), it loses the CPU too (a
    /// member runs only on donated time).
    pub(super) fn returned(&mut self, index: usize, result: Result<u64, Error>) -> Outcome {
        if self.members.contains(index) && self.core().donation.is_none_or(|d| d.member != index) {
            return Outcome::ReturnThenReschedule(result);
        }
        Outcome::Return(result)
    }

    /// Domain `index` stops: a donation to it or by it ends.
    pub(super) fn end_donation_of(&mut self, index: usize, now: u64) {
        let core = self.core_of(index);
        match self.cores[core].donation {
            Some(donated) if donated.member == index => {
                self.end_donation(core, ActivationReason::MemberStopped, u64::MAX, now);
            }
            Some(donated) if donated.scheduler == index => {
                self.end_donation(core, ActivationReason::MemberPreempted, u64::MAX, now);
            }
            _ => {}
        }
    }

    /// An event for member `index`: if it blocked, it is ready
    /// again and its scheduler counts an event in its group slot: a
    /// scheduler that blocked wakes, and one donating to another member
    /// has that donation end; either way it runs next with reason
    /// `MemberWoken`, if Atropos lets it. Returns whether it must be
    /// decided again who runs.
    #[cold]
    pub(super) fn wake_member(
        &mut self,
        index: usize,
        sender: Option<usize>,
        now: &mut Option<u64>,
    ) -> bool {
        let Some(group) = self.config(index).scheduled_by else { return false };
        if !self.members_blocked.contains(index) {
            return false;
        }
        self.members_blocked.remove(index);
        self.show_members(group.domain);
        let woke = self.count_event(group).is_some_and(|index| self.wake(index, sender, now));
        if woke {
            self.domain(group.domain).resume = match self.domain(group.domain).resume {
                Resume::Activate(_) => Resume::Activate(ActivationReason::MemberWoken),
                resume => resume,
            };
        }
        // A scheduler busy donating to another member decides again now.
        let core = self.core_of(group.domain);
        if self.cores[core].donation.is_some_and(|donated| donated.scheduler == group.domain) {
            let at = *now.get_or_insert_with(time::now_ns);
            self.end_donation(core, ActivationReason::MemberWoken, u64::MAX, at);
            return core == self.here();
        }
        woke
    }

    /// Writes which members of `scheduler` can run into its DCB (nothing
    /// for a domain that did not start).
    pub(super) fn show_members(&mut self, scheduler: usize) {
        if self.started(scheduler).is_none() {
            return;
        }
        let ready = (0..self.domains.len())
            .filter(|&member| {
                self.live(member).is_some()
                    && !self.members_blocked.contains(member)
                    && self.config(member).scheduled_by.is_some_and(|g| g.domain == scheduler)
            })
            .fold(0, |bits, member| bits | 1 << member);
        self.ro(scheduler).group.ready = ready;
    }
}
