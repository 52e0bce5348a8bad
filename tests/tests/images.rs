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
fn domains_placed_on_other_cores_are_refused_by_name_and_core_0_runs_on() {
    let kernel = manifest_image(Path::new("images/cores.toml"));
    let run = boot(&kernel.flat);
    run.assert_exit(0);
    for (domain, core) in [("a1", 1), ("x1", 1), ("a2", 2), ("x2", 2), ("a3", 3), ("x3", 3)] {
        run.assert_contains(&format!(
            "domain {domain}: not started: it is placed on core {core}; this kernel runs domains \
             on core 0 only"
        ));
    }
    // Core 0's domains get their shares of the 200 ms run, as the
    // simulator's core 0 does.
    let a0 = run.stats("a0").cpu_ns;
    run.check(a0.abs_diff(40_000_000) <= 2_000_000, &format!("a0 got {a0} ns"));
    let busy = a0 + run.stats("x0").cpu_ns;
    run.check(busy.abs_diff(200_000_000) <= 2_000_000, &format!("core 0 busy {busy} ns"));
}
