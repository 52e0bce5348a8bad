//! Task sets from image manifests.
//!
//! Only what the simulator needs is read, and every other key is ignored,
//! so any manifest the image builder accepts can be simulated:
//!
//! ```toml
//! [image]
//! run-for = "500ms"            # the default duration
//!
//! [[domain]]
//! name = "w"
//! period = "10ms"              # the domain's reservation: the CPU share
//! slice = "5ms"
//! latency = "1ms"              # optional
//! scheduler = "edf"            # optional, default "fifo"
//! threads = [
//!   { name = "t1", period = "20ms", work = "4ms" },       # `wcet` is the same key
//!   { name = "t2", period = "50ms", work = "10ms", deadline = "40ms", tickets = 300 },
//! ]
//! ```
//!
//! A thread without a period has a single job, released at 0.

use crate::{CpuShare, Task};
use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use std::path::Path;

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

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawManifest {
    #[serde(default)]
    image: RawImage,
    #[serde(default)]
    domain: Vec<RawDomain>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawImage {
    run_for: Option<String>,
}

#[derive(Deserialize)]
struct RawDomain {
    name: String,
    period: String,
    slice: String,
    latency: Option<String>,
    scheduler: Option<String>,
    #[serde(default)]
    threads: Vec<RawThread>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThread {
    name: String,
    #[serde(alias = "wcet")]
    work: String,
    period: Option<String>,
    deadline: Option<String>,
    tickets: Option<u32>,
}

/// Parses a duration such as `"10ms"`: an integer and a unit (`ns`, `us`,
/// `ms` or `s`), as manifests write them.
pub fn parse_duration(text: &str) -> Result<u64> {
    let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    let scale: u64 = match unit {
        "ns" => 1,
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        _ => bail!("{text:?} is not a duration: write an integer and ns, us, ms or s (\"10ms\")"),
    };
    if digits.is_empty() {
        bail!("{text:?} is not a duration: write an integer and ns, us, ms or s (\"10ms\")");
    }
    digits
        .parse::<u64>()
        .ok()
        .and_then(|value| value.checked_mul(scale))
        .ok_or_else(|| anyhow!("{text:?} is too long: durations must fit in 2^64 ns"))
}

/// Reads the manifest at `path`: its domains that have threads, and its
/// `run-for`.
pub fn load_manifest(path: &Path) -> Result<(Vec<SimDomain>, Option<u64>)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse_manifest(&text).with_context(|| format!("in {}", path.display()))
}

/// Parses manifest `text`: its domains that have threads, and its
/// `run-for`.
pub fn parse_manifest(text: &str) -> Result<(Vec<SimDomain>, Option<u64>)> {
    let raw: RawManifest = toml::from_str(text)?;
    let run_for = raw.image.run_for.as_deref().map(parse_duration).transpose()?;
    let mut domains = Vec::new();
    for domain in raw.domain {
        if domain.threads.is_empty() {
            continue;
        }
        let what = format!("domain {:?}", domain.name);
        let duration = |key: &str, value: &str| {
            parse_duration(value).with_context(|| format!("{what}, key `{key}`"))
        };
        let share = CpuShare::Reservation {
            period_ns: duration("period", &domain.period)?,
            slice_ns: duration("slice", &domain.slice)?,
            latency_ns: domain
                .latency
                .as_deref()
                .map(|l| duration("latency", l))
                .transpose()?
                .unwrap_or(0),
        };
        let mut tasks = Vec::new();
        for thread in domain.threads {
            let what = format!("{what}, thread {:?}", thread.name);
            let duration = |key: &str, value: &str| {
                parse_duration(value).with_context(|| format!("{what}, key `{key}`"))
            };
            tasks.push(Task {
                wcet_ns: duration("work", &thread.work)?,
                period_ns: thread.period.as_deref().map(|p| duration("period", p)).transpose()?,
                deadline_ns: thread
                    .deadline
                    .as_deref()
                    .map(|d| duration("deadline", d))
                    .transpose()?,
                tickets: thread.tickets,
                name: thread.name,
            });
        }
        domains.push(SimDomain {
            name: domain.name,
            share,
            scheduler: domain.scheduler.unwrap_or_else(|| "fifo".to_string()),
            tasks,
        });
    }
    Ok((domains, run_for))
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
        assert_eq!(w.tasks[0], Task::periodic("t1", 20_000_000, 4_000_000));
        assert_eq!(w.tasks[1].deadline_ns, Some(40_000_000));
        assert_eq!(w.tasks[1].tickets, Some(300));
        assert_eq!(w.tasks[2].period_ns, None);
    }

    #[test]
    fn reports_bad_threads() {
        let base = "[[domain]]\nname = \"w\"\nperiod = \"10ms\"\nslice = \"5ms\"\n";
        let bad_key = format!("{base}threads = [{{ name = \"t\", work = \"1ms\", colour = 1 }}]");
        assert!(parse_manifest(&bad_key).is_err());
        let bad_duration = format!("{base}threads = [{{ name = \"t\", work = \"1 ms\" }}]");
        let err = format!("{:#}", parse_manifest(&bad_duration).unwrap_err());
        assert!(err.contains("thread \"t\", key `work`"), "{err}");
    }
}
