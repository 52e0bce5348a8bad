//! `console-errors`: a console client of a driver that never stays up
//! (`uart-crashing`): it writes a line every few milliseconds and reports
//! each outcome on the kernel's console, then exits: a client of a dead
//! driver gets errors and never hangs.

#![no_std]
#![no_main]

use embedded_io::Write;
use vesper_activations::console::{print_line_to_kernel, with_own_console};
use vesper_activations::sleep_ns;

vesper_activations::main!(run);

/// Lines it tries to write.
const WRITES: u32 = 12;
/// Time between them.
const GAP_NS: u64 = 4_000_000;

fn run() {
    for n in 1..=WRITES {
        let outcome = with_own_console(|console| console.write_all(b"a line\n"));
        match outcome {
            Some(Ok(())) => print_line_to_kernel(format_args!("console-errors: write {n} ok")),
            Some(Err(error)) => {
                print_line_to_kernel(format_args!("console-errors: write {n} failed: {error:?}"));
            }
            None => print_line_to_kernel(format_args!("console-errors: no console")),
        }
        sleep_ns(GAP_NS);
    }
}
