//! A group's members under any policy: what a scheduler domain (the
//! `domain-scheduler` program) does between donations.
//!
//! Members take the place threads have in a domain: each is a thread of a
//! [`Scheduler`] with the period, work (wcet), deadline and tickets the
//! manifest gives it. A member's job is done when it has been given its
//! work's worth of CPU, or earlier if it yields or blocks (it had no more
//! to do). [`Members::next`] picks the member to run and its budget: the
//! rest of its job's work, cut at the end of its quantum and at the next
//! release; [`Members::ended`] takes the kernel's report of how the
//! donation ended. A member without a period is sporadic: it is given a
//! new job whenever it can run and has none (at the start, after a job,
//! when woken), so that a member that never blocks always has work.
//!
//! The rules, which the simulator's thread domains follow too (a spinning
//! member is a thread that computes its whole job):
//!
//! * **Releases first**: the jobs due by the time a donation ended are
//!   released before the member's outcome is told, as for a thread whose
//!   run ended.
//! * **Budget**: `min(work left, quantum end, next release) - now`, at
//!   least 1 ns.
//! * **Outcomes**: used up its budget or preempted with work left: it keeps
//!   its place (`interrupted`); no work left: the job completes; yielded:
//!   the job completes; blocked: the job completes and the member blocks
//!   until [`Members::woken`]; stopped: it blocks, its job left as it is.

use crate::{
    Completion, SchedError, Scheduler, ThreadId, ThreadParams, ThreadSet, ThreadState, ThreadStats,
    MAX_THREADS,
};

/// How a donation ended, as the kernel reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The member yielded.
    Yielded,
    /// The member blocked.
    Blocked,
    /// The budget was used up.
    Budget,
    /// The group lost the CPU to another domain.
    Preempted,
    /// The member stopped (faulted, exited or was stopped).
    Stopped,
}

/// The member to run, and for how long at most.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The member.
    pub member: ThreadId,
    /// The budget to donate, in ns.
    pub budget_ns: u64,
    /// Its job's number.
    pub job: u64,
}

/// A group's members under scheduler `S`.
#[derive(Clone, Debug)]
pub struct Members<S> {
    sched: S,
    /// Each member's work per job, ns.
    wcet: [u64; MAX_THREADS],
    /// Which members are periodic.
    periodic: ThreadSet,
    /// Work left of each member's current job.
    remaining: [u64; MAX_THREADS],
    /// The job `remaining` belongs to.
    current_job: [Option<u64>; MAX_THREADS],
    /// The members blocked, as the reports said, until woken.
    blocked: ThreadSet,
}

impl<S: Scheduler> Members<S> {
    /// No members yet, under `sched`.
    pub fn new(sched: S) -> Self {
        Self {
            sched,
            wcet: [0; MAX_THREADS],
            periodic: ThreadSet::EMPTY,
            remaining: [0; MAX_THREADS],
            current_job: [None; MAX_THREADS],
            blocked: ThreadSet::EMPTY,
        }
    }

    /// Admits member `id` at `now` (a periodic member's first job is due
    /// then; a sporadic one's is released then).
    pub fn admit(
        &mut self,
        id: ThreadId,
        params: ThreadParams,
        now: u64,
    ) -> Result<(), SchedError> {
        let slot = self.wcet.get_mut(id.0).ok_or(SchedError::BadThread)?;
        self.sched.admit(id, params, now)?;
        // Without a work figure a job lasts until the member yields or
        // blocks.
        *slot = params.wcet_ns.unwrap_or(u64::MAX);
        if params.period_ns.is_some() {
            self.periodic.insert(id);
        } else {
            self.give_job(id, now)?;
        }
        Ok(())
    }

    /// A sporadic member that can run and has no job gets one now.
    fn give_job(&mut self, id: ThreadId, now: u64) -> Result<(), SchedError> {
        if self.periodic.contains(id) || self.blocked.contains(id) || self.sched.job(id)?.is_some()
        {
            return Ok(());
        }
        self.sched.release(id, now)?;
        self.sched.ready(id, now)
    }

    /// The scheduler, for its statistics.
    pub fn scheduler(&self) -> &S {
        &self.sched
    }

    /// Member `id`'s statistics, the misses of deadlines before `now`
    /// counted.
    pub fn stats_at(&mut self, id: ThreadId, now: u64) -> Result<ThreadStats, SchedError> {
        self.sched.check_deadlines(now);
        self.sched.stats(id)
    }

    /// Whether member `id` is blocked, as the reports said.
    pub fn is_blocked(&self, id: ThreadId) -> bool {
        self.blocked.contains(id)
    }

    /// Member `id` can run again (the kernel shows it ready after it
    /// blocked, or its timeout came): it is runnable, with a job if
    /// sporadic. Nothing for a member that is not blocked.
    pub fn woken(&mut self, id: ThreadId, now: u64) -> Result<(), SchedError> {
        if !self.blocked.contains(id) {
            return Ok(());
        }
        self.blocked.remove(id);
        // A periodic member between jobs becomes runnable at its release.
        if self.sched.state(id)? == ThreadState::Blocked {
            self.sched.ready(id, now)?;
        }
        self.give_job(id, now)
    }

    /// The member to run at `now` and its budget, if any can run; else
    /// the time of the next release, if any (when to look again).
    pub fn next(&mut self, now: u64) -> Result<Grant, Option<u64>> {
        loop {
            self.sched.release_due(now);
            let Some(pick) = self.sched.pick(now) else {
                return Err(self.sched.next_release().filter(|&at| at > now));
            };
            let id = pick.thread;
            if self.blocked.contains(id) {
                // Released while it still blocks (its job came before its
                // wake-up): it waits, with its job, until woken.
                let _ = self.sched.block(id, now);
                continue;
            }
            let job = match self.sched.job(id) {
                Ok(Some(job)) => job,
                _ => {
                    // Runnable without a job cannot happen: runnable
                    // members have one. Leave it out rather than spin.
                    let _ = self.sched.block(id, now);
                    continue;
                }
            };
            if self.current_job[id.0] != Some(job.index) {
                self.current_job[id.0] = Some(job.index);
                self.remaining[id.0] = self.wcet[id.0];
            }
            let stop = now
                .saturating_add(self.remaining[id.0])
                .min(pick.preempt_at.unwrap_or(u64::MAX))
                .min(self.sched.next_release().filter(|&at| at > now).unwrap_or(u64::MAX));
            let budget_ns = stop.saturating_sub(now).max(1);
            return Ok(Grant { member: id, budget_ns, job: job.index });
        }
    }

    /// The donation to `id` ended at `stop` as `how`, after it ran
    /// `ran_ns`. Returns the job it completed, if it did.
    pub fn ended(
        &mut self,
        id: ThreadId,
        how: Ended,
        ran_ns: u64,
        stop: u64,
    ) -> Result<Option<Completion>, SchedError> {
        let left = self.remaining.get_mut(id.0).ok_or(SchedError::BadThread)?;
        *left = left.saturating_sub(ran_ns);
        if matches!(how, Ended::Yielded | Ended::Blocked) {
            *left = 0;
        }
        let left = *left;
        self.sched.release_due(stop);
        let completed = match how {
            Ended::Stopped => None,
            Ended::Budget | Ended::Preempted if left > 0 => {
                self.sched.interrupted(id, stop)?;
                None
            }
            _ => Some(self.sched.complete(id, stop)?),
        };
        if matches!(how, Ended::Blocked | Ended::Stopped) {
            self.blocked.insert(id);
            self.sched.block(id, stop)?;
        }
        self.give_job(id, stop)?;
        Ok(completed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AnyScheduler, PolicyConfig, ThreadState};

    const MS: u64 = 1_000_000;

    fn members(policy: &str, params: &[ThreadParams]) -> Members<AnyScheduler> {
        let mut members =
            Members::new(AnyScheduler::from_name(policy, PolicyConfig::DEFAULT).unwrap());
        for (i, p) in params.iter().enumerate() {
            members.admit(ThreadId(i), *p, 0).unwrap();
        }
        members
    }

    #[test]
    fn edf_gives_each_job_its_work_in_deadline_order() {
        let mut m = members(
            "edf",
            &[ThreadParams::periodic(10 * MS, 2 * MS), ThreadParams::periodic(5 * MS, MS)],
        );
        let first = m.next(0).unwrap();
        assert_eq!((first.member, first.budget_ns), (ThreadId(1), MS));
        let done = m.ended(first.member, Ended::Budget, MS, MS).unwrap().unwrap();
        assert!(!done.record.missed);
        let second = m.next(MS).unwrap();
        assert_eq!((second.member, second.budget_ns), (ThreadId(0), 2 * MS));
        // Preempted half way: the rest of the job is its next budget.
        assert_eq!(m.ended(ThreadId(0), Ended::Preempted, MS, 2 * MS).unwrap(), None);
        let rest = m.next(2 * MS).unwrap();
        assert_eq!((rest.member, rest.budget_ns, rest.job), (ThreadId(0), MS, 0));
        m.ended(ThreadId(0), Ended::Budget, MS, 3 * MS).unwrap().unwrap();
        // Nothing until member 1's next release at 5 ms.
        assert_eq!(m.next(3 * MS), Err(Some(5 * MS)));
    }

    #[test]
    fn a_budget_ends_at_the_next_release() {
        let mut m = members(
            "edf",
            &[ThreadParams::periodic(10 * MS, 8 * MS), ThreadParams::periodic(4 * MS, MS)],
        );
        let first = m.next(0).unwrap();
        m.ended(first.member, Ended::Budget, first.budget_ns, MS).unwrap();
        let long = m.next(MS).unwrap();
        assert_eq!((long.member, long.budget_ns), (ThreadId(0), 3 * MS));
    }

    #[test]
    fn a_blocked_member_waits_until_woken_and_a_sporadic_one_gets_a_job_then() {
        let mut m = members("fifo", &[ThreadParams::sporadic(2 * MS)]);
        let grant = m.next(0).unwrap();
        assert_eq!(grant.budget_ns, 2 * MS);
        assert!(m.ended(ThreadId(0), Ended::Blocked, 100, 100).unwrap().is_some());
        assert!(m.is_blocked(ThreadId(0)));
        assert_eq!(m.next(200), Err(None));
        m.woken(ThreadId(0), 5 * MS).unwrap();
        let again = m.next(5 * MS).unwrap();
        assert_eq!((again.member, again.job, again.budget_ns), (ThreadId(0), 1, 2 * MS));
    }

    #[test]
    fn a_periodic_member_that_blocked_runs_its_next_jobs_once_woken() {
        let mut m = members("edf", &[ThreadParams::periodic(10 * MS, 2 * MS)]);
        let first = m.next(0).unwrap();
        // It blocks after 1 ms: its job is done for now.
        m.ended(first.member, Ended::Blocked, MS, MS).unwrap();
        // Woken before its next release: it waits for the release.
        m.woken(ThreadId(0), 5 * MS).unwrap();
        assert_eq!(m.next(5 * MS), Err(Some(10 * MS)));
        let second = m.next(10 * MS).unwrap();
        assert_eq!((second.job, second.budget_ns), (1, 2 * MS));
        // Blocked past its next release: the job waits until it is woken.
        m.ended(ThreadId(0), Ended::Blocked, MS, 11 * MS).unwrap();
        assert!(m.next(20 * MS).is_err(), "not run while blocked");
        m.woken(ThreadId(0), 25 * MS).unwrap();
        let third = m.next(25 * MS).unwrap();
        assert_eq!((third.job, third.budget_ns), (2, 2 * MS));
    }

    #[test]
    fn a_sporadic_member_that_never_blocks_always_has_work() {
        let mut m =
            members("round-robin", &[ThreadParams::sporadic(MS), ThreadParams::sporadic(MS)]);
        let mut now = 0;
        let mut ran = [0u64; 2];
        for _ in 0..20 {
            let grant = m.next(now).unwrap();
            now += grant.budget_ns;
            ran[grant.member.0] += grant.budget_ns;
            m.ended(grant.member, Ended::Budget, grant.budget_ns, now).unwrap();
        }
        assert_eq!(now, ran[0] + ran[1]);
        assert!(ran[0].abs_diff(ran[1]) <= MS, "{ran:?}");
    }

    #[test]
    fn a_stopped_member_is_left_out() {
        let mut m = members("fifo", &[ThreadParams::sporadic(MS), ThreadParams::sporadic(MS)]);
        let first = m.next(0).unwrap();
        m.ended(first.member, Ended::Stopped, 10, 10).unwrap();
        assert_eq!(m.scheduler().state(first.member).unwrap(), ThreadState::Blocked);
        let other = m.next(10).unwrap();
        assert_ne!(other.member, first.member);
    }
}
