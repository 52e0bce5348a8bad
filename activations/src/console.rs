//! Printing to the kernel's debug console, one line per call, prefixed
//! with the domain's name.

use crate::syscall;
use core::fmt::{self, Write};
use vesper_abi::syscall::CONSOLE_WRITE_MAX;

/// Collects formatted text and hands it to the kernel in chunks.
struct LineWriter {
    buffer: heapless::Vec<u8, { CONSOLE_WRITE_MAX as usize }>,
}

impl LineWriter {
    fn flush(&mut self) {
        // The console cannot refuse our own buffer; nothing to do on error.
        let _ = syscall::console_write(&self.buffer);
        self.buffer.clear();
    }
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

/// Prints `args` and a newline, as `[domain] text`.
pub fn print_line(args: fmt::Arguments<'_>) {
    let mut writer = LineWriter { buffer: heapless::Vec::new() };
    let _ = writeln!(writer, "[{}] {}", crate::domain_name(), args);
    writer.flush();
}

/// Prints a line to the kernel console: `println!("x = {}", x)`.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {
        $crate::console::print_line(format_args!($($arg)*))
    };
}
