//! The rules of the bookkeeping and of each policy, one at a time.

use vesper_schedulers::{
    AnyScheduler, Edf, Fifo, Lottery, PolicyConfig, RoundRobin, Sched, SchedError, Scheduler,
    Stride, ThreadId, ThreadParams, ThreadState, MAX_THREADS,
};

const MS: u64 = 1_000_000;

fn t(i: usize) -> ThreadId {
    ThreadId(i)
}

/// Admits plain threads `0..n` and makes them runnable, in order.
fn plain<P: vesper_schedulers::Policy>(policy: P, n: usize) -> Sched<P> {
    let mut s = Sched::new(policy);
    for i in 0..n {
        s.admit(t(i), ThreadParams::DEFAULT, 0).unwrap();
        s.ready(t(i), 0).unwrap();
    }
    s
}

fn picked<S: Scheduler>(s: &mut S, now: u64) -> Option<usize> {
    s.pick(now).map(|p| p.thread.0)
}

// ---- errors and states, common to every policy ----

#[test]
fn bad_ids_and_wrong_states_are_errors_not_panics() {
    let mut s = AnyScheduler::from_name("edf", PolicyConfig::DEFAULT).unwrap();
    let far = ThreadId(MAX_THREADS);
    let huge = ThreadId(usize::MAX);
    for id in [far, huge] {
        assert_eq!(s.admit(id, ThreadParams::DEFAULT, 0), Err(SchedError::BadThread));
        assert_eq!(s.ready(id, 0), Err(SchedError::BadThread));
        assert_eq!(s.block(id, 0), Err(SchedError::BadThread));
        assert_eq!(s.interrupted(id, 0), Err(SchedError::BadThread));
        assert_eq!(s.quantum_expired(id, 0), Err(SchedError::BadThread));
        assert_eq!(s.complete(id, 0).unwrap_err(), SchedError::BadThread);
        assert_eq!(s.release(id, 0), Err(SchedError::BadThread));
        assert_eq!(s.remove(id, 0), Err(SchedError::BadThread));
        assert_eq!(s.stats(id), Err(SchedError::BadThread));
        assert_eq!(s.transfer(id, t(0), 1), Err(SchedError::BadThread));
    }
    assert_eq!(s.ready(t(3), 0), Err(SchedError::NotAdmitted));
    assert_eq!(s.state(t(3)), Err(SchedError::NotAdmitted));
    s.admit(t(3), ThreadParams::DEFAULT, 0).unwrap();
    assert_eq!(s.admit(t(3), ThreadParams::DEFAULT, 0), Err(SchedError::AlreadyAdmitted));
    assert_eq!(s.admit(t(4), ThreadParams::periodic(0, 1), 0), Err(SchedError::InvalidParams));
    assert_eq!(s.state(t(3)), Ok(ThreadState::Blocked));
    assert_eq!(s.interrupted(t(3), 0), Err(SchedError::NotRunning));
    assert_eq!(s.quantum_expired(t(3), 0), Err(SchedError::NotRunning));
    assert_eq!(s.complete(t(3), 0).unwrap_err(), SchedError::NotRunning);
    s.ready(t(3), 0).unwrap();
    assert_eq!(picked(&mut s, 0), Some(3));
    // Running, but it has no job.
    assert_eq!(s.complete(t(3), 1).unwrap_err(), SchedError::NoJob);
    assert_eq!(s.state(t(3)), Ok(ThreadState::Running));
}

#[test]
fn capacity_is_max_threads() {
    let mut s = Sched::new(Fifo::new());
    for i in 0..MAX_THREADS {
        s.admit(t(i), ThreadParams::DEFAULT, 0).unwrap();
        s.ready(t(i), 0).unwrap();
    }
    assert_eq!(s.admit(t(MAX_THREADS), ThreadParams::DEFAULT, 0), Err(SchedError::BadThread));
    assert_eq!(s.threads().len(), MAX_THREADS);
    for i in 0..MAX_THREADS {
        assert_eq!(picked(&mut s, 0), Some(i));
        s.block(t(i), 0).unwrap();
    }
    assert_eq!(s.pick(0), None);
}

#[test]
fn blocked_and_removed_threads_are_not_picked() {
    for name in ["fifo", "edf", "round-robin", "lottery", "stride"] {
        let mut s = AnyScheduler::from_name(name, PolicyConfig::DEFAULT).unwrap();
        for i in 0..4 {
            s.admit(t(i), ThreadParams::DEFAULT, 0).unwrap();
            s.ready(t(i), 0).unwrap();
        }
        s.block(t(1), 0).unwrap();
        s.remove(t(2), 0).unwrap();
        let mut seen = Vec::new();
        while let Some(p) = s.pick(0) {
            seen.push(p.thread.0);
            s.block(p.thread, 0).unwrap();
        }
        seen.sort();
        assert_eq!(seen, [0, 3], "{name}");
        // A removed thread's id can be admitted again.
        s.admit(t(2), ThreadParams::DEFAULT, 0).unwrap();
        s.ready(t(1), 0).unwrap();
        assert_eq!(picked(&mut s, 0), Some(1), "{name}");
        // Removing the running thread ends its run.
        s.remove(t(1), 5).unwrap();
        assert_eq!(s.running(), None, "{name}");
        assert_eq!(s.pick(5), None, "{name}");
    }
}

#[test]
fn picking_while_a_thread_runs_interrupts_it() {
    let mut s = plain(Fifo::new(), 2);
    assert_eq!(picked(&mut s, 0), Some(0));
    // The runtime did not report why thread 0 stopped: it keeps its turn.
    assert_eq!(picked(&mut s, 5), Some(0));
    assert_eq!(s.stats(t(0)).unwrap().cpu_ns, 5);
    assert_eq!(s.stats(t(0)).unwrap().dispatches, 2);
}

// ---- jobs, deadlines and misses ----

#[test]
fn periodic_jobs_are_released_and_accounted() {
    let mut s = Sched::new(Edf::new());
    s.admit(t(0), ThreadParams::periodic(20 * MS, 4 * MS), 0).unwrap();
    assert_eq!(s.state(t(0)), Ok(ThreadState::AwaitingJob));
    assert_eq!(s.next_release(), Some(0));
    assert!(s.release_due(0).contains(t(0)));
    let job = s.job(t(0)).unwrap().unwrap();
    assert_eq!((job.index, job.release_ns, job.deadline_ns), (0, 0, Some(20 * MS)));
    // Not due again until the job completes.
    assert_eq!(s.next_release(), None);
    assert_eq!(picked(&mut s, MS), Some(0));
    let done = s.complete(t(0), 5 * MS).unwrap();
    assert_eq!(done.record.job.start_ns, Some(MS));
    assert_eq!(done.record.response_ns, 5 * MS);
    assert_eq!(done.record.lateness_ns, Some(-15 * (MS as i64)));
    assert!(!done.record.missed);
    assert_eq!(done.next, None);
    assert_eq!(s.state(t(0)), Ok(ThreadState::AwaitingJob));
    assert_eq!(s.next_release(), Some(20 * MS));
    assert!(s.release_due(19 * MS).is_empty());
    assert!(s.release_due(20 * MS).contains(t(0)));
    let stats = s.stats(t(0)).unwrap();
    assert_eq!((stats.released, stats.jobs, stats.misses), (2, 1, 0));
    assert_eq!(stats.cpu_ns, 4 * MS);
}

#[test]
fn late_completion_is_a_miss_and_the_next_due_job_follows_at_once() {
    let mut s = Sched::new(Edf::new());
    s.admit(t(0), ThreadParams::periodic(10, 8), 0).unwrap();
    s.release_due(0);
    assert_eq!(picked(&mut s, 0), Some(0));
    // Finishes at 25: past its deadline (10), and jobs 1 (10) and 2 (20)
    // are due.
    let done = s.complete(t(0), 25).unwrap();
    assert!(done.record.missed);
    assert_eq!(done.record.lateness_ns, Some(15));
    let next = done.next.unwrap();
    assert_eq!((next.index, next.release_ns, next.deadline_ns), (1, 10, Some(20)));
    assert_eq!(s.state(t(0)), Ok(ThreadState::Ready));
    assert_eq!(s.stats(t(0)).unwrap().misses, 1);
    // Job 1 is overdue already: counted once, however often we look.
    assert_eq!(s.release_due(25), vesper_schedulers::ThreadSet::EMPTY);
    assert_eq!(s.stats(t(0)).unwrap().misses, 2);
    assert_eq!(s.check_deadlines(25), 0);
    assert_eq!(picked(&mut s, 25), Some(0));
    let done = s.complete(t(0), 33).unwrap();
    assert!(done.record.missed);
    // Not counted twice.
    assert_eq!(s.stats(t(0)).unwrap().misses, 2);
    assert_eq!(done.next.map(|j| j.index), Some(2));
}

#[test]
fn check_deadlines_counts_unreleased_jobs_once() {
    let mut s = Sched::new(Fifo::new());
    s.admit(t(0), ThreadParams::periodic(10, 1), 0).unwrap();
    s.admit(t(1), ThreadParams::periodic(10, 1).with_deadline(5), 0).unwrap();
    // Nobody ran: at 35, jobs 0, 1, 2 of thread 0 (deadlines 10, 20, 30)
    // missed, and jobs 0..=3 of thread 1 (deadlines 5, 15, 25, 35 - not
    // before 35).
    assert_eq!(s.check_deadlines(35), 3 + 3);
    assert_eq!(s.check_deadlines(35), 0);
    assert_eq!(s.stats(t(0)).unwrap().misses, 3);
    assert_eq!(s.check_deadlines(36), 1);
    // Released late and completed late: already counted.
    s.release_due(36);
    assert_eq!(picked(&mut s, 36), Some(0));
    assert!(s.complete(t(0), 37).unwrap().record.missed);
    assert_eq!(s.stats(t(0)).unwrap().misses, 3);
}

#[test]
fn explicit_release_drops_an_unfinished_job() {
    let mut s = Sched::new(Edf::new());
    s.admit(t(0), ThreadParams::DEFAULT.with_deadline(10), 0).unwrap();
    assert_eq!(s.state(t(0)), Ok(ThreadState::Blocked));
    s.release(t(0), 0).unwrap();
    // A release does not wake a blocked thread.
    assert_eq!(s.state(t(0)), Ok(ThreadState::Blocked));
    s.ready(t(0), 0).unwrap();
    assert_eq!(picked(&mut s, 0), Some(0));
    s.block(t(0), 3).unwrap();
    // Dropped before its deadline: not a miss.
    s.release(t(0), 5).unwrap();
    // Dropped after its deadline (15): a miss.
    s.release(t(0), 20).unwrap();
    let stats = s.stats(t(0)).unwrap();
    assert_eq!((stats.released, stats.dropped, stats.misses), (3, 2, 1));
    assert_eq!(s.job(t(0)).unwrap().unwrap().deadline_ns, Some(30));
}

#[test]
fn a_thread_that_awaits_a_job_is_woken_by_its_release() {
    let mut s = Sched::new(Fifo::new());
    s.admit(t(0), ThreadParams::periodic(10, 1), 0).unwrap();
    s.release_due(0);
    assert_eq!(picked(&mut s, 0), Some(0));
    s.complete(t(0), 1).unwrap();
    // Blocking a thread that awaits its job changes nothing.
    s.block(t(0), 1).unwrap();
    assert_eq!(s.state(t(0)), Ok(ThreadState::AwaitingJob));
    assert!(s.release_due(10).contains(t(0)));
    assert_eq!(s.state(t(0)), Ok(ThreadState::Ready));
}

// ---- FIFO ----

#[test]
fn fifo_runs_in_arrival_order_and_interrupted_keeps_its_turn() {
    let mut s = plain(Fifo::new(), 0);
    for i in [2, 0, 1] {
        s.admit(t(i), ThreadParams::DEFAULT, 0).unwrap();
        s.ready(t(i), 0).unwrap();
    }
    assert_eq!(picked(&mut s, 0), Some(2));
    s.interrupted(t(2), 1).unwrap();
    assert_eq!(picked(&mut s, 1), Some(2));
    assert_eq!(s.pick(1).map(|p| p.preempt_at), Some(None));
}

// ---- EDF ----

#[test]
fn edf_picks_the_earliest_deadline_and_breaks_ties_by_arrival() {
    let mut s = Sched::new(Edf::new());
    s.admit(t(0), ThreadParams::periodic(30, 1), 0).unwrap();
    s.admit(t(1), ThreadParams::periodic(10, 1), 0).unwrap();
    s.admit(t(2), ThreadParams::periodic(30, 1), 0).unwrap();
    s.admit(t(3), ThreadParams::DEFAULT, 0).unwrap();
    s.ready(t(3), 0).unwrap();
    s.release_due(0);
    let p = s.pick(0).unwrap();
    assert_eq!((p.thread, p.preempt_at), (t(1), None));
    s.complete(t(1), 1).unwrap();
    // Equal deadlines (30): the one released first (lower id here).
    assert_eq!(picked(&mut s, 1), Some(0));
    // Interrupted, it keeps its place ahead of its equal.
    s.interrupted(t(0), 2).unwrap();
    assert_eq!(picked(&mut s, 2), Some(0));
    // Yielding, it goes behind its equal.
    s.ready(t(0), 3).unwrap();
    assert_eq!(picked(&mut s, 3), Some(2));
    s.complete(t(2), 4).unwrap();
    assert_eq!(picked(&mut s, 4), Some(0));
    s.complete(t(0), 5).unwrap();
    // Threads without deadlines run last.
    assert_eq!(picked(&mut s, 5), Some(3));
    // A release preempts: the runtime interrupts, releases, picks.
    s.interrupted(t(3), 10).unwrap();
    s.release_due(10);
    assert_eq!(picked(&mut s, 10), Some(1));
}

#[test]
fn edf_reorders_a_queued_thread_when_its_job_is_released() {
    let mut s = Sched::new(Edf::new());
    s.admit(t(0), ThreadParams::DEFAULT.with_deadline(100), 0).unwrap();
    s.admit(t(1), ThreadParams::DEFAULT.with_deadline(50), 0).unwrap();
    s.ready(t(0), 0).unwrap();
    s.ready(t(1), 0).unwrap();
    // Thread 1 has no job yet (no deadline); thread 0 gets one at 0.
    s.release(t(0), 0).unwrap();
    assert_eq!(picked(&mut s, 0), Some(0));
    s.interrupted(t(0), 1).unwrap();
    s.release(t(1), 1).unwrap();
    assert_eq!(picked(&mut s, 1), Some(1));
}

// ---- round-robin ----

#[test]
fn round_robin_rotates_on_quantum_expiry() {
    let mut s = plain(RoundRobin::new(10), 3);
    let mut order = Vec::new();
    let mut now = 0;
    for _ in 0..6 {
        let p = s.pick(now).unwrap();
        assert_eq!(p.preempt_at, Some(now + 10));
        order.push(p.thread.0);
        now += 10;
        s.quantum_expired(p.thread, now).unwrap();
    }
    assert_eq!(order, [0, 1, 2, 0, 1, 2]);
}

#[test]
fn round_robin_keeps_the_rest_of_the_quantum_when_interrupted() {
    let mut s = plain(RoundRobin::new(10), 2);
    assert_eq!(s.pick(0).unwrap().preempt_at, Some(10));
    s.interrupted(t(0), 4).unwrap();
    // The domain was away from 4 to 100.
    let p = s.pick(100).unwrap();
    assert_eq!((p.thread, p.preempt_at), (t(0), Some(106)));
    // Interrupted after using it all: that is an expiry.
    s.interrupted(t(0), 106).unwrap();
    assert_eq!(picked(&mut s, 106), Some(1));
}

#[test]
fn round_robin_per_thread_quantum_and_yield_gives_up_the_rest() {
    let mut s = Sched::new(RoundRobin::new(10));
    s.admit(t(0), ThreadParams::DEFAULT.with_quantum(3), 0).unwrap();
    s.admit(t(1), ThreadParams::DEFAULT, 0).unwrap();
    s.ready(t(0), 0).unwrap();
    s.ready(t(1), 0).unwrap();
    assert_eq!(s.pick(0).unwrap().preempt_at, Some(3));
    s.ready(t(0), 1).unwrap();
    assert_eq!(s.pick(1).unwrap().preempt_at, Some(11));
    s.block(t(1), 2).unwrap();
    // A fresh quantum after yielding.
    assert_eq!(s.pick(2).unwrap().preempt_at, Some(5));
}

// ---- lottery ----

#[test]
fn lottery_transfers_tickets() {
    let mut s = plain(Lottery::new(10, 1), 3);
    assert_eq!(s.transfer(t(0), t(1), 60), Ok(()));
    assert_eq!(s.tickets(t(0)), Ok(40));
    assert_eq!(s.tickets(t(1)), Ok(160));
    assert_eq!(s.policy().effective_tickets(t(1)), 160);
    // The giver keeps at least one ticket.
    assert_eq!(s.transfer(t(0), t(1), 40), Err(SchedError::NotEnoughTickets));
    assert_eq!(s.transfer(t(0), t(1), 39), Ok(()));
    assert_eq!(s.tickets(t(0)), Ok(1));
    assert_eq!(s.transfer(t(2), t(9), 1), Err(SchedError::NotAdmitted));
    assert_eq!(s.tickets(t(2)), Ok(100));
    assert_eq!(s.transfer(t(2), t(2), 50), Ok(()));
    assert_eq!(s.set_tickets(t(2), 0), Err(SchedError::InvalidParams));
    s.set_tickets(t(2), u32::MAX).unwrap();
    assert_eq!(s.transfer(t(1), t(2), 1), Err(SchedError::InvalidParams));
    // Transfers change who wins: thread 1 now holds 199 of 200 tickets
    // besides thread 2's, which we block.
    s.block(t(2), 0).unwrap();
    let wins = (0..1000)
        .filter(|_| {
            let p = s.pick(0).unwrap();
            s.quantum_expired(p.thread, 0).unwrap();
            p.thread == t(1)
        })
        .count();
    assert!(wins > 980, "{wins}");
}

#[test]
fn lottery_compensates_a_thread_that_uses_part_of_its_quantum() {
    let mut s = plain(Lottery::new(100, 7), 2);
    // Run until thread 1 wins, and let it block after a quarter quantum.
    let mut now = 0;
    loop {
        let p = s.pick(now).unwrap();
        if p.thread == t(1) {
            s.block(t(1), now + 25).unwrap();
            now += 25;
            break;
        }
        now += 100;
        s.quantum_expired(p.thread, now).unwrap();
    }
    assert_eq!(s.policy().effective_tickets(t(1)), 400);
    s.ready(t(1), now).unwrap();
    // Compensation lasts until it next wins.
    assert_eq!(s.policy().effective_tickets(t(1)), 400);
    loop {
        let p = s.pick(now).unwrap();
        if p.thread == t(1) {
            break;
        }
        now += 100;
        s.quantum_expired(p.thread, now).unwrap();
    }
    assert_eq!(s.policy().effective_tickets(t(1)), 100);
}

#[test]
fn lottery_compensation_evens_out_cpu_shares() {
    // Equal tickets; thread 1 always yields after a quarter of its quantum.
    // Without compensation it would get 1/5 of the CPU; with it, about half.
    let mut s = plain(Lottery::new(100, 3), 2);
    let mut cpu = [0u64; 2];
    let mut now = 0;
    for _ in 0..20_000 {
        let p = s.pick(now).unwrap();
        let used = if p.thread == t(0) { 100 } else { 25 };
        now += used;
        cpu[p.thread.0] += used;
        if p.thread == t(0) {
            s.quantum_expired(t(0), now).unwrap();
        } else {
            s.ready(t(1), now).unwrap();
        }
    }
    let share = cpu[1] as f64 / (cpu[0] + cpu[1]) as f64;
    assert!((0.45..0.55).contains(&share), "thread 1 got {share:.3} of the CPU");
}

#[test]
fn lottery_resumes_an_interrupted_thread_without_a_draw() {
    let mut s = plain(Lottery::new(10, 5), 4);
    for now in 0..100 {
        let first = s.pick(now * 10).unwrap();
        s.interrupted(first.thread, now * 10 + 3).unwrap();
        let again = s.pick(now * 10 + 5).unwrap();
        assert_eq!(again.thread, first.thread);
        assert_eq!(again.preempt_at, Some(now * 10 + 12));
        s.quantum_expired(again.thread, now * 10 + 12).unwrap();
    }
}

// ---- stride ----

#[test]
fn stride_is_deterministic_and_proportional() {
    let mut s = Sched::new(Stride::new(10));
    for (i, tickets) in [3, 2, 1].into_iter().enumerate() {
        s.admit(t(i), ThreadParams::DEFAULT.with_tickets(tickets), 0).unwrap();
        s.ready(t(i), 0).unwrap();
    }
    let mut order = Vec::new();
    let mut now = 0;
    for _ in 0..12 {
        let p = s.pick(now).unwrap();
        order.push(p.thread.0);
        now += 10;
        s.quantum_expired(p.thread, now).unwrap();
    }
    let count = |i| order.iter().filter(|&&x| x == i).count();
    assert_eq!((count(0), count(1), count(2)), (6, 4, 2), "{order:?}");
}

#[test]
fn stride_charges_partial_quanta_and_sleepers_keep_their_distance() {
    let mut s = plain(Stride::new(10), 2);
    // Thread 0 runs half a quantum and yields; thread 1 then runs a full
    // one; thread 0 has the smaller pass.
    assert_eq!(picked(&mut s, 0), Some(0));
    s.ready(t(0), 5).unwrap();
    assert_eq!(picked(&mut s, 5), Some(1));
    s.quantum_expired(t(1), 15).unwrap();
    assert_eq!(picked(&mut s, 15), Some(0));
    // Thread 0 sleeps a long time; thread 1 runs alone meanwhile.
    s.block(t(0), 20).unwrap();
    let mut now = 20;
    for _ in 0..100 {
        assert_eq!(picked(&mut s, now), Some(1));
        now += 10;
        s.quantum_expired(t(1), now).unwrap();
    }
    // Back, it does not get 100 quanta of credit: they alternate.
    s.ready(t(0), now).unwrap();
    let mut order = Vec::new();
    for _ in 0..6 {
        let p = s.pick(now).unwrap();
        order.push(p.thread.0);
        now += 10;
        s.quantum_expired(p.thread, now).unwrap();
    }
    assert_eq!(order.iter().filter(|&&i| i == 0).count(), 3, "{order:?}");
}

#[test]
fn stride_transfer_changes_the_shares() {
    let mut s = plain(Stride::new(10), 2);
    s.transfer(t(1), t(0), 50).unwrap();
    // 150 : 50.
    let mut count = [0usize; 2];
    let mut now = 0;
    for _ in 0..400 {
        let p = s.pick(now).unwrap();
        count[p.thread.0] += 1;
        now += 10;
        s.quantum_expired(p.thread, now).unwrap();
    }
    assert_eq!(count, [300, 100]);
}

#[test]
fn lottery_seeds_change_the_draws() {
    let draws = |seed| {
        let mut s = plain(Lottery::new(10, seed), 2);
        (0..64)
            .map(|i| {
                let p = s.pick(i * 10).unwrap();
                s.quantum_expired(p.thread, i * 10 + 10).unwrap();
                p.thread.0
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(draws(1), draws(1));
    assert_ne!(draws(1), draws(2));
    assert_ne!(draws(1), draws(u64::MAX));
}
