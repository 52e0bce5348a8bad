//! The kernel's console on the board: one `vesper_kernel_core::console`
//! ring (its rules are stated there) draining into the PL011.

use crate::bsp::console as uart;
use crate::sync::KernelCell;
use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};
use vesper_kernel_core::console::{print_kernel, Console, Sink, DRAIN_INTERVAL_NS};

/// Moves bytes into the UART and notes whether some are left.
fn refill(console: &mut Console) {
    console.drain(&mut Fifo);
    WAITING.store(!console.is_empty(), Ordering::Relaxed);
}

static CONSOLE: KernelCell<Console> = KernelCell::new(Console::new());
/// Whether the ring holds bytes: read on every reschedule, so that an
/// empty console costs the hot paths one load.
static WAITING: AtomicBool = AtomicBool::new(false);

/// The UART's transmit FIFO.
struct Fifo;

impl Sink for Fifo {
    fn try_put(&mut self, byte: u8) -> bool {
        uart().try_write_byte(byte)
    }
}

/// Writes kernel lines (the log, the run report).
pub fn kernel(args: fmt::Arguments<'_>) {
    CONSOLE.with(|console| {
        print_kernel(console, args);
        refill(console);
    });
}

/// Writes what domain `domain` (named `name`) printed; returns how many
/// bytes were taken.
pub fn write_domain(domain: usize, name: &str, bytes: &[u8]) -> usize {
    CONSOLE.with(|console| {
        let taken = console.domain_write(domain, name, bytes);
        refill(console);
        taken
    })
}

/// Refills the UART. Returns when the kernel must come back to refill
/// it again (`u64::MAX` if nothing waits).
#[inline]
pub fn drain(now: u64) -> u64 {
    if !WAITING.load(Ordering::Relaxed) {
        return u64::MAX;
    }
    refill_waiting(now)
}

/// [`drain`] when bytes wait.
#[inline(never)]
fn refill_waiting(now: u64) -> u64 {
    CONSOLE.with(|console| {
        refill(console);
        if console.is_empty() {
            u64::MAX
        } else {
            now.saturating_add(DRAIN_INTERVAL_NS)
        }
    })
}

/// Sends everything buffered, waiting on the UART: only for the end of
/// a run, when nothing else is left to do.
pub fn flush() {
    let _ = CONSOLE.try_with(|console| {
        while !console.is_empty() {
            refill(console);
        }
    });
    uart().flush();
}

/// The panic path: flushes what it can, then writes `args` straight to
/// the UART (the panic may have come from inside the console).
pub fn emergency(args: fmt::Arguments<'_>) {
    flush();
    let _ = fmt::Write::write_fmt(&mut uart(), args);
    uart().flush();
}
