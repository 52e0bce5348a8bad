//! The simulator's schedule written out (`cargo xtask sim --trace`): the
//! trace-event JSON loads and adds up to the CPU time each domain got, the
//! SVG parses and its bars are as long as the time they stand for, the
//! CSV has a line per job, and two runs write the same bytes.

use std::path::Path;
use vesper_builder::Manifest;
use vesper_schedulers::{PolicyConfig, PolicyKind};
use vesper_sim::image::{simulate_image, ImageResult};
use vesper_sim::trace::{gantt_svg, jobs_csv, trace_json};

/// A domain of two periodic threads beside a spinning one, with slack.
const MANIFEST: &str = r#"
[image]
run-for = "100ms"

[[domain]]
name = "w"
program = "periodic"
period = "10ms"
slice = "5ms"
scheduler = "edf"
threads = [
  { name = "t1", period = "20ms", work = "4ms", deadline = "8ms" },
  { name = "t2", period = "40ms", work = "10ms" },
]

[[domain]]
name = "spin"
program = "spin"
period = "10ms"
slice = "3ms"
extra = true
"#;

fn simulated() -> ImageResult {
    let manifest = Manifest::parse_any_program(MANIFEST, Path::new("images/trace.toml")).unwrap();
    let config = PolicyConfig { quantum_ns: 1_000_000, seed: 1 };
    simulate_image(&manifest, Some(PolicyKind::Edf), config, 100_000_000).unwrap()
}

#[test]
fn the_trace_loads_and_adds_up_to_each_domains_cpu_time() {
    let result = simulated();
    let json: serde_json::Value = serde_json::from_str(&trace_json(&result)).unwrap();
    let events = json["traceEvents"].as_array().unwrap();
    for (index, (name, time)) in result.domains.iter().enumerate() {
        let pid = index as u64 + 1;
        let named = events.iter().any(|e| {
            e["ph"] == "M" && e["pid"] == pid && e["args"]["name"] == format!("domain {name}")
        });
        assert!(named, "domain {name} has its process");
        let cpu_us: f64 = events
            .iter()
            .filter(|e| e["ph"] == "X" && e["cat"] == "domain" && e["pid"] == pid)
            .map(|e| e["dur"].as_f64().unwrap())
            .sum();
        let traced = (cpu_us * 1000.0).round() as u64;
        // The stats line counts what Atropos charged at its last decision
        // (as the kernel's report does): the stretch of the domain that
        // holds the CPU when the run ends is in the trace only, and it is
        // shorter than a period (a period's end is a decision).
        let last = result.spans.last().unwrap();
        if last.domain == index && last.end_ns == 100_000_000 {
            assert!(traced >= time.time.cpu_ns && traced - time.time.cpu_ns < 10_000_000);
        } else {
            assert_eq!(traced, time.time.cpu_ns, "domain {name}: the trace against the stats line");
        }
    }
    let extra = events.iter().any(|e| e["name"] == "extra" && e["pid"] == 2);
    assert!(extra, "spin runs in slack time too");
    let threads = &result.threads[0];
    let releases = events.iter().filter(|e| e["name"] == "release").count();
    assert_eq!(releases, threads.rows.len(), "a release per job");
    let runs: f64 = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] == "thread")
        .map(|e| e["dur"].as_f64().unwrap())
        .sum();
    let traced: u64 = threads.trace.iter().map(|s| s.end_ns - s.start_ns).sum();
    assert_eq!((runs * 1000.0).round() as u64, traced, "every thread span is in the trace");
}

#[test]
fn the_gantt_chart_parses_and_its_bars_measure_the_time() {
    let result = simulated();
    let (from, to) = (20_000_000, 60_000_000);
    let svg = gantt_svg(&result, from, to);
    let document = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let width_of = |class: &str| -> f64 {
        document
            .descendants()
            .filter(|n| n.has_tag_name("rect") && n.attribute("class") == Some(class))
            .map(|n| n.attribute("width").unwrap().parse::<f64>().unwrap())
            .sum()
    };
    // The chart is 1000 pixels for 40 ms: 25 pixels per millisecond.
    let clipped = |start: u64, end: u64| end.min(to).saturating_sub(start.max(from));
    let domain_ns: u64 = result.spans.iter().map(|s| clipped(s.start_ns, s.end_ns)).sum();
    let domain_px = width_of("guaranteed") + width_of("extra");
    assert!(
        (domain_px - domain_ns as f64 / 40_000.0).abs() < 0.01,
        "{domain_px} px, {domain_ns} ns"
    );
    let thread_ns: u64 =
        result.threads[0].trace.iter().map(|s| clipped(s.start_ns, s.end_ns)).sum();
    assert!((width_of("run") - thread_ns as f64 / 40_000.0).abs() < 0.01);
    let releases =
        document.descendants().filter(|n| n.attribute("class") == Some("release")).count();
    let in_window =
        result.threads[0].rows.iter().filter(|r| (from..=to).contains(&r.release_ns)).count();
    assert_eq!(releases, in_window);
}

#[test]
fn the_jobs_csv_has_a_line_per_job_and_runs_repeat_byte_for_byte() {
    let result = simulated();
    let csv = jobs_csv(&result);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "domain,thread,job,release_ns,start_ns,finish_ns,deadline_ns,response_ns,lateness_ns,missed");
    assert_eq!(lines.len(), result.threads[0].rows.len() + 1);
    assert!(lines[1].starts_with("w,t1,0,0,"), "{}", lines[1]);
    let again = simulated();
    assert_eq!(trace_json(&result), trace_json(&again));
    assert_eq!(gantt_svg(&result, 0, 100_000_000), gantt_svg(&again, 0, 100_000_000));
    assert_eq!(csv, jobs_csv(&again));
}

/// Three spinning domains on two cores, one taking core 1's slack.
const TWO_CORES: &str = r#"
[image]
run-for = "50ms"

[[domain]]
name = "a"
program = "spin"
period = "10ms"
slice = "4ms"

[[domain]]
name = "b"
program = "spin"
period = "5ms"
slice = "1ms"
core = 1

[[domain]]
name = "c"
program = "spin"
period = "10ms"
slice = "2ms"
extra = true
core = 1
"#;

#[test]
fn a_run_on_two_cores_is_drawn_core_by_core() {
    let manifest = Manifest::parse_any_program(TWO_CORES, Path::new("images/two.toml")).unwrap();
    let config = PolicyConfig { quantum_ns: 1_000_000, seed: 1 };
    let result = simulate_image(&manifest, None, config, 50_000_000).unwrap();
    for (index, domain) in manifest.domains.iter().enumerate() {
        let spans = result.spans.iter().filter(|s| s.domain == index);
        assert!(
            spans.clone().all(|s| s.core == domain.core),
            "{} on core {}",
            domain.name,
            domain.core
        );
    }
    let svg = gantt_svg(&result, 0, 50_000_000);
    let document = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let labels: Vec<&str> = document.descendants().filter_map(|n| n.text()).collect();
    for label in ["core 0", "core 1", "a (core 0)", "b (core 1)", "c (core 1)"] {
        assert!(labels.contains(&label), "{label} in {labels:?}");
    }
    // The cores' rows hold what the domains' rows hold, coloured by domain.
    let width = |class: &str| -> f64 {
        document
            .descendants()
            .filter(|n| n.has_tag_name("rect") && n.attribute("class") == Some(class))
            .map(|n| n.attribute("width").unwrap().parse::<f64>().unwrap())
            .sum()
    };
    let domains_px = width("guaranteed") + width("extra");
    let cores_px = width("domain-0") + width("domain-1") + width("domain-2");
    assert!((domains_px - cores_px).abs() < 0.01, "{domains_px} against {cores_px}");
    // Core 1 is never idle: b's and c's bars fill its 1000 pixels.
    assert!((width("domain-1") + width("domain-2") - 1000.0).abs() < 0.01);
    let json: serde_json::Value = serde_json::from_str(&trace_json(&result)).unwrap();
    let events = json["traceEvents"].as_array().unwrap();
    let on_core = |core: u64| -> f64 {
        let slices = events.iter().filter(|e| e["cat"] == "core" && e["tid"] == core);
        slices.map(|e| e["dur"].as_f64().unwrap()).sum()
    };
    assert!((on_core(1) - 50_000.0).abs() < 0.001, "core 1 busy for the whole run");
    assert!((on_core(0) - 20_000.0).abs() < 0.001, "core 0 holds a's 4 ms of every 10");
}
