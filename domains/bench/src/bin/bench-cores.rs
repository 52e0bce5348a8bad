//! `bench-cores`: the cross-core paths, in two roles (`args`): `client` on
//! one core, `server` on another, over the channel `calls` and the region
//! `bench`, with the region `loan` to lend.
//!
//! The two ends run on different cores, whose PMU counters are their own,
//! so the event and IPC paths are timed with the virtual counter instead:
//! under `-icount shift=0` a nanosecond of virtual time is one instruction
//! retired by any core, and the counter ticks every 16 ns, so these counts
//! are every core's instructions, to 16.
//!
//! - `event_send_cross_core` (reported by the server): the client reads the
//!   counter, stores it in the shared region and sends; the server, blocked
//!   on another core with activations off, reads the counter first when it
//!   runs again.
//! - `ipc_round_trip_cross_core` (the client): a request and its reply.
//! - `revoke_cross_core` (the client, with its own core's PMU: the call
//!   runs there): revoking a copy of `loan` that the server holds and has
//!   just touched on its core, so that its TLB holds the pages: the
//!   revocation unmaps them and invalidates every core's TLB.

#![no_std]
#![no_main]

use vesper_abi::cap::{CapKind, Rights};
use vesper_abi::syscall::Syscall;
use vesper_activations::events::{cap, cap_by_handle, EventChannel, Region};
use vesper_activations::syscall::{cap_mint, cap_revoke, raw_number};
use vesper_activations::{args, println};
use vesper_domains_bench::{activations_off, instructions, shared, Shared, ROUNDS};

vesper_activations::main!(run);

/// The virtual counter, in nanoseconds (instructions under icount).
fn clock_ns() -> u64 {
    let ticks: u64;
    // SAFETY: reads the virtual counter, which the kernel lets EL0 read.
    unsafe {
        core::arch::asm!("isb", "mrs {}, cntvct_el0", out(reg) ticks, options(nomem, nostack))
    };
    ticks * 16
}

/// Waits, blocked with activations off, until `calls` has counted `count`.
fn wait_for(calls: &EventChannel, count: u64) {
    while calls.count() < count {
        let seen = vesper_activations::dcb().events_total;
        if calls.count() >= count {
            break;
        }
        let _ = raw_number(Syscall::BlockUntil as u64, [u64::MAX, seen, 0]);
    }
}

fn run() {
    let (Some(calls), Some(region)) = (EventChannel::named("calls"), Region::named("bench")) else {
        println!("bench-cores: the manifest gives no channel `calls` or region `bench`");
        return;
    };
    // SAFETY: `bench` is mapped read-write here, and only this pair uses it.
    let shared = unsafe { shared(region.base) };
    activations_off();
    match args() {
        "client" => client(&calls, shared),
        "server" => server(&calls, shared),
        other => println!("bench-cores: args {other:?}: `client` or `server`"),
    }
}

fn client(calls: &EventChannel, shared: *mut Shared) {
    let mut sent = 0;
    for _ in 0..ROUNDS {
        // SAFETY: the shared region, mapped read-write.
        unsafe { (&raw mut (*shared).sent_at).write_volatile(clock_ns()) };
        let _ = calls.advance();
        sent += 1;
        wait_for(calls, sent);
    }
    let mut best = u64::MAX;
    for _ in 0..ROUNDS {
        let before = clock_ns();
        let _ = calls.advance();
        sent += 1;
        wait_for(calls, sent);
        best = best.min(clock_ns() - before);
    }
    println!("bench ipc_round_trip_cross_core instructions={best}");
    let Some(loan) = cap("loan").filter(|c| c.kind() == CapKind::Region) else {
        println!("bench-cores: no region `loan` to lend");
        return;
    };
    let mut best = u64::MAX;
    for _ in 0..ROUNDS {
        let Ok(copy) = cap_mint(loan.handle, Rights::READ | Rights::WRITE | Rights::GRANT) else {
            println!("bench-cores: minting the loan failed");
            return;
        };
        let _ = calls.advance_with(copy);
        sent += 1;
        wait_for(calls, sent);
        let before = instructions();
        let revoked = cap_revoke(loan.handle);
        best = best.min(instructions() - before);
        if revoked.is_err() {
            println!("bench-cores: revoking the loan failed: {revoked:?}");
        }
    }
    println!("bench revoke_cross_core instructions={best}");
}

fn server(calls: &EventChannel, shared: *const Shared) {
    let mut seen = 0;
    let mut best = u64::MAX;
    for _ in 0..ROUNDS {
        seen += 1;
        wait_for(calls, seen);
        let now = clock_ns();
        // SAFETY: the shared region; the client wrote it before sending.
        let sent_at = unsafe { (&raw const (*shared).sent_at).read_volatile() };
        best = best.min(now - sent_at);
        let _ = calls.advance();
    }
    println!("bench event_send_cross_core instructions={best}");
    for _ in 0..ROUNDS {
        seen += 1;
        wait_for(calls, seen);
        let _ = calls.advance();
    }
    for _ in 0..ROUNDS {
        seen += 1;
        wait_for(calls, seen);
        // The loan's pages, touched here: in this core's TLB when it goes.
        if let Some(loan) = cap_by_handle(calls.inbox()) {
            for page in (0..loan.size).step_by(4096) {
                // SAFETY: the loan is mapped read-write here while held.
                unsafe { ((loan.base + page) as *mut u64).write_volatile(page) };
            }
        }
        let _ = calls.advance();
    }
}
