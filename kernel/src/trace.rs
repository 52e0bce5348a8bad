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
//! (the `semihosting` feature) each time the ring fills, on demand
//! (`trace_flush`) and at the end of the run, through semihosting into
//! `vesper_abi::trace::FILE_NAME`; on a physical board, on demand and at
//! the end of the run, as hex lines on the console (the ring then keeps
//! the latest records, and the section says how many were lost). After
//! the kernel's section come the domains' own rings (their threads'
//! records), read from memory each names in its DCB. Each record goes out
//! once.

use crate::domain::config::{CORES_USED, TRACE_RECORDS};
use crate::sync::{this_core, KernelCell, SMP};
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
    /// The core that made the last record (see `Kind::Core`).
    core: usize,
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
    core: 0,
});

/// What the trace remembers of the dispatcher's decisions, to record
/// their changes: kept here, not in the dispatcher, so that an image
/// without tracing runs the dispatcher it always had.
struct Decisions {
    /// Each domain's deadline at the last decision.
    deadlines: [u64; MAX_DOMAINS],
    /// For each core: when its last decision was made.
    at_ns: [u64; CORES_USED],
    /// For each core: whether the domain on its CPU runs in slack time.
    extra: [bool; CORES_USED],
}

static DECISIONS: KernelCell<Decisions> = KernelCell::new(Decisions {
    deadlines: [0; MAX_DOMAINS],
    at_ns: [0; CORES_USED],
    extra: [false; CORES_USED],
});

/// A decision was made at `now`, with these `(deadline, period)` of
/// every domain that runs: records a period start for each whose
/// deadline moved.
pub fn decided(now: u64, deadlines: &[Option<(u64, u64)>; MAX_DOMAINS]) {
    DECISIONS.with(|decisions| {
        decisions.at_ns[this_core()] = now;
        for (index, entry) in deadlines.iter().enumerate() {
            let Some((deadline, period)) = *entry else { continue };
            if core::mem::replace(&mut decisions.deadlines[index], deadline) != deadline {
                record(deadline.saturating_sub(period), Kind::PeriodStart, Some(index), 0, 0);
            }
        }
    });
}

/// This core dispatched a domain, in slack time if `extra`.
pub fn note_kind(extra: bool) {
    DECISIONS.with(|decisions| decisions.extra[this_core()] = extra);
}

/// Domain `index` keeps the CPU at `now`, in slack time if `extra`: if
/// that is the other kind of time, it is recorded as a dispatch that
/// resumes it.
pub fn runs_on(now: u64, index: usize, extra: bool) {
    let changed = DECISIONS
        .with(|decisions| core::mem::replace(&mut decisions.extra[this_core()], extra) != extra);
    if changed {
        record(now, Kind::Dispatch, Some(index), RESUMED, u32::from(extra));
    }
}

/// The run ends with `on_cpu[core]` holding each core's CPU: records,
/// for each, where the kernel's accounting stopped, its last decision.
pub fn run_end(on_cpu: [Option<usize>; CORES_USED]) {
    let at = DECISIONS.with(|decisions| decisions.at_ns);
    for (core, on_cpu) in on_cpu.into_iter().enumerate() {
        push(core, new_record(at[core], Kind::RunEnd, on_cpu, 0, 0));
    }
}

/// Records `kind` about `domain` (`None`: no domain) at `time_ns`.
#[inline(always)]
pub fn record(time_ns: u64, kind: Kind, domain: Option<usize>, a: u16, b: u32) {
    if ON {
        push(this_core(), new_record(time_ns, kind, domain, a, b));
    }
}

/// The record of `kind` about `domain` at `time_ns`.
#[inline(always)]
fn new_record(time_ns: u64, kind: Kind, domain: Option<usize>, a: u16, b: u32) -> Record {
    let domain = domain.map_or(NO_DOMAIN, |d| d.min(usize::from(NO_DOMAIN - 1)) as u8);
    Record { time_ns, kind: kind as u8, domain, a, b }
}

/// Puts `record`, which `core` made, in the ring, after a `Kind::Core`
/// record if the last came from another core.
#[inline(never)]
fn push(core: usize, record: Record) {
    RING.with(|ring| {
        if SMP && core != ring.core {
            ring.core = core;
            put(ring, new_record(record.time_ns, Kind::Core, None, core as u16, 0));
        }
        put(ring, record);
    });
}

/// Puts `record` in the ring; under QEMU a full ring goes out first.
fn put(ring: &mut Ring, record: Record) {
    if cfg!(feature = "semihosting") && ring.written - ring.out == ring.capacity() {
        write_out(ring);
    }
    let slot = ring.slot(ring.written);
    if let Some(slot) = ring.records.get_mut(slot) {
        *slot = record;
    }
    ring.written += 1;
}

/// Writes out what the ring holds that is not out yet, as one section.
/// Returns how many records went.
fn write_out(ring: &mut Ring) -> u64 {
    let Some(first) = write_header(KERNEL, ring.written, ring.out, ring.capacity()) else {
        return 0;
    };
    for record in (first..ring.written).filter_map(|index| ring.records.get(ring.slot(index))) {
        sink::write(&record.to_bytes());
    }
    ring.out = ring.written;
    ring.written - first
}

/// Of a ring of `capacity` records of `source` that has written `written`
/// and had `out` of them written out: writes the header of a section of
/// the records still in it not out yet (saying how many were overwritten
/// before they went out), and returns the first one's number; `None`, and
/// nothing written, if there are none.
fn write_header(source: u16, written: u64, out: u64, capacity: u64) -> Option<u64> {
    let first = out.max(written.saturating_sub(capacity));
    if first == written {
        return None;
    }
    let (lost, count) = (first - out, written - first);
    sink::write(&SectionHeader { magic: MAGIC, source, reserved: 0, lost, count }.to_bytes());
    Some(first)
}

/// Records of each domain's ring already out.
static DOMAINS_OUT: KernelCell<[u64; MAX_DOMAINS]> = KernelCell::new([0; MAX_DOMAINS]);

/// A domain's ring for [`flush`]: the domain's number, how many records
/// it has written (free-running, as its DCB says), and the ring's bytes.
pub type DomainRing<'a> = (usize, u64, &'a [u8]);

/// Writes out the records not out yet: the kernel's, then those of each
/// domain `domains` yields. Returns how many records went.
pub fn flush<'a>(domains: impl Iterator<Item = DomainRing<'a>>) -> u64 {
    if !ON {
        return 0;
    }
    let mut count = RING.try_with(write_out).unwrap_or(0);
    let _ = DOMAINS_OUT.try_with(|outs| {
        for (domain, written, bytes) in domains {
            let Some(out) = outs.get_mut(domain) else { continue };
            count += write_domain(domain as u16, written, out, bytes);
        }
    });
    count
}

/// Writes out the records of domain `source`'s ring (`bytes`, `written`
/// so far) after its first `out`; returns how many went. A count that went
/// back (a domain lying: a restart starts again from 0 through
/// [`restarted`]) writes nothing, so that no record goes out twice and a
/// flush costs at most one ring's worth of records per domain.
fn write_domain(source: u16, written: u64, out: &mut u64, bytes: &[u8]) -> u64 {
    let size = vesper_abi::trace::RECORD_SIZE as u64;
    let capacity = bytes.len() as u64 / size;
    if written < *out {
        return 0;
    }
    let Some(first) = write_header(source, written, *out, capacity) else {
        return 0;
    };
    // Within the ring: `first` and `written` are at most `capacity` apart.
    let start = (first % capacity * size) as usize;
    let end = start + ((written - first) * size) as usize;
    if end <= bytes.len() {
        sink::write(&bytes[start..end]);
    } else {
        sink::write(&bytes[start..]);
        sink::write(&bytes[..end - bytes.len()]);
    }
    *out = written;
    written - first
}

/// Domain `index` was restarted: its new life's ring starts empty, and
/// what the old one wrote and [`flush`] did not take is gone.
pub fn restarted(index: usize) {
    if ON {
        let _ = DOMAINS_OUT.try_with(|outs| outs.get_mut(index).map(|out| *out = 0));
    }
}

/// Closes the trace at the end of the run.
pub fn close() {
    if ON {
        sink::close();
    }
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
