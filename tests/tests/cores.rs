//! All four cores: each core's Atropos gives the domains placed on it their
//! shares; events cross cores through the mailbox interrupt; a peripheral's
//! interrupt reaches a driver on the core it is routed to; a revoked loan
//! is gone on the borrower's core; a hostile domain moves no core's shares;
//! and a four-core run is deterministic.

use std::collections::HashMap;
use std::path::Path;
use vesper_abi::console::StatsLine;
use vesper_tests::{boot, manifest_image, Run};

fn run(manifest: &str) -> Run {
    let run = boot(manifest_image(Path::new(manifest)).flat);
    run.assert_exit(0).assert_lacks("EXCEPTION").assert_lacks("PANIC");
    run
}

/// `domain -> cpu_ns` of the `stats` lines among `lines`.
fn cpu_times<'a>(lines: impl Iterator<Item = &'a str>) -> HashMap<String, u64> {
    lines.filter_map(StatsLine::parse).map(|line| (line.domain.to_string(), line.cpu_ns)).collect()
}

/// Fails unless `actual` is within 1% of the run (`run_ns`) of `expected`.
fn within_1pc_of_the_run(run: &Run, what: &str, actual: u64, expected: u64, run_ns: u64) {
    run.check(
        actual.abs_diff(expected) <= run_ns / 100,
        &format!("{what}: {actual} ns, expected {expected} ns (within {} ns)", run_ns / 100),
    );
}

#[test]
fn every_core_gives_each_of_its_domains_its_share() {
    let manifest = "tests/manifests/cores-shares.toml";
    let run = run(manifest);
    let run_ns = 300_000_000;
    for core in 1..4 {
        run.assert_contains(&format!("INFO  core {core} up"));
    }
    // The reserved domains: slice over period of the run.
    for (domain, slice, period) in [("a0", 3, 10), ("a1", 1, 5), ("a2", 12, 20), ("a3", 2, 8)] {
        let stats = run.stats(domain);
        within_1pc_of_the_run(&run, domain, stats.cpu_ns, run_ns * slice / period, run_ns);
        run.check(stats.extra_ns == 0, &format!("{domain} has no extra time"));
    }
    // Every domain, those with `extra` included: as the simulator runs
    // each core's Atropos.
    let path = xtask::workspace_root().join(manifest);
    let args = [path.to_str().unwrap().to_string(), "--summary".to_string()];
    let output = vesper_sim::run_cli(&args).expect("the simulator runs");
    let simulated = cpu_times(output.lines());
    let booted = cpu_times(run.kernel_lines());
    run.check(booted.len() == 8 && simulated.len() == 8, &format!("{simulated:?}"));
    for (domain, &qemu) in &booted {
        let sim = simulated.get(domain).copied().unwrap_or(u64::MAX);
        within_1pc_of_the_run(&run, &format!("{domain} against the simulator"), qemu, sim, run_ns);
    }
    // Each core is kept busy: its reserved domain and its slack taker
    // together hold it for the whole run.
    for core in 0..4 {
        let busy = booted[&format!("a{core}")] + booted[&format!("x{core}")];
        within_1pc_of_the_run(&run, &format!("core {core} busy"), busy, run_ns, run_ns);
    }
}

#[test]
fn ping_pong_across_cores_makes_every_round_trip_with_correct_data() {
    run("tests/manifests/cores-pingpong.toml").assert_ping_pong_completed();
}

#[test]
fn a_run_without_run_for_ends_only_after_the_last_round_trip_across_cores() {
    run("tests/manifests/cores-pingpong-to-the-end.toml")
        .assert_ping_pong_completed()
        .assert_contains("INFO  no domain can run any more");
}

#[test]
fn the_system_timer_interrupt_reaches_a_driver_on_core_2() {
    let run = run("tests/manifests/cores-systimer.toml");
    run.assert_contains(vesper_tests::SYSTIMER_DRIVER_DONE);
    run.check(run.stats("driver").blocks >= 50, "the driver blocks between interrupts");
    for domain in ["spin0", "spin2"] {
        run.check(run.stats(domain).state == "running", &format!("{domain} runs on"));
    }
}

#[test]
fn a_loan_revoked_on_core_0_is_gone_for_the_borrower_on_core_1() {
    let run = run("tests/manifests/cores-capabilities.toml");
    run.assert_contains("[misuse] misuse: 22 of 22 checks as expected");
    run.assert_contains(
        "[peer] peer: loan of lend (4096 bytes, rights 0x41): 64 of 64 words intact",
    );
    run.assert_contains("[misuse] misuse revoke: Ok(1)");
    run.assert_contains("[peer] peer: loan after revoke: gone");
    run.assert_contains("ERROR domain peer faulted: data abort");
    run.assert_lacks("must not happen");
    run.check(run.stats("peer").state == "faulted", "the borrower was stopped");
    run.check(run.stats("misuse").state == "exited(0)", "the lender finished");
}

#[test]
fn a_hostile_domain_on_core_1_moves_no_core_s_shares() {
    let run = run("tests/manifests/cores-hostile.toml");
    let run_ns = 2_000_000_000;
    let summary = run.domain_line("fuzzer", "fuzzer: 20000 calls: ");
    run.check(!summary.contains(" 0 bad capability,"), &format!("the fuzzer worked: {summary}"));
    run.check(run.stats("fuzzer").state == "exited(0)", "the fuzzer finished its calls");
    run.assert_contains("[keeper] keeper: memory intact (vault included) after ");
    for (domain, slice, period) in
        [("beside", 4, 10), ("steady", 2, 10), ("steady2", 4, 10), ("steady3", 3, 5)]
    {
        let stats = run.stats(domain);
        within_1pc_of_the_run(&run, domain, stats.cpu_ns, run_ns * slice / period, run_ns);
    }
    run.assert_lacks("faulted");
}

#[test]
fn two_four_core_boots_print_the_same_bytes() {
    let kernel = manifest_image(Path::new("tests/manifests/cores-pingpong.toml")).flat;
    let first = boot(&kernel);
    let second = boot(&kernel);
    first.assert_exit(0);
    first.check(first.serial() == second.serial(), "a second boot printed something else");
}
