//! Reading `[[channel]]`s: each channel's name and its two ends, each a
//! domain and what it may do (send, receive or both).

use super::super::reader::{Problems, Section};
use super::super::ChannelRights;
use super::{cap_name, grants, label_of, tables_of, Grant};
use std::ops::Range;
use toml::de::DeTable;
use toml::Spanned;

const CHANNEL_KEYS: [&str; 2] = ["name", "ends"];

/// A `[[channel]]` as read.
pub(crate) struct ChannelDraft {
    /// How messages name it.
    pub label: String,
    /// Its name, if valid; the checks across tables take it from a channel
    /// that repeats an earlier one's.
    pub name: Option<Spanned<String>>,
    /// Its `ends`, as written.
    pub grants: Vec<Grant<ChannelRights>>,
    /// Where its `ends` are, if they are a table.
    pub ends_at: Option<Range<usize>>,
    /// Its ends that name a domain of the manifest, with valid rights, in
    /// table order: the grants that the checks across tables accept (none
    /// before).
    pub ends: Vec<(Spanned<String>, ChannelRights)>,
}

/// Reads the `[[channel]]`s of the manifest under `root`.
pub(super) fn read_all(root: &Section, problems: &mut Problems) -> Vec<ChannelDraft> {
    tables_of(root, "channel", problems)
        .into_iter()
        .enumerate()
        .map(|(index, (table, span))| read(index, table, span, problems))
        .collect()
}

/// Reads one `[[channel]]`, the `index`th.
fn read(
    index: usize,
    table: &DeTable,
    span: Range<usize>,
    problems: &mut Problems,
) -> ChannelDraft {
    let label = label_of("channel", index, table);
    let name = cap_name(table, &span, &label, "channel", problems);
    let s = Section::new(table, span, label.clone(), "a [[channel]]", &CHANNEL_KEYS, problems);
    let _ = s.string("name", problems);
    if s.get("ends").is_none() {
        s.missing("ends", problems);
    }
    let mut draft =
        ChannelDraft { label, name, grants: Vec::new(), ends_at: None, ends: Vec::new() };
    let Some((table, table_span)) = s.table("ends", problems) else { return draft };
    if table.len() != 2 {
        problems.at(
            &table_span,
            &s.what("ends"),
            format!(
                "a channel has exactly two ends, each a domain and its rights (found {})",
                table.len()
            ),
        );
    }
    draft.grants = grants(
        table,
        &[
            ("send", ChannelRights::Send),
            ("receive", ChannelRights::Receive),
            ("send-receive", ChannelRights::SendReceive),
        ],
    );
    draft.ends_at = Some(table_span);
    draft
}
