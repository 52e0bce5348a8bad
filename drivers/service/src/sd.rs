//! The SD card protocol as the `emmc` driver speaks it through the
//! Arasan SDHCI (SD Physical Layer Simplified Specification 3.01 and SD
//! Host Controller Simplified Specification 3.00; the BCM2835 ARM
//! Peripherals manual names the registers): the commands, how each is
//! encoded for the controller's command register, and the arithmetic on
//! what the card answers. Pure, so that the host tests it.
//!
//! Identification, in order: CMD0 (idle), CMD8 (interface condition: a
//! card that echoes [`IF_COND_ARG`] is version 2 or later), ACMD41 (CMD55
//! then 41) repeated until the card is ready (its OCR says whether it is
//! SDHC), CMD2 (its CID), CMD3 (its relative address), CMD9 (its CSD: the
//! capacity), CMD7 (select it), CMD16 (512-byte blocks). Then CMD17/CMD18
//! read one or many blocks and CMD24/CMD25 write them, the controller
//! ending a multi-block transfer with an automatic CMD12. An SDSC card
//! (at most 2 GiB) takes byte addresses, an SDHC card block numbers
//! ([`Card::address`]).

/// How a command's response is checked and how long it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    /// No response (CMD0).
    None,
    /// 48 bits with index and CRC: R1, R6, R7.
    Short,
    /// 48 bits, then the card is busy on DAT0: R1b.
    ShortBusy,
    /// 48 bits with neither index nor CRC: R3 (the OCR).
    Ocr,
    /// 136 bits, CRC checked: R2 (CID, CSD).
    Long,
}

/// Whether a command moves data, and which way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Data {
    /// No data.
    None,
    /// Blocks from the card.
    Read {
        /// More than one block (the controller sends CMD12 after them).
        multi: bool,
    },
    /// Blocks to the card.
    Write {
        /// More than one block (the controller sends CMD12 after them).
        multi: bool,
    },
}

/// One command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command {
    /// Its index (ACMDs are sent after [`APP_CMD`]).
    pub index: u32,
    /// Its response.
    pub response: Response,
    /// Its data.
    pub data: Data,
}

const fn command(index: u32, response: Response) -> Command {
    Command { index, response, data: Data::None }
}

/// CMD0: back to idle.
pub const GO_IDLE: Command = command(0, Response::None);
/// CMD2: the card's identification (CID).
pub const ALL_SEND_CID: Command = command(2, Response::Long);
/// CMD3: the card publishes its relative address (R6).
pub const SEND_RELATIVE_ADDR: Command = command(3, Response::Short);
/// CMD7: select the card at an address.
pub const SELECT_CARD: Command = command(7, Response::ShortBusy);
/// CMD8: interface condition (R7).
pub const SEND_IF_COND: Command = command(8, Response::Short);
/// CMD9: the card's specific data (CSD).
pub const SEND_CSD: Command = command(9, Response::Long);
/// CMD16: the block length.
pub const SET_BLOCKLEN: Command = command(16, Response::Short);
/// CMD12: end a multi-block transfer (after one that failed part way).
pub const STOP_TRANSMISSION: Command = command(12, Response::ShortBusy);
/// CMD55: the next command is an application command.
pub const APP_CMD: Command = command(55, Response::Short);
/// ACMD41: operating condition; the answer is the OCR.
pub const SD_SEND_OP_COND: Command = command(41, Response::Ocr);

/// The command that reads `count` blocks (CMD17 or CMD18).
pub const fn read(count: u32) -> Command {
    let multi = count > 1;
    Command {
        index: if multi { 18 } else { 17 },
        response: Response::Short,
        data: Data::Read { multi },
    }
}

/// The command that writes `count` blocks (CMD24 or CMD25).
pub const fn write(count: u32) -> Command {
    let multi = count > 1;
    Command {
        index: if multi { 25 } else { 24 },
        response: Response::Short,
        data: Data::Write { multi },
    }
}

/// CMD8's argument: 2.7-3.6 V, check pattern 0xAA; a version 2 card echoes
/// it.
pub const IF_COND_ARG: u32 = 0x1AA;
/// ACMD41's argument: SDHC supported (HCS), 2.7-3.6 V.
pub const OP_COND_ARG: u32 = (1 << 30) | 0x00FF_8000;
/// OCR: the card has finished powering up.
const OCR_READY: u32 = 1 << 31;
/// OCR: the card is SDHC or SDXC (block addressing).
const OCR_CCS: u32 = 1 << 30;
/// The error bits of an R1 card status (out of range, address, block
/// length, erase, write protect, lock, CRC, illegal command, ECC, internal
/// errors): any of them set fails the command.
pub const R1_ERRORS: u32 = 0xFDF9_8008;

impl Command {
    /// Its encoding for the controller's command and transfer-mode register
    /// (CMDTM: index, response type and checks, data present and
    /// direction, block count enable, multi-block and automatic CMD12).
    pub const fn cmdtm(&self) -> u32 {
        let response = match self.response {
            Response::None => 0,
            Response::Long => (1 << 16) | (1 << 19),
            Response::Short => (2 << 16) | (1 << 19) | (1 << 20),
            Response::Ocr => 2 << 16,
            Response::ShortBusy => (3 << 16) | (1 << 19) | (1 << 20),
        };
        let data = match self.data {
            Data::None => 0,
            Data::Read { multi } => (1 << 21) | (1 << 4) | transfer(multi),
            Data::Write { multi } => (1 << 21) | transfer(multi),
        };
        (self.index << 24) | response | data
    }
}

/// Block count enable, and for many blocks multi-block with CMD12 sent by
/// the controller at the end.
const fn transfer(multi: bool) -> u32 {
    if multi {
        (1 << 5) | (1 << 2) | (1 << 1)
    } else {
        1 << 1
    }
}

/// What identification learnt of the card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Card {
    /// SDHC or SDXC: addressed by block, not by byte.
    pub high_capacity: bool,
    /// Its relative address (CMD3), for CMD7 and CMD9.
    pub rca: u32,
    /// Its capacity in 512-byte blocks.
    pub blocks: u64,
}

impl Card {
    /// The argument of a read or write of block `lba`.
    pub fn address(&self, lba: u64) -> u32 {
        let address = if self.high_capacity { lba } else { lba * 512 };
        // `check` keeps lba within `blocks`, whose byte addresses fit an
        // SDSC card's 32 bits and whose block numbers fit an SDHC's.
        address as u32
    }
}

/// Whether `command`'s response `status` fails it: an R1 card status with
/// an error bit. Not for the commands whose short response is no card
/// status (CMD3's R6, CMD8's R7, ACMD41's OCR), nor for CMD55, whose
/// status may report the error of the command before it (a version 1
/// card's refused CMD8) rather than its own.
pub fn fails(command: &Command, status: u32) -> bool {
    let r1 = matches!(command.response, Response::Short | Response::ShortBusy)
        && ![SEND_RELATIVE_ADDR.index, SEND_IF_COND.index, APP_CMD.index].contains(&command.index);
    r1 && status & R1_ERRORS != 0
}

/// The blocks of a card that can be addressed: a byte-addressed (SDSC) card
/// reaches 4 GiB at most with its 32-bit addresses, whatever its CSD says.
pub fn addressable_blocks(high_capacity: bool, blocks: u64) -> u64 {
    if high_capacity {
        blocks
    } else {
        blocks.min(1 << 23)
    }
}

/// ACMD41's answer: `Some(high_capacity)` once the card is ready.
pub fn ocr_ready(ocr: u32) -> Option<bool> {
    (ocr & OCR_READY != 0).then_some(ocr & OCR_CCS != 0)
}

/// The relative card address in CMD3's answer (R6).
pub fn rca(r6: u32) -> u32 {
    r6 >> 16
}

/// The card's capacity in 512-byte blocks from its CSD, as the controller
/// holds an R2 response: `resp[0]` bits 0-31 of CSD bits 8-39, and so on
/// (the controller drops the CRC byte); `None` for a CSD structure this
/// driver does not know.
pub fn csd_blocks(resp: [u32; 4]) -> Option<u64> {
    // CSD bit `n` is bit `n - 8` of the 120 bits the controller holds.
    let bits = |high: u32, low: u32| -> u64 {
        let mut value = 0u64;
        for n in (low..=high).rev() {
            let at = n - 8;
            value = (value << 1) | u64::from((resp[(at / 32) as usize] >> (at % 32)) & 1);
        }
        value
    };
    match bits(127, 126) {
        0 => {
            let read_bl_len = bits(83, 80);
            // 9 to 11 are the lengths version 1 defines; the rest are
            // reserved.
            if !(9..=11).contains(&read_bl_len) {
                return None;
            }
            let c_size = bits(73, 62);
            let c_size_mult = bits(49, 47);
            let bytes = (c_size + 1) << (c_size_mult + 2 + read_bl_len);
            Some(bytes / 512)
        }
        1 => Some((bits(69, 48) + 1) * 1024),
        _ => None,
    }
}

/// The divisor N of the controller's 10-bit divided clock (SD clock =
/// `base_hz / (2 N)`, or `base_hz` for N = 0) that gives the fastest clock
/// at most `target_hz`.
pub fn clock_divisor(base_hz: u32, target_hz: u32) -> u32 {
    if target_hz == 0 {
        return 1023;
    }
    if base_hz <= target_hz {
        return 0;
    }
    base_hz.div_ceil(2 * target_hz).min(1023)
}

/// The clock control bits (CONTROL1 bits 6-15) for divisor `n`.
pub fn divisor_bits(n: u32) -> u32 {
    ((n & 0xFF) << 8) | (((n >> 8) & 0x3) << 6)
}

/// The SD clock during identification: at most 400 kHz.
pub const IDENTIFICATION_HZ: u32 = 400_000;
/// The SD clock once the card is identified: at most 25 MHz (default
/// speed).
pub const TRANSFER_HZ: u32 = 25_000_000;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// An R2 response as the controller holds it, from CSD fields.
    fn csd(fields: &[(u32, u32, u64)]) -> [u32; 4] {
        let mut resp = [0u32; 4];
        for &(high, low, value) in fields {
            for n in low..=high {
                let bit = (value >> (n - low)) & 1;
                let at = n - 8;
                resp[(at / 32) as usize] |= (bit as u32) << (at % 32);
            }
        }
        resp
    }

    #[test]
    fn commands_encode_as_the_controller_wants() {
        assert_eq!(GO_IDLE.cmdtm(), 0);
        assert_eq!(SEND_IF_COND.cmdtm(), 0x081A_0000);
        assert_eq!(SD_SEND_OP_COND.cmdtm(), 0x2902_0000);
        assert_eq!(ALL_SEND_CID.cmdtm(), 0x0209_0000);
        assert_eq!(SELECT_CARD.cmdtm(), 0x071B_0000);
        assert_eq!(read(1).cmdtm(), 0x113A_0012);
        assert_eq!(read(8).cmdtm(), 0x123A_0036);
        assert_eq!(write(1).cmdtm(), 0x183A_0002);
        assert_eq!(write(2).cmdtm(), 0x193A_0026);
    }

    #[test]
    fn the_ocr_says_when_the_card_is_ready_and_what_it_is() {
        assert_eq!(ocr_ready(0x00FF_8000), None);
        assert_eq!(ocr_ready(0x80FF_8000), Some(false));
        assert_eq!(ocr_ready(0xC0FF_8000), Some(true));
        assert_eq!(rca(0x1234_0500), 0x1234);
    }

    #[test]
    fn capacity_comes_from_either_csd_structure() {
        // Version 1: 64 MiB as (C_SIZE + 1) * 2^(C_SIZE_MULT + 2) * 2^READ_BL_LEN.
        let v1 = csd(&[(127, 126, 0), (83, 80, 9), (73, 62, 255), (49, 47, 7)]);
        assert_eq!(csd_blocks(v1), Some(64 << 20 >> 9));
        // Version 2: 4 GiB as (C_SIZE + 1) * 512 KiB.
        let v2 = csd(&[(127, 126, 1), (69, 48, 8191)]);
        assert_eq!(csd_blocks(v2), Some(4 << 30 >> 9));
        assert_eq!(csd_blocks(csd(&[(127, 126, 3)])), None);
    }

    #[test]
    fn r1_errors_fail_only_the_commands_that_answer_with_a_card_status() {
        let illegal = 1 << 22;
        assert!(fails(&read(1), illegal));
        assert!(fails(&SELECT_CARD, illegal));
        assert!(!fails(&read(1), 0x900), "a card in the transfer state, no error");
        assert!(!fails(&APP_CMD, illegal), "the refused CMD8 of a version 1 card");
        assert!(!fails(&SEND_IF_COND, illegal));
        assert!(!fails(&SD_SEND_OP_COND, u32::MAX));
    }

    #[test]
    fn an_sdsc_card_is_addressed_up_to_4_gib_and_reserved_block_lengths_are_refused() {
        assert_eq!(addressable_blocks(false, 1 << 30), 1 << 23);
        assert_eq!(addressable_blocks(true, 1 << 30), 1 << 30);
        let reserved = csd(&[(127, 126, 0), (83, 80, 12), (73, 62, 255), (49, 47, 7)]);
        assert_eq!(csd_blocks(reserved), None);
    }

    #[test]
    fn addresses_are_bytes_for_sdsc_and_blocks_for_sdhc() {
        let sdsc = Card { high_capacity: false, rca: 1, blocks: 1 << 20 };
        assert_eq!(sdsc.address(3), 1536);
        assert_eq!(Card { high_capacity: true, ..sdsc }.address(3), 3);
    }

    #[test]
    fn divisors_encode_their_ten_bits() {
        assert_eq!(divisor_bits(0x3FF), 0xFFC0);
        assert_eq!(divisor_bits(0x101), 0x0140);
        assert_eq!(clock_divisor(200_000_000, IDENTIFICATION_HZ), 250);
        assert_eq!(clock_divisor(200_000_000, TRANSFER_HZ), 4);
        assert_eq!(clock_divisor(20_000_000, TRANSFER_HZ), 0);
    }

    proptest! {
        /// The divided clock never exceeds the target, and the next smaller
        /// divisor would.
        #[test]
        fn the_clock_is_the_fastest_within_the_target(
            base in 1_000_000u32..1_000_000_000, target in 100_000u32..50_000_000,
        ) {
            let n = clock_divisor(base, target);
            let clock = |n: u32| if n == 0 { base } else { base / (2 * n) };
            if n < 1023 {
                prop_assert!(clock(n) <= target);
            }
            if n > 1 {
                prop_assert!(base.div_ceil(2 * (n - 1)) > target);
            }
        }
    }
}
