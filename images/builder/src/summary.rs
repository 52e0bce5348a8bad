//! What an image holds, as a table for the terminal.

use crate::manifest::{format_duration, format_share, Manifest};
use crate::PlacedDomain;
use std::fmt;

/// One domain of a [`Summary`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryRow {
    /// The domain's name.
    pub domain: String,
    /// The program it runs.
    pub program: String,
    /// Base of its slot.
    pub slot_base: u64,
    /// Its activation entry point.
    pub entry: u64,
    /// Bytes of its relocated program image.
    pub image_bytes: usize,
    /// Reservation period, ns.
    pub period_ns: u64,
    /// Reservation slice, ns.
    pub slice_ns: u64,
    /// Whether it may use slack time.
    pub extra: bool,
    /// Latency hint, ns.
    pub latency_ns: u64,
    /// Its CPU share in parts per billion.
    pub share_ppb: u64,
}

/// A built image's domains and reservations. `Display` writes a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// The image's name.
    pub image: String,
    /// Virtual time after which the run ends, if set.
    pub run_for_ns: Option<u64>,
    /// One row per domain, in slot order.
    pub rows: Vec<SummaryRow>,
    /// The total of the shares, in parts per billion.
    pub utilisation_ppb: u64,
}

impl Summary {
    /// Summarises `manifest`, whose domains were placed as `domains`.
    pub fn new(manifest: &Manifest, domains: &[PlacedDomain]) -> Self {
        let rows = domains
            .iter()
            .map(|placed| SummaryRow {
                domain: placed.domain.name.clone(),
                program: placed.domain.program.clone(),
                slot_base: placed.slot_base,
                entry: placed.program.entry,
                image_bytes: placed.program.image.len(),
                period_ns: placed.domain.period_ns,
                slice_ns: placed.domain.slice_ns,
                extra: placed.domain.extra,
                latency_ns: placed.domain.latency_ns,
                share_ppb: placed.domain.share_ppb(),
            })
            .collect();
        Self {
            image: manifest.name.clone(),
            run_for_ns: manifest.run_for_ns,
            rows,
            utilisation_ppb: manifest.utilisation_ppb(),
        }
    }
}

/// The table's columns: heading, and whether values align right.
const COLUMNS: [(&str, bool); 10] = [
    ("domain", false),
    ("program", false),
    ("slot base", false),
    ("entry", false),
    ("image KiB", true),
    ("period", true),
    ("slice", true),
    ("extra", false),
    ("latency", true),
    ("share", true),
];

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.rows.len();
        write!(f, "image {}: {count} domain{}", self.image, if count == 1 { "" } else { "s" })?;
        match self.run_for_ns {
            Some(ns) => writeln!(f, ", runs for {}", format_duration(ns))?,
            None => writeln!(f, ", runs until halted")?,
        }
        let cells: Vec<[String; 10]> = self
            .rows
            .iter()
            .map(|row| {
                [
                    row.domain.clone(),
                    row.program.clone(),
                    format!("{:#010x}", row.slot_base),
                    format!("{:#010x}", row.entry),
                    row.image_bytes.div_ceil(1024).to_string(),
                    format_duration(row.period_ns),
                    format_duration(row.slice_ns),
                    if row.extra { "yes" } else { "no" }.to_string(),
                    format_duration(row.latency_ns),
                    format_share(row.share_ppb, 3),
                ]
            })
            .collect();
        let widths: Vec<usize> = COLUMNS
            .iter()
            .enumerate()
            .map(|(i, (heading, _))| {
                cells.iter().map(|row| row[i].len()).chain([heading.len()]).max().unwrap_or(0)
            })
            .collect();
        let headings = COLUMNS.map(|(heading, _)| heading.to_string());
        for row in std::iter::once(&headings).chain(&cells) {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                let width = widths[i];
                let padded = if COLUMNS[i].1 {
                    format!("{cell:>width$}")
                } else {
                    format!("{cell:<width$}")
                };
                if i > 0 {
                    line.push_str("  ");
                }
                line.push_str(&padded);
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        writeln!(f, "total utilisation {}", format_share(self.utilisation_ppb, 3))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        domain: &str,
        program: &str,
        slot: u64,
        image_bytes: usize,
        slice_ns: u64,
    ) -> SummaryRow {
        SummaryRow {
            domain: domain.into(),
            program: program.into(),
            slot_base: 0x200_0000 + slot * 0x20_0000,
            entry: 0x200_4000 + slot * 0x20_0000,
            image_bytes,
            period_ns: 10_000_000,
            slice_ns,
            extra: slot == 2,
            latency_ns: if slot == 1 { 1_000_000 } else { 10_000_000 },
            share_ppb: slice_ns * 100,
        }
    }

    #[test]
    fn the_table_aligns_its_columns() {
        let summary = Summary {
            image: "demo".into(),
            run_for_ns: Some(300_000_000),
            rows: vec![
                row("hello", "hello", 0, 10_000, 1_000_000),
                row("sleeper", "sleeper", 1, 1024, 1_000_000),
                row("spin", "spin", 2, 123_456, 5_000_000),
            ],
            utilisation_ppb: 700_000_000,
        };
        let expected = "\
image demo: 3 domains, runs for 300ms
domain   program  slot base   entry       image KiB  period  slice  extra  latency  share
hello    hello    0x02000000  0x02004000         10    10ms    1ms  no        10ms  0.100
sleeper  sleeper  0x02200000  0x02204000          1    10ms    1ms  no         1ms  0.100
spin     spin     0x02400000  0x02404000        121    10ms    5ms  yes       10ms  0.500
total utilisation 0.700
";
        assert_eq!(summary.to_string(), expected);
    }

    #[test]
    fn one_domain_without_run_for() {
        let summary = Summary {
            image: "x".into(),
            run_for_ns: None,
            rows: vec![row("a-very-long-domain-name", "spin", 0, 0, 250_000)],
            utilisation_ppb: 25_000_000,
        };
        let expected = "\
image x: 1 domain, runs until halted
domain                   program  slot base   entry       image KiB  period  slice  extra  latency  share
a-very-long-domain-name  spin     0x02000000  0x02004000          0    10ms  250us  no        10ms  0.025
total utilisation 0.025
";
        assert_eq!(summary.to_string(), expected);
    }
}
