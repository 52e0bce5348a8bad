//! `cargo xtask bench`: boots the benchmark images and collects the
//! `bench NAME instructions=N` lines their probes print. The figures in
//! docs/benchmarks.md are [`markdown`]'s rendering of one such run, between
//! [`DOC_BEGIN`] and [`DOC_END`]; `cargo xtask bench --markdown` rewrites
//! them, and a test fails when they differ from a fresh run.

use crate::qemu::{Boot, Conversation};
use anyhow::{bail, Context, Result};
use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

/// The manifests of the benchmark images, booted one after the other:
/// the hot paths, the longest path (apart, so that its domains do not
/// lengthen the scheduler's scans in the first), the console service's
/// output and its input (see [`INPUT_MANIFEST`]), the block service, a
/// group's donations, and the paths across cores.
pub const MANIFESTS: [&str; 7] = [
    "images/bench.toml",
    "images/bench-longest.toml",
    "images/bench-console.toml",
    INPUT_MANIFEST,
    BLOCK_MANIFEST,
    "images/bench-group.toml",
    "images/bench-cores.toml",
];

/// The image that measures the block service: it gets a blank card of
/// [`BLOCK_CARD_SIZE`] bytes, which it overwrites.
pub const BLOCK_MANIFEST: &str = "images/bench-block.toml";
/// The size of [`BLOCK_MANIFEST`]'s card.
const BLOCK_CARD_SIZE: u64 = 64 << 20;

/// The image that measures the console's receive path: it waits for input
/// with no deadline, and the host answers each of its `ready` lines with a
/// byte on the PL011 (see domains/bench/src/bin/bench-console-input.rs).
pub const INPUT_MANIFEST: &str = "images/bench-console-input.toml";

/// How the host talks to the benchmark image `manifest`, if it does.
fn conversation(manifest: &str) -> Option<Conversation> {
    (manifest == INPUT_MANIFEST).then(|| Conversation {
        prompt: "] ready ".into(),
        reply: b"x".to_vec(),
        until: "bench console_byte_to_read instructions=".into(),
        pause: Duration::from_millis(50),
    })
}

/// A kernel path `cargo xtask bench` measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathSpec {
    /// Its name in the `bench NAME instructions=N` lines.
    pub name: &'static str,
    /// The most instructions it may take (`--check` fails above it); `None`
    /// for a path measured for information only.
    pub target: Option<u64>,
    /// What seL4 takes for the same thing on the same emulated board
    /// (QEMU 7.2 raspi3b under `-icount shift=0,sleep=off`, non-MCS,
    /// release, fastpath on, sel4bench; ../shared/notes/sel4-on-this-board.md).
    pub sel4: Option<u64>,
}

/// The kernel paths measured, with the budget each must meet.
pub const TARGETS: &[PathSpec] = &[
    PathSpec { name: "null_syscall", target: Some(10), sel4: Some(92) },
    PathSpec { name: "get_time_syscall", target: None, sel4: None },
    PathSpec { name: "read_time", target: Some(40), sel4: None },
    PathSpec { name: "preempt_to_activation", target: Some(200), sel4: Some(277) },
    PathSpec { name: "preempt_to_activation_fp", target: None, sel4: Some(329) },
    PathSpec { name: "yield_to_other", target: None, sel4: None },
    PathSpec { name: "event_send_to_activation", target: Some(250), sel4: Some(497) },
    PathSpec { name: "ipc_round_trip", target: Some(300), sel4: Some(407) },
    PathSpec { name: "ipc_round_trip_fp", target: None, sel4: Some(520) },
    PathSpec { name: "irq_to_activation", target: Some(300), sel4: Some(353) },
    PathSpec { name: "donate_to_member", target: None, sel4: None },
    PathSpec { name: "event_send_cross_core", target: None, sel4: None },
    PathSpec { name: "ipc_round_trip_cross_core", target: None, sel4: None },
    PathSpec { name: "revoke_cross_core", target: None, sel4: None },
    PathSpec { name: "member_stop_to_scheduler", target: None, sel4: None },
    PathSpec { name: "console_line_to_fifo", target: None, sel4: None },
    PathSpec { name: "console_instructions_per_byte", target: None, sel4: None },
    PathSpec { name: "console_byte_to_read", target: None, sel4: None },
    PathSpec { name: "block_request_one_block", target: None, sel4: None },
    PathSpec { name: "block_read_1mib", target: None, sel4: None },
    PathSpec { name: "block_write_1mib", target: None, sel4: None },
    PathSpec { name: "revoke_no_descendants", target: Some(40_000), sel4: None },
    PathSpec { name: "revoke_loan_chain", target: Some(LONGEST_PATH_BOUND), sel4: None },
];

/// The bound on the longest path with interrupts masked, in instructions:
/// the revoke of the largest derivation a manifest allows (docs/benchmarks.md,
/// "The longest kernel path").
pub const LONGEST_PATH_BOUND: u64 = 200_000;

/// Wall-clock safety net for one benchmark boot (its guest time is fixed).
const BOOT_TIMEOUT: Duration = Duration::from_secs(60);

/// The document whose figures come from [`markdown`].
pub const DOC: &str = "docs/benchmarks.md";
/// The line before the generated block in [`DOC`].
pub const DOC_BEGIN: &str = "<!-- generated by `cargo xtask bench --markdown`: do not edit -->";
/// The line after it.
pub const DOC_END: &str = "<!-- end of generated figures -->";

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
    for path in TARGETS {
        if !measurements.iter().any(|m| m.name == path.name) {
            bail!("the benchmark image did not report {}", path.name);
        }
    }
    Ok(())
}

/// Builds the benchmark images of the workspace at `root`, boots each, and
/// returns every path's measurement (an error if one is missing, with the
/// guests' output).
pub fn measure(root: &Path) -> Result<Vec<Measurement>> {
    crate::setup::ensure_qemu()?;
    let mut measurements = Vec::new();
    let mut serial = String::new();
    for manifest in MANIFESTS {
        let image =
            vesper_builder::build_image_with_features(root, &root.join(manifest), &["bench"])?;
        let mut boot = Boot::new(&image.kernel.flat);
        boot.conversation = conversation(manifest);
        if manifest == BLOCK_MANIFEST {
            let card = image.kernel.flat.with_file_name("bench-card.img");
            std::fs::File::create(&card)
                .and_then(|file| file.set_len(BLOCK_CARD_SIZE))
                .with_context(|| format!("making the blank card {}", card.display()))?;
            boot.sd_card = Some(card);
        }
        let outcome = boot.run_captured(BOOT_TIMEOUT)?;
        // A domain with a console prints through the UART driver (the PL011).
        for stream in [&outcome.serial, &outcome.device_serial] {
            measurements.extend(parse(stream));
            serial.push_str(stream);
        }
    }
    check_complete(&measurements).with_context(|| format!("the guests printed:\n{serial}"))?;
    measurements.extend(measure_variants(root)?);
    Ok(measurements)
}

/// A benchmark image measured again in another configuration: the paths
/// it names, renamed `PATH` + `suffix`, show what the configuration costs.
pub struct Variant {
    /// Added to each path's name.
    pub suffix: &'static str,
    /// The manifest booted.
    pub manifest: &'static str,
    /// Whether the kernel records a trace (a ring of 256 KiB, as `cargo
    /// xtask trace` gives an image that sets none).
    pub traced: bool,
    /// The paths kept.
    pub paths: &'static [&'static str],
    /// What the difference from the plain figures is, for the docs.
    pub cost_of: &'static str,
}

/// The variants `cargo xtask bench` measures: the hot paths with the trace
/// on, and in an image that uses two cores (`images/bench-multicore.toml`:
/// `images/bench.toml` and a domain on core 1), where every way into the
/// kernel takes the dispatcher's lock.
pub const VARIANTS: [Variant; 2] = [
    Variant {
        suffix: "_traced",
        manifest: MANIFESTS[0],
        traced: true,
        paths: &["preempt_to_activation", "irq_to_activation", "event_send_to_activation"],
        cost_of: "the trace costs when it is on",
    },
    Variant {
        suffix: "_multicore",
        manifest: "images/bench-multicore.toml",
        traced: false,
        paths: &[
            "get_time_syscall",
            "preempt_to_activation",
            "yield_to_other",
            "irq_to_activation",
            "event_send_to_activation",
            "ipc_round_trip",
        ],
        cost_of: "a path on one core costs more in an image that uses several",
    },
];

/// Each of [`VARIANTS`] measured, its paths renamed.
fn measure_variants(root: &Path) -> Result<Vec<Measurement>> {
    let mut all = Vec::new();
    for variant in &VARIANTS {
        let overrides = vesper_builder::Overrides {
            trace_records: variant.traced.then_some(crate::trace::DEFAULT_RECORDS),
            ..vesper_builder::Overrides::default()
        };
        let manifest = root.join(variant.manifest);
        let image =
            vesper_builder::build_image_with_features_and(root, &manifest, &["bench"], overrides)?;
        let mut boot = Boot::new(&image.kernel.flat);
        if variant.traced {
            boot = boot.traced_in(&image.kernel.flat.with_file_name("traced"))?;
        }
        let outcome = boot.run_captured(BOOT_TIMEOUT)?;
        let found: Vec<Measurement> = parse(&outcome.serial)
            .into_iter()
            .filter(|m| variant.paths.contains(&m.name.as_str()))
            .map(|m| Measurement { name: format!("{}{}", m.name, variant.suffix), ..m })
            .collect();
        if found.len() != variant.paths.len() {
            bail!("{} did not report every path:\n{}", variant.manifest, outcome.serial);
        }
        all.extend(found);
    }
    Ok(all)
}

/// What is known of the path `measurement` measured, if anything.
pub fn spec(measurement: &Measurement) -> Option<&'static PathSpec> {
    TARGETS.iter().find(|path| path.name == measurement.name)
}

/// Whether `measurement` is within its target, if it has one.
pub fn within_target(measurement: &Measurement) -> Option<(u64, bool)> {
    let target = spec(measurement)?.target?;
    Some((target, measurement.instructions <= target))
}

/// The figures of docs/benchmarks.md: the lines `cargo xtask bench` prints,
/// then a table of each path against its target.
pub fn markdown(measurements: &[Measurement]) -> String {
    let mut out = String::from("```\n");
    for m in measurements {
        let _ = writeln!(out, "bench {} instructions={}", m.name, m.instructions);
    }
    out.push_str("```\n\n| Path | Vesper | seL4, same board | Target | |\n|---|---|---|---|---|\n");
    for m in measurements {
        let sel4 = spec(m).and_then(|path| path.sel4).map_or("-".into(), |n| n.to_string());
        let (target, verdict) = match within_target(m) {
            Some((target, true)) => (target.to_string(), "within"),
            Some((target, false)) => (target.to_string(), "**over**"),
            None => ("none".into(), ""),
        };
        let _ =
            writeln!(out, "| `{}` | {} | {sel4} | {target} | {verdict} |", m.name, m.instructions);
    }
    for variant in &VARIANTS {
        let costs: Vec<String> = measurements
            .iter()
            .filter_map(|varied| {
                let path = varied.name.strip_suffix(variant.suffix)?;
                let plain = measurements.iter().find(|m| m.name == path)?;
                let more = varied.instructions as i64 - plain.instructions as i64;
                Some(format!("`{path}` {more:+}"))
            })
            .collect();
        if !costs.is_empty() {
            let _ = writeln!(
                out,
                "\nWhat {} (`PATH{}` less `PATH`): {}.",
                variant.cost_of,
                variant.suffix,
                costs.join(", ")
            );
        }
    }
    let throughputs: Vec<String> = measurements
        .iter()
        .filter_map(|m| Some((m.name.strip_suffix("_1mib")?, kib_per_second(m.instructions))))
        .map(|(name, rate)| format!("`{name}` {rate} KiB/s"))
        .collect();
    if !throughputs.is_empty() {
        let _ = writeln!(
            out,
            "\nThroughput in virtual time (an instruction is a nanosecond under `-icount`): {}.",
            throughputs.join(", ")
        );
    }
    out
}

/// The KiB per second of virtual time of moving 1 MiB in `instructions`.
pub fn kib_per_second(instructions: u64) -> u64 {
    1024 * 1_000_000_000 / instructions.max(1)
}

/// The line before the generated breakdown in [`DOC`].
pub const BREAKDOWN_BEGIN: &str =
    "<!-- generated by `cargo xtask bench --breakdown --markdown`: do not edit -->";

/// The generated block of `doc` (the text between [`DOC_BEGIN`] and
/// [`DOC_END`]), if it has one.
pub fn doc_block(doc: &str) -> Option<&str> {
    block_after(doc, DOC_BEGIN)
}

/// The text between the line `begin` and the next [`DOC_END`] in `doc`.
pub fn block_after<'d>(doc: &'d str, begin: &str) -> Option<&'d str> {
    let start = doc.find(begin)? + begin.len() + 1;
    let end = doc[start..].find(DOC_END)? + start;
    Some(&doc[start..end])
}

/// `doc` with the block after the line `begin` replaced by `block`.
pub fn with_block_after(doc: &str, begin: &str, block: &str) -> Result<String> {
    let current = block_after(doc, begin)
        .with_context(|| format!("{DOC} has no generated block ({begin:?} ... {DOC_END:?})"))?;
    let start = current.as_ptr() as usize - doc.as_ptr() as usize;
    Ok(format!("{}{block}{}", &doc[..start], &doc[start + current.len()..]))
}

/// Replaces the block after the line `begin` in [`DOC`] (under `root`)
/// with `block`: what `--markdown` does.
pub fn write_block(root: &Path, begin: &str, block: &str) -> Result<()> {
    let path = root.join(DOC);
    let doc = std::fs::read_to_string(&path).with_context(|| format!("reading {DOC}"))?;
    std::fs::write(&path, with_block_after(&doc, begin, block)?)
        .with_context(|| format!("writing {DOC}"))
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

    #[test]
    fn a_megabyte_measured_is_shown_as_a_throughput() {
        assert_eq!(kib_per_second(1_000_000_000), 1024, "1 MiB in a second of virtual time");
        let block =
            markdown(&[Measurement { name: "block_read_1mib".into(), instructions: 2_048_000 }]);
        assert!(block.contains("`block_read` 500000 KiB/s"), "{block}");
    }

    #[test]
    fn each_variant_is_shown_against_its_plain_path() {
        let m = |name: &str, instructions| Measurement { name: name.into(), instructions };
        let block = markdown(&[
            m("preempt_to_activation", 600),
            m("preempt_to_activation_traced", 1100),
            m("preempt_to_activation_multicore", 820),
            m("yield_to_other_multicore", 10),
        ]);
        assert!(
            block.contains("(`PATH_traced` less `PATH`): `preempt_to_activation` +500."),
            "{block}"
        );
        assert!(
            block.contains("(`PATH_multicore` less `PATH`): `preempt_to_activation` +220."),
            "a variant without its plain path is left out: {block}"
        );
    }

    #[test]
    fn the_doc_block_is_found_and_replaced() {
        let block = markdown(&[Measurement { name: "null_syscall".into(), instructions: 9 }]);
        assert!(block.contains("| `null_syscall` | 9 | 92 | 10 | within |"), "{block}");
        let doc = format!("intro\n{DOC_BEGIN}\nold\n{DOC_END}\nrest\n");
        assert_eq!(doc_block(&doc), Some("old\n"));
        let new = with_block_after(&doc, DOC_BEGIN, &block).unwrap();
        assert_eq!(doc_block(&new), Some(block.as_str()));
        assert!(new.starts_with("intro\n") && new.ends_with("rest\n"));
        assert!(with_block_after("no block", DOC_BEGIN, "x").is_err());
    }
}
