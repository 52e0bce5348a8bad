//! What the simulator takes from image manifests. The image builder reads
//! and validates them (the same rules and messages as `cargo xtask check`).

use crate::Task;
use anyhow::{anyhow, Result};

/// Parses a duration as manifests write them (`"10ms"`), in nanoseconds.
pub fn parse_duration(text: &str) -> Result<u64> {
    vesper_builder::units::parse_duration(text).map_err(|message| anyhow!(message))
}

/// The threads of `domain`, as tasks.
pub fn tasks_of(domain: &vesper_builder::manifest::Domain) -> Vec<Task> {
    as_tasks(&domain.threads)
}

/// The members of group scheduler `domain`, as tasks named after them.
pub fn tasks_of_members(domain: &vesper_builder::manifest::Domain) -> Vec<Task> {
    as_tasks(&domain.members)
}

/// `threads` (or members), as tasks.
fn as_tasks(threads: &[vesper_builder::manifest::Thread]) -> Vec<Task> {
    threads
        .iter()
        .map(|thread| Task {
            name: thread.name.clone(),
            period_ns: thread.period_ns,
            wcet_ns: thread.wcet_ns,
            deadline_ns: thread.deadline_ns,
            tickets: Some(u32::try_from(thread.tickets).unwrap_or(u32::MAX)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("20ms").unwrap(), 20_000_000);
        assert_eq!(parse_duration("250us").unwrap(), 250_000);
        assert_eq!(parse_duration("1s").unwrap(), 1_000_000_000);
        assert_eq!(parse_duration("7ns").unwrap(), 7);
        assert!(parse_duration("ms").is_err());
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("1.5ms").is_err());
        assert!(parse_duration("99999999999999s").is_err());
    }
}
