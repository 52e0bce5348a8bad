//! The request/reply layout `ping` and `pong` (and the IPC benchmark) use
//! in their shared region: one request and one reply, each with a sequence
//! number, so a stale message is told from a fresh one.

/// The words at the start of the shared region.
#[repr(C)]
struct Words {
    request_seq: u64,
    request: u64,
    reply_seq: u64,
    reply: u64,
}

/// The mailbox at the start of a shared region.
#[derive(Clone, Copy, Debug)]
pub struct Mailbox(*mut Words);

/// The reply `pong` computes for `request`.
pub fn reply_for(request: u64) -> u64 {
    request.rotate_left(17) ^ 0x5A5A_5A5A_5A5A_5A5A
}

impl Mailbox {
    /// The mailbox in the region at `base` (mapped read-write by both).
    pub fn at(base: u64) -> Self {
        Self(base as *mut Words)
    }

    /// Writes request `seq`.
    pub fn post_request(&self, seq: u64, request: u64) {
        // SAFETY: the region is mapped read-write in this domain, and its
        // peer writes only the reply words.
        unsafe {
            (&raw mut (*self.0).request).write_volatile(request);
            (&raw mut (*self.0).request_seq).write_volatile(seq);
        }
    }

    /// The latest request and its sequence number.
    pub fn request(&self) -> (u64, u64) {
        // SAFETY: as above, reading.
        unsafe {
            (
                (&raw const (*self.0).request_seq).read_volatile(),
                (&raw const (*self.0).request).read_volatile(),
            )
        }
    }

    /// Writes the reply to request `seq`.
    pub fn post_reply(&self, seq: u64, reply: u64) {
        // SAFETY: as above; the peer writes only the request words.
        unsafe {
            (&raw mut (*self.0).reply).write_volatile(reply);
            (&raw mut (*self.0).reply_seq).write_volatile(seq);
        }
    }

    /// The latest reply and its sequence number.
    pub fn reply(&self) -> (u64, u64) {
        // SAFETY: as above, reading.
        unsafe {
            (
                (&raw const (*self.0).reply_seq).read_volatile(),
                (&raw const (*self.0).reply).read_volatile(),
            )
        }
    }
}

/// The channel `calls` and the mailbox in the region `ipc`, as the ping-pong
/// manifest gives them; `None` (after saying so) if it does not.
#[cfg(target_os = "none")]
pub fn connect(who: &str) -> Option<(vesper_activations::events::EventChannel, Mailbox)> {
    use vesper_activations::events::{EventChannel, Region};
    match (EventChannel::named("calls"), Region::named("ipc")) {
        (Some(channel), Some(region)) => Some((channel, Mailbox::at(region.base))),
        _ => {
            vesper_activations::println!(
                "{who}: the manifest gives no channel `calls` or region `ipc`"
            );
            None
        }
    }
}
