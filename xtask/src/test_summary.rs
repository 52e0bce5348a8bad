//! Adding up the `test result:` lines of a `cargo test` run, so that one
//! closing line tells how many tests ran across all test binaries.

use anyhow::{Context, Result};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Totals over every test binary of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Tests that passed.
    pub passed: u64,
    /// Tests that failed.
    pub failed: u64,
    /// Whether the command itself succeeded.
    pub success: bool,
}

/// Counts from one libtest line such as
/// `test result: ok. 23 passed; 0 failed; 0 ignored; ...`.
pub fn parse_result_line(line: &str) -> Option<(u64, u64)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let count = |word: &str| {
        rest.split(';').find_map(|part| {
            let part = part.trim().trim_start_matches("ok. ").trim_start_matches("FAILED. ");
            part.strip_suffix(word)?.trim().parse::<u64>().ok()
        })
    };
    Some((count("passed")?, count("failed")?))
}

/// Runs `cmd` (a `cargo test`), echoing its standard output as it comes,
/// and adds up the results.
pub fn run_and_count(mut cmd: Command) -> Result<Totals> {
    let mut child = cmd.stdout(Stdio::piped()).spawn().context("could not run cargo test")?;
    let stdout = child.stdout.take().expect("piped");
    let mut totals = Totals::default();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading cargo test's output")?;
        println!("{line}");
        if let Some((passed, failed)) = parse_result_line(&line) {
            totals.passed += passed;
            totals.failed += failed;
        }
    }
    totals.success = child.wait().context("waiting for cargo test")?.success();
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_passing_and_failing_lines() {
        let ok = "test result: ok. 23 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s";
        assert_eq!(parse_result_line(ok), Some((23, 0)));
        let bad = "test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!(parse_result_line(bad), Some((1, 2)));
    }

    #[test]
    fn ignores_other_lines() {
        assert_eq!(parse_result_line("running 3 tests"), None);
        assert_eq!(parse_result_line("test boot::x ... ok"), None);
    }
}
