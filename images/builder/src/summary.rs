//! What an image holds, for the terminal: its domains and reservations,
//! the utilisation, the memory map, the threads, and what the domains are
//! given (devices, interrupts, regions and channels, with their event slots,
//! and each domain's capabilities).

use crate::caps::{ImageCaps, CAP_SLOTS, KERNEL_CAP_NAMES};
use crate::layout::KERNEL_AREA;
use crate::manifest::{Manifest, ShareTarget};
use crate::units::{format_duration, format_share, format_size};
use crate::PlacedDomain;
use std::fmt::{self, Write as _};

/// A domain's program once built and placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramInfo {
    /// First address of the program.
    pub start: u64,
    /// One past its last page.
    pub end: u64,
    /// Its activation entry point.
    pub entry: u64,
}

/// What a build adds to the summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildInfo {
    /// One past the kernel's last byte in memory (image, bss and stacks).
    pub kernel_end: u64,
    /// Each domain's program, in domain order.
    pub programs: Vec<ProgramInfo>,
}

/// An image's summary. `Display` writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// The validated manifest.
    pub manifest: Manifest,
    /// The built programs and kernel, if the image was built.
    pub build: Option<BuildInfo>,
}

impl Summary {
    /// The summary of a manifest that was checked, not built: everything
    /// but the programs' sizes is known.
    pub fn checked(manifest: &Manifest) -> Self {
        Self { manifest: manifest.clone(), build: None }
    }

    /// The summary of a built image: `domains` placed, the kernel ending at
    /// `kernel_end`.
    pub fn built(manifest: &Manifest, domains: &[PlacedDomain], kernel_end: u64) -> Self {
        let programs = domains
            .iter()
            .map(|placed| ProgramInfo {
                start: placed.program.base,
                end: placed.program.segments.last().map_or(placed.program.base, |s| s.end),
                entry: placed.program.entry,
            })
            .collect();
        Self { manifest: manifest.clone(), build: Some(BuildInfo { kernel_end, programs }) }
    }
}

/// `rows` (the first being the headings) as lines of columns two spaces
/// apart; columns whose index is in `right` align right.
fn table(rows: &[Vec<String>], right: &[usize]) -> Vec<String> {
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> =
        (0..columns).map(|i| rows.iter().map(|row| row[i].len()).max().unwrap_or(0)).collect();
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                let width = widths[i];
                if i > 0 {
                    line.push_str("  ");
                }
                if right.contains(&i) {
                    let _ = write!(line, "{cell:>width$}");
                } else {
                    let _ = write!(line, "{cell:<width$}");
                }
            }
            line.trim_end().to_string()
        })
        .collect()
}

/// `bytes` in MiB, with one decimal unless exact.
fn mib(bytes: u64) -> String {
    if bytes.is_multiple_of(1 << 20) {
        format_size(bytes)
    } else {
        format!("{:.1}MiB", bytes as f64 / f64::from(1u32 << 20))
    }
}

fn range(start: u64, end: u64) -> String {
    format!("{start:#010x}-{end:#010x}")
}

impl Summary {
    fn write_header(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.manifest;
        let count = m.domains.len();
        write!(
            f,
            "image {}: board {}, console {}, {count} domain{}",
            m.name,
            m.board.name,
            m.console,
            if count == 1 { "" } else { "s" }
        )?;
        match m.run_for_ns {
            Some(ns) => writeln!(f, ", runs for {}", format_duration(ns)),
            None => writeln!(f, ", runs until halted"),
        }
    }

    fn write_domains(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headings =
            ["domain", "program", "period", "slice", "extra", "latency", "share", "scheduler"];
        let cores = self.manifest.uses_other_cores();
        let mut rows = vec![headings.map(String::from).to_vec()];
        if cores {
            rows[0].push("core".into());
        }
        for d in &self.manifest.domains {
            let reservation = match &d.scheduled_by {
                // A member runs on its group's reservation.
                Some(group) => [format!("in {group}"), "-".into(), "-".into(), "-".into()],
                None => [
                    format_duration(d.period_ns),
                    format_duration(d.slice_ns),
                    if d.extra { "yes" } else { "no" }.to_string(),
                    format_duration(d.latency_ns),
                ],
            };
            let mut row = vec![d.name.clone(), d.program.clone()];
            row.extend(reservation);
            row.extend([format_share(d.share_ppb(), 3), d.scheduler.name().to_string()]);
            if cores {
                row.push(d.core.to_string());
            }
            rows.push(row);
        }
        for line in table(&rows, &[2, 3, 5, 6]) {
            writeln!(f, "{line}")?;
        }
        if !cores {
            return writeln!(
                f,
                "total utilisation {} (admission control: at most 1)",
                format_share(self.manifest.utilisation_ppb(), 3)
            );
        }
        let each: Vec<String> = (0..vesper_abi::layout::CORES)
            .map(|core| {
                format!("core {core} {}", format_share(self.manifest.core_utilisation_ppb(core), 3))
            })
            .collect();
        writeln!(f, "utilisation {} (admission control: at most 1 on each core)", each.join(", "))
    }

    fn write_memory(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.manifest;
        writeln!(f, "memory (virtual = physical):")?;
        let mut rows: Vec<(u64, Vec<String>)> = Vec::new();
        let kernel = match &self.build {
            Some(build) => format!(
                "kernel and firmware (kernel 0x00080000-{:#010x}, {})",
                build.kernel_end,
                format_size(build.kernel_end.saturating_sub(0x8_0000).next_multiple_of(1024))
            ),
            None => "kernel and firmware".to_string(),
        };
        rows.push((
            0,
            vec![range(KERNEL_AREA.start, KERNEL_AREA.end), format_size(KERNEL_AREA.len()), kernel],
        ));
        for (index, d) in m.domains.iter().enumerate() {
            let layout = &d.layout;
            let mut what = format!("domain {}: DCB {:#010x}, ", d.name, layout.slot.start);
            match self.build.as_ref().and_then(|build| build.programs.get(index)) {
                Some(program) => {
                    let _ = write!(
                        what,
                        "program {} ({} of {}), entry {:#010x}",
                        range(program.start, program.end),
                        format_size(program.end - program.start),
                        format_size(layout.program_room()),
                        program.entry
                    );
                }
                None => {
                    let _ = write!(
                        what,
                        "program from {:#010x} (room {})",
                        layout.program_base,
                        format_size(layout.program_room())
                    );
                }
            }
            for (name, region) in [("stack", layout.stack), ("memory", layout.memory)] {
                if let Some(region) = region {
                    let _ = write!(
                        what,
                        ", {name} {} ({})",
                        range(region.start, region.end),
                        format_size(region.len())
                    );
                }
            }
            rows.push((
                layout.slot.start,
                vec![
                    range(layout.slot.start, layout.slot.end),
                    format_size(layout.slot.len()),
                    what,
                ],
            ));
        }
        for region in &m.regions {
            let access: Vec<String> = region
                .access
                .iter()
                .map(|(domain, rights)| format!("{domain} {}", rights.name()))
                .collect();
            rows.push((
                region.range.start,
                vec![
                    range(region.range.start, region.range.end),
                    format_size(region.range.len()),
                    format!("region {}: {}", region.name, access.join(", ")),
                ],
            ));
        }
        rows.sort_by_key(|(start, _)| *start);
        let rows: Vec<Vec<String>> = rows.into_iter().map(|(_, row)| row).collect();
        for line in table(&rows, &[1]) {
            writeln!(f, "  {line}")?;
        }
        let ram = m.board.memory.ram;
        let used = KERNEL_AREA.len()
            + m.domains.iter().map(|d| d.layout.slot.len()).sum::<u64>()
            + m.regions.iter().map(|r| r.range.len()).sum::<u64>();
        writeln!(
            f,
            "  RAM {} ({}): {} used, {} free",
            range(ram.start, ram.end),
            format_size(ram.len()),
            mib(used),
            mib(ram.len().saturating_sub(used))
        )
    }

    /// The threads, then the devices, interrupts, regions and channels the
    /// domains are given, and each domain's capabilities.
    /// The threads the domains declare, or (`members`) the groups'
    /// members, one per line under `label`.
    fn write_threads(&self, f: &mut fmt::Formatter<'_>, label: &str, members: bool) -> fmt::Result {
        let mut threads = Vec::new();
        for d in &self.manifest.domains {
            for t in if members { &d.members } else { &d.threads } {
                let mut line = format!("{}.{}: {}", d.name, t.name, format_duration(t.wcet_ns));
                match t.period_ns {
                    Some(period) => line.push_str(&format!(" every {}", format_duration(period))),
                    None => line.push_str(" once"),
                }
                if let Some(deadline) = t.deadline_ns {
                    line.push_str(&format!(", deadline {}", format_duration(deadline)));
                }
                let plural = if t.tickets == 1 { "" } else { "s" };
                line.push_str(&format!(", {} ticket{plural}", t.tickets));
                threads.push(line);
            }
        }
        for (i, line) in threads.iter().enumerate() {
            let label = if i == 0 { label } else { "" };
            writeln!(f, "{label:<10}  {line}")?;
        }
        Ok(())
    }

    fn write_declared(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.manifest;
        let mut lines: Vec<(&str, String)> = Vec::new();
        let shared = |target: ShareTarget| m.shares.iter().any(|share| share.target == target);
        for device in &m.board.devices {
            let users: Vec<&str> = m
                .domains
                .iter()
                .filter(|d| d.uses.contains(&device.name))
                .map(|d| d.name.as_str())
                .collect();
            if users.is_empty() {
                continue;
            }
            let mut owners = users.join(", ");
            if device.name == m.console {
                owners = format!("the kernel's console, {owners}");
            }
            if shared(ShareTarget::Device(device.name.clone())) {
                owners.push_str(" (shared)");
            }
            if device.dma {
                owners.push_str(" (DMA-capable: trusted)");
            }
            lines.push(("devices", format!("{} {:#010x}: {owners}", device.name, device.base)));
        }
        let mut routes: Vec<(&str, &str, u32, u64)> = m
            .domains
            .iter()
            .flat_map(|d| {
                d.interrupts
                    .iter()
                    .map(move |r| (r.interrupt.as_str(), d.name.as_str(), r.number, r.event))
            })
            .collect();
        routes.sort();
        for (interrupt, domain, number, event) in routes {
            let share = if shared(ShareTarget::Interrupt(interrupt.to_string())) {
                " (shared)"
            } else {
                ""
            };
            lines.push((
                "interrupts",
                format!("{interrupt} (IRQ {number}) -> {domain} event {event}{share}"),
            ));
        }
        for channel in &m.channels {
            let ends: Vec<String> = channel
                .ends
                .iter()
                .map(|end| format!("{} {} event {}", end.domain, end.rights.name(), end.event))
                .collect();
            lines.push(("channels", format!("{}: {}", channel.name, ends.join(", "))));
        }
        let caps = ImageCaps::of(m);
        for (domain, table) in m.domains.iter().zip(&caps.domains) {
            if table.is_empty() {
                continue;
            }
            let names: Vec<&str> =
                KERNEL_CAP_NAMES.into_iter().chain(table.iter().map(|cap| cap.name)).collect();
            lines.push((
                "caps",
                format!("{}: {} ({} of {CAP_SLOTS})", domain.name, names.join(", "), names.len()),
            ));
        }
        for (label, members) in [("threads", false), ("members", true)] {
            self.write_threads(f, label, members)?;
        }
        if !lines.is_empty() || !m.regions.is_empty() {
            writeln!(f, "given to the domains (see docs/manifest.md):")?;
            if !m.regions.is_empty() {
                let names: Vec<&str> = m.regions.iter().map(|r| r.name.as_str()).collect();
                writeln!(f, "  regions     {} (in the memory map above)", names.join(", "))?;
            }
            let mut last = "";
            for (kind, line) in lines {
                let label = if kind == last { "" } else { kind };
                writeln!(f, "  {label:<10}  {line}")?;
                last = kind;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_header(f)?;
        self.write_domains(f)?;
        self.write_memory(f)?;
        self.write_declared(f)
    }
}

#[cfg(test)]
mod tests;
