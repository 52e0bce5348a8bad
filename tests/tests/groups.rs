//! Groups (`members`, `domain_donate`): a scheduler domain decides, at
//! user level, which of its member domains runs on its reservation. Every
//! check reads what the kernel wrote: its trace records (donations, their
//! ends, dispatches, interrupts) and its `stats` lines.

use std::path::PathBuf;
use std::sync::Mutex;
use vesper_abi::console::StatsLine;
use vesper_abi::dcb::ActivationReason;
use vesper_abi::trace::{Kind, Record};
use vesper_schedulers::PolicyConfig;
use xtask::trace::{run_traced, TracedRun};

/// One build at a time: the variants share the build's target directory.
static BUILDS: Mutex<()> = Mutex::new(());

/// `tests/manifests/NAME.toml` with each `(from, to)` of `edits` applied,
/// written as image `variant` and booted traced.
fn traced(name: &str, variant: &str, edits: &[(&str, &str)]) -> TracedRun {
    let root = xtask::workspace_root();
    let source = root.join("tests/manifests").join(format!("{name}.toml"));
    let mut text = std::fs::read_to_string(source).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{name}.toml has no {from:?}");
        text = text.replace(from, to);
    }
    let dir: PathBuf = root.join("target/test-groups").join(variant);
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join(format!("{variant}.toml"));
    std::fs::write(&manifest, text).unwrap();
    let _one_at_a_time = BUILDS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let run = run_traced(&root, &manifest, &dir, None).expect("the traced run");
    check(&run, run.recorded.kernel.lost == 0, "no trace record lost");
    run
}

/// Fails with the run's console.
fn check(run: &TracedRun, condition: bool, what: &str) {
    assert!(condition, "{what}\n--- console ---\n{}", run.console);
}

fn stats(run: &TracedRun) -> Vec<StatsLine<'_>> {
    run.console.lines().filter_map(StatsLine::parse).collect()
}

fn stats_of<'r>(run: &'r TracedRun, domain: &str) -> StatsLine<'r> {
    let found = stats(run).into_iter().find(|line| line.domain == domain);
    found.unwrap_or_else(|| panic!("no stats line for {domain}\n{}", run.console))
}

/// The manifest number of `domain`.
fn index(run: &TracedRun, domain: &str) -> usize {
    run.manifest.domain_index(domain).expect("a domain of the manifest")
}

fn kernel_records(run: &TracedRun) -> &[Record] {
    &run.recorded.kernel.records
}

fn is(record: &Record, kind: Kind) -> bool {
    record.kind == kind as u8
}

/// When the domains' first periods began: the simulator's time 0.
fn start_ns(run: &TracedRun) -> u64 {
    let group = index(run, "group") as u8;
    let first = kernel_records(run).iter().find(|r| is(r, Kind::PeriodStart) && r.domain == group);
    first.expect("the group's first period").time_ns
}

/// The run's length (`run-for`).
fn run_for(run: &TracedRun) -> u64 {
    run.manifest.run_for_ns.expect("a run that ends")
}

/// Checks that `domain`, which holds a reservation of its own, got its
/// share of the run within 1%.
fn keeps_its_share(run: &TracedRun, domain: &str) {
    let manifest = &run.manifest.domains[index(run, domain)];
    let expected = run_for(run) as f64 * manifest.slice_ns as f64 / manifest.period_ns as f64;
    let got = stats_of(run, domain).cpu_ns as f64;
    check(
        run,
        (got - expected).abs() <= 0.01 * expected,
        &format!("{domain}: {got} ns of CPU, its share is {expected} ns"),
    );
}

/// A member's jobs as the kernel's records show them: the domain
/// scheduler gives each job `wcet` of donated CPU time, its donations'
/// `ran` counted against the job in order (a job is done when its work is
/// used up, or at a yield or block). Returns, per job released before
/// `end` (relative to `start`), whether it missed its deadline.
fn board_misses(
    run: &TracedRun,
    member: &str,
    member_spec: &vesper_builder::manifest::Thread,
    start: u64,
    end: u64,
) -> Vec<bool> {
    let domain = index(run, member) as u8;
    let period = member_spec.period_ns.expect("a periodic member");
    let deadline = member_spec.deadline_ns.unwrap_or(period);
    let mut finished = Vec::new();
    let mut left = member_spec.wcet_ns;
    for record in kernel_records(run).iter().filter(|r| is(r, Kind::DonationEnd)) {
        if record.domain != domain {
            continue;
        }
        let why = ActivationReason::from_number(u64::from(record.a));
        left = left.saturating_sub(u64::from(record.b));
        let gave_up =
            matches!(why, Some(ActivationReason::MemberYielded | ActivationReason::MemberBlocked));
        if left == 0 || gave_up {
            finished.push(record.time_ns - start);
            left = member_spec.wcet_ns;
        }
    }
    (0..)
        .map(|job: u64| job * period)
        .take_while(|release| release + deadline <= end)
        .enumerate()
        .map(|(job, release)| finished.get(job).is_none_or(|&at| at > release + deadline))
        .collect()
}

/// Boots a group variant under EDF and compares each member's deadline
/// misses, job by job, with the simulator's over the same manifest.
fn edf_misses_as_simulated(variant: &str, edits: &[(&str, &str)]) -> (TracedRun, usize) {
    let run = traced("group", variant, edits);
    let simulated = vesper_sim::image::simulate_image(
        &run.manifest,
        None,
        PolicyConfig::DEFAULT,
        run_for(&run),
    )
    .unwrap();
    let sim = &simulated.threads[0];
    let horizon = sim.horizon_ns();
    let start = start_ns(&run);
    let group = &run.manifest.domains[index(&run, "group")];
    let mut misses = 0;
    for (position, member) in group.members.iter().enumerate() {
        let on_board = board_misses(&run, &member.name, member, start, horizon);
        let deadline = member.deadline_ns.unwrap_or(0);
        let in_sim: Vec<bool> = sim
            .rows
            .iter()
            .filter(|row| row.thread == position && row.release_ns + deadline <= horizon)
            .map(|row| row.missed)
            .collect();
        check(
            &run,
            on_board == in_sim,
            &format!(
                "{variant}: member {}: misses {on_board:?} on QEMU, {in_sim:?} simulated",
                member.name
            ),
        );
        misses += on_board.iter().filter(|&&missed| missed).count();
    }
    for outside in ["x", "y"] {
        keeps_its_share(&run, outside);
    }
    (run, misses)
}

#[test]
fn members_that_fit_the_group_s_share_meet_every_deadline_and_the_others_keep_theirs() {
    let (run, misses) = edf_misses_as_simulated("group-fits", &[]);
    check(&run, misses == 0, "members within the group's share miss nothing");
    for member in ["a", "b", "c"] {
        check(&run, stats_of(&run, member).cpu_ns > 0, &format!("{member} ran"));
    }
}

#[test]
fn members_beyond_the_group_s_share_miss_as_the_simulator_predicts() {
    let (run, misses) = edf_misses_as_simulated(
        "group-overloaded",
        &[(
            r#"{ domain = "c", period = "10ms", wcet = "1500us" }"#,
            r#"{ domain = "c", period = "10ms", wcet = "3300us" }"#,
        )],
    );
    check(&run, misses > 0, "0.63 of the CPU in a 0.50 group misses deadlines");
}

#[test]
fn a_spinning_member_never_runs_past_its_budget() {
    let run = traced("group", "group-budget", &[]);
    let records = kernel_records(&run);
    let mut donations = 0;
    let mut worst = 0i64;
    for (at, record) in records.iter().enumerate().filter(|(_, r)| is(r, Kind::Donate)) {
        let budget = u64::from(record.b);
        let end = records[at..].iter().find(|r| is(r, Kind::DonationEnd));
        let Some(end) = end else { continue };
        check(&run, u16::from(end.domain) == record.a, "a donation ends for its member");
        let why = ActivationReason::from_number(u64::from(end.a));
        check(
            &run,
            matches!(why, Some(ActivationReason::MemberBudget | ActivationReason::MemberPreempted)),
            &format!("a spinning member's donation ends by budget or preemption, not {why:?}"),
        );
        worst = worst.max(i64::from(end.b) - budget as i64);
        donations += 1;
    }
    check(&run, donations >= 100, &format!("{donations} donations"));
    // The timer's interrupt and the kernel's entry: a few microseconds.
    check(&run, worst <= 10_000, &format!("a member ran {worst} ns past its budget"));
}

#[test]
fn a_scheduler_that_never_donates_wastes_only_its_own_reservation() {
    let run = traced(
        "group",
        "group-idle",
        &[(r#"program = "domain-scheduler""#, r#"program = "spin""#)],
    );
    for member in ["a", "b", "c"] {
        check(&run, stats_of(&run, member).cpu_ns == 0, &format!("{member} never ran"));
    }
    for domain in ["group", "x", "y"] {
        keeps_its_share(&run, domain);
    }
}

#[test]
fn a_member_that_faults_ends_its_donation_and_the_others_are_still_served() {
    let run = traced(
        "group",
        "group-fault",
        &[("name = \"c\"\nprogram = \"spin\"", "name = \"c\"\nprogram = \"undefined\"")],
    );
    check(&run, stats_of(&run, "c").state == "faulted", "c faulted");
    let c = index(&run, "c") as u8;
    let records = kernel_records(&run);
    let stopped = records.iter().position(|r| {
        is(r, Kind::DonationEnd)
            && r.domain == c
            && ActivationReason::from_number(u64::from(r.a))
                == Some(ActivationReason::MemberStopped)
    });
    check(&run, stopped.is_some(), "the donation to c ended with MemberStopped");
    let after = &records[stopped.unwrap_or(records.len())..];
    let donated_to =
        |member: u8| after.iter().filter(move |r| is(r, Kind::Donate) && r.a == u16::from(member));
    for member in ["a", "b"] {
        let served = donated_to(index(&run, member) as u8).count();
        check(
            &run,
            served >= 5,
            &format!("{member} is served after c's fault ({served} donations)"),
        );
    }
    check(&run, donated_to(c).next().is_none(), "no donation to c after");
    for domain in ["x", "y"] {
        keeps_its_share(&run, domain);
    }
}

#[test]
fn lottery_members_share_the_group_s_time_by_their_tickets() {
    let run = traced("group-lottery", "group-lottery", &[]);
    let draws = kernel_records(&run).iter().filter(|r| is(r, Kind::Donate)).count() as f64;
    let times: Vec<f64> = ["a", "b", "c"].iter().map(|m| stats_of(&run, m).cpu_ns as f64).collect();
    let total: f64 = times.iter().sum();
    check(&run, draws > 200.0, &format!("{draws} draws"));
    for (member, (time, tickets)) in ["a", "b", "c"].iter().zip(times.iter().zip([1.0, 2.0, 3.0])) {
        let p: f64 = tickets / 6.0;
        let share = time / total;
        // Three standard deviations of the winner count's binomial law.
        let bound = 3.0 * (p * (1.0 - p) / draws).sqrt();
        check(
            &run,
            (share - p).abs() <= bound,
            &format!("{member}: {share:.4} of the group's time, {p:.4} by its tickets (bound {bound:.4})"),
        );
    }
    keeps_its_share(&run, "x");
}

#[test]
fn a_member_s_interrupt_wakes_its_scheduler_which_runs_it() {
    let run = traced("group-driver", "group-driver", &[]);
    let (group, timer) = (index(&run, "group") as u8, index(&run, "timer") as u8);
    let records = kernel_records(&run);
    let mut served = 0;
    for (at, record) in records.iter().enumerate() {
        if is(record, Kind::Dispatch) && record.domain == timer {
            let donated = records[..at]
                .iter()
                .rev()
                .find(|r| is(r, Kind::Donate) || is(r, Kind::DonationEnd));
            check(
                &run,
                donated.is_some_and(|r| is(r, Kind::Donate) && r.a == u16::from(timer)),
                &format!("the driver runs only on time donated to it (at {} ns)", record.time_ns),
            );
        }
        if !(is(record, Kind::IrqDelivered) && record.domain == timer) {
            continue;
        }
        // The scheduler hears of it and donates to the driver.
        let after = &records[at..];
        let woken = after.iter().position(|r| {
            is(r, Kind::Dispatch)
                && r.domain == group
                && r.a == ActivationReason::MemberWoken as u16
        });
        let donated = after.iter().position(|r| is(r, Kind::Donate) && r.a == u16::from(timer));
        if let (Some(woken), Some(donated)) = (woken, donated) {
            if woken < donated {
                served += 1;
            }
        }
    }
    check(
        &run,
        served >= 40,
        &format!("{served} interrupts woke the scheduler, which ran the driver"),
    );
    for client in ["fast", "slow"] {
        check(
            &run,
            stats_of(&run, client).state == "exited(0)",
            &format!("{client} got its alarms"),
        );
    }
}
