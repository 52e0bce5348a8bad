//! `cargo xtask bench --breakdown`: where the instructions of one timer
//! preemption go, function by function.
//!
//! QEMU runs `images/bench-breakdown.toml` one instruction per translation
//! block and logs the address of every instruction it executes (`-d
//! exec,nochain`). A preemption is a stretch of the log from the IRQ vector
//! for EL0 to the first instruction back at EL0 in another domain's slot;
//! each address in it is attributed to the kernel symbol that contains it
//! (from the kernel ELF's symbol table). The shortest such stretch is reported, as `cargo xtask bench`
//! reports the shortest of its rounds.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use std::process::Command;

/// The manifest of the image the breakdown traces.
pub const MANIFEST: &str = "images/bench-breakdown.toml";

/// The offset of the vector for IRQs taken from EL0 (AArch64) in the
/// vector table.
const IRQ_FROM_EL0: u64 = 0x480;

/// Where the kernel's (upper-half) addresses start; below are domains'.
const KERNEL_BASE: u64 = 0xFFFF_FF80_0000_0000;

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
        self.0.iter().find(|(_, n)| n == name).map(|(address, _)| *address)
    }
}

/// The instruction addresses in a QEMU `-d exec` log, in order.
pub fn addresses(log: &str) -> impl Iterator<Item = u64> + '_ {
    // `Trace 0: 0x... [CS_BASE/PC/FLAGS/CFLAGS] ...`
    log.lines().filter_map(|line| {
        let fields = line.split('[').nth(1)?;
        u64::from_str_radix(fields.split('/').nth(1)?, 16).ok()
    })
}

/// The shortest preemption in `addresses`: from the IRQ vector for EL0
/// (at `irq_vector`), taken in one domain's slot, to the first
/// instruction at EL0 in another slot of `slot_size` bytes. The
/// addresses of the kernel's instructions in it, in order.
pub fn shortest_preemption(
    addresses: impl Iterator<Item = u64>,
    irq_vector: u64,
    slot_size: u64,
) -> Option<Vec<u64>> {
    let mut best: Option<Vec<u64>> = None;
    let mut last_user = None;
    let mut current: Option<(u64, Vec<u64>)> = None;
    for address in addresses {
        if address < KERNEL_BASE {
            if let Some((from_slot, path)) = current.take() {
                let switched = address / slot_size != from_slot;
                if switched && best.as_ref().is_none_or(|b| path.len() < b.len()) {
                    best = Some(path);
                }
            }
            last_user = Some(address / slot_size);
            continue;
        }
        if address == irq_vector {
            current = last_user.map(|slot| (slot, Vec::new()));
        }
        if let Some((_, path)) = current.as_mut() {
            path.push(address);
        }
    }
    best
}

/// `path`'s instructions counted by function, largest first, as the
/// lines the command prints.
pub fn report(path: &[u64], symbols: &Symbols) -> String {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for address in path {
        *counts.entry(symbols.name_of(*address)).or_default() += 1;
    }
    let mut rows: Vec<(&str, u64)> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut out = format!("breakdown preempt_to_activation instructions={}\n", path.len());
    for (name, count) in rows {
        let _ = writeln!(out, "{count:6} {name}");
    }
    out
}

/// Builds the breakdown image, traces it in QEMU (into `target/`) and
/// returns the report.
pub fn run(root: &Path) -> Result<String> {
    crate::setup::ensure_qemu()?;
    let image = vesper_builder::build_image_with_features(root, &root.join(MANIFEST), &[])?;
    let log = root.join("target").join("breakdown-trace.log");
    let mut boot = crate::qemu::Boot::new(&image.kernel.flat);
    boot.serial = "null".into();
    boot.extra_args = one_instruction_per_block()?;
    boot.extra_args.extend(["-d".into(), "exec,nochain".into(), "-D".into()]);
    boot.extra_args.push(log.display().to_string());
    let outcome = boot.run_captured(std::time::Duration::from_secs(300))?;
    if outcome.exit != crate::qemu::Exit::Code(0) {
        bail!("the traced run ended with {:?}: {}", outcome.exit, outcome.stderr);
    }
    let elf = std::fs::read(&image.kernel.elf)
        .with_context(|| format!("reading {}", image.kernel.elf.display()))?;
    let symbols = Symbols::from_elf(&elf)?;
    let vectors = symbols.address_of("exception_vectors").context("no exception_vectors")?;
    let text = std::fs::read_to_string(&log).context("reading the trace")?;
    let slot = vesper_abi::layout::SLOT_SIZE;
    let path = shortest_preemption(addresses(&text), vectors + IRQ_FROM_EL0, slot)
        .context("the trace holds no preemption")?;
    let _ = std::fs::remove_file(&log);
    Ok(report(&path, &symbols))
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
    }

    #[test]
    fn the_shortest_switch_between_slots_is_found() {
        let vector = 0xffffff8000080c80;
        let slot = 0x20_0000;
        let kernel = |n: u64| 0xffffff8000082000 + 4 * n;
        let mut log = String::new();
        // Domain in slot 1 interrupted; back to slot 1: not a switch.
        for pc in [0x20_4000, vector, kernel(0), kernel(1), 0x20_4004] {
            log += &line(pc);
        }
        // Slot 1 to slot 2 in four kernel instructions, then in two.
        for pc in [vector, kernel(0), kernel(1), kernel(2), 0x40_4000] {
            log += &line(pc);
        }
        for pc in [0x40_4004, vector, kernel(5), 0x20_4008] {
            log += &line(pc);
        }
        let path = shortest_preemption(addresses(&log), vector, slot).unwrap();
        assert_eq!(path, [vector, kernel(5)]);
        let report = report(&path, &symbols());
        assert!(report.starts_with("breakdown preempt_to_activation instructions=2\n"));
        assert!(report.contains("     1 exception_vectors\n"));
        assert!(report.contains("     1 reschedule\n"));
    }
}
