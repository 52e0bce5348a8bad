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

    /// A thread without a period whose jobs each need `wcet_ns`, released
    /// by [`Scheduler::release`](crate::Scheduler::release).
    pub const fn sporadic(wcet_ns: u64) -> Self {
        Self { wcet_ns: Some(wcet_ns), ..Self::DEFAULT }
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

/// The `job` line: the summary of one thread's jobs, defined once for the
/// `periodic` domain (on QEMU or a board, where the console prefixes it
/// with `[DOMAIN] `), the simulator, and the tests and tools that compare
/// them ([`JobLine::parse`]):
///
/// `job domain=w thread=t1 scheduler=edf jobs=25 misses=0 resp_max_ns=4100000 resp_avg_ns=4050000`
///
/// Both report the same jobs: those released in the first
/// [`report_horizon_ns`] of the run. `jobs` counts those that completed;
/// `misses` those that missed their deadline ([`ThreadStats::misses`]); the
/// response times are over the completed ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobLine<'a> {
    /// The domain's name.
    pub domain: &'a str,
    /// The thread's name.
    pub thread: &'a str,
    /// The name of the scheduler that ran it.
    pub scheduler: &'a str,
    /// Completed jobs.
    pub jobs: u64,
    /// Jobs that missed their deadline.
    pub misses: u64,
    /// The longest response time.
    pub resp_max_ns: u64,
    /// The mean response time (0 with no completed job).
    pub resp_avg_ns: u64,
}

impl<'a> JobLine<'a> {
    /// The line of `stats`, for thread `thread` of `domain` under
    /// `scheduler`.
    pub fn of(domain: &'a str, thread: &'a str, scheduler: &'a str, stats: &ThreadStats) -> Self {
        Self {
            domain,
            thread,
            scheduler,
            jobs: stats.jobs,
            misses: stats.misses,
            resp_max_ns: stats.response_max_ns,
            resp_avg_ns: stats.response_avg_ns(),
        }
    }

    /// Reads a `job` line (without any console prefix); `None` if it is not
    /// one, or lacks a field.
    pub fn parse(line: &'a str) -> Option<Self> {
        let mut fields = line.strip_prefix("job ")?.split(' ');
        let mut next = |key: &str| {
            let (found, value) = fields.next()?.split_once('=')?;
            (found == key).then_some(value)
        };
        let (domain, thread, scheduler) = (next("domain")?, next("thread")?, next("scheduler")?);
        let mut number = |key: &str| next(key)?.parse::<u64>().ok();
        let line = Self {
            domain,
            thread,
            scheduler,
            jobs: number("jobs")?,
            misses: number("misses")?,
            resp_max_ns: number("resp_max_ns")?,
            resp_avg_ns: number("resp_avg_ns")?,
        };
        fields.next().is_none().then_some(line)
    }
}

impl fmt::Display for JobLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "job domain={} thread={} scheduler={} jobs={} misses={} resp_max_ns={} resp_avg_ns={}",
            self.domain,
            self.thread,
            self.scheduler,
            self.jobs,
            self.misses,
            self.resp_max_ns,
            self.resp_avg_ns
        )
    }
}

/// How much of a run `job` lines report: the jobs released in the first
/// `report_horizon_ns(run_ns, ...)` ns after the threads start, `run_ns`
/// being how long the run lasts from then. The rest of the run (two of the
/// longest thread periods and two of the domain's periods) leaves those
/// jobs time to finish and the report time to be printed before the run
/// ends. The horizon is a whole number of the longest period: the margin's
/// end plus a quarter period, rounded down, so that a domain whose threads
/// start up to a quarter period after the run does (on QEMU, about a
/// millisecond: the kernel's boot) reports the same jobs as the simulator,
/// whose threads start at 0.
pub const fn report_horizon_ns(run_ns: u64, longest_period_ns: u64, domain_period_ns: u64) -> u64 {
    let margin = 2 * longest_period_ns.saturating_add(domain_period_ns);
    let horizon = run_ns.saturating_sub(margin);
    if longest_period_ns == 0 {
        return horizon;
    }
    (horizon + longest_period_ns / 4) / longest_period_ns * longest_period_ns
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
    fn job_lines_print_and_parse_back() {
        let stats = ThreadStats {
            jobs: 4,
            misses: 1,
            response_max_ns: 10,
            response_sum_ns: 22,
            ..ThreadStats::default()
        };
        let line = JobLine::of("w", "t1", "edf", &stats);
        let text = line.to_string();
        assert_eq!(
            text,
            "job domain=w thread=t1 scheduler=edf jobs=4 misses=1 resp_max_ns=10 resp_avg_ns=5"
        );
        assert_eq!(JobLine::parse(&text), Some(line));
        assert_eq!(ThreadStats::default().response_avg_ns(), 0);
        for bad in [
            "job domain=w thread=t1 jobs=4 misses=1 resp_max_ns=10 resp_avg_ns=5",
            "job domain=w thread=t1 scheduler=edf jobs=x misses=1 resp_max_ns=10 resp_avg_ns=5",
            "[w] job domain=w thread=t1 scheduler=edf jobs=4 misses=1 resp_max_ns=1 resp_avg_ns=5",
            "job domain=w thread=t1 scheduler=edf jobs=4 misses=1 resp_max_ns=1 resp_avg_ns=5 x=1",
        ] {
            assert_eq!(JobLine::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_report_horizon_is_whole_longest_periods_before_the_margin() {
        // 400 ms run, threads of 20 and 40 ms, a 10 ms domain period: the
        // margin is 100 ms, and 300 ms rounds to 280 ms (7 x 40).
        assert_eq!(report_horizon_ns(400, 40, 10), 280);
        // A domain starting 1 ms late sees the same horizon, also where the
        // margin's end falls on a whole period.
        assert_eq!(report_horizon_ns(399, 40, 10), 280);
        assert_eq!(report_horizon_ns(420, 40, 10), 320);
        assert_eq!(report_horizon_ns(419, 40, 10), 320);
        assert_eq!(report_horizon_ns(50, 40, 10), 0);
        assert_eq!(report_horizon_ns(100, 0, 10), 80);
    }
}
