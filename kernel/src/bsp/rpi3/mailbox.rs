//! The VideoCore mailbox's property channel (channel 8), polled.
//!
//! A message is a buffer of 32-bit words in RAM: total size, a request code,
//! tags, an end tag. The ARM posts the buffer's VideoCore bus address (with
//! the channel in the low four bits) and waits for the same value to come
//! back, after which the firmware has written its answers into the buffer.

use super::memory_map::{mmio, MAILBOX_BASE};
use crate::arch::cache;
use crate::memory::virt_to_phys;
use tock_registers::interfaces::{Readable, Writeable};
use vesper_service::mailbox::{token, CODE_ANSWERED, CODE_REQUEST, TAG_BOARD_REVISION, TAG_END};
use vesper_service::registers::{MailboxRegisters, Mmio, BUS_UNCACHED_ALIAS, MAILBOX_STATUS};

/// How many status polls to allow before giving up on the firmware.
const POLL_LIMIT: u32 = 1_000_000;

/// A property message; 16-byte alignment frees the low bits for the channel.
#[repr(C, align(16))]
struct Message<const N: usize>([u32; N]);

fn mailbox() -> Mmio<MailboxRegisters> {
    // SAFETY: MAILBOX_BASE is mailbox 0 in the kernel map.
    unsafe { Mmio::new(mmio(MAILBOX_BASE)) }
}

/// Sends `message` on the property channel and waits for the answer.
/// Returns `None` if the firmware did not answer or reported an error.
fn call<const N: usize>(message: &mut Message<N>) -> Option<()> {
    let mbox = mailbox();
    let start = message.0.as_ptr() as usize;
    let len = core::mem::size_of_val(&message.0);
    let phys = u32::try_from(virt_to_phys(start)).ok()?;
    let posted = token(phys | BUS_UNCACHED_ALIAS);

    cache::clean_invalidate(start, len);
    // Every status poll takes one of these; when they run out, give up.
    let mut polls = 0..POLL_LIMIT;
    while mbox.status.is_set(MAILBOX_STATUS::FULL) {
        polls.next()?;
    }
    mbox.write.set(posted);
    loop {
        while mbox.status.is_set(MAILBOX_STATUS::EMPTY) {
            polls.next()?;
        }
        if mbox.read.get() == posted {
            break;
        }
    }
    cache::clean_invalidate(start, len);
    // SAFETY: the firmware wrote the buffer behind the compiler's back.
    let code = unsafe { core::ptr::read_volatile(&message.0[1]) };
    (code == CODE_ANSWERED).then_some(())
}

/// The board revision code (e.g. 0xa02082 for a Pi 3 Model B), or None if
/// the firmware did not answer.
pub fn board_revision() -> Option<u32> {
    let mut message = Message([
        7 * 4, // total size in bytes
        CODE_REQUEST,
        TAG_BOARD_REVISION,
        4, // value buffer size
        0, // tag request code
        0, // value: the revision
        TAG_END,
    ]);
    call(&mut message).map(|()| message.0[5])
}
