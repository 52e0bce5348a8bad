//! The block service: sectors of a storage device (the SD card, served by
//! the `emmc` driver) read and written on behalf of many clients.
//!
//! A client's connection is a region of [`AREA_SIZE`] bytes: the rings
//! ([`BlockArea`]) in its first [`DATA_OFFSET`] bytes, and after them its
//! data, where the client puts what it writes and the driver what it
//! reads. A request names its buffer by address: Vesper has one address
//! space, so the address is the same in the client and in the driver. The
//! rules of [`check`], which the driver applies to every request before it
//! touches the device:
//!
//! - **Known operations only**: [`OP_READ`], [`OP_WRITE`], [`OP_INFO`].
//! - **Within the device**: `lba + count` at most the device's blocks, with
//!   no overflow; `count` from 1 to [`MAX_BLOCKS`].
//! - **Within the client's own data**: the buffer, `count` blocks long,
//!   lies wholly in the data part of the client's connection (never its
//!   rings, never another client's memory) and is aligned to
//!   [`BUFFER_ALIGN`] (the driver moves data in 32-bit words).
//!
//! A request that breaks a rule gets an error reply and the client stays
//! served; a client that corrupts its rings is dropped (see [`crate`]).
//!
//! **Fairness** ([`RoundRobin`]): the driver takes one request from each
//! client in turn, and a request moves at most [`MAX_BLOCKS`] blocks, so a
//! client waits behind at most one request of each other client, however
//! many the others queue: with `c` clients, at most `(c - 1) *`
//! [`MAX_BLOCKS`] blocks go before each of its requests.

use crate::ring::{Message, ServiceArea};

/// The service's name in manifests (`provides = "block"`).
pub const SERVICE: &str = "block";
/// Bytes in a block (an SD card's sector).
pub const BLOCK_SIZE: usize = 512;
/// The most blocks one request moves.
pub const MAX_BLOCKS: u32 = 32;
/// The size of a client's connection region.
pub const AREA_SIZE: usize = 64 * 1024;
/// Where a connection's data part starts (the rings come before it).
pub const DATA_OFFSET: usize = 4096;
/// The alignment of a request's buffer.
pub const BUFFER_ALIGN: u64 = 4;
/// Slots in each of a client's rings.
pub const RING_SLOTS: usize = 8;

/// A request, client to driver.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct BlockRequest {
    /// [`OP_READ`], [`OP_WRITE`] or [`OP_INFO`].
    pub op: u32,
    /// The client's name for the request, echoed in its reply.
    pub id: u32,
    /// The first block.
    pub lba: u64,
    /// How many blocks.
    pub count: u32,
    /// Unused; zero.
    pub reserved: u32,
    /// The buffer's address: the data read go there, the data written come
    /// from there.
    pub buffer: u64,
}

/// Read `count` blocks from `lba` into the buffer.
pub const OP_READ: u32 = 1;
/// Write `count` blocks from the buffer at `lba`.
pub const OP_WRITE: u32 = 2;
/// How many blocks the device has (in the reply's `blocks`); the other
/// fields are ignored.
pub const OP_INFO: u32 = 3;

/// A reply, driver to client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct BlockReply {
    /// The request's `id`.
    pub id: u32,
    /// [`OK`], or why the request failed.
    pub status: u32,
    /// For [`OP_INFO`], the device's blocks; otherwise the blocks moved.
    pub blocks: u64,
}

/// Done.
pub const OK: u32 = 0;
/// No card in the slot (or it did not answer identification).
pub const NO_MEDIUM: u32 = 1;
/// An unknown operation, or a `count` of 0 or above [`MAX_BLOCKS`].
pub const BAD_REQUEST: u32 = 2;
/// Blocks past the end of the device.
pub const OUT_OF_RANGE: u32 = 3;
/// The buffer is misaligned or not inside the client's data part.
pub const BAD_BUFFER: u32 = 4;
/// The card did not answer in time.
pub const TIMEOUT: u32 = 5;
/// The card or the controller reported an error (CRC, command, data).
pub const DEVICE_ERROR: u32 = 6;

// SAFETY: `#[repr(C)]` integers; every bit pattern is a value.
unsafe impl Message for BlockRequest {}
// SAFETY: as above.
unsafe impl Message for BlockReply {}

/// The rings at the start of a client's connection.
pub type BlockArea = ServiceArea<BlockRequest, BlockReply, RING_SLOTS>;

/// The rings fit before the data part.
const _: () = assert!(core::mem::size_of::<BlockArea>() <= DATA_OFFSET);

/// What a request asks of the device, once [`check`]ed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checked {
    /// Read `count` blocks from `lba` to `buffer`.
    Read {
        /// The first block.
        lba: u64,
        /// How many.
        count: u32,
        /// Where they go.
        buffer: u64,
    },
    /// Write `count` blocks from `buffer` at `lba`.
    Write {
        /// The first block.
        lba: u64,
        /// How many.
        count: u32,
        /// Where they come from.
        buffer: u64,
    },
    /// Report the device's size.
    Info,
}

/// Applies the rules to `request` from the client whose connection region
/// starts at `area` (its data part being `area + DATA_OFFSET .. area +
/// area_size`), for a device of `blocks` blocks (`None`: no medium, which
/// every operation but [`OP_INFO`] reports). Returns what to do, or the
/// status to reply.
pub fn check(
    request: &BlockRequest,
    area: u64,
    area_size: u64,
    blocks: Option<u64>,
) -> Result<Checked, u32> {
    let read = match request.op {
        OP_READ => true,
        OP_WRITE => false,
        OP_INFO => return Ok(Checked::Info),
        _ => return Err(BAD_REQUEST),
    };
    let count = request.count;
    if count == 0 || count > MAX_BLOCKS {
        return Err(BAD_REQUEST);
    }
    let blocks = blocks.ok_or(NO_MEDIUM)?;
    match request.lba.checked_add(u64::from(count)) {
        Some(end) if end <= blocks => {}
        _ => return Err(OUT_OF_RANGE),
    }
    let data_start = area.checked_add(DATA_OFFSET as u64).ok_or(BAD_BUFFER)?;
    let data_end = area.checked_add(area_size).ok_or(BAD_BUFFER)?;
    let length = u64::from(count) * BLOCK_SIZE as u64;
    let inside = request.buffer >= data_start
        && request.buffer.checked_add(length).is_some_and(|end| end <= data_end);
    if !inside || !request.buffer.is_multiple_of(BUFFER_ALIGN) {
        return Err(BAD_BUFFER);
    }
    let (lba, buffer) = (request.lba, request.buffer);
    Ok(if read {
        Checked::Read { lba, count, buffer }
    } else {
        Checked::Write { lba, count, buffer }
    })
}

/// Whose request the driver takes next: each client in turn, skipping those
/// with nothing queued (see the module's fairness rule).
#[derive(Clone, Copy, Debug, Default)]
pub struct RoundRobin {
    next: usize,
}

impl RoundRobin {
    /// Starts with client 0.
    pub const fn new() -> Self {
        Self { next: 0 }
    }

    /// The first of `clients` clients, from the one after the last served,
    /// for which `waiting` says a request is queued; `None` if none is.
    pub fn next(
        &mut self,
        clients: usize,
        mut waiting: impl FnMut(usize) -> bool,
    ) -> Option<usize> {
        for step in 0..clients {
            let client = (self.next + step) % clients;
            if waiting(client) {
                self.next = (client + 1) % clients;
                return Some(client);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use proptest::prelude::*;
    use std::{vec, vec::Vec};

    const AREA: u64 = 0x0400_0000;
    const SIZE: u64 = AREA_SIZE as u64;
    const DATA: u64 = AREA + DATA_OFFSET as u64;

    fn read(lba: u64, count: u32, buffer: u64) -> BlockRequest {
        BlockRequest { op: OP_READ, id: 7, lba, count, reserved: 0, buffer }
    }

    #[test]
    fn a_request_inside_the_device_and_the_data_part_is_taken() {
        assert_eq!(
            check(&read(10, 2, DATA), AREA, SIZE, Some(100)),
            Ok(Checked::Read { lba: 10, count: 2, buffer: DATA })
        );
        let last = SIZE - DATA_OFFSET as u64 - u64::from(MAX_BLOCKS) * 512;
        let write = BlockRequest { op: OP_WRITE, ..read(68, MAX_BLOCKS, DATA + last) };
        assert!(matches!(check(&write, AREA, SIZE, Some(100)), Ok(Checked::Write { .. })));
        let info = BlockRequest { op: OP_INFO, ..Default::default() };
        assert_eq!(check(&info, AREA, SIZE, None), Ok(Checked::Info));
    }

    #[test]
    fn each_broken_rule_has_its_status() {
        let device = Some(100);
        let bad_op = BlockRequest { op: 9, ..read(0, 1, DATA) };
        assert_eq!(check(&bad_op, AREA, SIZE, device), Err(BAD_REQUEST));
        assert_eq!(check(&read(0, 0, DATA), AREA, SIZE, device), Err(BAD_REQUEST));
        assert_eq!(check(&read(0, MAX_BLOCKS + 1, DATA), AREA, SIZE, device), Err(BAD_REQUEST));
        assert_eq!(check(&read(0, 1, DATA), AREA, SIZE, None), Err(NO_MEDIUM));
        assert_eq!(check(&read(99, 2, DATA), AREA, SIZE, device), Err(OUT_OF_RANGE));
        assert_eq!(check(&read(u64::MAX, 1, DATA), AREA, SIZE, device), Err(OUT_OF_RANGE));
        // The rings, another client's memory, the end, misalignment.
        assert_eq!(check(&read(0, 1, AREA), AREA, SIZE, device), Err(BAD_BUFFER));
        assert_eq!(check(&read(0, 1, AREA + SIZE), AREA, SIZE, device), Err(BAD_BUFFER));
        assert_eq!(check(&read(0, 2, AREA + SIZE - 512), AREA, SIZE, device), Err(BAD_BUFFER));
        assert_eq!(check(&read(0, 1, DATA + 2), AREA, SIZE, device), Err(BAD_BUFFER));
        assert_eq!(check(&read(0, 1, u64::MAX - 3), AREA, SIZE, device), Err(BAD_BUFFER));
    }

    proptest! {
        /// Whatever a client writes, a taken request stays inside the device
        /// and inside the client's data part, aligned.
        #[test]
        fn a_taken_request_never_leaves_its_bounds(
            op in 0u32..5, lba in any::<u64>(), count in any::<u32>(), buffer in any::<u64>(),
            blocks in proptest::option::of(0u64..1 << 40),
        ) {
            let request = BlockRequest { op, id: 0, lba, count, reserved: 0, buffer };
            if let Ok(Checked::Read { lba, count, buffer } | Checked::Write { lba, count, buffer }) =
                check(&request, AREA, SIZE, blocks)
            {
                prop_assert!(lba + u64::from(count) <= blocks.unwrap());
                prop_assert!(buffer >= DATA);
                prop_assert!(buffer + u64::from(count) * 512 <= AREA + SIZE);
                prop_assert_eq!(buffer % BUFFER_ALIGN, 0);
            }
        }

        /// A client with a request queued is served before any other client
        /// is served twice.
        #[test]
        fn no_client_waits_behind_two_requests_of_another(
            clients in 1usize..8, bursts in proptest::collection::vec(0usize..20, 8),
        ) {
            let mut queued: Vec<usize> = bursts[..clients].to_vec();
            let mut order = RoundRobin::new();
            let mut since_served = vec![0usize; clients];
            while let Some(client) = order.next(clients, |c| queued[c] > 0) {
                queued[client] -= 1;
                for (other, count) in since_served.iter_mut().enumerate() {
                    if other == client {
                        *count = 0;
                    } else if queued[other] > 0 {
                        *count += 1;
                        prop_assert!(*count < clients, "client {} waited too long", other);
                    }
                }
            }
            prop_assert!(queued.iter().all(|&q| q == 0));
        }
    }
}
