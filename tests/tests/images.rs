//! Images built from manifests boot and run their domains.

use std::path::Path;
use vesper_tests::{boot, manifest_image};

#[test]
fn demo_runs_its_domains_until_run_for() {
    let kernel = manifest_image(Path::new("images/demo.toml"));
    let run = boot(&kernel.flat);
    run.assert_exit(0)
        .assert_contains("[hello] hello from hello at ")
        .assert_contains("[sleeper] woke 10 times every 20 ms")
        .assert_contains("[uart] uart: serving 1 clients; input goes to shell")
        .assert_lacks("faulted")
        .assert_lacks("EXCEPTION")
        .assert_lacks("PANIC");
    // The kernel prints on the mini UART; the shell, through the UART
    // driver, on the PL011.
    run.check(
        run.device_serial().contains("[shell] shell: ready; type help"),
        "the shell greets on the PL011",
    );
}

#[test]
fn one_program_runs_relocated_in_two_slots() {
    let kernel = manifest_image(Path::new("tests/manifests/two-hellos.toml"));
    boot(&kernel.flat)
        .assert_exit(0)
        .assert_contains("[first] hello from first at ")
        .assert_contains("[second] hello from second at ")
        .assert_lacks("faulted")
        .assert_lacks("EXCEPTION");
}

#[test]
fn the_four_core_demo_runs_on_every_core() {
    let kernel = manifest_image(Path::new("images/four-cores.toml"));
    let run = boot(&kernel.flat);
    run.assert_exit(0).assert_lacks("PANIC").assert_lacks("EXCEPTION");
    for core in 1..4 {
        run.assert_contains(&format!("INFO  core {core} up"));
    }
    // Core 0 to core 1 and back, 2000 times.
    run.assert_contains("[ping] ping: 2000 round trips, 0 wrong replies");
    run.assert_contains("[pong] pong: served 2000 requests");
    // The system timer's interrupt, routed to core 2.
    run.assert_contains(vesper_tests::SYSTIMER_DRIVER_DONE);
    // The task set under EDF on core 3 meets every deadline.
    for thread in ["t1", "t2"] {
        let line = run.domain_line("tasks", &format!("job domain=tasks thread={thread} "));
        run.check(line.contains(" misses=0 "), &format!("{thread}: {line}"));
    }
    // A reserved domain with no extra time gets its share of the 600 ms.
    let spin1 = run.stats("spin1").cpu_ns;
    run.check(spin1.abs_diff(300_000_000) <= 6_000_000, &format!("spin1 got {spin1} ns"));
}
