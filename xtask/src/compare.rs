//! `cargo xtask compare MANIFEST [--schedulers LIST] [--out DIR]`: runs a
//! task set under each user-level policy twice, on QEMU (traced) and in
//! the simulator, and sets the two side by side: one table (policy x
//! thread: jobs, misses, response max and average, lateness max,
//! tardiness, the domain's CPU share, and whether QEMU and the simulator
//! agree) and an HTML report with both Gantt charts and a response-time
//! plot per policy. Everything it writes comes from virtual time, so two
//! runs write the same bytes.
//!
//! Each policy's files go to `DIR/POLICY/`: the QEMU run's console and
//! records, and `qemu/` and `sim/` with the `trace.json`, `gantt.svg` and
//! `jobs.csv` of each.
//!
//! Jobs are counted as the `periodic` domain reports them: those released
//! within the reporting horizon (`vesper_schedulers::report_horizon_ns`),
//! times measured from the thread domain's first release (the simulator
//! releases at 0; on QEMU the domain starts after the kernel's boot).

use crate::trace::run_traced;
use anyhow::{bail, Result};
use plotters::prelude::*;
use std::fmt::Write as _;
use std::path::Path;
use vesper_schedulers::{PolicyConfig, PolicyKind};
use vesper_sim::image::{simulate_image, ImageResult};
use vesper_sim::trace::gantt_svg;
use vesper_sim::{JobRow, SimResult};

/// One thread's figures, from one source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThreadFigures {
    /// Jobs completed (of those released within the horizon).
    pub jobs: u64,
    /// Deadlines missed.
    pub misses: u64,
    /// Longest response, ns.
    pub response_max_ns: u64,
    /// Average response, ns.
    pub response_avg_ns: u64,
    /// Largest lateness (negative: early), ns.
    pub lateness_max_ns: i64,
    /// Total tardiness (lateness past the deadline, summed), ns.
    pub tardiness_ns: u64,
}

/// The figures of `rows` whose release lies in `from..from + horizon`.
pub fn figures(rows: &[&JobRow], from: u64, horizon: u64) -> ThreadFigures {
    let inside: Vec<&&JobRow> =
        rows.iter().filter(|r| r.release_ns.saturating_sub(from) < horizon).collect();
    let done: Vec<u64> = inside.iter().filter_map(|r| r.response_ns).collect();
    let lateness: Vec<i64> = inside.iter().filter_map(|r| r.lateness_ns).collect();
    ThreadFigures {
        jobs: done.len() as u64,
        misses: inside.iter().filter(|r| r.missed).count() as u64,
        response_max_ns: done.iter().copied().max().unwrap_or(0),
        response_avg_ns: done.iter().sum::<u64>() / (done.len() as u64).max(1),
        lateness_max_ns: lateness.iter().copied().max().unwrap_or(0),
        tardiness_ns: lateness.iter().map(|&l| l.max(0) as u64).sum(),
    }
}

/// One policy's two runs.
pub struct PolicyRun {
    /// The policy.
    pub policy: PolicyKind,
    /// What QEMU ran.
    pub qemu: ImageResult,
    /// What the simulator computed.
    pub sim: ImageResult,
}

/// Where a thread domain's time starts: its first release.
pub fn origin(threads: &SimResult) -> u64 {
    threads.rows.iter().map(|r| r.release_ns).min().unwrap_or(0)
}

/// The rows of `result`'s thread `thread`.
fn thread_rows(result: &SimResult, thread: usize) -> Vec<&JobRow> {
    result.rows.iter().filter(|r| r.thread == thread).collect()
}

/// One table line: a thread of one policy, from one source.
struct Line {
    policy: &'static str,
    thread: String,
    source: &'static str,
    figures: ThreadFigures,
    share_ppm: u64,
}

/// The lines of `run`, QEMU's then the simulator's for each thread, and
/// whether the two agree on every thread's jobs and misses.
fn lines(run: &PolicyRun, run_ns: u64) -> (Vec<Line>, bool) {
    let mut out = Vec::new();
    let mut agree = true;
    for (qemu, sim) in run.qemu.threads.iter().zip(&run.sim.threads) {
        let horizon = sim.horizon_ns();
        let share = |result: &ImageResult| {
            let time = result.domains.iter().find(|(name, _)| *name == sim.config.domain);
            time.map_or(0, |(_, t)| t.time.cpu_ns * 1_000_000 / run_ns.max(1))
        };
        for (thread, task) in sim.tasks.iter().enumerate() {
            let q = figures(&thread_rows(qemu, thread), origin(qemu), horizon);
            let s = figures(&thread_rows(sim, thread), origin(sim), horizon);
            agree &= q.jobs == s.jobs && q.misses == s.misses;
            for (source, figures, result) in [("qemu", q, &run.qemu), ("sim", s, &run.sim)] {
                out.push(Line {
                    policy: run.policy.name(),
                    thread: task.name.clone(),
                    source,
                    figures,
                    share_ppm: share(result),
                });
            }
        }
    }
    (out, agree)
}

/// The table of every policy's runs.
pub fn table(runs: &[PolicyRun], run_ns: u64) -> String {
    let mut out = format!(
        "{:<12} {:<10} {:<5} {:>5} {:>7} {:>12} {:>12} {:>13} {:>13} {:>7}\n",
        "policy",
        "thread",
        "run",
        "jobs",
        "misses",
        "resp_max_us",
        "resp_avg_us",
        "late_max_us",
        "tardiness_us",
        "share"
    );
    for run in runs {
        let (lines, agree) = lines(run, run_ns);
        for line in &lines {
            let f = &line.figures;
            let _ = writeln!(
                out,
                "{:<12} {:<10} {:<5} {:>5} {:>7} {:>12} {:>12} {:>13} {:>13} {:>6.3}",
                line.policy,
                line.thread,
                line.source,
                f.jobs,
                f.misses,
                f.response_max_ns / 1000,
                f.response_avg_ns / 1000,
                f.lateness_max_ns / 1000,
                f.tardiness_ns / 1000,
                line.share_ppm as f64 / 1e6
            );
        }
        let verdict = if agree {
            "agree on every thread's jobs and misses"
        } else {
            "DISAGREE on some thread's jobs or misses"
        };
        let _ = writeln!(out, "{:<12} qemu and sim {verdict}", run.policy.name());
    }
    out
}

/// A response-time plot of `run`: each thread's response per job, QEMU
/// and the simulator, as SVG.
fn response_plot(run: &PolicyRun) -> Result<String> {
    let mut series: Vec<(String, Vec<(u64, u64)>)> = Vec::new();
    for (source, result) in [("qemu", &run.qemu), ("sim", &run.sim)] {
        for threads in &result.threads {
            for (thread, task) in threads.tasks.iter().enumerate() {
                let points = threads
                    .rows
                    .iter()
                    .filter(|r| r.thread == thread)
                    .filter_map(|r| Some((r.job, r.response_ns? / 1000)))
                    .collect();
                series.push((format!("{} {source}", task.name), points));
            }
        }
    }
    let jobs = series.iter().flat_map(|(_, p)| p.iter().map(|(j, _)| *j)).max().unwrap_or(0);
    let top = series.iter().flat_map(|(_, p)| p.iter().map(|(_, r)| *r)).max().unwrap_or(0);
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, (640, 320)).into_drawing_area();
        area.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut chart = ChartBuilder::on(&area)
            .caption(format!("response times, {}", run.policy.name()), ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0u64..jobs + 1, 0u64..top + top / 10 + 1)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc("job")
            .y_desc("response (us)")
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        for (index, (name, points)) in series.iter().enumerate() {
            let colour = Palette99::pick(index / 2).to_rgba();
            let style =
                if index % 2 == 0 { colour.stroke_width(2) } else { colour.stroke_width(1) };
            chart
                .draw_series(LineSeries::new(points.iter().copied(), style))
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        area.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(svg)
}

/// The HTML report: the table, then for each policy the two Gantt charts
/// (QEMU above, the simulator below, each from its thread domain's first
/// release) and the response-time plot.
pub fn report(name: &str, runs: &[PolicyRun], run_ns: u64) -> Result<String> {
    let mut html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{name}: policies compared\
         </title></head>\n<body style=\"font-family: sans-serif\">\n<h1>{name}: policies \
         compared</h1>\n<p>Each policy ran on QEMU (traced) and in the simulator; times are \
         virtual, so every run writes the same report.</p>\n<pre>{}</pre>\n",
        table(runs, run_ns)
    );
    for run in runs {
        let _ = writeln!(html, "<h2>{}</h2>", run.policy.name());
        for (source, result) in [("QEMU", &run.qemu), ("simulator", &run.sim)] {
            let start = result.threads.first().map_or(0, origin);
            let _ = writeln!(html, "<h3>{source}</h3>");
            html.push_str(&gantt_svg(result, start, start + run_ns));
        }
        html.push_str(&response_plot(run)?);
    }
    html.push_str("</body></html>\n");
    Ok(html)
}

/// Runs `manifest` (whose `run-for` is `run_ns`) under `policy` on QEMU
/// and in the simulator, writing each run's files into `dir`.
pub fn run_policy(
    root: &Path,
    manifest: &Path,
    policy: PolicyKind,
    dir: &Path,
    run_ns: u64,
) -> Result<PolicyRun> {
    let traced = run_traced(root, manifest, dir, Some(policy))?;
    let qemu = traced.recorded.image_result(&traced.manifest);
    let sim = simulate_image(&traced.manifest, Some(policy), PolicyConfig::default(), run_ns)?;
    for (source, result) in [("qemu", &qemu), ("sim", &sim)] {
        let start = result.threads.first().map_or(0, origin);
        vesper_sim::write_trace(result, &dir.join(source), (start, start + run_ns))?;
    }
    Ok(PolicyRun { policy, qemu, sim })
}

/// `cargo xtask compare`: runs `manifest` under each of `policies` on
/// QEMU and in the simulator, writes `out/report.html`, and returns the
/// table.
pub fn compare(
    root: &Path,
    manifest: &Path,
    policies: &[PolicyKind],
    out: &Path,
) -> Result<String> {
    let checked = vesper_builder::check_manifest(root, manifest)?;
    let Some(run_ns) = checked.run_for_ns else {
        bail!("{} has no `run-for`: the runs must end by themselves", manifest.display());
    };
    if checked.domains.iter().all(|d| d.threads.is_empty()) {
        bail!("{} has no domain with `threads`: there is nothing to compare", manifest.display());
    }
    let mut runs = Vec::new();
    for &policy in policies {
        runs.push(run_policy(root, manifest, policy, &out.join(policy.name()), run_ns)?);
    }
    let html = report(&checked.name, &runs, run_ns)?;
    let path = out.join("report.html");
    std::fs::write(&path, html)?;
    Ok(format!("{}report written to {}\n", table(&runs, run_ns), path.display()))
}
