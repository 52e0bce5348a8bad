//! The rules a manifest follows, in two steps: each table is read into a
//! draft, with the problems it has on its own or against the board
//! ([`super::read`]), then the drafts are checked against each other (names,
//! references, sharing, event slots, capabilities, admission control,
//! memory) and make the manifest ([`super::checks`]). Every problem of
//! both steps is recorded.

use super::reader::{Problems, Section};
use super::{checks, read, Manifest};
use std::collections::BTreeSet;
use std::path::Path;

/// Reads every table of the manifest under `root`, checks them against each
/// other and against the board, and returns the manifest if nothing was
/// wrong (the caller checks `problems`).
pub(super) fn read(
    root: &Section,
    path: &Path,
    programs: Option<&BTreeSet<String>>,
    problems: &mut Problems,
) -> Option<Manifest> {
    let tables = read::tables(root, path, programs, problems);
    checks::across(tables, path, problems)
}
