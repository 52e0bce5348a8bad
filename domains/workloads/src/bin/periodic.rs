//! `periodic`: a real-time task set under the domain's user-level scheduler.
//!
//! The manifest declares the threads (`threads = [{ name, period, wcet,
//! deadline, tickets }]`) and the policy (`scheduler = "edf"`, ...); the
//! kernel hands them over in the DCB. Each thread releases a job every
//! period, does `wcet` of real work (a calibrated loop, so it can be
//! preempted anywhere), and reports the job done; the scheduler records
//! release, finish and deadline. Shortly before the run ends, the first
//! thread to notice prints one line per thread and ends the domain:
//!
//! `job domain=w thread=t1 scheduler=edf jobs=25 misses=0 resp_max_ns=4100000 resp_avg_ns=4050000`

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use vesper_activations::{
    check_deadlines, current_thread, dcb, job_done, now_ns, println, scheduler_name, spawn_with,
    syscall, thread_stats, ThreadId, ThreadParams,
};

vesper_activations::main!(run);

/// Loop iterations per microsecond of work, measured at start (x 1024).
static RATE: AtomicU64 = AtomicU64::new(0);
/// Each thread's work per job, by thread id.
static WCET: [AtomicU64; 16] = [const { AtomicU64::new(0) }; 16];
/// The spec index of each thread id (for its name).
static SPEC: [AtomicU64; 16] = [const { AtomicU64::new(u64::MAX) }; 16];
/// When the report is due.
static REPORT_AT: AtomicU64 = AtomicU64::new(u64::MAX);
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

/// Measures the loop's speed: the fastest of a few short trials (a trial
/// that was preempted is slower, never faster).
fn calibrate() {
    const TRIAL: u64 = 20_000;
    let fastest = (0..5)
        .map(|_| {
            let start = now_ns();
            spin(TRIAL);
            now_ns() - start
        })
        .min()
        .unwrap_or(1)
        .max(1);
    RATE.store(TRIAL * 1024 * 1000 / fastest, Ordering::Relaxed);
}

/// Does `ns` of work.
fn work(ns: u64) {
    spin(ns * RATE.load(Ordering::Relaxed) / 1024 / 1000);
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
        let Ok(stats) = thread_stats(ThreadId(id)) else { continue };
        let avg = stats.response_sum_ns.checked_div(stats.jobs).unwrap_or(0);
        println!(
            "job domain={domain} thread={} scheduler={scheduler} jobs={} misses={} \
             resp_max_ns={} resp_avg_ns={avg}",
            spec.name(),
            stats.jobs,
            stats.misses,
            stats.response_max_ns
        );
    }
    syscall::exit(0);
}

fn job_thread() {
    let Some(id) = current_thread() else { return };
    let wcet = WCET[id.0 % 16].load(Ordering::Relaxed);
    loop {
        work(wcet);
        if now_ns() >= REPORT_AT.load(Ordering::Relaxed) {
            report();
        }
        job_done();
    }
}

fn run() {
    calibrate();
    let specs = dcb().thread_specs();
    let longest = specs.iter().map(|s| s.period_ns).max().unwrap_or(0);
    let margin = 2 * longest + 2 * dcb().reservation.period_ns;
    REPORT_AT.store(dcb().run_end_ns.saturating_sub(margin), Ordering::Relaxed);
    for (index, spec) in specs.iter().enumerate() {
        let mut params = ThreadParams::periodic(spec.period_ns, spec.wcet_ns);
        if spec.deadline_ns != 0 {
            params = params.with_deadline(spec.deadline_ns);
        }
        if spec.tickets != 0 {
            params = params.with_tickets(u32::try_from(spec.tickets).unwrap_or(u32::MAX));
        }
        match spawn_with(job_thread, params) {
            Ok(id) => {
                WCET[id.0 % 16].store(spec.wcet_ns, Ordering::Relaxed);
                SPEC[id.0 % 16].store(index as u64, Ordering::Relaxed);
            }
            Err(error) => println!("thread {}: not started: {error}", spec.name()),
        }
    }
    if specs.is_empty() {
        println!("no threads declared (the manifest's `threads` key)");
    }
}
