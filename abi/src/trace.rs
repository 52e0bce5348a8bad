//! Scheduling traces: what the kernel and the domains' user-level
//! schedulers record about their decisions, and the file that carries the
//! records to the host.
//!
//! A [`Record`] is 16 bytes: a virtual timestamp, a [`Kind`], the domain it
//! is about and two arguments whose meaning each kind states. In an image
//! that uses several cores the kernel's records come from all of them, in
//! the order the cores took the kernel's state, and a [`Kind::Core`]
//! record marks each change of the core that makes them. The kernel
//! keeps its records in a ring whose size the manifest sets
//! (`[image] trace = "256KiB"`; without it the kernel has no ring and no
//! trace code at all); a domain's activations library keeps the records of
//! its threads in a ring of its own memory, which it names in its writable
//! DCB half ([`crate::dcb::DcbWritable::trace`]) when the DCB's read-only
//! half says the image traces ([`crate::dcb::DcbReadOnly::trace_on`]).
//!
//! At the end of the run (and whenever its ring fills, so that nothing is
//! overwritten under QEMU) the kernel writes the records out: under QEMU
//! through semihosting into the file [`FILE_NAME`] in QEMU's working
//! directory, which costs no virtual time; on a physical board as
//! [`LINE_PREFIX`] lines on its console at the end of the run. Both carry
//! the same bytes: [`Section`]s, each a header and its records, the
//! kernel's first, then one per domain that traced.

/// The file a QEMU run's trace goes to (in QEMU's working directory).
pub const FILE_NAME: &str = "vesper.trace";

/// A console line carrying trace bytes (hex) on a physical board.
pub const LINE_PREFIX: &str = "vtrace ";

/// The first bytes of a [`Section`] header.
pub const MAGIC: [u8; 4] = *b"VTRC";

/// [`SectionHeader::source`] of the kernel's records.
pub const KERNEL: u16 = 0xffff;

/// One record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Record {
    /// When, in nanoseconds since boot (virtual time under `-icount`).
    pub time_ns: u64,
    /// A [`Kind`], as a number.
    pub kind: u8,
    /// The domain it is about (its manifest number); [`NO_DOMAIN`] for none.
    pub domain: u8,
    /// The first argument (see each [`Kind`]).
    pub a: u16,
    /// The second argument (see each [`Kind`]).
    pub b: u32,
}

/// [`Record::domain`] of a record about no domain (the kernel idling).
pub const NO_DOMAIN: u8 = 0xff;

/// [`Record::a`] of a [`Kind::Dispatch`] that resumed a saved context (no
/// upcall).
pub const RESUMED: u16 = 0xffff;

/// [`Record::a`] of a [`Kind::Wake`] that no domain's event caused (an
/// interrupt, or a timeout).
pub const NO_WAKER: u16 = 0xffff;

/// The size of a record, in bytes.
pub const RECORD_SIZE: usize = core::mem::size_of::<Record>();

const _: () = assert!(RECORD_SIZE == 16);

/// What a record says. Kernel kinds first, then the threads' (from 64).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// The domain got the CPU: `a` the activation reason
    /// (`dcb::ActivationReason`) or [`RESUMED`]; `b` 0 on its guarantee,
    /// 1 in slack time.
    Dispatch = 1,
    /// The domain lost the CPU to another (the one dispatched next) or to
    /// the idle kernel: `b` 1 if it had no guaranteed time left (its slice
    /// used up, or a slack quantum over), 0 if another domain's deadline
    /// came first.
    Preempt = 2,
    /// The domain blocked (`block_until`): `b` 1 with a timeout.
    Block = 3,
    /// The blocked domain woke: `a` the domain whose event woke it, or
    /// [`NO_WAKER`].
    Wake = 4,
    /// The domain gave up the rest of its slice (`yield`).
    Yield = 5,
    /// The domain's period moved on (a rollover, or a fresh start after a
    /// long block): its slice is renewed, `time_ns` is the new deadline
    /// less the period.
    PeriodStart = 6,
    /// The domain sent an event: `a` the receiving domain, `b` its slot.
    EventSent = 7,
    /// An interrupt was delivered to the domain: `a` the image's
    /// interrupt number (`IRQS` order), `b` the event slot.
    IrqDelivered = 8,
    /// The domain acknowledged interrupt `a`.
    IrqAck = 9,
    /// The domain faulted and was stopped.
    Fault = 10,
    /// The domain ended: `b` 0 for an exit, 1 stopped by another domain.
    Stop = 11,
    /// The domain was restarted (`domain_restart`).
    Restart = 12,
    /// Nothing could run on the recording core: its kernel waited.
    Idle = 13,
    /// The run ended: one record per core the image uses. The domain it
    /// names (if any) held that core's CPU, and the kernel's accounting
    /// (its `stats` line) counts its time up to `time_ns`, that core's
    /// last scheduling decision.
    RunEnd = 14,
    /// The group's scheduler domain donated the CPU (`domain_donate`) to
    /// member `a` for `b` ns at most (`u32::MAX`: that or more).
    Donate = 15,
    /// The member's donated time ended: `a` why (the scheduler's
    /// activation reason, `MemberYielded`..`MemberWoken`), `b` how long
    /// it ran, in ns (`u32::MAX`: that or more).
    DonationEnd = 16,
    /// The kernel records that follow, up to the next `Core`, were made by
    /// core `a`. Before the first, core 0 made them: an image that uses
    /// one core never records this kind, and its trace is what it was
    /// before there were several.
    Core = 17,
    /// A thread of the domain got its CPU: `a` the thread.
    ThreadRun = 64,
    /// A job was released at `time_ns` (its nominal release): `a` the
    /// thread, `b` the job.
    JobRelease = 65,
    /// A job first ran at `time_ns`: `a` the thread, `b` the job.
    JobStart = 66,
    /// A job completed at `time_ns`: `a` the thread, `b` the job.
    JobDone = 67,
    /// A job missed its deadline, `time_ns`: `a` the thread, `b` the job
    /// (recorded when the scheduler finds out: at its completion, or when
    /// a later job of the thread is released).
    DeadlineMiss = 68,
    /// Thread `a` runs the manifest's thread number `b` (its place in the
    /// domain's `threads`): how the host names the threads.
    ThreadSpec = 69,
}

impl Kind {
    /// Every kind, in number order.
    pub const ALL: [Kind; 23] = [
        Kind::Dispatch,
        Kind::Preempt,
        Kind::Block,
        Kind::Wake,
        Kind::Yield,
        Kind::PeriodStart,
        Kind::EventSent,
        Kind::IrqDelivered,
        Kind::IrqAck,
        Kind::Fault,
        Kind::Stop,
        Kind::Restart,
        Kind::Idle,
        Kind::RunEnd,
        Kind::Donate,
        Kind::DonationEnd,
        Kind::Core,
        Kind::ThreadRun,
        Kind::JobRelease,
        Kind::JobStart,
        Kind::JobDone,
        Kind::DeadlineMiss,
        Kind::ThreadSpec,
    ];

    /// The kind numbered `number`, if any.
    pub fn from_number(number: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| *kind as u8 == number)
    }
}

/// What comes before a section's records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct SectionHeader {
    /// [`MAGIC`].
    pub magic: [u8; 4],
    /// Whose records: [`KERNEL`], or a domain's number.
    pub source: u16,
    /// Unused, 0.
    pub reserved: u16,
    /// Records the source wrote before these that are not in the trace
    /// (its ring wrapped before the kernel could write it out).
    pub lost: u64,
    /// How many records follow.
    pub count: u64,
}

/// The size of a section header, in bytes.
pub const HEADER_SIZE: usize = core::mem::size_of::<SectionHeader>();

const _: () = assert!(HEADER_SIZE == 24);

impl Record {
    /// The record as the bytes the trace carries (little-endian, as the
    /// board stores it).
    pub fn to_bytes(&self) -> [u8; RECORD_SIZE] {
        let mut out = [0; RECORD_SIZE];
        out[..8].copy_from_slice(&self.time_ns.to_le_bytes());
        out[8] = self.kind;
        out[9] = self.domain;
        out[10..12].copy_from_slice(&self.a.to_le_bytes());
        out[12..].copy_from_slice(&self.b.to_le_bytes());
        out
    }

    /// The record these bytes carry.
    pub fn from_bytes(bytes: &[u8; RECORD_SIZE]) -> Self {
        let word = |range: core::ops::Range<usize>| {
            let mut buf = [0; 8];
            buf[..range.len()].copy_from_slice(&bytes[range]);
            u64::from_le_bytes(buf)
        };
        Self {
            time_ns: word(0..8),
            kind: bytes[8],
            domain: bytes[9],
            a: word(10..12) as u16,
            b: word(12..16) as u32,
        }
    }
}

impl SectionHeader {
    /// The header as the bytes the trace carries.
    pub fn to_bytes(&self) -> [u8; HEADER_SIZE] {
        let mut out = [0; HEADER_SIZE];
        out[..4].copy_from_slice(&self.magic);
        out[4..6].copy_from_slice(&self.source.to_le_bytes());
        out[6..8].copy_from_slice(&self.reserved.to_le_bytes());
        out[8..16].copy_from_slice(&self.lost.to_le_bytes());
        out[16..].copy_from_slice(&self.count.to_le_bytes());
        out
    }

    /// The header these bytes carry, if they start with [`MAGIC`].
    pub fn from_bytes(bytes: &[u8; HEADER_SIZE]) -> Option<Self> {
        if bytes[..4] != MAGIC {
            return None;
        }
        let word = |at: usize| {
            let mut buf = [0; 8];
            buf.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(buf)
        };
        Some(Self {
            magic: MAGIC,
            source: u16::from_le_bytes([bytes[4], bytes[5]]),
            reserved: u16::from_le_bytes([bytes[6], bytes[7]]),
            lost: word(8),
            count: word(16),
        })
    }
}

/// A domain's trace ring, as it names it in its writable DCB half: the
/// kernel reads `capacity` records at `buffer` (checked against the
/// domain's own memory) and the last `written` of them (at most
/// `capacity`, the ring's index being `written % capacity`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct DomainRing {
    /// The ring's address (0: none).
    pub buffer: u64,
    /// Its length, in records.
    pub capacity: u64,
    /// Records written so far, free-running.
    pub written: u64,
}

/// The most records the kernel takes from a domain's ring.
pub const MAX_DOMAIN_RECORDS: u64 = 1 << 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_headers_round_trip() {
        let record = Record { time_ns: 0x0102_0304_0506_0708, kind: 7, domain: 3, a: 9, b: 77 };
        assert_eq!(Record::from_bytes(&record.to_bytes()), record);
        let header = SectionHeader { magic: MAGIC, source: KERNEL, reserved: 0, lost: 5, count: 9 };
        assert_eq!(SectionHeader::from_bytes(&header.to_bytes()), Some(header));
        assert_eq!(SectionHeader::from_bytes(&[0; HEADER_SIZE]), None);
    }

    #[test]
    fn kinds_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_number(kind as u8), Some(kind));
        }
        assert_eq!(Kind::from_number(0), None);
    }
}
