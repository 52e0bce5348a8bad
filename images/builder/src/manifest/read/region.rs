//! Reading `[[region]]`s: each shared memory region's name, size, address
//! if fixed, and the domains it grants access to, with their rights.

use super::super::reader::{Problems, Section};
use super::super::{check_pages, RegionRights};
use super::{cap_name, grants, label_of, tables_of, within_limit, DomainDraft, Grant};
use std::collections::BTreeSet;
use std::ops::Range;
use toml::de::DeTable;
use toml::Spanned;
use vesper_abi::layout::{MAX_REGIONS, PAGE_SIZE};

const REGION_KEYS: [&str; 4] = ["name", "size", "address", "domains"];

/// A `[[region]]` as read: complete if `size` is `Some`.
pub(crate) struct RegionDraft {
    /// How messages name it.
    pub label: String,
    /// Its name, if valid; the checks across tables take it from a region
    /// that repeats an earlier one's.
    pub name: Option<Spanned<String>>,
    /// Its size, if valid.
    pub size: Option<Spanned<u64>>,
    /// Its address, if given and valid.
    pub address: Option<Spanned<u64>>,
    /// Its `domains`, as written.
    pub grants: Vec<Grant<RegionRights>>,
    /// The domains that map it, with their rights: the grants that the
    /// checks across tables accept (none before).
    pub access: Vec<(String, RegionRights)>,
}

impl RegionDraft {
    /// Its name, if it has a valid one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_ref().map(|name| name.get_ref().as_str())
    }
}

/// Reads the `[[region]]`s of the manifest under `root` up to the limit: the
/// regions an image holds, less the devices the `domains` use (their
/// registers are regions of the kernel's too, see `caps`).
pub(super) fn read_all(
    root: &Section,
    domains: &[DomainDraft],
    problems: &mut Problems,
) -> Vec<RegionDraft> {
    let devices: BTreeSet<&str> =
        domains.iter().flat_map(|draft| &draft.uses).map(|used| used.get_ref().as_str()).collect();
    let tables = tables_of(root, "region", problems);
    let limit = MAX_REGIONS.saturating_sub(devices.len());
    let tables = within_limit(root, "region", tables, limit, problems, |n| {
        let devices = match devices.len() {
            0 => String::new(),
            1 => " and the domains use 1 device, whose registers are a region too".into(),
            used => format!(" and the domains use {used} devices, whose registers are regions too"),
        };
        format!(
            "{n} regions{devices}, but an image holds at most {MAX_REGIONS} (the kernel keeps the \
             regions a domain maps as {MAX_REGIONS}-bit sets)"
        )
    });
    tables
        .read
        .into_iter()
        .enumerate()
        .map(|(index, (table, span))| read(index, table, span, problems))
        .collect()
}

/// Reads one `[[region]]`, the `index`th.
fn read(index: usize, table: &DeTable, span: Range<usize>, problems: &mut Problems) -> RegionDraft {
    let label = label_of("region", index, table);
    let name = cap_name(table, &span, &label, "region", problems);
    let s = Section::new(table, span, label.clone(), "a [[region]]", &REGION_KEYS, problems);
    let _ = s.string("name", problems);
    if s.get("size").is_none() {
        s.missing("size", problems);
    }
    let size = s.size("size", problems).and_then(|size| {
        let reason = match *size.get_ref() {
            0 => "must be greater than 0".to_string(),
            bytes => match check_pages(bytes) {
                Ok(()) => return Some(size),
                Err(reason) => reason,
            },
        };
        problems.at(&size.span(), &s.what("size"), reason);
        None
    });
    let address = s.integer("address", 0..=u64::MAX, problems).and_then(|address| {
        if address.get_ref().is_multiple_of(PAGE_SIZE) {
            return Some(address);
        }
        problems.at(
            &address.span(),
            &s.what("address"),
            format!("{:#x} is not page-aligned (a multiple of 0x1000)", address.get_ref()),
        );
        None
    });
    let grants = read_domains(&s, problems);
    RegionDraft { label, name, size, address, grants, access: Vec::new() }
}

/// Reads the region's `domains`: which domains map it, and their rights.
fn read_domains(s: &Section, problems: &mut Problems) -> Vec<Grant<RegionRights>> {
    if s.get("domains").is_none() {
        s.missing("domains", problems);
    }
    let Some((table, table_span)) = s.table("domains", problems) else { return Vec::new() };
    if table.is_empty() {
        problems.at(&table_span, &s.what("domains"), "must name at least one domain");
    }
    grants(table, &[("r", RegionRights::Read), ("rw", RegionRights::ReadWrite)])
}
