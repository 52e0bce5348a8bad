//! The display service: the screen (the framebuffer the firmware
//! allocates through the mailbox service) shared by many clients, each
//! drawing into a back buffer of its own that the `display` driver copies
//! to the screen when the client presents part of it.
//!
//! A client's connection region (its ring and its back buffer,
//! [`AREA_SIZE`]) is the only memory it shares with the driver; the screen
//! itself lies in the VideoCore's memory, which only the driver maps.
//! The rules ([`check_present`], [`Mode`]):
//!
//! - **The mode is the driver's**: width, height, depth and pixel order
//!   come from the manifest (the driver's `args`, [`Mode::parse`]) and the
//!   firmware's answer; every reply carries them, and a client lays out its
//!   back buffer as [`Mode::stride`] bytes per row, in the screen's pixel
//!   format ([`Mode::encode`]).
//! - **A present names a rectangle on the screen**, which must lie within
//!   it ([`BAD_RECT`] otherwise); the driver copies that rectangle of the
//!   client's back buffer to the same place on the screen. Clients draw
//!   where they like; a later present wins where two overlap.
//! - **Unknown operations** are [`BAD_OP`]; a driver without a screen (the
//!   firmware refused) answers [`NO_SCREEN`] to presents.

use crate::ring::Message;

/// The service's name, as manifests write it.
pub const SERVICE: &str = "display";
/// Slots in each of a client's rings.
pub const RING_SLOTS: usize = 8;
/// A connection's shared region: its rings in the first page, then the
/// back buffer. 2 MiB, one block of the translation tables.
pub const AREA_SIZE: usize = 2 << 20;
/// Where the back buffer starts in the connection's region.
pub const BUFFER_OFFSET: usize = 4096;
/// The largest back buffer, in bytes.
pub const MAX_BUFFER: usize = AREA_SIZE - BUFFER_OFFSET;
/// The widest screen the service drives.
pub const MAX_WIDTH: u32 = 800;
/// The tallest screen the service drives.
pub const MAX_HEIGHT: u32 = 600;

const _: () = assert!((MAX_WIDTH * MAX_HEIGHT * 4) as usize <= MAX_BUFFER);

/// An operation of a request.
pub const OP_MODE: u32 = 1;
/// Copies the request's rectangle of the back buffer to the screen.
pub const OP_PRESENT: u32 = 2;

/// Done.
pub const OK: u32 = 0;
/// The operation is not one of the service's.
pub const BAD_OP: u32 = 1;
/// The rectangle is empty or leaves the screen.
pub const BAD_RECT: u32 = 2;
/// The driver has no screen: the firmware gave it no framebuffer.
pub const NO_SCREEN: u32 = 3;

/// A request, client to driver.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct DisplayRequest {
    /// The client's name for the request, echoed in the reply.
    pub id: u32,
    /// [`OP_MODE`] or [`OP_PRESENT`].
    pub op: u32,
    /// The rectangle's left edge (presents).
    pub x: u32,
    /// Its top edge.
    pub y: u32,
    /// Its width.
    pub width: u32,
    /// Its height.
    pub height: u32,
}

/// A reply, driver to client: the status and the screen's mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct DisplayReply {
    /// The request's `id`.
    pub id: u32,
    /// [`OK`], or why not.
    pub status: u32,
    /// The screen's width, in pixels (0 without a screen).
    pub width: u32,
    /// Its height.
    pub height: u32,
    /// Bits per pixel: 16 or 32.
    pub depth: u32,
    /// [`PixelOrder`] as the firmware numbers it.
    pub order: u32,
}

// SAFETY: `#[repr(C)]` integers; every bit pattern is a value.
unsafe impl Message for DisplayRequest {}
// SAFETY: as above.
unsafe impl Message for DisplayReply {}

/// The order of a pixel's colours in memory, as the firmware's
/// "set pixel order" tag numbers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PixelOrder {
    /// A 32-bit pixel is `0x00RRGGBB` (blue first in memory); a 16-bit
    /// one has blue in its top bits.
    Bgr = 0,
    /// A 32-bit pixel is `0x00BBGGRR` (red first in memory); a 16-bit one
    /// is RGB565, red in its top bits.
    Rgb = 1,
}

impl PixelOrder {
    /// The order the firmware numbers `number`.
    pub fn from_number(number: u32) -> Option<Self> {
        match number {
            0 => Some(Self::Bgr),
            1 => Some(Self::Rgb),
            _ => None,
        }
    }
}

/// A screen's geometry and pixel format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mode {
    /// Width, in pixels.
    pub width: u32,
    /// Height, in pixels.
    pub height: u32,
    /// Bits per pixel: 16 (RGB565) or 32 (8 bits a colour).
    pub depth: u32,
    /// The order of the colours.
    pub order: PixelOrder,
}

/// Why a display's `args` were refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModeError {
    /// A word that is neither `WIDTHxHEIGHT[xDEPTH]` nor `rgb` or `bgr`.
    Unknown,
    /// A size of 0 or above [`MAX_WIDTH`] x [`MAX_HEIGHT`].
    BadSize,
    /// A depth other than 16 or 32.
    BadDepth,
}

impl Mode {
    /// 640 x 480, 32 bits a pixel, red in the low bits.
    pub const DEFAULT: Self = Self { width: 640, height: 480, depth: 32, order: PixelOrder::Rgb };

    /// The mode a display driver's `args` ask for: space-separated words,
    /// `WIDTHxHEIGHT` or `WIDTHxHEIGHTxDEPTH`, and `rgb` or `bgr`; what
    /// they leave out is [`Mode::DEFAULT`]'s; other words (`key=value`
    /// settings of other parts) are ignored.
    pub fn parse(args: &str) -> Result<Self, ModeError> {
        let mut mode = Self::DEFAULT;
        for word in args.split_whitespace() {
            match word {
                "rgb" => mode.order = PixelOrder::Rgb,
                "bgr" => mode.order = PixelOrder::Bgr,
                _ if word.contains('=') => {}
                _ => {
                    let mut numbers = word.split('x').map(|n| n.parse::<u32>());
                    let (Some(Ok(width)), Some(Ok(height))) = (numbers.next(), numbers.next())
                    else {
                        return Err(ModeError::Unknown);
                    };
                    let depth = match numbers.next() {
                        None => mode.depth,
                        Some(Ok(depth)) => depth,
                        Some(Err(_)) => return Err(ModeError::Unknown),
                    };
                    if numbers.next().is_some() {
                        return Err(ModeError::Unknown);
                    }
                    (mode.width, mode.height, mode.depth) = (width, height, depth);
                }
            }
        }
        mode.check()
    }

    /// The mode, if the service can drive it.
    pub fn check(self) -> Result<Self, ModeError> {
        if !(1..=MAX_WIDTH).contains(&self.width) || !(1..=MAX_HEIGHT).contains(&self.height) {
            return Err(ModeError::BadSize);
        }
        if self.depth != 16 && self.depth != 32 {
            return Err(ModeError::BadDepth);
        }
        Ok(self)
    }

    /// The mode a reply carries, if it carries one.
    pub fn of_reply(reply: &DisplayReply) -> Option<Self> {
        let order = PixelOrder::from_number(reply.order)?;
        Self { width: reply.width, height: reply.height, depth: reply.depth, order }.check().ok()
    }

    /// Bytes a pixel takes.
    pub const fn bytes_per_pixel(&self) -> usize {
        (self.depth / 8) as usize
    }

    /// Bytes a row of a back buffer takes (a screen's row may take more:
    /// the firmware's pitch).
    pub const fn stride(&self) -> usize {
        self.width as usize * self.bytes_per_pixel()
    }

    /// Bytes a whole back buffer takes.
    pub const fn buffer_len(&self) -> usize {
        self.stride() * self.height as usize
    }

    /// The pixel of colour `(r, g, b)` (8 bits each) as the screen holds
    /// it, in the low [`Mode::depth`] bits. The order names the colours in
    /// memory order at 32 bits (`Rgb`: red in the lowest byte) and from the
    /// top bit down at 16 (`Rgb`: red in bits 11-15, RGB565), as the
    /// firmware's pixel order tag sets them (measured on QEMU: the
    /// `display` QEMU tests check both orders at both depths).
    pub const fn encode(&self, r: u8, g: u8, b: u8) -> u32 {
        let (r, g, b) = (r as u32, g as u32, b as u32);
        match (self.depth, self.order) {
            (16, PixelOrder::Rgb) => (r >> 3) << 11 | (g >> 2) << 5 | b >> 3,
            (16, PixelOrder::Bgr) => (b >> 3) << 11 | (g >> 2) << 5 | r >> 3,
            (_, PixelOrder::Rgb) => b << 16 | g << 8 | r,
            (_, PixelOrder::Bgr) => r << 16 | g << 8 | b,
        }
    }

    /// The reply to request `id` with `status`, carrying this mode.
    pub const fn reply(&self, id: u32, status: u32) -> DisplayReply {
        DisplayReply {
            id,
            status,
            width: self.width,
            height: self.height,
            depth: self.depth,
            order: self.order as u32,
        }
    }
}

/// A rectangle of the screen, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width (not 0).
    pub width: u32,
    /// Height (not 0).
    pub height: u32,
}

/// The rectangle a present asks for, if it is not empty and lies within
/// `mode`'s screen; otherwise [`BAD_RECT`].
pub fn check_present(mode: &Mode, request: &DisplayRequest) -> Result<Rect, u32> {
    let fits = |start: u32, len: u32, limit: u32| {
        len != 0 && start.checked_add(len).is_some_and(|end| end <= limit)
    };
    if !fits(request.x, request.width, mode.width) || !fits(request.y, request.height, mode.height)
    {
        return Err(BAD_RECT);
    }
    Ok(Rect { x: request.x, y: request.y, width: request.width, height: request.height })
}

/// A square of the test pattern: its top-left corner `(x, y)`, its side
/// and its colour `(r, g, b)`.
pub type Square = (i32, i32, u32, (u8, u8, u8));

/// The test pattern the `display-pattern` program draws and the QEMU
/// tests look for in a screendump.
pub const TEST_PATTERN: [Square; 5] = [
    (10, 10, 20, (0xFF, 0x00, 0x00)),
    (40, 10, 20, (0x00, 0xFF, 0x00)),
    (70, 10, 20, (0x00, 0x00, 0xFF)),
    (100, 10, 20, (0x12, 0x34, 0x56)),
    (130, 10, 20, (0xFF, 0xFF, 0xFF)),
];

/// What the framebuffer allocation asks the firmware for, as the mailbox
/// service's framebuffer request carries it: width, height, depth, pixel
/// order.
pub const fn framebuffer_request(mode: &Mode) -> [u32; 4] {
    [mode.width, mode.height, mode.depth, mode.order as u32]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn args_give_the_mode_and_the_rest_is_the_default() {
        assert_eq!(Mode::parse(""), Ok(Mode::DEFAULT));
        let mode = Mode::parse("800x600 bgr").unwrap();
        assert_eq!(
            (mode.width, mode.height, mode.depth, mode.order),
            (800, 600, 32, PixelOrder::Bgr)
        );
        assert_eq!(Mode::parse("320x240x16").map(|m| m.depth), Ok(16));
        assert_eq!(Mode::parse("fault-after=3 rgb"), Ok(Mode::DEFAULT));
        assert_eq!(Mode::parse("801x600"), Err(ModeError::BadSize));
        assert_eq!(Mode::parse("0x10"), Err(ModeError::BadSize));
        assert_eq!(Mode::parse("640x480x24"), Err(ModeError::BadDepth));
        assert_eq!(Mode::parse("640x480x32x1"), Err(ModeError::Unknown));
        assert_eq!(Mode::parse("large"), Err(ModeError::Unknown));
        assert_eq!(Mode::parse("640x"), Err(ModeError::Unknown));
    }

    #[test]
    fn pixels_follow_the_order_and_the_depth() {
        let rgb = Mode::DEFAULT;
        let bgr = Mode { order: PixelOrder::Bgr, ..rgb };
        assert_eq!(rgb.encode(0x11, 0x22, 0x33), 0x0033_2211);
        assert_eq!(bgr.encode(0x11, 0x22, 0x33), 0x0011_2233);
        let rgb16 = Mode { depth: 16, ..rgb };
        let bgr16 = Mode { depth: 16, ..bgr };
        assert_eq!(rgb16.encode(0xFF, 0, 0), 0xF800);
        assert_eq!(bgr16.encode(0xFF, 0, 0), 0x001F);
        assert_eq!(rgb16.encode(0, 0xFF, 0), 0x07E0);
        assert_eq!((rgb.stride(), rgb16.stride(), rgb.buffer_len()), (2560, 1280, 2560 * 480));
    }

    #[test]
    fn a_reply_carries_the_mode_back() {
        let mode = Mode { width: 320, height: 200, depth: 16, order: PixelOrder::Bgr };
        let reply = mode.reply(9, OK);
        assert_eq!((reply.id, reply.status), (9, OK));
        assert_eq!(Mode::of_reply(&reply), Some(mode));
        assert_eq!(Mode::of_reply(&DisplayReply { order: 2, ..reply }), None);
        assert_eq!(Mode::of_reply(&DisplayReply { depth: 8, ..reply }), None);
    }

    proptest! {
        /// Whatever a client asks, a present that passes lies within the
        /// screen, and every one within it passes.
        #[test]
        fn presents_pass_exactly_within_the_screen(
            x in any::<u32>(), y in any::<u32>(), width in any::<u32>(), height in any::<u32>(),
            small in 0..700u32,
        ) {
            let mode = Mode::DEFAULT;
            for request in [
                DisplayRequest { id: 1, op: OP_PRESENT, x, y, width, height },
                DisplayRequest { id: 1, op: OP_PRESENT, x: small, y: small / 2, width: 40, height: 30 },
            ] {
                let inside = u64::from(request.x) + u64::from(request.width) <= 640
                    && u64::from(request.y) + u64::from(request.height) <= 480
                    && request.width > 0 && request.height > 0;
                let checked = check_present(&mode, &request);
                prop_assert_eq!(checked.is_ok(), inside);
                if let Ok(rect) = checked {
                    prop_assert!(rect.x + rect.width <= mode.width);
                    prop_assert!(rect.y + rect.height <= mode.height);
                }
            }
        }
    }
}
