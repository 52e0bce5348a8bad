//! `fp-peek`: proves that lazy FP/SIMD switching never shows a domain
//! registers it does not own.
//!
//! Each round starts a new thread, whose FP/SIMD state is zero, and whose
//! first instruction of the kind reads every FP/SIMD register: the kernel
//! must trap it and hand over zeroed registers, although beside this
//! domain the `regcheck` domains keep theirs full of their own values.
//! The thread then fills them with its own pattern, which the next round's
//! thread must not see either. Between rounds the domain computes long
//! enough to be preempted.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};
use vesper_activations::{println, spawn, yield_now};

vesper_activations::main!(run);

/// Threads started, one per round.
const ROUNDS: u64 = 200;

/// Rounds whose thread saw a non-zero FP/SIMD register.
static LEAKS: AtomicU64 = AtomicU64::new(0);
/// Rounds whose thread ran.
static PEEKS: AtomicU64 = AtomicU64::new(0);

core::arch::global_asm!(
    ".arch_extension fp",
    ".arch_extension simd",
    ".section .text, \"ax\"",
    // fp_peek_and_fill() -> u64: the OR of q0-q31, FPCR and FPSR as found,
    // folded to 64 bits (0 = all zero); then fills them with a pattern.
    ".global fp_peek_and_fill",
    "fp_peek_and_fill:",
    "    orr v0.16b, v0.16b, v1.16b",
    "    orr v2.16b, v2.16b, v3.16b",
    "    orr v4.16b, v4.16b, v5.16b",
    "    orr v6.16b, v6.16b, v7.16b",
    "    orr v8.16b, v8.16b, v9.16b",
    "    orr v10.16b, v10.16b, v11.16b",
    "    orr v12.16b, v12.16b, v13.16b",
    "    orr v14.16b, v14.16b, v15.16b",
    "    orr v16.16b, v16.16b, v17.16b",
    "    orr v18.16b, v18.16b, v19.16b",
    "    orr v20.16b, v20.16b, v21.16b",
    "    orr v22.16b, v22.16b, v23.16b",
    "    orr v24.16b, v24.16b, v25.16b",
    "    orr v26.16b, v26.16b, v27.16b",
    "    orr v28.16b, v28.16b, v29.16b",
    "    orr v30.16b, v30.16b, v31.16b",
    "    orr v0.16b, v0.16b, v2.16b",
    "    orr v4.16b, v4.16b, v6.16b",
    "    orr v8.16b, v8.16b, v10.16b",
    "    orr v12.16b, v12.16b, v14.16b",
    "    orr v16.16b, v16.16b, v18.16b",
    "    orr v20.16b, v20.16b, v22.16b",
    "    orr v24.16b, v24.16b, v26.16b",
    "    orr v28.16b, v28.16b, v30.16b",
    "    orr v0.16b, v0.16b, v4.16b",
    "    orr v8.16b, v8.16b, v12.16b",
    "    orr v16.16b, v16.16b, v20.16b",
    "    orr v24.16b, v24.16b, v28.16b",
    "    orr v0.16b, v0.16b, v8.16b",
    "    orr v16.16b, v16.16b, v24.16b",
    "    orr v0.16b, v0.16b, v16.16b",
    "    mov x0, v0.d[0]",
    "    mov x1, v0.d[1]",
    "    orr x0, x0, x1",
    "    mrs x1, fpcr",
    "    orr x0, x0, x1",
    "    mrs x1, fpsr",
    "    orr x0, x0, x1",
    // Its own pattern, in every register (the callee-saved d8-d15 are
    // this thread's to clobber: it ends right after).
    "    mov x1, #0x5a5a",
    "    dup v0.2d, x1",
    "    mov v1.16b, v0.16b",
    "    mov v2.16b, v0.16b",
    "    mov v3.16b, v0.16b",
    "    mov v8.16b, v0.16b",
    "    mov v9.16b, v0.16b",
    "    mov v15.16b, v0.16b",
    "    mov v16.16b, v0.16b",
    "    mov v31.16b, v0.16b",
    "    ret",
);

extern "C" {
    fn fp_peek_and_fill() -> u64;
}

fn peek() {
    // SAFETY: reads and writes only FP/SIMD registers, which this thread
    // owns and no Rust code of this soft-float domain uses.
    let found = unsafe { fp_peek_and_fill() };
    if found != 0 {
        LEAKS.fetch_add(1, Ordering::Relaxed);
    }
    PEEKS.fetch_add(1, Ordering::Relaxed);
}

fn run() {
    for round in 0..ROUNDS {
        if spawn(peek).is_err() {
            println!("fp-peek: FAILED: could not start round {round}");
            return;
        }
        // The new thread runs now; then compute for a while, so that the
        // other domains run and fill the registers in between.
        yield_now();
        let mut spin: u64 = 0;
        for _ in 0..10_000 {
            spin = core::hint::black_box(spin + 1);
        }
    }
    let (peeks, leaks) = (PEEKS.load(Ordering::Relaxed), LEAKS.load(Ordering::Relaxed));
    if leaks == 0 && peeks == ROUNDS {
        println!("fp-peek: {peeks} new threads, FP/SIMD zero at every first use");
    } else {
        println!("fp-peek: FAILED: {leaks} of {peeks} new threads saw non-zero FP/SIMD registers");
    }
}
