//! `console-retry`: a console client whose driver (`uart-faulty`) faults
//! in the middle of its line. It writes three lines and half a fourth,
//! then the rest of that line, which the driver dies taking; then it
//! writes one line until a write succeeds, reporting each error on the
//! kernel's console (its own is the driver that died), and prints two more
//! lines through the restarted driver.

#![no_std]
#![no_main]

use embedded_io::Write;
use vesper_activations::console::{print_line_to_kernel, with_own_console};
use vesper_activations::{println, sleep_ns};

vesper_activations::main!(run);

/// How long it waits between tries.
const RETRY_NS: u64 = 1_000_000;
/// The most tries before it stops trying.
const TRIES: u32 = 100;

fn run() {
    for text in [&b"line 1\n"[..], b"line 2\n", b"line 3\n", b"half a line, ", b"cut here\n"] {
        if let Some(Err(error)) = with_own_console(|console| console.write_all(text)) {
            print_line_to_kernel(format_args!("console-retry: early write failed: {error:?}"));
        }
        if text.ends_with(b"\n") {
            // The driver prints each whole line before the next comes.
            sleep_ns(RETRY_NS);
        }
    }
    // Long enough for the driver to have taken the last chunk and died.
    sleep_ns(2_000_000);
    for tries in 1..=TRIES {
        match with_own_console(|console| console.write_all(b"after the fault\n")) {
            Some(Ok(())) => {
                print_line_to_kernel(format_args!("console-retry: write ok at try {tries}"));
                println!("printed after the restart");
                println!("last line");
                return;
            }
            Some(Err(error)) => {
                print_line_to_kernel(format_args!("console-retry: write failed: {error:?}"));
            }
            None => print_line_to_kernel(format_args!("console-retry: no console")),
        }
        sleep_ns(RETRY_NS);
    }
    print_line_to_kernel(format_args!("console-retry: gave up after {TRIES} tries"));
}
