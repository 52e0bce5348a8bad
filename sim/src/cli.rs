//! The command line: `cargo xtask sim`.

use crate::image::simulate_image;
use crate::manifest::parse_duration;
use crate::{simulate, CpuShare, SimConfig, Task};
use anyhow::{anyhow, bail, Context, Result};
use clap::Parser;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use vesper_builder::Manifest;
use vesper_schedulers::{PolicyConfig, PolicyKind};

/// How long to simulate when neither `--for` nor the manifest's `run-for`
/// says.
const DEFAULT_DURATION_NS: u64 = 1_000_000_000;

/// Simulates a whole image (every domain of a manifest under the kernel's
/// Atropos, thread domains under their user-level schedulers) and prints
/// the kernel's `stats` lines, then for each thread domain one `row` line
/// per job and one `job` line per thread (the lines the `periodic` domain
/// prints under QEMU); or one `--task` task set alone.
#[derive(Clone, Debug, Parser)]
#[command(name = "sim")]
pub struct SimArgs {
    /// An image manifest: all its domains are simulated, competing under
    /// Atropos with their reservations.
    pub manifest: Option<PathBuf>,
    /// Report only the manifest's domain NAME (repeat for more); the whole
    /// image is simulated all the same.
    #[arg(long = "domain", value_name = "NAME")]
    pub domains: Vec<String>,
    /// A task instead of a manifest: `NAME:PERIOD:WCET[:DEADLINE[:TICKETS]]`,
    /// e.g. `t1:20ms:4ms` (PERIOD `-`: a single job). Repeat for more.
    #[arg(long = "task", value_name = "TASK")]
    pub tasks: Vec<String>,
    /// Scheduler(s), comma-separated: fifo, edf, round-robin, lottery,
    /// stride, or all. Default: each domain's own (fifo for --task).
    #[arg(long)]
    pub scheduler: Option<String>,
    /// How long to simulate (default: the manifest's run-for, else 1s).
    #[arg(long = "for", value_name = "DURATION")]
    pub duration: Option<String>,
    /// A --task set's CPU: `full` (the default), or SLICE/PERIOD such as
    /// `5ms/10ms`, served by Atropos.
    #[arg(long)]
    pub share: Option<String>,
    /// The quantum of round-robin, lottery and stride.
    #[arg(long, default_value = "1ms")]
    pub quantum: String,
    /// The lottery's seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print only the summary lines, not a row per job.
    #[arg(long)]
    pub summary: bool,
    /// Also write the schedule to DIR (a manifest's image only):
    /// `trace.json` (ui.perfetto.dev, chrome://tracing), `gantt.svg` and
    /// `jobs.csv`; with several schedulers, one folder each, DIR/NAME.
    #[arg(long, value_name = "DIR")]
    pub trace: Option<PathBuf>,
    /// Where the Gantt chart starts (default 0).
    #[arg(long, value_name = "TIME", requires = "trace")]
    pub from: Option<String>,
    /// Where it ends (default: the end of the run).
    #[arg(long, value_name = "TIME", requires = "trace")]
    pub to: Option<String>,
}

/// Parses `args` (without the program name) as [`SimArgs`] and runs them.
pub fn run_cli(args: &[String]) -> Result<String> {
    let args =
        SimArgs::try_parse_from(std::iter::once("sim".to_string()).chain(args.iter().cloned()))?;
    run(&args)
}

/// Runs the simulations `args` ask for and returns their report.
pub fn run(args: &SimArgs) -> Result<String> {
    let policy_config = PolicyConfig {
        quantum_ns: parse_duration(&args.quantum).context("--quantum")?,
        seed: args.seed,
    };
    let duration = args.duration.as_deref().map(parse_duration).transpose().context("--for")?;
    match (&args.manifest, args.tasks.is_empty()) {
        (Some(_), false) => bail!("give a manifest or --task, not both"),
        (None, true) => bail!("give a manifest or at least one --task"),
        (Some(path), true) => run_image(args, &Manifest::load_any_program(path)?, duration),
        (None, false) => run_tasks(args, policy_config, duration),
    }
}

/// The whole image of a manifest, under Atropos, once per scheduler asked
/// for (each thread domain's own if none).
fn run_image(args: &SimArgs, manifest: &Manifest, duration: Option<u64>) -> Result<String> {
    if args.share.is_some() {
        bail!("--share is for --task task sets: a manifest's domains have their reservations");
    }
    for name in &args.domains {
        if !manifest.domains.iter().any(|d| &d.name == name) {
            bail!("the manifest has no domain called {name:?}");
        }
    }
    let duration_ns = duration.or(manifest.run_for_ns).unwrap_or(DEFAULT_DURATION_NS);
    let policy_config = PolicyConfig {
        quantum_ns: parse_duration(&args.quantum).context("--quantum")?,
        seed: args.seed,
    };
    let policies: Vec<Option<PolicyKind>> = match args.scheduler.as_deref() {
        Some(names) => parse_policies(names)?.into_iter().map(Some).collect(),
        None => vec![None],
    };
    let from_ns = args.from.as_deref().map(parse_duration).transpose().context("--from")?;
    let to_ns = args.to.as_deref().map(parse_duration).transpose().context("--to")?;
    let window = (from_ns.unwrap_or(0), to_ns.unwrap_or(duration_ns));
    let several = policies.len() > 1;
    let mut out = String::new();
    for policy in policies {
        let mut result = simulate_image(manifest, policy, policy_config, duration_ns)
            .with_context(|| format!("simulating image {:?}", manifest.name))?;
        if let Some(dir) = &args.trace {
            let dir = match policy {
                Some(kind) if several => dir.join(kind.name()),
                _ => dir.clone(),
            };
            write_trace(&result, &dir, window)?;
            let _ = writeln!(out, "trace written to {}", dir.display());
        }
        if !args.domains.is_empty() {
            result.domains.retain(|(name, _)| args.domains.contains(name));
            result.threads.retain(|t| args.domains.contains(&t.config.domain));
        }
        let scheduler = policy.map_or("own", |kind| kind.name());
        let _ = writeln!(
            out,
            "sim image={} scheduler={scheduler} duration_ns={duration_ns}",
            manifest.name
        );
        out.push_str(&result.render(!args.summary));
    }
    Ok(out)
}

/// Writes `result`'s schedule into `dir` (see [`crate::trace`]): the
/// same three files from the simulator and from a traced run on QEMU.
pub fn write_trace(
    result: &crate::image::ImageResult,
    dir: &Path,
    window: (u64, u64),
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let files = [
        ("trace.json", crate::trace::trace_json(result)),
        ("gantt.svg", crate::trace::gantt_svg(result, window.0, window.1)),
        ("jobs.csv", crate::trace::jobs_csv(result)),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// One domain of `--task` threads, on the whole CPU or `--share`.
fn run_tasks(args: &SimArgs, policy_config: PolicyConfig, duration: Option<u64>) -> Result<String> {
    if args.trace.is_some() {
        bail!("--trace writes a manifest's image: give a manifest");
    }
    let tasks = args.tasks.iter().map(|t| parse_task(t)).collect::<Result<Vec<_>>>()?;
    let share = args.share.as_deref().map(parse_share).transpose()?.unwrap_or(CpuShare::Full);
    let mut out = String::new();
    for policy in parse_policies(args.scheduler.as_deref().unwrap_or("fifo"))? {
        let config = SimConfig {
            domain: "sim".into(),
            policy,
            policy_config,
            duration_ns: duration.unwrap_or(DEFAULT_DURATION_NS),
            share,
        };
        let result = simulate(&tasks, &config)
            .with_context(|| format!("simulating the task set under {policy}"))?;
        out.push_str(&result.render(!args.summary));
    }
    Ok(out)
}

/// `edf`, `edf,stride` or `all`.
pub fn parse_policies(names: &str) -> Result<Vec<PolicyKind>> {
    if names == "all" {
        return Ok(PolicyKind::ALL.to_vec());
    }
    names
        .split(',')
        .map(|name| PolicyKind::from_name(name.trim()).map_err(|e| anyhow!("{name:?}: {e}")))
        .collect()
}

/// `full` or `SLICE/PERIOD`.
fn parse_share(text: &str) -> Result<CpuShare> {
    if text == "full" {
        return Ok(CpuShare::Full);
    }
    let (slice, period) = text
        .split_once('/')
        .ok_or_else(|| anyhow!("--share {text:?}: write `full` or SLICE/PERIOD (`5ms/10ms`)"))?;
    Ok(CpuShare::reservation(parse_duration(period)?, parse_duration(slice)?))
}

/// Parses `NAME:PERIOD:WCET[:DEADLINE[:TICKETS]]`.
fn parse_task(text: &str) -> Result<Task> {
    let fields: Vec<&str> = text.split(':').collect();
    let (name, period, wcet, rest) = match fields.as_slice() {
        [name, period, wcet, rest @ ..] if rest.len() <= 2 && !name.is_empty() => {
            (*name, *period, *wcet, rest)
        }
        _ => bail!("--task {text:?}: write NAME:PERIOD:WCET[:DEADLINE[:TICKETS]]"),
    };
    let context = || format!("--task {text:?}");
    Ok(Task {
        name: name.to_string(),
        period_ns: if period == "-" {
            None
        } else {
            Some(parse_duration(period).with_context(context)?)
        },
        wcet_ns: parse_duration(wcet).with_context(context)?,
        deadline_ns: rest.first().map(|d| parse_duration(d)).transpose().with_context(context)?,
        tickets: rest.get(1).map(|t| t.parse::<u32>()).transpose().with_context(context)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn tasks_from_the_command_line() {
        let task = parse_task("t2:50ms:10ms:40ms:300").unwrap();
        assert_eq!(task.period_ns, Some(50_000_000));
        assert_eq!(task.deadline_ns, Some(40_000_000));
        assert_eq!(task.tickets, Some(300));
        assert_eq!(parse_task("once:-:1ms").unwrap().period_ns, None);
        assert!(parse_task("t1:20ms").is_err());
        assert!(parse_task(":20ms:1ms").is_err());
        assert!(parse_task("t:20ms:1ms:5ms:many").is_err());
    }

    #[test]
    fn runs_every_policy_on_a_task_set() {
        let out = run_cli(&args(&[
            "--task",
            "t1:20ms:4ms",
            "--task",
            "t2:50ms:10ms:40ms:300",
            "--scheduler",
            "all",
            "--for",
            "300ms",
            "--summary",
        ]))
        .unwrap();
        let summaries: Vec<&str> = out.lines().filter(|l| l.starts_with("job ")).collect();
        assert_eq!(summaries.len(), 10, "{out}");
        assert!(out.contains("sim domain=sim scheduler=edf share=full duration_ns=300000000"));
        // The report covers 200 ms: 300 ms less twice the longest period.
        assert!(out.contains("job domain=sim thread=t1 scheduler=edf jobs=10 misses=0"), "{out}");
        assert!(!out.contains("row "));
    }

    #[test]
    fn simulates_the_example_task_set() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tasksets/edf-vs-round-robin.toml");
        let out = run_cli(&args(&[path, "--scheduler", "edf,round-robin"])).unwrap();
        assert!(out.contains("sim domain=w scheduler=edf share=5ms/10ms duration_ns=400000000"));
        // The rows cover the 400 ms run; the `job` lines its first 280 ms.
        assert!(out.contains("job domain=w thread=t1 scheduler=edf jobs=14 misses=0 "), "{out}");
        assert!(
            out.contains("job domain=w thread=t1 scheduler=round-robin jobs=14 misses=14 "),
            "{out}"
        );
        // 20 + 10 jobs, under each of the two schedulers.
        assert_eq!(out.lines().filter(|l| l.starts_with("row domain=w ")).count(), 60);
        let only_w = run_cli(&args(&[path, "--domain", "w", "--summary"])).unwrap();
        assert!(only_w.contains("scheduler=edf"));
        assert!(run_cli(&args(&[path, "--domain", "x"])).is_err());
    }

    #[test]
    fn reports_bad_arguments() {
        assert!(run_cli(&args(&[])).is_err());
        assert!(run_cli(&args(&["--task", "t:1ms:1ms", "--scheduler", "best"])).is_err());
        assert!(run_cli(&args(&["--task", "t:1ms:1ms", "--share", "half"])).is_err());
        assert!(run_cli(&args(&["--task", "t:1ms:1ms", "--share", "2ms/1ms"])).is_err());
        assert!(run_cli(&args(&["--task", "t:1ms:1ms", "--for", "0ms"])).is_err());
        assert!(run_cli(&args(&["no-such-manifest.toml"])).is_err());
    }
}
