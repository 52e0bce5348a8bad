//! A whole image: every domain of a manifest competing for the CPU under
//! the kernel's own Atropos (`vesper_kernel_core::atropos`, the code the
//! board runs), each running what its program does: its threads under its
//! user-level scheduler (the same `vesper-schedulers` code the domain
//! links), or one of the stock programs' behaviours.
//!
//! The loop is the dispatcher's, without the hardware: ask Atropos who
//! runs and until when, let that domain run until then or until it blocks
//! or ends, tell Atropos, repeat. Atropos charges the CPU time, carries
//! overruns, passes slack to `extra` domains, applies the unblocking rule
//! and charges the board's switch cost to preemptors exactly as on the
//! board. What the simulator leaves out is the time the kernel and the
//! activation handlers themselves take (about a microsecond per switch on
//! QEMU), so its per-domain CPU times match the kernel's `stats` lines
//! within a fraction of a percent, not to the nanosecond.

use crate::group::GroupDomain;
use crate::{After, Behaviour, PolicyConfig, PolicyKind, SimConfig, SimResult, ThreadDomain};
use anyhow::{bail, Result};
use std::fmt::Write as _;
use vesper_abi::console::StatsLine;
use vesper_abi::dcb::Accounting;
use vesper_builder::Manifest;
use vesper_kernel_core::atropos::{Atropos, Reservation, RunKind};
use vesper_schedulers::{report_horizon_ns, AnyScheduler};

/// A program that computes for ever (`spin`, and any program the
/// simulator has no model of).
pub struct Spin;

impl Behaviour for Spin {
    fn run(&mut self, _now: u64, until: u64) -> Result<(u64, After)> {
        Ok((until, After::Ran))
    }
}

/// A program that ends at once (`hello`).
pub struct Exits;

impl Behaviour for Exits {
    fn run(&mut self, now: u64, _until: u64) -> Result<(u64, After)> {
        Ok((now, After::Exited))
    }
}

/// `sleeper`: sleeps `interval` at a time, `rounds` times, then ends (its
/// work between sleeps takes no time here).
pub struct Sleeper {
    /// When it next wakes; `None` before its first run.
    next: Option<u64>,
    /// How long each sleep is.
    interval: u64,
    /// Sleeps left.
    rounds: u64,
}

impl Sleeper {
    /// The stock `sleeper`: ten sleeps of 20 ms.
    pub const STOCK: Self = Self { next: None, interval: 20_000_000, rounds: 10 };
}

impl Behaviour for Sleeper {
    fn run(&mut self, now: u64, _until: u64) -> Result<(u64, After)> {
        if self.rounds == 0 {
            return Ok((now, After::Exited));
        }
        self.rounds -= 1;
        let wake = self.next.unwrap_or(now).saturating_add(self.interval);
        self.next = Some(wake);
        Ok((now, After::Blocked(Some(wake))))
    }
}

/// What the kernel would count for one domain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DomainTime {
    /// Its accounting, as its `stats` line shows it.
    pub time: Accounting,
    /// How it ended: `running`, `exited(0)` or `not started`.
    pub state: &'static str,
}

/// A stretch of time one domain held the CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DomainSpan {
    /// The domain's number (manifest order).
    pub domain: usize,
    /// The core it ran on.
    pub core: usize,
    /// When it got the CPU.
    pub start_ns: u64,
    /// When it lost it.
    pub end_ns: u64,
    /// It ran in slack time (`extra`), not on its guarantee.
    pub extra: bool,
}

/// What [`run_under_atropos`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AtroposRun {
    /// What the kernel would count for each domain.
    pub times: Vec<DomainTime>,
    /// Who held the CPU when, in time order (consecutive stretches of one
    /// domain in one kind of time merged).
    pub spans: Vec<DomainSpan>,
}

/// Runs `domains` (with their `reservations`; `None`: not started) under
/// Atropos from 0 to `end`, the board's `switch_cost_ns` charged to
/// preemptors. Returns what the kernel would count for each, and who ran
/// when.
pub fn run_under_atropos(
    domains: &mut [Box<dyn Behaviour>],
    reservations: &[Option<Reservation>],
    switch_cost_ns: u64,
    end: u64,
) -> Result<AtroposRun> {
    let mut spans: Vec<DomainSpan> = Vec::new();
    let mut atropos = Atropos::new();
    atropos.set_switch_cost(switch_cost_ns);
    let mut times = vec![DomainTime::default(); domains.len()];
    for (index, reservation) in reservations.iter().enumerate() {
        let admitted = match reservation {
            Some(reservation) => atropos.admit(*reservation, 0).ok(),
            None => None,
        };
        times[index].state = if admitted.is_some() { "running" } else { "not started" };
        if admitted.is_none() {
            let _ = atropos.skip();
        }
    }
    atropos.start_periods(0);
    let mut now = 0;
    // The domain that holds the CPU, as the kernel's `on_cpu`.
    let mut on_cpu: Option<usize> = None;
    while now < end {
        let decision = atropos.schedule(now);
        let picked = decision.run.map(|(index, _)| index);
        if let Some(previous) = on_cpu.filter(|&previous| Some(previous) != picked) {
            times[previous].time.preemptions += 1;
        }
        let Some(index) = picked else {
            if decision.timer_ns <= now {
                bail!("Atropos set no future event at {now} ns");
            }
            on_cpu = None;
            now = decision.timer_ns.min(end);
            continue;
        };
        if on_cpu != Some(index) {
            times[index].time.activations += 1;
        }
        let until = decision.timer_ns.min(end);
        let (stop, after) = domains[index].run(now, until)?;
        let start = now;
        now = stop.clamp(now, until);
        let extra = matches!(decision.run, Some((_, RunKind::Extra)));
        match spans.last_mut() {
            Some(last) if last.domain == index && last.extra == extra && last.end_ns == start => {
                last.end_ns = now;
            }
            _ if now > start => spans.push(DomainSpan {
                domain: index,
                core: 0,
                start_ns: start,
                end_ns: now,
                extra,
            }),
            _ => {}
        }
        on_cpu = Some(index);
        match after {
            After::Ran => {}
            After::Blocked(wake) => {
                atropos.block(index, wake, now);
                on_cpu = None;
            }
            After::Exited => {
                atropos.stop(index, now);
                times[index].state = "exited(0)";
                on_cpu = None;
            }
        }
    }
    for (index, time) in times.iter_mut().enumerate() {
        let counted = atropos.accounting(index);
        time.time.cpu_ns = counted.cpu_ns;
        time.time.guaranteed_ns = counted.guaranteed_ns;
        time.time.extra_ns = counted.extra_ns;
        time.time.blocks = counted.blocks;
    }
    Ok(AtroposRun { times, spans })
}

/// Runs each core's domains under that core's own Atropos (the manifest's
/// `core`; a member's is its scheduler's), from 0 to `end`, and puts what
/// each core's run counted together. The cores share nothing the
/// simulator models, so each runs on its own.
fn run_on_cores(
    manifest: &Manifest,
    domains: &mut [Box<dyn Behaviour>],
    reservations: &[Option<Reservation>],
    switch_cost_ns: u64,
    end: u64,
) -> Result<AtroposRun> {
    let mut run =
        AtroposRun { times: vec![DomainTime::default(); domains.len()], spans: Vec::new() };
    for core in 0..vesper_abi::layout::CORES {
        let on_core = |index: usize| manifest.domains.get(index).is_some_and(|d| d.core == core);
        if !(0..domains.len()).any(on_core) {
            continue;
        }
        let placed: Vec<Option<Reservation>> = (0..domains.len())
            .map(|index| reservations[index].filter(|_| on_core(index)))
            .collect();
        let part = run_under_atropos(domains, &placed, switch_cost_ns, end)?;
        for (index, time) in part.times.into_iter().enumerate().filter(|(i, _)| on_core(*i)) {
            run.times[index] = time;
        }
        run.spans.extend(part.spans.into_iter().map(|span| DomainSpan { core, ..span }));
    }
    run.spans.sort_by_key(|span| (span.start_ns, span.domain));
    Ok(run)
}

/// A whole image, simulated.
#[derive(Debug)]
pub struct ImageResult {
    /// The image's name.
    pub name: String,
    /// Each domain's name and what the kernel would count, in manifest
    /// order.
    pub domains: Vec<(String, DomainTime)>,
    /// The thread domains' results, in manifest order.
    pub threads: Vec<SimResult>,
    /// What the simulator modelled each program as, where it had to guess.
    pub notes: Vec<String>,
    /// Who held the CPU when (domain numbers in manifest order).
    pub spans: Vec<DomainSpan>,
}

impl ImageResult {
    /// This result with every time `by` earlier: a QEMU run seen from the
    /// moment its domains started, as the simulator sees its own (times
    /// before `by` become 0).
    pub fn shifted(&self, by: u64) -> Self {
        let at = |ns: u64| ns.saturating_sub(by);
        let spans = self
            .spans
            .iter()
            .map(|s| DomainSpan { start_ns: at(s.start_ns), end_ns: at(s.end_ns), ..*s })
            .collect();
        let threads = self
            .threads
            .iter()
            .map(|threads| {
                let mut threads = threads.clone();
                for row in &mut threads.rows {
                    row.release_ns = at(row.release_ns);
                    row.start_ns = row.start_ns.map(at);
                    row.finish_ns = row.finish_ns.map(at);
                    row.deadline_ns = row.deadline_ns.map(at);
                }
                for span in &mut threads.trace {
                    (span.start_ns, span.end_ns) = (at(span.start_ns), at(span.end_ns));
                }
                threads
            })
            .collect();
        Self {
            name: self.name.clone(),
            domains: self.domains.clone(),
            threads,
            notes: self.notes.clone(),
            spans,
        }
    }

    /// The kernel's `stats` lines for the run, then each thread domain's
    /// `job` lines (and its per-job rows if `rows`).
    pub fn render(&self, rows: bool) -> String {
        let mut out = String::new();
        for note in &self.notes {
            let _ = writeln!(out, "note {note}");
        }
        for (name, time) in &self.domains {
            let line = StatsLine { domain: name, time: time.time, state: time.state };
            let _ = writeln!(out, "{line}");
        }
        for result in &self.threads {
            out.push_str(&result.render(rows));
        }
        out
    }
}

/// Simulates every domain of `manifest` for `duration_ns` under Atropos,
/// thread domains under `policy` if given (else their own scheduler).
pub fn simulate_image(
    manifest: &Manifest,
    policy: Option<PolicyKind>,
    policy_config: PolicyConfig,
    duration_ns: u64,
) -> Result<ImageResult> {
    let mut notes = Vec::new();
    let mut behaviours: Vec<Box<dyn Behaviour>> = Vec::new();
    let mut thread_domains = Vec::new();
    for domain in &manifest.domains {
        let kind = policy.unwrap_or(domain.scheduler);
        if !domain.members.is_empty() {
            let tasks = crate::manifest::tasks_of_members(domain);
            thread_domains.push((behaviours.len(), kind));
            let sched = AnyScheduler::of_kind(kind, policy_config);
            behaviours.push(Box::new(GroupDomain::new(&tasks, sched)?));
            continue;
        }
        if domain.threads.is_empty() {
            if domain.scheduled_by.is_none() {
                behaviours.push(program_model(&domain.program, &domain.name, &mut notes));
            } else {
                // Never run by Atropos: its group's scheduler runs it.
                behaviours.push(Box::new(Spin));
            }
            continue;
        }
        let tasks = crate::manifest::tasks_of(domain);
        thread_domains.push((behaviours.len(), kind));
        let sched = AnyScheduler::of_kind(kind, policy_config);
        let longest = tasks.iter().filter_map(|task| task.period_ns).max().unwrap_or(0);
        let horizon = report_horizon_ns(duration_ns, longest, domain.period_ns);
        behaviours.push(Box::new(ThreadDomain::new(&tasks, sched)?.ending_after(horizon)));
    }
    let reservations: Vec<Option<Reservation>> = manifest
        .domains
        .iter()
        .map(|d| {
            // A member holds none: its group's scheduler runs it.
            d.scheduled_by.is_none().then_some(Reservation {
                period_ns: d.period_ns,
                slice_ns: d.slice_ns,
                extra: d.extra,
                latency_ns: d.latency_ns,
            })
        })
        .collect();
    let switch_cost = manifest.board.timing.switch_cost;
    let mut run = run_on_cores(manifest, &mut behaviours, &reservations, switch_cost, duration_ns)?;
    let mut threads = Vec::new();
    for (index, behaviour) in behaviours.into_iter().enumerate() {
        let Some(&(_, kind)) = thread_domains.iter().find(|(i, _)| *i == index) else { continue };
        let domain = &manifest.domains[index];
        let config = SimConfig {
            domain: domain.name.clone(),
            policy: kind,
            policy_config,
            duration_ns,
            share: crate::CpuShare::Reservation {
                period_ns: domain.period_ns,
                slice_ns: domain.slice_ns,
                latency_ns: domain.latency_ns,
            },
        };
        let result = finish_threads(behaviour, config, duration_ns)?;
        if !domain.members.is_empty() {
            count_members(manifest, domain, &result, &mut run.times);
        }
        threads.push(result);
    }
    let domains = manifest.domains.iter().map(|d| d.name.clone()).zip(run.times).collect();
    Ok(ImageResult { name: manifest.name.clone(), domains, threads, notes, spans: run.spans })
}

/// What the kernel counts for the members of `group`: the CPU time its
/// scheduler donated to each (`result`'s spans of it), as their `stats`
/// lines show it.
fn count_members(
    manifest: &Manifest,
    group: &vesper_builder::manifest::Domain,
    result: &SimResult,
    times: &mut [DomainTime],
) {
    for (position, member) in group.members.iter().enumerate() {
        let Some(index) = manifest.domain_index(&member.name) else { continue };
        let spans = result.trace.iter().filter(|span| span.thread == position);
        times[index].time.cpu_ns = spans.map(|span| span.end_ns - span.start_ns).sum();
        times[index].state = "running";
    }
}

/// The model of a program without threads.
fn program_model(program: &str, domain: &str, notes: &mut Vec<String>) -> Box<dyn Behaviour> {
    match program {
        "spin" => Box::new(Spin),
        "hello" => Box::new(Exits),
        "sleeper" => Box::new(Sleeper::STOCK),
        other => {
            notes.push(format!(
                "domain={domain} program={other}: not modelled; simulated as spin (always \
                 computing)"
            ));
            Box::new(Spin)
        }
    }
}

/// The thread results of a boxed [`ThreadDomain`].
fn finish_threads(behaviour: Box<dyn Behaviour>, config: SimConfig, end: u64) -> Result<SimResult> {
    let domain = config.domain.clone();
    behaviour
        .finish_threads(config, end)
        .ok_or_else(|| anyhow::anyhow!("domain {domain:?} was simulated without its threads"))
}
