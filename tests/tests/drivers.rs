//! Driver domains and their services: devices served from user level,
//! clients connected through shared regions and event channels
//! (`vesper_service`), under `-icount`.

use std::path::Path;
use std::time::Duration;
use vesper_tests::{
    boot, boot_manifest, boot_manifest_conversing, boot_manifest_with_input, manifest_image,
    Conversation, QemuExit, Run,
};

fn run(manifest: &str) -> Run {
    let kernel = manifest_image(Path::new(manifest));
    let run = boot(&kernel.flat);
    run.assert_exit(0).assert_lacks("EXCEPTION").assert_lacks("PANIC");
    run
}

/// What `domain` printed through the `uart` driver: the rest of each PL011
/// line after `[domain] `. Typed input is echoed as it comes, so a line may
/// start with echoed keys before the prefix.
fn printed<'a>(run: &'a Run, domain: &str) -> Vec<&'a str> {
    let prefix = format!("[{domain}] ");
    run.device_serial()
        .lines()
        .filter_map(|line| line.find(prefix.as_str()).map(|at| &line[at + prefix.len()..]))
        .collect()
}

/// The numbers in a `timer-client` report line, in order.
fn numbers(line: &str) -> Vec<u64> {
    line.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect()
}

#[test]
fn timer_clients_get_every_alarm_never_early_and_a_hostile_one_is_dropped() {
    timer_service_serves_its_clients("tests/manifests/timer-service.toml", 100);
}

#[test]
fn the_timer_service_serves_clients_on_other_cores_as_on_one() {
    // Under QEMU the cores take turns on one thread (docs/testing.md,
    // "Four cores under -icount"): a wake-up that needs the driver's core,
    // then the client's, can wait for a few turns of the others. Before
    // idle cores stopped ticking, the driver's core starved and wake-ups
    // came up to 77 ms late.
    timer_service_serves_its_clients("tests/manifests/cores-timer-service.toml", 500);
}

/// Boots `manifest`, a timer service with the clients `fast` and `slow` and
/// the vandal `rogue`, and checks that every alarm comes, never early, each
/// client woken at most `woke_us` after it, and that the vandal is dropped.
fn timer_service_serves_its_clients(manifest: &str, woke_us: u64) {
    let run = run(manifest);
    let serving = run.domain_line("timer", "systimer: serving ");
    run.check(serving == "3 clients: fast, slow, rogue", &format!("the clients: {serving}"));
    let vandal = run.domain_line("rogue", "ring-vandal: ");
    run.check(vandal == "1 connections vandalised", &vandal);
    let dropped = run.domain_line("timer", "systimer: rogue: ");
    run.check(dropped.starts_with("its request ring is corrupt; dropped"), &dropped);
    for (client, period_us) in [("fast", 2_000), ("slow", 7_000)] {
        let report = run.domain_line(client, "timer-client: 40 alarms");
        let figures = numbers(&report);
        // every P us, E early or missing; driver max D us, wake-up max W us mean M us
        let [period, early, driver_max, woke_max, _mean] = figures[..] else {
            run.check(false, &format!("{client}: unexpected report {report}"));
            return;
        };
        run.check(period == period_us, &format!("{client}: alarms every {period} us"));
        run.check(early == 0, &format!("{client}: {early} alarms early or missing"));
        run.check(driver_max <= 50, &format!("{client}: the driver was {driver_max} us late"));
        run.check(woke_max <= woke_us, &format!("{client}: woke {woke_max} us late"));
        let delay = run.domain_line(client, "timer-client: delay_us(1500) took ");
        run.check(delay.ends_with("not early"), &format!("{client}: delay {delay}"));
        run.check(run.stats(client).state == "exited(0)", &format!("{client} finished"));
    }
    run.check(run.stats("timer").state == "running", "the driver keeps serving");
}

#[test]
fn with_the_kernel_on_the_mini_uart_a_domain_owns_the_pl011() {
    let run = boot_manifest(Path::new("tests/manifests/mini-uart-console.toml"));
    run.assert_exit(0).assert_lacks("EXCEPTION").assert_lacks("PANIC");
    run.check(run.domain_line("writer", "pl011-hello: ") == "written", "the domain wrote");
    run.check(run.stats("spin").cpu_ns > 0, "the kernel's report came on the mini UART");
    run.check(
        run.device_serial() == "hello from a domain on the PL011\n",
        &format!("the PL011 carried the domain's line alone: {:?}", run.device_serial()),
    );
}

#[test]
fn three_console_clients_writing_at_once_get_every_line_whole_and_named() {
    let run = boot_manifest(Path::new("tests/manifests/console-service.toml"));
    run.assert_exit(0).assert_lacks("EXCEPTION").assert_lacks("PANIC");
    let serving = run.domain_line("uart", "uart: serving ");
    run.check(serving.starts_with("4 clients"), &format!("the clients: {serving}"));
    let dropped = run.domain_line("uart", "uart: rogue: ");
    run.check(dropped.starts_with("its output ring is corrupt; dropped"), &dropped);
    let lines: Vec<&str> = run.device_serial().lines().collect();
    let mut total = 0;
    for writer in ["w1", "w2", "w3"] {
        let prefix = format!("[{writer}] ");
        let theirs: Vec<&str> =
            lines.iter().filter_map(|line| line.strip_prefix(prefix.as_str())).collect();
        let expected: Vec<String> = (1..=60)
            .map(|n| {
                format!("line {n} of 60 from {writer}, long enough to take more than one chunk of the ring")
            })
            .collect();
        run.check(theirs == expected, &format!("{writer}: every line, whole and in order"));
        run.check(run.stats(writer).state == "exited(0)", &format!("{writer} finished"));
        total += theirs.len();
    }
    run.check(total == lines.len(), "nothing but the writers' lines on the PL011");
    run.check(run.stats("uart").state == "running", "the driver keeps serving");
}

#[test]
fn typed_input_reaches_the_focus_and_a_burst_leaves_the_driver_standing() {
    let mut input = b"hello\nworld\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', 3000));
    input.extend(b"\nafter the burst\n");
    let run =
        boot_manifest_with_input(Path::new("tests/manifests/console-input.toml"), Some(&input));
    run.assert_exit(0).assert_lacks("EXCEPTION").assert_lacks("PANIC");
    let printed = printed(&run, "echo");
    let echoed: Vec<&str> = printed.iter().filter_map(|line| line.strip_prefix("echo: ")).collect();
    run.check(echoed.starts_with(&["hello", "world"]), &format!("the first lines: {echoed:?}"));
    // Every byte typed is either received by the client or counted lost by
    // the driver, which reports losses as they reach powers of two.
    let received = printed
        .iter()
        .filter_map(|line| line.strip_prefix("console-echo: "))
        .filter_map(|rest| rest.split(' ').next()?.parse::<usize>().ok())
        .max()
        .unwrap_or(0);
    let reported_lost = run.serial().lines().any(|line| line.contains("typed bytes lost"));
    run.check(
        received == input.len() || reported_lost,
        &format!("{received} of {} bytes received, and no loss reported", input.len()),
    );
    run.check(run.stats("uart").state == "running", "the driver survived the burst");
    // Under the burst the driver takes at most one interrupt per turn of
    // its loop (the line stays masked until it acknowledges), and many
    // bytes per interrupt: it converges to polling.
    let load = run
        .serial()
        .lines()
        .filter_map(|line| line.strip_prefix("[uart] uart: "))
        .rfind(|line| line.contains(" interrupts in "))
        .map(numbers)
        .unwrap_or_default();
    let [interrupts, turns, bytes] = load[..] else {
        run.check(false, &format!("no interrupt report: {load:?}"));
        return;
    };
    run.check(interrupts <= turns, &format!("{interrupts} interrupts in {turns} turns"));
    run.check(bytes >= 4 * interrupts, &format!("{bytes} bytes in {interrupts} interrupts"));
    run.check(run.stats("echo").state == "running", "the client survived the burst");
}

#[test]
fn the_shell_answers_ps_shows_every_domain_and_reserve_changes_a_share() {
    let input = b"help\necho hi there\nuptime\nps\nreserve worker 10ms 3ms\nps\n\
                  reserve worker 10ms 20ms\nreserve worker 10ms 9ms\nbogus\n";
    let run = boot_manifest_with_input(Path::new("tests/manifests/shell.toml"), Some(input));
    run.assert_exit(0).assert_lacks("EXCEPTION").assert_lacks("PANIC");
    let said = printed(&run, "shell");
    let has = |prefix: &str| said.iter().any(|line| line.starts_with(prefix));
    run.check(has("commands: help, echo TEXT, uptime, ps, reserve"), "help");
    run.check(said.contains(&"hi there"), "echo");
    run.check(has("up "), "uptime");
    run.check(has("reserve: worker now has 3.000ms every 10.000ms"), "reserve");
    run.check(has("reserve: refused: BadArgument"), "a slice longer than its period is refused");
    run.check(has("reserve: refused: Overloaded"), "admission control applies");
    run.check(has("unknown command \"bogus\""), "an unknown command");
    // Two `ps` tables, each with a row for every domain, the kernel's
    // figures as they stood (at most the final ones).
    for domain in ["uart", "shell", "worker", "hello"] {
        let rows: Vec<&str> =
            said.iter().copied().filter(|l| l.starts_with(&format!("{domain} "))).collect();
        run.check(rows.len() == 2, &format!("{domain}: a row in each ps ({rows:?})"));
        let activations: u64 =
            rows[1].split_whitespace().nth(5).and_then(|n| n.parse().ok()).unwrap_or(u64::MAX);
        run.check(activations <= run.stats(domain).activations, &format!("{domain}: {rows:?}"));
    }
    let worker: Vec<&str> = said.iter().copied().filter(|l| l.starts_with("worker ")).collect();
    run.check(
        worker[0].contains("1.000ms") && worker[1].contains("3.000ms"),
        &format!("{worker:?}"),
    );
    // The worker spins: from the change on it gets 3 ms of every 10.
    let cpu = run.stats("worker").cpu_ns;
    run.check(cpu > 200_000_000 / 10 * 2, &format!("the worker's new share shows: {cpu} ns"));
}

#[test]
fn a_driver_waiting_for_its_device_keeps_an_idle_system_up() {
    // No `run-for`, and once the shell waits for a line nothing can run
    // and nothing has a deadline: the kernel must wait for the UART, not
    // end the run, whenever the host types.
    let run = boot_manifest_conversing(
        Path::new("tests/manifests/shell-idle.toml"),
        Conversation {
            prompt: "shell: ready".into(),
            reply: b"echo still here\n".to_vec(),
            until: "[shell] still here".into(),
            pause: Duration::from_millis(100),
        },
    );
    run.check(run.outcome.exit == QemuExit::Ended, "the host ended the run, not the kernel");
    run.assert_lacks("no domain can run any more").assert_lacks("EXCEPTION").assert_lacks("PANIC");
}

#[test]
fn ctrl_t_moves_the_input_focus_to_the_next_client() {
    let input = b"to the first\n\x14to the second\n";
    let run =
        boot_manifest_with_input(Path::new("tests/manifests/console-focus.toml"), Some(input));
    run.assert_exit(0).assert_lacks("EXCEPTION").assert_lacks("PANIC");
    let echoed = |domain: &str| -> Vec<String> {
        printed(&run, domain)
            .iter()
            .filter_map(|l| l.strip_prefix("echo: "))
            .map(String::from)
            .collect()
    };
    run.check(echoed("first") == ["to the first"], &format!("first: {:?}", echoed("first")));
    run.check(echoed("second") == ["to the second"], &format!("second: {:?}", echoed("second")));
    let moved = run.domain_line("uart", "uart: input goes to ");
    run.check(moved.starts_with("second"), &format!("the driver says where: {moved}"));
}
