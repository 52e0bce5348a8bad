//! Reading `[image]`: the image's name, its board, how long it runs and
//! its console (a device of that board that the kernel can print on).

use super::super::reader::{Problems, Section};
use super::super::{board_named, check_image_name, DEFAULT_CONSOLE};
use crate::board::{Board, DEFAULT_BOARD};
use std::path::Path;
use toml::Spanned;

const IMAGE_KEYS: [&str; 6] = ["name", "board", "run-for", "console", "sd-card", "trace"];

/// The largest kernel trace ring (`[image] trace`): the ring lies in the
/// kernel's memory, below the first domain's slot.
pub const MAX_TRACE_BYTES: u64 = 8 << 20;

/// `[image]` as read.
pub(crate) struct Image {
    /// The image's name, if valid: `[image] name`, else the file's stem.
    pub name: Option<String>,
    /// The board, if known: `[image] board`, else the default one. Tables
    /// are read against it only if it is known.
    pub board: Option<Board>,
    /// The console's device (the default one unless given).
    pub console: String,
    /// `run-for`, if given and valid.
    pub run_for_ns: Option<u64>,
    /// `sd-card`: the card image `cargo xtask run` attaches, relative to
    /// the manifest's folder.
    pub sd_card: Option<std::path::PathBuf>,
    /// `trace`: the kernel's trace ring, in records (0: no tracing).
    pub trace_records: usize,
}

/// Reads `[image]` (every key has a default, so the table may be left out)
/// of the manifest under `root`, read from `path`.
pub(super) fn read(root: &Section, path: &Path, problems: &mut Problems) -> Image {
    let section = root.table("image", problems).map(|(table, span)| {
        Section::new(table, span, "[image]".into(), "[image]", &IMAGE_KEYS, problems)
    });
    let section = section.as_ref();
    let name = image_name(section, path, problems);
    let board = match section.and_then(|s| s.string("board", problems)) {
        Some(board) => board_named(board.get_ref())
            .map_err(|reason| problems.at(&board.span(), "[image], key `board`", reason))
            .ok(),
        None => board_named(DEFAULT_BOARD).map_err(|reason| problems.global(reason)).ok(),
    };
    let run_for_ns = section.and_then(|s| s.duration("run-for", false, problems)).and_then(|ns| {
        if *ns.get_ref() == 0 {
            problems.at(
                &ns.span(),
                "[image], key `run-for`",
                "must be greater than 0 (leave it out to run until halted)",
            );
            return None;
        }
        Some(ns.into_inner())
    });
    let console = section.and_then(|s| s.string("console", problems));
    if let (Some(console), Some(board)) = (&console, &board) {
        check_console(console, board, problems);
    }
    let console = console.map_or_else(|| DEFAULT_CONSOLE.to_string(), Spanned::into_inner);
    let folder = path.parent().unwrap_or(Path::new(""));
    let sd_card = section.and_then(|s| s.string("sd-card", problems)).and_then(|card| {
        if card.get_ref().is_empty() {
            problems.at(&card.span(), "[image], key `sd-card`", "an empty path names no file");
            return None;
        }
        Some(folder.join(card.get_ref()))
    });
    let trace_records = section.and_then(|s| s.size("trace", problems)).map_or(0, |bytes| {
        let records = *bytes.get_ref() / vesper_abi::trace::RECORD_SIZE as u64;
        if records == 0 || *bytes.get_ref() > MAX_TRACE_BYTES {
            problems.at(
                &bytes.span(),
                "[image], key `trace`",
                format!(
                    "the trace ring holds from one record ({} B) to {} MiB",
                    vesper_abi::trace::RECORD_SIZE,
                    MAX_TRACE_BYTES >> 20
                ),
            );
            return 0;
        }
        records as usize
    });
    Image { name, board, console, run_for_ns, sd_card, trace_records }
}

/// The image's name, if valid: `[image] name` if given (`section` is
/// `[image]`, if the manifest has one), else the stem of `path`.
fn image_name(section: Option<&Section>, path: &Path, problems: &mut Problems) -> Option<String> {
    if let Some(name) = section.and_then(|s| s.string("name", problems)) {
        return match check_image_name(name.get_ref()) {
            Ok(()) => Some(name.into_inner()),
            Err(reason) => {
                problems.at(&name.span(), "[image], key `name`", reason);
                None
            }
        };
    }
    let stem = path.file_stem().and_then(|stem| stem.to_str()).unwrap_or_default();
    match check_image_name(stem) {
        Ok(()) => Some(stem.to_string()),
        Err(reason) => {
            problems.global(format!(
                "the image is named after the file ({stem:?}), which is not a valid image name: \
                 {reason}; set [image] name"
            ));
            None
        }
    }
}

/// Checks that `console` is a device of `board` that the kernel has a
/// console driver for.
fn check_console(console: &Spanned<String>, board: &Board, problems: &mut Problems) {
    let consoles: Vec<&str> =
        board.devices.iter().filter(|d| d.console.is_some()).map(|d| d.name.as_str()).collect();
    let reason = match board.device(console.get_ref()) {
        None => format!(
            "no device is called {:?} on board {}; the consoles are: {}",
            console.get_ref(),
            board.name,
            consoles.join(", ")
        ),
        Some(device) if device.console.is_none() => format!(
            "{} cannot be the console: the kernel has a console driver only for {}",
            device.name,
            consoles.join(", ")
        ),
        Some(_) => return,
    };
    problems.at(&console.span(), "[image], key `console`", reason);
}
