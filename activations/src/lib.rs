//! The library OS that every Vesper domain links.
//!
//! The kernel gives a domain the CPU by *activating* it: an upcall to
//! [`entry`]'s handler with a reason ([`ActivationReason`]). This library
//! turns activations into user-level threads: the handler saves the thread
//! that was interrupted, asks the domain's user-level scheduler (from
//! `vesper_schedulers`, chosen by the manifest's `scheduler` key; FIFO by
//! default) which thread runs next, and resumes it with the `rfa` system
//! call. When no thread is runnable it blocks the domain until the earliest
//! sleeper's wake-up time or the next event, and when every thread has
//! finished it ends the domain.
//!
//! The `events` module is how a domain talks to others and hears its
//! interrupts. It finds the domain's capabilities by name in the DCB's
//! mirror of its capability table: `EventChannel` (wait for a channel end's
//! event count with `await_count`, signal the other end with `advance`),
//! `Interrupt` (`await_count`, then `ack` to unmask the line) and `Region`
//! (shared memory or device registers, mapped while the capability is
//! held). Events are monotonic counts, as in Nemesis: a thread awaiting a
//! count blocks like a sleeper, and the scheduling loop readies it when the
//! count arrives, passing `block_until` the `events_total` it saw so that
//! no event is slept through. See `docs/capabilities-and-events.md`.
//!
//! A domain program provides its first thread with [`main!`]:
//!
//! ```ignore
//! #![cfg_attr(not(test), no_std)]
//! #![no_main]
//! vesper_activations::main!(run);
//! fn run() {
//!     vesper_activations::println!("hello from {}", vesper_activations::domain_name());
//! }
//! ```
//!
//! Everything that touches the hardware or the kernel is built for the board
//! only (`target_os = "none"`); the thread bookkeeping and the policies are
//! tested on the host.

#![no_std]

pub mod threads;
pub mod trace;

#[cfg(target_os = "none")]
pub mod cache;
#[cfg(target_os = "none")]
pub mod console;
#[cfg(target_os = "none")]
mod entry;
#[cfg(target_os = "none")]
pub mod events;
#[cfg(target_os = "none")]
mod panic;
#[cfg(target_os = "none")]
mod runtime;
#[cfg(target_os = "none")]
pub mod services;
#[cfg(target_os = "none")]
pub mod syscall;

#[cfg(target_os = "none")]
pub use runtime::{
    activation_history, args, await_any_event, await_any_event_until, await_event, check_deadlines,
    current_thread, dcb, dcb_writable, domain_name, event_count, events_seen, exit_thread,
    instruction_count, job_done, now_ns, scheduler_name, set_activation_entry, sleep_ns,
    sleep_until, spawn, spawn_at, spawn_with, thread_cpu_ns, thread_stats, trace_thread_spec,
    yield_now,
};
#[cfg(target_os = "none")]
pub use syscall::yield_slice;
pub use vesper_abi::dcb::ActivationReason;
pub use vesper_schedulers::{report_horizon_ns, JobLine, ThreadId, ThreadParams, ThreadStats};

/// Declares the domain's first thread: `main!(path::to::function)`, where
/// the function is `fn()`. The domain ends when all its threads have.
#[macro_export]
macro_rules! main {
    ($function:path) => {
        /// The domain's first thread, called by the activation handler.
        #[no_mangle]
        pub extern "Rust" fn vesper_main() {
            let function: fn() = $function;
            function()
        }
    };
}
