//! Supervision: the kernel tells a supervisor when a domain it supervises
//! stops and restarts it on request (`domain_restart`); the `supervisor`
//! domain applies its policy; clients of a driver that died get errors and
//! never hang (see docs/capabilities-and-events.md and docs/drivers.md).

use std::path::Path;
use vesper_tests::{boot_manifest, Run};

fn run(manifest: &str) -> Run {
    let run = boot_manifest(Path::new(manifest));
    run.assert_exit(0).assert_lacks("PANIC");
    run
}

/// The restart counts the kernel logged for `domain`, in order.
fn restarts(run: &Run, domain: &str) -> Vec<u64> {
    let prefix = format!("domain {domain} restarted by domain supervisor (restart ");
    run.kernel_lines()
        .filter_map(|line| line.split_once(prefix.as_str()))
        .filter_map(|(_, rest)| rest.trim_end_matches(')').parse().ok())
        .collect()
}

/// How many times the kernel logged that `domain` faulted.
fn faults(run: &Run, domain: &str) -> usize {
    let prefix = format!("domain {domain} faulted: ");
    run.kernel_lines().filter(|line| line.contains(prefix.as_str())).count()
}

/// Checks that `actual` is within `percent`% of `expected`.
fn assert_near(run: &Run, what: &str, actual: u64, expected: u64, percent: u64) {
    run.check(
        actual.abs_diff(expected) <= expected * percent / 100,
        &format!("{what}: {actual} is not within {percent}% of {expected}"),
    );
}

#[test]
fn a_restarted_domain_starts_from_its_initial_memory() {
    let run = run("tests/manifests/supervision.toml");
    let first = run.domain_line("fresh", "restart-checksum: life 0 checksum ");
    let scribbled = run.domain_line("fresh", "restart-checksum: life 0 scribbled ");
    let second = run.domain_line("fresh", "restart-checksum: life 1 checksum ");
    run.check(scribbled != first, "the first life changed its data and bss before faulting");
    run.check(second == first, "the second life starts with the data and bss of the image");
    run.check(restarts(&run, "fresh") == [1], "restarted once, by its supervisor");
    run.check(run.stats("fresh").state == "exited(0)", "the second life ran to its end");
    run.assert_contains("[supervisor] supervisor: fresh ended");
}

#[test]
fn a_domain_that_fails_in_every_life_is_restarted_up_to_the_limit() {
    let run = run("tests/manifests/supervision.toml");
    // `victim` faults 50 ms into each life; restart-limit is 2.
    run.check(restarts(&run, "victim") == [1, 2], "restarted twice");
    run.check(faults(&run, "victim") == 3, "three lives, three faults");
    run.assert_contains("[supervisor] supervisor: victim: 3 failures within 1000 ms; giving up");
    run.check(run.stats("victim").state == "faulted", "left stopped");
    assert_near(&run, "steady's share", run.stats("steady").cpu_ns, 220_000_000 * 3 / 10, 1);
}

#[test]
fn a_domain_without_the_supervisor_right_can_neither_restart_nor_observe() {
    let run = run("tests/manifests/supervision.toml");
    let said = |what: &str| run.domain_line("meddler", &format!("restart-misuse: {what}"));
    run.check(said("restart self: ") == "Err(MissingRight)", "its own capability lacks RESTART");
    for forged in ["0x114", "0x703", "0xffffffffffffffff"] {
        run.check(said(&format!("restart {forged}: ")) == "Err(BadCapability)", forged);
        run.check(said(&format!("info {forged}: ")) == "Err(BadCapability)", forged);
    }
    run.check(said("supervision slot ") == "0xffffffffffffffff", "no supervision slot");
    run.check(said("events ") == "0", "another domain's fault brought it no event");
    run.check(restarts(&run, "meddler").is_empty(), "nobody restarted it");
}

#[test]
fn a_console_driver_that_faults_mid_line_is_restarted_and_its_client_carries_on() {
    let run = run("tests/manifests/uart-restart.toml");
    run.check(faults(&run, "uart") == 1, "the driver faulted once, in the middle of a line");
    run.check(restarts(&run, "uart") == [1], "and was restarted once");
    let reports: Vec<&str> = run.printed_by("writer").collect();
    let failed: Vec<&&str> =
        reports.iter().filter(|line| line.starts_with("console-retry: write failed: ")).collect();
    run.check(
        failed.first().is_some_and(|line| line.ends_with("PeerStopped")),
        "the write in flight while the driver was down got an error",
    );
    run.check(
        failed.last().is_some_and(|line| line.ends_with("PeerRestarted")),
        "the first write after the restart was told of it",
    );
    run.check(
        reports.iter().any(|line| line.starts_with("console-retry: write ok at try ")),
        "the retry succeeded",
    );
    let printed: Vec<&str> =
        run.device_serial().lines().filter_map(|line| line.strip_prefix("[writer] ")).collect();
    run.check(
        printed
            == [
                "line 1",
                "line 2",
                "line 3",
                "after the fault",
                "printed after the restart",
                "last line",
            ],
        &format!("the PL011 shows the lines before the fault and after the restart: {printed:?}"),
    );
    run.check(run.stats("uart").state == "running", "the restarted driver serves on");
    run.check(run.stats("writer").state == "exited(0)", "the client finished");
    // The reader was blocked waiting for input when the driver died.
    let woke =
        run.domain_line("reader", "console-blocked: read returned Some(Err(PeerStopped)) at ");
    let woke_ns: u64 = woke.trim_end_matches(" ns").parse().unwrap_or(u64::MAX);
    let fault_ns = run
        .kernel_lines()
        .find(|line| line.contains("domain uart faulted: "))
        .and_then(|line| line.trim_start_matches('[').split(']').next())
        .and_then(|seconds| seconds.trim().parse::<f64>().ok())
        .map_or(0, |seconds| (seconds * 1e9) as u64);
    run.check(
        woke_ns >= fault_ns && woke_ns - fault_ns <= 4_000_000,
        &format!(
            "the blocked reader woke within its period: fault {fault_ns} ns, woke {woke_ns} ns"
        ),
    );
}

#[test]
fn clients_of_a_driver_that_never_stays_up_get_errors_and_others_keep_their_shares() {
    let run = run("tests/manifests/uart-crashing.toml");
    run.check(restarts(&run, "uart") == [1, 2, 3], "restarted up to the limit (3)");
    run.check(faults(&run, "uart") == 4, "four lives, four faults");
    run.assert_contains("[supervisor] supervisor: uart: 4 failures within 1000 ms; giving up");
    run.check(run.stats("uart").state == "faulted", "left stopped");
    let outcomes: Vec<&str> = run
        .printed_by("client")
        .filter_map(|line| line.strip_prefix("console-errors: write "))
        .collect();
    run.check(outcomes.len() == 12, "the client made every write");
    run.check(
        outcomes.iter().all(|outcome| outcome.ends_with("failed: PeerStopped")),
        &format!("every write got an error: {outcomes:?}"),
    );
    run.check(run.stats("client").state == "exited(0)", "the client never hung");
    let run_ns = 200_000_000;
    assert_near(&run, "a's share", run.stats("a").cpu_ns, run_ns * 3 / 10, 1);
    assert_near(&run, "b's share", run.stats("b").cpu_ns, run_ns / 5, 1);
}

#[test]
fn the_manifest_says_when_the_faulty_driver_faults() {
    let run = run("tests/manifests/uart-fault-after-2.toml");
    run.check(faults(&run, "uart") == 1 && restarts(&run, "uart") == [1], "one fault, one restart");
    let printed: Vec<&str> =
        run.device_serial().lines().filter_map(|line| line.strip_prefix("[writer] ")).collect();
    run.check(
        printed.starts_with(&["line 1", "line 2"]) && !printed.contains(&"line 3"),
        &format!("two chunks served, the third lost with the driver: {printed:?}"),
    );
    run.check(printed.ends_with(&["last line"]), "and the writer's last line after the restart");
}
