//! `trace-flusher`: asks the kernel, mid-run, to write the trace out
//! (`trace_flush`), twice in a row. The first call must have written
//! records out; the second, right after, only those made in between, so
//! fewer. Exits 0 when both held, 1 otherwise (the kernel's `stats` line
//! shows the code).

#![no_std]
#![no_main]

use vesper_activations::syscall::{exit, trace_flush};
use vesper_activations::{println, sleep_ns};

vesper_activations::main!(run);

/// How long the run goes on before the flush.
const BEFORE_NS: u64 = 10_000_000;

fn run() {
    sleep_ns(BEFORE_NS);
    let first = trace_flush();
    let second = trace_flush();
    println!("flushed {first} records, then {second}");
    if first == 0 || second >= first {
        exit(1);
    }
}
