//! The [`Scheduler`] trait and [`Sched`], the thread table that implements
//! it over any [`Policy`].

use crate::policy::{AnyPolicy, Enqueue, Policy, PolicyConfig, PolicyKind, Run, RunEnd, Why};
use crate::{
    Completion, Job, JobRecord, Pick, SchedError, ThreadId, ThreadParams, ThreadSet, ThreadState,
    ThreadStats, MAX_THREADS,
};

/// A user-level thread scheduler: what a domain's runtime calls.
///
/// # Protocol
///
/// The runtime owns the threads (their stacks and registers) and tells the
/// scheduler what happens to them; the scheduler says which runs. Every
/// call takes `now`, ns on the domain's clock.
///
/// * A new thread is [`admit`](Self::admit)ted with its [`ThreadParams`].
///   A periodic thread then awaits its first job, released at `now`; any
///   other thread is blocked until [`ready`](Self::ready).
/// * On every activation (and every alarm): if a thread was running, tell
///   [`interrupted`](Self::interrupted), even if its [`Pick::preempt_at`]
///   has come (a used-up quantum ends at the next pick); then
///   [`release_due`](Self::release_due) (the threads it returns became
///   runnable), then [`pick`](Self::pick).
///   Arm the alarm at the earliest of [`next_release`](Self::next_release)
///   and the quantum's end ([`Pick::preempt_at`], or, as the domains'
///   runtime does, the rest of the quantum counted from the thread's
///   resumption); with no pick, block until that release (or a sleeper's
///   wake-up).
/// * A thread that yields: [`ready`](Self::ready); that sleeps or waits:
///   [`block`](Self::block), and [`ready`](Self::ready) when it wakes; that
///   ends: [`remove`](Self::remove). Then [`pick`](Self::pick) again.
/// * A thread that finishes its job: [`complete`](Self::complete): it then
///   either has its next job already ([`Completion::next`]; it is runnable)
///   or awaits it. Then [`pick`](Self::pick) again.
///
/// Deadline misses, response times and lateness are counted by the
/// scheduler ([`stats`](Self::stats)), the same way for every policy.
///
/// # Time
///
/// The CPU time of a run is `now` at the call that ends it minus `now` at
/// the [`pick`](Self::pick) that started it. When the domain lost the CPU,
/// pass [`interrupted`](Self::interrupted) the time the thread *stopped*
/// running (e.g. from the kernel's CPU-time accounting), or the time away
/// is charged to the thread's quantum.
///
/// # Ties
///
/// Jobs released at the instant a thread's quantum ends queue before it:
/// its turn ends at the [`pick`](Self::pick) after the
/// [`release_due`](Self::release_due) of that instant, whether the
/// quantum's end or the domain's loss of the CPU stopped it. On the board
/// every run ends a little after the simulator's instant (the kernel's and
/// the activation handler's work), so the release is first there; the
/// simulator breaks the tie the same way. Threads with equal deadlines
/// (EDF), passes (stride) or places run in the order they were queued.
///
/// # Errors
///
/// No call panics. A bad id, a call in the wrong state or a full queue is
/// a [`SchedError`], and the scheduler is unchanged, except that a thread
/// whose queueing fails with [`SchedError::Full`] (which one entry per
/// thread cannot cause) is left blocked.
pub trait Scheduler {
    /// The policy's name, as manifests write it.
    fn name(&self) -> &'static str;

    /// Admits thread `id` with `params` at `now`. A periodic thread's first
    /// job is due at `now` (see [`release_due`](Self::release_due)).
    fn admit(&mut self, id: ThreadId, params: ThreadParams, now: u64) -> Result<(), SchedError>;

    /// Forgets thread `id` (it exited), charging its run if it was running.
    fn remove(&mut self, id: ThreadId, now: u64) -> Result<(), SchedError>;

    /// Releases a job of `id` at `now` (its deadline is `now` plus the
    /// relative deadline): for sporadic threads, or to restart a periodic
    /// thread's timeline at `now`. An uncompleted previous job is dropped
    /// ([`ThreadStats::dropped`]; a miss too if its deadline has passed). A
    /// thread awaiting a job becomes runnable; a blocked one stays blocked.
    fn release(&mut self, id: ThreadId, now: u64) -> Result<(), SchedError>;

    /// Releases, at its nominal time, the next job of every periodic thread
    /// whose release is due by `now` and whose previous job has completed
    /// (a job due while its predecessor still runs is released when that
    /// one completes). Also counts the misses of outstanding jobs whose
    /// deadline passed. Returns the threads that became runnable.
    fn release_due(&mut self, now: u64) -> ThreadSet;

    /// The earliest time [`release_due`](Self::release_due) has a job to
    /// release, if any: when to arm the alarm.
    fn next_release(&self) -> Option<u64>;

    /// `id` is runnable: woken (from blocked or awaiting a job), or, if it
    /// is running, it yields (to the back of its equals). Already runnable:
    /// nothing to do.
    fn ready(&mut self, id: ThreadId, now: u64) -> Result<(), SchedError>;

    /// The running thread `id` stopped at `now` because the domain lost the
    /// CPU or the runtime came back for an alarm: it keeps its place and
    /// the rest of its quantum. If that is used up, its turn ends at the
    /// next [`pick`](Self::pick): behind its equals, and behind the jobs
    /// released before that pick.
    fn interrupted(&mut self, id: ThreadId, now: u64) -> Result<(), SchedError>;

    /// `id` is not runnable until [`ready`](Self::ready). A thread awaiting
    /// a job stays so.
    fn block(&mut self, id: ThreadId, now: u64) -> Result<(), SchedError>;

    /// The running thread `id` finished its current job at `now`: records
    /// the response time (`now - release`), the lateness (`now - deadline`)
    /// and a miss if `now` is past the deadline. If its next job is due
    /// already it is released and the thread stays runnable; otherwise the
    /// thread awaits its next release.
    fn complete(&mut self, id: ThreadId, now: u64) -> Result<Completion, SchedError>;

    /// The running thread `id` gives up its turn now, as if its quantum
    /// were used up: it goes behind its equals (and ahead of jobs released
    /// after this call).
    fn quantum_expired(&mut self, id: ThreadId, now: u64) -> Result<(), SchedError>;

    /// Chooses the thread to run at `now` and marks it running, or `None`
    /// if no thread is runnable. A thread still marked running is first
    /// treated as [`interrupted`](Self::interrupted) at `now`.
    fn pick(&mut self, now: u64) -> Option<Pick>;

    /// Counts as missed every job known not to have completed by a deadline
    /// before `now`: outstanding jobs, and for periodic threads the jobs
    /// due but not yet released. Call it before reading the statistics at
    /// the end of a run. Returns how many misses it added; each job is
    /// counted once, however often this is called.
    fn check_deadlines(&mut self, now: u64) -> u64;

    /// Moves `amount` tickets from `from` to `to` (lottery and stride act on
    /// tickets; the other policies only record them). `from` keeps at least
    /// one.
    fn transfer(&mut self, from: ThreadId, to: ThreadId, amount: u32) -> Result<(), SchedError>;

    /// Sets the tickets of `id` (at least 1).
    fn set_tickets(&mut self, id: ThreadId, tickets: u32) -> Result<(), SchedError>;

    /// The tickets `id` holds.
    fn tickets(&self, id: ThreadId) -> Result<u32, SchedError>;

    /// What has been counted for `id`.
    fn stats(&self, id: ThreadId) -> Result<ThreadStats, SchedError>;

    /// The outstanding job of `id`, if any.
    fn job(&self, id: ThreadId) -> Result<Option<Job>, SchedError>;

    /// Where `id` stands.
    fn state(&self, id: ThreadId) -> Result<ThreadState, SchedError>;

    /// The thread marked running, if any.
    fn running(&self) -> Option<ThreadId>;
}

/// One admitted thread.
#[derive(Clone, Copy, Debug)]
struct Slot {
    state: ThreadState,
    params: ThreadParams,
    /// The outstanding (released, not completed) job.
    job: Option<Job>,
    /// The index of the next job to release.
    next_index: u64,
    /// Periodic threads: the nominal release time of job `next_index`.
    next_release: Option<u64>,
    /// Misses of jobs below this index have been counted already.
    missed_below: u64,
    /// CPU time used of the current quantum.
    quantum_used: u64,
    stats: ThreadStats,
}

impl Slot {
    fn new(params: ThreadParams, now: u64) -> Self {
        let periodic = params.period_ns.is_some();
        Self {
            state: if periodic { ThreadState::AwaitingJob } else { ThreadState::Blocked },
            params,
            job: None,
            next_index: 0,
            next_release: if periodic { Some(now) } else { None },
            missed_below: 0,
            quantum_used: 0,
            stats: ThreadStats::default(),
        }
    }

    /// Starts job `next_index`, released at `at`.
    fn start_job(&mut self, at: u64) -> Job {
        let job = Job {
            index: self.next_index,
            release_ns: at,
            deadline_ns: self.params.deadline_ns().map(|d| at.saturating_add(d)),
            start_ns: None,
        };
        self.job = Some(job);
        self.next_index = self.next_index.saturating_add(1);
        self.next_release = self.params.period_ns.map(|p| at.saturating_add(p));
        self.stats.released = self.stats.released.saturating_add(1);
        job
    }

    /// Counts the outstanding job as missed if its deadline is before
    /// `now` and it was not counted yet.
    fn flag_overdue(&mut self, now: u64) -> u64 {
        let Some(job) = self.job else { return 0 };
        match job.deadline_ns {
            Some(deadline) if deadline < now && job.index >= self.missed_below => {
                self.missed_below = job.index.saturating_add(1);
                self.stats.misses = self.stats.misses.saturating_add(1);
                1
            }
            _ => 0,
        }
    }

    /// Counts as missed the periodic jobs due but not released whose
    /// deadline is before `now` (in constant time).
    fn flag_unreleased(&mut self, now: u64) -> u64 {
        let (Some(first), Some(period), Some(relative)) =
            (self.next_release, self.params.period_ns, self.params.deadline_ns())
        else {
            return 0;
        };
        // Job `next_index + k` has its deadline at `first + k * period +
        // relative`; those before `now` are k < count.
        let first_deadline = first.saturating_add(relative);
        if now <= first_deadline || period == 0 {
            return 0;
        }
        let count = (now - first_deadline - 1) / period + 1;
        let end = self.next_index.saturating_add(count);
        let added = end.saturating_sub(self.missed_below.max(self.next_index));
        self.missed_below = self.missed_below.max(end);
        self.stats.misses = self.stats.misses.saturating_add(added);
        added
    }
}

/// A complete scheduler: a table of up to [`MAX_THREADS`] threads doing
/// the bookkeeping every policy shares, over a [`Policy`] that orders the
/// runnable threads. `Sched<Edf>` is EDF, `Sched<AnyPolicy>`
/// ([`AnyScheduler`]) any policy chosen by name.
#[derive(Clone, Debug)]
pub struct Sched<P> {
    slots: [Option<Slot>; MAX_THREADS],
    /// The running thread and when it was picked.
    running: Option<(ThreadId, u64)>,
    policy: P,
}

/// A scheduler whose policy is chosen at run time.
pub type AnyScheduler = Sched<AnyPolicy>;

impl AnyScheduler {
    /// The scheduler a manifest names (`"fifo"`, `"edf"`, `"round-robin"`,
    /// `"lottery"`, `"stride"`), with `config`.
    pub fn from_name(name: &str, config: PolicyConfig) -> Result<Self, SchedError> {
        Ok(Self::of_kind(PolicyKind::from_name(name)?, config))
    }

    /// The scheduler of policy `kind`, with `config` (usable in a
    /// `static`).
    pub const fn of_kind(kind: PolicyKind, config: PolicyConfig) -> Self {
        Self::new(AnyPolicy::new(kind, config))
    }
}

impl<P: Policy> Sched<P> {
    /// A scheduler with no threads, over `policy` (usable in a `static`).
    pub const fn new(policy: P) -> Self {
        Self { slots: [None; MAX_THREADS], running: None, policy }
    }

    /// The policy.
    pub fn policy(&self) -> &P {
        &self.policy
    }

    /// The admitted threads.
    pub fn threads(&self) -> ThreadSet {
        let mut set = ThreadSet::EMPTY;
        for (i, slot) in self.slots.iter().enumerate() {
            if slot.is_some() {
                set.insert(ThreadId(i));
            }
        }
        set
    }

    /// The utilisation `sum(wcet / period)` of the periodic threads with a
    /// wcet, in parts per billion (each term rounded up).
    pub fn utilisation_ppb(&self) -> u64 {
        self.slots
            .iter()
            .flatten()
            .filter_map(|slot| match (slot.params.wcet_ns, slot.params.period_ns) {
                (Some(wcet), Some(period)) if period > 0 => {
                    let ppb = (u128::from(wcet) * 1_000_000_000).div_ceil(u128::from(period));
                    Some(u64::try_from(ppb).unwrap_or(u64::MAX))
                }
                _ => None,
            })
            .fold(0, u64::saturating_add)
    }

    fn slot(&self, id: ThreadId) -> Result<&Slot, SchedError> {
        self.slots.get(id.0).ok_or(SchedError::BadThread)?.as_ref().ok_or(SchedError::NotAdmitted)
    }

    fn slot_mut(&mut self, id: ThreadId) -> Result<&mut Slot, SchedError> {
        self.slots
            .get_mut(id.0)
            .ok_or(SchedError::BadThread)?
            .as_mut()
            .ok_or(SchedError::NotAdmitted)
    }

    /// Ends the run of the running thread `id` at `now` and charges it
    /// (an interrupted thread keeps what it used of its quantum). Returns
    /// `end`.
    fn end_run(&mut self, id: ThreadId, now: u64, end: RunEnd) -> Result<RunEnd, SchedError> {
        let since = match self.running {
            Some((running, since)) if running == id => since,
            _ => return Err(SchedError::NotRunning),
        };
        let quantum_ns = self.policy.quantum_ns(id);
        let slot = self.slot_mut(id)?;
        let used_ns = now.saturating_sub(since);
        slot.stats.cpu_ns = slot.stats.cpu_ns.saturating_add(used_ns);
        slot.quantum_used = slot.quantum_used.saturating_add(used_ns);
        let quantum_used_ns = slot.quantum_used;
        if end != RunEnd::Interrupted {
            slot.quantum_used = 0;
        }
        slot.state = ThreadState::Blocked;
        self.running = None;
        self.policy.charge(id, &Run { used_ns, quantum_used_ns, quantum_ns, end });
        Ok(end)
    }

    /// Sends the queued threads whose quantum ran out while they were
    /// interrupted behind their equals, with a fresh quantum.
    fn expire_used_quanta(&mut self) {
        for i in 0..MAX_THREADS {
            let id = ThreadId(i);
            let Some(q) = self.policy.quantum_ns(id) else { continue };
            let Some(slot) = self.slots[i].as_mut() else { continue };
            if slot.state != ThreadState::Ready || slot.quantum_used < q {
                continue;
            }
            slot.quantum_used = 0;
            self.policy.dequeue(id);
            // Cannot fail: the policy had room for it a moment ago.
            let _ = self.enqueue(id, Why::QuantumExpired);
        }
    }

    /// Queues the non-queued, non-running thread `id`.
    fn enqueue(&mut self, id: ThreadId, why: Why) -> Result<(), SchedError> {
        let slot = self.slot_mut(id)?;
        let deadline = slot.job.and_then(|job| job.deadline_ns);
        slot.state = ThreadState::Blocked;
        self.policy.enqueue(id, Enqueue { why, deadline })?;
        self.slot_mut(id)?.state = ThreadState::Ready;
        Ok(())
    }

    /// Ends the run of `id` with `end` and queues it accordingly.
    fn requeue_running(&mut self, id: ThreadId, now: u64, end: RunEnd) -> Result<(), SchedError> {
        let why = match self.end_run(id, now, end)? {
            RunEnd::Interrupted => Why::Interrupted,
            RunEnd::QuantumExpired => Why::QuantumExpired,
            RunEnd::Yielded => Why::Yielded,
            RunEnd::Blocked => return Ok(()),
        };
        self.enqueue(id, why)
    }

    /// Starts job `next_index` of `id` at `at`, and makes the thread
    /// runnable if it awaited a job. Returns whether it became runnable.
    fn release_at(&mut self, id: ThreadId, at: u64) -> Result<bool, SchedError> {
        let slot = self.slot_mut(id)?;
        let job = slot.start_job(at);
        match slot.state {
            ThreadState::AwaitingJob => {
                self.enqueue(id, Why::Woken)?;
                Ok(true)
            }
            ThreadState::Ready => {
                self.policy.deadline_changed(id, job.deadline_ns).inspect_err(|_| {
                    if let Ok(slot) = self.slot_mut(id) {
                        slot.state = ThreadState::Blocked;
                    }
                })?;
                Ok(false)
            }
            ThreadState::Blocked | ThreadState::Running => Ok(false),
        }
    }
}

impl<P: Policy> Scheduler for Sched<P> {
    fn name(&self) -> &'static str {
        self.policy.name()
    }

    fn admit(&mut self, id: ThreadId, params: ThreadParams, now: u64) -> Result<(), SchedError> {
        let entry = self.slots.get(id.0).ok_or(SchedError::BadThread)?;
        if entry.is_some() {
            return Err(SchedError::AlreadyAdmitted);
        }
        params.validate()?;
        self.policy.admit(id, &params)?;
        self.slots[id.0] = Some(Slot::new(params, now));
        Ok(())
    }

    fn remove(&mut self, id: ThreadId, now: u64) -> Result<(), SchedError> {
        match self.slot(id)?.state {
            ThreadState::Running => {
                self.end_run(id, now, RunEnd::Blocked)?;
            }
            ThreadState::Ready => self.policy.dequeue(id),
            ThreadState::Blocked | ThreadState::AwaitingJob => {}
        }
        self.policy.remove(id);
        self.slots[id.0] = None;
        Ok(())
    }

    fn release(&mut self, id: ThreadId, now: u64) -> Result<(), SchedError> {
        let slot = self.slot_mut(id)?;
        if slot.job.is_some() {
            slot.flag_overdue(now);
            slot.stats.dropped = slot.stats.dropped.saturating_add(1);
            slot.job = None;
        }
        // Jobs counted as missed before they were released are skipped.
        slot.next_index = slot.next_index.max(slot.missed_below);
        self.release_at(id, now).map(|_| ())
    }

    fn release_due(&mut self, now: u64) -> ThreadSet {
        let mut woken = ThreadSet::EMPTY;
        for i in 0..MAX_THREADS {
            let id = ThreadId(i);
            let Some(slot) = self.slots[i].as_mut() else { continue };
            slot.flag_overdue(now);
            let due = match (slot.job, slot.next_release) {
                (None, Some(at)) if at <= now => at,
                _ => continue,
            };
            if let Ok(true) = self.release_at(id, due) {
                woken.insert(id);
            }
        }
        woken
    }

    fn next_release(&self) -> Option<u64> {
        self.slots
            .iter()
            .flatten()
            .filter(|slot| slot.job.is_none())
            .filter_map(|slot| slot.next_release)
            .min()
    }

    fn ready(&mut self, id: ThreadId, now: u64) -> Result<(), SchedError> {
        match self.slot(id)?.state {
            ThreadState::Running => self.requeue_running(id, now, RunEnd::Yielded),
            ThreadState::Ready => Ok(()),
            ThreadState::Blocked | ThreadState::AwaitingJob => self.enqueue(id, Why::Woken),
        }
    }

    fn interrupted(&mut self, id: ThreadId, now: u64) -> Result<(), SchedError> {
        self.slot(id)?;
        self.requeue_running(id, now, RunEnd::Interrupted)
    }

    fn block(&mut self, id: ThreadId, now: u64) -> Result<(), SchedError> {
        match self.slot(id)?.state {
            ThreadState::Running => {
                self.end_run(id, now, RunEnd::Blocked)?;
            }
            ThreadState::Ready => {
                self.policy.dequeue(id);
                self.slot_mut(id)?.state = ThreadState::Blocked;
            }
            ThreadState::Blocked | ThreadState::AwaitingJob => {}
        }
        Ok(())
    }

    fn complete(&mut self, id: ThreadId, now: u64) -> Result<Completion, SchedError> {
        let slot = self.slot(id)?;
        if slot.state != ThreadState::Running {
            return Err(SchedError::NotRunning);
        }
        let job = slot.job.ok_or(SchedError::NoJob)?;
        let response_ns = now.saturating_sub(job.release_ns);
        let lateness_ns = job.deadline_ns.map(|deadline| signed_difference(now, deadline));
        let missed = job.deadline_ns.is_some_and(|deadline| now > deadline);
        let record = JobRecord { job, finish_ns: now, response_ns, lateness_ns, missed };

        let slot = self.slot_mut(id)?;
        let stats = &mut slot.stats;
        stats.jobs = stats.jobs.saturating_add(1);
        stats.response_max_ns = stats.response_max_ns.max(response_ns);
        stats.response_sum_ns = stats.response_sum_ns.saturating_add(response_ns);
        if let Some(lateness) = lateness_ns {
            stats.lateness_max_ns =
                Some(stats.lateness_max_ns.map_or(lateness, |m| m.max(lateness)));
        }
        if missed && job.index >= slot.missed_below {
            slot.missed_below = job.index.saturating_add(1);
            stats.misses = stats.misses.saturating_add(1);
        }
        slot.job = None;

        let next = match slot.next_release {
            Some(at) if at <= now => Some(slot.start_job(at)),
            _ => None,
        };
        if next.is_some() {
            self.requeue_running(id, now, RunEnd::Yielded)?;
        } else {
            self.end_run(id, now, RunEnd::Blocked)?;
            self.slot_mut(id)?.state = ThreadState::AwaitingJob;
        }
        Ok(Completion { record, next })
    }

    fn quantum_expired(&mut self, id: ThreadId, now: u64) -> Result<(), SchedError> {
        self.slot(id)?;
        self.requeue_running(id, now, RunEnd::QuantumExpired)
    }

    fn pick(&mut self, now: u64) -> Option<Pick> {
        if let Some((running, _)) = self.running {
            // The runtime did not say why it stopped: it keeps its place.
            if self.interrupted(running, now).is_err() {
                self.running = None;
            }
        }
        // A quantum used up at the instant of an interruption ends here,
        // after the jobs released meanwhile were queued (see "Ties").
        self.expire_used_quanta();
        // A correct policy returns a queued thread at once; skip any other.
        for _ in 0..=MAX_THREADS {
            let id = self.policy.pick()?;
            let quantum = self.policy.quantum_ns(id);
            let Ok(slot) = self.slot_mut(id) else { continue };
            if slot.state != ThreadState::Ready {
                continue;
            }
            slot.state = ThreadState::Running;
            slot.stats.dispatches = slot.stats.dispatches.saturating_add(1);
            if let Some(job) = slot.job.as_mut() {
                job.start_ns.get_or_insert(now);
            }
            let preempt_at =
                quantum.map(|q| now.saturating_add(q.saturating_sub(slot.quantum_used)));
            self.running = Some((id, now));
            return Some(Pick { thread: id, preempt_at });
        }
        None
    }

    fn check_deadlines(&mut self, now: u64) -> u64 {
        self.slots
            .iter_mut()
            .flatten()
            .map(|slot| slot.flag_overdue(now).saturating_add(slot.flag_unreleased(now)))
            .fold(0, u64::saturating_add)
    }

    fn transfer(&mut self, from: ThreadId, to: ThreadId, amount: u32) -> Result<(), SchedError> {
        let giver = self.slot(from)?.params.tickets;
        let taker = self.slot(to)?.params.tickets;
        if from == to || amount == 0 {
            return Ok(());
        }
        if amount >= giver {
            return Err(SchedError::NotEnoughTickets);
        }
        let taker = taker.checked_add(amount).ok_or(SchedError::InvalidParams)?;
        self.set_tickets(from, giver - amount)?;
        self.set_tickets(to, taker)
    }

    fn set_tickets(&mut self, id: ThreadId, tickets: u32) -> Result<(), SchedError> {
        if tickets == 0 {
            return Err(SchedError::InvalidParams);
        }
        self.slot_mut(id)?.params.tickets = tickets;
        self.policy.tickets_changed(id, tickets);
        Ok(())
    }

    fn tickets(&self, id: ThreadId) -> Result<u32, SchedError> {
        Ok(self.slot(id)?.params.tickets)
    }

    fn stats(&self, id: ThreadId) -> Result<ThreadStats, SchedError> {
        Ok(self.slot(id)?.stats)
    }

    fn job(&self, id: ThreadId) -> Result<Option<Job>, SchedError> {
        Ok(self.slot(id)?.job)
    }

    fn state(&self, id: ThreadId) -> Result<ThreadState, SchedError> {
        Ok(self.slot(id)?.state)
    }

    fn running(&self) -> Option<ThreadId> {
        self.running.map(|(id, _)| id)
    }
}

/// `a - b` as a signed number, saturated to the `i64` range.
fn signed_difference(a: u64, b: u64) -> i64 {
    if a >= b {
        i64::try_from(a - b).unwrap_or(i64::MAX)
    } else {
        i64::try_from(b - a).map_or(i64::MIN, |d| -d)
    }
}
