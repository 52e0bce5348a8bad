//! The first step of checking a manifest: reading each table, key by key,
//! into a draft of what it says, recording the problems the table has on
//! its own or against the board that `[image]` names. What the tables say
//! about each other (unique names, the domains they name, sharing, event
//! slots, capabilities, admission control, memory) is checked afterwards,
//! over the drafts ([`super::checks`]).
//!
//! More tables than an image can hold (domains, and regions: fewer the
//! more devices the domains use) are one problem, at the first table beyond
//! the limit, and the tables from there on are not read.

mod channel;
mod devices;
mod domain;
mod image;
mod region;
mod share;
mod threads;

pub(crate) use channel::ChannelDraft;
pub(crate) use domain::{DomainDraft, Reservation};
pub(crate) use image::Image;
pub(crate) use region::RegionDraft;
pub(crate) use share::ShareDraft;

use super::reader::{array_of_tables, key_of, Problems, Section};
use super::{check_name, MAX_CAP_NAME_LEN};
use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// Every table of a manifest, as read.
pub(crate) struct Tables<'t> {
    /// `[image]`.
    pub image: Image,
    /// The `[[domain]]`s up to the limit, in manifest order.
    pub domains: Vec<DomainDraft>,
    /// The names of the `[[domain]]`s beyond the limit, which are not
    /// read: the problem of their number covers every table naming one.
    pub unread_domains: Vec<&'t str>,
    /// The `[[share]]`s, in manifest order.
    pub shares: Vec<ShareDraft>,
    /// The `[[region]]`s up to the limit, in manifest order.
    pub regions: Vec<RegionDraft>,
    /// The `[[channel]]`s, in manifest order.
    pub channels: Vec<ChannelDraft>,
}

/// Reads every table of the manifest under `root` (read from `path`;
/// `programs`, if given, are those domains may run).
pub(super) fn tables<'t>(
    root: &Section<'t, '_>,
    path: &Path,
    programs: Option<&BTreeSet<String>>,
    problems: &mut Problems,
) -> Tables<'t> {
    let image = image::read(root, path, problems);
    let board = image.board.as_ref();
    let (domains, unread_domains) = domain::read_all(root, board, programs, problems);
    let shares = share::read_all(root, board, problems);
    let regions = region::read_all(root, &domains, problems);
    let channels = channel::read_all(root, problems);
    Tables { image, domains, unread_domains, shares, regions, channels }
}

/// The tables of the top-level array `key` (`[[key]]`).
fn tables_of<'t, 'i>(
    root: &Section<'t, 'i>,
    key: &str,
    problems: &mut Problems,
) -> Vec<(&'t DeTable<'i>, Range<usize>)> {
    match root.get(key) {
        Some(value) => array_of_tables(value, &root.what(key), problems),
        None => Vec::new(),
    }
}

/// The tables of a top-level array split at a limit on their number.
struct Limited<'t, 'i> {
    /// The tables up to the limit, which are read.
    read: Vec<(&'t DeTable<'i>, Range<usize>)>,
    /// The tables beyond it, which are not.
    unread: Vec<(&'t DeTable<'i>, Range<usize>)>,
}

/// Splits `tables`, those of the top-level array `key`, at `limit`: more
/// cannot be an image, so one problem, at the first table beyond the limit,
/// says so (`reason` of their number), and the tables beyond it are left
/// unread, keeping a manifest with thousands of tables as quick to check
/// as one that fits.
fn within_limit<'t, 'i>(
    root: &Section<'t, 'i>,
    key: &str,
    mut tables: Vec<(&'t DeTable<'i>, Range<usize>)>,
    limit: usize,
    problems: &mut Problems,
    reason: impl FnOnce(usize) -> String,
) -> Limited<'t, 'i> {
    let count = tables.len();
    let unread = tables.split_off(count.min(limit));
    if let Some((_, span)) = unread.first() {
        let why = reason(count);
        problems.at(
            span,
            &root.what(key),
            format!("{why}; the tables from this one on are not checked"),
        );
    }
    Limited { read: tables, unread }
}

/// How messages name the `index`th table of `kind`: by its name if it has
/// a string one, else by its position.
fn label_of(kind: &str, index: usize, table: &DeTable) -> String {
    label_by(kind, "name", index, table)
}

/// How messages name the `index`th table of a kind (`"member"`) named by
/// its `key` (`"domain"`).
fn label_by(kind: &str, key: &str, index: usize, table: &DeTable) -> String {
    match table.get(key).map(Spanned::get_ref) {
        Some(DeValue::String(name)) => format!("{kind} {name:?}"),
        _ => format!("{kind} #{}", index + 1),
    }
}

/// The `name` of the table `label`, a `[[region]]` or `[[channel]]` (`kind`)
/// at `span`, if it is a valid one: reports it missing or invalid. A name
/// that is not a string is the section's to report (its type is wrong).
fn cap_name(
    table: &DeTable,
    span: &Range<usize>,
    label: &str,
    kind: &str,
    problems: &mut Problems,
) -> Option<Spanned<String>> {
    let what = key_of(label, "name");
    let Some(value) = table.get("name") else {
        problems.at(span, &what, "missing (it is required)");
        return None;
    };
    let DeValue::String(name) = value.get_ref() else { return None };
    match check_cap_name(name, kind) {
        Ok(()) => Some(Spanned::new(value.span(), name.to_string())),
        Err(reason) => {
            problems.at(&value.span(), &what, reason);
            None
        }
    }
}

/// Checks the name of a region or channel: a valid [`check_name`] that
/// fits a capability's name.
fn check_cap_name(name: &str, kind: &str) -> std::result::Result<(), String> {
    check_name(name)?;
    if name.len() > MAX_CAP_NAME_LEN {
        return Err(format!(
            "{} bytes long, but {kind} names have at most {MAX_CAP_NAME_LEN} (capabilities are \
             named after them, in 16 bytes with a terminating NUL)",
            name.len()
        ));
    }
    Ok(())
}

/// One entry of a table that gives domains rights (a region's `domains`,
/// a channel's `ends`), as written. Whether it names a domain is checked
/// across tables, and its rights only then: the domain is the first thing
/// to fix.
pub(crate) struct Grant<R> {
    /// The domain it names (its key).
    pub domain: Spanned<String>,
    /// The rights it gives, or where the value that is none of them is.
    pub rights: Result<R, Range<usize>>,
}

/// The entries of `table`, each a domain and one of the rights `choices`
/// names, in table order.
fn grants<R: Copy>(table: &DeTable, choices: &[(&str, R)]) -> Vec<Grant<R>> {
    table
        .iter()
        .map(|(domain, value)| {
            let chosen = match value.get_ref() {
                DeValue::String(text) => choices.iter().find(|(name, _)| *name == text.as_ref()),
                _ => None,
            };
            Grant {
                domain: Spanned::new(domain.span(), domain.get_ref().to_string()),
                rights: chosen.map(|&(_, rights)| rights).ok_or_else(|| value.span()),
            }
        })
        .collect()
}
