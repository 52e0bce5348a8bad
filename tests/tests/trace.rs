//! The kernel's scheduling trace (`[image] trace`, `cargo xtask trace`):
//! one traced boot of `tests/manifests/trace.toml`, whose records must add
//! up to exactly what the kernel's `stats` lines report, and whose files
//! must load in the tools they are for; the same of a run on four cores,
//! core by core. An image without `trace` has no
//! trace code at all.

use object::{Object, ObjectSymbol};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use vesper_abi::console::StatsLine;
use vesper_sim::recorded::Recorded;
use xtask::trace::{run_traced, TracedRun};

const MANIFEST: &str = "tests/manifests/trace.toml";

/// Where the traced run writes its files.
fn out_dir() -> PathBuf {
    xtask::workspace_root().join("target").join("test-traces").join("trace")
}

/// The one traced run, with its files written as `cargo xtask trace`
/// writes them.
fn traced() -> &'static TracedRun {
    static RUN: OnceLock<TracedRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let root = xtask::workspace_root();
        let out = out_dir();
        let run = run_traced(&root, &root.join(MANIFEST), &out, None).expect("the traced run");
        let result = run.recorded.image_result(&run.manifest);
        vesper_sim::write_trace(&result, &out, (0, run.recorded.end_ns())).unwrap();
        run
    })
}

/// Fails with the run's console.
fn check(run: &TracedRun, condition: bool, what: &str) {
    assert!(condition, "{what}\n--- console ---\n{}", run.console);
}

/// Checks that `run`'s kernel records add up to exactly what its `stats`
/// lines report, for each of its `domains` domains.
fn check_against_stats_lines(run: &TracedRun, domains: usize) {
    let stats: Vec<StatsLine> = run.console.lines().filter_map(StatsLine::parse).collect();
    check(run, stats.len() == domains, "a stats line per domain");
    check(run, run.recorded.kernel.lost == 0, "nothing lost: the ring goes out as it fills");
    let times = run.recorded.domain_times(domains);
    for (index, line) in stats.iter().enumerate() {
        let traced = &times[index].time;
        for (what, from_trace, reported) in [
            ("cpu_ns", traced.cpu_ns, line.cpu_ns),
            ("guaranteed_ns", traced.guaranteed_ns, line.guaranteed_ns),
            ("extra_ns", traced.extra_ns, line.extra_ns),
            ("activations", traced.activations, line.activations),
            ("preemptions", traced.preemptions, line.preemptions),
            ("blocks", traced.blocks, line.blocks),
        ] {
            check(
                run,
                from_trace == reported,
                &format!("{} {what}: {from_trace} in the trace, {reported} reported", line.domain),
            );
        }
    }
}

#[test]
fn the_kernels_records_add_up_to_its_stats_lines_exactly() {
    let run = traced();
    check_against_stats_lines(run, 3);
    let spans = run.recorded.domain_spans();
    check(run, spans.windows(2).all(|w| w[0].end_ns <= w[1].start_ns), "one domain at a time");
    check(run, spans.iter().any(|s| s.extra), "b runs in slack time");
    check(run, spans.iter().all(|s| s.core == 0), "one core");
}

#[test]
fn a_four_core_run_is_traced_core_by_core() {
    let root = xtask::workspace_root();
    let out = root.join("target").join("test-traces").join("cores");
    let manifest = root.join("tests/manifests/cores-shares.toml");
    let run = run_traced(&root, &manifest, &out, None).expect("the traced run");
    check_against_stats_lines(&run, run.manifest.domains.len());
    let spans = run.recorded.domain_spans();
    for (index, domain) in run.manifest.domains.iter().enumerate() {
        let on = |span: &&vesper_sim::image::DomainSpan| span.domain == index;
        check(&run, spans.iter().filter(on).all(|s| s.core == domain.core), "on its own core");
        check(&run, spans.iter().any(|s| s.domain == index), "every domain ran");
    }
    for core in 0..4 {
        let mine: Vec<_> = spans.iter().filter(|s| s.core == core).collect();
        let apart = mine.windows(2).all(|w| w[0].end_ns <= w[1].start_ns);
        check(&run, apart, &format!("one domain at a time on core {core}"));
    }
    let result = run.recorded.image_result(&run.manifest);
    vesper_sim::write_trace(&result, &out, (0, run.recorded.end_ns())).unwrap();
    let json = std::fs::read_to_string(out.join("trace.json")).unwrap();
    for core in 0..4 {
        check(&run, json.contains(&format!("\"name\":\"core {core}\"")), "a track per core");
    }
}

#[test]
fn the_files_load_and_measure_what_the_records_say() {
    let run = traced();
    let out = out_dir();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("trace.json")).unwrap()).unwrap();
    let events = json["traceEvents"].as_array().expect("a trace-event list");
    for event in events {
        let phase = event["ph"].as_str().expect("every event has a phase");
        check(run, ["M", "X", "i"].contains(&phase), &format!("a known phase: {event}"));
        check(run, event["pid"].is_u64() && event["tid"].is_u64(), "process and track");
        if phase == "X" {
            check(run, event["ts"].is_f64() || event["ts"].is_u64(), "a start");
            check(run, event["dur"].is_f64() || event["dur"].is_u64(), "a duration");
        }
    }
    let times = run.recorded.domain_times(3);
    for (index, time) in times.iter().enumerate() {
        let cpu_us: f64 = events
            .iter()
            .filter(|e| e["ph"] == "X" && e["cat"] == "domain" && e["pid"] == index as u64 + 1)
            .map(|e| e["dur"].as_f64().unwrap())
            .sum();
        check(run, (cpu_us * 1000.0).round() as u64 == time.time.cpu_ns, "the JSON's CPU time");
    }
    let svg = std::fs::read_to_string(out.join("gantt.svg")).unwrap();
    let document = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let end = run.recorded.end_ns();
    let width: f64 = document
        .descendants()
        .filter(|n| n.has_tag_name("rect"))
        .filter(|n| matches!(n.attribute("class"), Some("guaranteed" | "extra")))
        .map(|n| n.attribute("width").unwrap().parse::<f64>().unwrap())
        .sum();
    let cpu: u64 = times.iter().map(|t| t.time.cpu_ns).sum();
    // The chart is 1000 pixels wide for the whole run.
    check(run, (width - cpu as f64 * 1000.0 / end as f64).abs() < 0.05, "the bars' length");
    let csv = std::fs::read_to_string(out.join("jobs.csv")).unwrap();
    let done = |thread: &str| {
        let prefix = format!("w,{thread},");
        csv.lines()
            .filter(|l| l.starts_with(&prefix))
            .filter(|l| l.split(',').nth(5).is_some_and(|finish| !finish.is_empty()))
            .count()
    };
    for thread in ["t1", "t2"] {
        let reported = run
            .console
            .lines()
            .find_map(|l| l.split_once(&format!("thread={thread} ")).map(|(_, rest)| rest))
            .and_then(|rest| rest.split_once("jobs=").map(|(_, n)| n))
            .and_then(|n| n.split(' ').next().and_then(|n| n.parse::<usize>().ok()))
            .unwrap_or(usize::MAX);
        check(
            run,
            done(thread) >= reported,
            &format!("{thread}: every job the domain reports is in the CSV"),
        );
    }
}

#[test]
fn a_trace_file_and_its_console_form_decode_alike() {
    let run = traced();
    let bytes = std::fs::read(out_dir().join(vesper_abi::trace::FILE_NAME)).unwrap();
    let lines: String = bytes
        .chunks(32)
        .map(|chunk| {
            let hex: String = chunk.iter().map(|b| format!("{b:02x}")).collect();
            format!("{}{hex}\n", vesper_abi::trace::LINE_PREFIX)
        })
        .collect();
    let from_console = Recorded::bytes_from_console(&lines).unwrap();
    assert_eq!(Recorded::parse(&from_console).unwrap(), run.recorded);
}

/// Whether the kernel in `image` has a trace function.
fn has_trace_code(image: &Path) -> bool {
    let elf = std::fs::read(image).unwrap();
    let file = object::File::parse(&*elf).unwrap();
    let found =
        file.symbols().any(|symbol| symbol.name().is_ok_and(|name| name.contains("trace4push")));
    found
}

#[test]
fn an_image_without_trace_has_no_trace_code() {
    let run = traced();
    let root = xtask::workspace_root();
    let traced_kernel = root.join("target/images/trace/kernel.elf");
    check(run, has_trace_code(&traced_kernel), "a traced kernel has its ring");
    let plain = vesper_tests::manifest_image(&root.join("tests/manifests/shares.toml"));
    assert!(!has_trace_code(&plain.elf), "an untraced kernel has no trace code");
}

/// The sections of a trace file: each one's source, the time of its
/// first and last record, and its count.
fn sections(bytes: &[u8]) -> Vec<(u16, u64, u64, u64)> {
    use vesper_abi::trace::{Record, SectionHeader, HEADER_SIZE, RECORD_SIZE};
    let mut sections = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let header = rest[..HEADER_SIZE].try_into().ok().and_then(SectionHeader::from_bytes);
        let header = header.expect("a section header");
        let end = HEADER_SIZE + header.count as usize * RECORD_SIZE;
        let records: Vec<Record> = rest[HEADER_SIZE..end]
            .chunks(RECORD_SIZE)
            .map(|chunk| Record::from_bytes(chunk.try_into().unwrap()))
            .collect();
        let (first, last) = match (records.first(), records.last()) {
            (Some(first), Some(last)) => (first.time_ns, last.time_ns),
            _ => (0, 0),
        };
        sections.push((header.source, first, last, header.count));
        rest = &rest[end..];
    }
    sections
}

/// A domain's `trace_flush` writes out at once what was recorded by then,
/// kernel's and domains', and the end of the run the rest: every record
/// once, none lost.
#[test]
fn a_flush_on_demand_writes_out_what_is_recorded_by_then() {
    let root = xtask::workspace_root();
    let out = xtask::workspace_root().join("target/test-traces/trace-flush");
    let manifest = root.join("tests/manifests/trace-flush.toml");
    let run = run_traced(&root, &manifest, &out, None).expect("the traced run");
    let stats: Vec<StatsLine> = run.console.lines().filter_map(StatsLine::parse).collect();
    let flusher = stats.iter().find(|line| line.domain == "flusher");
    check(
        &run,
        flusher.is_some_and(|line| line.state == "exited(0)"),
        "the first flush wrote records, the second only the few made in between",
    );
    let demanded = run.console.lines().filter(|l| l.contains("records out on demand of flusher"));
    check(&run, demanded.count() == 2, "the kernel reports both flushes");
    let bytes = std::fs::read(out.join(vesper_abi::trace::FILE_NAME)).unwrap();
    let sections = sections(&bytes);
    let kernel: Vec<_> = sections.iter().filter(|s| s.0 == vesper_abi::trace::KERNEL).collect();
    check(
        &run,
        kernel.len() >= 2,
        &format!("kernel sections at the flush and the end: {sections:?}"),
    );
    let (flushed, last) = (kernel[0], kernel[kernel.len() - 1]);
    check(&run, flushed.2 < last.1, "the flush took the records made before it, the end the rest");
    let thread_domain = sections.iter().filter(|s| s.0 == 1).count();
    check(&run, thread_domain == 2, "the thread domain's ring went out at the flush and the end");
    check(&run, run.recorded.kernel.lost == 0, "nothing lost");
    let records = &run.recorded.kernel.records;
    let (before, after) = records.split_at(flushed.3 as usize);
    check(&run, before.iter().all(|r| !after.contains(r)), "no record goes out twice");
}
