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
