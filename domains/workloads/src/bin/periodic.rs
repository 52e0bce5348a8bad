//! `periodic`: a real-time task set under the domain's user-level scheduler.
//!
//! The manifest declares the threads (`threads = [{ name, period, wcet,
//! deadline, tickets }]`) and the policy (`scheduler = "edf"`, ...); the
//! kernel hands them over in the DCB. Each thread releases a job every
//! period, does `wcet` of real work (a loop that runs until the thread has
//! had `wcet` more of CPU time, so it can be preempted anywhere), and
//! reports the job done; the scheduler records release, finish and
//! deadline. Every thread's first job is released when the domain's first
//! period began (the DCB's `start_ns`), as the simulator releases them all
//! at its time 0, so that the two schedules can be compared job by job.
//!
//! The domain reports the jobs released in the first
//! `report_horizon_ns` of the run, as the simulator does over the same
//! manifest: a periodic thread takes a snapshot of its statistics when
//! its next job would be released past the horizon, and the last one to
//! do so prints one `JobLine` per thread and ends the domain (the console
//! shows them as `[DOMAIN] job domain=...`):
//!
//! `job domain=w thread=t1 scheduler=edf jobs=15 misses=0 resp_max_ns=4100000 resp_avg_ns=4050000`
//!
//! If some thread is starved and never gets there, the first thread to see
//! the run's end near prints what there is.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use vesper_activations::{
    check_deadlines, current_thread, dcb, job_done, now_ns, println, report_horizon_ns,
    scheduler_name, spawn_at, syscall, thread_cpu_ns, thread_stats, trace_thread_spec, JobLine,
    ThreadId, ThreadParams, ThreadStats,
};

vesper_activations::main!(run);

/// Threads a domain can have (the DCB's thread specs).
const THREADS: usize = 16;

/// Each thread's work per job, by thread id.
static WCET: [AtomicU64; THREADS] = [const { AtomicU64::new(0) }; THREADS];
/// Each thread's period (0: a single job), by thread id.
static PERIOD: [AtomicU64; THREADS] = [const { AtomicU64::new(0) }; THREADS];
/// When each thread was admitted (its first release), by thread id.
static FIRST_RELEASE: [AtomicU64; THREADS] = [const { AtomicU64::new(0) }; THREADS];
/// The spec index of each thread id (for its name).
static SPEC: [AtomicU64; THREADS] = [const { AtomicU64::new(u64::MAX) }; THREADS];
/// Jobs released before this time are reported.
static HORIZON_END: AtomicU64 = AtomicU64::new(u64::MAX);
/// After this time the report is printed whatever is missing.
static LAST_CALL: AtomicU64 = AtomicU64::new(u64::MAX);
/// Each periodic thread's statistics at the horizon: jobs, misses,
/// longest and summed response (written before `SNAPPED` is set).
static SNAPSHOT: [[AtomicU64; 4]; THREADS] = [const { [const { AtomicU64::new(0) }; 4] }; THREADS];
/// Whether each thread's snapshot is taken.
static SNAPPED: [AtomicBool; THREADS] = [const { AtomicBool::new(false) }; THREADS];
/// Periodic threads still to take their snapshot.
static PENDING: AtomicUsize = AtomicUsize::new(0);
/// Whether the report has been printed.
static REPORTED: AtomicBool = AtomicBool::new(false);

/// Runs `iterations` of a loop the compiler cannot remove.
fn spin(iterations: u64) {
    let mut x = 0u64;
    for i in 0..iterations {
        x = core::hint::black_box(x.wrapping_add(i));
    }
    core::hint::black_box(x);
}

/// Does `ns` of work: computes until the thread has had `ns` more of CPU
/// time (checking every few hundred instructions).
fn work(ns: u64) {
    let start = thread_cpu_ns();
    while thread_cpu_ns().saturating_sub(start) < ns {
        spin(64);
    }
}

/// Keeps `id`'s statistics as they are now, for the report.
fn snapshot(id: ThreadId) {
    let index = id.0 % THREADS;
    if SNAPPED[index].load(Ordering::Acquire) {
        return;
    }
    let stats = thread_stats(id).unwrap_or_default();
    let fields = [stats.jobs, stats.misses, stats.response_max_ns, stats.response_sum_ns];
    for (slot, value) in SNAPSHOT[index].iter().zip(fields) {
        slot.store(value, Ordering::Relaxed);
    }
    SNAPPED[index].store(true, Ordering::Release);
    if PENDING.fetch_sub(1, Ordering::AcqRel) == 1 {
        report();
    }
}

/// The statistics a thread reports: its snapshot if it took one, else
/// what it has now.
fn reported_stats(id: ThreadId) -> Option<ThreadStats> {
    let index = id.0 % THREADS;
    if !SNAPPED[index].load(Ordering::Acquire) {
        return thread_stats(id).ok();
    }
    let [jobs, misses, response_max_ns, response_sum_ns] =
        SNAPSHOT[index].each_ref().map(|slot| slot.load(Ordering::Relaxed));
    Some(ThreadStats { jobs, misses, response_max_ns, response_sum_ns, ..ThreadStats::default() })
}

fn report() {
    if REPORTED.swap(true, Ordering::Relaxed) {
        return;
    }
    check_deadlines();
    let domain = dcb().name();
    let scheduler = scheduler_name();
    for (id, spec) in SPEC.iter().enumerate() {
        let spec = spec.load(Ordering::Relaxed);
        let Some(spec) = dcb().thread_specs().get(spec as usize) else { continue };
        let Some(stats) = reported_stats(ThreadId(id)) else { continue };
        println!("{}", JobLine::of(domain, spec.name(), scheduler, &stats));
    }
    syscall::exit(0);
}

fn job_thread() {
    let Some(id) = current_thread() else { return };
    let index = id.0 % THREADS;
    let wcet = WCET[index].load(Ordering::Relaxed);
    let period = PERIOD[index].load(Ordering::Relaxed);
    let first = FIRST_RELEASE[index].load(Ordering::Relaxed);
    let mut done: u64 = 0;
    loop {
        work(wcet);
        job_done();
        done += 1;
        let next_release = first.saturating_add(done.saturating_mul(period));
        if period != 0 && next_release >= HORIZON_END.load(Ordering::Relaxed) {
            snapshot(id);
        }
        if now_ns() >= LAST_CALL.load(Ordering::Relaxed) {
            report();
        }
    }
}

fn run() {
    let specs = dcb().thread_specs();
    let longest = specs.iter().map(|s| s.period_ns).max().unwrap_or(0);
    let domain_period = dcb().reservation.period_ns;
    let start = dcb().start_ns;
    let run_end = dcb().run_end_ns;
    let horizon = report_horizon_ns(run_end.saturating_sub(start), longest, domain_period);
    HORIZON_END.store(start.saturating_add(horizon), Ordering::Relaxed);
    LAST_CALL.store(run_end.saturating_sub(longest + domain_period), Ordering::Relaxed);
    let periodic = specs.iter().filter(|spec| spec.period_ns != 0).count();
    PENDING.store(periodic, Ordering::Relaxed);
    for (index, spec) in specs.iter().enumerate() {
        let mut params = ThreadParams::periodic(spec.period_ns, spec.wcet_ns);
        if spec.deadline_ns != 0 {
            params = params.with_deadline(spec.deadline_ns);
        }
        if spec.tickets != 0 {
            params = params.with_tickets(u32::try_from(spec.tickets).unwrap_or(u32::MAX));
        }
        match spawn_at(job_thread, params, start) {
            Ok(id) => {
                let slot = id.0 % THREADS;
                WCET[slot].store(spec.wcet_ns, Ordering::Relaxed);
                PERIOD[slot].store(spec.period_ns, Ordering::Relaxed);
                FIRST_RELEASE[slot].store(start, Ordering::Relaxed);
                SPEC[slot].store(index as u64, Ordering::Relaxed);
                trace_thread_spec(id, index);
            }
            Err(error) => {
                println!("thread {}: not started: {error}", spec.name());
                if spec.period_ns != 0 {
                    PENDING.fetch_sub(1, Ordering::Relaxed);
                }
            }
        }
    }
    if specs.is_empty() {
        println!("no threads declared (the manifest's `threads` key)");
    }
}
