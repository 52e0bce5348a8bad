//! The chainload protocol: how `cargo xtask chainboot` sends a kernel
//! image over a serial line to the chainloader (`chainloader/`), which the
//! SD card boots instead of a kernel. One definition for both ends.
//!
//! 1. The loader asks: it writes [`REQUEST`] on its serial line, again
//!    every [`REQUEST_INTERVAL_MS`] while nothing comes, so that a host
//!    that opens the line late still sees it.
//! 2. The host sends one frame: [`MAGIC`], the image's size (`u32`,
//!    little-endian, 1 to [`MAX_IMAGE`]), the image, and its CRC-32 (IEEE,
//!    `u32` little-endian). Bytes before the magic are skipped.
//! 3. The loader answers [`OK`] and jumps to the image at
//!    [`LOAD_ADDRESS`], or answers [`ERROR`] and a reason (`size`,
//!    `checksum`, `timeout`: no byte for [`BYTE_TIMEOUT_MS`] inside a
//!    frame) on one line, and waits for the next frame (asking again).
//!
//! [`Receiver`] is the loader's side as a pure state machine, so that the
//! host tests it.

/// What the loader writes when it waits for a kernel.
pub const REQUEST: &[u8] = b"VESPER-CHAINLOAD: send a kernel\r\n";
/// How often the loader asks while nothing comes.
pub const REQUEST_INTERVAL_MS: u64 = 1_000;
/// The first bytes of a frame.
pub const MAGIC: [u8; 4] = *b"VKRN";
/// The largest image the loader takes (it lives above it).
pub const MAX_IMAGE: u32 = 64 << 20;
/// Where the image goes and runs: where the firmware loads `kernel8.img`.
pub const LOAD_ADDRESS: u64 = 0x8_0000;
/// How long the loader waits for the next byte of a frame it has started.
pub const BYTE_TIMEOUT_MS: u64 = 2_000;
/// The loader's answer to a good frame, before it jumps.
pub const OK: &[u8] = b"VESPER-CHAINLOAD: OK\r\n";
/// The start of the loader's answer to a bad frame; the reason and a line
/// end follow.
pub const ERROR: &[u8] = b"VESPER-CHAINLOAD: ERROR ";

/// The frame's bytes before the image: the magic and the size.
pub fn header(size: u32) -> [u8; 8] {
    let mut header = [0; 8];
    header[..4].copy_from_slice(&MAGIC);
    header[4..].copy_from_slice(&size.to_le_bytes());
    header
}

/// The frame's bytes after the image: its CRC-32.
pub fn trailer(image: &[u8]) -> [u8; 4] {
    crc32fast::hash(image).to_le_bytes()
}

/// Why a frame was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The size was 0 or above [`MAX_IMAGE`].
    Size,
    /// The image did not match its CRC-32.
    Checksum,
    /// The frame stopped coming.
    Timeout,
}

impl Failure {
    /// The reason, as the loader's [`ERROR`] line gives it.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Size => "size",
            Self::Checksum => "checksum",
            Self::Timeout => "timeout",
        }
    }
}

/// What one byte fed to a [`Receiver`] means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing to do yet.
    Nothing,
    /// The image's byte at `offset`: store it at [`LOAD_ADDRESS`] + `offset`.
    Byte {
        /// Where in the image.
        offset: u32,
        /// The byte.
        byte: u8,
    },
    /// The frame is over: an image of that size is in place, or refused.
    Done(Result<u32, Failure>),
}

/// Where in a frame the receiver is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    /// Looking for the magic; how many of its bytes matched.
    Magic(usize),
    /// The size's bytes so far.
    Size { bytes: [u8; 4], got: usize },
    /// The image: its size and how much came.
    Image { size: u32, got: u32 },
    /// The checksum's bytes so far.
    Checksum { size: u32, bytes: [u8; 4], got: usize },
}

/// The loader's side of a frame, one byte at a time.
#[derive(Clone)]
pub struct Receiver {
    part: Part,
    crc: crc32fast::Hasher,
}

impl Default for Receiver {
    fn default() -> Self {
        Self::new()
    }
}

impl Receiver {
    /// Waiting for a frame.
    pub fn new() -> Self {
        Self { part: Part::Magic(0), crc: crc32fast::Hasher::new() }
    }

    /// Whether a frame has started (past its magic): only then does the
    /// loader time out.
    pub fn in_frame(&self) -> bool {
        !matches!(self.part, Part::Magic(_))
    }

    /// The frame stopped coming: it is dropped, and the receiver waits for
    /// the next.
    pub fn time_out(&mut self) -> Step {
        *self = Self::new();
        Step::Done(Err(Failure::Timeout))
    }

    /// Takes the next byte off the line.
    pub fn feed(&mut self, byte: u8) -> Step {
        match self.part {
            Part::Magic(matched) => {
                self.part = if byte == MAGIC[matched] {
                    match matched + 1 {
                        4 => Part::Size { bytes: [0; 4], got: 0 },
                        next => Part::Magic(next),
                    }
                } else {
                    Part::Magic(usize::from(byte == MAGIC[0]))
                };
                Step::Nothing
            }
            Part::Size { mut bytes, got } => {
                bytes[got] = byte;
                if got < 3 {
                    self.part = Part::Size { bytes, got: got + 1 };
                    return Step::Nothing;
                }
                let size = u32::from_le_bytes(bytes);
                if size == 0 || size > MAX_IMAGE {
                    *self = Self::new();
                    return Step::Done(Err(Failure::Size));
                }
                self.part = Part::Image { size, got: 0 };
                Step::Nothing
            }
            Part::Image { size, got } => {
                self.crc.update(&[byte]);
                self.part = if got + 1 == size {
                    Part::Checksum { size, bytes: [0; 4], got: 0 }
                } else {
                    Part::Image { size, got: got + 1 }
                };
                Step::Byte { offset: got, byte }
            }
            Part::Checksum { size, mut bytes, got } => {
                bytes[got] = byte;
                if got < 3 {
                    self.part = Part::Checksum { size, bytes, got: got + 1 };
                    return Step::Nothing;
                }
                let sent = u32::from_le_bytes(bytes);
                let computed = core::mem::take(&mut self.crc).finalize();
                *self = Self::new();
                Step::Done(if sent == computed { Ok(size) } else { Err(Failure::Checksum) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    /// Feeds `bytes`; returns the image as stored and every frame's end.
    fn receive(bytes: &[u8]) -> (Vec<u8>, Vec<Result<u32, Failure>>) {
        let mut receiver = Receiver::new();
        let (mut image, mut ends) = (Vec::new(), Vec::new());
        for &byte in bytes {
            match receiver.feed(byte) {
                Step::Nothing => {}
                Step::Byte { offset, byte } => {
                    let offset = offset as usize;
                    if image.len() <= offset {
                        image.resize(offset + 1, 0);
                    }
                    image[offset] = byte;
                }
                Step::Done(end) => ends.push(end),
            }
        }
        (image, ends)
    }

    fn frame(image: &[u8]) -> Vec<u8> {
        [&header(image.len() as u32)[..], image, &trailer(image)].concat()
    }

    #[test]
    fn a_frame_after_noise_is_received_whole() {
        let image = b"the kernel".to_vec();
        let bytes = [&b"VKRVVK noise "[..], &frame(&image)].concat();
        assert_eq!(receive(&bytes), (image, std::vec![Ok(10)]));
    }

    #[test]
    fn a_bad_size_and_a_timeout_end_the_frame_and_the_next_is_taken() {
        let bytes = [&header(0)[..], &header(MAX_IMAGE + 1), &frame(b"ok")].concat();
        let (_, ends) = receive(&bytes);
        assert_eq!(ends, [Err(Failure::Size), Err(Failure::Size), Ok(2)]);
        let mut receiver = Receiver::new();
        for &byte in &header(100)[..] {
            receiver.feed(byte);
        }
        assert!(receiver.in_frame());
        assert_eq!(receiver.time_out(), Step::Done(Err(Failure::Timeout)));
        assert!(!receiver.in_frame());
    }

    proptest! {
        /// Any image comes through; any one byte flipped in the image or
        /// its checksum is caught, and the next frame still comes through.
        #[test]
        fn corruption_is_caught_and_the_next_frame_is_taken(
            image in proptest::collection::vec(any::<u8>(), 1..2000),
            at in any::<usize>(), flip in 1u8..,
        ) {
            let good = frame(&image);
            prop_assert_eq!(receive(&good), (image.clone(), std::vec![Ok(image.len() as u32)]));
            let mut bad = good.clone();
            let at = 8 + at % (image.len() + 4);
            bad[at] ^= flip;
            let (_, ends) = receive(&[bad, good].concat());
            prop_assert_eq!(ends, std::vec![Err(Failure::Checksum), Ok(image.len() as u32)]);
        }
    }
}
