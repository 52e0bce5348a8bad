//! Printing. When the manifest gives the domain a console (a connection
//! `console-DOMAIN` to the `uart` driver's console service), `println!`
//! goes there; otherwise to the kernel's debug console. Either way every
//! line comes out as `[NAME] text`, with control characters escaped, so
//! this module sends only the text. To the kernel it hands whole lines when
//! they fit in one call, and waits a little when the kernel's console
//! buffer is full (the kernel then takes fewer bytes than offered).

use crate::services::{ConsoleClient, ServiceError};
use crate::syscall;
use core::fmt::{self, Write};
use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicBool, Ordering};
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
/// A line the console driver cannot take (it is stopped, see
/// `ServiceError::PeerStopped`) goes to the kernel's console instead, so
/// that nothing printed is lost while a supervisor restarts the driver.
pub fn print_line(args: fmt::Arguments<'_>) {
    let printed = with_own_console(|console| writeln!(DriverConsole(console), "{args}").is_ok());
    if printed != Some(true) {
        print_line_to_kernel(args);
    }
}

/// Prints `args` and a newline on the kernel's debug console, whatever
/// console the domain has: for the panic report, which must not wait on a
/// driver (or on the thread that panicked while it held the console).
pub fn print_line_to_kernel(args: fmt::Arguments<'_>) {
    let mut writer = LineWriter { buffer: heapless::Vec::new() };
    let _ = writeln!(writer, "{args}");
    writer.flush();
}

/// Runs `f` with the domain's own console (its connection `console-DOMAIN`
/// to the console service, see [`ConsoleClient::own`]), one thread at a
/// time; `None` if the manifest gives the domain none. Everything the
/// domain writes to its console must go through here, `println!` included:
/// a ring has one producer, and this is it. `f` must not print (it would
/// wait for itself), and other threads wait while it runs, so a long
/// blocking read in `f` delays their printing.
pub fn with_own_console<R>(f: impl FnOnce(&mut ConsoleClient) -> R) -> Option<R> {
    if NO_CONSOLE.load(Ordering::Relaxed) {
        return None;
    }
    let _guard = lock();
    // SAFETY: `PRINTING`, held until the guard drops, makes this the only
    // reference to the domain's console.
    let own = unsafe { &mut *addr_of_mut!(OWN_CONSOLE) };
    if own.is_none() {
        *own = ConsoleClient::own();
        NO_CONSOLE.store(own.is_none(), Ordering::Relaxed);
    }
    own.as_mut().map(f)
}

/// The domain's console, once opened.
static mut OWN_CONSOLE: Option<ConsoleClient> = None;
/// The domain was found to have no console: `println!` goes to the
/// kernel's, with no look-up.
static NO_CONSOLE: AtomicBool = AtomicBool::new(false);

/// The domain's console as a `fmt::Write`.
struct DriverConsole<'a>(&'a mut ConsoleClient);

/// Whether a thread of this domain is using its console: one at a time,
/// so that their text does not interleave in the ring.
static PRINTING: AtomicBool = AtomicBool::new(false);

/// Holds [`PRINTING`] while it lives.
struct PrintingGuard;

/// Waits until no other thread uses the console. A waiting thread sleeps
/// rather than yields, so that the holder runs whatever the thread
/// scheduler's order (under EDF a yielding thread with an earlier deadline
/// would be picked again, and the holder never).
fn lock() -> PrintingGuard {
    while PRINTING.swap(true, Ordering::Acquire) {
        crate::runtime::sleep_ns(LOCK_RETRY_NS);
    }
    PrintingGuard
}

/// How long a thread waiting for the console sleeps before it looks again.
const LOCK_RETRY_NS: u64 = 20_000;

impl Drop for PrintingGuard {
    fn drop(&mut self) {
        PRINTING.store(false, Ordering::Release);
    }
}

/// A driver restarted since the last line is told the text again, once:
/// the error only says that what was in flight before may be lost.
impl Write for DriverConsole<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut write = || embedded_io::Write::write_all(self.0, s.as_bytes());
        match write() {
            Err(ServiceError::PeerRestarted) => write(),
            result => result,
        }
        .map_err(|_| fmt::Error)
    }
}

/// Prints a line to the kernel console: `println!("x = {}", x)`.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {
        $crate::console::print_line(format_args!($($arg)*))
    };
}
