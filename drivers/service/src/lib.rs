//! What drivers and their clients share.
//!
//! A driver is a domain that owns a device (its registers mapped through
//! the manifest's `uses`, its interrupts delivered as events) and serves
//! clients, other domains. Each client talks to it through:
//!
//! - a **shared region** that both map read-write, holding two [`ring`]s:
//!   the client's requests and the driver's replies (the layout is
//!   [`ring::ServiceArea`]);
//! - an **event channel** between the two: the client sends an event after
//!   it queued requests (or took replies from a full ring), the driver after
//!   it queued replies (or took requests from a full ring).
//!
//! The rules every driver keeps (and [`ring`] enforces):
//!
//! 1. Each ring has exactly one producer and one consumer; each side writes
//!    only its own counter. Counters are free-running `u32`s; a slot's
//!    index is the counter modulo the ring's length.
//! 2. Everything the other side wrote is untrusted: a counter that claims
//!    more entries than the ring holds is corruption, and a message is
//!    copied out once, then checked field by field, before it is used.
//! 3. A driver that finds a client's ring corrupt, or a request it cannot
//!    make sense of, reports it and drops that client: it never serves it
//!    again, and the other clients are not affected. A driver never
//!    blocks on one client; a client whose reply ring is full loses the
//!    replies that do not fit (counted, as overruns).
//!
//! [`timer`] is the system timer's service, [`console`] the UART's,
//! [`block`] the SD card's (with [`sd`], the card's protocol), [`mailbox`]
//! the VideoCore firmware's property interface (with [`board`], what its
//! board revision code says), [`display`] the screen's;
//! [`registers`] holds the devices' register blocks, defined once for
//! drivers and tests; [`supervision`] is the restart policy of the
//! `supervisor` domain, which keeps drivers running for their clients.

#![no_std]

pub mod block;
pub mod board;
pub mod console;
pub mod display;
pub mod mailbox;
pub mod registers;
pub mod ring;
pub mod sd;
pub mod supervision;
pub mod timer;

/// The size of a connection's shared region for `service` (the builder
/// makes it): [`block::AREA_SIZE`] for [`block::SERVICE`], whose data
/// travel there beside the rings, [`display::AREA_SIZE`] for
/// [`display::SERVICE`], whose back buffer lies there, one 4 KiB page for
/// the others.
pub const fn connection_size(service: &str) -> u64 {
    if const_eq(service, block::SERVICE) {
        block::AREA_SIZE as u64
    } else if const_eq(service, display::SERVICE) {
        display::AREA_SIZE as u64
    } else {
        4096
    }
}

/// `a == b`, in a `const fn`.
const fn const_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
