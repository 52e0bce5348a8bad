//! `block-latency`: a client of the block service that reads one block at
//! a time, each when the last has come back, while another client hammers
//! the driver, for the QEMU test of fairness. It reports the longest time
//! a request took (ns).

#![no_std]
#![no_main]

use vesper_activations::services::BlockClient;
use vesper_activations::{now_ns, println, sleep_ns};
use vesper_service::block::{BlockRequest, OK, OP_READ};

vesper_activations::main!(run);

/// Requests timed.
const REQUESTS: u64 = 50;

fn run() {
    let Some(mut disk) = BlockClient::own() else {
        println!("block-latency: no connection to the block service");
        return;
    };
    let request = BlockRequest {
        op: OP_READ,
        lba: 2048,
        count: 1,
        buffer: disk.data_base(),
        ..Default::default()
    };
    // Let the hammer fill its ring first.
    sleep_ns(1_000_000);
    let mut longest = 0;
    for _ in 0..REQUESTS {
        let start = now_ns();
        match disk.request(request) {
            Ok(reply) if reply.status == OK => longest = longest.max(now_ns() - start),
            other => {
                println!("block-latency: FAILED: {other:?}");
                return;
            }
        }
    }
    println!("block-latency: {REQUESTS} one-block reads, the longest took {longest} ns");
}
