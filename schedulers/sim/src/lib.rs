//! A discrete-event simulator for Vesper's user-level schedulers.
//!
//! [`simulate`] runs a task set ([`Task`]s: periodic threads with a
//! worst-case execution time) through any policy of `vesper-schedulers`
//! for a given time, and returns every job's release, start, finish and
//! deadline ([`JobRow`]) and every thread's statistics, which print in the
//! same `job domain=... thread=...` form the `periodic` domain prints under
//! QEMU, so that the two can be compared. [`run_cli`] is the command line
//! (`cargo xtask sim`), which reads task sets from image manifests.
//!
//! # The model
//!
//! The simulator drives the scheduler exactly as the domain's runtime
//! does: on every event (the domain gets the CPU, a release is due, a
//! quantum ends, a job completes) it tells the scheduler what happened,
//! calls [`Scheduler::release_due`] and [`Scheduler::pick`], and runs the
//! picked thread until the next event. A job needs exactly its `wcet` of
//! CPU; nothing else costs time (no activation or switch overhead, which
//! the real system adds: a few microseconds per switch).
//!
//! The domain's CPU comes from a [`CpuShare`]:
//!
//! * [`CpuShare::Full`]: the domain has the whole CPU.
//! * [`CpuShare::Reservation`]: an Atropos reservation `(p, s, l)`, served
//!   as the kernel serves a domain whose guarantee no one else contends
//!   for: in every period of `p` (starting at 0) the domain may run for
//!   `s`, whenever it has a runnable thread; when its slice is spent it
//!   waits for the next period; when it has nothing to run it blocks until
//!   the next release, and a block longer than `p` restarts its periods at
//!   the wake-up with the deadline `l` later (the kernel's unblocking rule).
//!   A thread that is running when the slice runs out is interrupted at
//!   that instant and resumed at the next period. With other domains
//!   competing, Atropos may serve the slice anywhere in the period, so this
//!   is the best case the guarantee allows; slack time (`extra`) is not
//!   modelled.

#![forbid(unsafe_code)]

mod cli;
mod manifest;

pub use cli::{run, run_cli, SimArgs};
pub use manifest::{load_manifest, parse_duration, parse_manifest, SimDomain};

use anyhow::{bail, Result};
use std::fmt::Write as _;
use vesper_schedulers::{
    report_horizon_ns, AnyScheduler, JobLine, JobRecord, PolicyConfig, PolicyKind, Scheduler,
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

/// The CPU the simulated domain gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuShare {
    /// All of it.
    Full,
    /// An Atropos reservation, served as described in the crate
    /// documentation.
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

/// The domain's CPU: when it may run.
#[derive(Clone, Copy, Debug)]
enum Cpu {
    Full,
    Budget {
        period: u64,
        slice: u64,
        latency: u64,
        /// End of the current period.
        deadline: u64,
        /// Time left of the slice in this period.
        remain: u64,
        /// When the domain blocked, while it is blocked.
        blocked_since: Option<u64>,
    },
}

impl Cpu {
    fn new(share: CpuShare) -> Self {
        match share {
            CpuShare::Full => Self::Full,
            CpuShare::Reservation { period_ns, slice_ns, latency_ns } => Self::Budget {
                period: period_ns,
                slice: slice_ns,
                latency: if latency_ns == 0 { period_ns } else { latency_ns },
                deadline: period_ns,
                remain: slice_ns,
                blocked_since: None,
            },
        }
    }

    /// Until when the domain may run from `now`, or `Err(t)`: not before
    /// `t`.
    fn available(&mut self, now: u64) -> Result<u64, u64> {
        match self {
            Self::Full => Ok(u64::MAX),
            Self::Budget { period, slice, deadline, remain, .. } => {
                if now >= *deadline {
                    let k = (now - *deadline) / *period + 1;
                    *deadline = deadline.saturating_add(k.saturating_mul(*period));
                    *remain = *slice;
                }
                if *remain > 0 {
                    Ok(now.saturating_add(*remain))
                } else {
                    Err(*deadline)
                }
            }
        }
    }

    fn charge(&mut self, ran: u64) {
        if let Self::Budget { remain, .. } = self {
            *remain = remain.saturating_sub(ran);
        }
    }

    fn block(&mut self, now: u64) {
        if let Self::Budget { blocked_since, .. } = self {
            *blocked_since = Some(now);
        }
    }

    /// The kernel's unblocking rule.
    fn wake(&mut self, now: u64) {
        if let Self::Budget { period, slice, latency, deadline, remain, blocked_since } = self {
            if let Some(since) = blocked_since.take() {
                if now.saturating_sub(since) > *period {
                    *remain = *slice;
                    *deadline = now.saturating_add(*latency);
                }
            }
        }
    }
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
pub fn simulate_with<S: Scheduler>(
    tasks: &[Task],
    config: &SimConfig,
    mut sched: S,
) -> Result<SimResult> {
    validate(tasks, config)?;
    let end = config.duration_ns;
    let mut cpu = Cpu::new(config.share);
    let n = tasks.len();
    for (i, task) in tasks.iter().enumerate() {
        let id = ThreadId(i);
        sched
            .admit(id, task.params(), 0)
            .map_err(|e| anyhow::anyhow!("task {:?}: {e}", task.name))?;
        if task.period_ns.is_none() {
            sched.release(id, 0).map_err(|e| anyhow::anyhow!("task {:?}: {e}", task.name))?;
            sched.ready(id, 0).map_err(|e| anyhow::anyhow!("task {:?}: {e}", task.name))?;
        }
    }
    // The job each thread's `remaining` work belongs to.
    let mut current_job: Vec<Option<u64>> = vec![None; n];
    let mut remaining = vec![0u64; n];
    let mut records: Vec<Vec<JobRecord>> = vec![Vec::new(); n];
    let mut trace: Vec<Span> = Vec::new();
    let mut now = 0u64;
    let mut stalled = 0u32;

    while now < end {
        let until = match cpu.available(now) {
            Ok(until) => until,
            Err(refill) => {
                now = refill.min(end);
                continue;
            }
        };
        sched.release_due(now);
        let Some(pick) = sched.pick(now) else {
            // Nothing to run: the domain blocks until the next release.
            let Some(wake) = sched.next_release().filter(|&wake| wake > now) else { break };
            cpu.block(now);
            now = wake.min(end);
            cpu.wake(now);
            continue;
        };
        let id = pick.thread;
        let i = id.0;
        match sched.job(id) {
            Ok(Some(job)) => {
                if current_job[i] != Some(job.index) {
                    current_job[i] = Some(job.index);
                    remaining[i] = tasks[i].wcet_ns;
                }
            }
            _ => {
                // A thread without a job has nothing to do (cannot happen
                // here: threads become runnable only by releases).
                let _ = sched.block(id, now);
                continue;
            }
        }
        let stop = now
            .saturating_add(remaining[i])
            .min(pick.preempt_at.unwrap_or(u64::MAX))
            .min(sched.next_release().filter(|&t| t > now).unwrap_or(u64::MAX))
            .min(until)
            .min(end)
            .max(now);
        let ran = stop - now;
        // Only a completion may take no time; a scheduler that keeps
        // asking to be called back at once would never let time advance.
        stalled = if ran == 0 && remaining[i] > 0 { stalled + 1 } else { 0 };
        if stalled > MAX_STALLS {
            bail!("the {} scheduler makes no progress at {now} ns", sched.name());
        }
        remaining[i] -= ran;
        cpu.charge(ran);
        if ran > 0 {
            match trace.last_mut() {
                Some(last) if last.thread == i && last.end_ns == now => last.end_ns = stop,
                _ => trace.push(Span { thread: i, start_ns: now, end_ns: stop }),
            }
        }
        now = stop;
        let outcome = if remaining[i] == 0 {
            sched.complete(id, now).map(|done| records[i].push(done.record))
        } else if pick.preempt_at == Some(now) {
            sched.quantum_expired(id, now)
        } else {
            sched.interrupted(id, now)
        };
        if let Err(err) = outcome {
            bail!("the {} scheduler refused thread {i} at {now} ns: {err}", sched.name());
        }
    }
    sched.check_deadlines(end);

    let rows = job_rows(tasks, &sched, &records, end);
    let stats = (0..n).map(|i| sched.stats(ThreadId(i)).unwrap_or_default()).collect();
    Ok(SimResult {
        config: config.clone(),
        scheduler: sched.name(),
        tasks: tasks.to_vec(),
        rows,
        stats,
        trace,
    })
}

/// Every job released or due before `end`, completed or not. `records`
/// holds each thread's completed jobs, in order.
fn job_rows(
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
