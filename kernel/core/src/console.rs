//! The console: the kernel's lines and the domains' output in one ordered
//! stream, buffered in a ring that the UART drains without anyone waiting
//! on it with interrupts masked.
//!
//! What the kernel guarantees about its console (the format is defined in
//! `vesper_abi::console`):
//!
//! 1. **Every line a domain writes appears as `[NAME] TEXT`**, the prefix
//!    added by the kernel. If another writer comes between a domain's
//!    unfinished line and its next bytes, the line is ended first, and the
//!    domain's next bytes start a new, prefixed line. So no domain output
//!    ever starts a line, and a kernel line always does.
//! 2. **A domain cannot drive the terminal.** In TEXT, control characters
//!    (C0 except tab, DEL, C1, and the Unicode line and paragraph
//!    separators) are written escaped (`\x1b`, `\u{9b}`), and so is every
//!    byte that is not part of valid UTF-8 (`\xff`); a newline ends the
//!    line. A character split across two `console_write` calls arrives as
//!    escaped bytes.
//! 3. **`console_write` never waits for the UART.** It takes as many bytes
//!    as fit in the ring below the kernel's reserve ([`KERNEL_RESERVE`])
//!    and returns how many it took; the caller tries the rest later. Its
//!    cost is bounded by `CONSOLE_WRITE_MAX` bytes of escaping plus one
//!    UART FIFO's worth of register writes.
//! 4. **The ring drains at every kernel entry** that reschedules, and while
//!    it holds bytes the kernel's timer fires at least every
//!    [`DRAIN_INTERVAL_NS`], less than a 16-byte FIFO takes to empty at
//!    115200 baud (1.39 ms), so the line stays busy.
//! 5. **Kernel lines never wait either.** A kernel line that does not fit
//!    whole is dropped and counted, and the next line that fits is preceded
//!    by `console: N kernel lines lost (the ring was full)`. Only the end of
//!    a run and a kernel panic wait, to flush everything before the core
//!    stops.

use core::fmt::{self, Write};
use heapless::Deque;

/// Bytes the ring holds.
pub const RING_BYTES: usize = 16 * 1024;
/// Bytes of the ring that only the kernel's own lines may fill, so that
/// domains printing flat out cannot crowd out a fault report.
pub const KERNEL_RESERVE: usize = 4 * 1024;
/// The longest kernel line kept whole; a longer one is cut.
pub const KERNEL_LINE_MAX: usize = 320;
/// While the ring holds bytes, the longest the kernel lets pass before it
/// refills the UART.
pub const DRAIN_INTERVAL_NS: u64 = 1_000_000;

/// Where the ring's bytes go: the UART's transmit FIFO.
pub trait Sink {
    /// Takes `byte` if there is room now; never waits.
    fn try_put(&mut self, byte: u8) -> bool;
}

/// The console's state: the ring and who owns the line being written.
#[derive(Default)]
pub struct Console {
    /// The bytes waiting for the UART, oldest first.
    ring: Deque<u8, RING_BYTES>,
    /// The domain whose line is unfinished, if any.
    open: Option<usize>,
    /// Kernel lines dropped since the last one that fitted.
    lost_lines: u64,
}

/// A few bytes assembled before they go into the ring, so that a unit of
/// output (a prefixed character, a kernel line) goes in whole or not at all.
struct Piece<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Piece<N> {
    const fn new() -> Self {
        Self { bytes: [0; N], len: 0 }
    }

    /// Appends as much of `bytes` as fits.
    fn push(&mut self, bytes: &[u8]) {
        let take = bytes.len().min(N - self.len);
        self.bytes[self.len..self.len + take].copy_from_slice(&bytes[..take]);
        self.len += take;
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl<const N: usize> Write for Piece<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s.as_bytes());
        Ok(())
    }
}

/// A line end as serial terminals want it.
const LINE_END: &[u8] = b"\r\n";
/// The longest piece one character of domain output becomes: an ended
/// line, the prefix with the longest name the DCB holds, and an escape.
const PIECE_MAX: usize = 64;

/// One unit of domain output: a character, or a byte that is not UTF-8.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Char(char),
    Byte(u8),
}

impl Unit {
    /// The bytes of domain output it stands for.
    fn len(self) -> usize {
        match self {
            Self::Char(c) => c.len_utf8(),
            Self::Byte(_) => 1,
        }
    }
}

/// Whether `c` must be escaped in domain output.
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t') || c == '\u{2028}' || c == '\u{2029}'
}

impl Console {
    /// An empty console.
    pub const fn new() -> Self {
        Self { ring: Deque::new(), open: None, lost_lines: 0 }
    }

    /// Whether every byte has gone to the UART.
    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    /// Appends `bytes`; the caller has checked that they fit.
    fn push(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            let _ = self.ring.push_back(byte);
        }
    }

    /// Writes one line of the kernel's (`line` holds no line end), or drops
    /// it whole if it does not fit.
    pub fn kernel_line(&mut self, line: &[u8]) {
        let mut piece = Piece::<{ KERNEL_LINE_MAX + 96 }>::new();
        if self.open.is_some() {
            piece.push(LINE_END);
        }
        if self.lost_lines > 0 {
            let _ = write!(
                piece,
                "console: {} kernel lines lost (the ring was full)\r\n",
                self.lost_lines
            );
        }
        piece.push(&line[..line.len().min(KERNEL_LINE_MAX)]);
        piece.push(LINE_END);
        if piece.len > RING_BYTES - self.ring.len() {
            self.lost_lines += 1;
            return;
        }
        self.push(piece.as_bytes());
        self.open = None;
        self.lost_lines = 0;
    }

    /// Writes `bytes` that domain `domain`, named `name`, printed, as far
    /// as they fit below the kernel's reserve. Returns how many bytes of
    /// `bytes` were taken.
    pub fn domain_write(&mut self, domain: usize, name: &str, bytes: &[u8]) -> usize {
        let limit = RING_BYTES - KERNEL_RESERVE;
        let mut taken = 0;
        for chunk in bytes.utf8_chunks() {
            let units = chunk
                .valid()
                .chars()
                .map(Unit::Char)
                .chain(chunk.invalid().iter().map(|&byte| Unit::Byte(byte)));
            for unit in units {
                let piece = self.domain_piece(domain, name, unit);
                if self.ring.len() + piece.len > limit {
                    return taken;
                }
                self.push(piece.as_bytes());
                self.open = if unit == Unit::Char('\n') { None } else { Some(domain) };
                taken += unit.len();
            }
        }
        taken
    }

    /// What one unit of domain output becomes, given who owns the line now.
    fn domain_piece(&self, domain: usize, name: &str, unit: Unit) -> Piece<PIECE_MAX> {
        let mut piece = Piece::new();
        if self.open != Some(domain) {
            if self.open.is_some() {
                piece.push(LINE_END);
            }
            let _ = write!(piece, "[{name}] ");
        }
        let _ = match unit {
            Unit::Char('\n') => piece.write_str("\r\n"),
            Unit::Char(c) if !needs_escape(c) => write!(piece, "{c}"),
            Unit::Char(c) if c.is_ascii() => write!(piece, "\\x{:02x}", c as u32),
            Unit::Char(c) => write!(piece, "\\u{{{:x}}}", c as u32),
            Unit::Byte(byte) => write!(piece, "\\x{byte:02x}"),
        };
        piece
    }

    /// Moves bytes into `sink` until it is full or the ring is empty.
    pub fn drain(&mut self, sink: &mut impl Sink) {
        while self.ring.front().is_some_and(|&byte| sink.try_put(byte)) {
            self.ring.pop_front();
        }
    }
}

/// Formats one or more kernel lines (split at `\n`) into `console`.
pub fn print_kernel(console: &mut Console, args: fmt::Arguments<'_>) {
    // Room for the longest multi-line message, the register dump of a
    // kernel exception.
    let mut text = Piece::<2048>::new();
    let _ = text.write_fmt(args);
    let text = text.as_bytes();
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    for line in text.split(|&b| b == b'\n') {
        console.kernel_line(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use vesper_abi::console::{origin, Origin};

    /// A sink that takes `room` bytes, then refuses.
    struct Uart {
        out: Vec<u8>,
        room: usize,
    }

    impl Sink for Uart {
        fn try_put(&mut self, byte: u8) -> bool {
            if self.room == 0 {
                return false;
            }
            self.room -= 1;
            self.out.push(byte);
            true
        }
    }

    fn everything(console: &mut Console) -> String {
        let mut uart = Uart { out: Vec::new(), room: usize::MAX };
        console.drain(&mut uart);
        String::from_utf8(uart.out).unwrap()
    }

    fn boxed() -> Box<Console> {
        Box::new(Console::new())
    }

    #[test]
    fn domain_lines_are_prefixed_and_interrupted_lines_ended() {
        let mut c = boxed();
        assert_eq!(c.domain_write(1, "ping", b"hello\nwor"), 9);
        c.kernel_line(b"stats domain=ping");
        c.domain_write(1, "ping", b"ld\n");
        c.domain_write(2, "pong", b"a");
        c.domain_write(1, "ping", b"b\n");
        assert_eq!(
            everything(&mut c),
            "[ping] hello\r\n[ping] wor\r\nstats domain=ping\r\n[ping] ld\r\n\
             [pong] a\r\n[ping] b\r\n"
        );
    }

    #[test]
    fn control_characters_and_bad_bytes_are_escaped() {
        let mut c = boxed();
        c.domain_write(
            0,
            "evil",
            b"\x1b[2J\rstats\tx\x7f \xc2\x9b \xe2\x80\xa8 \xff ok \xc3\xa9\n",
        );
        assert_eq!(
            everything(&mut c),
            "[evil] \\x1b[2J\\x0dstats\tx\\x7f \\u{9b} \\u{2028} \\xff ok \u{e9}\r\n"
        );
    }

    #[test]
    fn domains_stop_at_the_reserve_and_the_kernel_still_fits() {
        let mut c = boxed();
        let flood = [b'x'; 512];
        let mut taken = 0;
        for _ in 0..100 {
            taken += c.domain_write(0, "d", &flood);
        }
        let limit = RING_BYTES - KERNEL_RESERVE;
        assert_eq!(taken, limit - "[d] ".len(), "one prefix, then bytes up to the limit");
        assert_eq!(c.domain_write(0, "d", b"more"), 0, "a full ring takes nothing");
        c.kernel_line(b"domain d faulted");
        let out = everything(&mut c);
        assert!(out.ends_with("x\r\ndomain d faulted\r\n"));
    }

    #[test]
    fn a_stuck_uart_is_never_waited_for() {
        // A physical UART at 115200 baud that takes nothing more: every
        // call returns at once, having asked the FIFO once.
        let mut c = boxed();
        let mut uart = Uart { out: Vec::new(), room: 16 };
        let line = [b'x'; 512];
        let mut taken = 0;
        for _ in 0..40 {
            taken += c.domain_write(0, "d", &line);
            c.kernel_line(b"a kernel line");
            let before = uart.out.len();
            c.drain(&mut uart);
            assert!(uart.out.len() - before <= 16, "no more than the FIFO holds");
        }
        assert!(taken < 40 * 512, "the domain was told to try later");
        assert_eq!(uart.out.len(), 16);
        assert!(c.ring.len() <= RING_BYTES);
    }

    #[test]
    fn kernel_lines_that_do_not_fit_are_counted_and_reported() {
        let mut c = boxed();
        let line = [b'k'; KERNEL_LINE_MAX];
        let fits = RING_BYTES / (KERNEL_LINE_MAX + 2);
        for _ in 0..fits + 3 {
            c.kernel_line(&line);
        }
        let mut uart = Uart { out: Vec::new(), room: 4096 };
        c.drain(&mut uart);
        assert_eq!(
            c.ring.len(),
            fits * (KERNEL_LINE_MAX + 2) - 4096,
            "drains only what the sink took"
        );
        c.kernel_line(b"after");
        let out = everything(&mut c);
        assert!(out.ends_with("console: 3 kernel lines lost (the ring was full)\r\nafter\r\n"));
    }

    #[test]
    fn long_kernel_lines_are_cut_and_several_lines_split() {
        let mut c = boxed();
        print_kernel(&mut c, format_args!("{}\nsecond\n", "a".repeat(KERNEL_LINE_MAX + 10)));
        let out = everything(&mut c);
        let lines: Vec<&str> = out.split("\r\n").collect();
        assert_eq!(lines[0].len(), KERNEL_LINE_MAX);
        assert_eq!(lines[1..], ["second", ""]);
    }

    proptest! {
        /// Whatever domains write, between kernel lines, every line of the
        /// output is attributed to its real writer and holds no control
        /// character but tab.
        #[test]
        fn every_line_tells_its_writer(
            writes in proptest::collection::vec(
                (0usize..3, proptest::collection::vec(any::<u8>(), 0..40)), 0..40),
        ) {
            let names = ["a", "b-2", "stats"];
            let mut c = boxed();
            let mut kernel_lines = 0;
            for (writer, bytes) in &writes {
                if *writer == 2 && bytes.first() == Some(&0) {
                    c.kernel_line(b"stats domain=a cpu_ns=1");
                    kernel_lines += 1;
                } else {
                    c.domain_write(*writer, names[*writer], bytes);
                }
            }
            let out = everything(&mut c);
            let mut seen_kernel = 0;
            for line in out.split("\r\n") {
                prop_assert!(!line.chars().any(needs_escape), "{line:?}");
                match origin(line) {
                    Origin::Kernel("") => {}
                    Origin::Kernel(text) => {
                        prop_assert_eq!(text, "stats domain=a cpu_ns=1");
                        seen_kernel += 1;
                    }
                    Origin::Domain { name, .. } => prop_assert!(names.contains(&name)),
                }
            }
            prop_assert_eq!(seen_kernel, kernel_lines);
        }
    }
}
