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

use super::events::live;
use super::syscall::Outcome;
use super::Dispatcher;
use crate::arch::time;
use crate::domain::{config::DOMAINS, Resume};
use crate::trace::record;
use vesper_abi::cap::Rights;
use vesper_abi::dcb::{ActivationReason, Donation};
use vesper_abi::syscall::Error;
use vesper_abi::trace::Kind;
use vesper_kernel_core::atropos::RunKind;

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

impl Dispatcher<'_> {
    /// `domain_donate`: the caller gives the CPU to one of its members.
    pub(super) fn domain_donate(
        &mut self,
        index: usize,
        [handle, budget_ns]: [u64; 2],
    ) -> Result<Outcome, Error> {
        let member = self.shared.domain_cap(index, handle, Rights::SCHEDULE)?;
        let group = DOMAINS[member].scheduled_by;
        if budget_ns == 0 || group.is_none_or(|group| group.domain != index) {
            return Err(Error::BadArgument);
        }
        live(member).ok_or(Error::PeerStopped)?;
        let now = time::now_ns();
        record(now, Kind::Donate, Some(index), member as u16, trace_b(budget_ns));
        self.core.members_blocked.remove(member);
        self.show_members(index);
        let until = now.saturating_add(budget_ns);
        self.core.donation = Some(Donated { scheduler: index, member, since: now, until });
        // The reason is the donation's end's, set when it ends.
        Ok(Outcome::GiveUp(ActivationReason::MemberBudget, now))
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
        let Some(donated) = self.core.donation else { return run };
        let why = match run {
            Some((index, kind)) if index == donated.scheduler => {
                if now < donated.until {
                    return Some((donated.member, kind));
                }
                ActivationReason::MemberBudget
            }
            _ => ActivationReason::MemberPreempted,
        };
        self.end_donation(why, u64::MAX, now);
        run
    }

    /// Ends the donation in progress on this core at `now` for `why`
    /// (`until_ns`: what a member that blocked waits for): the scheduler
    /// runs next with that reason, and finds the report in its DCB.
    pub(super) fn end_donation(&mut self, why: ActivationReason, until_ns: u64, now: u64) {
        let Some(donated) = self.core.donation.take() else { return };
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
        if !self.shared.members.contains(index) {
            return false;
        }
        self.member_gave_up(index, why, until_ns, now);
        true
    }

    /// [`Dispatcher::member_gives_up`] for member `index`.
    #[cold]
    fn member_gave_up(&mut self, index: usize, why: ActivationReason, until_ns: u64, now: u64) {
        if let (ActivationReason::MemberBlocked, Some(group)) = (why, DOMAINS[index].scheduled_by) {
            self.core.members_blocked.insert(index);
            self.show_members(group.domain);
        }
        self.end_donation(why, until_ns, now);
    }

    /// `result` for domain `index`'s call, which stopped or restarted
    /// another domain: if `index` is a member whose donation that ended (it
    /// stopped its scheduler, or a sibling woke), it loses the CPU too (a
    /// member runs only on donated time).
    pub(super) fn returned(&mut self, index: usize, result: Result<u64, Error>) -> Outcome {
        if self.shared.members.contains(index)
            && self.core.donation.is_none_or(|d| d.member != index)
        {
            return Outcome::ReturnThenReschedule(result);
        }
        Outcome::Return(result)
    }

    /// Domain `index`, on this core, stops: a donation to it or by it
    /// ends.
    pub(super) fn end_donation_of(&mut self, index: usize, now: u64) {
        let why = match self.core.donation {
            Some(donated) if donated.member == index => ActivationReason::MemberStopped,
            Some(donated) if donated.scheduler == index => ActivationReason::MemberPreempted,
            _ => return,
        };
        self.end_donation(why, u64::MAX, now);
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
        let Some(group) = DOMAINS[index].scheduled_by else { return false };
        if !self.core.members_blocked.contains(index) {
            return false;
        }
        self.core.members_blocked.remove(index);
        self.show_members(group.domain);
        let woke = self.count_events(group, 1).is_some_and(|index| self.wake(index, sender, now));
        if woke && matches!(self.domain(group.domain).resume, Resume::Activate(_)) {
            self.domain(group.domain).resume = Resume::Activate(ActivationReason::MemberWoken);
        }
        // A scheduler busy donating to another member decides again now
        // (it is on this core, with its members).
        if self.core.donation.is_some_and(|donated| donated.scheduler == group.domain) {
            let at = *now.get_or_insert_with(time::now_ns);
            self.end_donation(ActivationReason::MemberWoken, u64::MAX, at);
            return true;
        }
        woke
    }

    /// Writes which members of `scheduler` can run into its DCB (nothing
    /// for a domain that did not start).
    pub(super) fn show_members(&mut self, scheduler: usize) {
        if !self.shared.started.contains(scheduler) {
            return;
        }
        let ready = (0..DOMAINS.len())
            .filter(|&member| {
                live(member).is_some()
                    && !self.core.members_blocked.contains(member)
                    && DOMAINS[member].scheduled_by.is_some_and(|g| g.domain == scheduler)
            })
            .fold(0, |bits, member| bits | 1 << member);
        self.ro(scheduler).group.ready = ready;
    }
}
