//! `bench-console-input`: measures the console service's receive path in
//! retired instructions, as a `bench console_byte_to_read instructions=N`
//! line that goes out through the service itself (the PL011).
//!
//! Each round prints `ready` and reads one byte; the host
//! (`cargo xtask bench`) answers each `ready` with a byte on the PL011.
//! The image has no `run-for` and nothing else to do, so when the byte
//! arrives every domain is blocked and the kernel waits in `wfi` with no
//! deadline: under `-icount sleep=off` virtual time stands still until the
//! byte comes, whenever the host sends it, which makes the run
//! deterministic. The benchmark kernel notes the instruction count when its
//! idle loop wakes for the UART's interrupt; this domain reads the counter
//! as soon as its read returns, and `bench_mark` gives the difference:
//! the kernel delivering the interrupt, the `uart` driver's activation and
//! turn (draining the receive FIFO, echoing, queuing the byte for the
//! focus, the event), the switch to this domain and its read returning. A
//! byte that comes while the system is not idle measures from an older
//! wake-up, so it only lengthens its round: the smallest is kept.

#![no_std]
#![no_main]

use embedded_io::Read;
use vesper_abi::syscall::BENCH_SINCE_IDLE_WAKE;
use vesper_activations::console::with_own_console;
use vesper_activations::println;
use vesper_activations::syscall::bench_mark;
use vesper_domains_bench::{instructions, ROUNDS};

vesper_activations::main!(run);

fn run() {
    if with_own_console(|_| ()).is_none() {
        println!("bench-console-input: the manifest gives this domain no console");
        return;
    }
    let mut best = u64::MAX;
    for round in 0..ROUNDS {
        println!("ready {round}");
        let mut byte = [0u8];
        let count = match with_own_console(|console| console.read(&mut byte)) {
            Some(Ok(1)) => instructions(),
            _ => {
                println!("bench-console-input: the console broke");
                return;
            }
        };
        match bench_mark(count, BENCH_SINCE_IDLE_WAKE) {
            Ok(taken) => best = best.min(taken),
            Err(error) => {
                println!("bench_mark refused: {error:?} (not a benchmark kernel?)");
                return;
            }
        }
    }
    println!("bench console_byte_to_read instructions={best}");
}
