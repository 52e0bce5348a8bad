//! Capabilities, events, IPC and interrupts delivered as events: ping-pong
//! through a shared region, a driver taking the system timer's interrupt,
//! every capability misuse refused, and a region lent and revoked.

use std::path::Path;
use vesper_tests::{boot, manifest_image, Run};

fn run(manifest: &str) -> Run {
    let kernel = manifest_image(Path::new(manifest));
    let run = boot(&kernel.flat);
    run.assert_exit(0).assert_lacks("EXCEPTION").assert_lacks("PANIC");
    run
}

#[test]
fn ping_pong_makes_many_round_trips_with_correct_data() {
    run("tests/manifests/pingpong.toml").assert_ping_pong_completed();
}

#[test]
fn a_driver_gets_each_system_timer_interrupt_once_and_acknowledges_it() {
    let run = run("tests/manifests/systimer.toml");
    run.assert_contains(vesper_tests::SYSTIMER_DRIVER_DONE);
    let driver = run.stats("driver");
    run.check(driver.blocks >= 50, "the driver blocks between interrupts");
    run.check(run.stats("spin").state == "running", "the other domain runs on");
}

#[test]
fn an_interrupt_that_arrives_while_the_kernel_idles_wakes_its_driver() {
    let run = run("tests/manifests/systimer-idle.toml");
    run.assert_contains(vesper_tests::SYSTIMER_DRIVER_DONE);
    run.check(run.stats("driver").state == "exited(0)", "the driver finished");
}

#[test]
fn every_capability_misuse_is_refused_and_a_revoked_loan_is_unmapped() {
    let run = run("tests/manifests/capabilities.toml");
    for (what, error) in [
        ("forged handle", "BadCapability"),
        ("empty slot", "BadCapability"),
        ("deleted handle", "BadCapability"),
        ("stale handle", "StaleCapability"),
        ("send on a region", "WrongType"),
        ("acknowledge a channel", "WrongType"),
        ("stop a reservation", "WrongType"),
        ("mint more rights", "MissingRight"),
        ("send on a receive-only end", "MissingRight"),
        ("stop without CONTROL", "MissingRight"),
        ("change without WRITE", "MissingRight"),
        ("move a receive end", "Bound"),
        ("move without GRANT", "MissingRight"),
        ("unknown rights", "BadArgument"),
        ("overload the CPU", "Overloaded"),
        ("zero period", "BelowMinimum"),
        ("a 1 us period", "BelowMinimum"),
        ("a slice longer than its period", "BadArgument"),
    ] {
        run.assert_contains(&format!("[misuse] misuse {what}: Err({error}) (as expected)"));
    }
    run.assert_contains("[misuse] misuse a fair change: Ok(0) (as expected)");
    run.assert_contains(
        "[misuse] misuse: 22 of 22 checks as expected; reservation now 4000000 ns every 10000000 ns",
    );
    // The loan: moved, read intact with the minted rights (READ | GRANT),
    // revoked, gone, and unmapped.
    run.assert_contains("[misuse] misuse lend: Ok(0)");
    run.assert_contains("[misuse] misuse loan left this table: true");
    run.assert_contains(
        "[peer] peer: loan of lend (4096 bytes, rights 0x41): 64 of 64 words intact",
    );
    run.assert_contains("[misuse] misuse revoke: Ok(1)");
    run.assert_contains("[peer] peer: loan after revoke: gone");
    run.assert_contains("ERROR domain peer faulted: data abort");
    run.assert_lacks("must not happen");
    run.assert_contains("[misuse] misuse: done, still running");
    run.check(run.stats("peer").state == "faulted", "the borrower was stopped");
    run.check(run.stats("misuse").state == "exited(0)", "the lender finished");
    let steady = run.stats("steady");
    run.check(
        steady.cpu_ns.abs_diff(20_000_000) <= 200_000,
        &format!("steady keeps its 2 ms every 10 ms: {} ns of 100 ms", steady.cpu_ns),
    );
}
