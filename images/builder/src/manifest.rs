//! Image manifests: the TOML file that says which domains an image holds,
//! which program each runs and what CPU reservation it has.
//!
//! ```toml
//! [image]
//! run-for = "500ms"   # optional: stop after this much virtual time
//!
//! [[domain]]
//! name = "a"          # 1 to 31 bytes of [A-Za-z0-9_-], unique
//! program = "spin"    # a binary of a crate under domains/
//! period = "10ms"
//! slice = "2ms"       # 0 < slice <= period
//! extra = false       # optional, default false
//! latency = "1ms"     # optional, default: the period
//! ```
//!
//! Parsing is strict: unknown keys are errors (with toml's line and column),
//! and validation reports every problem it finds at once, each naming the
//! file, line and column, the domain and the key.

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;
use vesper_abi::layout::MAX_DOMAINS;

/// The longest domain name, in bytes: the name is copied NUL-padded into the
/// 32-byte `name` field of the domain control block.
pub const MAX_NAME_LEN: usize = 31;

/// Utilisation 1.0, the whole CPU, in parts per billion (as the kernel's
/// Atropos scheduler counts it).
pub const PPB_ONE: u64 = 1_000_000_000;

/// The accepted forms of a duration, for error messages.
const DURATION_FORMS: &str =
    "an integer followed by one of the units ns, us, ms, s (e.g. \"10ms\", \"250us\", \"1s\")";

/// A validated manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The image's name: the manifest's file stem (`images/demo.toml` is
    /// `demo`).
    pub name: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// Virtual time after which the kernel prints its statistics and ends
    /// the run, if given.
    pub run_for_ns: Option<u64>,
    /// The domains, in manifest order (domain `i` gets slot `i`).
    pub domains: Vec<Domain>,
}

/// One validated `[[domain]]` of a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Domain {
    /// Its unique name.
    pub name: String,
    /// The program it runs: a binary of a crate under `domains/`.
    pub program: String,
    /// The reservation's period, in nanoseconds (non-zero).
    pub period_ns: u64,
    /// CPU time guaranteed in each period, in nanoseconds
    /// (`0 < slice_ns <= period_ns`).
    pub slice_ns: u64,
    /// Whether the domain may also run in slack time.
    pub extra: bool,
    /// The latency hint, in nanoseconds (the period unless given).
    pub latency_ns: u64,
}

impl Domain {
    /// The domain's share of the CPU, `slice / period`, in parts per
    /// billion rounded up: the kernel's admission control rounds the same
    /// way, so an image this builder accepts is never refused at boot.
    pub fn share_ppb(&self) -> u64 {
        share_ppb(self.slice_ns, self.period_ns)
    }
}

impl Manifest {
    /// Reads and validates the manifest at `path`. `programs` are the
    /// binaries that domains may run.
    pub fn load(path: &Path, programs: &BTreeSet<String>) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text, path, programs)
    }

    /// Parses and validates manifest `text`, read from `path` (which names
    /// the image and appears in error messages). `programs` are the binaries
    /// that domains may run.
    pub fn parse(text: &str, path: &Path, programs: &BTreeSet<String>) -> Result<Self> {
        let file = path.display().to_string();
        let name = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .filter(|stem| !stem.is_empty())
            .ok_or_else(|| {
                anyhow!("{file}: the file name must have a UTF-8 stem (it names the image)")
            })?
            .to_string();
        let raw: RawManifest = toml::from_str(text).map_err(|err| anyhow!("{file}: {err}"))?;
        let mut problems = Problems { file: &file, text, list: Vec::new() };
        let run_for_ns = validate_run_for(raw.image.run_for.as_ref(), &mut problems);
        let domains = validate_domains(&raw.domain, programs, &mut problems);
        if !problems.list.is_empty() {
            let count = problems.list.len();
            let noun = if count == 1 { "problem" } else { "problems" };
            bail!("invalid manifest {file} ({count} {noun}):\n  {}", problems.list.join("\n  "));
        }
        Ok(Self { name, path: path.to_path_buf(), run_for_ns, domains })
    }

    /// The total utilisation of all domains, in parts per billion (each
    /// share rounded up, see [`Domain::share_ppb`]).
    pub fn utilisation_ppb(&self) -> u64 {
        self.domains.iter().map(Domain::share_ppb).sum()
    }
}

/// `slice / period` in parts per billion, rounded up (`period` non-zero,
/// `slice <= period`).
fn share_ppb(slice_ns: u64, period_ns: u64) -> u64 {
    let scaled = u128::from(slice_ns) * u128::from(PPB_ONE);
    // `slice <= period`, so the quotient is at most `PPB_ONE`.
    scaled.div_ceil(u128::from(period_ns)) as u64
}

/// Parses a duration such as `"10ms"`: an integer and a unit (`ns`, `us`,
/// `ms` or `s`), with nothing in between. Returns nanoseconds, or a message
/// naming the accepted forms.
pub fn parse_duration(text: &str) -> std::result::Result<u64, String> {
    let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    let scale: u64 = match unit {
        "ns" => 1,
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        _ => return Err(format!("{text:?} is not a duration: write {DURATION_FORMS}")),
    };
    if digits.is_empty() {
        return Err(format!("{text:?} is not a duration: write {DURATION_FORMS}"));
    }
    digits.parse::<u64>().ok().and_then(|value| value.checked_mul(scale)).ok_or_else(|| {
        format!("{text:?} is too long: durations must fit in 2^64 ns (about 584 years)")
    })
}

/// Writes `ns` in the largest unit that divides it exactly: `10ms`,
/// `250us`, `1s`, `7ns`.
pub fn format_duration(ns: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "us")];
    for (scale, unit) in UNITS {
        if ns != 0 && ns.is_multiple_of(scale) {
            return format!("{}{unit}", ns / scale);
        }
    }
    format!("{ns}ns")
}

/// Writes a utilisation given in parts per billion with `decimals` decimals,
/// or with all nine when fewer would hide that it exceeds 1 (three shares
/// of 1/3, rounded up, add up to 1.000000002).
pub fn format_share(ppb: u64, decimals: usize) -> String {
    let shown = format!("{:.decimals$}", ppb as f64 / PPB_ONE as f64);
    if ppb > PPB_ONE && shown.parse::<f64>().is_ok_and(|value| value <= 1.0) {
        format!("{}.{:09}", ppb / PPB_ONE, ppb % PPB_ONE)
    } else {
        shown
    }
}

/// The manifest as written, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawManifest {
    #[serde(default)]
    image: RawImage,
    #[serde(default)]
    domain: Vec<Spanned<RawDomain>>,
}

/// The `[image]` table as written.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawImage {
    run_for: Option<Spanned<String>>,
}

/// A `[[domain]]` table as written. Required keys are optional here so
/// that a missing one is reported with all the other problems.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawDomain {
    name: Option<Spanned<String>>,
    program: Option<Spanned<String>>,
    period: Option<Spanned<String>>,
    slice: Option<Spanned<String>>,
    extra: Option<bool>,
    latency: Option<Spanned<String>>,
}

/// The problems found so far, each located in the file.
struct Problems<'a> {
    file: &'a str,
    text: &'a str,
    list: Vec<String>,
}

impl Problems<'_> {
    /// Records `reason` about `what` (a domain and key) at `span`.
    fn add(&mut self, span: &Range<usize>, what: &str, reason: &str) {
        let (line, column) = line_column(self.text, span.start);
        self.list.push(format!("{}:{line}:{column}: {what}: {reason}", self.file));
    }

    /// Records a problem of the whole file.
    fn add_global(&mut self, reason: &str) {
        self.list.push(format!("{}: {reason}", self.file));
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn validate_run_for(run_for: Option<&Spanned<String>>, problems: &mut Problems) -> Option<u64> {
    let run_for = run_for?;
    let what = "[image] key `run-for`";
    match parse_duration(run_for.get_ref()) {
        Ok(0) => {
            problems.add(
                &run_for.span(),
                what,
                "must be greater than 0 (leave it out to run until halted)",
            );
            None
        }
        Ok(ns) => Some(ns),
        Err(reason) => {
            problems.add(&run_for.span(), what, &reason);
            None
        }
    }
}

fn validate_domains(
    raw: &[Spanned<RawDomain>],
    programs: &BTreeSet<String>,
    problems: &mut Problems,
) -> Vec<Domain> {
    if raw.is_empty() {
        problems.add_global("no domains: an image needs at least one [[domain]] table");
    }
    if raw.len() > MAX_DOMAINS {
        problems.add_global(&format!(
            "{} domains, but an image holds at most {MAX_DOMAINS}",
            raw.len()
        ));
    }
    let mut seen = HashMap::new();
    let mut domains = Vec::new();
    for (index, table) in raw.iter().enumerate() {
        if let Some(domain) = validate_domain(index, table, programs, &mut seen, problems) {
            domains.push(domain);
        }
    }
    // Admission control only makes sense over a complete, valid set.
    if domains.len() == raw.len() {
        let total: u64 = domains.iter().map(Domain::share_ppb).sum();
        if total > PPB_ONE {
            let shares: Vec<String> = domains
                .iter()
                .map(|domain| format!("{} {}", domain.name, format_share(domain.share_ppb(), 2)))
                .collect();
            problems.add_global(&format!(
                "admission control: utilisation {} > 1: {} \
                 (the slices/periods must add up to at most 1)",
                format_share(total, 2),
                shares.join(", ")
            ));
        }
    }
    domains
}

/// Checks one `[[domain]]`; `None` if anything is wrong (and recorded).
fn validate_domain(
    index: usize,
    table: &Spanned<RawDomain>,
    programs: &BTreeSet<String>,
    seen: &mut HashMap<String, usize>,
    problems: &mut Problems,
) -> Option<Domain> {
    let raw = table.get_ref();
    let label = match &raw.name {
        Some(name) => format!("domain {:?}", name.get_ref()),
        None => format!("domain #{}", index + 1),
    };
    let before = problems.list.len();
    let mut required = |value: &Option<Spanned<String>>, key: &str| {
        if value.is_none() {
            problems.add(
                &table.span(),
                &format!("{label}, key `{key}`"),
                "missing (it is required)",
            );
        }
    };
    required(&raw.name, "name");
    required(&raw.program, "program");
    required(&raw.period, "period");
    required(&raw.slice, "slice");

    if let Some(name) = &raw.name {
        if let Err(reason) = check_name(name.get_ref()) {
            problems.add(&name.span(), &format!("{label}, key `name`"), &reason);
        } else if let Some(first) = seen.get(name.get_ref()) {
            problems.add(
                &name.span(),
                &format!("{label}, key `name`"),
                &format!("domain #{} has this name already (names must be unique)", first + 1),
            );
        } else {
            seen.insert(name.get_ref().clone(), index);
        }
    }
    if let Some(program) = &raw.program {
        if !programs.contains(program.get_ref()) {
            let known = if programs.is_empty() {
                "none (no crate under domains/ has a binary)".to_string()
            } else {
                programs.iter().map(String::as_str).collect::<Vec<_>>().join(", ")
            };
            problems.add(
                &program.span(),
                &format!("{label}, key `program`"),
                &format!(
                    "no domain program is called {:?}; the programs are: {known}",
                    program.get_ref()
                ),
            );
        }
    }
    let mut duration = |value: &Option<Spanned<String>>, key: &str| {
        let value = value.as_ref()?;
        match parse_duration(value.get_ref()) {
            Ok(0) => {
                problems.add(
                    &value.span(),
                    &format!("{label}, key `{key}`"),
                    "must be greater than 0",
                );
                None
            }
            Ok(ns) => Some((ns, value.span())),
            Err(reason) => {
                problems.add(&value.span(), &format!("{label}, key `{key}`"), &reason);
                None
            }
        }
    };
    let period = duration(&raw.period, "period");
    let slice = duration(&raw.slice, "slice");
    let latency = duration(&raw.latency, "latency");
    if let (Some((period_ns, _)), Some((slice_ns, slice_span))) = (&period, &slice) {
        if slice_ns > period_ns {
            problems.add(
                slice_span,
                &format!("{label}, key `slice`"),
                &format!(
                    "{} is longer than the period ({}): a slice is the part of each period \
                     the domain is guaranteed",
                    format_duration(*slice_ns),
                    format_duration(*period_ns)
                ),
            );
        }
    }
    if problems.list.len() != before {
        return None;
    }
    let (period_ns, _) = period?;
    Some(Domain {
        name: raw.name.as_ref()?.get_ref().clone(),
        program: raw.program.as_ref()?.get_ref().clone(),
        period_ns,
        slice_ns: slice?.0,
        extra: raw.extra.unwrap_or(false),
        latency_ns: latency.map_or(period_ns, |(ns, _)| ns),
    })
}

/// Checks a domain name: 1 to [`MAX_NAME_LEN`] bytes of `[A-Za-z0-9_-]`.
fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!("{} bytes long, but names have at most {MAX_NAME_LEN}", name.len()));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(format!("{bad:?} is not allowed: names use only letters, digits, '_' and '-'"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programs() -> BTreeSet<String> {
        ["hello", "sleeper", "spin"].into_iter().map(String::from).collect()
    }

    fn parse(text: &str) -> Result<Manifest> {
        Manifest::parse(text, Path::new("images/test.toml"), &programs())
    }

    fn error(text: &str) -> String {
        format!("{:#}", parse(text).unwrap_err())
    }

    /// A `[[domain]]` table with the required keys.
    fn domain(name: &str, program: &str, period: &str, slice: &str) -> String {
        format!(
            "[[domain]]\nname = {name:?}\nprogram = {program:?}\nperiod = {period:?}\n\
             slice = {slice:?}\n"
        )
    }

    #[test]
    fn durations_parse_in_every_unit() {
        assert_eq!(parse_duration("10ms"), Ok(10_000_000));
        assert_eq!(parse_duration("250us"), Ok(250_000));
        assert_eq!(parse_duration("1s"), Ok(1_000_000_000));
        assert_eq!(parse_duration("7ns"), Ok(7));
        assert_eq!(parse_duration("0ms"), Ok(0));
    }

    #[test]
    fn bad_durations_name_the_accepted_forms() {
        for text in ["10", "ms", "10 ms", "1.5ms", "-1ms", "10MS", "10m", "", "1ms2"] {
            let err = parse_duration(text).unwrap_err();
            assert!(err.contains("ns, us, ms, s"), "{text:?}: {err}");
        }
        assert!(parse_duration("99999999999s").unwrap_err().contains("too long"));
        assert!(parse_duration("99999999999999999999ns").unwrap_err().contains("too long"));
    }

    #[test]
    fn durations_format_in_the_largest_exact_unit() {
        assert_eq!(format_duration(10_000_000), "10ms");
        assert_eq!(format_duration(250_000), "250us");
        assert_eq!(format_duration(2_000_000_000), "2s");
        assert_eq!(format_duration(1_500_000), "1500us");
        assert_eq!(format_duration(7), "7ns");
        assert_eq!(format_duration(0), "0ns");
    }

    #[test]
    fn shares_format_with_enough_decimals_to_show_an_overload() {
        assert_eq!(format_share(200_000_000, 2), "0.20");
        assert_eq!(format_share(1_100_000_000, 2), "1.10");
        assert_eq!(format_share(PPB_ONE, 2), "1.00");
        assert_eq!(format_share(1_000_000_002, 2), "1.000000002");
        assert_eq!(format_share(333_333_334, 3), "0.333");
    }

    #[test]
    fn name_limit_matches_the_dcb() {
        let dcb = vesper_abi::dcb::DcbReadOnly::default();
        assert_eq!(dcb.name.len(), MAX_NAME_LEN + 1, "room for a terminating NUL");
    }

    #[test]
    fn a_full_manifest_parses_with_defaults() {
        let manifest = parse(
            r#"
            [image]
            run-for = "500ms"

            [[domain]]
            name = "a"
            program = "spin"
            period = "10ms"
            slice = "2ms"

            [[domain]]
            name = "b-2_x"
            program = "hello"
            period = "1s"
            slice = "250us"
            extra = true
            latency = "1ms"
            "#,
        )
        .unwrap();
        assert_eq!(manifest.name, "test");
        assert_eq!(manifest.run_for_ns, Some(500_000_000));
        assert_eq!(
            manifest.domains,
            vec![
                Domain {
                    name: "a".into(),
                    program: "spin".into(),
                    period_ns: 10_000_000,
                    slice_ns: 2_000_000,
                    extra: false,
                    latency_ns: 10_000_000,
                },
                Domain {
                    name: "b-2_x".into(),
                    program: "hello".into(),
                    period_ns: 1_000_000_000,
                    slice_ns: 250_000,
                    extra: true,
                    latency_ns: 1_000_000,
                },
            ]
        );
        assert_eq!(manifest.utilisation_ppb(), 200_000_000 + 250_000);
    }

    #[test]
    fn image_table_is_optional() {
        let manifest = parse(&domain("a", "spin", "1ms", "1ms")).unwrap();
        assert_eq!(manifest.run_for_ns, None);
        assert_eq!(manifest.utilisation_ppb(), PPB_ONE);
    }

    #[test]
    fn unknown_keys_are_errors_with_a_location() {
        let err = error(&format!("{}slise = \"1ms\"\n", domain("a", "spin", "1ms", "1ms")));
        assert!(err.contains("images/test.toml"), "{err}");
        assert!(err.contains("line 6"), "{err}");
        assert!(err.contains("slise"), "{err}");
        let err = error("[image]\nrun_for = \"1s\"\n");
        assert!(err.contains("run_for") && err.contains("line 2"), "{err}");
        let err = error("[images]\n");
        assert!(err.contains("images"), "{err}");
    }

    #[test]
    fn wrong_types_are_errors_with_a_location() {
        let err =
            error("[[domain]]\nname = \"a\"\nprogram = \"spin\"\nperiod = 10\nslice = \"1ms\"\n");
        assert!(err.contains("line 4"), "{err}");
        let err = error("[[domain]]\nname = \"a\"\nextra = \"yes\"\n");
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = error(
            r#"[image]
run-for = "0s"

[[domain]]
name = "a"
program = "spinn"
period = "10"
slice = "2ms"

[[domain]]
name = "a"
program = "spin"
period = "1ms"
slice = "2ms"

[[domain]]
name = "bad name"
period = "0ms"
slice = "1ms"
latency = "0ns"

[[domain]]
program = "hello"
period = "1ms"
slice = "1ms"
"#,
        );
        let expected = [
            "invalid manifest images/test.toml (10 problems):",
            "images/test.toml:2:11: [image] key `run-for`: must be greater than 0",
            r#"images/test.toml:6:11: domain "a", key `program`: no domain program is called "spinn"; the programs are: hello, sleeper, spin"#,
            r#"images/test.toml:7:10: domain "a", key `period`: "10" is not a duration: write an integer followed by one of the units ns, us, ms, s"#,
            r#"images/test.toml:11:8: domain "a", key `name`: domain #1 has this name already"#,
            r#"images/test.toml:14:9: domain "a", key `slice`: 2ms is longer than the period (1ms)"#,
            r#"domain "bad name", key `program`: missing (it is required)"#,
            r#"images/test.toml:17:8: domain "bad name", key `name`: ' ' is not allowed"#,
            r#"images/test.toml:18:10: domain "bad name", key `period`: must be greater than 0"#,
            r#"images/test.toml:20:11: domain "bad name", key `latency`: must be greater than 0"#,
            "domain #4, key `name`: missing (it is required)",
        ];
        for line in expected {
            assert!(err.contains(line), "missing {line:?} in:\n{err}");
        }
        // No admission check over an invalid set.
        assert!(!err.contains("utilisation"), "{err}");
    }

    #[test]
    fn admission_control_lists_every_share() {
        let err = error(
            r#"
[[domain]]
name = "a"
program = "spin"
period = "10ms"
slice = "2ms"
[[domain]]
name = "b"
program = "spin"
period = "10ms"
slice = "6ms"
[[domain]]
name = "c"
program = "spin"
period = "10ms"
slice = "3ms"
"#,
        );
        assert!(
            err.contains(
                "images/test.toml: admission control: utilisation 1.10 > 1: a 0.20, b 0.60, c 0.30"
            ),
            "{err}"
        );
    }

    #[test]
    fn admission_rounds_up_like_the_kernel() {
        let third = |name| domain(name, "spin", "3ns", "1ns");
        let err = error(&format!("{}{}{}", third("a"), third("b"), third("c")));
        assert!(err.contains("utilisation 1.000000002 > 1"), "{err}");
    }

    #[test]
    fn domain_count_is_bounded() {
        assert!(error("").contains("images/test.toml: no domains"));
        let one = |i: usize| domain(&format!("d{i}"), "hello", "1s", "1ms");
        let many: String = (0..=MAX_DOMAINS).map(one).collect();
        let err = error(&many);
        assert!(err.contains("17 domains, but an image holds at most 16"), "{err}");
        let most: String = (0..MAX_DOMAINS).map(one).collect();
        assert_eq!(parse(&most).unwrap().domains.len(), MAX_DOMAINS);
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("a").is_ok());
        assert!(check_name("Net_driver-2").is_ok());
        assert!(check_name(&"x".repeat(MAX_NAME_LEN)).is_ok());
        assert!(check_name(&"x".repeat(MAX_NAME_LEN + 1)).unwrap_err().contains("at most 31"));
        assert!(check_name("").unwrap_err().contains("empty"));
        assert!(check_name("é").unwrap_err().contains("'é'"));
        assert!(check_name("a.b").is_err());
    }

    #[test]
    fn no_known_programs_is_said_plainly() {
        let err = format!(
            "{:#}",
            Manifest::parse(
                &domain("a", "spin", "1s", "1ms"),
                Path::new("x.toml"),
                &BTreeSet::new()
            )
            .unwrap_err()
        );
        assert!(err.contains("the programs are: none"), "{err}");
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("é = 1", 3), (1, 3));
    }
}
