//! `trace-flusher`: asks the kernel, mid-run, to write the trace out
//! (`trace_flush`), twice in a row, with the capability to the domain it
//! supervises. The first call must have written records out; the second,
//! right after, only those made in between, so fewer; and a call with its
//! own capability (no authority over another domain) must be refused.
//! Exits 0 when all held, 1 otherwise (the kernel's `stats` line shows the
//! code).

#![no_std]
#![no_main]

use vesper_abi::cap::{CapKind, SELF};
use vesper_abi::syscall::Error;
use vesper_activations::events::caps;
use vesper_activations::syscall::{exit, trace_flush};
use vesper_activations::{println, sleep_ns};

vesper_activations::main!(run);

/// How long the run goes on before the flush.
const BEFORE_NS: u64 = 10_000_000;

fn run() {
    sleep_ns(BEFORE_NS);
    let handle = |own: bool| {
        caps()
            .filter(|cap| cap.kind() == CapKind::Domain)
            .find(|cap| (cap.name() == SELF) == own)
            .map_or(0, |cap| cap.handle)
    };
    let refused = trace_flush(handle(true));
    let first = trace_flush(handle(false)).unwrap_or(0);
    let second = trace_flush(handle(false)).unwrap_or(u64::MAX);
    println!("flushed {first} records, then {second}; with its own capability: {refused:?}");
    if first == 0 || second >= first || refused != Err(Error::BadArgument) {
        exit(1);
    }
}
