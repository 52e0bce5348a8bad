//! Reading `[[share]]`s: the device or interrupt of the board each shares,
//! and the domains it lists (which the checks across tables resolve).

use super::super::reader::{Problems, Section};
use super::super::ShareTarget;
use super::devices::unknown_interrupt;
use super::tables_of;
use crate::board::Board;
use std::ops::Range;
use toml::de::DeTable;
use toml::Spanned;

const SHARE_KEYS: [&str; 3] = ["device", "interrupt", "domains"];

/// A `[[share]]` as read.
pub(crate) struct ShareDraft {
    /// How messages name it.
    pub label: String,
    /// What it shares, if valid.
    pub target: Option<Spanned<ShareTarget>>,
    /// The domains its `domains` lists, as written.
    pub listed: Vec<Spanned<String>>,
    /// Where its `domains` are, if given.
    pub listed_at: Option<Range<usize>>,
    /// The domains sharing the target: those listed that the checks
    /// across tables find may share it (none before).
    pub domains: Vec<Spanned<String>>,
}

/// Reads the `[[share]]`s of the manifest under `root`, against `board` if
/// it is known.
pub(super) fn read_all(
    root: &Section,
    board: Option<&Board>,
    problems: &mut Problems,
) -> Vec<ShareDraft> {
    tables_of(root, "share", problems)
        .into_iter()
        .enumerate()
        .map(|(index, (table, span))| read(index, table, span, board, problems))
        .collect()
}

/// Reads one `[[share]]`, the `index`th.
fn read(
    index: usize,
    table: &DeTable,
    span: Range<usize>,
    board: Option<&Board>,
    problems: &mut Problems,
) -> ShareDraft {
    let label = format!("share #{}", index + 1);
    let s = Section::new(table, span, label.clone(), "a [[share]]", &SHARE_KEYS, problems);
    let target = read_target(&s, board, problems);
    if s.get("domains").is_none() {
        s.missing("domains", problems);
    }
    let listed = s.strings("domains", problems);
    let listed_at = s.get("domains").map(Spanned::span);
    ShareDraft { label, target, listed, listed_at, domains: Vec::new() }
}

/// Reads what the share `s` shares: its `device` or its `interrupt`, which
/// `board` (if known) must have.
fn read_target(
    s: &Section,
    board: Option<&Board>,
    problems: &mut Problems,
) -> Option<Spanned<ShareTarget>> {
    let device = s.string("device", problems);
    let interrupt = s.string("interrupt", problems);
    match (device, interrupt) {
        (Some(_), Some(interrupt)) => {
            problems.at(
                &interrupt.span(),
                &s.what("interrupt"),
                "give `device` or `interrupt`, not both",
            );
            None
        }
        (None, None) => {
            if s.get("device").is_none() && s.get("interrupt").is_none() {
                problems.at(
                    &s.span,
                    &s.what("device"),
                    "missing: a share names a `device` or an `interrupt`",
                );
            }
            None
        }
        (Some(device), None) => {
            let shareable = board.is_none_or(|board| shareable_device(s, board, &device, problems));
            shareable.then(|| Spanned::new(device.span(), ShareTarget::Device(device.into_inner())))
        }
        (None, Some(interrupt)) => match board {
            Some(board) if board.interrupt(interrupt.get_ref()).is_none() => {
                let reason = unknown_interrupt(board, interrupt.get_ref());
                problems.at(&interrupt.span(), &s.what("interrupt"), reason);
                None
            }
            _ => {
                Some(Spanned::new(interrupt.span(), ShareTarget::Interrupt(interrupt.into_inner())))
            }
        },
    }
}

/// Whether `device`, the share `s` names, is a device of `board` that is
/// not the kernel's; reports it if not.
fn shareable_device(
    s: &Section,
    board: &Board,
    device: &Spanned<String>,
    problems: &mut Problems,
) -> bool {
    let reason = match board.device(device.get_ref()) {
        None => format!("no device is called {:?} on this board", device.get_ref()),
        Some(found) if found.kernel => {
            format!("{} belongs to the kernel: it cannot be shared", found.name)
        }
        Some(_) => return true,
    };
    problems.at(&device.span(), &s.what("device"), reason);
    false
}
