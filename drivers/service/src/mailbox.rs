//! The mailbox service: the VideoCore firmware's property interface
//! (mailbox 0, channel 8), asked on behalf of many clients by the
//! `mailbox` driver. A client asks for one property tag at a time; the
//! driver checks the request, builds the property message in its own
//! memory (the firmware reads and writes it by DMA: the client never names
//! an address), and replies with the tag's value. The rules ([`check`],
//! [`message`], [`answer`]):
//!
//! - **Known tags only** ([`TAGS`]): board and memory information, clock
//!   rates, temperatures. Anything else (power and clock setters, which
//!   change the machine for every domain) is refused with [`UNKNOWN_TAG`].
//! - **The screen is the display's**: the framebuffer request
//!   ([`TAG_ALLOCATE_FRAMEBUFFER`], [`check_framebuffer`]) is served to one
//!   client, the one the driver's `args` name (`framebuffer=CLIENT`), and
//!   refused to the others with [`NOT_PERMITTED`]; the driver sends the
//!   whole mode in one message ([`framebuffer_message`]) and checks the
//!   firmware's answer against it ([`framebuffer_answer`]).
//! - **Exact lengths**: a request carries exactly the bytes its tag takes
//!   ([`BAD_LENGTH`] otherwise), and a clock or sensor id within range
//!   ([`BAD_VALUE`]).
//! - **The firmware's answer is checked too**: a message the firmware did
//!   not mark answered, or a tag whose answer is longer than its buffer,
//!   is [`FIRMWARE_ERROR`]; a firmware that does not answer in time is
//!   [`TIMEOUT`].

use crate::ring::Message;

/// Slots in each of a client's rings.
pub const RING_SLOTS: usize = 8;
/// The most bytes of value a request or reply carries.
pub const VALUE_WORDS: usize = 4;

/// The property channel of mailbox 0.
pub const PROPERTY_CHANNEL: u32 = 8;
/// A message's code: a request.
pub const CODE_REQUEST: u32 = 0;
/// A message's code once the firmware answered it.
pub const CODE_ANSWERED: u32 = 0x8000_0000;
/// The bit a tag's length word carries once the firmware answered it.
pub const TAG_ANSWERED: u32 = 0x8000_0000;
/// The tag that ends a message.
pub const TAG_END: u32 = 0;

/// A request, client to driver: one property tag and its value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct MailboxRequest {
    /// The client's name for the request, echoed in the reply.
    pub id: u32,
    /// The property tag (see [`TAGS`]).
    pub tag: u32,
    /// Bytes of `value` the request carries.
    pub len: u32,
    /// Unused, 0.
    pub reserved: u32,
    /// The request's value (a clock or sensor id, for the tags that take
    /// one).
    pub value: [u32; VALUE_WORDS],
}

/// A reply, driver to client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct MailboxReply {
    /// The request's `id`.
    pub id: u32,
    /// [`OK`], or why there is no value.
    pub status: u32,
    /// Bytes of `value` the firmware answered.
    pub len: u32,
    /// Unused, 0.
    pub reserved: u32,
    /// The tag's answer.
    pub value: [u32; VALUE_WORDS],
}

// SAFETY: `#[repr(C)]` integers; every bit pattern is a value.
unsafe impl Message for MailboxRequest {}
// SAFETY: as above.
unsafe impl Message for MailboxReply {}

/// The firmware answered.
pub const OK: u32 = 0;
/// The tag is not one the service passes on.
pub const UNKNOWN_TAG: u32 = 1;
/// The request's length is not the tag's.
pub const BAD_LENGTH: u32 = 2;
/// The request's value is out of range for the tag (an unknown clock or
/// sensor).
pub const BAD_VALUE: u32 = 3;
/// The firmware did not answer the message, or answered it wrongly.
pub const FIRMWARE_ERROR: u32 = 4;
/// The firmware did not answer in time.
pub const TIMEOUT: u32 = 5;

/// What a tag takes and gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tag {
    /// Its number.
    pub tag: u32,
    /// Its name, for people.
    pub name: &'static str,
    /// Bytes it takes.
    pub request_len: u32,
    /// Bytes it gives.
    pub response_len: u32,
    /// The largest id its first request word may be (for the tags that
    /// take a clock or sensor id).
    pub max_id: Option<u32>,
}

/// The highest clock id the firmware knows (EMMC 1 ... EMMC2 12).
pub const MAX_CLOCK_ID: u32 = 12;

/// Firmware revision.
pub const TAG_FIRMWARE_REVISION: u32 = 0x0000_0001;
/// Board model.
pub const TAG_BOARD_MODEL: u32 = 0x0001_0001;
/// Board revision (0xa02082 for a Pi 3 Model B).
pub const TAG_BOARD_REVISION: u32 = 0x0001_0002;
/// The Ethernet MAC address (6 bytes).
pub const TAG_MAC_ADDRESS: u32 = 0x0001_0003;
/// The board's serial number (8 bytes).
pub const TAG_BOARD_SERIAL: u32 = 0x0001_0004;
/// The ARM's memory: base and size.
pub const TAG_ARM_MEMORY: u32 = 0x0001_0005;
/// The VideoCore's memory: base and size.
pub const TAG_VC_MEMORY: u32 = 0x0001_0006;
/// A clock's rate, in Hz: takes its id.
pub const TAG_CLOCK_RATE: u32 = 0x0003_0002;
/// A clock's highest rate: takes its id.
pub const TAG_MAX_CLOCK_RATE: u32 = 0x0003_0004;
/// The SoC's temperature, in thousandths of a degree Celsius: takes the
/// sensor id (0).
pub const TAG_TEMPERATURE: u32 = 0x0003_0006;
/// The temperature at which the firmware throttles the SoC.
pub const TAG_MAX_TEMPERATURE: u32 = 0x0003_000A;

/// The tags the service passes on.
pub const TAGS: [Tag; 11] = [
    Tag {
        tag: TAG_FIRMWARE_REVISION,
        name: "firmware revision",
        request_len: 0,
        response_len: 4,
        max_id: None,
    },
    Tag {
        tag: TAG_BOARD_MODEL,
        name: "board model",
        request_len: 0,
        response_len: 4,
        max_id: None,
    },
    Tag {
        tag: TAG_BOARD_REVISION,
        name: "board revision",
        request_len: 0,
        response_len: 4,
        max_id: None,
    },
    Tag {
        tag: TAG_MAC_ADDRESS,
        name: "MAC address",
        request_len: 0,
        response_len: 6,
        max_id: None,
    },
    Tag {
        tag: TAG_BOARD_SERIAL,
        name: "board serial",
        request_len: 0,
        response_len: 8,
        max_id: None,
    },
    Tag { tag: TAG_ARM_MEMORY, name: "ARM memory", request_len: 0, response_len: 8, max_id: None },
    Tag {
        tag: TAG_VC_MEMORY,
        name: "VideoCore memory",
        request_len: 0,
        response_len: 8,
        max_id: None,
    },
    Tag {
        tag: TAG_CLOCK_RATE,
        name: "clock rate",
        request_len: 4,
        response_len: 8,
        max_id: Some(MAX_CLOCK_ID),
    },
    Tag {
        tag: TAG_MAX_CLOCK_RATE,
        name: "max clock rate",
        request_len: 4,
        response_len: 8,
        max_id: Some(MAX_CLOCK_ID),
    },
    Tag {
        tag: TAG_TEMPERATURE,
        name: "temperature",
        request_len: 4,
        response_len: 8,
        max_id: Some(0),
    },
    Tag {
        tag: TAG_MAX_TEMPERATURE,
        name: "max temperature",
        request_len: 4,
        response_len: 8,
        max_id: Some(0),
    },
];

/// The tag `request` asks for, if the service passes it on with this
/// length and value; otherwise the status to refuse it with.
pub fn check(request: &MailboxRequest) -> Result<&'static Tag, u32> {
    let tag = TAGS.iter().find(|t| t.tag == request.tag).ok_or(UNKNOWN_TAG)?;
    if request.len != tag.request_len {
        return Err(BAD_LENGTH);
    }
    if tag.max_id.is_some_and(|max| request.value[0] > max) {
        return Err(BAD_VALUE);
    }
    Ok(tag)
}

/// The words of a property message asking for `tag` with `request`'s
/// value: size, code, the tag, its buffer size, its request length, its
/// value buffer, the end tag (the driver copies it into its own 16-byte
/// aligned buffer).
pub const MESSAGE_WORDS: usize = 6 + VALUE_WORDS;

/// The message asking the firmware for `tag` with `request`'s value.
pub fn message(tag: &Tag, request: &MailboxRequest) -> [u32; MESSAGE_WORDS] {
    let mut words = [0; MESSAGE_WORDS];
    words[0] = (MESSAGE_WORDS * 4) as u32;
    words[1] = CODE_REQUEST;
    words[2] = tag.tag;
    words[3] = (VALUE_WORDS * 4) as u32;
    words[4] = tag.request_len;
    let request_words = (tag.request_len as usize).div_ceil(4);
    words[5..5 + request_words].copy_from_slice(&request.value[..request_words]);
    words[5 + VALUE_WORDS] = TAG_END;
    words
}

/// The reply to request `id` from the firmware's answer `words` to the
/// message [`message`] built for `tag`.
pub fn answer(id: u32, tag: &Tag, words: &[u32; MESSAGE_WORDS]) -> MailboxReply {
    let refused = |status| MailboxReply { id, status, ..MailboxReply::default() };
    if words[1] != CODE_ANSWERED || words[2] != tag.tag || words[4] & TAG_ANSWERED == 0 {
        return refused(FIRMWARE_ERROR);
    }
    let len = words[4] & !TAG_ANSWERED;
    if len > (VALUE_WORDS * 4) as u32 {
        return refused(FIRMWARE_ERROR);
    }
    let mut value = [0; VALUE_WORDS];
    value.copy_from_slice(&words[5..5 + VALUE_WORDS]);
    MailboxReply { id, status: OK, len, reserved: 0, value }
}

/// The service's framebuffer request: allocates the screen. It takes 16
/// bytes (width, height, depth, pixel order: `display::framebuffer_request`)
/// and gives 16: the framebuffer's ARM physical address, its size, its
/// pitch (bytes a row) and the pixel order the firmware set. Only the one
/// client the driver's `args` name (`framebuffer=CLIENT`) may ask
/// ([`NOT_PERMITTED`] for the others): the screen is the display service's.
pub const TAG_ALLOCATE_FRAMEBUFFER: u32 = 0x0004_0001;
/// The request's length.
pub const FRAMEBUFFER_REQUEST_LEN: u32 = 16;
/// The client may not ask for this tag.
pub const NOT_PERMITTED: u32 = 6;

/// Checks a framebuffer request from a client that `may` allocate the
/// framebuffer: its length, a size of at most 4096 x 4096 pixels, a depth
/// of 16 or 32 bits and a pixel order of 0 or 1.
pub fn check_framebuffer(request: &MailboxRequest, may: bool) -> Result<(), u32> {
    if !may {
        return Err(NOT_PERMITTED);
    }
    if request.len != FRAMEBUFFER_REQUEST_LEN {
        return Err(BAD_LENGTH);
    }
    let [width, height, depth, order] = request.value;
    let sized = (1..=4096).contains(&width) && (1..=4096).contains(&height);
    if !sized || !matches!(depth, 16 | 32) || order > 1 {
        return Err(BAD_VALUE);
    }
    Ok(())
}

/// The client the driver's `args` let allocate the framebuffer (the word
/// `framebuffer=CLIENT`), if any.
pub fn framebuffer_client(args: &str) -> Option<&str> {
    args.split_whitespace().find_map(|word| word.strip_prefix("framebuffer="))
}

/// Sets the physical (scanned out) size.
const TAG_SET_PHYSICAL_SIZE: u32 = 0x0004_8003;
/// Sets the virtual (drawn) size.
const TAG_SET_VIRTUAL_SIZE: u32 = 0x0004_8004;
/// Sets the bits per pixel.
const TAG_SET_DEPTH: u32 = 0x0004_8005;
/// Sets the pixel order.
const TAG_SET_PIXEL_ORDER: u32 = 0x0004_8006;
/// Sets the virtual offset (where the physical view starts).
const TAG_SET_VIRTUAL_OFFSET: u32 = 0x0004_8009;
/// Gets the pitch.
const TAG_GET_PITCH: u32 = 0x0004_0008;
/// The alignment asked of the framebuffer: a page.
const FRAMEBUFFER_ALIGN: u32 = 4096;

/// The tags of the framebuffer message, in order, with their value
/// buffer's words and the request's bytes.
const FRAMEBUFFER_TAGS: [(u32, usize, u32); 7] = [
    (TAG_SET_PHYSICAL_SIZE, 2, 8),
    (TAG_SET_VIRTUAL_SIZE, 2, 8),
    (TAG_SET_VIRTUAL_OFFSET, 2, 8),
    (TAG_SET_DEPTH, 1, 4),
    (TAG_SET_PIXEL_ORDER, 1, 4),
    (TAG_ALLOCATE_FRAMEBUFFER, 2, 4),
    (TAG_GET_PITCH, 1, 0),
];

/// Words of the framebuffer message: size, code, each tag's three words
/// and value buffer, the end tag.
pub const FRAMEBUFFER_MESSAGE_WORDS: usize = 2 + 3 * 7 + 11 + 1;

/// The framebuffer message for `request` (checked: its length is
/// [`FRAMEBUFFER_REQUEST_LEN`]): one message setting the sizes, offset,
/// depth and pixel order, allocating the buffer and asking for its pitch,
/// so that the firmware sees the whole mode at once.
pub fn framebuffer_message(request: &MailboxRequest) -> [u32; FRAMEBUFFER_MESSAGE_WORDS] {
    let [width, height, depth, order] = request.value;
    let values: [[u32; 2]; 7] = [
        [width, height],
        [width, height],
        [0, 0],
        [depth, 0],
        [order, 0],
        [FRAMEBUFFER_ALIGN, 0],
        [0, 0],
    ];
    let mut words = [0; FRAMEBUFFER_MESSAGE_WORDS];
    words[0] = (FRAMEBUFFER_MESSAGE_WORDS * 4) as u32;
    words[1] = CODE_REQUEST;
    let mut at = 2;
    for ((tag, buffer_words, request_len), value) in FRAMEBUFFER_TAGS.iter().zip(values) {
        words[at] = *tag;
        words[at + 1] = (*buffer_words * 4) as u32;
        words[at + 2] = *request_len;
        words[at + 3..at + 3 + buffer_words].copy_from_slice(&value[..*buffer_words]);
        at += 3 + buffer_words;
    }
    words[at] = TAG_END;
    words
}

/// The reply to framebuffer request `request` from the firmware's answer
/// `words` to [`framebuffer_message`]: every tag answered within its
/// buffer, the physical and virtual sizes and the depth as asked, a buffer of at least `pitch * height` bytes at a
/// non-zero address with a pitch of at least a row of pixels; otherwise
/// [`FIRMWARE_ERROR`]. The address is the ARM's (the bus alias masked off).
pub fn framebuffer_answer(
    request: &MailboxRequest,
    words: &[u32; FRAMEBUFFER_MESSAGE_WORDS],
) -> MailboxReply {
    let refused =
        MailboxReply { id: request.id, status: FIRMWARE_ERROR, ..MailboxReply::default() };
    if words[1] != CODE_ANSWERED {
        return refused;
    }
    let mut values = [[0u32; 2]; 7];
    let mut at = 2;
    for ((tag, buffer_words, _), value) in FRAMEBUFFER_TAGS.iter().zip(values.iter_mut()) {
        let answered = words[at + 2];
        let within = (answered & !TAG_ANSWERED) as usize <= buffer_words * 4;
        if words[at] != *tag || answered & TAG_ANSWERED == 0 || !within {
            return refused;
        }
        value[..*buffer_words].copy_from_slice(&words[at + 3..at + 3 + buffer_words]);
        at += 3 + buffer_words;
    }
    let [width, height, depth, _] = request.value;
    let [physical, virtual_size, _, [got_depth, _], [order, _], [base, size], [pitch, _]] = values;
    let row = u64::from(width) * u64::from(depth / 8);
    let whole = u64::from(pitch) * u64::from(height);
    let fits = physical == [width, height]
        && virtual_size == [width, height]
        && got_depth == depth
        && base & BUS_ADDRESS_MASK != 0
        && u64::from(pitch) >= row
        && u64::from(size) >= whole;
    if !fits {
        return refused;
    }
    MailboxReply {
        id: request.id,
        status: OK,
        len: 16,
        reserved: 0,
        value: [base & BUS_ADDRESS_MASK, size, pitch, order],
    }
}

/// Masks a VideoCore bus address down to the ARM physical address.
pub const BUS_ADDRESS_MASK: u32 = 0x3FFF_FFFF;

/// The words the mailbox carries for a message at bus address `bus` on the
/// property channel (the message 16-byte aligned).
pub fn token(bus: u32) -> u32 {
    (bus & !0xF) | PROPERTY_CHANNEL
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(tag: u32, len: u32, id: u32) -> MailboxRequest {
        MailboxRequest { id: 7, tag, len, reserved: 0, value: [id, 0, 0, 0] }
    }

    /// A firmware that answers `tag` with `value`.
    fn firmware(words: &mut [u32; MESSAGE_WORDS], len: u32, value: [u32; VALUE_WORDS]) {
        words[1] = CODE_ANSWERED;
        words[4] = TAG_ANSWERED | len;
        words[5..5 + VALUE_WORDS].copy_from_slice(&value);
    }

    #[test]
    fn known_tags_with_their_lengths_and_ids_pass() {
        assert_eq!(
            check(&request(TAG_BOARD_REVISION, 0, 0)).map(|t| t.tag),
            Ok(TAG_BOARD_REVISION)
        );
        assert_eq!(check(&request(TAG_CLOCK_RATE, 4, 3)).map(|t| t.response_len), Ok(8));
        assert_eq!(check(&request(0x0004_0001, 8, 0)), Err(UNKNOWN_TAG), "framebuffer allocation");
        assert_eq!(check(&request(0x0003_8002, 12, 3)), Err(UNKNOWN_TAG), "set clock rate");
        assert_eq!(check(&request(TAG_BOARD_REVISION, 4, 0)), Err(BAD_LENGTH));
        assert_eq!(check(&request(TAG_CLOCK_RATE, 0, 3)), Err(BAD_LENGTH));
        assert_eq!(check(&request(TAG_CLOCK_RATE, 4, 13)), Err(BAD_VALUE));
        assert_eq!(check(&request(TAG_TEMPERATURE, 4, 1)), Err(BAD_VALUE));
        assert_eq!(check(&request(TAG_BOARD_REVISION, u32::MAX, 0)), Err(BAD_LENGTH));
    }

    #[test]
    fn a_message_carries_the_tag_and_its_request_and_the_answer_is_checked() {
        let clock = request(TAG_CLOCK_RATE, 4, 3);
        let tag = check(&clock).unwrap();
        let mut words = message(tag, &clock);
        assert_eq!(words[..6], [40, CODE_REQUEST, TAG_CLOCK_RATE, 16, 4, 3]);
        assert_eq!(words[MESSAGE_WORDS - 1], TAG_END);
        assert_eq!(answer(7, tag, &words).status, FIRMWARE_ERROR, "not answered yet");
        firmware(&mut words, 8, [3, 1_200_000_000, 0, 0]);
        let reply = answer(7, tag, &words);
        assert_eq!((reply.id, reply.status, reply.len), (7, OK, 8));
        assert_eq!(reply.value[..2], [3, 1_200_000_000]);
        firmware(&mut words, 17, [0; VALUE_WORDS]);
        assert_eq!(answer(7, tag, &words).status, FIRMWARE_ERROR, "an answer past its buffer");
        let mut other = words;
        other[2] = TAG_BOARD_REVISION;
        firmware(&mut other, 8, [0; VALUE_WORDS]);
        assert_eq!(answer(7, tag, &other).status, FIRMWARE_ERROR, "another tag's answer");
    }

    fn framebuffer(width: u32, height: u32, depth: u32, order: u32) -> MailboxRequest {
        MailboxRequest {
            id: 3,
            tag: TAG_ALLOCATE_FRAMEBUFFER,
            len: FRAMEBUFFER_REQUEST_LEN,
            reserved: 0,
            value: [width, height, depth, order],
        }
    }

    #[test]
    fn only_the_named_client_may_allocate_a_sane_framebuffer() {
        assert_eq!(framebuffer_client("fault-after=2 framebuffer=display"), Some("display"));
        assert_eq!(framebuffer_client("framebuffer"), None);
        assert_eq!(check_framebuffer(&framebuffer(640, 480, 32, 1), true), Ok(()));
        assert_eq!(check_framebuffer(&framebuffer(640, 480, 32, 1), false), Err(NOT_PERMITTED));
        let short = MailboxRequest { len: 8, ..framebuffer(640, 480, 32, 1) };
        assert_eq!(check_framebuffer(&short, true), Err(BAD_LENGTH));
        for bad in [(0, 480, 32, 1), (640, 5000, 32, 1), (640, 480, 24, 1), (640, 480, 32, 2)] {
            let (w, h, d, o) = bad;
            assert_eq!(
                check_framebuffer(&framebuffer(w, h, d, o), true),
                Err(BAD_VALUE),
                "{bad:?}"
            );
        }
    }

    /// A firmware that grants `request`: answers every tag, the buffer at
    /// bus address `base`.
    fn grant(words: &mut [u32; FRAMEBUFFER_MESSAGE_WORDS], base: u32, pitch: u32, size: u32) {
        words[1] = CODE_ANSWERED;
        let mut at = 2;
        for (tag, buffer_words, _) in FRAMEBUFFER_TAGS {
            words[at + 2] |= TAG_ANSWERED;
            if tag == TAG_ALLOCATE_FRAMEBUFFER {
                words[at + 3..at + 5].copy_from_slice(&[base, size]);
            }
            if tag == TAG_GET_PITCH {
                words[at + 3] = pitch;
            }
            at += 3 + buffer_words;
        }
    }

    #[test]
    fn the_framebuffer_message_sets_the_whole_mode_and_the_answer_is_checked() {
        let request = framebuffer(640, 480, 32, 1);
        let mut words = framebuffer_message(&request);
        assert_eq!(words[0] as usize, FRAMEBUFFER_MESSAGE_WORDS * 4);
        assert_eq!(words[2..7], [TAG_SET_PHYSICAL_SIZE, 8, 8, 640, 480]);
        assert_eq!(words[FRAMEBUFFER_MESSAGE_WORDS - 1], TAG_END);
        assert_eq!(framebuffer_answer(&request, &words).status, FIRMWARE_ERROR, "unanswered");
        grant(&mut words, 0xC010_0000 | 0x3C00_0000, 2560, 2560 * 480);
        let reply = framebuffer_answer(&request, &words);
        assert_eq!(reply.status, OK);
        assert_eq!(reply.value, [0x3C10_0000, 2560 * 480, 2560, 1]);
        let mut small = framebuffer_message(&request);
        grant(&mut small, 0xFC10_0000, 2560, 2560 * 479);
        assert_eq!(framebuffer_answer(&request, &small).status, FIRMWARE_ERROR, "too small");
        let mut narrow = framebuffer_message(&request);
        grant(&mut narrow, 0xFC10_0000, 2000, 2560 * 480);
        assert_eq!(framebuffer_answer(&request, &narrow).status, FIRMWARE_ERROR, "pitch");
        let mut nowhere = framebuffer_message(&request);
        grant(&mut nowhere, 0xC000_0000, 2560, 2560 * 480);
        assert_eq!(framebuffer_answer(&request, &nowhere).status, FIRMWARE_ERROR, "address 0");
        let mut resized = framebuffer_message(&request);
        grant(&mut resized, 0xFC10_0000, 2560, 2560 * 480);
        resized[5] = 320;
        assert_eq!(framebuffer_answer(&request, &resized).status, FIRMWARE_ERROR, "other size");
        let mut virtual_size = framebuffer_message(&request);
        grant(&mut virtual_size, 0xFC10_0000, 2560, 2560 * 480);
        virtual_size[10] = 240;
        assert_eq!(framebuffer_answer(&request, &virtual_size).status, FIRMWARE_ERROR, "virtual");
        let mut long = framebuffer_message(&request);
        grant(&mut long, 0xFC10_0000, 2560, 2560 * 480);
        long[4] = TAG_ANSWERED | 12;
        assert_eq!(framebuffer_answer(&request, &long).status, FIRMWARE_ERROR, "past its buffer");
    }

    #[test]
    fn the_token_keeps_the_channel_in_the_low_bits() {
        assert_eq!(token(0xC000_1230), 0xC000_1238);
        assert_eq!(token(0xC000_123F), 0xC000_1238);
    }
}
