//! The kernel log: `log` records on the kernel console, each stamped with
//! the time since reset.
//!
//! Under QEMU with `-icount` the timestamps are instruction counts in
//! disguise, so a log is byte-identical from run to run.

use crate::arch::time;
use crate::console;
use log::{LevelFilter, Log, Metadata, Record};

struct KernelLogger;

static LOGGER: KernelLogger = KernelLogger;

/// The most detailed level logged; `debug` and `trace` are compiled in but
/// filtered here.
const MAX_LEVEL: LevelFilter = LevelFilter::Info;

impl Log for KernelLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= MAX_LEVEL
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let now = time::now();
        // The level's name in upper case, padded to five characters.
        console::kernel(format_args!(
            "[{:>5}.{:06}] {:<5} {}",
            now.as_secs(),
            now.subsec_micros(),
            record.level(),
            record.args()
        ));
    }

    fn flush(&self) {
        console::flush();
    }
}

/// Installs the kernel logger. Call once, after the console is set up.
pub fn init() {
    // Only fails if a logger is already set, which then keeps logging.
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(MAX_LEVEL);
}
