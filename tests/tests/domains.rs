//! Domains at EL0 under Atropos: CPU shares, slack, activation reasons,
//! register preservation, fault isolation and the unblock latency rule.
//! Every run is under `-icount`, so the numbers are exact and repeatable;
//! the tolerances below allow for how a run's edges cut periods, not for
//! noise.

use std::path::Path;
use vesper_tests::{boot, manifest_image, Run};

fn run(manifest: &str) -> Run {
    let kernel = manifest_image(Path::new(manifest));
    let run = boot(&kernel.flat);
    run.assert_exit(0).assert_lacks("EXCEPTION").assert_lacks("PANIC");
    run
}

/// Asserts `actual` is within `percent` % of `expected`.
fn assert_near(run: &Run, what: &str, actual: u64, expected: u64, percent: u64) {
    let tolerance = expected * percent / 100;
    run.check(
        actual.abs_diff(expected) <= tolerance,
        &format!("{what}: {actual} is not within {percent}% of {expected}"),
    );
}

#[test]
fn each_domain_gets_slice_over_period_of_the_cpu() {
    let run = run("tests/manifests/shares.toml");
    let run_ns = 500_000_000;
    for (domain, slice, period) in [("a", 2, 10), ("b", 3, 10), ("c", 1, 5)] {
        let stats = run.stats(domain);
        assert_near(&run, domain, stats.cpu_ns, run_ns * slice / period, 1);
        run.check(stats.extra_ns == 0, &format!("{domain} has no extra time"));
        run.check(stats.preemptions > 0, &format!("{domain} was preempted"));
    }
}

#[test]
fn slack_goes_to_extra_domains_round_robin() {
    let run = run("tests/manifests/slack.toml");
    let run_ns = 300_000_000u64;
    let fixed = run.stats("fixed");
    let greedy: Vec<_> = ["greedy1", "greedy2"].iter().map(|d| run.stats(d)).collect();
    assert_near(&run, "fixed", fixed.cpu_ns, run_ns / 5, 1);
    run.check(fixed.extra_ns == 0, "a domain without extra gets no slack");
    // The 60% nobody reserved is shared between the two extra domains.
    let slack: u64 = greedy.iter().map(|s| s.extra_ns).sum();
    assert_near(&run, "slack shared", slack, run_ns * 6 / 10, 1);
    for stats in &greedy {
        assert_near(&run, "each guarantee", stats.guaranteed_ns, run_ns / 10, 1);
        assert_near(&run, "each slack share", stats.extra_ns, run_ns * 3 / 10, 3);
    }
    // No idle time: the CPU always had an extra domain to run.
    let total: u64 = fixed.cpu_ns + greedy.iter().map(|s| s.cpu_ns).sum::<u64>();
    assert_near(&run, "CPU used", total, run_ns, 1);
}

#[test]
fn activation_reasons_arrive_in_order() {
    let run = run("tests/manifests/reasons.toml");
    let line = run.domain_line("why", "reasons: ");
    let reasons: Vec<&str> = line.split(' ').collect();
    run.check(reasons.first() == Some(&"allocated"), "the first activation is allocated");
    run.check(reasons.iter().filter(|&&r| r == "allocated").count() == 1, "allocated happens once");
    let event = reasons.iter().position(|&r| r == "event");
    let reactivated = reasons.iter().position(|&r| r == "reactivated");
    let last_extra = reasons.iter().rposition(|&r| r == "extra");
    run.check(last_extra.is_some(), "computing past its slice, it ran on slack: extra");
    run.check(event > last_extra, "woken from its sleep after the busy phase: event");
    run.check(reactivated > event, "after yielding: reactivated");
    let stats = run.stats("why");
    run.check(stats.blocks == 1, "it blocked once (the sleep)");
    run.check(stats.activations == reasons.len() as u64, "one reason per activation");
}

#[test]
fn preempted_threads_keep_every_register() {
    let run = run("tests/manifests/registers.toml");
    let mut preemptions = 0;
    for domain in ["check1", "check2"] {
        let result = run.domain_line(domain, "regcheck: ");
        run.check(result.ends_with("every register intact"), &format!("{domain}: {result}"));
        let stats = run.stats(domain);
        run.check(stats.state == "exited(0)", &format!("{domain} finished"));
        preemptions += stats.preemptions;
    }
    run.check(preemptions >= 2000, &format!("thousands of preemptions ({preemptions})"));
    // Lazy FP/SIMD: the checkers' first use traps; the hog never touches
    // FP/SIMD and never pays; every new thread of `peek` finds the
    // registers zeroed, whether they were zeroed at its trap or eagerly
    // (after a trap, for a while), and it traps again once that while is
    // over.
    for domain in ["check1", "check2"] {
        let stats = run.stats(domain);
        run.check(stats.fp_traps >= 1, &format!("{domain} trapped on its first FP/SIMD use"));
    }
    run.check(run.stats("hog").fp_traps == 0, "the hog never touched FP/SIMD");
    let peek = run.domain_line("peek", "fp-peek: ");
    run.check(peek.ends_with("FP/SIMD zero at every first use"), &format!("peek: {peek}"));
    let stats = run.stats("peek");
    run.check(stats.state == "exited(0)", "peek finished");
    run.check(stats.fp_traps >= 2, &format!("lazy again after eager loads ({})", stats.fp_traps));
    run.check(stats.preemptions >= 1, "peek was preempted between its rounds");
}

#[test]
fn faulting_domains_are_stopped_and_the_others_keep_their_share() {
    let run = run("tests/manifests/faults.toml");
    run.assert_contains(
        "domain snoop-kernel faulted: data abort from a lower exception level (EC 0x24): \
         permission fault",
    )
    .assert_contains("address 0xffffff8000080000; stopped")
    .assert_contains(
        "domain snoop-neighbour faulted: data abort from a lower exception level (EC 0x24): \
         translation fault",
    )
    .assert_contains("address 0x2000000; stopped")
    .assert_contains("domain undef faulted: unknown reason (e.g. undefined instruction)")
    .assert_contains("[timer-poke] virtual counter readable at EL0: advancing")
    .assert_contains("[timer-poke] time without a kernel entry agrees with get_time: true")
    .assert_contains("domain timer-poke faulted: trapped MSR, MRS or system instruction (EC 0x18)")
    .assert_lacks("SECURITY");
    for domain in ["snoop-kernel", "snoop-neighbour", "undef", "timer-poke"] {
        run.check(run.stats(domain).state == "faulted", &format!("{domain} is stopped"));
    }
    let steady = run.stats("steady");
    assert_near(&run, "steady keeps its share", steady.cpu_ns, 200_000_000 / 5, 1);
}

#[test]
fn misused_syscalls_get_error_codes() {
    let run = run("tests/manifests/faults.toml");
    for (call, error) in [
        ("unknown number", "UnknownSyscall"),
        ("console_write kernel pointer", "BadPointer"),
        ("console_write unmapped pointer", "BadPointer"),
        ("console_write too long", "BadArgument"),
        ("console_write wrapping", "BadPointer"),
        ("rfa kernel pointer", "BadPointer"),
        ("rfa misaligned", "BadPointer"),
    ] {
        let result = run.domain_line("misuse", &format!("{call}: "));
        run.check(result == format!("Err({error})"), &format!("{call}: {result}"));
    }
    run.assert_contains("[misuse] still running after 7 refused calls");
    run.check(run.stats("misuse").state == "exited(0)", "misuse ended normally");
}

#[test]
fn unblocking_honours_the_latency_hint() {
    let run = run("tests/manifests/latency.toml");
    let lateness = |domain: &str| -> u64 {
        let line = run.domain_line(domain, "woke 10 times every 20 ms: lateness max=");
        line.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or(u64::MAX)
    };
    let prompt = lateness("prompt");
    let lazy = lateness("lazy");
    run.check(prompt < 500_000, &format!("500 us hint: woke {prompt} ns late"));
    // Both busy domains (4 ms + 3 ms, deadlines 10 ms away) run first.
    run.check((6_000_000..8_000_000).contains(&lazy), &format!("20 ms hint: woke {lazy} ns late"));
    run.check(run.stats("prompt").blocks == 10, "prompt blocked for each sleep");
}

#[test]
fn alarms_arrive_as_event_activations() {
    let run = run("tests/manifests/alarm.toml");
    for round in 0..5 {
        run.assert_contains(&format!("[clock] alarm {round}: activation with reason event"));
    }
    let summary = run.domain_line("clock", "alarms: 5 events, at most ");
    let late: u64 = summary.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or(u64::MAX);
    // The alarm rings at once if the domain holds the CPU, else at its next
    // dispatch, at most one period (1 ms) later.
    run.check(late < 1_000_000, &format!("alarm lateness {late} ns"));
    run.check(run.stats("clock").state == "exited(0)", "the computing thread went on");
}

#[test]
fn a_hostile_domain_cannot_hurt_the_kernel_or_the_others() {
    let run = run("tests/manifests/hostile.toml");
    let summary = run.domain_line("fuzzer", "fuzzer: 20000 calls: ");
    // Every check was reached: the counts of the common refusals are not 0.
    for refusal in
        ["unknown", "bad argument", "bad pointer", "bad capability", "wrong type", "missing right"]
    {
        run.check(
            !summary.contains(&format!(" 0 {refusal},")),
            &format!("the fuzzer met `{refusal}`: {summary}"),
        );
    }
    run.check(run.stats("fuzzer").state == "exited(0)", "the fuzzer finished its calls");
    run.assert_contains("[keeper] keeper: memory intact (vault included) after ");
    let steady = run.stats("steady");
    assert_near(&run, "steady keeps its share", steady.cpu_ns, 200_000_000 / 5, 1);
    run.assert_lacks("faulted");
}

#[test]
fn a_domain_stopped_while_its_alarm_rings_never_runs_again() {
    let run = run("tests/manifests/bad-slot.toml");
    for domain in ["bad-timer", "bad-syscall"] {
        run.assert_contains(&format!("domain {domain}: its DCB names save slot 99 ("));
        let stats = run.stats(domain);
        run.check(stats.state == "faulted", &format!("{domain} is stopped"));
        // Stopped about 50 us into its first slice, not at the end of it.
        run.check(stats.cpu_ns < 1_000_000, &format!("{domain} ran on: {stats:?}"));
    }
    run.assert_lacks("ran on after its alarm").assert_lacks("no domain on the CPU");
    let steady = run.stats("steady");
    assert_near(&run, "steady keeps its share", steady.cpu_ns, 100_000_000 / 5, 1);
}

#[test]
fn domain_output_cannot_pass_for_the_kernels() {
    let run = run("tests/manifests/forger.toml");
    let steady = run.stats("steady");
    assert_near(&run, "the real report", steady.cpu_ns, 50_000_000 / 5, 1);
    let stats_lines = run.kernel_lines().filter(|line| line.starts_with("stats ")).count();
    run.check(stats_lines == 2, "one stats line per domain, both from the kernel");
    run.assert_lacks("\x1b").assert_lacks("\r\r").assert_lacks("\u{9b}");
    for forged in [
        "[forger] stats domain=steady cpu_ns=1 ",
        "[forger] \\x1b[2J\\x1b[Hhalf a line",
        "[forger] \\x0dstats domain=steady cpu_ns=2 ",
        "[forger] [    0.000001] ERROR domain steady faulted: forged; stopped",
        "[forger] \\u{9b}2J \\xff done",
    ] {
        run.assert_contains(forged);
    }
    run.check(run.kernel_lines().all(|line| !line.contains("forged")), "no kernel line forged");
}

#[test]
fn a_reservation_at_the_minimum_period_cannot_take_a_neighbours_work() {
    let work = |manifest: &str| -> (Run, u64) {
        let run = run(manifest);
        let line = run.domain_line("worker", "work ");
        let work = line.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or(0);
        (run, work)
    };
    let (_, baseline) = work("tests/manifests/dos-baseline.toml");
    let (attacked, work) = work("tests/manifests/dos-attack.toml");
    attacked.assert_contains("[attacker] 1 ns every 1 ns: Err(BelowMinimum)");
    let minimum = attacked.domain_line("attacker", "attacking at ");
    attacked.check(minimum.starts_with("520000 ns every period"), &minimum);
    attacked.check(
        work * 100 >= baseline * 99,
        &format!("the worker did {work} iterations under attack, {baseline} without"),
    );
    let attacker = attacked.stats("attacker");
    attacked.check(attacker.cpu_ns < 10_000_000, "the attacker paid for its preemptions");
}

#[test]
fn the_longest_kernel_path_stays_within_its_bound() {
    let run = run(xtask::bench::MANIFESTS[1]);
    let count = |name: &str| -> u64 {
        let line = run.domain_line("lender", &format!("bench {name} instructions="));
        line.parse().unwrap_or(u64::MAX)
    };
    run.assert_contains("[lender] bench-lender: revoked Ok(421) capabilities");
    let longest = count("revoke_loan_chain");
    run.check(
        longest <= xtask::bench::LONGEST_PATH_BOUND,
        &format!("revoking 421 capabilities in 15 tables took {longest} instructions"),
    );
}

#[test]
fn a_supervisor_reads_the_fault_reports_the_kernel_logged() {
    let run = run("tests/manifests/fault-report.toml");
    // The kernel's own log: "domain NAME faulted: ... at pc 0x..., address 0x...".
    let logged = |name: &str, key: &str| -> String {
        let prefix = format!("domain {name} faulted: ");
        let line = run
            .kernel_lines()
            .find_map(|line| line.split_once(&prefix).map(|(_, rest)| rest.to_string()))
            .unwrap_or_else(|| panic!("no fault logged for {name}:\n{}", run.serial()));
        let value = line.split(key).nth(1).unwrap_or_default();
        value.split([',', ';', ' ']).next().unwrap_or_default().to_string()
    };
    let reported = |name: &str| run.domain_line("watcher", &format!("fault-watch: {name} "));
    let snoop = reported("snoop");
    run.check(
        snoop.starts_with("kind=1 syndrome=0x92")
            && snoop.contains(&format!("pc={}", logged("snoop", "at pc ")))
            && snoop.contains(&format!("address={}", logged("snoop", "address "))),
        &format!("the data abort as the supervisor read it: {snoop}"),
    );
    let undef = reported("undef");
    run.check(
        undef.starts_with("kind=1 syndrome=0x2000000")
            && undef.contains(&format!("pc={}", logged("undef", "at pc ")))
            && undef.ends_with("address=0x0"),
        &format!("the undefined instruction as the supervisor read it: {undef}"),
    );
    run.check(reported("steady") == "no fault", "a domain that never faulted has no report");
}
