//! `ping`: the client half of the IPC ping-pong test. Each round it writes
//! a request into the region it shares with `pong`, signals the channel,
//! waits for the reply event and checks the reply. Requests and replies
//! travel through shared memory; the channel only carries events.

#![no_std]
#![no_main]

use vesper_activations::println;
use vesper_domains_tests::ipc::{connect, reply_for};

vesper_activations::main!(run);

/// Round trips made.
const ROUNDS: u64 = 2000;

fn run() {
    let Some((channel, mailbox)) = connect("ping") else { return };
    let mut wrong = 0;
    for round in 1..=ROUNDS {
        let request = round.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        mailbox.post_request(round, request);
        if let Err(error) = channel.advance() {
            println!("ping: send refused: {error:?}");
            return;
        }
        channel.await_count(round);
        let (seq, reply) = mailbox.reply();
        if seq != round || reply != reply_for(request) {
            wrong += 1;
        }
    }
    println!("ping: {ROUNDS} round trips, {wrong} wrong replies");
}
