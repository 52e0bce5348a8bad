//! `cargo xtask trace MANIFEST --out DIR`: boots an image with the
//! kernel's scheduling trace on and writes what it recorded the way
//! `cargo xtask sim --trace` writes the simulator's schedule:
//! `trace.json` (ui.perfetto.dev, chrome://tracing), `gantt.svg` and
//! `jobs.csv`, with `vesper.trace` (the raw records) and `console.log`
//! (the run's console) beside them.

use crate::qemu::{Boot, Exit};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;
use vesper_builder::{build_image_with, Overrides};
use vesper_sim::recorded::Recorded;

/// The kernel's ring when the manifest sets none: 256 KiB, 16,384
/// records, written out each time it fills (so nothing is lost under
/// QEMU).
pub const DEFAULT_RECORDS: usize = 256 * 1024 / vesper_abi::trace::RECORD_SIZE;

/// What a traced run left.
pub struct TracedRun {
    /// The decoded records.
    pub recorded: Recorded,
    /// The manifest, as built.
    pub manifest: vesper_builder::Manifest,
    /// The kernel's console.
    pub console: String,
}

/// Builds `manifest` with tracing on (the manifest's ring, else
/// [`DEFAULT_RECORDS`]), its thread domains under `scheduler` if given,
/// boots it with QEMU working in `out`, and decodes the trace it wrote
/// there.
pub fn run_traced(
    root: &Path,
    manifest: &Path,
    out: &Path,
    scheduler: Option<vesper_builder::manifest::Scheduler>,
) -> Result<TracedRun> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let checked = vesper_builder::check_manifest(root, manifest)?;
    if checked.run_for_ns.is_none() {
        bail!("{} has no `run-for`: a traced run must end by itself", manifest.display());
    }
    let records = (checked.trace_records > 0).then_some(checked.trace_records);
    let overrides = Overrides {
        trace_records: Some(records.unwrap_or(DEFAULT_RECORDS)),
        scheduler,
        ..Overrides::default()
    };
    let image = build_image_with(root, manifest, overrides)?;
    let boot = Boot::new(&image.kernel.flat).traced_in(out)?;
    let trace = out.join(vesper_abi::trace::FILE_NAME);
    let _ = std::fs::remove_file(&trace);
    let outcome = boot.run_captured(Duration::from_secs(600))?;
    std::fs::write(out.join("console.log"), &outcome.serial)?;
    if outcome.exit != Exit::Code(0) {
        bail!("the traced run failed ({:?}); its console is in {}", outcome.exit, out.display());
    }
    let bytes = std::fs::read(&trace)
        .with_context(|| format!("the run wrote no trace ({})", trace.display()))?;
    let recorded = Recorded::parse(&bytes)?;
    Ok(TracedRun { recorded, manifest: image.manifest, console: outcome.serial })
}

/// `cargo xtask trace`: the traced run of `manifest` written into `out`,
/// its Gantt chart over `window` (default: the whole run). Returns what
/// it wrote, for the terminal.
pub fn trace(
    root: &Path,
    manifest: &Path,
    out: &Path,
    window: (Option<u64>, Option<u64>),
) -> Result<String> {
    let run = run_traced(root, manifest, out, None)?;
    let result = run.recorded.image_result(&run.manifest);
    let end = run.recorded.end_ns();
    let window = (window.0.unwrap_or(0), window.1.unwrap_or(end));
    vesper_sim::write_trace(&result, out, window)?;
    let lost = run.recorded.kernel.lost
        + run.recorded.domains.values().map(|source| source.lost).sum::<u64>();
    let mut report = format!(
        "trace of {}: {} kernel records, {} from domains, {lost} lost\n",
        run.manifest.name,
        run.recorded.kernel.records.len(),
        run.recorded.domains.values().map(|source| source.records.len()).sum::<usize>(),
    );
    for name in ["trace.json", "gantt.svg", "jobs.csv", "console.log", vesper_abi::trace::FILE_NAME]
    {
        report.push_str(&format!("  {}\n", PathBuf::from(out).join(name).display()));
    }
    Ok(report)
}
