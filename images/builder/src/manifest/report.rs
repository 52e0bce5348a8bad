//! What checking a manifest found: its problems (or its warnings), each
//! with its place in the file, in two forms. One line per problem
//! (`file:line:col: what: reason; help: fix`) is the [`Report`]'s
//! `Display`, what error chains and tests read; [`Report::render`] is
//! rustc's form, for people: the source line, the span underlined, the
//! other places involved labelled, and a `help:` line where a fix is known.

use super::reader::Location;
use annotate_snippets::{normalize_untrusted_str, AnnotationKind, Group, Level, Origin};
use annotate_snippets::{Renderer, Snippet};
use std::fmt;
use std::ops::Range;

/// Whether a report refuses the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The manifest is refused.
    Error,
    /// The manifest is valid, but probably not what was meant (`cargo xtask
    /// check --deny-warnings` refuses it too).
    Warning,
}

/// One problem found in a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The bytes of the manifest it is about; none for the whole file.
    pub span: Option<Range<usize>>,
    /// What it is about (``domain "a", key `slice` ``); empty for the
    /// whole file.
    pub what: String,
    /// What is wrong.
    pub reason: String,
    /// How to fix it, when that is known.
    pub help: Option<String>,
    /// The other places involved, each with a label (the domains that
    /// admission control adds up, the first of two equal names, ...).
    pub related: Vec<(Range<usize>, String)>,
}

impl Problem {
    /// `reason` about `what` (such as ``domain "a", key `slice` ``) at
    /// `span`.
    pub fn at(span: &Range<usize>, what: &str, reason: impl Into<String>) -> Self {
        Self {
            span: Some(span.clone()),
            what: what.to_string(),
            reason: reason.into(),
            help: None,
            related: Vec::new(),
        }
    }

    /// A problem of the whole file.
    pub fn global(reason: impl Into<String>) -> Self {
        Self {
            span: None,
            what: String::new(),
            reason: reason.into(),
            help: None,
            related: Vec::new(),
        }
    }

    /// The problem with `help`, how to fix it.
    pub fn help(self, help: impl Into<String>) -> Self {
        Self { help: Some(help.into()), ..self }
    }

    /// The problem with `help` if there is one.
    pub fn maybe_help(self, help: Option<String>) -> Self {
        Self { help, ..self }
    }

    /// The problem with another place involved, `span`, labelled `label`.
    pub fn also(mut self, span: &Range<usize>, label: impl Into<String>) -> Self {
        self.related.push((span.clone(), label.into()));
        self
    }

    /// What it says, without its place: `what: reason`.
    pub fn message(&self) -> String {
        if self.what.is_empty() {
            self.reason.clone()
        } else {
            format!("{}: {}", self.what, self.reason)
        }
    }
}

/// Every problem of one kind ([`Severity`]) found in one manifest, with
/// the manifest's text to show them in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    severity: Severity,
    /// The file, as messages name it.
    file: String,
    text: String,
    /// The byte offset of each line's first byte.
    line_starts: Vec<usize>,
    /// The problems in file order (whole-file ones last), each with where
    /// it starts.
    problems: Vec<(Problem, Option<Location>)>,
}

impl Report {
    /// The report of `problems` (each with where it starts) in `text`,
    /// read from `file`.
    pub(crate) fn new(
        severity: Severity,
        file: &str,
        text: &str,
        mut problems: Vec<(Problem, Option<Location>)>,
    ) -> Self {
        // A stable sort: problems at one place stay in the order found.
        problems.sort_by_key(|(problem, _)| problem.span.as_ref().map_or(usize::MAX, |s| s.start));
        let newlines = text.bytes().enumerate().filter(|&(_, byte)| byte == b'\n');
        let line_starts = std::iter::once(0).chain(newlines.map(|(at, _)| at + 1)).collect();
        Self { severity, file: file.to_string(), text: text.to_string(), line_starts, problems }
    }

    /// Whether it refuses the manifest.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The file, as messages name it.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Whether it holds no problem.
    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }

    /// How many problems it holds.
    pub fn len(&self) -> usize {
        self.problems.len()
    }

    /// The problems, in file order (whole-file ones last).
    pub fn problems(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().map(|(problem, _)| problem)
    }

    /// Each problem on one line: `file:line:column: what: reason; help:
    /// fix` (`file: reason` for the whole file).
    pub fn lines(&self) -> Vec<String> {
        self.problems
            .iter()
            .map(|(problem, at)| {
                let place = match at {
                    Some(Location { line, column }) => format!("{}:{line}:{column}", self.file),
                    None => self.file.clone(),
                };
                let help = problem.help.as_ref().map_or(String::new(), |h| format!("; help: {h}"));
                format!("{place}: {}{help}", problem.message())
            })
            .collect()
    }

    /// The closing line: how many problems, and what they mean.
    fn headline(&self) -> String {
        let count = self.problems.len();
        match self.severity {
            Severity::Error => {
                let noun = if count == 1 { "problem" } else { "problems" };
                format!("invalid manifest {} ({count} {noun})", self.file)
            }
            Severity::Warning => {
                let noun = if count == 1 { "warning" } else { "warnings" };
                format!("manifest {} has {count} {noun}", self.file)
            }
        }
    }

    /// Every problem the way rustc shows one (the file, line and column,
    /// the line itself with the span underlined, the other places
    /// involved, `help:`), a blank line after each, then a closing line
    /// (ANSI colours if `colour`).
    pub fn render(&self, colour: bool) -> String {
        let renderer = if colour { Renderer::styled() } else { Renderer::plain() };
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let mut out = String::new();
        for (problem, _) in &self.problems {
            let title = level.clone().primary_title(normalize_untrusted_str(&problem.message()));
            let mut group = match self.snippet(problem) {
                Some(snippet) => title.element(snippet),
                None => title.element(Origin::path(self.file.as_str())),
            };
            if let Some(help) = &problem.help {
                group = group.element(Level::HELP.message(normalize_untrusted_str(help)));
            }
            out.push_str(&renderer.render(&[group]));
            out.push_str("\n\n");
        }
        let closing = Group::with_title(level.primary_title(self.headline()));
        out.push_str(&renderer.render(&[closing]));
        out.push('\n');
        out
    }

    /// The 1-based line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset)
    }

    /// Where the 1-based `line`'s text ends: before its `\n` or `\r\n`.
    fn line_end(&self, line: usize) -> usize {
        let Some(&next) = self.line_starts.get(line) else { return self.text.len() };
        let end = next - 1;
        if end > self.line_starts[line - 1] && self.text.as_bytes()[end - 1] == b'\r' {
            end - 1
        } else {
            end
        }
    }

    /// `span` kept to the text, to whole characters and to its first line:
    /// a table's span covers all its lines, but its first names it.
    fn on_one_line(&self, span: &Range<usize>) -> Range<usize> {
        let floor = |mut at: usize| {
            at = at.min(self.text.len());
            while !self.text.is_char_boundary(at) {
                at -= 1;
            }
            at
        };
        let start = floor(span.start);
        let end = floor(span.end.min(self.line_end(self.line_of(start))));
        start..end.max(start)
    }

    /// The lines of the file that `problem`'s places are on, annotated;
    /// none for a problem of the whole file with no place involved.
    fn snippet<'r>(
        &'r self,
        problem: &Problem,
    ) -> Option<Snippet<'r, annotate_snippets::Annotation<'r>>> {
        let primary = problem.span.as_ref().map(|span| (AnnotationKind::Primary, span, None));
        let related = problem.related.iter().map(|(span, label)| {
            (AnnotationKind::Context, span, Some(normalize_untrusted_str(label)))
        });
        let places: Vec<_> = primary
            .into_iter()
            .chain(related)
            .map(|(kind, span, label)| (kind, self.on_one_line(span), label))
            .collect();
        // Only the lines between the first place and the last are shown
        // to the renderer, so that rendering stays quick in a long file.
        let first = places.iter().map(|(_, span, _)| span.start).min()?;
        let last = places.iter().map(|(_, span, _)| span.end).max()?;
        let first_line = self.line_of(first);
        let from = self.line_starts[first_line - 1];
        // A place on a line's `\r` (a stray one) keeps it.
        let to = self.line_end(self.line_of(last)).max(last);
        let mut snippet =
            Snippet::source(&self.text[from..to]).line_start(first_line).path(self.file.as_str());
        for (kind, span, label) in places {
            let annotation = kind.span(span.start - from..span.end - from);
            snippet = snippet.annotation(match label {
                Some(label) => annotation.label(label),
                None => annotation,
            });
        }
        Some(snippet)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.headline())?;
        for line in self.lines() {
            write!(f, "\n  {line}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Report {}

#[cfg(test)]
mod tests {
    use super::*;

    /// `problems` of `text` rendered without colour.
    fn rendered(text: &str, problems: Vec<Problem>) -> String {
        let located = problems.into_iter().map(|problem| (problem, None)).collect();
        Report::new(Severity::Error, "f.toml", text, located).render(false)
    }

    #[test]
    fn spans_are_kept_to_their_first_line_and_whole_characters() {
        let crlf = "a = 1\r\nb = \"x\"\r\n";
        assert_eq!(
            rendered(crlf, vec![Problem::at(&(11..99), "b", "to the end")]),
            "error: b: to the end\n --> f.toml:2:5\n  |\n2 | b = \"x\"\n  |     ^^^\n\n\
             error: invalid manifest f.toml (1 problem)\n"
        );
        // At the end of the text, or past it.
        let open = "a = \"open";
        let out = rendered(open, vec![Problem::at(&(9..9), "TOML syntax", "unterminated")]);
        assert!(out.contains("1 | a = \"open\n  |          ^\n"), "{out}");
        let out = rendered(open, vec![Problem::at(&(99..120), "x", "past")]);
        assert!(out.contains(" --> f.toml:1:10\n"), "{out}");
        // On the `\r` of a `\r\n`, and on the `\n`.
        for at in [5, 6] {
            let out = rendered(crlf, vec![Problem::at(&(at..at + 1), "a", "line end")]);
            assert!(out.contains(" --> f.toml:1:") && out.contains("1 | a = 1"), "{at}: {out}");
        }
        // Inside a character, a tab, and over several lines.
        let text = "\u{e9}\t= \"\u{65e5}\"\nnext\n";
        let out = rendered(text, vec![Problem::global("g").also(&(1..100), "all")]);
        assert!(out.contains("1 | \u{e9}    = \"\u{65e5}\"\n  | ----------- all\n"), "{out}");
    }
}
