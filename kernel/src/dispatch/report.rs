//! The end-of-run report: one line per domain, in a form tests and scripts
//! can parse (`key=value` pairs after `stats`).

use super::{core_of, AllCores};
use crate::console;
use vesper_abi::console::StatsLine;
use vesper_abi::layout::MAX_DOMAINS;

/// Prints one `stats` line per domain.
pub fn print(all: &AllCores, now: u64) {
    log::info!("run ended at {now} ns");
    for index in 0..MAX_DOMAINS {
        let core = &all.cores[core_of(index)];
        let Some(domain) = &core.domains[index] else { continue };
        let line = StatsLine {
            domain: domain.config.name,
            time: core.accounting(index),
            state: domain.state,
        };
        console::kernel(format_args!("{line}"));
    }
}
