//! `bench-block`: measures the block service (the `emmc` driver) in
//! retired instructions, as `bench NAME instructions=N` lines on the
//! kernel's console:
//!
//! - `block_request_one_block`: a one-block read, from just before the
//!   client queues the request to its reply in hand (the request, the
//!   event, the driver's turn: the checks, the command, the block through
//!   the data port, the reply, the event back, the client's wake-up); the
//!   data stay in the connection's data part, so no copy of the client's
//!   is counted.
//! - `block_read_1mib`, `block_write_1mib`: 1 MiB read (written) from
//!   block 2048 on, sequentially, in requests of the most blocks one
//!   request moves. Under `-icount` an instruction is a nanosecond: the
//!   service carries 1024e9 / N KiB per second of virtual time.
//!
//! It overwrites the card: `cargo xtask bench` gives it a blank one.

#![no_std]
#![no_main]

use vesper_activations::println;
use vesper_activations::services::BlockClient;
use vesper_domains_bench::{instructions, ROUNDS};
use vesper_service::block::{BlockRequest, BLOCK_SIZE, MAX_BLOCKS, OK, OP_READ, OP_WRITE};

vesper_activations::main!(run);

/// Where the measured transfers start.
const FIRST_LBA: u64 = 2048;
/// 1 MiB in blocks.
const MIB_BLOCKS: u64 = (1 << 20) / BLOCK_SIZE as u64;

fn run() {
    let Some(mut disk) = BlockClient::own() else {
        println!("bench-block: the manifest gives this domain no block service");
        return;
    };
    let buffer = disk.data_base();
    let request = |op, lba, count| BlockRequest { op, lba, count, buffer, ..Default::default() };
    let mut best = u64::MAX;
    for _ in 0..ROUNDS {
        let before = instructions();
        let reply = disk.request(request(OP_READ, FIRST_LBA, 1));
        let after = instructions();
        if !matches!(reply, Ok(reply) if reply.status == OK) {
            println!("bench-block: a one-block read failed: {reply:?}");
            return;
        }
        best = best.min(after - before);
    }
    println!("bench block_request_one_block instructions={best}");
    for (op, name) in [(OP_READ, "block_read_1mib"), (OP_WRITE, "block_write_1mib")] {
        let start = instructions();
        let mut lba = FIRST_LBA;
        while lba < FIRST_LBA + MIB_BLOCKS {
            let reply = disk.request(request(op, lba, MAX_BLOCKS));
            if !matches!(reply, Ok(reply) if reply.status == OK) {
                println!("bench-block: {name} failed at block {lba}: {reply:?}");
                return;
            }
            lba += u64::from(MAX_BLOCKS);
        }
        println!("bench {name} instructions={}", instructions() - start);
    }
}
