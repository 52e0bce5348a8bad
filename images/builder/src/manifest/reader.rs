//! Reading a parsed TOML document key by key, recording every problem with
//! its place in the file instead of stopping at the first.
//!
//! Manifests are read from toml's spanned document tree
//! ([`toml::de::DeTable`]) rather than deserialized into structs, so that an
//! unknown key, a wrong type and a missing key in three different tables
//! are three messages of one run.

use super::report::{Problem, Report, Severity};
use crate::units::Quantity;
use std::ops::{Range, RangeInclusive};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// A 1-based line and column (in characters) in a manifest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

/// Bytes per step of [`LineIndex`]'s character counts: locating an offset
/// counts the characters of at most twice this many bytes.
const CHARS_STEP: usize = 1024;

/// Where each line of a text starts, and how many characters precede every
/// [`CHARS_STEP`]th byte: a manifest with a problem in each of thousands of
/// tables is located in logarithmic time per problem, not by rescanning
/// the text (or a long line) from its start for each.
struct LineIndex<'a> {
    text: &'a str,
    /// The byte offset of each line's first byte.
    line_starts: Vec<usize>,
    /// Entry `i`: the characters in the first `i * CHARS_STEP` bytes.
    chars_before: Vec<usize>,
}

/// The characters in `bytes`, a slice of UTF-8 that may cut characters:
/// those whose first byte it holds (every byte but `0b10xx_xxxx`).
fn chars_in(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&byte| byte & 0xC0 != 0x80).count()
}

impl<'a> LineIndex<'a> {
    /// The index of `text`, in one pass over it.
    fn new(text: &'a str) -> Self {
        let newlines = text.bytes().enumerate().filter(|&(_, byte)| byte == b'\n');
        let line_starts = std::iter::once(0).chain(newlines.map(|(at, _)| at + 1)).collect();
        let mut chars_before = vec![0];
        let mut count = 0;
        for step in text.as_bytes().chunks(CHARS_STEP) {
            count += chars_in(step);
            chars_before.push(count);
        }
        Self { text, line_starts, chars_before }
    }

    /// The characters before byte `offset` (at most the text's length).
    fn chars_to(&self, offset: usize) -> usize {
        let step = offset / CHARS_STEP;
        self.chars_before[step] + chars_in(&self.text.as_bytes()[step * CHARS_STEP..offset])
    }

    /// The location of byte `offset` (of the character holding it, if it
    /// is inside one; of the text's end, if past it).
    fn locate(&self, offset: usize) -> Location {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        // The first line starts at 0, so at least one start is <= offset.
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let line_start = self.line_starts[line - 1];
        // A short line is quicker to count than two steps' remainders.
        let chars = if offset - line_start <= CHARS_STEP {
            chars_in(&self.text.as_bytes()[line_start..offset])
        } else {
            self.chars_to(offset) - self.chars_to(line_start)
        };
        Location { line, column: chars + 1 }
    }
}

/// The problems (errors and warnings) found so far in one manifest.
pub(crate) struct Problems<'a> {
    file: &'a str,
    lines: LineIndex<'a>,
    /// The errors, each with where it starts.
    errors: Vec<(Problem, Option<Location>)>,
    /// The warnings, likewise.
    warnings: Vec<(Problem, Option<Location>)>,
}

impl<'a> Problems<'a> {
    /// No problems yet in `text`, read from `file`.
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Self { file, lines: LineIndex::new(text), errors: Vec::new(), warnings: Vec::new() }
    }

    /// `problem` with where it starts.
    fn located(&self, problem: Problem) -> (Problem, Option<Location>) {
        let at = problem.span.as_ref().map(|span| self.lines.locate(span.start));
        (problem, at)
    }

    /// Records `problem`, an error.
    pub fn report(&mut self, problem: Problem) {
        let located = self.located(problem);
        self.errors.push(located);
    }

    /// Records `problem`, a warning.
    pub fn warn(&mut self, problem: Problem) {
        let located = self.located(problem);
        self.warnings.push(located);
    }

    /// Records `reason` about `what` (such as ``domain "a", key `slice` ``)
    /// at `span`.
    pub fn at(&mut self, span: &Range<usize>, what: &str, reason: impl Into<String>) {
        self.report(Problem::at(span, what, reason));
    }

    /// Records a problem of the whole file.
    pub fn global(&mut self, reason: impl Into<String>) {
        self.report(Problem::global(reason));
    }

    /// How many errors were recorded.
    pub fn count(&self) -> usize {
        self.errors.len()
    }

    /// The location of `span` in the file.
    pub fn locate(&self, span: &Range<usize>) -> Location {
        self.lines.locate(span.start)
    }

    /// The errors and the warnings, each a report in file order.
    pub fn into_reports(self) -> (Report, Report) {
        let text = self.lines.text;
        (
            Report::new(Severity::Error, self.file, text, self.errors),
            Report::new(Severity::Warning, self.file, text, self.warnings),
        )
    }
}

/// A TOML table being read: its keys are checked against the allowed ones
/// and each value against the type the key needs. `label` names it in
/// messages (`[image]`, `domain "a"`).
pub(crate) struct Section<'t, 'i> {
    table: &'t DeTable<'i>,
    /// Where the table starts (its header, or the inline table).
    pub span: Range<usize>,
    /// How messages name the table.
    pub label: String,
}

/// How a key's value was written, for "must be ..." messages.
fn found(value: &DeValue) -> String {
    match value {
        DeValue::String(text) => format!("found the string {text:?}"),
        DeValue::Integer(integer) => format!("found the integer {integer}"),
        DeValue::Boolean(flag) => format!("found {flag}"),
        other => format!("found {} {}", article(other.type_str()), other.type_str()),
    }
}

fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// The closest of `candidates` to `word`, if it is close enough to be a
/// typo of it: the same but for case (`EDF` for `edf`), else within a
/// small edit distance.
pub(crate) fn suggestion<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    if let Some(same) = candidates.iter().find(|candidate| candidate.eq_ignore_ascii_case(word)) {
        return Some(same);
    }
    candidates
        .iter()
        .map(|candidate| (strsim::levenshtein(word, candidate), *candidate))
        .filter(|(d, candidate)| *d <= 2.min(candidate.len() / 2).max(1))
        .min()
        .map(|(_, candidate)| candidate)
}

/// "did you mean" help for `word`, if one of `candidates` is close to it;
/// `quote` writes the candidate as the message would.
pub(crate) fn did_you_mean(
    word: &str,
    candidates: &[&str],
    quote: impl Fn(&str) -> String,
) -> Option<String> {
    suggestion(word, candidates).map(|close| format!("did you mean {}?", quote(close)))
}

/// How messages name `key` of the table `label` names
/// (``domain "a", key `slice` ``): for the checks across tables, which
/// report on tables read before.
pub(crate) fn key_of(label: &str, key: &str) -> String {
    format!("{label}, key `{key}`")
}

impl<'t, 'i> Section<'t, 'i> {
    /// Reads `table`, which starts at `span`, as `label`; every key not in
    /// `allowed` is reported (`kind` names such tables: `"a [[domain]]"`).
    pub fn new(
        table: &'t DeTable<'i>,
        span: Range<usize>,
        label: String,
        kind: &str,
        allowed: &[&str],
        problems: &mut Problems,
    ) -> Self {
        for key in table.keys() {
            let name = key.get_ref().as_ref();
            if !allowed.contains(&name) {
                let reason =
                    format!("unknown key `{name}` ({kind} has the keys {})", allowed.join(", "));
                let help = did_you_mean(name, allowed, |close| format!("`{close}`"));
                problems.report(Problem::at(&key.span(), &label, reason).maybe_help(help));
            }
        }
        Self { table, span, label }
    }

    /// How messages name `key` of this table.
    pub fn what(&self, key: &str) -> String {
        key_of(&self.label, key)
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&'t Spanned<DeValue<'i>>> {
        self.table.get(key)
    }

    /// Reports that `key` is missing.
    pub fn missing(&self, key: &str, problems: &mut Problems) {
        problems.at(&self.span, &self.what(key), "missing (it is required)");
    }

    /// Reports a value of the wrong type.
    fn wrong_type(&self, key: &str, value: &Spanned<DeValue>, expected: &str, p: &mut Problems) {
        p.at(
            &value.span(),
            &self.what(key),
            format!("must be {expected} ({})", found(value.get_ref())),
        );
    }

    /// The string value of `key` holding a `quantity`, if present and a
    /// string; a bare number is reported with the units it could mean.
    fn quantity(
        &self,
        key: &str,
        quantity: Quantity,
        problems: &mut Problems,
    ) -> Option<Spanned<String>> {
        let value = self.get(key)?;
        match value.get_ref() {
            DeValue::Integer(integer) if integer.radix() == 10 => {
                let reason = format!("must be a string (found the integer {integer})");
                let help = quantity.which_unit(integer.as_str());
                problems.report(Problem::at(&value.span(), &self.what(key), reason).help(help));
                None
            }
            _ => self.string(key, problems),
        }
    }

    /// The value of `key` read as a `quantity`, if present and valid.
    fn parsed(&self, key: &str, quantity: Quantity, p: &mut Problems) -> Option<Spanned<u64>> {
        let text = self.quantity(key, quantity, p)?;
        match quantity.parse(text.get_ref()) {
            Ok(value) => Some(Spanned::new(text.span(), value)),
            Err(error) => {
                let problem = Problem::at(&text.span(), &self.what(key), error.reason);
                p.report(problem.maybe_help(error.help));
                None
            }
        }
    }

    /// The string value of `key`, if present and a string.
    pub fn string(&self, key: &str, problems: &mut Problems) -> Option<Spanned<String>> {
        let value = self.get(key)?;
        match value.get_ref() {
            DeValue::String(text) => Some(Spanned::new(value.span(), text.to_string())),
            _ => {
                self.wrong_type(key, value, "a string", problems);
                None
            }
        }
    }

    /// [`Self::string`], reporting its absence.
    pub fn required_string(&self, key: &str, problems: &mut Problems) -> Option<Spanned<String>> {
        if self.get(key).is_none() {
            self.missing(key, problems);
        }
        self.string(key, problems)
    }

    /// The boolean value of `key`, if present and a boolean.
    pub fn bool(&self, key: &str, problems: &mut Problems) -> Option<bool> {
        let value = self.get(key)?;
        match value.get_ref() {
            DeValue::Boolean(flag) => Some(*flag),
            _ => {
                self.wrong_type(key, value, "true or false", problems);
                None
            }
        }
    }

    /// The value of `key` as an integer in `0..=max`, if present and one.
    pub fn integer(
        &self,
        key: &str,
        range: RangeInclusive<u64>,
        problems: &mut Problems,
    ) -> Option<Spanned<u64>> {
        let value = self.get(key)?;
        integer_value(value, range)
            .map_err(|reason| problems.at(&value.span(), &self.what(key), reason))
            .ok()
    }

    /// The value of `key` as a duration in nanoseconds, if present and
    /// valid; zero is refused when `nonzero`.
    pub fn duration(
        &self,
        key: &str,
        nonzero: bool,
        problems: &mut Problems,
    ) -> Option<Spanned<u64>> {
        let ns = self.parsed(key, Quantity::Duration, problems)?;
        if nonzero && *ns.get_ref() == 0 {
            problems.at(&ns.span(), &self.what(key), "must be greater than 0");
            return None;
        }
        Some(ns)
    }

    /// [`Self::duration`], reporting its absence.
    pub fn required_duration(&self, key: &str, problems: &mut Problems) -> Option<Spanned<u64>> {
        if self.get(key).is_none() {
            self.missing(key, problems);
        }
        self.duration(key, true, problems)
    }

    /// The value of `key` as a size in bytes, if present and valid.
    pub fn size(&self, key: &str, problems: &mut Problems) -> Option<Spanned<u64>> {
        self.parsed(key, Quantity::Size, problems)
    }

    /// The strings of the array at `key` (empty if absent; entries that are
    /// not strings are reported and left out).
    pub fn strings(&self, key: &str, problems: &mut Problems) -> Vec<Spanned<String>> {
        let Some(value) = self.get(key) else { return Vec::new() };
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(key, value, "an array of strings", problems);
            return Vec::new();
        };
        let mut strings = Vec::new();
        for item in items {
            match item.get_ref() {
                DeValue::String(text) => strings.push(Spanned::new(item.span(), text.to_string())),
                _ => self.wrong_type(key, item, "a string", problems),
            }
        }
        strings
    }

    /// The table at `key`, if present and a table.
    pub fn table(
        &self,
        key: &str,
        problems: &mut Problems,
    ) -> Option<(&'t DeTable<'i>, Range<usize>)> {
        let value = self.get(key)?;
        match value.get_ref() {
            DeValue::Table(table) => Some((table, value.span())),
            _ => {
                self.wrong_type(key, value, "a table", problems);
                None
            }
        }
    }

    /// The tables of the array at `key` (empty if absent; entries that are
    /// not tables are reported and left out).
    pub fn tables(
        &self,
        key: &str,
        problems: &mut Problems,
    ) -> Vec<(&'t DeTable<'i>, Range<usize>)> {
        let Some(value) = self.get(key) else { return Vec::new() };
        array_of_tables(value, &self.what(key), problems)
    }
}

/// The tables of `value`, which must be an array of tables; `what` names
/// it in messages.
pub(crate) fn array_of_tables<'t, 'i>(
    value: &'t Spanned<DeValue<'i>>,
    what: &str,
    problems: &mut Problems,
) -> Vec<(&'t DeTable<'i>, Range<usize>)> {
    let DeValue::Array(items) = value.get_ref() else {
        problems.at(
            &value.span(),
            what,
            format!("must be an array of tables ({})", found(value.get_ref())),
        );
        return Vec::new();
    };
    let mut tables = Vec::new();
    for item in items {
        match item.get_ref() {
            DeValue::Table(table) => tables.push((table, item.span())),
            other => {
                problems.at(&item.span(), what, format!("must hold tables ({})", found(other)))
            }
        }
    }
    tables
}

/// `value` as an integer in `0..=max`, or the reason it is not one.
pub(crate) fn integer_value(
    value: &Spanned<DeValue>,
    range: RangeInclusive<u64>,
) -> Result<Spanned<u64>, String> {
    let DeValue::Integer(integer) = value.get_ref() else {
        return Err(format!("must be an integer ({})", found(value.get_ref())));
    };
    match u64::from_str_radix(integer.as_str(), integer.radix()) {
        Ok(number) if range.contains(&number) => Ok(Spanned::new(value.span(), number)),
        _ => Err(format!(
            "{integer} is out of range: it must be between {} and {}",
            range.start(),
            range.end()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locate(text: &str, offset: usize) -> Location {
        LineIndex::new(text).locate(offset)
    }

    /// What [`LineIndex::locate`] must find, by scanning `text` up to
    /// `offset`.
    fn scanned(text: &str, offset: usize) -> Location {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        Location {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(locate("ab\ncd", 0), Location { line: 1, column: 1 });
        assert_eq!(locate("ab\ncd", 4), Location { line: 2, column: 2 });
        assert_eq!(locate("é = 1", 3), Location { line: 1, column: 3 });
        assert_eq!(locate("é", 1), Location { line: 1, column: 1 }, "inside a character");
        assert_eq!(locate("ab", 99), Location { line: 1, column: 3 });
        assert_eq!(locate("", 0), Location { line: 1, column: 1 });
        assert_eq!(locate("a\n", 2), Location { line: 2, column: 1 });
    }

    #[test]
    fn long_lines_of_many_scripts_are_located_like_a_scan_finds() {
        // Lines and characters straddling the index's steps.
        let line: String = "aé€😀 =\t".repeat(CHARS_STEP / 3);
        let text = format!("{line}\n\n{line}\r\n{}", "x".repeat(CHARS_STEP));
        let index = LineIndex::new(&text);
        for offset in (0..=text.len() + 1).step_by(7).chain([CHARS_STEP, 2 * CHARS_STEP]) {
            assert_eq!(index.locate(offset), scanned(&text, offset), "offset {offset}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_offset_is_located_like_a_scan_finds(text in "(?s).{0,300}", offset in 0usize..1300) {
            proptest::prop_assert_eq!(locate(&text, offset), scanned(&text, offset));
        }
    }

    #[test]
    fn typos_get_a_suggestion() {
        let keys = ["name", "program", "period", "slice", "latency"];
        assert_eq!(suggestion("slise", &keys), Some("slice"));
        assert_eq!(suggestion("perod", &keys), Some("period"));
        assert_eq!(suggestion("programme", &keys), Some("program"));
        assert_eq!(suggestion("colour", &keys), None);
        assert_eq!(suggestion("x", &keys), None);
        assert_eq!(suggestion("LATENCY", &keys), Some("latency"), "case");
        let schedulers = ["fifo", "edf", "round-robin"];
        assert_eq!(suggestion("EDF", &schedulers), Some("edf"));
        assert_eq!(suggestion("roundrobin", &schedulers), Some("round-robin"));
        assert_eq!(
            did_you_mean("Fifo", &schedulers, |close| format!("{close:?}")).as_deref(),
            Some("did you mean \"fifo\"?")
        );
    }

    #[test]
    fn problems_come_out_in_file_order_whole_file_last() {
        let text = "a\nb\nc\n";
        let mut problems = Problems::new("f.toml", text);
        problems.global("overall");
        problems.at(&(4..5), "third", "x");
        problems.report(Problem::at(&(0..1), "first", "y").help("z"));
        problems.warn(Problem::at(&(2..3), "second", "w"));
        assert_eq!(problems.count(), 3);
        let (errors, warnings) = problems.into_reports();
        assert_eq!(
            errors.lines(),
            ["f.toml:1:1: first: y; help: z", "f.toml:3:1: third: x", "f.toml: overall"]
        );
        assert_eq!(warnings.lines(), ["f.toml:2:1: second: w"]);
    }
}
