//! `bench-console`: measures the console service (the `uart` driver) in
//! retired instructions, as `bench NAME instructions=N` lines that go out
//! through the service itself (the PL011):
//!
//! - `console_line_to_fifo`: from just before a client queues a line to the
//!   driver putting its first byte into the UART's transmit FIFO (the
//!   driver reads the counter there and answers with a mark: event to the
//!   driver, its turn, the line assembled and prefixed, the write).
//! - `console_instructions_per_byte`: a burst of lines, from the first
//!   queued to the last one's first byte in the FIFO, per byte of text:
//!   under `-icount` an instruction is a nanosecond, so the console carries
//!   1e9 / N bytes per second of virtual time under load.

#![no_std]
#![no_main]

use embedded_io::Write;
use vesper_activations::console::with_own_console;
use vesper_activations::println;
use vesper_domains_bench::{instructions, ROUNDS};

vesper_activations::main!(run);

/// Lines in the burst.
const BURST_LINES: u64 = 64;
/// One line of the burst: 47 bytes of text and its newline.
const BURST_LINE: &[u8; 48] = b"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\n";

fn run() {
    if with_own_console(|_| ()).is_none() {
        println!("bench-console: the manifest gives this domain no console");
        return;
    }
    let mut best = u64::MAX;
    for _ in 0..ROUNDS {
        let before = instructions();
        let Some(Ok(mark)) = with_own_console(|console| console.write_marked(b"a line\n")) else {
            println!("bench-console: the console broke");
            return;
        };
        best = best.min(mark.wrapping_sub(before));
    }
    println!("bench console_line_to_fifo instructions={best}");
    let start = instructions();
    let burst = with_own_console(|console| {
        for _ in 1..BURST_LINES {
            console.write_all(BURST_LINE)?;
        }
        console.write_marked(BURST_LINE)
    });
    let Some(Ok(end)) = burst else {
        println!("bench-console: the console broke");
        return;
    };
    let bytes = (BURST_LINES - 1) * BURST_LINE.len() as u64;
    println!(
        "bench console_instructions_per_byte instructions={}",
        end.wrapping_sub(start) / bytes
    );
}
