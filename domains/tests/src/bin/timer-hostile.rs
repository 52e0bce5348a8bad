//! `timer-hostile`: a client of the timer service that breaks the
//! protocol: it claims far more requests than its ring holds and tells
//! the driver. The driver must drop it and go on serving the others.

#![no_std]
#![no_main]

use heapless::String;
use vesper_activations::events::{EventChannel, Region};
use vesper_activations::{domain_name, println};

vesper_activations::main!(run);

fn run() {
    let mut name: String<16> = String::new();
    let _ = name.push_str("timer-");
    let _ = name.push_str(domain_name());
    let (Some(region), Some(channel)) = (Region::named(&name), EventChannel::named(&name)) else {
        println!("timer-hostile: no connection {name}");
        return;
    };
    // The request ring's `head` is the region's first word: claim four
    // billion requests.
    // SAFETY: the region is mapped read-write here; what is written is
    // this domain's own business (and the driver's to reject).
    unsafe { (region.base as *mut u32).write_volatile(0xF000_0000) };
    let _ = channel.advance();
    println!("timer-hostile: garbage written");
}
