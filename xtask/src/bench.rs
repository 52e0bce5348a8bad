//! `cargo xtask bench`: boots the benchmark image and collects the
//! `bench NAME instructions=N` lines its probe prints.

use anyhow::{bail, Result};

/// The manifests of the benchmark images, booted one after the other:
/// the hot paths, and the longest path (apart, so that its domains do not
/// lengthen the scheduler's scans in the first).
pub const MANIFESTS: [&str; 2] = ["images/bench.toml", "images/bench-longest.toml"];

/// The kernel paths measured, with the instruction budget each was designed
/// for (issue targets; see docs/benchmarks.md).
pub const TARGETS: &[(&str, u64)] = &[
    ("null_syscall", 40),
    ("get_time_syscall", 120),
    ("preempt_to_activation", 200),
    ("event_send_to_activation", 250),
    ("ipc_round_trip", 300),
    ("irq_to_activation", 300),
    ("revoke_no_descendants", 40_000),
    ("revoke_loan_chain", LONGEST_PATH_BOUND),
];

/// The bound on the longest path with interrupts masked, in instructions:
/// the revoke of the largest derivation a manifest allows (docs/benchmarks.md,
/// "The longest kernel path").
pub const LONGEST_PATH_BOUND: u64 = 200_000;

/// One measurement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Measurement {
    /// The path measured.
    pub name: String,
    /// Retired instructions.
    pub instructions: u64,
}

/// Finds `bench NAME instructions=N` in each line of `serial` (after any
/// `[domain] ` prefix).
pub fn parse(serial: &str) -> Vec<Measurement> {
    serial
        .lines()
        .filter_map(|line| {
            let rest = &line[line.find("bench ")? + "bench ".len()..];
            let (name, count) = rest.split_once(" instructions=")?;
            Some(Measurement { name: name.to_string(), instructions: count.trim().parse().ok()? })
        })
        .collect()
}

/// Checks that every path in [`TARGETS`] was measured.
pub fn check_complete(measurements: &[Measurement]) -> Result<()> {
    for (name, _) in TARGETS {
        if !measurements.iter().any(|m| m.name == *name) {
            bail!("the benchmark image did not report {name}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_probe_lines() {
        let serial = "[probe] bench null_syscall instructions=12\nnoise\n\
                      [probe] bench preempt_to_activation instructions=345\n";
        let found = parse(serial);
        assert_eq!(
            found,
            vec![
                Measurement { name: "null_syscall".into(), instructions: 12 },
                Measurement { name: "preempt_to_activation".into(), instructions: 345 },
            ]
        );
        assert!(check_complete(&found).unwrap_err().to_string().contains("get_time_syscall"));
    }
}
