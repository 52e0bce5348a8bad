//! Policies: the part of a scheduler that orders the runnable threads.
//!
//! [`Sched`](crate::Sched) keeps the thread table and does all the
//! bookkeeping (states, jobs, deadlines, misses, quanta, CPU time), and
//! tells its [`Policy`] only what a queue needs to know: a thread became
//! runnable ([`Policy::enqueue`]), stopped being runnable
//! ([`Policy::dequeue`]), finished a run ([`Policy::charge`]); and asks it
//! for the next thread ([`Policy::pick`]) and for its quantum
//! ([`Policy::quantum_ns`]). Writing a policy is implementing this trait;
//! `docs/schedulers.md` walks through an example.

mod any;
mod edf;
mod fifo;
mod lottery;
mod ready;
mod round_robin;
mod stride;

pub use any::{AnyPolicy, PolicyConfig, PolicyKind};
pub use edf::Edf;
pub use fifo::Fifo;
pub use lottery::Lottery;
pub use round_robin::RoundRobin;
pub use stride::Stride;

use crate::{SchedError, ThreadId, ThreadParams};

/// Why a thread is queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// It was not runnable and now is: admitted and readied, woken, or its
    /// next job was released while it awaited one.
    Woken,
    /// It was running when the domain lost the CPU: it keeps its place
    /// (and the rest of its quantum).
    Interrupted,
    /// Its quantum ran out.
    QuantumExpired,
    /// It gave up the CPU but stays runnable: it yielded, or completed a job
    /// while its next one was due already.
    Yielded,
}

/// What [`Policy::enqueue`] is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Enqueue {
    /// Why the thread is queued.
    pub why: Why,
    /// The absolute deadline of its current job, if it has one.
    pub deadline: Option<u64>,
}

/// How a run of a thread ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// The domain lost the CPU (or the runtime came back for a release);
    /// the thread will be queued with [`Why::Interrupted`].
    Interrupted,
    /// Its quantum is used up; it will be queued with
    /// [`Why::QuantumExpired`].
    QuantumExpired,
    /// It stays runnable; it will be queued with [`Why::Yielded`].
    Yielded,
    /// It stops being runnable (blocked, awaits its next job, or is
    /// removed): it will not be queued.
    Blocked,
}

/// A finished run of a thread, as [`Policy::charge`] is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// How long it ran this time.
    pub used_ns: u64,
    /// How much of its quantum it has used, this run included.
    pub quantum_used_ns: u64,
    /// Its quantum, if the policy gives it one.
    pub quantum_ns: Option<u64>,
    /// How the run ended.
    pub end: RunEnd,
}

/// The ordering half of a scheduler: implement this to add a policy, and
/// [`Sched`](crate::Sched)`<YourPolicy>` is a complete
/// [`Scheduler`](crate::Scheduler).
///
/// The contract [`Sched`](crate::Sched) keeps: ids are below
/// [`MAX_THREADS`](crate::MAX_THREADS) and admitted; a thread is enqueued
/// only when it is neither queued nor running; a thread is dequeued only
/// while queued; [`Policy::pick`] must return (and take out) a queued
/// thread; every run of a thread is charged exactly once, before it is
/// queued again.
pub trait Policy {
    /// The policy's name, as manifests write it (`"edf"`).
    fn name(&self) -> &'static str;

    /// A thread is admitted with `params`, before any other call about it.
    /// A policy may refuse it.
    fn admit(&mut self, id: ThreadId, params: &ThreadParams) -> Result<(), SchedError> {
        let _ = (id, params);
        Ok(())
    }

    /// A thread is gone; it is neither queued nor running.
    fn remove(&mut self, id: ThreadId) {
        let _ = id;
    }

    /// `id` is runnable: queue it.
    fn enqueue(&mut self, id: ThreadId, entry: Enqueue) -> Result<(), SchedError>;

    /// A queued thread stopped being runnable: take it out.
    fn dequeue(&mut self, id: ThreadId);

    /// Takes the thread to run next out of the queue.
    fn pick(&mut self) -> Option<ThreadId>;

    /// The quantum of `id`: how long it may run before the runtime comes
    /// back, or `None` (run until it blocks, or a release is due).
    fn quantum_ns(&self, id: ThreadId) -> Option<u64> {
        let _ = id;
        None
    }

    /// A run of `id` ended.
    fn charge(&mut self, id: ThreadId, run: &Run) {
        let _ = (id, run);
    }

    /// The deadline of a queued thread changed (a job was released).
    fn deadline_changed(&mut self, id: ThreadId, deadline: Option<u64>) -> Result<(), SchedError> {
        let _ = (id, deadline);
        Ok(())
    }

    /// The tickets of `id` changed (a transfer): it now holds `tickets`.
    fn tickets_changed(&mut self, id: ThreadId, tickets: u32) {
        let _ = (id, tickets);
    }
}
