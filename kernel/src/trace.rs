//! The kernel's scheduling trace (records and file format:
//! `vesper_abi::trace`).
//!
//! The ring holds `TRACE_RECORDS` records (`[image] trace`), a static in
//! the kernel's bss: nothing is allocated. With the default of 0 there is
//! no ring, [`ON`] is `false`, and every [`record`] call compiles to
//! nothing, so an image without tracing runs the same instructions as a
//! kernel that never had it (`cargo xtask bench` shows the same figures).
//!
//! Records go out without costing the run any virtual time: under QEMU
//! (the `semihosting` feature) each time the ring fills and at the end of
//! the run, through semihosting into `vesper_abi::trace::FILE_NAME`; on a
//! physical board, at the end of the run, as hex lines on the console (the
//! ring then keeps the latest records, and the section says how many were
//! lost). After the kernel's section come the domains' own rings (their
//! threads' records), read from memory each names in its DCB.

use crate::domain::config::TRACE_RECORDS;
use crate::sync::KernelCell;
use vesper_abi::layout::MAX_DOMAINS;
use vesper_abi::trace::{Kind, Record, SectionHeader, KERNEL, MAGIC, NO_DOMAIN, RESUMED};

/// Whether the image traces.
pub const ON: bool = TRACE_RECORDS != 0;

/// The kernel's ring.
struct Ring {
    records: [Record; TRACE_RECORDS],
    /// Records written so far, free-running.
    written: u64,
    /// Of those, how many are already out (in the file).
    out: u64,
}

impl Ring {
    /// The ring's length (never 0: without a ring nothing reaches it).
    fn capacity(&self) -> u64 {
        self.records.len().max(1) as u64
    }

    /// Where record number `counter` lies in the ring.
    fn slot(&self, counter: u64) -> usize {
        (counter % self.capacity()) as usize
    }
}

static RING: KernelCell<Ring> = KernelCell::new(Ring {
    records: [Record { time_ns: 0, kind: 0, domain: 0, a: 0, b: 0 }; TRACE_RECORDS],
    written: 0,
    out: 0,
});

/// What the trace remembers of the dispatcher's decisions, to record
/// their changes: kept here, not in the dispatcher, so that an image
/// without tracing runs the dispatcher it always had.
struct Decisions {
    /// Each domain's deadline at the last decision.
    deadlines: [u64; MAX_DOMAINS],
    /// When the last decision was made.
    at_ns: u64,
    /// Whether the domain on the CPU runs in slack time.
    extra: bool,
}

static DECISIONS: KernelCell<Decisions> =
    KernelCell::new(Decisions { deadlines: [0; MAX_DOMAINS], at_ns: 0, extra: false });

/// A decision was made at `now`, with these `(deadline, period)` of
/// every domain that runs: records a period start for each whose
/// deadline moved.
pub fn decided(now: u64, deadlines: &[Option<(u64, u64)>; MAX_DOMAINS]) {
    DECISIONS.with(|decisions| {
        decisions.at_ns = now;
        for (index, entry) in deadlines.iter().enumerate() {
            let Some((deadline, period)) = *entry else { continue };
            if decisions.deadlines[index] != deadline {
                decisions.deadlines[index] = deadline;
                record(deadline.saturating_sub(period), Kind::PeriodStart, Some(index), 0, 0);
            }
        }
    });
}

/// A domain was dispatched, in slack time if `extra`.
pub fn note_kind(extra: bool) {
    DECISIONS.with(|decisions| decisions.extra = extra);
}

/// Domain `index` keeps the CPU at `now`, in slack time if `extra`: if
/// that is the other kind of time, it is recorded as a dispatch that
/// resumes it.
pub fn runs_on(now: u64, index: usize, extra: bool) {
    let changed =
        DECISIONS.with(|decisions| core::mem::replace(&mut decisions.extra, extra) != extra);
    if changed {
        record(now, Kind::Dispatch, Some(index), RESUMED, u32::from(extra));
    }
}

/// The run ends with `on_cpu` holding the CPU: records where the
/// kernel's accounting stopped, the last decision.
pub fn run_end(on_cpu: Option<usize>) {
    let at = DECISIONS.with(|decisions| decisions.at_ns);
    record(at, Kind::RunEnd, on_cpu, 0, 0);
}

/// Records `kind` about `domain` (`None`: no domain) at `time_ns`.
#[inline(always)]
pub fn record(time_ns: u64, kind: Kind, domain: Option<usize>, a: u16, b: u32) {
    if ON {
        let domain = domain.map_or(NO_DOMAIN, |d| d.min(usize::from(NO_DOMAIN - 1)) as u8);
        push(Record { time_ns, kind: kind as u8, domain, a, b });
    }
}

/// Puts `record` in the ring; under QEMU a full ring goes out first.
#[inline(never)]
fn push(record: Record) {
    RING.with(|ring| {
        if cfg!(feature = "semihosting") && ring.written - ring.out == ring.capacity() {
            write_out(ring);
        }
        let slot = ring.slot(ring.written);
        if let Some(slot) = ring.records.get_mut(slot) {
            *slot = record;
        }
        ring.written += 1;
    });
}

/// Writes out what the ring holds that is not out yet, as one section.
fn write_out(ring: &mut Ring) {
    let first = ring.out.max(ring.written.saturating_sub(ring.capacity()));
    let header = SectionHeader {
        magic: MAGIC,
        source: KERNEL,
        reserved: 0,
        lost: first - ring.out,
        count: ring.written - first,
    };
    sink::write(&header.to_bytes());
    for index in first..ring.written {
        if let Some(record) = ring.records.get(ring.slot(index)) {
            sink::write(&record.to_bytes());
        }
    }
    ring.out = ring.written;
}

/// A domain's records for [`finish`]: its number, how many it lost, and
/// its records' bytes, oldest first, in two pieces (its ring may wrap).
pub type DomainRecords<'a> = (usize, u64, [&'a [u8]; 2]);

/// At the end of the run: writes out the kernel's records, then those of
/// each domain `domains` yields.
pub fn finish<'a>(domains: impl Iterator<Item = DomainRecords<'a>>) {
    if !ON {
        return;
    }
    let _ = RING.try_with(write_out);
    for (domain, lost, pieces) in domains {
        let bytes: usize = pieces.iter().map(|piece| piece.len()).sum();
        let header = SectionHeader {
            magic: MAGIC,
            source: domain as u16,
            reserved: 0,
            lost,
            count: (bytes / vesper_abi::trace::RECORD_SIZE) as u64,
        };
        sink::write(&header.to_bytes());
        for piece in pieces {
            sink::write(piece);
        }
    }
    sink::close();
}

/// Where trace bytes go under QEMU: a host file, through semihosting.
#[cfg(feature = "semihosting")]
mod sink {
    use crate::arch::semihosting;
    use crate::sync::KernelCell;
    use vesper_abi::trace::FILE_NAME;

    /// The open file's semihosting handle, once opened.
    static FILE: KernelCell<Option<u64>> = KernelCell::new(None);

    /// Appends `bytes` to the file (opened, emptied, at the first write).
    pub fn write(bytes: &[u8]) {
        FILE.with(|file| {
            if file.is_none() {
                *file = semihosting::open_for_writing(FILE_NAME);
                if file.is_none() {
                    log::error!("trace: the host refused to open {FILE_NAME}; the trace is lost");
                }
            }
            if let Some(handle) = *file {
                semihosting::write(handle, bytes);
            }
        });
    }

    /// Closes the file.
    pub fn close() {
        FILE.with(|file| {
            if let Some(handle) = file.take() {
                semihosting::close(handle);
            }
        });
    }
}

/// Where trace bytes go on a physical board: hex lines on the console.
#[cfg(not(feature = "semihosting"))]
mod sink {
    use vesper_abi::trace::LINE_PREFIX;

    /// Bytes as lowercase hex digits.
    struct Hex<'a>(&'a [u8]);

    impl core::fmt::Display for Hex<'_> {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
        }
    }

    /// Writes `bytes` as console lines of at most 32 bytes each.
    pub fn write(bytes: &[u8]) {
        for chunk in bytes.chunks(32) {
            crate::console::kernel(format_args!("{LINE_PREFIX}{}", Hex(chunk)));
            crate::console::flush();
        }
    }

    /// Nothing to close.
    pub fn close() {}
}
