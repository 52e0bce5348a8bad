//! User-level schedulers in QEMU against the simulator: one task set
//! (tests/manifests/task-set.toml: two periodic threads needing 0.9 of their
//! domain's 5 ms / 10 ms share) booted under every policy. The simulator
//! (`cargo xtask sim`) models the domain's reservation without overheads,
//! so the comparison is of outcomes: who misses, and response times within
//! a few percent.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use vesper_schedulers::JobLine;
use vesper_tests::{boot, manifest_image, Run};

const TASK_SET: &str = "tests/manifests/task-set.toml";

/// `thread -> (jobs, misses, resp_max_ns)`.
type Outcomes = HashMap<String, (u64, u64, u64)>;

/// The outcomes of the `job` lines among `lines` (one parser for QEMU's and
/// the simulator's: `JobLine::parse`).
fn outcomes<'a>(lines: impl Iterator<Item = &'a str>) -> Outcomes {
    lines
        .filter_map(JobLine::parse)
        .map(|job| (job.thread.to_string(), (job.jobs, job.misses, job.resp_max_ns)))
        .collect()
}

/// The task set with `scheduler` instead of its own, written under target/.
fn manifest_for(scheduler: &str) -> PathBuf {
    let root = xtask::workspace_root();
    let text = std::fs::read_to_string(root.join(TASK_SET)).expect("the task set");
    let dir = root.join("target").join("test-manifests");
    std::fs::create_dir_all(&dir).expect("target/test-manifests");
    let path = dir.join(format!("sched-{scheduler}.toml"));
    let text = text.replace("scheduler = \"edf\"", &format!("scheduler = {scheduler:?}"));
    std::fs::write(&path, text).expect("writing the manifest");
    path
}

/// Boots the task set under `scheduler`; returns the run, QEMU's and the
/// simulator's results.
fn compare(scheduler: &str) -> (Run, Outcomes, Outcomes) {
    let manifest = manifest_for(scheduler);
    let run = boot(manifest_image(&manifest).flat);
    run.assert_exit(0).assert_lacks("PANIC").assert_lacks("faulted");
    let args: Vec<String> = [manifest.to_str().unwrap(), "--scheduler", scheduler, "--summary"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let simulated = vesper_sim::run_cli(&args).expect("the simulator runs");
    let booted = outcomes(run.printed_by("w"));
    run.check(booted.len() == 2, "both threads reported");
    (run, booted, outcomes(simulated.lines()))
}

/// Boots under `scheduler` and checks QEMU against the simulator; returns
/// the run and what QEMU reported.
fn assert_outcomes_match(
    scheduler: &str,
    response_tolerance_percent: Option<u64>,
) -> (Run, Outcomes) {
    let (run, booted, simulated) = compare(scheduler);
    for thread in ["t1", "t2"] {
        let (Some(&(q_jobs, q_miss, q_resp)), Some(&(s_jobs, s_miss, s_resp))) =
            (booted.get(thread), simulated.get(thread))
        else {
            run.check(false, &format!("{scheduler}: {thread} missing in QEMU or the simulator"));
            continue;
        };
        run.check(
            q_jobs == s_jobs,
            &format!("{scheduler} {thread}: QEMU reports {q_jobs} jobs, the simulator {s_jobs}"),
        );
        run.check(
            (q_miss > 0) == (s_miss > 0),
            &format!("{scheduler} {thread}: QEMU misses {q_miss}, simulator {s_miss}"),
        );
        if let Some(percent) = response_tolerance_percent {
            run.check(
                q_resp.abs_diff(s_resp) <= s_resp * percent / 100,
                &format!("{scheduler} {thread}: response max {q_resp} vs simulated {s_resp}"),
            );
        }
    }
    (run, booted)
}

#[test]
fn edf_meets_every_deadline_at_ninety_percent_of_the_share() {
    let (run, booted) = assert_outcomes_match("edf", Some(5));
    run.check(booted.values().all(|&(_, misses, _)| misses == 0), "EDF: no misses");
}

#[test]
fn round_robin_fails_where_the_simulator_says_it_fails() {
    let (run, booted) = assert_outcomes_match("round-robin", Some(5));
    run.check(booted["t1"].1 > 0, "round-robin: t1 misses its short deadline");
}

#[test]
fn stride_and_fifo_match_the_simulator() {
    assert_outcomes_match("stride", Some(5));
    assert_outcomes_match("fifo", Some(5));
}

#[test]
fn lottery_misses_where_the_simulator_misses() {
    // The draws depend on exact quantum boundaries, so only outcomes compare.
    assert_outcomes_match("lottery", None);
}

#[test]
fn the_domain_reports_the_policy_it_ran() {
    let run = boot(manifest_image(Path::new(TASK_SET)).flat);
    run.assert_exit(0).assert_contains("[w] job domain=w thread=t1 scheduler=edf jobs=");
}
