//! `block-check`: a client of the block service (the `emmc` driver), for
//! the QEMU tests. On a card it writes 1,000 blocks of seeded
//! pseudo-random data at pseudo-random places, in requests of 1 to 8
//! blocks, reads them all back in other groupings and compares; then it
//! sends requests that break each rule of the service and checks each
//! gets its error. Without a card it checks that every request is
//! answered "no medium". Its connection is `block-DOMAIN`.

#![no_std]
#![no_main]

use vesper_activations::println;
use vesper_activations::services::{BlockClient, ServiceError};
use vesper_service::block::{
    BlockRequest, BAD_BUFFER, BAD_REQUEST, BLOCK_SIZE, MAX_BLOCKS, NO_MEDIUM, OK, OP_INFO, OP_READ,
    OP_WRITE, OUT_OF_RANGE,
};

vesper_activations::main!(run);

/// Blocks written and read back.
const BLOCKS: usize = 1_000;
/// The places written are runs of up to this many blocks, each in a slot
/// of its own (so no write overlaps another).
const RUN: usize = 8;
/// Where the slots start: past the first MiB (a partition table and its
/// gap; the checker overwrites whatever else the card holds).
const FIRST_LBA: u64 = 2048;

/// xorshift64: the same sequence on every run.
#[derive(Clone)]
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// What block `lba` holds once written: a function of its number alone.
fn pattern(lba: u64, out: &mut [u8]) {
    let mut random = Random(lba.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    for word in out.chunks_mut(8) {
        word.copy_from_slice(&random.next().to_le_bytes());
    }
}

fn run() {
    let Some(mut disk) = BlockClient::own() else {
        println!("block-check: no connection to the block service (services = [\"block\"])");
        return;
    };
    match disk.blocks() {
        Ok(blocks) => {
            println!("block-check: the device has {blocks} blocks");
            random_blocks(&mut disk, blocks);
            broken_rules(&mut disk, blocks);
        }
        Err(ServiceError::Refused(NO_MEDIUM)) => no_medium(&mut disk),
        Err(error) => println!("block-check: FAILED: asking the size: {error:?}"),
    }
}

/// The 1,000 blocks, written then read back.
fn random_blocks(disk: &mut BlockClient, blocks: u64) {
    let Some(runs) = Runs::new(blocks) else {
        println!("block-check: FAILED: the device is too small ({blocks} blocks)");
        return;
    };
    let mut data = [0u8; RUN * BLOCK_SIZE];
    let mut requests = 0;
    for (lba, count) in runs.clone() {
        for (block, out) in data.chunks_mut(BLOCK_SIZE).take(count).enumerate() {
            pattern(lba + block as u64, out);
        }
        if let Err(error) = disk.write(lba, &data[..count * BLOCK_SIZE]) {
            println!("block-check: FAILED: writing {count} blocks at {lba}: {error:?}");
            return;
        }
        requests += 1;
    }
    // Back, one block at a time for every other run and whole runs for
    // the rest.
    let (mut mismatches, mut reads) = (0, 0);
    let mut expected = [0u8; BLOCK_SIZE];
    for (index, (lba, count)) in runs.enumerate() {
        let per_read = if index % 2 == 1 { 1 } else { count };
        for first in (0..count).step_by(per_read) {
            let out = &mut data[..per_read * BLOCK_SIZE];
            if let Err(error) = disk.read(lba + first as u64, out) {
                println!("block-check: FAILED: reading {per_read} blocks at {lba}: {error:?}");
                return;
            }
            reads += 1;
            for (block, got) in out.chunks(BLOCK_SIZE).enumerate() {
                pattern(lba + (first + block) as u64, &mut expected);
                if got != expected {
                    mismatches += 1;
                }
            }
        }
    }
    println!(
        "block-check: wrote {BLOCKS} blocks in {requests} requests, read them back in {reads}: \
         {mismatches} differ"
    );
}

/// The runs written: [`BLOCKS`] blocks in runs of 1 to [`RUN`], each in a
/// slot of its own, the slots visited in a scattered order (a stride
/// prime to their number), the lengths from a seeded sequence. Iterating
/// again gives the same runs.
#[derive(Clone)]
struct Runs {
    slots: u64,
    stride: u64,
    next_slot: u64,
    left: usize,
    lengths: Random,
}

impl Runs {
    fn new(blocks: u64) -> Option<Self> {
        let slots = blocks.saturating_sub(FIRST_LBA) / RUN as u64;
        let gcd = |mut a: u64, mut b: u64| {
            while b != 0 {
                (a, b) = (b, a % b);
            }
            a
        };
        let stride = [7919, 7907, 7901].into_iter().find(|&s| gcd(s, slots) == 1)?;
        (slots >= BLOCKS as u64).then_some(Self {
            slots,
            stride,
            next_slot: 0,
            left: BLOCKS,
            lengths: Random(0x5EED),
        })
    }
}

impl Iterator for Runs {
    type Item = (u64, usize);

    fn next(&mut self) -> Option<(u64, usize)> {
        if self.left == 0 {
            return None;
        }
        let count = (1 + self.lengths.next() as usize % RUN).min(self.left);
        self.left -= count;
        let slot = self.next_slot * self.stride % self.slots;
        self.next_slot += 1;
        Some((FIRST_LBA + slot * RUN as u64, count))
    }
}

/// Each rule of the service, broken once.
fn broken_rules(disk: &mut BlockClient, blocks: u64) {
    let data = disk.data_base();
    let read =
        |lba, count, buffer| BlockRequest { op: OP_READ, lba, count, buffer, ..Default::default() };
    let cases: [(&str, BlockRequest, u32); 8] = [
        ("an unknown operation", BlockRequest { op: 77, ..read(0, 1, data) }, BAD_REQUEST),
        ("no blocks", read(0, 0, data), BAD_REQUEST),
        ("too many blocks", read(0, MAX_BLOCKS + 1, data), BAD_REQUEST),
        ("past the end", read(blocks - 1, 2, data), OUT_OF_RANGE),
        ("a block number that wraps", read(u64::MAX, 1, data), OUT_OF_RANGE),
        ("a misaligned buffer", read(0, 1, data + 1), BAD_BUFFER),
        (
            "a buffer over the rings",
            BlockRequest { op: OP_WRITE, ..read(0, 1, data - 4096) },
            BAD_BUFFER,
        ),
        ("another domain's memory", read(0, 1, 0x0008_0000), BAD_BUFFER),
    ];
    let mut wrong = 0;
    for (what, request, status) in cases {
        match disk.request(request) {
            Ok(reply) if reply.status == status => {}
            other => {
                wrong += 1;
                println!("block-check: FAILED: {what}: {other:?}, expected status {status}");
            }
        }
    }
    let info = disk.request(BlockRequest { op: OP_INFO, ..Default::default() });
    let served = matches!(info, Ok(reply) if reply.status == OK && reply.blocks == blocks);
    println!(
        "block-check: {} broken rules refused as they should be, still served: {served}",
        8 - wrong
    );
}

/// Without a card: every request is answered, with "no medium".
fn no_medium(disk: &mut BlockClient) {
    let mut block = [0u8; BLOCK_SIZE];
    let read = disk.read(0, &mut block);
    let write = disk.write(0, &block);
    let refused = ServiceError::Refused(NO_MEDIUM);
    if read == Err(refused) && write == Err(refused) {
        println!("block-check: no medium: every request answered as such");
    } else {
        println!("block-check: FAILED: without a card: read {read:?}, write {write:?}");
    }
}
