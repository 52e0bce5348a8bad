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
