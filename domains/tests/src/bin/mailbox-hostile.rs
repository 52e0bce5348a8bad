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
    let attempts: [(&str, u32, u32, [u32; 4]); 8] = [
        ("allocate a framebuffer", 0x0004_0001, 8, [16, 0, 0, 0]),
        ("allocate a framebuffer properly", 0x0004_0001, 16, [640, 480, 32, 1]),
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
    // A request whose value names this domain's memory, as if the firmware
    // should write there: the driver never passes addresses on, so the
    // canary is untouched.
    let canary = [0x5A5A_5A5Au32; 16];
    let address = canary.as_ptr() as u32;
    let named = mailbox.ask(TAG_BOARD_REVISION, 0, [address, address, address, address]);
    let intact = canary.iter().all(|&word| unsafe_read(&word) == 0x5A5A_5A5A);
    println!(
        "mailbox-hostile: my address as a value: {:?}, canary intact {intact}",
        named.map(|r| r.status)
    );
    match mailbox.get(TAG_BOARD_REVISION) {
        Ok(value) => println!("mailbox-hostile: still served: revision {:#x}", value[0]),
        Err(error) => println!("mailbox-hostile: not served: {error:?}"),
    }
}

/// `word` read afresh from memory, as another agent (the firmware) may
/// have written it.
fn unsafe_read(word: &u32) -> u32 {
    // SAFETY: a reference to a live, aligned u32.
    unsafe { core::ptr::read_volatile(word) }
}
