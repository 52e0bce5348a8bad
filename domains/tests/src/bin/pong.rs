//! `pong`: the server half of the IPC ping-pong test. It waits for each
//! request event, computes the reply in the shared region and signals back.

#![no_std]
#![no_main]

use vesper_activations::println;
use vesper_domains_tests::ipc::{connect, reply_for};

vesper_activations::main!(run);

/// Requests served before it stops (as many as `ping` makes).
const ROUNDS: u64 = 2000;

fn run() {
    let Some((channel, mailbox)) = connect("pong") else { return };
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
