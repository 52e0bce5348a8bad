//! Properties of whole task sets, simulated.
//!
//! Fixed proptest seed: the same cases every run.

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use vesper_schedulers::{PolicyConfig, PolicyKind};
use vesper_sim::{simulate, CpuShare, SimConfig, SimResult, Task};

const MS: u64 = 1_000_000;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(0x0005_1a11_ed00),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Periods whose least common multiple is at most 120 ms.
const PERIODS_MS: [u64; 10] = [4, 5, 6, 8, 10, 12, 15, 20, 30, 40];

fn lcm(a: u64, b: u64) -> u64 {
    fn gcd(a: u64, b: u64) -> u64 {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    a / gcd(a, b) * b
}

fn hyperperiod(tasks: &[Task]) -> u64 {
    tasks.iter().filter_map(|t| t.period_ns).fold(1, lcm)
}

/// Demand over a hyperperiod, `sum(wcet * H / period)`: utilisation times H.
fn demand(tasks: &[Task], h: u64) -> u64 {
    tasks.iter().map(|t| t.wcet_ns * (h / t.period_ns.unwrap())).sum()
}

/// A task set from periods (ms) and weights, scaled to utilisation
/// `target_ppm / 1e6`: wcets rounded down if `up` is false, else up (each at
/// least 1 ns, at most its period).
fn task_set(periods: &[u64], weights: &[u64], target_ppm: u64, up: bool) -> Vec<Task> {
    let total: u64 = weights.iter().sum();
    periods
        .iter()
        .zip(weights)
        .enumerate()
        .map(|(i, (&period_ms, &w))| {
            let period = period_ms * MS;
            let scaled = u128::from(period) * u128::from(target_ppm) * u128::from(w);
            let denominator = 1_000_000 * u128::from(total);
            let wcet = if up { scaled.div_ceil(denominator) } else { scaled / denominator };
            Task::periodic(&format!("t{i}"), period, (wcet as u64).clamp(1, period))
        })
        .collect()
}

fn sim(tasks: &[Task], policy: PolicyKind, duration_ns: u64, share: CpuShare) -> SimResult {
    let config = SimConfig {
        domain: "w".into(),
        policy,
        policy_config: PolicyConfig { quantum_ns: MS, seed: 11 },
        duration_ns,
        share,
    };
    simulate(tasks, &config).unwrap()
}

fn tasks_strategy() -> impl Strategy<Value = (Vec<u64>, Vec<u64>)> {
    (1..=6usize).prop_flat_map(|n| {
        (
            prop::collection::vec(prop::sample::select(PERIODS_MS.to_vec()), n),
            prop::collection::vec(1..100u64, n),
        )
    })
}

/// The rows and the scheduler's own statistics tell the same story, and
/// the trace is a valid schedule.
fn check_consistency(result: &SimResult) -> Result<(), TestCaseError> {
    for (i, (task, stats)) in result.tasks.iter().zip(&result.stats).enumerate() {
        let rows: Vec<_> = result.rows.iter().filter(|r| r.thread == i).collect();
        let missed = rows.iter().filter(|r| r.missed).count() as u64;
        let completed: Vec<_> = rows.iter().filter(|r| r.finish_ns.is_some()).collect();
        prop_assert_eq!(missed, stats.misses, "misses of {}", task.name);
        prop_assert_eq!(completed.len() as u64, stats.jobs, "jobs of {}", task.name);
        let max = completed.iter().filter_map(|r| r.response_ns).max().unwrap_or(0);
        prop_assert_eq!(max, stats.response_max_ns);
        for row in &completed {
            let start = row.start_ns.unwrap();
            let finish = row.finish_ns.unwrap();
            prop_assert!(row.release_ns <= start && start + task.wcet_ns <= finish);
            prop_assert_eq!(row.missed, finish > row.deadline_ns.unwrap());
        }
    }
    let cpu = result.cpu_ns();
    for (i, stats) in result.stats.iter().enumerate() {
        prop_assert_eq!(cpu[i], stats.cpu_ns);
    }
    for pair in result.trace.windows(2) {
        prop_assert!(pair[0].end_ns <= pair[1].start_ns);
    }
    if let Some(last) = result.trace.last() {
        prop_assert!(last.end_ns <= result.config.duration_ns);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(96))]

    /// EDF on the whole CPU, implicit deadlines, utilisation <= 1: no job
    /// misses its deadline, over two hyperperiods.
    #[test]
    fn edf_never_misses_at_utilisation_up_to_one(
        (periods, weights) in tasks_strategy(),
        target_ppm in 300_000..=1_000_000u64,
        fill in any::<bool>(),
    ) {
        let mut tasks = task_set(&periods, &weights, target_ppm, false);
        let h = hyperperiod(&tasks);
        if fill {
            // Top the last task up to utilisation exactly 1, or as close
            // as whole nanoseconds allow.
            let last = tasks.len() - 1;
            let period = tasks[last].period_ns.unwrap();
            let others = demand(&tasks, h) - tasks[last].wcet_ns * (h / period);
            tasks[last].wcet_ns = ((h - others) / (h / period)).min(period);
        }
        prop_assume!(tasks.iter().all(|t| t.wcet_ns > 0));
        prop_assert!(demand(&tasks, h) <= h);
        let result = sim(&tasks, PolicyKind::Edf, 2 * h, CpuShare::Full);
        check_consistency(&result)?;
        for (task, stats) in tasks.iter().zip(&result.stats) {
            prop_assert_eq!(stats.misses, 0, "{} missed: {:?}", task.name, tasks);
            // Every job whose deadline is within the run completed.
            prop_assert_eq!(stats.jobs, 2 * h / task.period_ns.unwrap());
        }
    }

    /// Over utilisation 1, some job misses, and the miss is counted.
    #[test]
    fn edf_misses_are_counted_over_utilisation_one(
        (periods, weights) in tasks_strategy(),
        target_ppm in 1_000_001..=1_500_000u64,
    ) {
        let tasks = task_set(&periods, &weights, target_ppm, true);
        let h = hyperperiod(&tasks);
        prop_assume!(demand(&tasks, h) > h);
        let result = sim(&tasks, PolicyKind::Edf, 2 * h, CpuShare::Full);
        check_consistency(&result)?;
        let misses: u64 = result.stats.iter().map(|s| s.misses).sum();
        prop_assert!(misses > 0, "no miss at demand {} > {}: {:?}", demand(&tasks, h), h, tasks);
    }

    /// EDF in an Atropos reservation (s, p): with task periods that are
    /// multiples of p, utilisation <= s / p meets every deadline.
    #[test]
    fn edf_in_a_reservation_meets_deadlines_at_utilisation_up_to_its_share(
        multiples in prop::collection::vec(prop::sample::select(vec![1u64, 2, 3, 4, 6]), 1..=5),
        weights in prop::collection::vec(1..100u64, 5),
        slice_tenths in 1..=10u64,
    ) {
        let p = 10 * MS;
        let s = slice_tenths * MS;
        let periods: Vec<u64> = multiples.iter().map(|m| m * 10).collect();
        let weights = &weights[..periods.len()];
        // Utilisation s / p (in ppm), rounded down.
        let tasks = task_set(&periods, weights, slice_tenths * 100_000, false);
        let h = hyperperiod(&tasks);
        prop_assert!(demand(&tasks, h) * p <= h * s);
        let result = sim(&tasks, PolicyKind::Edf, 2 * h, CpuShare::reservation(p, s));
        check_consistency(&result)?;
        let misses: u64 = result.stats.iter().map(|s| s.misses).sum();
        prop_assert_eq!(misses, 0, "{:?}", tasks);
    }

    /// Whatever the policy and share, the rows agree with the statistics,
    /// and a run reproduces exactly.
    #[test]
    fn every_policy_reports_consistently_and_reproduces(
        (periods, weights) in tasks_strategy(),
        target_ppm in 100_000..=1_400_000u64,
        kind in prop::sample::select(PolicyKind::ALL.to_vec()),
        slice_tenths in 1..=10u64,
    ) {
        let tasks = task_set(&periods, &weights, target_ppm, false);
        let share = CpuShare::reservation(10 * MS, slice_tenths * MS);
        let duration = 2 * hyperperiod(&tasks) + 3 * MS;
        let result = sim(&tasks, kind, duration, share);
        check_consistency(&result)?;
        prop_assert_eq!(&result, &sim(&tasks, kind, duration, share));
    }
}

#[test]
fn a_set_over_its_share_fails_under_round_robin_but_not_edf() {
    // Utilisation 0.9 of the whole CPU; round-robin's 1 ms quanta
    // interleave t1 with t2's long job and finish it at 3 ms, past its
    // short deadline; EDF runs it first.
    let tasks = vec![
        Task { deadline_ns: Some(5 * MS / 2), ..Task::periodic("t1", 10 * MS, 2 * MS) },
        Task::periodic("t2", 20 * MS, 14 * MS),
    ];
    let duration = 200 * MS;
    let edf = sim(&tasks, PolicyKind::Edf, duration, CpuShare::Full);
    let rr = sim(&tasks, PolicyKind::RoundRobin, duration, CpuShare::Full);
    assert!(edf.stats.iter().all(|s| s.misses == 0), "{}", edf.render(false));
    assert!(rr.stats[0].misses > 0, "{}", rr.render(false));
}

#[test]
fn the_share_model_runs_the_domain_in_its_slice() {
    // One always-busy thread in a 3 ms / 10 ms reservation.
    let tasks = vec![Task::periodic("busy", 100 * MS, 100 * MS)];
    let result = sim(&tasks, PolicyKind::Fifo, 50 * MS, CpuShare::reservation(10 * MS, 3 * MS));
    let spans: Vec<(u64, u64)> =
        result.trace.iter().map(|s| (s.start_ns / MS, s.end_ns / MS)).collect();
    assert_eq!(spans, [(0, 3), (10, 13), (20, 23), (30, 33), (40, 43)]);
}

#[test]
fn a_domain_that_slept_longer_than_its_period_restarts_its_periods() {
    // A job of 4 ms every 35 ms in a 2 ms / 10 ms reservation: after each
    // long sleep the domain's periods restart at the release (latency 10 ms).
    let tasks = vec![Task::periodic("t", 35 * MS, 4 * MS)];
    let result = sim(&tasks, PolicyKind::Fifo, 70 * MS, CpuShare::reservation(10 * MS, 2 * MS));
    let spans: Vec<(u64, u64)> =
        result.trace.iter().map(|s| (s.start_ns / MS, s.end_ns / MS)).collect();
    // 0-2, 10-12 (job 0 done at 12); sleep 12 -> 35 (> 10 ms): fresh slice
    // at 35, next period at 45.
    assert_eq!(spans, [(0, 2), (10, 12), (35, 37), (45, 47)]);
    assert_eq!(result.stats[0].response_max_ns, 12 * MS);
}

#[test]
fn lottery_runs_depend_on_the_seed() {
    let tasks: Vec<Task> =
        (0..3).map(|i| Task::periodic(&format!("t{i}"), 50 * MS, 20 * MS)).collect();
    let run = |seed| {
        let config = SimConfig {
            domain: "w".into(),
            policy: PolicyKind::Lottery,
            policy_config: PolicyConfig { quantum_ns: MS, seed },
            duration_ns: 500 * MS,
            share: CpuShare::Full,
        };
        simulate(&tasks, &config).unwrap()
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5).trace, run(6).trace);
}
