//! The console's line format: how a reader tells the kernel's lines from
//! what domains printed.
//!
//! The kernel writes every line of a domain's output as `[NAME] TEXT`,
//! adding the prefix itself (NAME is the domain's manifest name: letters,
//! digits, `_` and `-`), and escapes control characters in TEXT, so a
//! domain can neither start a line of its own nor move the cursor. The
//! kernel's own lines never start that way: its log stamps lines with
//! `[  SECONDS.MICROS]`, whose dot no name has, and its report lines start
//! with a word. [`origin`] is the one parser of that rule, for the test
//! harness and for tools reading a run's output.

use crate::dcb::Accounting;

/// Who wrote a console line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin<'a> {
    /// The kernel wrote it; the whole line.
    Kernel(&'a str),
    /// Domain `name` printed `text`.
    Domain {
        /// The domain's manifest name.
        name: &'a str,
        /// What it printed, escaped by the kernel.
        text: &'a str,
    },
}

/// Whether `name` could be a domain's name.
fn is_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Who wrote `line` (one line of console output, without its line end).
pub fn origin(line: &str) -> Origin<'_> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    line.strip_prefix('[')
        .and_then(|rest| rest.split_once("] "))
        .filter(|(name, _)| is_name(name))
        .map_or(Origin::Kernel(line), |(name, text)| Origin::Domain { name, text })
}

/// The `stats` line of the kernel's end-of-run report, one per domain,
/// defined once for the kernel that prints it and the tools that read it:
///
/// `stats domain=a cpu_ns=10 guaranteed_ns=8 extra_ns=2 activations=3 preemptions=2 blocks=1 fp_traps=0 state=exited(0)`
///
/// `S` is how the state is held: the kernel prints its own type; a reader
/// gets the word (`running`, `exited(N)`, `faulted`, `stopped`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatsLine<'a, S = &'a str> {
    /// The domain's name.
    pub domain: &'a str,
    /// Its accounting, as its DCB shows it.
    pub time: Accounting,
    /// How it stands at the end.
    pub state: S,
}

/// A stats line reads as its accounting (`stats.cpu_ns`).
impl<S> core::ops::Deref for StatsLine<'_, S> {
    type Target = Accounting;

    fn deref(&self) -> &Accounting {
        &self.time
    }
}

impl<S: core::fmt::Display> core::fmt::Display for StatsLine<'_, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "stats domain={} cpu_ns={} guaranteed_ns={} extra_ns={} activations={} \
             preemptions={} blocks={} fp_traps={} state={}",
            self.domain,
            self.time.cpu_ns,
            self.time.guaranteed_ns,
            self.time.extra_ns,
            self.time.activations,
            self.time.preemptions,
            self.time.blocks,
            self.time.fp_traps,
            self.state
        )
    }
}

impl<'a> StatsLine<'a> {
    /// Reads a `stats` line as the kernel prints it; `None` if it is not
    /// one or lacks a field. Only kernel lines ([`origin`]) should be given:
    /// a domain can print anything.
    pub fn parse(line: &'a str) -> Option<Self> {
        let mut fields = line.strip_prefix("stats ")?.split(' ');
        let mut next = |key: &str| {
            let (found, value) = fields.next()?.split_once('=')?;
            (found == key).then_some(value)
        };
        let domain = next("domain")?;
        let mut number = |key: &str| next(key)?.parse::<u64>().ok();
        let time = Accounting {
            cpu_ns: number("cpu_ns")?,
            guaranteed_ns: number("guaranteed_ns")?,
            extra_ns: number("extra_ns")?,
            activations: number("activations")?,
            preemptions: number("preemptions")?,
            blocks: number("blocks")?,
            fp_traps: number("fp_traps")?,
        };
        let line = Self { domain, time, state: next("state")? };
        fields.next().is_none().then_some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_lines_carry_their_name() {
        assert_eq!(origin("[ping] hello"), Origin::Domain { name: "ping", text: "hello" });
        assert_eq!(origin("[a-1_b] "), Origin::Domain { name: "a-1_b", text: "" });
        assert_eq!(
            origin("[evil] stats domain=x cpu_ns=1"),
            Origin::Domain { name: "evil", text: "stats domain=x cpu_ns=1" }
        );
    }

    #[test]
    fn stats_lines_print_and_parse_back() {
        let text = "stats domain=a cpu_ns=10 guaranteed_ns=8 extra_ns=2 activations=3 \
                    preemptions=2 blocks=1 fp_traps=0 state=exited(0)";
        let line = StatsLine::parse(text).unwrap();
        assert_eq!(
            (line.domain, line.cpu_ns, line.extra_ns, line.state),
            ("a", 10, 2, "exited(0)")
        );
        let mut printed = [0u8; 128];
        let mut out = Cursor { bytes: &mut printed, len: 0 };
        core::fmt::write(&mut out, format_args!("{line}")).unwrap();
        assert_eq!(core::str::from_utf8(&out.bytes[..out.len]), Ok(text));
        assert_eq!(StatsLine::parse("stats domain=a cpu_ns=x"), None);
        assert_eq!(StatsLine::parse("[a] stats domain=a"), None);
    }

    /// A `fmt::Write` into a byte buffer (the crate is `no_std`).
    struct Cursor<'b> {
        bytes: &'b mut [u8],
        len: usize,
    }

    impl core::fmt::Write for Cursor<'_> {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            let end = self.len + s.len();
            self.bytes
                .get_mut(self.len..end)
                .ok_or(core::fmt::Error)?
                .copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }

    #[test]
    fn kernel_lines_are_everything_else() {
        for line in [
            "[    0.000121] INFO  Vesper 0.1.0",
            "[12345.000001] ERROR domain a faulted",
            "stats domain=a cpu_ns=10",
            "KERNEL PANIC at x.rs:1:1: boom",
            "[] x",
            "[a b] x",
            "",
        ] {
            assert_eq!(origin(line), Origin::Kernel(line), "{line:?}");
        }
        assert_eq!(origin("stats x\r"), Origin::Kernel("stats x"));
    }
}
