//! The walk-through of `docs/schedulers.md`: a new policy, rate-monotonic
//! fixed priorities, written against the `Policy` trait, then studied in
//! the simulator.

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use vesper_schedulers::{
    Enqueue, Policy, PolicyConfig, PolicyKind, Sched, SchedError, ThreadId, ThreadParams,
    ThreadSet, MAX_THREADS,
};
use vesper_sim::{simulate, simulate_with, CpuShare, SimConfig, Task};

const MS: u64 = 1_000_000;

/// Rate-monotonic scheduling: fixed priorities, the shorter the period the
/// higher; threads without a period come last. Ties go to the lower id.
struct RateMonotonic {
    /// Each thread's priority: its period (smaller is more urgent).
    priority: [u64; MAX_THREADS],
    /// The runnable threads.
    ready: ThreadSet,
}

impl RateMonotonic {
    const fn new() -> Self {
        Self { priority: [u64::MAX; MAX_THREADS], ready: ThreadSet::EMPTY }
    }
}

impl Policy for RateMonotonic {
    fn name(&self) -> &'static str {
        "rate-monotonic"
    }

    fn admit(&mut self, id: ThreadId, params: &ThreadParams) -> Result<(), SchedError> {
        let priority = self.priority.get_mut(id.0).ok_or(SchedError::BadThread)?;
        *priority = params.period_ns.unwrap_or(u64::MAX);
        Ok(())
    }

    fn enqueue(&mut self, id: ThreadId, _entry: Enqueue) -> Result<(), SchedError> {
        self.ready.insert(id);
        Ok(())
    }

    fn dequeue(&mut self, id: ThreadId) {
        self.ready.remove(id);
    }

    fn pick(&mut self) -> Option<ThreadId> {
        let best = self.ready.iter().min_by_key(|id| (self.priority[id.0], id.0))?;
        self.ready.remove(best);
        Some(best)
    }
}

fn config(duration_ns: u64) -> SimConfig {
    SimConfig {
        domain: "w".into(),
        policy: PolicyKind::Fifo, // ignored by simulate_with
        policy_config: PolicyConfig::DEFAULT,
        duration_ns,
        share: CpuShare::Full,
    }
}

#[test]
fn rate_monotonic_misses_where_edf_does_not() {
    // Utilisation 2/5 + 4/7 = 0.97: feasible, but not for fixed priorities.
    let tasks = [Task::periodic("fast", 5 * MS, 2 * MS), Task::periodic("slow", 7 * MS, 4 * MS)];
    let rm = simulate_with(&tasks, &config(35 * MS), Sched::new(RateMonotonic::new())).unwrap();
    assert_eq!(rm.scheduler, "rate-monotonic");
    // The slow task's first job gets only 3 ms before its deadline at 7 ms.
    let first = &rm.rows.iter().find(|r| r.thread == 1 && r.job == 0).unwrap();
    assert!(first.missed, "{}", rm.render(true));
    let edf = simulate(&tasks, &SimConfig { policy: PolicyKind::Edf, ..config(35 * MS) }).unwrap();
    assert!(edf.stats.iter().all(|s| s.misses == 0), "{}", edf.render(true));
}

/// Liu & Layland's bound `n (2^(1/n) - 1)` in parts per million, rounded
/// down, for 1 to 6 tasks.
const RM_BOUND_PPM: [u64; 6] = [1_000_000, 828_427, 779_763, 756_828, 743_491, 734_772];

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        rng_seed: RngSeed::Fixed(1973),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Below the Liu & Layland bound, rate-monotonic meets every deadline.
    #[test]
    fn rate_monotonic_meets_deadlines_below_the_liu_layland_bound(
        periods in prop::collection::vec(prop::sample::select(vec![4u64, 5, 6, 8, 10, 12, 15, 20]), 1..=6),
        weights in prop::collection::vec(1..100u64, 6),
    ) {
        let n = periods.len();
        let total: u64 = weights[..n].iter().sum();
        let tasks: Vec<Task> = periods
            .iter()
            .zip(&weights)
            .enumerate()
            .map(|(i, (&p, &w))| {
                let period = p * MS;
                let wcet = u128::from(period) * u128::from(RM_BOUND_PPM[n - 1]) * u128::from(w)
                    / (1_000_000 * u128::from(total));
                Task::periodic(&format!("t{i}"), period, (wcet as u64).max(1))
            })
            .collect();
        let result =
            simulate_with(&tasks, &config(240 * MS), Sched::new(RateMonotonic::new())).unwrap();
        prop_assert!(result.stats.iter().all(|s| s.misses == 0), "{}", result.render(false));
    }
}
