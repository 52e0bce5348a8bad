//! The runtime: the activation handler, the thread scheduler loop, and the
//! thread API.
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
//! blocked in the scheduler, waiting for a sleeper) simply starts a new
//! scheduling round: the interrupted scheduler had nothing worth keeping.

use crate::entry::vesper_switch_out;
use crate::policy::Fifo;
use crate::syscall;
use crate::threads::{SpawnError, ThreadId, ThreadTable, MAX_THREADS};
use core::ptr::addr_of_mut;
use core::sync::atomic::{compiler_fence, AtomicUsize, Ordering};
use vesper_abi::dcb::{ActivationReason, Context, DcbReadOnly, DcbWritable, CONTEXT_SLOTS};
use vesper_abi::layout::{DCB_RO_OFFSET, DCB_RW_OFFSET};

/// Bytes of stack per thread.
const STACK_SIZE: usize = 16 * 1024;
/// How many activation reasons are kept for [`activation_history`].
const HISTORY: usize = 64;

#[repr(C, align(16))]
struct Stacks([[u8; STACK_SIZE]; MAX_THREADS]);

struct Runtime {
    threads: ThreadTable,
    policy: Fifo,
    history: heapless::Vec<ActivationReason, HISTORY>,
}

static mut RUNTIME: Runtime =
    Runtime { threads: ThreadTable::new(), policy: Fifo::new(), history: heapless::Vec::new() };
static mut STACKS: Stacks = Stacks([[0; STACK_SIZE]; MAX_THREADS]);
/// The DCB's read-only half, as the first activation gave it.
static DCB: AtomicUsize = AtomicUsize::new(0);

/// # Safety
/// Activations must be off, so that nothing else uses the runtime.
unsafe fn runtime() -> &'static mut Runtime {
    // SAFETY: exclusive by the caller's guarantee.
    unsafe { &mut *addr_of_mut!(RUNTIME) }
}

fn dcb() -> &'static DcbReadOnly {
    // SAFETY: the kernel maps the read-only half for the domain's lifetime
    // and gave its address to the first activation, before any thread ran.
    unsafe { &*(DCB.load(Ordering::Relaxed) as *const DcbReadOnly) }
}

fn dcb_writable() -> *mut DcbWritable {
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

/// The time in nanoseconds since boot.
pub fn now_ns() -> u64 {
    syscall::time_ns()
}

/// The reasons of the domain's first activations, in order.
pub fn activation_history() -> heapless::Vec<ActivationReason, HISTORY> {
    set_activations(false);
    // SAFETY: activations are off.
    let history = unsafe { runtime() }.history.clone();
    set_activations(true);
    history
}

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
    if reason == Some(ActivationReason::Allocated) {
        if rt.threads.spawn(|id| initial_context(id, run_main), &mut rt.policy).is_err() {
            syscall::exit(1);
        }
    } else if let Some(thread) = rt.threads.current() {
        // The thread that ran when the domain lost the CPU was saved in the
        // actctx slot; it becomes that thread's context again.
        // SAFETY: the writable half is this domain's own mapped page.
        let rw = unsafe { &*dcb_writable() };
        let slot = rw.actctx as usize;
        if slot < CONTEXT_SLOTS {
            *rt.threads.context_mut(thread) = rw.slots[slot];
        }
        rt.threads.interrupt_current(&mut rt.policy);
    }
    schedule()
}

/// Runs the next thread, or blocks until a sleeper wakes, or ends the
/// domain when no thread is left. Runs with activations off.
extern "C" fn schedule() -> ! {
    // SAFETY: every caller has turned activations off.
    let rt = unsafe { runtime() };
    loop {
        let now = syscall::time_ns();
        rt.threads.wake_sleepers(now, &mut rt.policy);
        if let Some(thread) = rt.threads.run_next(&mut rt.policy) {
            let error = syscall::rfa(rt.threads.context_mut(thread));
            panic!("the kernel refused to resume thread {}: {error:?}", thread.0);
        }
        match rt.threads.next_wake() {
            Some(until) => {
                // Blocks with activations on, as Nemesis does: the wake-up is
                // an activation with reason Event, which starts a fresh
                // scheduling round on the activation stack. (If the time has
                // already passed, the call returns at once instead.)
                set_activations(true);
                let _ = syscall::block_until(until);
                set_activations(false);
            }
            None => syscall::exit(0),
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
fn initial_context(id: ThreadId, entry: fn()) -> Context {
    let stacks = addr_of_mut!(STACKS) as usize;
    let stack_top = stacks + (id.0 + 1) * STACK_SIZE;
    let mut context = Context::ZERO;
    context.x[0] = entry as usize as u64;
    context.sp = stack_top as u64;
    context.pc = thread_start as extern "C" fn(usize) -> ! as usize as u64;
    context
}

extern "C" fn thread_start(entry: usize) -> ! {
    // SAFETY: `initial_context` stored a `fn()` here.
    let entry: fn() = unsafe { core::mem::transmute::<usize, fn()>(entry) };
    entry();
    exit_thread()
}

/// Starts a thread running `entry`.
pub fn spawn(entry: fn()) -> Result<ThreadId, SpawnError> {
    set_activations(false);
    // SAFETY: activations are off.
    let rt = unsafe { runtime() };
    let result = rt.threads.spawn(|id| initial_context(id, entry), &mut rt.policy);
    set_activations(true);
    result
}

/// Saves the running thread, applies `update` to the thread table, and
/// runs the scheduler; returns when the thread is resumed.
fn switch_out(update: impl FnOnce(&mut Runtime)) {
    set_activations(false);
    // SAFETY: activations are off.
    let rt = unsafe { runtime() };
    let Some(current) = rt.threads.current() else {
        set_activations(true);
        return;
    };
    let context: *mut Context = rt.threads.context_mut(current);
    update(rt);
    // SAFETY: `context` is the running thread's slot, which the scheduler
    // does not touch until it resumes that thread.
    unsafe { vesper_switch_out(context, schedule) }
}

/// Lets the other runnable threads run first.
pub fn yield_now() {
    switch_out(|rt| rt.threads.yield_current(&mut rt.policy));
}

/// Sleeps until `time_ns` (ns since boot).
pub fn sleep_until(time_ns: u64) {
    switch_out(|rt| rt.threads.sleep_current(time_ns));
}

/// Sleeps for `duration_ns`.
pub fn sleep_ns(duration_ns: u64) {
    sleep_until(now_ns().saturating_add(duration_ns));
}

/// Ends the calling thread.
pub fn exit_thread() -> ! {
    set_activations(false);
    // SAFETY: activations are off.
    unsafe { runtime() }.threads.exit_current();
    schedule()
}
