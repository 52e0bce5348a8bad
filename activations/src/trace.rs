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

/// The ring's length the runtime gives a domain, in records (64 KiB).
pub const CAPACITY: usize = 4096;

/// A ring of trace records, in memory given to it when recording starts
/// (so that a domain that does not trace carries only this small
/// header in its thread table).
pub struct ThreadTrace {
    /// The ring, while recording.
    records: Option<&'static mut [Record]>,
    /// Records written, free-running.
    written: u64,
    /// The domain's number, for the records.
    domain: u8,
}

impl ThreadTrace {
    /// A ring that records nothing until [`ThreadTrace::start`].
    pub const fn new() -> Self {
        Self { records: None, written: 0, domain: 0 }
    }

    /// Starts recording for domain `domain` into `records`.
    pub fn start(&mut self, domain: u64, records: &'static mut [Record]) {
        self.domain = domain.min(254) as u8;
        self.written = 0;
        self.records = (!records.is_empty()).then_some(records);
    }

    /// Whether it records.
    pub fn is_on(&self) -> bool {
        self.records.is_some()
    }

    /// Records `kind` about `thread` (and its job `job`) at `time_ns`.
    pub fn record(&mut self, time_ns: u64, kind: Kind, thread: ThreadId, job: u64) {
        let Some(records) = self.records.as_deref_mut() else { return };
        let domain = self.domain;
        let record =
            Record { time_ns, kind: kind as u8, domain, a: thread.0 as u16, b: job as u32 };
        records[(self.written % records.len() as u64) as usize] = record;
        self.written += 1;
    }

    /// The ring as the DCB names it for the kernel (all zero while not
    /// recording).
    pub fn ring(&self) -> DomainRing {
        match self.records.as_deref() {
            Some(records) => DomainRing {
                buffer: records.as_ptr() as u64,
                capacity: records.len() as u64,
                written: self.written,
            },
            None => DomainRing::default(),
        }
    }

    /// The records written, oldest first (those the ring still holds).
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        let records = self.records.as_deref().unwrap_or(&[]);
        let len = records.len().max(1) as u64;
        let kept = self.written.min(records.len() as u64);
        (self.written - kept..self.written).map(move |i| &records[(i % len) as usize])
    }
}

impl Default for ThreadTrace {
    fn default() -> Self {
        Self::new()
    }
}
