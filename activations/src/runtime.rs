//! The runtime: the activation handler, the scheduling loop, and the thread
//! API.
//!
//! The runtime's state is touched only with activations off. The kernel
//! turns them off when it enters the activation handler; thread-side calls
//! turn them off by writing the DCB's mode word, which is what "disabling
//! virtual interrupts" means here. While they are off, a preemption is saved
//! in the `resctx` slot and resumed without an upcall, so the runtime is
//! never re-entered. Every thread resume goes through `rfa`, which restores
//! the thread and turns activations back on in one step.
//!
//! An activation that arrives while no thread was running (the domain was
//! blocked in the scheduling loop, waiting for a release or a sleeper)
//! simply starts a new round: the interrupted loop had nothing worth
//! keeping. The scheduler asks to come back at a quantum's end or a job's
//! release through the kernel's alarm (`set_alarm`), which arrives as an
//! activation with reason Event.

use crate::entry::vesper_switch_out;
use crate::syscall;
use crate::threads::{Awaited, Next, Threads};
use core::ptr::addr_of_mut;
use core::sync::atomic::{compiler_fence, AtomicUsize, Ordering};
use vesper_abi::cap::EVENT_SLOTS;
use vesper_abi::dcb::ticks_to_ns;
use vesper_abi::dcb::{ActivationReason, Context, DcbReadOnly, DcbWritable, CONTEXT_SLOTS};
use vesper_abi::layout::{DCB_RO_OFFSET, DCB_RW_OFFSET};
use vesper_schedulers::{
    AnyScheduler, PolicyConfig, PolicyKind, SchedError, Scheduler, ThreadId, ThreadParams,
    ThreadStats, MAX_THREADS,
};

/// Bytes of stack per thread.
const STACK_SIZE: usize = 16 * 1024;
/// How many activation reasons are kept for [`activation_history`].
const HISTORY: usize = 64;

#[repr(C, align(16))]
struct Stacks([[u8; STACK_SIZE]; MAX_THREADS]);

struct Runtime {
    threads: Threads<AnyScheduler>,
    history: heapless::Vec<ActivationReason, HISTORY>,
}

static mut RUNTIME: Runtime = Runtime {
    threads: Threads::new(AnyScheduler::of_kind(PolicyKind::Fifo, PolicyConfig::DEFAULT)),
    history: heapless::Vec::new(),
};
static mut STACKS: Stacks = Stacks([[0; STACK_SIZE]; MAX_THREADS]);
/// The DCB's read-only half, as the first activation gave it.
static DCB: AtomicUsize = AtomicUsize::new(0);

/// # Safety
/// Activations must be off, so that nothing else uses the runtime.
unsafe fn runtime() -> &'static mut Runtime {
    // SAFETY: exclusive by the caller's guarantee.
    unsafe { &mut *addr_of_mut!(RUNTIME) }
}

/// The domain's read-only DCB half: its name, reservation, accounting and
/// what the manifest declares (scheduler, threads).
pub fn dcb() -> &'static DcbReadOnly {
    // SAFETY: the kernel maps the read-only half for the domain's lifetime
    // and gave its address to the first activation, before any thread ran.
    unsafe { &*(DCB.load(Ordering::Relaxed) as *const DcbReadOnly) }
}

/// The domain's writable DCB half (its mode word, upcall entry, save
/// slots). Writing it is how a domain steers its own activations; the
/// library does so itself, so a program writes it only to test the kernel
/// or to measure it.
pub fn dcb_writable() -> *mut DcbWritable {
    (DCB.load(Ordering::Relaxed) - DCB_RO_OFFSET as usize + DCB_RW_OFFSET as usize)
        as *mut DcbWritable
}

/// Turns activations on or off by writing the DCB's mode word.
fn set_activations(enabled: bool) {
    compiler_fence(Ordering::SeqCst);
    // SAFETY: the writable half is this domain's own mapped page.
    unsafe {
        addr_of_mut!((*dcb_writable()).activations_enabled).write_volatile(u64::from(enabled))
    };
    compiler_fence(Ordering::SeqCst);
}

/// Runs `f` on the runtime with activations off.
fn with_runtime<R>(f: impl FnOnce(&mut Runtime) -> R) -> R {
    set_activations(false);
    // SAFETY: activations are off.
    let result = f(unsafe { runtime() });
    set_activations(true);
    take_pending_alarm();
    result
}

/// If an alarm came due while activations were off, asks the kernel for
/// its activation now: any system call but `nop` ends in it.
fn take_pending_alarm() {
    // SAFETY: a field of the mapped read-only DCB half; read volatile
    // because the kernel changes it under the domain's feet.
    if unsafe { core::ptr::read_volatile(&dcb().alarm_pending) } != 0 {
        syscall::time_ns();
    }
}

/// Makes activations enter at `entry` instead of the library's own entry.
/// `entry` must end by branching to `_start` with x0, x1 and sp untouched;
/// the benchmark domain uses this to read a counter first.
pub fn set_activation_entry(entry: u64) {
    // SAFETY: the writable half is this domain's own mapped page.
    unsafe { addr_of_mut!((*dcb_writable()).activation_pc).write_volatile(entry) };
}

/// The domain's name, as the manifest gave it.
pub fn domain_name() -> &'static str {
    dcb().name()
}

/// The program's arguments, as the manifest gives them (`args`; empty
/// unless given).
pub fn args() -> &'static str {
    dcb().args()
}

/// The name of the user-level scheduler the domain runs.
pub fn scheduler_name() -> &'static str {
    with_runtime(|rt| rt.threads.scheduler().name())
}

/// The calling thread's id.
pub fn current_thread() -> Option<ThreadId> {
    with_runtime(|rt| rt.threads.current())
}

/// The time in nanoseconds since boot, as the kernel reads it, without a
/// system call: the virtual counter, which EL0 may read, converted with the
/// factor the kernel publishes in the DCB.
pub fn now_ns() -> u64 {
    let ticks: u64;
    // SAFETY: reads the virtual counter, which the kernel lets EL0 read;
    // the `isb` keeps the read from being taken early.
    unsafe {
        core::arch::asm!("isb", "mrs {}, cntvct_el0", out(reg) ticks, options(nomem, nostack))
    };
    ticks_to_ns(ticks, dcb().ns_per_tick)
}

/// The reasons of the domain's first activations, in order.
pub fn activation_history() -> heapless::Vec<ActivationReason, HISTORY> {
    with_runtime(|rt| rt.history.clone())
}

/// What the scheduler counted for `thread`: jobs, misses, response times.
pub fn thread_stats(thread: ThreadId) -> Result<ThreadStats, SchedError> {
    with_runtime(|rt| rt.threads.stats(thread))
}

/// Counts as missed every job that is known to be late by now (see
/// `Scheduler::check_deadlines`); call it before reading the statistics at
/// the end of a run.
pub fn check_deadlines() {
    let now = now_ns();
    with_runtime(|rt| rt.threads.scheduler_mut().check_deadlines(now));
}

/// The scheduler the manifest names, or FIFO.
fn scheduler_from_dcb(dcb: &DcbReadOnly) -> AnyScheduler {
    let config = PolicyConfig { seed: dcb.domain_id + 1, ..PolicyConfig::DEFAULT };
    match dcb.scheduler() {
        "" => AnyScheduler::of_kind(PolicyKind::Fifo, config),
        name => AnyScheduler::from_name(name, config).unwrap_or_else(|error| {
            crate::println!("scheduler {name:?}: {error}; using fifo");
            AnyScheduler::of_kind(PolicyKind::Fifo, config)
        }),
    }
}

/// The ring the threads' trace records go to when the image traces.
static mut TRACE_RECORDS: [vesper_abi::trace::Record; crate::trace::CAPACITY] =
    [vesper_abi::trace::Record { time_ns: 0, kind: 0, domain: 0, a: 0, b: 0 };
        crate::trace::CAPACITY];

/// Called by `entry.s` on every activation, with activations off.
#[no_mangle]
extern "C" fn vesper_activation(dcb: *const DcbReadOnly, reason: u64) -> ! {
    DCB.store(dcb as usize, Ordering::Relaxed);
    // SAFETY: the kernel turned activations off before entering.
    let rt = unsafe { runtime() };
    let reason = ActivationReason::from_number(reason);
    if let Some(reason) = reason {
        let _ = rt.history.push(reason);
    }
    let now = now_ns();
    if reason == Some(ActivationReason::Allocated) {
        rt.threads.set_scheduler(scheduler_from_dcb(self::dcb()));
        if self::dcb().trace_on != 0 {
            // SAFETY: taken once, at the one `Allocated` activation of
            // this life, and kept by the trace alone from then on.
            let records = unsafe { &mut *addr_of_mut!(TRACE_RECORDS) };
            rt.threads.trace.start(self::dcb().domain_id, records);
        }
        let main = initial_context_for(run_main);
        if rt.threads.spawn(ThreadParams::DEFAULT, main, now).is_err() {
            syscall::exit(1);
        }
    } else if rt.threads.current().is_some() {
        // The thread that ran when the domain lost the CPU was saved in the
        // actctx slot; it becomes that thread's context again.
        // SAFETY: the writable half is this domain's own mapped page.
        let rw = unsafe { &*dcb_writable() };
        let slot = (rw.actctx as usize).min(CONTEXT_SLOTS - 1);
        rt.threads.interrupt_current(&rw.slots[slot], domain_clock().cpu_ns);
    }
    schedule()
}

/// Runs the next thread, or blocks until a job release or a sleeper's
/// wake-up, or ends the domain when no thread is left. Runs with
/// activations off.
extern "C" fn schedule() -> ! {
    // SAFETY: every caller has turned activations off.
    let rt = unsafe { runtime() };
    loop {
        // Read before the counts: an event after this makes the block below
        // return at once instead of sleeping through it.
        let seen = events_total();
        let now = now_ns();
        rt.threads.wake_on_events(&event_counts(), events_total(), now);
        let next = rt.threads.next(now);
        let clock = domain_clock();
        match next {
            Next::Run { thread, .. } => rt.threads.resume_counting(thread, clock.cpu_ns),
            _ => rt.threads.stop_counting(clock.cpu_ns),
        }
        if rt.threads.trace.is_on() {
            // SAFETY: the writable half is this domain's own mapped page;
            // the kernel reads the ring's name only at the end of the run.
            unsafe { (*dcb_writable()).trace = rt.threads.trace.ring() };
        }
        match next {
            Next::Run { thread, quantum_ns, wake } => {
                // The quantum counts from here, where the thread's CPU
                // time starts counting. An alarm left from earlier only
                // costs a spurious Event activation, so none is cancelled.
                let quantum_end = quantum_ns.map(|q| clock.now_ns.saturating_add(q));
                if let Some(alarm) = [quantum_end, wake].into_iter().flatten().min() {
                    syscall::set_alarm(alarm);
                }
                let error = syscall::rfa(rt.threads.context_mut(thread));
                panic!("the kernel refused to resume thread {}: {error:?}", thread.0);
            }
            Next::Wait { until } => {
                // Blocks with activations on, as Nemesis does: the wake-up is
                // an activation with reason Event, which starts a fresh
                // round on the activation stack. (If the time has already
                // passed, the call returns at once instead.)
                set_activations(true);
                let _ = syscall::block_until(until, seen);
                set_activations(false);
            }
            Next::Done => syscall::exit(0),
        }
    }
}

fn run_main() {
    extern "Rust" {
        fn vesper_main();
    }
    // SAFETY: `main!` defines `vesper_main` as a plain Rust function.
    unsafe { vesper_main() }
}

/// A new thread's first context: `thread_start(entry)` on its own stack.
fn initial_context_for(entry: fn()) -> impl FnOnce(ThreadId) -> Context {
    move |id| {
        let stacks = addr_of_mut!(STACKS) as usize;
        let stack_top = stacks + (id.0 + 1) * STACK_SIZE;
        let mut context = Context::ZERO;
        context.x[0] = entry as usize as u64;
        context.sp = stack_top as u64;
        context.pc = thread_start as extern "C" fn(usize) -> ! as usize as u64;
        context
    }
}

extern "C" fn thread_start(entry: usize) -> ! {
    // SAFETY: `initial_context_for` stored a `fn()` here.
    let entry: fn() = unsafe { core::mem::transmute::<usize, fn()>(entry) };
    entry();
    exit_thread()
}

/// Starts a thread running `entry`, runnable at once.
pub fn spawn(entry: fn()) -> Result<ThreadId, SchedError> {
    spawn_with(entry, ThreadParams::DEFAULT)
}

/// Starts a thread running `entry` with scheduling parameters: a periodic
/// thread first runs when its first job is released (now), and calls
/// [`job_done`] at the end of each job.
pub fn spawn_with(entry: fn(), params: ThreadParams) -> Result<ThreadId, SchedError> {
    let now = now_ns();
    with_runtime(|rt| rt.threads.spawn(params, initial_context_for(entry), now))
}

/// [`spawn_with`], the thread's first job released at `release_ns` (which
/// may have passed: a task set released at one common time, as the
/// simulator releases it, whatever order its threads are spawned in).
pub fn spawn_at(
    entry: fn(),
    params: ThreadParams,
    release_ns: u64,
) -> Result<ThreadId, SchedError> {
    with_runtime(|rt| rt.threads.spawn(params, initial_context_for(entry), release_ns))
}

/// The CPU time the calling thread has had so far (0 outside a thread):
/// counted in the domain's own CPU time, as the kernel counts it, so it
/// stands still while the domain is preempted, told or not.
pub fn thread_cpu_ns() -> u64 {
    let domain_cpu = domain_clock().cpu_ns;
    with_runtime(|rt| rt.threads.current_cpu_ns(domain_cpu)).unwrap_or(0)
}

/// The time and the domain's CPU time, read together.
struct DomainClock {
    /// The time (ns since boot).
    now_ns: u64,
    /// The domain's CPU time then.
    cpu_ns: u64,
}

/// The domain's CPU time now: what the kernel had counted when it last
/// dispatched the domain (the DCB's `accounting.cpu_ns` and `now_ns`,
/// read until both come from the same dispatch), and the time since.
fn domain_clock() -> DomainClock {
    let dcb = self::dcb();
    loop {
        // SAFETY: fields of the mapped read-only DCB half; read volatile
        // because the kernel rewrites them at every dispatch. A dispatch
        // between the first read and the last changes `now_ns`: then the
        // reads start again.
        let (at, cpu) = unsafe {
            (
                core::ptr::read_volatile(&dcb.now_ns),
                core::ptr::read_volatile(&dcb.accounting.cpu_ns),
            )
        };
        let now = now_ns();
        // SAFETY: as above.
        let again = unsafe { core::ptr::read_volatile(&dcb.now_ns) };
        if at == again && now >= at {
            return DomainClock { now_ns: now, cpu_ns: cpu.saturating_add(now - at) };
        }
    }
}

/// Saves the running thread, applies `update` to the thread table, and
/// runs the scheduling loop; returns when the thread is resumed.
fn switch_out(update: impl FnOnce(&mut Threads<AnyScheduler>, u64)) {
    let now = now_ns();
    set_activations(false);
    // SAFETY: activations are off.
    let rt = unsafe { runtime() };
    let Some(current) = rt.threads.current() else {
        set_activations(true);
        return;
    };
    let context: *mut Context = rt.threads.context_mut(current);
    update(&mut rt.threads, now);
    // SAFETY: `context` is the running thread's slot, which the scheduler
    // does not touch until it resumes that thread.
    unsafe { vesper_switch_out(context, schedule, &dcb().fp_live) }
}

/// Lets the other runnable threads run first.
pub fn yield_now() {
    switch_out(|threads, now| threads.yield_current(now));
}

/// Sleeps until `time_ns` (ns since boot).
pub fn sleep_until(time_ns: u64) {
    switch_out(|threads, now| threads.sleep_current(time_ns, now));
}

/// Blocks the calling thread until event slot `slot` has counted `value`
/// events (Nemesis's `await` on an event count); returns the count then.
pub fn await_event(slot: usize, value: u64) -> u64 {
    if event_count(slot).wrapping_sub(value) as i64 >= 0 {
        return event_count(slot);
    }
    switch_out(|threads, now| threads.await_current(Awaited::Count { slot, value }, now));
    event_count(slot)
}

/// Instructions retired so far: PMU event counter 0, which the kernel
/// starts at boot and lets every domain read (exact under QEMU's
/// `-icount`, where it is also the time in nanoseconds). For measuring
/// paths, as `cargo xtask bench` does.
pub fn instruction_count() -> u64 {
    let count;
    // SAFETY: reads a counter the kernel opened to EL0; changes nothing.
    unsafe { core::arch::asm!("mrs {}, pmevcntr0_el0", out(reg) count, options(nomem, nostack)) };
    count
}

/// Every event the domain has received so far, on any slot: the value to
/// give [`await_any_event`].
pub fn events_seen() -> u64 {
    events_total()
}

/// Blocks the calling thread until an event arrives on any slot after
/// [`events_seen`] returned `seen`; returns the new total. A driver waits
/// like this for its interrupt and all its clients at once: read `seen`,
/// look at everything, then wait.
pub fn await_any_event(seen: u64) -> u64 {
    if events_total() != seen {
        return events_total();
    }
    switch_out(|threads, now| threads.await_current(Awaited::AnyAfter { seen }, now));
    events_total()
}

/// [`await_any_event`], giving up at `until` (ns since boot): a driver
/// waiting for its device with a timeout. Returns the new total, which is
/// `seen` if the time ran out.
pub fn await_any_event_until(seen: u64, until: u64) -> u64 {
    if events_total() != seen || now_ns() >= until {
        return events_total();
    }
    switch_out(|threads, now| threads.await_current_until(Awaited::AnyAfter { seen }, until, now));
    events_total()
}

/// The count of event slot `slot` (0 for a slot that does not exist).
pub fn event_count(slot: usize) -> u64 {
    let Some(count) = dcb().events.get(slot) else { return 0 };
    // SAFETY: a field of the mapped read-only DCB half; read volatile
    // because the kernel changes it under the domain's feet.
    unsafe { core::ptr::read_volatile(count) }
}

/// Every event slot's count.
fn event_counts() -> [u64; EVENT_SLOTS] {
    core::array::from_fn(event_count)
}

/// The DCB's `events_total`. The counts read after it are at least as
/// new: the kernel, perhaps on another core, writes a count before the
/// total, and the fence keeps this core from reading them the other way
/// round.
fn events_total() -> u64 {
    // SAFETY: as in `event_count`.
    let total = unsafe { core::ptr::read_volatile(&dcb().events_total) };
    core::sync::atomic::fence(core::sync::atomic::Ordering::Acquire);
    total
}

/// Sleeps for `duration_ns`.
pub fn sleep_ns(duration_ns: u64) {
    sleep_until(now_ns().saturating_add(duration_ns));
}

/// Tells the scheduling trace (when the image traces) that `thread` runs
/// the manifest's thread number `spec` (its place in the domain's
/// `threads`), so that the host names it.
pub fn trace_thread_spec(thread: ThreadId, spec: usize) {
    let now = now_ns();
    with_runtime(|rt| {
        rt.threads.trace.record(now, vesper_abi::trace::Kind::ThreadSpec, thread, spec as u64);
    });
}

/// Ends the calling periodic thread's job; returns when its next job has
/// been released and the scheduler runs it.
pub fn job_done() {
    switch_out(|threads, now| {
        let _ = threads.complete_current(now);
    });
}

/// Ends the calling thread.
pub fn exit_thread() -> ! {
    let now = now_ns();
    set_activations(false);
    // SAFETY: activations are off.
    unsafe { runtime() }.threads.exit_current(now);
    schedule()
}
