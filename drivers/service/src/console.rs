//! The console service: text from many clients onto one UART, and typed
//! input to one of them, served by the `uart` driver. Its rules:
//!
//! - **Whole lines, named.** A client's text is assembled into lines
//!   ([`LineAssembler`]); each line goes out whole, as `[CLIENT] text`, never
//!   interleaved with another's. A line longer than [`LINE_MAX`] goes out
//!   in pieces, each a line of its own.
//! - **Only text.** Control characters other than tab (C0, DEL and C1) and
//!   bytes that are not UTF-8 become `?`, so that no client can move the
//!   terminal's cursor or pass for another.
//! - **Back-pressure, not loss, for output.** The driver takes a client's
//!   chunk only when its output queue has room for everything the chunk can
//!   produce; until then the chunk waits in the client's ring, and a client
//!   whose ring is full waits on its event.
//! - **Input to the focus.** Typed bytes go to the client that holds the
//!   focus; what does not fit its reply ring is lost and counted, as are
//!   the UART's own receive overruns.

use crate::ring::{Message, ServiceArea};

/// Bytes of text in one chunk.
pub const CHUNK: usize = 56;
/// The longest line that goes out in one piece.
pub const LINE_MAX: usize = 160;
/// Slots in each of a client's rings.
pub const RING_SLOTS: usize = 16;
/// The longest client name a line is prefixed with (longer ones are cut).
pub const NAME_MAX: usize = 16;

/// Text, one way or the other: output from a client, input to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Chunk {
    /// Bytes used in `bytes` (at most [`CHUNK`]).
    pub len: u32,
    /// [`OUTPUT`] or [`INPUT`].
    pub kind: u32,
    /// The text.
    pub bytes: [u8; CHUNK],
}

/// Client to driver: text to print.
pub const OUTPUT: u32 = 1;
/// Driver to client: typed bytes.
pub const INPUT: u32 = 2;
/// Client to driver: text to print, like [`OUTPUT`], and the driver answers
/// with a [`MARK`] when the first byte of the first line this chunk
/// completes enters the UART's transmit FIFO (for measuring the path).
pub const OUTPUT_MARKED: u32 = 3;
/// Driver to client: the instruction count (PMU event counter 0, which
/// every domain may read) at which a [`OUTPUT_MARKED`] line's first byte
/// entered the FIFO, in `bytes[..8]`, little-endian.
pub const MARK: u32 = 4;

// SAFETY: `#[repr(C)]` integers and bytes; every bit pattern is a value.
unsafe impl Message for Chunk {}

impl Chunk {
    /// A chunk of `kind` holding `bytes` (at most [`CHUNK`] of them are
    /// taken); returns it and how many were taken.
    pub fn of(kind: u32, bytes: &[u8]) -> (Self, usize) {
        let len = bytes.len().min(CHUNK);
        let mut chunk = Self { len: len as u32, kind, bytes: [0; CHUNK] };
        chunk.bytes[..len].copy_from_slice(&bytes[..len]);
        (chunk, len)
    }

    /// Its text, if it is a well-formed chunk of `kind` (a length past
    /// [`CHUNK`] or another kind is a broken protocol).
    pub fn text(&self, kind: u32) -> Option<&[u8]> {
        let len = usize::try_from(self.len).ok()?;
        (self.kind == kind).then(|| self.bytes.get(..len)).flatten()
    }

    /// A [`MARK`] chunk carrying `count`.
    pub fn mark(count: u64) -> Self {
        Self::of(MARK, &count.to_le_bytes()).0
    }

    /// The count a [`MARK`] chunk carries.
    pub fn marked_count(&self) -> Option<u64> {
        let bytes = self.text(MARK)?;
        Some(u64::from_le_bytes(bytes.try_into().ok()?))
    }
}

/// The shared region of one client of the console service.
pub type ConsoleArea = ServiceArea<Chunk, Chunk, RING_SLOTS>;

/// The most bytes of output one chunk can produce once prefixed: every
/// byte may end a line, and the line buffered before it may be full.
pub const fn chunk_output_max(name_len: usize) -> usize {
    let prefix = name_len + 3; // "[", name, "] "
    (CHUNK + 1) * (prefix + 2) + LINE_MAX + CHUNK
}

/// One client's line in the making.
pub struct LineAssembler {
    line: heapless::Vec<u8, LINE_MAX>,
}

impl Default for LineAssembler {
    fn default() -> Self {
        Self::new()
    }
}

impl LineAssembler {
    /// No text yet.
    pub const fn new() -> Self {
        Self { line: heapless::Vec::new() }
    }

    /// Adds `text`; calls `line` with each line it completes (without its
    /// newline), and with each [`LINE_MAX`] piece of a longer one, shown as
    /// text (see [`shown`]).
    pub fn push(&mut self, text: &[u8], mut line: impl FnMut(&[u8])) {
        for &byte in text {
            if byte == b'\n' {
                line(&shown(&self.line));
                self.line.clear();
                continue;
            }
            if self.line.push(byte).is_err() {
                line(&shown(&self.line));
                self.line.clear();
                let _ = self.line.push(byte);
            }
        }
    }
}

/// `line` as it may go out: UTF-8 text, with every control character (C0,
/// DEL and C1, U+0080 to U+009F) but tab, and every byte that is not valid
/// UTF-8, shown as `?`; never longer than `line`.
pub fn shown(line: &[u8]) -> heapless::Vec<u8, LINE_MAX> {
    // Plain printable ASCII, the common case, goes out as it is.
    if line.iter().all(|&b| b == b'\t' || (0x20..0x7f).contains(&b)) {
        return heapless::Vec::from_slice(&line[..line.len().min(LINE_MAX)]).unwrap_or_default();
    }
    let mut out = heapless::Vec::new();
    for chunk in line.utf8_chunks() {
        for c in chunk.valid().chars() {
            let mut bytes = [0; 4];
            let text: &[u8] = if c == '\t' || !c.is_control() {
                c.encode_utf8(&mut bytes).as_bytes()
            } else {
                b"?"
            };
            let _ = out.extend_from_slice(text);
        }
        for _ in chunk.invalid() {
            let _ = out.push(b'?');
        }
    }
    out
}

/// Writes `[name] line\r\n` into `out`: the form every line goes out in
/// (a carriage return too, as serial terminals want).
pub fn prefixed(name: &str, line: &[u8], mut out: impl FnMut(u8)) {
    let name = &name.as_bytes()[..name.len().min(NAME_MAX)];
    out(b'[');
    name.iter().copied().for_each(&mut out);
    out(b']');
    out(b' ');
    line.iter().copied().for_each(&mut out);
    out(b'\r');
    out(b'\n');
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    fn lines(pushes: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut a = LineAssembler::new();
        let mut out = Vec::new();
        for text in pushes {
            a.push(text, |line| out.push(line.to_vec()));
        }
        out
    }

    #[test]
    fn lines_are_assembled_across_chunks_and_controls_shown_as_text() {
        assert_eq!(lines(&[b"hel", b"lo\nwor", b"ld\n"]), [b"hello".to_vec(), b"world".to_vec()]);
        assert_eq!(lines(&[b"a\x1b[2Jb\tc\n"]), [b"a?[2Jb\tc".to_vec()]);
        // C1 controls (8-bit CSI), broken UTF-8 and DEL, shown as `?`;
        // other text kept.
        assert_eq!(lines(&["\u{9b}2J µs\n".as_bytes()]), ["?2J µs".as_bytes().to_vec()]);
        assert_eq!(lines(&[b"\xff\x7fok\n"]), [b"??ok".to_vec()]);
        assert_eq!(lines(&[b"no newline yet"]), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn a_long_line_goes_out_in_pieces() {
        let long = [b'x'; LINE_MAX + 10];
        let out = lines(&[&long, b"\n"]);
        assert_eq!(out.iter().map(Vec::len).collect::<Vec<_>>(), [LINE_MAX, 10]);
    }

    #[test]
    fn a_chunk_carries_at_most_its_size_and_checks_its_kind() {
        let (chunk, taken) = Chunk::of(OUTPUT, &[b'a'; 100]);
        assert_eq!(taken, CHUNK);
        assert_eq!(chunk.text(OUTPUT).map(<[u8]>::len), Some(CHUNK));
        assert_eq!(chunk.text(INPUT), None);
        let bad = Chunk { len: 1000, ..chunk };
        assert_eq!(bad.text(OUTPUT), None);
    }

    #[test]
    fn a_mark_carries_its_count() {
        assert_eq!(Chunk::mark(0x0123_4567_89ab).marked_count(), Some(0x0123_4567_89ab));
        assert_eq!(Chunk::of(INPUT, b"12345678").0.marked_count(), None);
    }

    #[test]
    fn lines_are_prefixed_with_the_clients_name() {
        let mut out = Vec::new();
        prefixed("shell", b"ls", |b| out.push(b));
        assert_eq!(out, b"[shell] ls\r\n");
    }

    proptest! {
        /// Whatever a client sends, it comes out in lines of at most
        /// `LINE_MAX` bytes of UTF-8 text that hold no control characters
        /// but tabs, never more bytes than went in, and no chunk produces
        /// more than `chunk_output_max` bytes.
        #[test]
        fn any_text_comes_out_whole_and_harmless(
            chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..=CHUNK), 0..40),
        ) {
            let mut a = LineAssembler::new();
            let (mut kept, mut seen): (Vec<u8>, Vec<u8>) = (Vec::new(), Vec::new());
            for chunk in &chunks {
                seen.extend(chunk.iter().filter(|&&b| b != b'\n'));
                let (mut produced, mut well_formed) = (0, true);
                a.push(chunk, |line| {
                    well_formed &= line.len() <= LINE_MAX;
                    let text = core::str::from_utf8(line);
                    well_formed &= text.is_ok_and(|t| t.chars().all(|c| c == '\t' || !c.is_control()));
                    kept.extend_from_slice(line);
                    prefixed("sixteen-bytes-nm", line, |_| produced += 1);
                });
                prop_assert!(well_formed);
                prop_assert!(produced <= chunk_output_max(NAME_MAX));
            }
            prop_assert!(kept.len() <= seen.len(), "shown text never grows");
        }
    }
}
