//! The domain's own scheduling trace: what its user-level scheduler
//! decides, recorded when the image traces (`[image] trace`, which the DCB
//! says in `trace_on`) into a ring in the domain's memory that the kernel
//! writes out at the end of the run (see `vesper_abi::trace`). Pure, so
//! that the thread table ([`crate::threads`]) records into it on the host
//! too.
//!
//! Records: a thread getting the CPU ([`Kind::ThreadRun`]), a job's
//! release, first run and completion, and a deadline missed.

use vesper_abi::trace::{DomainRing, Kind, Record};
use vesper_schedulers::ThreadId;

/// The ring's length, in records (64 KiB).
pub const CAPACITY: usize = 4096;

/// A ring of trace records.
pub struct ThreadTrace {
    records: [Record; CAPACITY],
    /// Records written, free-running.
    written: u64,
    /// The domain's number, for the records; `None` while not tracing.
    domain: Option<u8>,
}

impl ThreadTrace {
    /// A ring that records nothing until [`ThreadTrace::start`].
    pub const fn new() -> Self {
        Self {
            records: [Record { time_ns: 0, kind: 0, domain: 0, a: 0, b: 0 }; CAPACITY],
            written: 0,
            domain: None,
        }
    }

    /// Starts recording, for domain `domain`.
    pub fn start(&mut self, domain: u64) {
        self.domain = Some(domain.min(254) as u8);
    }

    /// Whether it records.
    pub fn is_on(&self) -> bool {
        self.domain.is_some()
    }

    /// Records `kind` about `thread` (and its job `job`) at `time_ns`.
    pub fn record(&mut self, time_ns: u64, kind: Kind, thread: ThreadId, job: u64) {
        let Some(domain) = self.domain else { return };
        let record =
            Record { time_ns, kind: kind as u8, domain, a: thread.0 as u16, b: job as u32 };
        self.records[(self.written % CAPACITY as u64) as usize] = record;
        self.written += 1;
    }

    /// The ring as the DCB names it for the kernel.
    pub fn ring(&self) -> DomainRing {
        DomainRing {
            buffer: self.records.as_ptr() as u64,
            capacity: CAPACITY as u64,
            written: self.written,
        }
    }

    /// The records written, oldest first (those the ring still holds).
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        let kept = self.written.min(CAPACITY as u64);
        (self.written - kept..self.written).map(|i| &self.records[(i % CAPACITY as u64) as usize])
    }
}

impl Default for ThreadTrace {
    fn default() -> Self {
        Self::new()
    }
}
