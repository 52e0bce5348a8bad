//! The vocabulary every scheduler shares: thread ids and parameters, jobs,
//! statistics, errors.

use core::fmt;

/// The most threads a scheduler holds: ids are `0..MAX_THREADS`.
pub const MAX_THREADS: usize = 16;

/// Tickets a thread holds unless its parameters say otherwise.
pub const DEFAULT_TICKETS: u32 = 100;

/// The quantum of the quantum-based policies unless configured otherwise:
/// 1 ms.
pub const DEFAULT_QUANTUM_NS: u64 = 1_000_000;

// `ThreadSet` is a `u32` bitmask.
const _: () = assert!(MAX_THREADS <= 32);

/// A thread, by its index in the scheduler's table (`0..MAX_THREADS`). The
/// runtime chooses the ids; usually they are its own thread table's indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ThreadId(pub usize);

/// A set of threads (a bitmask over the ids).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThreadSet(u32);

impl ThreadSet {
    /// The empty set.
    pub const EMPTY: Self = Self(0);

    /// Whether `id` is in the set (never, for an id out of range).
    pub const fn contains(self, id: ThreadId) -> bool {
        id.0 < MAX_THREADS && self.0 & (1 << id.0) != 0
    }

    /// Adds `id`; ids out of range are ignored.
    pub fn insert(&mut self, id: ThreadId) {
        if id.0 < MAX_THREADS {
            self.0 |= 1 << id.0;
        }
    }

    /// Removes `id`.
    pub fn remove(&mut self, id: ThreadId) {
        if id.0 < MAX_THREADS {
            self.0 &= !(1 << id.0);
        }
    }

    /// How many threads the set holds.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The threads in the set, lowest id first.
    pub fn iter(self) -> impl Iterator<Item = ThreadId> {
        (0..MAX_THREADS).filter(move |&i| self.0 & (1 << i) != 0).map(ThreadId)
    }
}

/// What a thread asks of the scheduler. Every field is optional in the
/// sense that each policy reads only what it needs: EDF the deadline,
/// lottery and stride the tickets, round-robin the quantum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadParams {
    /// For a periodic thread: its period. The scheduler then releases a job
    /// every period, the first at admission ([`Scheduler::release_due`]).
    /// `None`: jobs are released only by [`Scheduler::release`], if ever.
    ///
    /// [`Scheduler::release_due`]: crate::Scheduler::release_due
    /// [`Scheduler::release`]: crate::Scheduler::release
    pub period_ns: Option<u64>,
    /// The worst-case execution time of a job: informational (the
    /// utilisation [`Sched::utilisation_ppb`] reports, the simulator's
    /// workload); no policy enforces it.
    ///
    /// [`Sched::utilisation_ppb`]: crate::Sched::utilisation_ppb
    pub wcet_ns: Option<u64>,
    /// A job's deadline relative to its release; defaults to the period
    /// (implicit deadlines). A thread with neither has no deadlines.
    pub relative_deadline_ns: Option<u64>,
    /// Lottery and stride share: the CPU is divided in proportion to
    /// tickets. At least 1.
    pub tickets: u32,
    /// Round-robin: this thread's quantum, instead of the policy's.
    pub quantum_ns: Option<u64>,
}

impl Default for ThreadParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl ThreadParams {
    /// No period, no deadline, [`DEFAULT_TICKETS`], the policy's quantum: a
    /// plain thread.
    pub const DEFAULT: Self = Self {
        period_ns: None,
        wcet_ns: None,
        relative_deadline_ns: None,
        tickets: DEFAULT_TICKETS,
        quantum_ns: None,
    };

    /// A periodic thread with implicit deadlines (deadline = period).
    pub const fn periodic(period_ns: u64, wcet_ns: u64) -> Self {
        Self { period_ns: Some(period_ns), wcet_ns: Some(wcet_ns), ..Self::DEFAULT }
    }

    /// The same, with a relative deadline.
    pub const fn with_deadline(self, relative_deadline_ns: u64) -> Self {
        Self { relative_deadline_ns: Some(relative_deadline_ns), ..self }
    }

    /// The same, with `tickets` tickets.
    pub const fn with_tickets(self, tickets: u32) -> Self {
        Self { tickets, ..self }
    }

    /// The same, with its own round-robin quantum.
    pub const fn with_quantum(self, quantum_ns: u64) -> Self {
        Self { quantum_ns: Some(quantum_ns), ..self }
    }

    /// A job's relative deadline: the one given, else the period.
    pub const fn deadline_ns(&self) -> Option<u64> {
        match self.relative_deadline_ns {
            Some(d) => Some(d),
            None => self.period_ns,
        }
    }

    /// Checks the parameters: no zero period, deadline or quantum, at
    /// least one ticket.
    pub const fn validate(&self) -> Result<(), SchedError> {
        let zero = matches!(self.period_ns, Some(0))
            || matches!(self.relative_deadline_ns, Some(0))
            || matches!(self.quantum_ns, Some(0))
            || self.tickets == 0;
        if zero {
            Err(SchedError::InvalidParams)
        } else {
            Ok(())
        }
    }
}

/// Where an admitted thread stands, as the scheduler sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadState {
    /// Not runnable until [`Scheduler::ready`].
    ///
    /// [`Scheduler::ready`]: crate::Scheduler::ready
    Blocked,
    /// Finished its job (or is periodic and has not had its first): not
    /// runnable until its next job is released, or [`Scheduler::ready`].
    ///
    /// [`Scheduler::ready`]: crate::Scheduler::ready
    AwaitingJob,
    /// Runnable, in the policy's queue.
    Ready,
    /// Picked: the thread running now (or when the domain lost the CPU).
    Running,
}

/// Why a scheduler refused a call. The scheduler is unchanged after an
/// error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchedError {
    /// The id is not below [`MAX_THREADS`].
    BadThread,
    /// No thread with this id has been admitted.
    NotAdmitted,
    /// A thread with this id is admitted already.
    AlreadyAdmitted,
    /// Invalid parameters: a zero period, deadline or quantum, no tickets,
    /// or a ticket count that would overflow.
    InvalidParams,
    /// A fixed-capacity queue is full (cannot happen with at most one entry
    /// per thread; reported rather than assumed).
    Full,
    /// The call needs the running thread, and this one is not running.
    NotRunning,
    /// The thread has no outstanding job to complete.
    NoJob,
    /// A transfer would leave the giver with fewer than one ticket.
    NotEnoughTickets,
    /// No policy has this name.
    UnknownPolicy,
}

impl fmt::Display for SchedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BadThread => "thread id out of range",
            Self::NotAdmitted => "no such thread",
            Self::AlreadyAdmitted => "thread already admitted",
            Self::InvalidParams => "invalid thread parameters",
            Self::Full => "scheduler queue full",
            Self::NotRunning => "thread is not running",
            Self::NoJob => "thread has no outstanding job",
            Self::NotEnoughTickets => "not enough tickets",
            Self::UnknownPolicy => {
                "unknown scheduler (known: fifo, edf, round-robin, lottery, stride)"
            }
        })
    }
}

/// The answer of [`Scheduler::pick`].
///
/// [`Scheduler::pick`]: crate::Scheduler::pick
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick {
    /// The thread to run now.
    pub thread: ThreadId,
    /// When the runtime must come back to the scheduler at the latest (the
    /// end of the thread's quantum), or `None`: run until it blocks, yields
    /// or completes its job, or until a release is due.
    pub preempt_at: Option<u64>,
}

/// A released, not yet completed job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    /// Its number within its thread, from 0.
    pub index: u64,
    /// When it was released (for a periodic thread: the nominal time, which
    /// may be earlier than when the scheduler was told).
    pub release_ns: u64,
    /// Its absolute deadline, if the thread has deadlines.
    pub deadline_ns: Option<u64>,
    /// When the thread was first picked to run it.
    pub start_ns: Option<u64>,
}

/// A completed job, as [`Scheduler::complete`] recorded it.
///
/// [`Scheduler::complete`]: crate::Scheduler::complete
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobRecord {
    /// The job.
    pub job: Job,
    /// When it completed.
    pub finish_ns: u64,
    /// `finish - release`.
    pub response_ns: u64,
    /// `finish - deadline` (negative: early), if it had a deadline.
    pub lateness_ns: Option<i64>,
    /// Whether it finished after its deadline.
    pub missed: bool,
}

/// The answer of [`Scheduler::complete`].
///
/// [`Scheduler::complete`]: crate::Scheduler::complete
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    /// The job that completed.
    pub record: JobRecord,
    /// The thread's next job, if it was due already: the thread is then
    /// runnable ([`ThreadState::Ready`]); otherwise it awaits its next
    /// release ([`ThreadState::AwaitingJob`]).
    pub next: Option<Job>,
}

/// What a scheduler has counted for one thread since its admission.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThreadStats {
    /// Jobs released.
    pub released: u64,
    /// Jobs completed.
    pub jobs: u64,
    /// Jobs that missed their deadline: completed after it, or known not
    /// to have completed by it (see [`Scheduler::check_deadlines`]). Each
    /// job is counted once.
    ///
    /// [`Scheduler::check_deadlines`]: crate::Scheduler::check_deadlines
    pub misses: u64,
    /// Jobs abandoned uncompleted because [`Scheduler::release`] released a
    /// newer one.
    ///
    /// [`Scheduler::release`]: crate::Scheduler::release
    pub dropped: u64,
    /// The longest response time (`finish - release`) of a completed job.
    pub response_max_ns: u64,
    /// The sum of the response times of the completed jobs (saturating).
    pub response_sum_ns: u64,
    /// The greatest lateness (`finish - deadline`; negative: early) of a
    /// completed job with a deadline.
    pub lateness_max_ns: Option<i64>,
    /// CPU time the thread ran, as the scheduler was told.
    pub cpu_ns: u64,
    /// How many times it was picked.
    pub dispatches: u64,
}

impl ThreadStats {
    /// The mean response time of the completed jobs (0 if none).
    pub const fn response_avg_ns(&self) -> u64 {
        match self.response_sum_ns.checked_div(self.jobs) {
            Some(avg) => avg,
            None => 0,
        }
    }
}

/// The summary line of one thread, as both the `periodic` domain and the
/// simulator print it:
///
/// `job domain=w thread=t1 jobs=25 misses=0 resp_max_ns=4100000 resp_avg_ns=4050000`
///
/// `jobs` counts completed jobs; `misses` the jobs that missed their
/// deadline ([`ThreadStats::misses`]); the response times are over the
/// completed jobs.
#[derive(Clone, Copy, Debug)]
pub struct JobSummary<'a> {
    /// The domain's name.
    pub domain: &'a str,
    /// The thread's name.
    pub thread: &'a str,
    /// Its statistics.
    pub stats: &'a ThreadStats,
}

impl fmt::Display for JobSummary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "job domain={} thread={} jobs={} misses={} resp_max_ns={} resp_avg_ns={}",
            self.domain,
            self.thread,
            self.stats.jobs,
            self.stats.misses,
            self.stats.response_max_ns,
            self.stats.response_avg_ns()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_set_ignores_ids_out_of_range() {
        let mut set = ThreadSet::EMPTY;
        set.insert(ThreadId(3));
        set.insert(ThreadId(MAX_THREADS));
        set.insert(ThreadId(usize::MAX));
        assert_eq!(set.len(), 1);
        assert!(set.contains(ThreadId(3)));
        assert!(!set.contains(ThreadId(MAX_THREADS)));
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![ThreadId(3)]);
        set.remove(ThreadId(3));
        set.remove(ThreadId(usize::MAX));
        assert!(set.is_empty());
    }

    #[test]
    fn params_validate_and_default_the_deadline() {
        let p = ThreadParams::periodic(20, 4);
        assert_eq!(p.deadline_ns(), Some(20));
        assert_eq!(p.with_deadline(15).deadline_ns(), Some(15));
        assert_eq!(ThreadParams::DEFAULT.deadline_ns(), None);
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(ThreadParams::periodic(0, 1).validate(), Err(SchedError::InvalidParams));
        assert_eq!(p.with_deadline(0).validate(), Err(SchedError::InvalidParams));
        assert_eq!(p.with_tickets(0).validate(), Err(SchedError::InvalidParams));
        assert_eq!(p.with_quantum(0).validate(), Err(SchedError::InvalidParams));
    }

    #[test]
    fn summary_line_has_the_agreed_form() {
        let stats = ThreadStats {
            jobs: 4,
            misses: 1,
            response_max_ns: 10,
            response_sum_ns: 22,
            ..ThreadStats::default()
        };
        let line = JobSummary { domain: "w", thread: "t1", stats: &stats }.to_string();
        assert_eq!(line, "job domain=w thread=t1 jobs=4 misses=1 resp_max_ns=10 resp_avg_ns=5");
        assert_eq!(ThreadStats::default().response_avg_ns(), 0);
    }
}
