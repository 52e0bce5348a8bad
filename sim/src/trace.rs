//! Schedules one can see: a simulated image's timeline written three ways
//! (`cargo xtask sim MANIFEST --trace DIR`):
//!
//! - [`trace_json`]: the Chrome trace-event format, which ui.perfetto.dev
//!   and chrome://tracing open. One process per domain; in it, track 0 is
//!   the domain's CPU time (slices named `guaranteed` or `extra`) and track
//!   N + 1 its thread N (slices `job K` while it runs), with instant events
//!   at each release and at each deadline missed. Times are microseconds,
//!   as the format has them, with nanosecond decimals. A last process,
//!   `cores`, has a track per core the image uses, its slices named after
//!   the domain that held that core's CPU.
//! - [`gantt_svg`]: a Gantt chart over a window: a row per domain
//!   (guaranteed time dark, extra time light; labelled with its core when
//!   the image uses several, and then first a row per core, coloured by
//!   the domain that held it) and beneath it a row per
//!   thread, releases as ticks above the row, deadlines as ticks below,
//!   missed deadlines in red.
//! - [`jobs_csv`]: one line per job: release, start, finish, deadline,
//!   response, lateness, missed.
//!
//! They read only the simulator's result, so they are the same on every
//! run of the same manifest. A domain's slices add up to the CPU time its
//! `stats` line shows, but for the domain that holds the CPU when the run
//! ends: its last stretch is in the trace, while the stats line (like the
//! kernel's report) counts what Atropos had charged at its last decision.

use crate::image::ImageResult;
use crate::{JobRow, SimResult, Span};
use std::fmt::Write as _;

/// A domain's process number in the trace: its manifest number, plus one
/// (trace viewers treat 0 specially).
fn pid(domain: usize) -> usize {
    domain + 1
}

/// The manifest numbers of `result`'s thread domains, by their names.
fn thread_domains(result: &ImageResult) -> impl Iterator<Item = (usize, &SimResult)> {
    result.threads.iter().filter_map(|threads| {
        let index = result.domains.iter().position(|(name, _)| *name == threads.config.domain)?;
        Some((index, threads))
    })
}

/// The cores `result`'s spans ran on, in order.
fn cores_used(result: &ImageResult) -> Vec<usize> {
    let mut cores: Vec<usize> = result.spans.iter().map(|span| span.core).collect();
    cores.sort_unstable();
    cores.dedup();
    cores
}

/// Nanoseconds as the trace format's microseconds.
fn us(ns: u64) -> String {
    format!("{}.{:03}", ns / 1000, ns % 1000)
}

/// The job of `threads`' thread `thread` that was running over `span`:
/// the last released at or before its start.
fn job_at(threads: &SimResult, span: &Span) -> Option<u64> {
    threads
        .rows
        .iter()
        .filter(|row| row.thread == span.thread && row.release_ns <= span.start_ns)
        .map(|row| row.job)
        .max()
}

/// The image's timeline in the Chrome trace-event format (JSON).
pub fn trace_json(result: &ImageResult) -> String {
    let mut events: Vec<String> = Vec::new();
    for (index, (name, _)) in result.domains.iter().enumerate() {
        let pid = pid(index);
        events.push(format!(
            r#"{{"ph":"M","name":"process_name","pid":{pid},"tid":0,"args":{{"name":"domain {name}"}}}}"#
        ));
        events.push(format!(
            r#"{{"ph":"M","name":"thread_name","pid":{pid},"tid":0,"args":{{"name":"CPU"}}}}"#
        ));
    }
    let cores = pid(result.domains.len());
    events.push(format!(
        r#"{{"ph":"M","name":"process_name","pid":{cores},"tid":0,"args":{{"name":"cores"}}}}"#
    ));
    for core in cores_used(result) {
        events.push(format!(
            r#"{{"ph":"M","name":"thread_name","pid":{cores},"tid":{core},"args":{{"name":"core {core}"}}}}"#
        ));
    }
    for span in &result.spans {
        let kind = if span.extra { "extra" } else { "guaranteed" };
        let (start, length) = (us(span.start_ns), us(span.end_ns - span.start_ns));
        events.push(format!(
            r#"{{"ph":"X","name":"{kind}","cat":"domain","pid":{},"tid":0,"ts":{start},"dur":{length}}}"#,
            pid(span.domain),
        ));
        let name = result.domains.get(span.domain).map_or("?", |(name, _)| name.as_str());
        events.push(format!(
            r#"{{"ph":"X","name":"{name}","cat":"core","pid":{cores},"tid":{},"ts":{start},"dur":{length},"args":{{"time":"{kind}"}}}}"#,
            span.core,
        ));
    }
    for (domain, threads) in thread_domains(result) {
        let pid = pid(domain);
        for (thread, task) in threads.tasks.iter().enumerate() {
            events.push(format!(
                r#"{{"ph":"M","name":"thread_name","pid":{pid},"tid":{},"args":{{"name":"{}"}}}}"#,
                thread + 1,
                task.name
            ));
        }
        for span in &threads.trace {
            let job = job_at(threads, span).map_or(String::from("run"), |job| format!("job {job}"));
            events.push(format!(
                r#"{{"ph":"X","name":"{job}","cat":"thread","pid":{pid},"tid":{},"ts":{},"dur":{}}}"#,
                span.thread + 1,
                us(span.start_ns),
                us(span.end_ns - span.start_ns)
            ));
        }
        for row in &threads.rows {
            let tid = row.thread + 1;
            events.push(format!(
                r#"{{"ph":"i","s":"t","name":"release","cat":"job","pid":{pid},"tid":{tid},"ts":{},"args":{{"job":{}}}}}"#,
                us(row.release_ns),
                row.job
            ));
            if let (true, Some(deadline)) = (row.missed, row.deadline_ns) {
                events.push(format!(
                    r#"{{"ph":"i","s":"t","name":"deadline missed","cat":"job","pid":{pid},"tid":{tid},"ts":{},"args":{{"job":{}}}}}"#,
                    us(deadline),
                    row.job
                ));
            }
        }
    }
    format!("{{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n{}\n]}}\n", events.join(",\n"))
}

/// One line per job of every thread domain.
pub fn jobs_csv(result: &ImageResult) -> String {
    let mut out = String::from(
        "domain,thread,job,release_ns,start_ns,finish_ns,deadline_ns,response_ns,lateness_ns,missed\n",
    );
    let field = |value: Option<String>| value.unwrap_or_default();
    for (_, threads) in thread_domains(result) {
        for row in &threads.rows {
            let JobRow { thread, job, release_ns, start_ns, finish_ns, deadline_ns, .. } = *row;
            let _ = writeln!(
                out,
                "{},{},{job},{release_ns},{},{},{},{},{},{}",
                threads.config.domain,
                threads.tasks[thread].name,
                field(start_ns.map(|n| n.to_string())),
                field(finish_ns.map(|n| n.to_string())),
                field(deadline_ns.map(|n| n.to_string())),
                field(row.response_ns.map(|n| n.to_string())),
                field(row.lateness_ns.map(|n| n.to_string())),
                row.missed
            );
        }
    }
    out
}

/// Pixels of the chart's time axis.
const PLOT_WIDTH: f64 = 1000.0;
/// Pixels left of the axis, for the rows' names.
const LABELS: f64 = 160.0;
/// Pixels per row.
const ROW: f64 = 24.0;
/// Pixels above the first row, for the time axis.
const HEADER: f64 = 30.0;

/// A row of the Gantt chart.
#[derive(Clone, Copy)]
enum Row<'a> {
    /// Who held core N's CPU (when the image uses several cores).
    Core(usize),
    /// A domain's CPU time.
    Domain(usize),
    /// Thread N of a thread domain, with its domain's result.
    Thread(&'a SimResult, usize),
}

/// The colours of domains in the cores' rows, by domain number.
const DOMAIN_COLOURS: [&str; 8] =
    ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"];

/// A Gantt chart of `result` over `from_ns..to_ns`, as SVG.
pub fn gantt_svg(result: &ImageResult, from_ns: u64, to_ns: u64) -> String {
    let to_ns = to_ns.max(from_ns + 1);
    let x = |ns: u64| {
        LABELS + (ns.clamp(from_ns, to_ns) - from_ns) as f64 * PLOT_WIDTH / (to_ns - from_ns) as f64
    };
    let threads: Vec<(usize, &SimResult)> = thread_domains(result).collect();
    let core_of = |domain: usize| result.spans.iter().find(|s| s.domain == domain).map(|s| s.core);
    let several_cores = result.spans.iter().any(|span| span.core != 0);
    // Rows: each core's, with several; then each domain, then its threads.
    let mut rows: Vec<Row> = Vec::new();
    if several_cores {
        rows.extend(cores_used(result).into_iter().map(Row::Core));
    }
    for domain in 0..result.domains.len() {
        rows.push(Row::Domain(domain));
        if let Some((_, sim)) = threads.iter().find(|(d, _)| *d == domain) {
            rows.extend((0..sim.tasks.len()).map(|t| Row::Thread(sim, t)));
        }
    }
    let height = HEADER + ROW * rows.len() as f64 + 10.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" \
         font-family=\"monospace\" font-size=\"11\">\n\
         <title>{} from {} ns to {} ns</title>\n\
         <rect x=\"0\" y=\"0\" width=\"{}\" height=\"{height}\" fill=\"white\"/>\n",
        LABELS + PLOT_WIDTH + 10.0,
        result.name,
        from_ns,
        to_ns,
        LABELS + PLOT_WIDTH + 10.0,
    );
    for tick in 0..=10u64 {
        let ns = from_ns + (to_ns - from_ns) * tick / 10;
        let _ = writeln!(
            svg,
            "<line x1=\"{0:.2}\" y1=\"{1}\" x2=\"{0:.2}\" y2=\"{height}\" stroke=\"#ddd\"/>\
             <text x=\"{0:.2}\" y=\"{2}\" text-anchor=\"middle\">{3}</text>",
            x(ns),
            HEADER - 8.0,
            HEADER - 12.0,
            crate::format_duration(ns)
        );
    }
    for (row, &kind) in rows.iter().enumerate() {
        let top = HEADER + ROW * row as f64;
        let label = match kind {
            Row::Core(core) => format!("core {core}"),
            Row::Domain(domain) => match core_of(domain) {
                Some(core) if several_cores => {
                    format!("{} (core {core})", result.domains[domain].0)
                }
                _ => result.domains[domain].0.clone(),
            },
            Row::Thread(sim, t) => format!("  {}", sim.tasks[t].name),
        };
        let _ = writeln!(svg, "<text x=\"4\" y=\"{:.2}\">{label}</text>", top + ROW * 0.65);
        let bar = |svg: &mut String, start: u64, end: u64, fill: &str, class: &str| {
            if end <= from_ns || start >= to_ns {
                return;
            }
            let _ = writeln!(
                svg,
                "<rect class=\"{class}\" x=\"{:.3}\" y=\"{:.2}\" width=\"{:.3}\" height=\"{:.2}\" fill=\"{fill}\"/>",
                x(start),
                top + 4.0,
                x(end) - x(start),
                ROW - 8.0
            );
        };
        match kind {
            Row::Core(core) => {
                for span in result.spans.iter().filter(|s| s.core == core) {
                    let fill = DOMAIN_COLOURS[span.domain % DOMAIN_COLOURS.len()];
                    let class = format!("domain-{}", span.domain);
                    bar(&mut svg, span.start_ns, span.end_ns, fill, &class);
                }
            }
            Row::Domain(domain) => {
                for span in result.spans.iter().filter(|s| s.domain == domain) {
                    let (fill, class) =
                        if span.extra { ("#9ecae1", "extra") } else { ("#2171b5", "guaranteed") };
                    bar(&mut svg, span.start_ns, span.end_ns, fill, class);
                }
            }
            Row::Thread(sim, t) => {
                for span in sim.trace.iter().filter(|s| s.thread == t) {
                    bar(&mut svg, span.start_ns, span.end_ns, "#41ab5d", "run");
                }
                for job in sim.rows.iter().filter(|r| r.thread == t) {
                    let tick = |svg: &mut String,
                                ns: u64,
                                y1: f64,
                                y2: f64,
                                colour: &str,
                                class: &str| {
                        if (from_ns..=to_ns).contains(&ns) {
                            let _ = writeln!(
                                svg,
                                "<line class=\"{class}\" x1=\"{0:.3}\" y1=\"{y1:.2}\" x2=\"{0:.3}\" y2=\"{y2:.2}\" stroke=\"{colour}\"/>",
                                x(ns)
                            );
                        }
                    };
                    tick(&mut svg, job.release_ns, top, top + 6.0, "black", "release");
                    if let Some(deadline) = job.deadline_ns {
                        let (colour, class) =
                            if job.missed { ("red", "missed") } else { ("#555", "deadline") };
                        tick(&mut svg, deadline, top + ROW - 6.0, top + ROW, colour, class);
                    }
                }
            }
        }
    }
    svg.push_str("</svg>\n");
    svg
}
