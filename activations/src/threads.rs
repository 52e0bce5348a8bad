//! The threads of a domain: their saved registers, their sleeps, and the
//! user-level scheduler that decides which runs.
//!
//! Pure bookkeeping with no kernel calls, so that it can be tested on the
//! host; `runtime` drives it with activations off. The scheduler
//! (`vesper_schedulers`, chosen by the manifest's `scheduler` key) keeps the
//! thread states, jobs and statistics; this table keeps what the scheduler
//! does not: registers and wake-up times.

use crate::trace::ThreadTrace;
use vesper_abi::dcb::Context;
use vesper_abi::trace::Kind;
use vesper_schedulers::{
    Completion, SchedError, Scheduler, ThreadId, ThreadParams, ThreadStats, MAX_THREADS,
};

/// The threads of the domain and their scheduler.
pub struct Threads<S> {
    contexts: [Context; MAX_THREADS],
    alive: [bool; MAX_THREADS],
    sleep_until: [Option<u64>; MAX_THREADS],
    /// What each blocked thread awaits.
    awaiting: [Option<Awaited>; MAX_THREADS],
    scheduler: S,
    /// The running thread, and when it was picked (the scheduler's clock).
    current: Option<(ThreadId, u64)>,
    /// Each thread's CPU time, counted in the domain's CPU time (which
    /// the kernel counts only while the domain holds the CPU).
    cpu: [u64; MAX_THREADS],
    /// The thread last picked, and the domain's CPU time then.
    picked: Option<(ThreadId, u64)>,
    /// The scheduling trace (recording only when the image traces).
    pub trace: ThreadTrace,
    /// Per thread, for the trace: the last job whose start was recorded,
    /// and the misses already recorded.
    traced: [(Option<u64>, u64); MAX_THREADS],
}

/// What a thread blocked on events waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Awaited {
    /// Event slot `slot`'s count to reach `value`.
    Count {
        /// The DCB event slot.
        slot: usize,
        /// The count it waits for.
        value: u64,
    },
    /// Any event at all: the domain's `events_total` to move on from
    /// `seen` (how a driver waits for its interrupt and all its clients).
    AnyAfter {
        /// The total when the thread last looked.
        seen: u64,
    },
}

/// What to do after a scheduling decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Run `thread`; come back (alarm) when it has had `quantum_ns` of CPU
    /// time, or at `wake`, whichever comes first.
    Run {
        /// The thread to resume.
        thread: ThreadId,
        /// What is left of its quantum, counted from its resumption in
        /// its own CPU time, so that the scheduling work around it is no
        /// part of it (as the simulator, which has none, counts it).
        quantum_ns: Option<u64>,
        /// The earliest job release or sleeper wake-up.
        wake: Option<u64>,
    },
    /// Nothing is runnable: block the domain until `until`.
    Wait {
        /// The next job release or wake-up.
        until: u64,
    },
    /// No thread is left.
    Done,
}

impl<S: Scheduler> Threads<S> {
    /// Records the jobs just released (and the misses that came with
    /// them).
    fn trace_releases(&mut self, released: vesper_schedulers::ThreadSet) {
        for index in 0..MAX_THREADS {
            let thread = ThreadId(index);
            if !released.contains(thread) {
                continue;
            }
            if let Ok(Some(job)) = self.scheduler.job(thread) {
                self.trace_misses(thread, &job);
                self.trace.record(job.release_ns, Kind::JobRelease, thread, job.index);
            }
        }
    }

    /// Records that `thread` runs from `now`, and its job's first run.
    fn trace_run(&mut self, thread: ThreadId, now: u64) {
        self.trace.record(now, Kind::ThreadRun, thread, 0);
        let Ok(Some(job)) = self.scheduler.job(thread) else { return };
        let started = &mut self.traced[thread.0].0;
        if *started != Some(job.index) {
            *started = Some(job.index);
            self.trace.record(job.start_ns.unwrap_or(now), Kind::JobStart, thread, job.index);
        }
    }

    /// No threads yet, scheduled by `scheduler`.
    pub const fn new(scheduler: S) -> Self {
        Self {
            contexts: [Context::ZERO; MAX_THREADS],
            alive: [false; MAX_THREADS],
            sleep_until: [None; MAX_THREADS],
            awaiting: [None; MAX_THREADS],
            scheduler,
            current: None,
            cpu: [0; MAX_THREADS],
            picked: None,
            trace: ThreadTrace::new(),
            traced: [(None, 0); MAX_THREADS],
        }
    }

    /// The scheduler (its name, statistics).
    pub fn scheduler(&self) -> &S {
        &self.scheduler
    }

    /// The scheduler, to change (e.g. to count misses at the end of a run).
    pub fn scheduler_mut(&mut self) -> &mut S {
        &mut self.scheduler
    }

    /// Replaces the scheduler. Only before the first thread is created.
    pub fn set_scheduler(&mut self, scheduler: S) {
        if !self.any_alive() {
            self.scheduler = scheduler;
        }
    }

    /// The running thread, if any.
    pub fn current(&self) -> Option<ThreadId> {
        self.current.map(|(thread, _)| thread)
    }

    /// The saved registers of `thread`.
    pub fn context_mut(&mut self, thread: ThreadId) -> &mut Context {
        &mut self.contexts[thread.0 % MAX_THREADS]
    }

    /// Creates a thread with `params`, starting with the context
    /// `make_context` gives for its id. A thread without a period is
    /// runnable at once; a periodic one when its first job is released.
    pub fn spawn(
        &mut self,
        params: ThreadParams,
        make_context: impl FnOnce(ThreadId) -> Context,
        now: u64,
    ) -> Result<ThreadId, SchedError> {
        let index = self.alive.iter().position(|&a| !a).ok_or(SchedError::Full)?;
        let thread = ThreadId(index);
        self.scheduler.admit(thread, params, now)?;
        if params.period_ns.is_none() {
            if let Err(error) = self.scheduler.ready(thread, now) {
                let _ = self.scheduler.remove(thread, now);
                return Err(error);
            }
        }
        self.contexts[index] = make_context(thread);
        self.cpu[index] = 0;
        self.alive[index] = true;
        self.sleep_until[index] = None;
        self.awaiting[index] = None;
        Ok(thread)
    }

    /// The domain was activated while `current` ran (its alarm came, or
    /// it lost the CPU and has it back), its CPU time now being
    /// `domain_cpu_ns`: `saved` holds the thread's registers. The thread is
    /// charged the CPU time it had since it was resumed, so it keeps its
    /// place unless that used up its quantum.
    pub fn interrupt_current(&mut self, saved: &Context, domain_cpu_ns: u64) {
        let Some((thread, picked_ns)) = self.current.take() else { return };
        self.contexts[thread.0] = *saved;
        let ran = match self.picked {
            Some((counted, since)) if counted == thread => domain_cpu_ns.saturating_sub(since),
            _ => 0,
        };
        let _ = self.scheduler.interrupted(thread, picked_ns.saturating_add(ran));
    }

    /// The running thread lets others run first.
    pub fn yield_current(&mut self, now: u64) {
        if let Some((thread, _)) = self.current.take() {
            let _ = self.scheduler.ready(thread, now);
        }
    }

    /// The running thread sleeps until `until`.
    pub fn sleep_current(&mut self, until: u64, now: u64) {
        if let Some((thread, _)) = self.current.take() {
            let _ = self.scheduler.block(thread, now);
            self.sleep_until[thread.0] = Some(until);
        }
    }

    /// The running thread waits for `awaited` (see
    /// [`Threads::wake_on_events`]).
    pub fn await_current(&mut self, awaited: Awaited, now: u64) {
        if let Some((thread, _)) = self.current.take() {
            let _ = self.scheduler.block(thread, now);
            self.awaiting[thread.0] = Some(awaited);
        }
    }

    /// The running thread waits for `awaited`, or until `until` at the
    /// latest, whichever comes first.
    pub fn await_current_until(&mut self, awaited: Awaited, until: u64, now: u64) {
        if let Some((thread, _)) = self.current.take() {
            let _ = self.scheduler.block(thread, now);
            self.awaiting[thread.0] = Some(awaited);
            self.sleep_until[thread.0] = Some(until);
        }
    }

    /// Readies the threads whose awaited event has come: a count that
    /// `events` has reached (counts wrap, so "reached" means at most half
    /// the range behind), or any event since, by the total `total`.
    pub fn wake_on_events(&mut self, events: &[u64], total: u64, now: u64) {
        for (index, awaited) in self.awaiting.iter_mut().enumerate() {
            let Some(wanted) = *awaited else { continue };
            let came = match wanted {
                Awaited::Count { slot, value } => {
                    let count = events.get(slot).copied().unwrap_or(0);
                    count.wrapping_sub(value) as i64 >= 0
                }
                Awaited::AnyAfter { seen } => total != seen,
            };
            if came {
                *awaited = None;
                self.sleep_until[index] = None;
                let _ = self.scheduler.ready(ThreadId(index), now);
            }
        }
    }

    /// The running thread finished its job; it runs again at its next
    /// release.
    pub fn complete_current(&mut self, now: u64) -> Result<Completion, SchedError> {
        let (thread, _) = self.current.take().ok_or(SchedError::NotRunning)?;
        let completion = self.scheduler.complete(thread, now)?;
        if self.trace.is_on() {
            let record = completion.record;
            self.trace.record(now, Kind::JobDone, thread, record.job.index);
            if record.missed {
                self.traced[thread.0].1 += 1;
                let deadline = record.job.deadline_ns.unwrap_or(now);
                self.trace.record(deadline, Kind::DeadlineMiss, thread, record.job.index);
            }
            if let Some(next) = completion.next {
                self.trace.record(next.release_ns, Kind::JobRelease, thread, next.index);
            }
        }
        Ok(completion)
    }

    /// Records the misses of `thread` the scheduler counted as its job
    /// `job` was released (earlier jobs dropped unfinished past their
    /// deadlines), at that release.
    fn trace_misses(&mut self, thread: ThreadId, job: &vesper_schedulers::Job) {
        let Ok(stats) = self.scheduler.stats(thread) else { return };
        let seen = &mut self.traced[thread.0].1;
        let mut missed = job.index;
        while *seen < stats.misses {
            *seen += 1;
            missed = missed.saturating_sub(1);
            self.trace.record(job.release_ns, Kind::DeadlineMiss, thread, missed);
        }
    }

    /// The running thread has ended; its slot is free again.
    pub fn exit_current(&mut self, now: u64) {
        if let Some((thread, _)) = self.current.take() {
            let _ = self.scheduler.remove(thread, now);
            self.alive[thread.0] = false;
            self.sleep_until[thread.0] = None;
            self.awaiting[thread.0] = None;
        }
    }

    /// Whether any thread is alive.
    pub fn any_alive(&self) -> bool {
        self.alive.iter().any(|&a| a)
    }

    /// The domain's CPU time is `domain_cpu_ns` as it resumes `thread`:
    /// the thread picked before it is charged what the domain ran since
    /// that one was picked (its run and the scheduling after it).
    pub fn resume_counting(&mut self, thread: ThreadId, domain_cpu_ns: u64) {
        self.stop_counting(domain_cpu_ns);
        self.picked = Some((thread, domain_cpu_ns));
    }

    /// Charges the thread picked last what the domain ran since, up to
    /// `domain_cpu_ns`.
    pub fn stop_counting(&mut self, domain_cpu_ns: u64) {
        if let Some((last, since)) = self.picked.take() {
            let ran = domain_cpu_ns.saturating_sub(since);
            self.cpu[last.0] = self.cpu[last.0].saturating_add(ran);
        }
    }

    /// The CPU time the running thread has had, the domain's CPU time
    /// being `domain_cpu_ns`: a thread's own clock, which stands still
    /// while the domain does not hold the CPU, whether or not it was told.
    pub fn current_cpu_ns(&self, domain_cpu_ns: u64) -> Option<u64> {
        let (thread, _) = self.current?;
        let (picked, since) = self.picked.filter(|(t, _)| *t == thread)?;
        Some(self.cpu[picked.0].saturating_add(domain_cpu_ns.saturating_sub(since)))
    }

    /// The statistics of `thread`.
    pub fn stats(&self, thread: ThreadId) -> Result<ThreadStats, SchedError> {
        self.scheduler.stats(thread)
    }

    /// The earliest sleeper wake-up.
    fn next_wake(&self) -> Option<u64> {
        self.sleep_until.iter().flatten().copied().min()
    }

    /// Wakes the sleepers whose time has come, releases due jobs, and asks
    /// the scheduler who runs.
    pub fn next(&mut self, now: u64) -> Next {
        for (index, until) in self.sleep_until.iter_mut().enumerate() {
            if until.is_some_and(|t| t <= now) {
                *until = None;
                self.awaiting[index] = None;
                let _ = self.scheduler.ready(ThreadId(index), now);
            }
        }
        let released = self.scheduler.release_due(now);
        if self.trace.is_on() {
            self.trace_releases(released);
        }
        let wake = [self.scheduler.next_release(), self.next_wake()].into_iter().flatten().min();
        match self.scheduler.pick(now) {
            Some(pick) => {
                self.current = Some((pick.thread, now));
                if self.trace.is_on() {
                    self.trace_run(pick.thread, now);
                }
                let quantum_ns = pick.preempt_at.map(|end| end.saturating_sub(now));
                Next::Run { thread: pick.thread, quantum_ns, wake }
            }
            None => match wake {
                Some(until) => Next::Wait { until },
                // Alive but waiting for events (or blocked for good): wait
                // until an event arrives.
                None if self.any_alive() => Next::Wait { until: u64::MAX },
                None => Next::Done,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vesper_schedulers::{AnyScheduler, PolicyConfig};

    fn threads(policy: &str) -> Threads<AnyScheduler> {
        Threads::new(AnyScheduler::from_name(policy, PolicyConfig::DEFAULT).unwrap())
    }

    fn at(pc: u64) -> impl FnOnce(ThreadId) -> Context {
        move |_| Context { pc, ..Context::ZERO }
    }

    #[test]
    fn fifo_threads_run_in_turn_and_yield() {
        let mut t = threads("fifo");
        let a = t.spawn(ThreadParams::DEFAULT, at(1), 0).unwrap();
        let b = t.spawn(ThreadParams::DEFAULT, at(2), 0).unwrap();
        assert_eq!(t.next(0), Next::Run { thread: a, quantum_ns: None, wake: None });
        t.yield_current(1);
        assert_eq!(t.next(1), Next::Run { thread: b, quantum_ns: None, wake: None });
        assert_eq!(t.context_mut(b).pc, 2);
        t.yield_current(2);
        assert_eq!(t.next(2), Next::Run { thread: a, quantum_ns: None, wake: None });
    }

    #[test]
    fn sleepers_wake_at_their_time() {
        let mut t = threads("fifo");
        let a = t.spawn(ThreadParams::DEFAULT, at(1), 0).unwrap();
        assert!(matches!(t.next(0), Next::Run { .. }));
        t.sleep_current(500, 10);
        assert_eq!(t.next(10), Next::Wait { until: 500 });
        assert_eq!(t.next(499), Next::Wait { until: 500 });
        assert_eq!(t.next(500), Next::Run { thread: a, quantum_ns: None, wake: None });
    }

    #[test]
    fn an_interrupted_thread_keeps_its_registers_and_turn() {
        let mut t = threads("fifo");
        let a = t.spawn(ThreadParams::DEFAULT, at(1), 0).unwrap();
        let _b = t.spawn(ThreadParams::DEFAULT, at(2), 0).unwrap();
        t.next(0);
        let saved = Context { pc: 77, ..Context::ZERO };
        t.interrupt_current(&saved, 5);
        assert_eq!(t.next(9), Next::Run { thread: a, quantum_ns: None, wake: None });
        assert_eq!(t.context_mut(a).pc, 77);
    }

    #[test]
    fn periodic_threads_wait_for_their_release() {
        let mut t = threads("edf");
        let a = t.spawn(ThreadParams::periodic(100, 10), at(1), 0).unwrap();
        // Its next job waits for this one to complete: no alarm needed yet.
        assert_eq!(t.next(0), Next::Run { thread: a, quantum_ns: None, wake: None });
        let done = t.complete_current(10).unwrap();
        assert!(!done.record.missed);
        assert_eq!(t.next(10), Next::Wait { until: 100 });
        assert!(matches!(t.next(100), Next::Run { thread, .. } if thread == a));
    }

    #[test]
    fn round_robin_asks_to_come_back_at_the_quantum() {
        let mut t = threads("round-robin");
        let a = t.spawn(ThreadParams::DEFAULT, at(1), 0).unwrap();
        let b = t.spawn(ThreadParams::DEFAULT, at(2), 0).unwrap();
        let quantum = PolicyConfig::DEFAULT.quantum_ns;
        assert_eq!(t.next(0), Next::Run { thread: a, quantum_ns: Some(quantum), wake: None });
        t.resume_counting(a, 0);
        t.interrupt_current(&Context::ZERO, quantum);
        assert!(matches!(t.next(quantum), Next::Run { thread, .. } if thread == b));
    }

    /// The quantum is the thread's own CPU time: scheduling work before
    /// its resumption, and time the domain spent off the CPU, are no
    /// part of it.
    #[test]
    fn round_robin_quanta_count_the_threads_cpu_time() {
        let mut t = threads("round-robin");
        let a = t.spawn(ThreadParams::DEFAULT, at(1), 0).unwrap();
        let b = t.spawn(ThreadParams::DEFAULT, at(2), 0).unwrap();
        let quantum = PolicyConfig::DEFAULT.quantum_ns;
        assert!(matches!(t.next(0), Next::Run { thread, .. } if thread == a));
        // Resumed when the domain had run 7 ns; preempted by Atropos and
        // back with a quantum's worth of wall time gone, but only half a
        // quantum of CPU time had.
        t.resume_counting(a, 7);
        t.interrupt_current(&Context::ZERO, 7 + quantum / 2);
        let next = t.next(quantum + 1_000);
        assert_eq!(next, Next::Run { thread: a, quantum_ns: Some(quantum / 2), wake: None });
        t.resume_counting(a, 7 + quantum / 2 + 3);
        t.interrupt_current(&Context::ZERO, 7 + quantum + 3);
        assert!(matches!(t.next(2 * quantum), Next::Run { thread, .. } if thread == b));
    }

    #[test]
    fn exited_threads_free_their_slot_and_the_last_ends_the_domain() {
        let mut t = threads("fifo");
        for pc in 0..MAX_THREADS as u64 {
            t.spawn(ThreadParams::DEFAULT, at(pc), 0).unwrap();
        }
        assert_eq!(t.spawn(ThreadParams::DEFAULT, at(99), 0), Err(SchedError::Full));
        for _ in 0..MAX_THREADS {
            assert!(matches!(t.next(0), Next::Run { .. }));
            t.exit_current(0);
        }
        assert!(!t.any_alive());
        assert_eq!(t.next(0), Next::Done);
    }

    #[test]
    fn threads_await_event_counts() {
        let mut t = threads("fifo");
        let a = t.spawn(ThreadParams::DEFAULT, |_| Context::ZERO, 0).unwrap();
        let b = t.spawn(ThreadParams::DEFAULT, |_| Context::ZERO, 0).unwrap();
        assert_eq!(t.next(0), Next::Run { thread: a, quantum_ns: None, wake: None });
        t.await_current(Awaited::Count { slot: 3, value: 2 }, 1);
        assert_eq!(t.next(1), Next::Run { thread: b, quantum_ns: None, wake: None });
        t.await_current(Awaited::Count { slot: 0, value: 1 }, 2);
        assert_eq!(t.next(2), Next::Wait { until: u64::MAX }, "both wait for events");
        let mut events = [0u64; 4];
        events[3] = 1;
        t.wake_on_events(&events, 1, 3);
        assert_eq!(t.next(3), Next::Wait { until: u64::MAX }, "one event short");
        events[3] = 2;
        t.wake_on_events(&events, 2, 4);
        assert_eq!(t.next(4), Next::Run { thread: a, quantum_ns: None, wake: None });
        t.wake_on_events(&[1000, 0, 0, 0], 1002, 5);
        t.yield_current(5);
        assert_eq!(
            t.next(5),
            Next::Run { thread: b, quantum_ns: None, wake: None },
            "a count far ahead counts"
        );
    }

    #[test]
    fn a_thread_can_await_any_event() {
        let mut t = threads("fifo");
        let a = t.spawn(ThreadParams::DEFAULT, |_| Context::ZERO, 0).unwrap();
        assert_eq!(t.next(0), Next::Run { thread: a, quantum_ns: None, wake: None });
        t.await_current(Awaited::AnyAfter { seen: 7 }, 1);
        t.wake_on_events(&[0; 4], 7, 2);
        assert_eq!(t.next(2), Next::Wait { until: u64::MAX }, "nothing new");
        t.wake_on_events(&[0; 4], 8, 3);
        assert_eq!(t.next(3), Next::Run { thread: a, quantum_ns: None, wake: None });
    }

    #[test]
    fn a_wait_with_a_deadline_ends_at_the_event_or_the_deadline() {
        let mut t = threads("fifo");
        let a = t.spawn(ThreadParams::DEFAULT, |_| Context::ZERO, 0).unwrap();
        assert_eq!(t.next(0), Next::Run { thread: a, quantum_ns: None, wake: None });
        t.await_current_until(Awaited::AnyAfter { seen: 1 }, 100, 1);
        assert_eq!(t.next(2), Next::Wait { until: 100 });
        t.wake_on_events(&[0; 4], 2, 50);
        assert_eq!(
            t.next(50),
            Next::Run { thread: a, quantum_ns: None, wake: None },
            "the event came first"
        );
        t.await_current_until(Awaited::AnyAfter { seen: 2 }, 200, 60);
        assert_eq!(
            t.next(200),
            Next::Run { thread: a, quantum_ns: None, wake: None },
            "the deadline came first"
        );
        // Neither leaves the other behind to wake the thread again later.
        t.await_current(Awaited::AnyAfter { seen: 2 }, 201);
        assert_eq!(t.next(300), Next::Wait { until: u64::MAX });
    }
}
