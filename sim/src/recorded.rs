//! A run recorded on the board (`[image] trace`, see `vesper_abi::trace`),
//! turned into the simulator's result, so that the same writers
//! ([`crate::trace`]) draw QEMU's schedule and the simulator's side by
//! side.
//!
//! From the kernel's records: who held the CPU when ([`DomainSpan`]: from
//! a `Dispatch` to the domain's next `Preempt`, `Block`, `Yield`, `Fault`
//! or `Stop`, the next `Dispatch` or `Idle`, or the `RunEnd`, which is
//! where the kernel's accounting stops), and each domain's accounting
//! summed from them, which is exactly what its `stats` line reports. From
//! a thread domain's records: which thread ran while the domain held the
//! CPU (from a `ThreadRun` until the next, or the job's `JobDone`), and
//! every job's release, start and completion, with its deadline from the
//! manifest.

use crate::image::{DomainSpan, DomainTime, ImageResult};
use crate::{CpuShare, JobRow, SimConfig, SimResult, Span};
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use vesper_abi::dcb::Accounting;
use vesper_abi::layout::CORES;
use vesper_abi::trace::{
    Kind, Record, SectionHeader, HEADER_SIZE, KERNEL, LINE_PREFIX, RECORD_SIZE, RESUMED,
};
use vesper_builder::Manifest;
use vesper_schedulers::{PolicyConfig, ThreadStats};

/// One source's records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Source {
    /// Records its ring lost before the kernel wrote them out.
    pub lost: u64,
    /// Its records, in the order written.
    pub records: Vec<Record>,
}

/// A decoded trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recorded {
    /// The kernel's records.
    pub kernel: Source,
    /// Each domain's own records, by domain number.
    pub domains: BTreeMap<usize, Source>,
}

impl Recorded {
    /// Decodes a trace file's bytes (see `vesper_abi::trace`).
    pub fn parse(mut bytes: &[u8]) -> Result<Self> {
        let mut recorded = Self::default();
        while !bytes.is_empty() {
            let header: &[u8; HEADER_SIZE] = bytes
                .get(..HEADER_SIZE)
                .and_then(|head| head.try_into().ok())
                .context("the trace ends inside a section header")?;
            let Some(header) = SectionHeader::from_bytes(header) else {
                bail!("a trace section does not start with VTRC");
            };
            bytes = &bytes[HEADER_SIZE..];
            let len = usize::try_from(header.count)?.checked_mul(RECORD_SIZE).context("count")?;
            let body = bytes.get(..len).context("the trace ends inside a section")?;
            bytes = &bytes[len..];
            let source = match header.source {
                KERNEL => &mut recorded.kernel,
                domain => recorded.domains.entry(usize::from(domain)).or_default(),
            };
            source.lost += header.lost;
            source.records.extend(
                body.chunks_exact(RECORD_SIZE)
                    .map(|chunk| Record::from_bytes(chunk.try_into().expect("exact chunks"))),
            );
        }
        Ok(recorded)
    }

    /// The bytes a board's console carried as `vtrace` lines (see
    /// `vesper_abi::trace::LINE_PREFIX`), from a captured console log.
    pub fn bytes_from_console(log: &str) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        for line in log.lines() {
            let Some(hex) = line.trim_end().strip_prefix(LINE_PREFIX) else { continue };
            if hex.len() % 2 != 0 {
                bail!("a trace line has an odd number of hex digits: {line}");
            }
            for pair in hex.as_bytes().chunks(2) {
                let digits = std::str::from_utf8(pair)?;
                bytes.push(u8::from_str_radix(digits, 16).context("a trace line is not hex")?);
            }
        }
        Ok(bytes)
    }

    /// When the kernel's accounting stopped: the last `RunEnd` record's
    /// time (one per core), else the last record's.
    pub fn end_ns(&self) -> u64 {
        let ends = self.kernel.records.iter().filter(|r| r.kind == Kind::RunEnd as u8);
        let end = ends.map(|record| record.time_ns).max();
        end.or(self.kernel.records.last().map(|record| record.time_ns)).unwrap_or(0)
    }

    /// Who held each core's CPU when, from the kernel's records, in time
    /// order. Each record is its core's (the last `Core` record's, else
    /// core 0). A domain's turn ends at its next `Preempt`, `Block`,
    /// `Yield`, `Fault` or `Stop` (which another core may record: a stop of
    /// a domain it does not run), or at its core's next `Dispatch`, `Idle`
    /// or `RunEnd`.
    pub fn domain_spans(&self) -> Vec<DomainSpan> {
        let mut spans = Vec::new();
        let mut open: [Option<DomainSpan>; CORES] = [None; CORES];
        let mut close = |open: &mut Option<DomainSpan>, at: u64| {
            if let Some(mut span) = open.take() {
                span.end_ns = at.max(span.start_ns);
                if span.end_ns > span.start_ns {
                    spans.push(span);
                }
            }
        };
        let mut core = 0;
        for record in &self.kernel.records {
            let Some(kind) = Kind::from_number(record.kind) else { continue };
            let domain = usize::from(record.domain);
            let ends_its_turn = matches!(
                kind,
                Kind::Preempt | Kind::Block | Kind::Yield | Kind::Fault | Kind::Stop
            );
            match kind {
                Kind::Core => core = usize::from(record.a).min(CORES - 1),
                Kind::Dispatch => {
                    close(&mut open[core], record.time_ns);
                    open[core] = Some(DomainSpan {
                        domain,
                        core,
                        start_ns: record.time_ns,
                        end_ns: record.time_ns,
                        extra: record.b == 1,
                    });
                }
                Kind::Idle | Kind::RunEnd => close(&mut open[core], record.time_ns),
                _ if ends_its_turn => {
                    let running =
                        open.iter_mut().find(|span| span.is_some_and(|s| s.domain == domain));
                    if let Some(running) = running {
                        close(running, record.time_ns);
                    }
                }
                _ => {}
            }
        }
        let end = self.end_ns();
        for core in &mut open {
            close(core, end);
        }
        spans.sort_by_key(|span| (span.start_ns, span.core));
        spans
    }

    /// Each domain's accounting as the kernel's records show it (CPU
    /// time, guaranteed and extra, from [`Recorded::domain_spans`]), and
    /// how it ended.
    pub fn domain_times(&self, domains: usize) -> Vec<DomainTime> {
        let mut times = vec![DomainTime { time: Accounting::default(), state: "running" }; domains];
        for span in self.domain_spans() {
            let Some(time) = times.get_mut(span.domain) else { continue };
            let length = span.end_ns - span.start_ns;
            time.time.cpu_ns += length;
            if span.extra {
                time.time.extra_ns += length;
            } else {
                time.time.guaranteed_ns += length;
            }
        }
        for record in &self.kernel.records {
            let Some(time) = times.get_mut(usize::from(record.domain)) else { continue };
            match Kind::from_number(record.kind) {
                Some(Kind::Dispatch) if record.a != RESUMED => time.time.activations += 1,
                Some(Kind::Preempt) => time.time.preemptions += 1,
                Some(Kind::Block) => time.time.blocks += 1,
                Some(Kind::Fault) => time.state = "faulted",
                Some(Kind::Stop) => time.state = if record.b == 1 { "stopped" } else { "exited" },
                Some(Kind::Restart) => time.state = "running",
                _ => {}
            }
        }
        times
    }

    /// The run as the simulator's result: `manifest`'s domains, their
    /// spans, and for each thread domain its threads' spans and jobs.
    pub fn image_result(&self, manifest: &Manifest) -> ImageResult {
        let spans = self.domain_spans();
        let end = self.end_ns();
        let times = self.domain_times(manifest.domains.len());
        let domains = manifest.domains.iter().map(|d| d.name.clone()).zip(times).collect();
        let threads = manifest
            .domains
            .iter()
            .enumerate()
            .filter(|(_, domain)| !domain.threads.is_empty())
            .map(|(index, domain)| {
                let tasks = crate::manifest::tasks_of(domain);
                let own = self.domains.get(&index).cloned().unwrap_or_default();
                let own = by_spec(&own.records, tasks.len());
                let theirs: Vec<DomainSpan> =
                    spans.iter().copied().filter(|span| span.domain == index).collect();
                let rows = job_rows(&own, &tasks, end);
                SimResult {
                    config: SimConfig {
                        domain: domain.name.clone(),
                        policy: domain.scheduler,
                        policy_config: PolicyConfig::default(),
                        duration_ns: end,
                        share: CpuShare::Reservation {
                            period_ns: domain.period_ns,
                            slice_ns: domain.slice_ns,
                            latency_ns: domain.latency_ns,
                        },
                    },
                    scheduler: domain.scheduler.name(),
                    stats: vec![ThreadStats::default(); tasks.len()],
                    trace: thread_spans(&own, &theirs)
                        .into_iter()
                        .filter(|span| span.thread < tasks.len())
                        .collect(),
                    tasks,
                    rows,
                }
            })
            .collect();
        ImageResult { name: manifest.name.clone(), domains, threads, notes: Vec::new(), spans }
    }
}

/// `records` with each thread named by the manifest's thread it runs
/// (`ThreadSpec` records) instead of its id; records of threads that run
/// none of the `specs` manifest threads (a domain's main thread) keep an
/// id past them, so that they name no task.
fn by_spec(records: &[Record], specs: usize) -> Vec<Record> {
    let mut spec_of: BTreeMap<u16, u16> = BTreeMap::new();
    for record in records.iter().filter(|r| r.kind == Kind::ThreadSpec as u8) {
        if let Ok(spec) = u16::try_from(record.b) {
            spec_of.insert(record.a, spec);
        }
    }
    let unnamed = u16::try_from(specs).unwrap_or(u16::MAX);
    records
        .iter()
        .map(|record| Record { a: spec_of.get(&record.a).copied().unwrap_or(unnamed), ..*record })
        .collect()
}

/// Which thread ran when: each `ThreadRun` names the thread that runs from
/// then until the next `ThreadRun` or its job's `JobDone`, in the
/// domain's own time (`spans`).
fn thread_spans(records: &[Record], spans: &[DomainSpan]) -> Vec<Span> {
    let mut current: Vec<(u64, u64, usize)> = Vec::new();
    let mut running: Option<(u64, usize)> = None;
    let mut events: Vec<&Record> = records
        .iter()
        .filter(|r| r.kind == Kind::ThreadRun as u8 || r.kind == Kind::JobDone as u8)
        .collect();
    events.sort_by_key(|r| r.time_ns);
    for record in events {
        if let Some((since, thread)) = running.take() {
            current.push((since, record.time_ns, thread));
        }
        if record.kind == Kind::ThreadRun as u8 {
            running = Some((record.time_ns, usize::from(record.a)));
        }
    }
    if let Some((since, thread)) = running {
        current.push((since, u64::MAX, thread));
    }
    let mut out: Vec<Span> = Vec::new();
    for &(from, to, thread) in &current {
        for span in spans.iter().filter(|s| s.end_ns > from && s.start_ns < to) {
            let (start_ns, end_ns) = (span.start_ns.max(from), span.end_ns.min(to));
            match out.last_mut() {
                Some(last) if last.thread == thread && last.end_ns == start_ns => {
                    last.end_ns = end_ns;
                }
                _ => out.push(Span { thread, start_ns, end_ns }),
            }
        }
    }
    out
}

/// Every job the records show, by thread then job: release, start and
/// finish from its records, its deadline from its thread's task.
fn job_rows(records: &[Record], tasks: &[crate::Task], end: u64) -> Vec<JobRow> {
    let mut jobs: BTreeMap<(usize, u64), JobRow> = BTreeMap::new();
    for record in records {
        let kind = Kind::from_number(record.kind);
        if !matches!(kind, Some(Kind::JobRelease | Kind::JobStart | Kind::JobDone)) {
            continue;
        }
        let (thread, job) = (usize::from(record.a), u64::from(record.b));
        let Some(task) = tasks.get(thread) else { continue };
        let row = jobs.entry((thread, job)).or_insert_with(|| JobRow {
            thread,
            job,
            release_ns: 0,
            start_ns: None,
            finish_ns: None,
            deadline_ns: None,
            response_ns: None,
            lateness_ns: None,
            missed: false,
        });
        match kind {
            Some(Kind::JobRelease) => {
                row.release_ns = record.time_ns;
                row.deadline_ns = task
                    .deadline_ns
                    .or(task.period_ns)
                    .map(|relative| record.time_ns.saturating_add(relative));
            }
            Some(Kind::JobStart) => row.start_ns = Some(record.time_ns),
            Some(Kind::JobDone) => row.finish_ns = Some(record.time_ns),
            _ => {}
        }
    }
    let mut rows: Vec<JobRow> = jobs.into_values().collect();
    for row in &mut rows {
        row.response_ns = row.finish_ns.map(|finish| finish.saturating_sub(row.release_ns));
        row.lateness_ns = row
            .finish_ns
            .zip(row.deadline_ns)
            .map(|(finish, deadline)| finish as i64 - deadline as i64);
        row.missed = match (row.finish_ns, row.deadline_ns) {
            (Some(finish), Some(deadline)) => finish > deadline,
            (None, Some(deadline)) => deadline < end,
            _ => false,
        };
    }
    rows
}
