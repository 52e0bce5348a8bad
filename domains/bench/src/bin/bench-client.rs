//! `bench-client`: the client half of the event and IPC benchmarks (with
//! `bench-server`), over the channel `calls` and the region `bench`.
//!
//! - `event_send_to_activation` (reported by the server): the client reads
//!   the counter, stores it in the shared region and sends; the server,
//!   blocked with activations on, is woken and activated, and its entry
//!   reads the counter first.
//! - `ipc_round_trip`: with activations off on both sides, the client reads
//!   the counter, sends a request and waits for the reply event; the
//!   server, waiting in a hand-written loop, replies. The count covers both
//!   kernel paths, both domain switches and the few user instructions of
//!   the two loops.
//! - `ipc_round_trip_fp`: the same with FP/SIMD live on both sides: after
//!   the request is served, each side runs an FP instruction before it goes
//!   on (so each side's state is loaded, lazily, and saved again).

#![no_std]
#![no_main]

use core::arch::asm;
use vesper_abi::syscall::Syscall;
use vesper_activations::events::{EventChannel, Region};
use vesper_activations::{dcb, println};
use vesper_domains_bench::{activations_off, instructions, shared, ROUNDS};

vesper_activations::main!(run);

/// One request and its reply: returns the instructions from before the
/// send to after the reply event has been seen (and, with `fp`, an FP
/// instruction run).
fn round_trip(handle: u64, slot: usize, replies: u64, fp: bool) -> u64 {
    let events = &dcb().events[slot] as *const u64;
    let total = &dcb().events_total as *const u64;
    let (before, after): (u64, u64);
    // SAFETY: reads the DCB's counts and makes two system calls that
    // change nothing but x0 (and the caller's event state).
    unsafe {
        asm!(
            ".arch_extension fp",
            "mrs {before}, pmevcntr0_el0",
            "mov x0, {handle}",
            "mov x1, xzr",
            "mov x8, {send}",
            "svc #0",
            "2:",
            "ldr x1, [{total}]",
            "ldr {count}, [{events}]",
            "cmp {count}, {replies}",
            "b.hi 3f",
            "mov x0, #-1",
            "mov x8, {block}",
            "svc #0",
            "b 2b",
            "3:",
            "cbz {fp}, 4f",
            "fadd d1, d1, d0",
            "4:",
            "mrs {after}, pmevcntr0_el0",
            before = out(reg) before,
            after = out(reg) after,
            count = out(reg) _,
            handle = in(reg) handle,
            events = in(reg) events,
            total = in(reg) total,
            replies = in(reg) replies,
            fp = in(reg) u64::from(fp),
            send = const Syscall::EventSend as u64,
            block = const Syscall::BlockUntil as u64,
            out("x0") _,
            out("x1") _,
            out("x8") _,
            out("d1") _,
            options(nostack),
        );
    }
    after - before - 1
}

fn run() {
    let (Some(calls), Some(region)) = (EventChannel::named("calls"), Region::named("bench")) else {
        println!("bench-client: the manifest gives no channel `calls` or region `bench`");
        return;
    };
    // SAFETY: `bench` is mapped read-write here.
    let shared = unsafe { shared(region.base) };
    for round in 1..=ROUNDS as u64 {
        // SAFETY: as above.
        unsafe { (&raw mut (*shared).sent_at).write_volatile(instructions()) };
        let _ = calls.advance();
        calls.await_count(round);
    }
    activations_off();
    for (name, fp) in [("ipc_round_trip", false), ("ipc_round_trip_fp", true)] {
        // SAFETY: as above; the server reads it before it replies.
        unsafe { (&raw mut (*shared).fp_phase).write_volatile(u64::from(fp)) };
        let mut best = u64::MAX;
        let replies = calls.count();
        for round in 0..ROUNDS as u64 {
            best = best.min(round_trip(calls.handle(), calls.slot(), replies + round, fp));
        }
        println!("bench {name} instructions={best}");
    }
}
