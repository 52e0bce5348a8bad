//! `mailbox-hostile`: a client of the `mailbox` driver that asks for what
//! it must not get (tags that change the machine or allocate memory,
//! wrong lengths, unknown clocks, lengths past any buffer), reports each
//! status, then asks properly: the driver refuses the bad requests and
//! still serves it.

#![no_std]
#![no_main]

use vesper_activations::println;
use vesper_activations::services::MailboxClient;
use vesper_service::mailbox::{TAG_BOARD_REVISION, TAG_CLOCK_RATE};

vesper_activations::main!(run);

fn run() {
    let Some(mut mailbox) = MailboxClient::open("mailbox-hostile") else {
        println!("mailbox-hostile: no connection");
        return;
    };
    let attempts: [(&str, u32, u32, [u32; 4]); 7] = [
        ("allocate a framebuffer", 0x0004_0001, 8, [16, 0, 0, 0]),
        ("set the ARM clock", 0x0003_8002, 12, [3, 2_000_000_000, 0, 0]),
        ("power a device off", 0x0002_8001, 8, [0, 0, 0, 0]),
        ("revision with a value", TAG_BOARD_REVISION, 4, [0; 4]),
        ("clock without an id", TAG_CLOCK_RATE, 0, [0; 4]),
        ("clock 99", TAG_CLOCK_RATE, 4, [99, 0, 0, 0]),
        ("a huge length", TAG_CLOCK_RATE, u32::MAX, [3, 0, 0, 0]),
    ];
    for (what, tag, len, value) in attempts {
        match mailbox.ask(tag, len, value) {
            Ok(reply) => println!("mailbox-hostile: {what}: status {}", reply.status),
            Err(error) => println!("mailbox-hostile: {what}: {error:?}"),
        }
    }
    match mailbox.get(TAG_BOARD_REVISION) {
        Ok(value) => println!("mailbox-hostile: still served: revision {:#x}", value[0]),
        Err(error) => println!("mailbox-hostile: not served: {error:?}"),
    }
}
