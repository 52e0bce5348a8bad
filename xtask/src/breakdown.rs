//! `cargo xtask bench --breakdown`: where the instructions of the kernel's
//! switching paths go, function by function.
//!
//! QEMU runs `images/bench-breakdown.toml` one instruction per translation
//! block and logs the address of every instruction it executes (`-d
//! exec,nochain`). Each path of [`PATHS`] is a stretch of the log from an
//! exception vector for EL0, taken in one domain's slot, to the first
//! instruction in the slot of the domain the path ends in; each address in
//! it is attributed to the kernel symbol that contains it (from the kernel
//! ELF's symbol table). The shortest stretch of each path is reported, as
//! `cargo xtask bench` reports the shortest of its rounds.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::io::BufRead;
use std::path::Path;
use std::process::Command;
use vesper_abi::layout::{DOMAIN_REGION_BASE, SLOT_SIZE};

/// The manifest of the image the breakdown traces.
pub const MANIFEST: &str = "images/bench-breakdown.toml";

/// The offset of the vector for synchronous exceptions (system calls)
/// taken from EL0 (AArch64) in the vector table.
const SYNC_FROM_EL0: u64 = 0x400;

/// The offset of the vector for IRQs taken from EL0 (AArch64).
const IRQ_FROM_EL0: u64 = 0x480;

/// Where the kernel's (upper-half) addresses start; below are domains'.
const KERNEL_BASE: u64 = 0xFFFF_FF80_0000_0000;

/// A kernel path the breakdown traces: from the exception vector at
/// offset `vector`, taken while the domain `from` runs, through the kernel
/// function `through`, to the first instruction of the domain `to` (both
/// named in [`MANIFEST`]), which last left the CPU through the vector at
/// offset `to_left_by`.
#[derive(Clone, Copy, Debug)]
pub struct TracedPath {
    /// The name the report gives it, as `cargo xtask bench` names paths.
    pub name: &'static str,
    /// The offset of its exception vector in the vector table.
    pub vector: u64,
    /// The domain it switches from.
    pub from: &'static str,
    /// The domain it switches to.
    pub to: &'static str,
    /// How `to` last left the CPU: an IRQ (it was preempted) or a system
    /// call (it blocked, so this path is what woke it). This tells a
    /// device interrupt that wakes a driver from a timer interrupt that
    /// gives the driver its turn.
    pub to_left_by: u64,
    /// A kernel function that tells this kind of switch from others:
    /// `clear_registers` prepares an activation, which resuming a saved
    /// context does not.
    pub through: &'static str,
    /// Whether the path runs `through` (or, `false`, never does).
    pub passes: bool,
}

/// The paths the breakdown traces, named as `cargo xtask bench` names
/// them: `probe`'s periods preempt `busy`, and `probe` yields to `busy`;
/// the system timer's interrupt wakes `driver`; `client`'s event send
/// wakes `server`, activated while the client measures events and resumed
/// while it measures round trips (activations off on both sides, one half
/// of `ipc_round_trip`).
pub const PATHS: [TracedPath; 5] = [
    TracedPath {
        name: "preempt_to_activation",
        vector: IRQ_FROM_EL0,
        from: "busy",
        to: "probe",
        to_left_by: SYNC_FROM_EL0,
        through: "clear_registers",
        passes: true,
    },
    TracedPath {
        name: "yield_to_other",
        vector: SYNC_FROM_EL0,
        from: "probe",
        to: "busy",
        to_left_by: IRQ_FROM_EL0,
        through: "clear_registers",
        passes: true,
    },
    TracedPath {
        name: "irq_to_activation",
        vector: IRQ_FROM_EL0,
        from: "busy",
        to: "driver",
        to_left_by: SYNC_FROM_EL0,
        through: "clear_registers",
        passes: true,
    },
    TracedPath {
        name: "event_send_to_activation",
        vector: SYNC_FROM_EL0,
        from: "client",
        to: "server",
        to_left_by: SYNC_FROM_EL0,
        through: "clear_registers",
        passes: true,
    },
    TracedPath {
        name: "ipc_one_way",
        vector: SYNC_FROM_EL0,
        from: "client",
        to: "server",
        to_left_by: SYNC_FROM_EL0,
        through: "clear_registers",
        passes: false,
    },
];

/// A [`TracedPath`] resolved for one trace: absolute vector addresses and
/// slot numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wanted {
    /// The address of the vector the path starts at.
    pub vector: u64,
    /// The slot it switches from.
    pub from: u64,
    /// The slot it switches to.
    pub to: u64,
    /// The address of the vector through which that slot's domain last
    /// entered the kernel.
    pub to_left_by: u64,
    /// The addresses of a function the path passes through.
    pub through: std::ops::Range<u64>,
    /// Whether it passes through them (or, `false`, never does).
    pub passes: bool,
}

/// The kernel's functions: start address and name, sorted by address.
#[derive(Clone, Debug, Default)]
pub struct Symbols(Vec<(u64, String)>);

impl Symbols {
    /// The function symbols of an ELF file, demangled.
    pub fn from_elf(data: &[u8]) -> Result<Self> {
        use object::{Object, ObjectSection, ObjectSymbol, SectionKind};
        let file = object::File::parse(data).context("parsing the kernel's ELF")?;
        // Labels in assembly (`exception_vectors`) have no symbol type,
        // so code is told by its section, not by the symbol's kind.
        let in_code = |symbol: &object::Symbol| {
            let section = symbol.section_index().and_then(|i| file.section_by_index(i).ok());
            section.is_some_and(|section| section.kind() == SectionKind::Text)
        };
        Ok(Self::new(file.symbols().filter(in_code).filter_map(|symbol| {
            let name = symbol.name().ok()?;
            Some((symbol.address(), format!("{:#}", rustc_demangle::demangle(name))))
        })))
    }

    /// The symbols `(start, name)`, in any order.
    pub fn new(symbols: impl IntoIterator<Item = (u64, String)>) -> Self {
        let mut symbols: Vec<(u64, String)> = symbols.into_iter().collect();
        symbols.sort();
        Self(symbols)
    }

    /// The function containing `address`.
    pub fn name_of(&self, address: u64) -> &str {
        match self.0.partition_point(|(start, _)| *start <= address) {
            0 => "?",
            i => &self.0[i - 1].1,
        }
    }

    /// The address of `name`.
    pub fn address_of(&self, name: &str) -> Option<u64> {
        self.range_of(name).map(|range| range.start)
    }

    /// The addresses of the function `name`: up to the next symbol.
    pub fn range_of(&self, name: &str) -> Option<std::ops::Range<u64>> {
        let i = self.0.iter().position(|(_, n)| n == name)?;
        let end = self.0[i + 1..].iter().map(|(start, _)| *start).find(|&e| e > self.0[i].0);
        Some(self.0[i].0..end.unwrap_or(u64::MAX))
    }
}

/// The instruction address of one line of a QEMU `-d exec` log.
pub fn address(line: &str) -> Option<u64> {
    // `Trace 0: 0x... [CS_BASE/PC/FLAGS/CFLAGS] ...`
    let fields = line.split('[').nth(1)?;
    u64::from_str_radix(fields.split('/').nth(1)?, 16).ok()
}

/// The slot of the domain whose code is at `address`.
fn slot_of(address: u64) -> Option<u64> {
    Some(address.checked_sub(DOMAIN_REGION_BASE)? / SLOT_SIZE)
}

/// The shortest stretch of each `wanted` path in `addresses` (executed
/// addresses in order): the addresses of the kernel's instructions in it.
pub fn shortest_paths(
    addresses: impl Iterator<Item = u64>,
    wanted: &[Wanted],
) -> Vec<Option<Vec<u64>>> {
    let mut best: Vec<Option<Vec<u64>>> = vec![None; wanted.len()];
    let mut last_slot = None;
    // The vector each slot's domain last entered the kernel through.
    let mut left_by: BTreeMap<u64, u64> = BTreeMap::new();
    // The vector taken, the slot it was taken in, the kernel's path since.
    let mut current: Option<(u64, u64, Vec<u64>)> = None;
    for address in addresses {
        if address < KERNEL_BASE {
            if let Some((vector, from, path)) = current.take() {
                let slot = slot_of(address);
                for (want, best) in wanted.iter().zip(&mut best) {
                    let ends_here = want.vector == vector
                        && slot == Some(want.to)
                        && from == want.from
                        && left_by.get(&want.to) == Some(&want.to_left_by)
                        && path.iter().any(|address| want.through.contains(address)) == want.passes;
                    if ends_here && best.as_ref().is_none_or(|b| path.len() < b.len()) {
                        *best = Some(path.clone());
                    }
                }
                left_by.insert(from, vector);
            }
            last_slot = slot_of(address);
            continue;
        }
        if wanted.iter().any(|want| want.vector == address || want.to_left_by == address) {
            current = last_slot.map(|slot| (address, slot, Vec::new()));
        }
        if let Some((_, _, path)) = current.as_mut() {
            path.push(address);
        }
    }
    best
}

/// The kernel's debug info, to ask what was inlined where.
pub type DebugInfo<'elf> =
    addr2line::Context<addr2line::gimli::EndianSlice<'elf, addr2line::gimli::RunTimeEndian>>;

/// Reads the debug info of the ELF file `elf`.
pub fn debug_info(elf: &[u8]) -> Result<DebugInfo<'_>> {
    use addr2line::gimli;
    use object::{Object, ObjectSection};
    let file = object::File::parse(elf).context("parsing the kernel's ELF")?;
    let endian = if file.is_little_endian() {
        gimli::RunTimeEndian::Little
    } else {
        gimli::RunTimeEndian::Big
    };
    let dwarf = gimli::Dwarf::load(|id| {
        let data = file.section_by_name(id.name()).and_then(|section| section.data().ok());
        Ok::<_, gimli::Error>(gimli::EndianSlice::new(data.unwrap_or(&[]), endian))
    })?;
    addr2line::Context::from_dwarf(dwarf).context("reading the debug info")
}

/// For each of `addresses`, the function the debug info says its
/// instruction was inlined from, one level inside the symbol holding it
/// (absent for the symbol's own code): what a function the compiler
/// flattened spends its instructions on.
pub fn inlined_from(debug: &DebugInfo, addresses: &[u64]) -> Result<BTreeMap<u64, String>> {
    let mut inlined = BTreeMap::new();
    for &address in addresses {
        let mut frames = debug.find_frames(address).skip_all_loads()?;
        let mut names = Vec::new();
        while let Some(frame) = frames.next()? {
            let name = frame.function.as_ref().map(|f| f.demangle().map(|n| n.into_owned()));
            names.push(name.transpose()?.unwrap_or_else(|| "?".into()));
        }
        // Innermost first: the outermost is the symbol's own function.
        if let [.., callee, _outermost] = names.as_slice() {
            inlined.insert(address, callee.clone());
        }
    }
    Ok(inlined)
}

/// `path`'s instructions counted by function, largest first, under a
/// line naming the path, as the command prints them. Below each function
/// with inlined code, its instructions by the function they were inlined
/// from (`inlined`, see [`inlined_from`]) and its own.
pub fn report(
    name: &str,
    path: &[u64],
    symbols: &Symbols,
    inlined: &BTreeMap<u64, String>,
) -> String {
    let mut counts: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    for address in path {
        let from = inlined.get(address).map_or(OWN_CODE, String::as_str);
        *counts.entry(symbols.name_of(*address)).or_default().entry(from).or_default() += 1;
    }
    let mut out = format!("breakdown {name} instructions={}\n", path.len());
    for (function, parts) in largest_first(counts.iter().map(|(f, p)| (*f, p.values().sum()))) {
        let _ = writeln!(out, "{parts:6} {function}");
        let parts = &counts[function];
        if parts.keys().any(|from| *from != OWN_CODE) {
            for (from, count) in largest_first(parts.iter().map(|(f, c)| (*f, *c))) {
                let _ = writeln!(out, "       {count:6} {from}");
            }
        }
    }
    out
}

/// What [`report`] calls the instructions of a function that were not
/// inlined into it.
const OWN_CODE: &str = "(own code)";

/// `rows` sorted by count, largest first, then by name.
fn largest_first<'a>(rows: impl Iterator<Item = (&'a str, u64)>) -> Vec<(&'a str, u64)> {
    let mut rows: Vec<(&str, u64)> = rows.collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    rows
}

/// Builds the breakdown image, traces it in QEMU (into `target/`) and
/// returns the report.
pub fn run(root: &Path) -> Result<String> {
    crate::setup::ensure_qemu()?;
    // The kernel `cargo xtask bench` measures.
    let image = vesper_builder::build_image_with_features(root, &root.join(MANIFEST), &["bench"])?;
    let elf = std::fs::read(&image.kernel.elf)
        .with_context(|| format!("reading {}", image.kernel.elf.display()))?;
    let symbols = Symbols::from_elf(&elf)?;
    let table = symbols.address_of("exception_vectors").context("no exception_vectors")?;
    let wanted = PATHS
        .iter()
        .map(|path| {
            let slot = |name: &str| {
                let index = image.manifest.domains.iter().position(|d| d.name == name);
                index.map(|i| i as u64).with_context(|| format!("{MANIFEST} has no domain {name}"))
            };
            Ok(Wanted {
                vector: table + path.vector,
                from: slot(path.from)?,
                to: slot(path.to)?,
                to_left_by: table + path.to_left_by,
                through: symbols
                    .range_of(path.through)
                    .with_context(|| format!("the kernel has no function {}", path.through))?,
                passes: path.passes,
            })
        })
        .collect::<Result<Vec<Wanted>>>()?;
    // The log takes hundreds of megabytes: it goes whatever the outcome.
    let log = root.join("target").join("breakdown-trace.log");
    let found = trace(&image.kernel.flat, &log, &wanted);
    let _ = std::fs::remove_file(&log);
    let debug = debug_info(&elf)?;
    let mut out = String::new();
    for (traced, path) in PATHS.iter().zip(found?) {
        let path = path.with_context(|| format!("the trace holds no {}", traced.name))?;
        out += &report(traced.name, &path, &symbols, &inlined_from(&debug, &path)?);
    }
    Ok(out)
}

/// Boots `kernel` logging every instruction into `log`, and finds the
/// `wanted` paths in it (see [`shortest_paths`]).
fn trace(kernel: &Path, log: &Path, wanted: &[Wanted]) -> Result<Vec<Option<Vec<u64>>>> {
    let mut boot = crate::qemu::Boot::new(kernel);
    boot.serial = "null".into();
    boot.extra_args = one_instruction_per_block()?;
    boot.extra_args.extend(["-d".into(), "exec,nochain".into(), "-D".into()]);
    boot.extra_args.push(log.display().to_string());
    let outcome = boot.run_captured(std::time::Duration::from_secs(300))?;
    if outcome.exit != crate::qemu::Exit::Code(0) {
        bail!("the traced run ended with {:?}: {}", outcome.exit, outcome.stderr);
    }
    let file = std::fs::File::open(log).context("reading the trace")?;
    let lines = std::io::BufReader::new(file).lines().map_while(|line| line.ok());
    Ok(shortest_paths(lines.filter_map(|line| address(&line)), wanted))
}

/// A report as the fenced block `cargo xtask bench --breakdown
/// --markdown` writes into the docs.
pub fn markdown(report: &str) -> String {
    format!("```\n{report}```\n")
}

/// QEMU's option for one instruction per translation block, so that the
/// exec log names every instruction: `-singlestep` until QEMU 8.1, the
/// accelerator property after.
fn one_instruction_per_block() -> Result<Vec<String>> {
    let version = Command::new(crate::qemu::QEMU).arg("--version").output()?;
    let text = String::from_utf8_lossy(&version.stdout);
    let (major, minor) = text
        .split_whitespace()
        .nth(3)
        .and_then(|v| {
            let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
            Some((parts.next()??, parts.next()??))
        })
        .unwrap_or((7, 2));
    Ok(if (major, minor) >= (8, 1) {
        vec!["-accel".into(), "tcg,one-insn-per-tb=on".into()]
    } else {
        vec!["-singlestep".into()]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symbols() -> Symbols {
        Symbols::new([
            (0xffffff8000080000, "_start".to_string()),
            (0xffffff8000080800, "exception_vectors".to_string()),
            (0xffffff8000081000, "irq_entry".to_string()),
            (0xffffff8000082000, "reschedule".to_string()),
        ])
    }

    fn line(pc: u64) -> String {
        format!("Trace 0: 0x7f00 [0000000000000000/{pc:016x}/00000061/ff020201] \n")
    }

    #[test]
    fn symbols_name_each_address_by_its_function() {
        let symbols = symbols();
        assert_eq!(symbols.name_of(0xffffff8000082010), "reschedule");
        assert_eq!(symbols.name_of(0xffffff8000081000), "irq_entry");
        assert_eq!(symbols.name_of(0x10), "?");
        assert_eq!(symbols.address_of("exception_vectors"), Some(0xffffff8000080800));
        assert_eq!(symbols.range_of("irq_entry"), Some(0xffffff8000081000..0xffffff8000082000));
        assert_eq!(symbols.range_of("reschedule"), Some(0xffffff8000082000..u64::MAX));
    }

    #[test]
    fn the_shortest_switch_into_each_paths_slot_is_found() {
        let irq = 0xffffff8000080c80;
        let svc = 0xffffff8000080c00;
        let kernel = |n: u64| 0xffffff8000082000 + 4 * n;
        let user = |slot: u64, n: u64| DOMAIN_REGION_BASE + slot * SLOT_SIZE + 0x4000 + 4 * n;
        let mut log = String::new();
        let mut run = |pcs: &[u64]| pcs.iter().for_each(|pc| log += &line(*pc));
        // Slot 2 is preempted, slot 1 runs and is interrupted but goes on.
        run(&[user(2, 0), irq, kernel(0), user(1, 0), irq, kernel(0), user(1, 1)]);
        // Slot 1 to slot 2 in four kernel instructions, then in two.
        run(&[irq, kernel(0), kernel(1), kernel(2), user(2, 0)]);
        run(&[irq, kernel(3), user(1, 2), irq, kernel(5), user(2, 1)]);
        // Slot 3 blocks; an interrupt takes slot 2 to slot 1, a system
        // call slot 1 to slot 3.
        run(&[irq, kernel(6), user(3, 0), svc, kernel(7), user(2, 2), irq, kernel(8), user(1, 3)]);
        run(&[svc, kernel(9), kernel(10), user(3, 1)]);
        let lines = log.lines().filter_map(address);
        let any = 0..u64::MAX;
        let wanted = [
            Wanted {
                vector: irq,
                from: 1,
                to: 2,
                to_left_by: irq,
                through: any.clone(),
                passes: true,
            },
            Wanted {
                vector: svc,
                from: 1,
                to: 3,
                to_left_by: svc,
                through: any.clone(),
                passes: true,
            },
            // Slot 1 was preempted, never woken.
            Wanted { vector: irq, from: 2, to: 1, to_left_by: svc, through: any, passes: true },
            // Only the longer switch to slot 2 runs `kernel(1)`.
            Wanted {
                vector: irq,
                from: 1,
                to: 2,
                to_left_by: irq,
                through: kernel(1)..kernel(2),
                passes: true,
            },
            // Nothing switches from slot 3 to slot 2.
            Wanted {
                vector: irq,
                from: 3,
                to: 2,
                to_left_by: irq,
                through: 0..u64::MAX,
                passes: true,
            },
            // The switches to slot 2 that never run `kernel(5)`.
            Wanted {
                vector: irq,
                from: 1,
                to: 2,
                to_left_by: irq,
                through: kernel(5)..kernel(6),
                passes: false,
            },
        ];
        let found = shortest_paths(lines, &wanted);
        assert_eq!(found[0].as_deref(), Some(&[irq, kernel(5)][..]));
        assert_eq!(found[1].as_deref(), Some(&[svc, kernel(9), kernel(10)][..]));
        assert_eq!(found[2], None);
        assert_eq!(found[4], None);
        assert_eq!(found[3].as_deref(), Some(&[irq, kernel(0), kernel(1), kernel(2)][..]));
        assert_eq!(found[5], found[3]);
        let path = found[0].as_ref().unwrap();
        let report = report("preempt_to_activation", path, &symbols(), &BTreeMap::new());
        assert_eq!(
            report,
            "breakdown preempt_to_activation instructions=2\n     1 exception_vectors\n     1 reschedule\n"
        );
    }

    #[test]
    fn inlined_code_is_shown_under_its_function() {
        let path = [0xffffff8000082000, 0xffffff8000082004, 0xffffff8000082008, 0xffffff8000081000];
        let inlined = BTreeMap::from([
            (0xffffff8000082000, "schedule".to_string()),
            (0xffffff8000082004, "schedule".to_string()),
        ]);
        assert_eq!(
            report("p", &path, &symbols(), &inlined),
            [
                "breakdown p instructions=4",
                "     3 reschedule",
                "            2 schedule",
                "            1 (own code)",
                "     1 irq_entry\n",
            ]
            .join("\n")
        );
    }
}
