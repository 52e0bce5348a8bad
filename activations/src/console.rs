//! Printing to the kernel's debug console. The kernel starts every line
//! with `[NAME] ` (the domain's name) and escapes control characters, so
//! this module sends only the text; it hands the kernel whole lines when
//! they fit in one call, and waits a little when the kernel's console
//! buffer is full (the kernel then takes fewer bytes than offered).

use crate::syscall;
use core::fmt::{self, Write};
use vesper_abi::syscall::CONSOLE_WRITE_MAX;

/// How long to let the console drain when it took nothing: about one UART
/// FIFO's worth at 115200 baud.
const CONSOLE_RETRY_NS: u64 = 1_000_000;

/// Collects formatted text and hands it to the kernel in chunks.
struct LineWriter {
    buffer: heapless::Vec<u8, { CONSOLE_WRITE_MAX as usize }>,
}

impl LineWriter {
    fn flush(&mut self) {
        let mut rest = &self.buffer[..];
        while !rest.is_empty() {
            match syscall::console_write(rest) {
                Ok(0) => wait_for_console(),
                Ok(taken) => rest = &rest[(taken as usize).min(rest.len())..],
                // The console cannot refuse our own buffer; nothing to do.
                Err(_) => break,
            }
        }
        self.buffer.clear();
    }
}

/// Gives the kernel's console time to drain (an event ends the wait
/// early, which only means trying sooner).
fn wait_for_console() {
    let events_seen = crate::dcb().events_total;
    let _ = syscall::block_until(syscall::time_ns() + CONSOLE_RETRY_NS, events_seen);
}

impl Write for LineWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &byte in s.as_bytes() {
            if self.buffer.push(byte).is_err() {
                self.flush();
                let _ = self.buffer.push(byte);
            }
        }
        Ok(())
    }
}

/// Prints `args` and a newline; the console shows it as `[domain] text`.
pub fn print_line(args: fmt::Arguments<'_>) {
    let mut writer = LineWriter { buffer: heapless::Vec::new() };
    let _ = writeln!(writer, "{args}");
    writer.flush();
}

/// Prints a line to the kernel console: `println!("x = {}", x)`.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {
        $crate::console::print_line(format_args!($($arg)*))
    };
}
