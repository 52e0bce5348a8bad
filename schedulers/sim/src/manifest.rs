//! Task sets from image manifests. The image builder reads and validates
//! the manifest (the same rules and messages as `cargo xtask check`); this
//! module only picks out the domains that declare threads.

use crate::{CpuShare, Task};
use anyhow::{anyhow, Result};
use std::path::Path;
use vesper_builder::Manifest;

/// A domain of a manifest, ready to simulate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimDomain {
    /// Its name.
    pub name: String,
    /// Its reservation, as a CPU share.
    pub share: CpuShare,
    /// The scheduler it names (`"fifo"` if none).
    pub scheduler: String,
    /// Its threads.
    pub tasks: Vec<Task>,
}

/// Parses a duration as manifests write them (`"10ms"`), in nanoseconds.
pub fn parse_duration(text: &str) -> Result<u64> {
    vesper_builder::units::parse_duration(text).map_err(|message| anyhow!(message))
}

/// Reads and validates the manifest at `path`: its domains that have
/// threads, and its `run-for`.
pub fn load_manifest(path: &Path) -> Result<(Vec<SimDomain>, Option<u64>)> {
    Ok(simulated_domains(&Manifest::load_any_program(path)?))
}

/// Parses and validates manifest `text`: its domains that have threads,
/// and its `run-for`.
pub fn parse_manifest(text: &str) -> Result<(Vec<SimDomain>, Option<u64>)> {
    Ok(simulated_domains(&Manifest::parse_any_program(text, Path::new("manifest.toml"))?))
}

/// The domains of `manifest` that have threads, each with its reservation
/// as its CPU share, and the manifest's `run-for`.
pub fn simulated_domains(manifest: &Manifest) -> (Vec<SimDomain>, Option<u64>) {
    let domains = manifest
        .domains
        .iter()
        .filter(|domain| !domain.threads.is_empty())
        .map(|domain| SimDomain {
            name: domain.name.clone(),
            share: CpuShare::Reservation {
                period_ns: domain.period_ns,
                slice_ns: domain.slice_ns,
                latency_ns: domain.latency_ns,
            },
            scheduler: domain.scheduler.name().to_string(),
            tasks: domain
                .threads
                .iter()
                .map(|thread| Task {
                    name: thread.name.clone(),
                    period_ns: thread.period_ns,
                    wcet_ns: thread.wcet_ns,
                    deadline_ns: thread.deadline_ns,
                    tickets: Some(u32::try_from(thread.tickets).unwrap_or(u32::MAX)),
                })
                .collect(),
        })
        .collect();
    (domains, manifest.run_for_ns)
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

    #[test]
    fn reads_the_threads_of_workload_domains() {
        let text = r#"
            [image]
            run-for = "500ms"

            [[domain]]
            name = "hello"
            program = "hello"
            period = "10ms"
            slice = "1ms"

            [[domain]]
            name = "w"
            program = "periodic"
            period = "10ms"
            slice = "5ms"
            latency = "1ms"
            scheduler = "edf"
            uses = []
            threads = [
              { name = "t1", period = "20ms", wcet = "4ms" },
              { name = "t2", period = "50ms", work = "10ms", deadline = "40ms", tickets = 300 },
              { name = "once", work = "1ms" },
            ]
        "#;
        let (domains, run_for) = parse_manifest(text).unwrap();
        assert_eq!(run_for, Some(500_000_000));
        assert_eq!(domains.len(), 1);
        let w = &domains[0];
        assert_eq!(w.name, "w");
        assert_eq!(w.scheduler, "edf");
        assert_eq!(
            w.share,
            CpuShare::Reservation {
                period_ns: 10_000_000,
                slice_ns: 5_000_000,
                latency_ns: 1_000_000
            }
        );
        // The builder fills in the defaults: deadline = period, 100 tickets.
        let t1 = Task {
            deadline_ns: Some(20_000_000),
            tickets: Some(100),
            ..Task::periodic("t1", 20_000_000, 4_000_000)
        };
        assert_eq!(w.tasks[0], t1);
        assert_eq!(w.tasks[1].deadline_ns, Some(40_000_000));
        assert_eq!(w.tasks[1].tickets, Some(300));
        assert_eq!(w.tasks[2].period_ns, None);
    }

    #[test]
    fn reports_bad_threads() {
        let base = "[[domain]]\nname = \"w\"\nprogram = \"periodic\"\nperiod = \"10ms\"\nslice = \"5ms\"\n";
        let bad_key = format!("{base}threads = [{{ name = \"t\", work = \"1ms\", colour = 1 }}]");
        assert!(parse_manifest(&bad_key).is_err());
        let bad_duration = format!("{base}threads = [{{ name = \"t\", work = \"1 ms\" }}]");
        let err = format!("{:#}", parse_manifest(&bad_duration).unwrap_err());
        assert!(err.contains("thread \"t\", key `work`"), "{err}");
    }
}
