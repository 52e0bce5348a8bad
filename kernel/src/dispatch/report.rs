//! The end-of-run report: one line per domain, in a form tests and scripts
//! can parse (`key=value` pairs after `stats`).

use super::Dispatcher;
use crate::console;

/// Prints one `stats` line per domain.
pub fn print(dispatcher: &Dispatcher, now: u64) {
    log::info!("run ended at {now} ns");
    for (index, domain) in dispatcher.domains.iter().enumerate() {
        let Some(domain) = domain else { continue };
        let time = dispatcher.atropos.accounting(index);
        console::kernel(format_args!(
            "stats domain={} cpu_ns={} guaranteed_ns={} extra_ns={} activations={} \
             preemptions={} blocks={} state={}",
            domain.config.name,
            time.cpu_ns,
            time.guaranteed_ns,
            time.extra_ns,
            domain.activations,
            domain.preemptions,
            time.blocks,
            domain.state_word()
        ));
    }
}
