//! `bench-server`: the server half of the event and IPC benchmarks (see
//! `bench-client`). It reports `event_send_to_activation`, then serves
//! requests in a hand-written loop with activations off until the run ends.

#![no_std]
#![no_main]

use core::arch::asm;
use vesper_abi::syscall::Syscall;
use vesper_activations::events::{EventChannel, Region};
use vesper_activations::{dcb, println};
use vesper_domains_bench::{activation_count, activations_off, count_activations, shared, ROUNDS};

vesper_activations::main!(run);

/// Replies to every request, for ever: waits (blocked) until the request
/// count passes `served`, then sends the reply event; first runs an FP
/// instruction while the client asks for that (`fp_phase`).
fn serve(handle: u64, slot: usize, served: u64, fp_phase: *const u64) -> ! {
    let events = &dcb().events[slot] as *const u64;
    let total = &dcb().events_total as *const u64;
    // SAFETY: reads the DCB's counts and makes system calls that change
    // nothing but x0; never returns, so the registers it changes are
    // nobody's.
    unsafe {
        asm!(
            ".arch_extension fp",
            "2:",
            "ldr x1, [x12]",
            "ldr x2, [x11]",
            "cmp x2, x9",
            "b.hi 3f",
            "mov x0, #-1",
            "mov x8, {block}",
            "svc #0",
            "b 2b",
            "3:",
            "ldr x3, [x13]",
            "cbz x3, 4f",
            "fadd d1, d1, d0",
            "4:",
            "add x9, x9, #1",
            "mov x0, x10",
            "mov x1, xzr",
            "mov x8, {send}",
            "svc #0",
            "b 2b",
            // Fixed registers, apart from the x0-x3 and x8 the loop uses.
            in("x9") served,
            in("x10") handle,
            in("x11") events,
            in("x12") total,
            in("x13") fp_phase,
            send = const Syscall::EventSend as u64,
            block = const Syscall::BlockUntil as u64,
            options(noreturn, nostack),
        );
    }
}

fn run() {
    let (Some(calls), Some(region)) = (EventChannel::named("calls"), Region::named("bench")) else {
        println!("bench-server: the manifest gives no channel `calls` or region `bench`");
        return;
    };
    // SAFETY: `bench` is mapped read-write here.
    let shared = unsafe { shared(region.base) };
    count_activations();
    let mut best = u64::MAX;
    for round in 1..=ROUNDS as u64 {
        calls.await_count(round);
        // SAFETY: as above; the client wrote it before sending.
        let sent_at = unsafe { (&raw const (*shared).sent_at).read_volatile() };
        best = best.min(activation_count().wrapping_sub(sent_at));
        let _ = calls.advance();
    }
    println!("bench event_send_to_activation instructions={best}");
    activations_off();
    // SAFETY: as above; the client writes it.
    serve(calls.handle(), calls.slot(), calls.count(), unsafe { &raw const (*shared).fp_phase })
}
