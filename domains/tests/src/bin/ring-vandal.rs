//! `ring-vandal`: a client of driver services that breaks the protocol.
//! For every connection it holds (a region and a channel named
//! `SERVICE-DOMAIN`), it claims far more requests than the ring holds and
//! tells the driver. Each driver must drop it and go on serving the others.

#![no_std]
#![no_main]

use vesper_abi::cap::CapKind;
use vesper_activations::events::{caps, EventChannel};
use vesper_activations::{domain_name, println};

vesper_activations::main!(run);

fn run() {
    let mut vandalised = 0;
    for cap in caps().filter(|cap| cap.kind() == CapKind::Region) {
        let is_connection =
            cap.name().strip_suffix(domain_name()).is_some_and(|service| service.ends_with('-'));
        let Some(channel) = EventChannel::named(cap.name()).filter(|_| is_connection) else {
            continue;
        };
        // The request ring's `head` is the region's first word: claim four
        // billion requests.
        // SAFETY: the region is mapped read-write here; what is written is
        // this domain's own business (and the driver's to reject).
        unsafe { (cap.base as *mut u32).write_volatile(0xF000_0000) };
        let _ = channel.advance();
        vandalised += 1;
    }
    println!("ring-vandal: {vandalised} connections vandalised");
}
