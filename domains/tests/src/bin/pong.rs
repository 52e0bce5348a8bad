//! `pong`: the server half of the IPC ping-pong test. It waits for each
//! request event, computes the reply in the shared region and signals back.

#![no_std]
#![no_main]

use vesper_activations::events::{EventChannel, Region};
use vesper_activations::println;
use vesper_domains_tests::ipc::{reply_for, Mailbox};

vesper_activations::main!(run);

/// Requests served before it stops (as many as `ping` makes).
const ROUNDS: u64 = 2000;

fn run() {
    let (Some(channel), Some(region)) = (EventChannel::named("calls"), Region::named("ipc")) else {
        println!("pong: the manifest gives no channel `calls` or region `ipc`");
        return;
    };
    let mailbox = Mailbox::at(region.base);
    for served in 1..=ROUNDS {
        channel.await_count(served);
        let (seq, request) = mailbox.request();
        mailbox.post_reply(seq, reply_for(request));
        if let Err(error) = channel.advance() {
            println!("pong: send refused: {error:?}");
            return;
        }
    }
    println!("pong: served {ROUNDS} requests");
}
