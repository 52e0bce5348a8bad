//! A group in the simulator: the scheduler domain runs the members under
//! its policy with `vesper_schedulers::group::Members`, the code the
//! `domain-scheduler` program runs on the board, on the time Atropos gives
//! the group. Each member is modelled as a domain that computes for its
//! whole budget (as `spin` does): it never yields or blocks, so a
//! donation ends when its budget is used up or when Atropos takes the CPU
//! from the group.

use crate::{job_rows, After, Behaviour, SimConfig, SimResult, Span, Task};
use anyhow::{anyhow, Result};
use vesper_schedulers::group::{Ended, Members};
use vesper_schedulers::{AnyScheduler, JobRecord, Scheduler, ThreadId};

/// A group's scheduler domain and its members.
pub struct GroupDomain {
    tasks: Vec<Task>,
    members: Members<AnyScheduler>,
    /// Each member's completed jobs.
    records: Vec<Vec<JobRecord>>,
    /// Which member ran when.
    trace: Vec<Span>,
}

impl GroupDomain {
    /// The members of `tasks` (one per member, in `members` order),
    /// admitted to `sched` at time 0.
    pub fn new(tasks: &[Task], sched: AnyScheduler) -> Result<Self> {
        let mut members = Members::new(sched);
        for (index, task) in tasks.iter().enumerate() {
            members
                .admit(ThreadId(index), task.params(), 0)
                .map_err(|error| anyhow!("member {:?}: {error}", task.name))?;
        }
        Ok(Self {
            tasks: tasks.to_vec(),
            members,
            records: vec![Vec::new(); tasks.len()],
            trace: Vec::new(),
        })
    }
}

impl Behaviour for GroupDomain {
    fn run(&mut self, mut now: u64, until: u64) -> Result<(u64, After)> {
        while now < until {
            let grant = match self.members.next(now) {
                Ok(grant) => grant,
                // Nothing to run: the scheduler domain waits for the next
                // release (spinning members never wake it otherwise).
                Err(next) => return Ok((now, After::Blocked(next))),
            };
            let budget_end = now.saturating_add(grant.budget_ns);
            let stop = budget_end.min(until);
            let how = if stop < budget_end { Ended::Preempted } else { Ended::Budget };
            let member = grant.member.0;
            match self.trace.last_mut() {
                Some(last) if last.thread == member && last.end_ns == now => last.end_ns = stop,
                _ => self.trace.push(Span { thread: member, start_ns: now, end_ns: stop }),
            }
            let done = self
                .members
                .ended(grant.member, how, stop - now, stop)
                .map_err(|error| anyhow!("member {:?}: {error}", self.tasks[member].name))?;
            if let Some(done) = done {
                self.records[member].push(done.record);
            }
            now = stop;
        }
        Ok((now, After::Ran))
    }

    fn finish_threads(mut self: Box<Self>, config: SimConfig, end: u64) -> Option<SimResult> {
        let stats = (0..self.tasks.len())
            .map(|i| self.members.stats_at(ThreadId(i), end).unwrap_or_default())
            .collect();
        let sched = self.members.scheduler();
        let rows = job_rows(&self.tasks, sched, &self.records, end);
        Some(SimResult {
            config,
            scheduler: sched.name(),
            tasks: self.tasks,
            rows,
            stats,
            trace: self.trace,
        })
    }
}
