//! `mailbox-client`: asks the `mailbox` driver for the board's properties
//! and prints them.

#![no_std]
#![no_main]

use vesper_activations::println;
use vesper_activations::services::MailboxClient;
use vesper_service::mailbox::{
    TAG_ARM_MEMORY, TAG_BOARD_REVISION, TAG_CLOCK_RATE, TAG_MAX_TEMPERATURE, TAG_TEMPERATURE,
    TAG_VC_MEMORY,
};

vesper_activations::main!(run);

/// The ARM's clock.
const ARM_CLOCK: u32 = 3;

fn run() {
    let Some(mut mailbox) = MailboxClient::open("mailbox-client") else {
        println!("mailbox-client: no connection");
        return;
    };
    match mailbox.get(TAG_BOARD_REVISION) {
        Ok(value) => println!("mailbox-client: board revision {:#x}", value[0]),
        Err(error) => println!("mailbox-client: board revision: {error:?}"),
    }
    for (name, tag) in [("ARM memory", TAG_ARM_MEMORY), ("VideoCore memory", TAG_VC_MEMORY)] {
        match mailbox.get(tag) {
            Ok(value) => {
                println!("mailbox-client: {name} base {:#x} size {:#x}", value[0], value[1])
            }
            Err(error) => println!("mailbox-client: {name}: {error:?}"),
        }
    }
    match mailbox.get_for(TAG_CLOCK_RATE, ARM_CLOCK) {
        Ok(value) => println!("mailbox-client: ARM clock {} Hz", value[1]),
        Err(error) => println!("mailbox-client: ARM clock: {error:?}"),
    }
    for (name, tag) in [("temperature", TAG_TEMPERATURE), ("max temperature", TAG_MAX_TEMPERATURE)]
    {
        match mailbox.get_for(tag, 0) {
            Ok(value) => println!("mailbox-client: {name} {} mC", value[1]),
            Err(error) => println!("mailbox-client: {name}: {error:?}"),
        }
    }
}
