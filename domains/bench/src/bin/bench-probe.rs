//! `bench-probe`: measures kernel paths in retired instructions (PMU event
//! counter 0, exact under QEMU's `-icount`) and prints `bench NAME
//! instructions=N` lines, which `cargo xtask bench` collects.
//!
//! - `null_syscall`: from the `svc` of a `nop` system call to the first
//!   instruction after it returns, kernel entry and exit included.
//! - `get_time_syscall`: the same for `get_time`, which goes through the
//!   kernel's general system call path (full register save, dispatcher).
//! - `read_time`: the library's `now_ns`, which reads the virtual counter
//!   and converts it with the DCB's factor: the time without a kernel
//!   entry.
//! - `preempt_to_activation`: from the first instruction of the timer
//!   interrupt's vector, taken while another domain runs, to the first
//!   instruction of this domain's activation handler. The probe yields; at
//!   its next period the timer preempts the other domain (which must have
//!   `extra = true`, so it is always running) and activates the probe.
//! - `preempt_to_activation_fp`: the same with FP/SIMD live on both sides:
//!   `bench-busy` uses FP in its loop (its state is saved when it loses
//!   the CPU) and the probe's activation starts with an FP instruction
//!   (its state is loaded, lazily, before the counter is read).
//! - `yield_to_other` is reported by `bench-busy`: each of the probe's
//!   yields stores the counter in the region `yield` just before its `svc`.
//!
//! Each is measured several times; the smallest is reported (the runs are
//! deterministic, the first may differ by cold paths).

#![no_std]
#![no_main]

use core::arch::asm;
use vesper_abi::syscall::Syscall;
use vesper_abi::syscall::BENCH_SINCE_IRQ;
use vesper_activations::events::Region;
use vesper_activations::syscall::{bench_mark, yield_slice};
use vesper_activations::{now_ns, println};
use vesper_domains_bench::{
    activation_count, count_activations, count_fp_activations, instructions, shared, Shared, ROUNDS,
};

vesper_activations::main!(run);

/// One system call `number` between two counter reads.
fn syscall_round_trip(number: u64) -> u64 {
    let before: u64;
    let after: u64;
    // SAFETY: reads a PMU counter the kernel opened to EL0 and makes a
    // call that changes nothing but x0.
    unsafe {
        asm!(
            "mrs {before}, pmevcntr0_el0",
            "svc #0",
            "mrs {after}, pmevcntr0_el0",
            before = out(reg) before,
            after = out(reg) after,
            out("x0") _,
            in("x8") number,
            options(nostack),
        );
    }
    // The first read does not count itself; the second does not count
    // itself either, so the difference is the `mrs` plus the round trip.
    after - before - 1
}

/// The library's `now_ns` (counter and DCB, no kernel entry) between two
/// counter reads.
/// Yields the rest of the slice, storing the instruction counter at
/// `sent_at` just before the `svc`, for `bench-busy` to measure
/// `yield_to_other`.
fn yield_marked(sent_at: *mut u64) {
    // SAFETY: `sent_at` is in a region mapped read-write here; the system
    // call changes nothing but x0.
    unsafe {
        asm!(
            "mrs {count}, pmevcntr0_el0",
            "str {count}, [{sent_at}]",
            "svc #0",
            count = out(reg) _,
            sent_at = in(reg) sent_at,
            out("x0") _,
            in("x8") Syscall::Yield as u64,
            options(nostack),
        );
    }
}

fn read_time() -> u64 {
    let before = instructions();
    core::hint::black_box(now_ns());
    // As for the system calls: the difference counts the first read's
    // successor instructions up to the second read.
    instructions() - before - 1
}

fn run() {
    for (name, call) in [("null_syscall", Syscall::Nop), ("get_time_syscall", Syscall::GetTime)] {
        let best = (0..ROUNDS).map(|_| syscall_round_trip(call as u64)).min().unwrap_or(0);
        println!("bench {name} instructions={best}");
    }
    let best = (0..ROUNDS).map(|_| read_time()).min().unwrap_or(0);
    println!("bench read_time instructions={best}");

    let shared = Region::named("yield").map(|region| {
        // SAFETY: the manifest maps the region read-write here.
        unsafe { shared(region.base) }
    });
    count_activations();
    let Some(best) = preemptions(shared) else { return };
    println!("bench preempt_to_activation instructions={best}");
    if let Some(shared) = shared {
        // SAFETY: as above; `bench-busy` reads it.
        unsafe { (&raw mut (*shared).fp_phase).write_volatile(1) };
    }
    count_fp_activations();
    let Some(best) = preemptions(shared) else { return };
    println!("bench preempt_to_activation_fp instructions={best}");
}

/// The least of [`ROUNDS`] preemptions to this domain's activation, each
/// after a yield (marked in `shared`, if the region is there, for
/// `bench-busy`); `None` if the kernel is no benchmark kernel.
fn preemptions(shared: Option<*mut Shared>) -> Option<u64> {
    let mut best = u64::MAX;
    for _ in 0..ROUNDS {
        match shared {
            // SAFETY: `shared` is the mapped region's start.
            Some(shared) => yield_marked(unsafe { &raw mut (*shared).sent_at }),
            None => yield_slice(),
        }
        match bench_mark(activation_count(), BENCH_SINCE_IRQ) {
            Ok(instructions) => best = best.min(instructions),
            Err(error) => {
                println!("bench_mark refused: {error:?} (not a benchmark kernel?)");
                return None;
            }
        }
    }
    Some(best)
}
