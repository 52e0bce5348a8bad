//! A discrete-event simulator of Vesper's schedulers, both levels of them,
//! with the code the board runs.
//!
//! [`image::simulate_image`] runs a whole image: every domain of a manifest
//! competing for the CPU under the kernel's own Atropos
//! (`vesper_kernel_core::atropos`), each doing what its program does: its
//! threads under its user-level scheduler (`vesper-schedulers`, as the
//! domain links it), or a stock program's behaviour. It reports the
//! kernel's `stats` lines (which match the lines QEMU prints for the same
//! image within a fraction of a percent) and each thread domain's `job`
//! lines (the lines the `periodic` domain prints). [`simulate`] runs one
//! task set ([`Task`]s) alone, on the whole CPU or under one reservation,
//! and returns every job's release, start, finish and deadline
//! ([`JobRow`]) and every thread's statistics. [`run_cli`] is the command
//! line (`cargo xtask sim`).
//!
//! # The model
//!
//! The simulator drives a domain's scheduler exactly as the domain's
//! runtime does: on every event (the domain gets the CPU, a release is
//! due, a quantum ends, a job completes) it tells the scheduler what
//! happened, calls [`Scheduler::release_due`] and [`Scheduler::pick`], and
//! runs the picked thread until the next event; with nothing to run the
//! domain blocks until its next release. Between domains it drives Atropos
//! exactly as the kernel's dispatcher does (see [`image`]). A job needs
//! exactly its `wcet` of CPU; nothing else costs time (no activation or
//! switch overhead, which the real system adds: about a microsecond per
//! switch on QEMU). Atropos still charges the board's switch cost to
//! preemptors, as on the board.
//!
//! A [`CpuShare`] says what CPU a lone task set gets: [`CpuShare::Full`],
//! or [`CpuShare::Reservation`], served by Atropos with the domain alone
//! under it.

#![forbid(unsafe_code)]

mod cli;
mod group;
pub mod image;
mod manifest;
pub mod recorded;
pub mod trace;

pub use cli::{parse_policies, run, run_cli, write_trace, SimArgs};
pub use manifest::{parse_duration, tasks_of, tasks_of_members};

use anyhow::{bail, Result};
use std::fmt::Write as _;
use vesper_kernel_core::atropos::Reservation;
use vesper_schedulers::{
    report_horizon_ns, AnyScheduler, Job, JobLine, JobRecord, PolicyConfig, PolicyKind, Scheduler,
    ThreadId, ThreadParams, ThreadStats, DEFAULT_TICKETS, MAX_THREADS,
};

/// One thread of a task set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    /// Its name.
    pub name: String,
    /// A job is released every period, the first at 0; `None`: a single
    /// job, released at 0.
    pub period_ns: Option<u64>,
    /// The CPU time each job needs.
    pub wcet_ns: u64,
    /// Each job's relative deadline (default: the period).
    pub deadline_ns: Option<u64>,
    /// Lottery and stride tickets (default [`DEFAULT_TICKETS`]).
    pub tickets: Option<u32>,
}

impl Task {
    /// A periodic task with implicit deadlines.
    pub fn periodic(name: &str, period_ns: u64, wcet_ns: u64) -> Self {
        Self {
            name: name.to_string(),
            period_ns: Some(period_ns),
            wcet_ns,
            deadline_ns: None,
            tickets: None,
        }
    }

    /// The scheduler parameters of its thread.
    pub fn params(&self) -> ThreadParams {
        ThreadParams {
            period_ns: self.period_ns,
            wcet_ns: Some(self.wcet_ns),
            relative_deadline_ns: self.deadline_ns,
            tickets: self.tickets.unwrap_or(DEFAULT_TICKETS),
            quantum_ns: None,
        }
    }
}

/// The CPU a lone simulated task set gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuShare {
    /// All of it.
    Full,
    /// An Atropos reservation, served by the kernel's Atropos with the
    /// domain alone under it.
    Reservation {
        /// The period `p`.
        period_ns: u64,
        /// The slice `s` guaranteed in every period, `0 < s <= p`.
        slice_ns: u64,
        /// The latency hint `l` (0: the period).
        latency_ns: u64,
    },
}

impl CpuShare {
    /// A reservation of `slice_ns` in every `period_ns`, latency one period.
    pub fn reservation(period_ns: u64, slice_ns: u64) -> Self {
        Self::Reservation { period_ns, slice_ns, latency_ns: 0 }
    }
}

/// What to simulate, besides the tasks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimConfig {
    /// The domain's name (for the output).
    pub domain: String,
    /// The scheduling policy.
    pub policy: PolicyKind,
    /// Its quantum and seed.
    pub policy_config: PolicyConfig,
    /// How long to simulate, from 0.
    pub duration_ns: u64,
    /// The domain's CPU.
    pub share: CpuShare,
}

/// One job of a simulated thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRow {
    /// The thread's index in the task set.
    pub thread: usize,
    /// The job's number within its thread, from 0.
    pub job: u64,
    /// Its (nominal) release time.
    pub release_ns: u64,
    /// When it first ran, if it did.
    pub start_ns: Option<u64>,
    /// When it completed, if it did within the run.
    pub finish_ns: Option<u64>,
    /// Its absolute deadline, if the thread has deadlines.
    pub deadline_ns: Option<u64>,
    /// `finish - release`, if it completed.
    pub response_ns: Option<u64>,
    /// `finish - deadline` (negative: early), if it completed and has a
    /// deadline.
    pub lateness_ns: Option<i64>,
    /// Whether it missed its deadline: completed after it, or did not
    /// complete by a deadline before the end of the run.
    pub missed: bool,
}

/// A stretch of time one thread ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// The thread's index in the task set.
    pub thread: usize,
    /// When it started running.
    pub start_ns: u64,
    /// When it stopped.
    pub end_ns: u64,
}

/// The outcome of a simulation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimResult {
    /// What was simulated.
    pub config: SimConfig,
    /// The name of the scheduler that ran (`config.policy`'s, unless
    /// [`simulate_with`] was given another).
    pub scheduler: &'static str,
    /// The task set.
    pub tasks: Vec<Task>,
    /// Every job released (or due) before the end, by thread, then job.
    pub rows: Vec<JobRow>,
    /// Each thread's statistics, as the scheduler counted them (after
    /// [`Scheduler::check_deadlines`] at the end), in task order.
    pub stats: Vec<ThreadStats>,
    /// Who ran when, in time order (consecutive runs of one thread merged).
    pub trace: Vec<Span>,
}

impl SimResult {
    /// The span the summary lines report: the jobs released before it
    /// ([`report_horizon_ns`], as the `periodic` domain reports on QEMU).
    pub fn horizon_ns(&self) -> u64 {
        let longest = self.tasks.iter().filter_map(|task| task.period_ns).max().unwrap_or(0);
        let domain_period = match self.config.share {
            CpuShare::Full => 0,
            CpuShare::Reservation { period_ns, .. } => period_ns,
        };
        report_horizon_ns(self.config.duration_ns, longest, domain_period)
    }

    /// The per-thread summary lines ([`JobLine`]), in task order, over the
    /// jobs released before [`SimResult::horizon_ns`].
    pub fn summary_lines(&self) -> Vec<String> {
        let horizon = self.horizon_ns();
        self.tasks
            .iter()
            .enumerate()
            .map(|(index, task)| {
                let mut stats = ThreadStats::default();
                let reported =
                    self.rows.iter().filter(|row| row.thread == index && row.release_ns < horizon);
                for row in reported {
                    stats.misses += u64::from(row.missed);
                    if let Some(response) = row.response_ns {
                        stats.jobs += 1;
                        stats.response_sum_ns += response;
                        stats.response_max_ns = stats.response_max_ns.max(response);
                    }
                }
                JobLine::of(&self.config.domain, &task.name, self.scheduler, &stats).to_string()
            })
            .collect()
    }

    /// One line per job:
    /// `row domain=<d> thread=<t> job=<k> release_ns=.. start_ns=.. finish_ns=.. deadline_ns=.. response_ns=.. lateness_ns=.. missed=<bool>`,
    /// with `-` for what did not happen.
    pub fn row_lines(&self) -> Vec<String> {
        fn opt<T: ToString>(value: Option<T>) -> String {
            value.map_or_else(|| "-".to_string(), |v| v.to_string())
        }
        self.rows
            .iter()
            .map(|row| {
                format!(
                    "row domain={} thread={} job={} release_ns={} start_ns={} finish_ns={} \
                     deadline_ns={} response_ns={} lateness_ns={} missed={}",
                    self.config.domain,
                    self.tasks.get(row.thread).map_or("?", |t| t.name.as_str()),
                    row.job,
                    row.release_ns,
                    opt(row.start_ns),
                    opt(row.finish_ns),
                    opt(row.deadline_ns),
                    opt(row.response_ns),
                    opt(row.lateness_ns),
                    row.missed
                )
            })
            .collect()
    }

    /// The CPU time each thread got, in task order.
    pub fn cpu_ns(&self) -> Vec<u64> {
        let mut cpu = vec![0u64; self.tasks.len()];
        for span in &self.trace {
            if let Some(total) = cpu.get_mut(span.thread) {
                *total += span.end_ns - span.start_ns;
            }
        }
        cpu
    }

    /// The whole report: a header line, the rows (if `rows`), the
    /// summaries.
    pub fn render(&self, rows: bool) -> String {
        let mut out = String::new();
        let share = match self.config.share {
            CpuShare::Full => "full".to_string(),
            CpuShare::Reservation { period_ns, slice_ns, .. } => {
                format!("{}/{}", format_duration(slice_ns), format_duration(period_ns))
            }
        };
        let utilisation_ppb: u64 = self.tasks.iter().filter_map(utilisation_ppb).sum();
        let _ = writeln!(
            out,
            "sim domain={} scheduler={} share={share} duration_ns={} utilisation_ppb={utilisation_ppb}",
            self.config.domain, self.scheduler, self.config.duration_ns
        );
        if rows {
            for line in self.row_lines() {
                let _ = writeln!(out, "{line}");
            }
        }
        for line in self.summary_lines() {
            let _ = writeln!(out, "{line}");
        }
        out
    }
}

/// Writes `ns` in the largest unit that divides it exactly: `10ms`,
/// `250us`, `1s`, `7ns`.
pub fn format_duration(ns: u64) -> String {
    for (scale, unit) in [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "us")] {
        if ns != 0 && ns.is_multiple_of(scale) {
            return format!("{}{unit}", ns / scale);
        }
    }
    format!("{ns}ns")
}

/// `wcet / period` of a periodic task, in parts per billion, rounded up.
fn utilisation_ppb(task: &Task) -> Option<u64> {
    let period = task.period_ns.filter(|&p| p > 0)?;
    let ppb = (u128::from(task.wcet_ns) * 1_000_000_000).div_ceil(u128::from(period));
    Some(u64::try_from(ppb).unwrap_or(u64::MAX))
}

/// How many steps in a row may pass no time before [`simulate_with`]
/// gives up on the scheduler.
const MAX_STALLS: u32 = 10_000;

/// Checks the task set and the configuration.
fn validate(tasks: &[Task], config: &SimConfig) -> Result<()> {
    if tasks.is_empty() {
        bail!("the task set is empty");
    }
    if config.duration_ns == 0 {
        bail!("the duration must be greater than 0");
    }
    if tasks.len() > MAX_THREADS {
        bail!("{} tasks, but a scheduler holds at most {MAX_THREADS} threads", tasks.len());
    }
    for task in tasks {
        if task.params().validate().is_err() {
            bail!("task {:?}: period, deadline and tickets must be greater than 0", task.name);
        }
    }
    if let CpuShare::Reservation { period_ns, slice_ns, .. } = config.share {
        if period_ns == 0 || slice_ns == 0 || slice_ns > period_ns {
            bail!("a reservation needs 0 < slice <= period (got {slice_ns}ns/{period_ns}ns)");
        }
    }
    if config.policy_config.quantum_ns == 0 {
        bail!("the quantum must be greater than 0");
    }
    Ok(())
}

/// Simulates `tasks` under `config`; see the crate documentation for the
/// model.
pub fn simulate(tasks: &[Task], config: &SimConfig) -> Result<SimResult> {
    simulate_with(tasks, config, AnyScheduler::of_kind(config.policy, config.policy_config))
}

/// Simulates `tasks` under `config`, but scheduled by `sched` (a policy of
/// your own, say) instead of `config.policy`, which is ignored.
pub fn simulate_with<S: Scheduler + 'static>(
    tasks: &[Task],
    config: &SimConfig,
    sched: S,
) -> Result<SimResult> {
    validate(tasks, config)?;
    let end = config.duration_ns;
    let mut domain = ThreadDomain::new(tasks, sched)?;
    let CpuShare::Reservation { period_ns, slice_ns, latency_ns } = config.share else {
        let mut now = 0;
        while now < end {
            match domain.run(now, end)? {
                (_, After::Blocked(Some(wake))) => now = wake.min(end),
                (stop, After::Ran) => now = stop,
                (_, After::Blocked(None) | After::Exited) => break,
            }
        }
        return Ok(domain.finish(config.clone(), end));
    };
    // The reservation is served by the kernel's own Atropos, the domain
    // alone under it.
    let reservation = Reservation { period_ns, slice_ns, extra: false, latency_ns };
    let mut domains: Vec<Box<dyn Behaviour>> = vec![Box::new(domain)];
    image::run_under_atropos(&mut domains, &[Some(reservation)], 0, end)?;
    let domain = domains.pop().expect("one domain");
    Ok(domain.finish_threads(config.clone(), end).expect("a domain of threads"))
}

/// What a domain did with the CPU it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum After {
    /// It used the CPU to the end of what it was given.
    Ran,
    /// It blocked, until the given time (or until woken, `None`).
    Blocked(Option<u64>),
    /// It ended.
    Exited,
}

/// A simulated domain: what it does with the CPU Atropos gives it.
pub trait Behaviour {
    /// Runs from `now` for at most `until - now`; returns when it stopped
    /// and why.
    fn run(&mut self, now: u64, until: u64) -> Result<(u64, After)>;

    /// A domain of threads: their results, for a run that ended at `end`.
    fn finish_threads(self: Box<Self>, _config: SimConfig, _end: u64) -> Option<SimResult> {
        None
    }
}

/// A domain of threads under a user-level scheduler, driven as the
/// activations runtime drives it.
pub struct ThreadDomain<S: Scheduler> {
    tasks: Vec<Task>,
    sched: S,
    /// The job each thread's `remaining` work belongs to.
    current_job: Vec<Option<u64>>,
    remaining: Vec<u64>,
    records: Vec<Vec<JobRecord>>,
    trace: Vec<Span>,
    stalled: u32,
    /// Ends the domain as the `periodic` program does: each periodic
    /// thread takes its snapshot when its first job released at or after
    /// this time is picked, and the last snapshot ends the domain.
    ends_after: Option<u64>,
    /// Which threads have taken their snapshot.
    snapped: Vec<bool>,
}

impl<S: Scheduler> ThreadDomain<S> {
    /// The threads of `tasks`, admitted to `sched` at time 0.
    pub fn new(tasks: &[Task], mut sched: S) -> Result<Self> {
        for (i, task) in tasks.iter().enumerate() {
            let id = ThreadId(i);
            let refused = |e| anyhow::anyhow!("task {:?}: {e}", task.name);
            sched.admit(id, task.params(), 0).map_err(refused)?;
            if task.period_ns.is_none() {
                sched.release(id, 0).map_err(refused)?;
                sched.ready(id, 0).map_err(refused)?;
            }
        }
        let n = tasks.len();
        Ok(Self {
            tasks: tasks.to_vec(),
            sched,
            current_job: vec![None; n],
            remaining: vec![0; n],
            records: vec![Vec::new(); n],
            trace: Vec::new(),
            stalled: 0,
            ends_after: None,
            snapped: vec![false; n],
        })
    }

    /// The same domain, ending itself as `periodic` does after printing its
    /// report: when the last periodic thread is picked for its first job
    /// released at or after `horizon`.
    pub fn ending_after(mut self, horizon: u64) -> Self {
        self.ends_after = Some(horizon);
        self
    }

    /// Notes that thread `i` was picked for job `job`; returns whether that
    /// was the domain's last snapshot, which ends it.
    fn snapshot(&mut self, i: usize, job: &Job) -> bool {
        let Some(horizon) = self.ends_after else { return false };
        let periodic = self.tasks[i].period_ns.is_some();
        if !periodic || self.snapped[i] || job.release_ns < horizon {
            return false;
        }
        self.snapped[i] = true;
        self.tasks
            .iter()
            .zip(&self.snapped)
            .all(|(task, &snapped)| snapped || task.period_ns.is_none())
    }

    /// Runs the picked thread from `now` until the next event (at most
    /// `until`), and tells the scheduler how it ended. Returns the time
    /// then.
    fn step(&mut self, id: ThreadId, preempt_at: Option<u64>, now: u64, until: u64) -> Result<u64> {
        let i = id.0;
        let stop = now
            .saturating_add(self.remaining[i])
            .min(preempt_at.unwrap_or(u64::MAX))
            .min(self.sched.next_release().filter(|&t| t > now).unwrap_or(u64::MAX))
            .min(until)
            .max(now);
        let ran = stop - now;
        // Only a completion may take no time; a scheduler that keeps
        // asking to be called back at once would never let time advance.
        self.stalled = if ran == 0 && self.remaining[i] > 0 { self.stalled + 1 } else { 0 };
        if self.stalled > MAX_STALLS {
            bail!("the {} scheduler makes no progress at {now} ns", self.sched.name());
        }
        self.remaining[i] -= ran;
        if ran > 0 {
            match self.trace.last_mut() {
                Some(last) if last.thread == i && last.end_ns == now => last.end_ns = stop,
                _ => self.trace.push(Span { thread: i, start_ns: now, end_ns: stop }),
            }
        }
        // Ties, broken as the board breaks them (see `Scheduler`, "Ties"):
        // there every run ends a little later than here (the kernel's and
        // the activation handler's work), so jobs released at the instant
        // the run ends queue before the thread that stops, and a quantum
        // that ends now ends at the next pick, after those releases.
        self.sched.release_due(stop);
        let outcome = if self.remaining[i] == 0 {
            self.sched.complete(id, stop).map(|done| self.records[i].push(done.record))
        } else {
            self.sched.interrupted(id, stop)
        };
        if let Err(err) = outcome {
            bail!("the {} scheduler refused thread {i} at {stop} ns: {err}", self.sched.name());
        }
        Ok(stop)
    }

    /// The result of the run that ended at `end`.
    pub fn finish(mut self, config: SimConfig, end: u64) -> SimResult {
        self.sched.check_deadlines(end);
        let rows = job_rows(&self.tasks, &self.sched, &self.records, end);
        let n = self.tasks.len();
        let stats = (0..n).map(|i| self.sched.stats(ThreadId(i)).unwrap_or_default()).collect();
        SimResult {
            config,
            scheduler: self.sched.name(),
            tasks: self.tasks,
            rows,
            stats,
            trace: self.trace,
        }
    }
}

impl<S: Scheduler> Behaviour for ThreadDomain<S> {
    fn run(&mut self, mut now: u64, until: u64) -> Result<(u64, After)> {
        while now < until {
            self.sched.release_due(now);
            let Some(pick) = self.sched.pick(now) else {
                // Nothing to run: the domain blocks until the next release.
                let wake = self.sched.next_release().filter(|&wake| wake > now);
                return Ok((
                    now,
                    if wake.is_some() { After::Blocked(wake) } else { After::Exited },
                ));
            };
            let id = pick.thread;
            match self.sched.job(id) {
                Ok(Some(job)) if self.current_job[id.0] != Some(job.index) => {
                    if self.snapshot(id.0, &job) {
                        return Ok((now, After::Exited));
                    }
                    self.current_job[id.0] = Some(job.index);
                    self.remaining[id.0] = self.tasks[id.0].wcet_ns;
                }
                Ok(Some(_)) => {}
                _ => {
                    // A thread without a job has nothing to do (cannot
                    // happen here: threads become runnable by releases).
                    let _ = self.sched.block(id, now);
                    continue;
                }
            }
            now = self.step(id, pick.preempt_at, now, until)?;
        }
        Ok((now, After::Ran))
    }

    fn finish_threads(self: Box<Self>, config: SimConfig, end: u64) -> Option<SimResult> {
        Some(self.finish(config, end))
    }
}

/// Every job released or due before `end`, completed or not. `records`
/// holds each thread's completed jobs, in order.
pub(crate) fn job_rows(
    tasks: &[Task],
    sched: &impl Scheduler,
    records: &[Vec<JobRecord>],
    end: u64,
) -> Vec<JobRow> {
    let mut rows = Vec::new();
    for (i, task) in tasks.iter().enumerate() {
        let outstanding = sched.job(ThreadId(i)).ok().flatten();
        let done = records.get(i).map_or(&[][..], Vec::as_slice);
        let relative_deadline = task.params().deadline_ns();
        for k in 0u64.. {
            let release = match task.period_ns {
                Some(period) => k.saturating_mul(period),
                None if k == 0 => 0,
                None => break,
            };
            if release >= end {
                break;
            }
            // Jobs complete in order, so job k is the k-th record.
            let record = usize::try_from(k).ok().and_then(|k| done.get(k));
            let row = match record.filter(|r| r.job.index == k) {
                Some(r) => JobRow {
                    thread: i,
                    job: k,
                    release_ns: r.job.release_ns,
                    start_ns: r.job.start_ns,
                    finish_ns: Some(r.finish_ns),
                    deadline_ns: r.job.deadline_ns,
                    response_ns: Some(r.response_ns),
                    lateness_ns: r.lateness_ns,
                    missed: r.missed,
                },
                None => {
                    let deadline = relative_deadline.map(|d| release.saturating_add(d));
                    JobRow {
                        thread: i,
                        job: k,
                        release_ns: release,
                        start_ns: outstanding
                            .filter(|job| job.index == k)
                            .and_then(|job| job.start_ns),
                        finish_ns: None,
                        deadline_ns: deadline,
                        response_ns: None,
                        lateness_ns: None,
                        missed: deadline.is_some_and(|d| d < end),
                    }
                }
            };
            rows.push(row);
        }
    }
    rows
}
