//! `block-hammer`: a client of the block service that keeps its request
//! ring full of the largest reads the service allows, for the QEMU test of
//! fairness. It reports how long its requests took on average (ns), the
//! yardstick for how long another client may wait behind it.

#![no_std]
#![no_main]

use vesper_activations::services::BlockClient;
use vesper_activations::{now_ns, println};
use vesper_service::block::{BlockRequest, MAX_BLOCKS, OK, OP_READ, RING_SLOTS};

vesper_activations::main!(run);

/// Requests made in all.
const REQUESTS: u64 = 400;

fn run() {
    let Some(mut disk) = BlockClient::own() else {
        println!("block-hammer: no connection to the block service");
        return;
    };
    let request = BlockRequest {
        op: OP_READ,
        lba: 4096,
        count: MAX_BLOCKS,
        buffer: disk.data_base(),
        ..Default::default()
    };
    let start = now_ns();
    let (mut sent, mut done) = (0, 0);
    while done < REQUESTS {
        while sent < REQUESTS && sent - done < RING_SLOTS as u64 {
            if disk.submit(request).is_err() {
                println!("block-hammer: FAILED: a request did not go through");
                return;
            }
            sent += 1;
        }
        match disk.next_reply() {
            Ok(reply) if reply.status == OK => done += 1,
            other => {
                println!("block-hammer: FAILED: {other:?}");
                return;
            }
        }
    }
    println!(
        "block-hammer: {REQUESTS} requests of {MAX_BLOCKS} blocks, {} ns each on average",
        (now_ns() - start) / REQUESTS
    );
}
