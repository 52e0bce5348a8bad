//! User-level thread schedulers for Vesper domains.
//!
//! Inside its CPU share a domain decides which of its threads runs. This
//! crate holds the policies it can choose from, behind one trait,
//! [`Scheduler`]:
//!
//! | Policy | Manifest name | Picks | Guarantee |
//! |---|---|---|---|
//! | [`Fifo`] | `fifo` | the thread that became runnable first; runs until it blocks | none beyond order |
//! | [`Edf`] | `edf` | the earliest absolute deadline (binary heap, O(log n)) | no misses at utilisation <= 1 (implicit deadlines) |
//! | [`RoundRobin`] | `round-robin` | in turn, each for a quantum | every runnable thread within one round |
//! | [`Lottery`] | `lottery` | by a seeded draw weighted by tickets | shares right in expectation, error ~ 1/sqrt(draws) |
//! | [`Stride`] | `stride` | the smallest pass, advanced by `stride = L / tickets` | deterministic: no thread falls a quantum behind |
//!
//! A scheduler is a [`Sched`]`<P>`: a fixed table of up to [`MAX_THREADS`]
//! threads that does the bookkeeping every policy shares (thread states,
//! jobs, deadlines, misses, response times, quanta), driving a [`Policy`]
//! that only orders the runnable threads. [`AnyScheduler`] holds any of the
//! policies, chosen by name at run time ([`PolicyKind::from_name`]).
//!
//! Everything is `no_std` with fixed capacity: no heap, no panics on any
//! input (bad ids, full queues and wrong states are [`SchedError`]s), no
//! floating point, all time arithmetic saturating. All times are `u64`
//! nanoseconds on one clock (ns since boot in a domain).
//!
//! See `docs/schedulers.md` for the policies, their guarantees and a
//! walk-through of writing a new one.
//!
//! ```
//! use vesper_schedulers::{AnyScheduler, PolicyConfig, Scheduler, ThreadId, ThreadParams};
//!
//! let mut s = AnyScheduler::from_name("edf", PolicyConfig::DEFAULT).unwrap();
//! let t1 = ThreadId(0);
//! s.admit(t1, ThreadParams::periodic(20_000_000, 4_000_000), 0).unwrap();
//! // On every activation: release the jobs that are due, then pick.
//! let woken = s.release_due(0);
//! assert!(woken.contains(t1));
//! let pick = s.pick(0).unwrap();
//! assert_eq!(pick.thread, t1);
//! // The thread runs its job and reports it done.
//! let done = s.complete(t1, 4_000_000).unwrap();
//! assert!(!done.record.missed);
//! assert_eq!(s.next_release(), Some(20_000_000));
//! ```

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

pub mod group;
pub mod policy;
mod queue;
mod rng;
mod sched;
mod types;

pub use policy::{
    AnyPolicy, Edf, Enqueue, Fifo, Lottery, Policy, PolicyConfig, PolicyKind, RoundRobin, Run,
    RunEnd, Stride, Why,
};
pub use rng::Pcg32;
pub use sched::{AnyScheduler, Sched, Scheduler};
pub use types::report_horizon_ns;
pub use types::{
    Completion, Job, JobLine, JobRecord, Pick, SchedError, ThreadId, ThreadParams, ThreadSet,
    ThreadState, ThreadStats, DEFAULT_QUANTUM_NS, DEFAULT_TICKETS, MAX_THREADS,
};
