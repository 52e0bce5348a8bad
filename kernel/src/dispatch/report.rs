//! The end-of-run report: one line per domain, in a form tests and scripts
//! can parse (`key=value` pairs after `stats`).

use super::Dispatcher;
use crate::console;
use vesper_abi::console::StatsLine;

/// Prints one `stats` line per domain.
pub fn print(dispatcher: &Dispatcher, now: u64) {
    log::info!("run ended at {now} ns");
    for (index, domain) in dispatcher.domains.iter().enumerate() {
        let Some(domain) = domain else { continue };
        let line = StatsLine {
            domain: domain.config.name,
            time: dispatcher.accounting(index, domain),
            state: domain.state_word(),
        };
        console::kernel(format_args!("{line}"));
    }
}
