//! The simulator runs the kernel's own Atropos and the domains' own
//! schedulers: a whole image simulated (`cargo xtask sim MANIFEST`) gives
//! each domain the CPU time the kernel reports when the same image boots in
//! QEMU, within 1%.

use std::collections::HashMap;
use std::path::Path;
use vesper_abi::console::StatsLine;
use vesper_tests::{boot, manifest_image};

/// `domain -> cpu_ns` of the `stats` lines among `lines`.
fn cpu_times<'a>(lines: impl Iterator<Item = &'a str>) -> HashMap<String, u64> {
    lines.filter_map(StatsLine::parse).map(|line| (line.domain.to_string(), line.cpu_ns)).collect()
}

fn simulated_like_booted(manifest: &str, run_ns: u64) {
    let run = boot(manifest_image(Path::new(manifest)).flat);
    run.assert_exit(0);
    let booted = cpu_times(run.kernel_lines());
    let path = xtask::workspace_root().join(manifest);
    let args = [path.to_str().unwrap().to_string(), "--summary".to_string()];
    let output = vesper_sim::run_cli(&args).expect("the simulator runs");
    let simulated = cpu_times(output.lines());
    run.check(booted.len() == simulated.len(), &format!("{manifest}: {simulated:?}"));
    for (domain, &qemu) in &booted {
        let sim = simulated.get(domain).copied().unwrap_or(u64::MAX);
        // Within 1% of what the kernel counted, or of the run for a domain
        // that hardly ran (a sleeper's wake-ups take microseconds on QEMU
        // and nothing in the simulator).
        let tolerance = if qemu >= run_ns / 100 { qemu / 100 } else { run_ns / 100 };
        run.check(
            qemu.abs_diff(sim) <= tolerance,
            &format!("{manifest}: {domain} got {qemu} ns in QEMU, {sim} ns simulated"),
        );
    }
}

#[test]
fn reservations_are_simulated_as_the_kernel_serves_them() {
    simulated_like_booted("tests/manifests/shares.toml", 500_000_000);
}

#[test]
fn slack_is_simulated_as_the_kernel_passes_it_on() {
    simulated_like_booted("tests/manifests/slack.toml", 300_000_000);
}

#[test]
fn unblocking_is_simulated_as_the_kernel_does_it() {
    simulated_like_booted("tests/manifests/latency.toml", 300_000_000);
}

#[test]
fn a_thread_domain_is_simulated_as_the_board_runs_it() {
    // `periodic` under EDF: its user-level scheduler, its report and its
    // exit, all as on the board.
    simulated_like_booted("tests/manifests/task-set.toml", 400_000_000);
}

#[test]
fn each_core_s_atropos_gives_the_domains_placed_on_it_their_shares() {
    let path = xtask::workspace_root().join("images/cores.toml");
    let args = [path.to_str().unwrap().to_string(), "--summary".to_string()];
    let output = vesper_sim::run_cli(&args).expect("the simulator runs");
    let times = cpu_times(output.lines());
    let run_ns = 200_000_000u64;
    for (core, share) in [(0, 0.2), (1, 0.3), (2, 0.45), (3, 0.8)] {
        let reserved = times[&format!("a{core}")];
        let expected = (run_ns as f64 * share) as u64;
        assert!(reserved.abs_diff(expected) <= run_ns / 100, "a{core}: {reserved} ns\n{output}");
        // The core's slack goes to its domain with `extra`: together they
        // keep the core busy.
        let slack = times[&format!("x{core}")];
        let busy = reserved + slack;
        assert!(busy.abs_diff(run_ns) <= run_ns / 100, "core {core}: busy {busy} ns\n{output}");
    }
}
