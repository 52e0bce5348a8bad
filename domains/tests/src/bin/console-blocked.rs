//! `console-blocked`: a console client blocked in a read (nothing is
//! typed) when its driver dies. The kernel's event on the channel wakes it;
//! it reports on the kernel's console when, and what the read returned.

#![no_std]
#![no_main]

use embedded_io::Read;
use vesper_activations::console::{print_line_to_kernel, with_own_console};
use vesper_activations::now_ns;

vesper_activations::main!(run);

fn run() {
    let mut byte = [0u8; 1];
    let outcome = with_own_console(|console| console.read(&mut byte));
    print_line_to_kernel(format_args!(
        "console-blocked: read returned {outcome:?} at {} ns",
        now_ns()
    ));
}
