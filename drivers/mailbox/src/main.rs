//! `mailbox`: the VideoCore's mailbox 0 as a driver domain, serving the
//! mailbox service (`vesper_service::mailbox`, whose module documentation
//! states the rules) to every client the manifest connects to it.
//!
//! The manifest gives the driver the device (`uses = ["mailbox"]`, with
//! `trusted = true`: the firmware reads and writes the property message by
//! DMA, and the device's page also holds the interrupt controller) and for
//! each client a region and a channel both named `mailbox-CLIENT`, and
//! its `args` may name the one client that may allocate the framebuffer
//! (`framebuffer=display`: the display driver). The driver takes each
//! client's requests in turn, one at a time: it checks
//! the request, builds the property message in its own memory (a client
//! never names an address, so the firmware writes nowhere else), hands it
//! to the firmware, waits for the answer with a deadline, checks it, and
//! replies.
//!
//! On a physical Pi 3 the firmware reaches the message through the bus
//! address alias that bypasses the VideoCore's L2 cache (0xC000_0000), and
//! the ARM's data cache is cleaned and invalidated around each message
//! (`dc civac`, which the kernel lets EL0 use); QEMU needs neither but
//! accepts both.

#![no_std]
#![no_main]

use core::ptr::{addr_of, addr_of_mut};
use heapless::Vec;
use tock_registers::interfaces::{Readable, Writeable};
use vesper_activations::cache::clean_invalidate;
use vesper_activations::events::Region;
use vesper_activations::services::{notify_clients, serve_clients, Served};
use vesper_activations::{args, await_any_event, events_seen, now_ns, println};
use vesper_service::mailbox::{
    answer, check, check_framebuffer, framebuffer_answer, framebuffer_client, framebuffer_message,
    message, token, MailboxReply, MailboxRequest, FRAMEBUFFER_MESSAGE_WORDS, MESSAGE_WORDS,
    RING_SLOTS, TAG_ALLOCATE_FRAMEBUFFER, TIMEOUT,
};
use vesper_service::registers::{
    MailboxRegisters, Mmio, BUS_UNCACHED_ALIAS, MAILBOX_OFFSET, MAILBOX_STATUS,
};

vesper_activations::main!(run);

/// The driver's name in its reports.
const DRIVER: &str = "mailbox";
/// The name prefix of the regions and channels that connect clients.
const PREFIX: &str = "mailbox-";
/// The most clients the driver serves.
const MAX_CLIENTS: usize = 8;
/// How long the firmware has to answer.
const DEADLINE_NS: u64 = 10_000_000;
/// The longest message the driver sends.
const BUFFER_WORDS: usize = if FRAMEBUFFER_MESSAGE_WORDS > MESSAGE_WORDS {
    FRAMEBUFFER_MESSAGE_WORDS
} else {
    MESSAGE_WORDS
};

/// One client, as the driver sees it: whether it may allocate the
/// framebuffer.
type Client = Served<MailboxRequest, MailboxReply, RING_SLOTS, bool>;

/// The property message, on cache lines of its own.
#[repr(C, align(64))]
struct Buffer([u32; BUFFER_WORDS]);

/// The one message in flight.
static mut BUFFER: Buffer = Buffer([0; BUFFER_WORDS]);

fn run() {
    let Some(device) = Region::named("mailbox") else {
        println!("mailbox: the manifest gives no mailbox device");
        return;
    };
    // SAFETY: the manifest maps the mailbox's page here as device memory,
    // and this driver alone uses mailbox 0 once the kernel has booted.
    let registers = unsafe { Mmio::<MailboxRegisters>::new(device.base as usize + MAILBOX_OFFSET) };
    let mut clients: Vec<Client, MAX_CLIENTS> = serve_clients(DRIVER, PREFIX, || false);
    let framebuffer = framebuffer_client(args());
    for client in clients.iter_mut() {
        client.state = framebuffer == Some(client.name.as_str());
    }
    println!("mailbox: serving {} clients", clients.len());
    loop {
        let seen = events_seen();
        for client in clients.iter_mut().filter(|c| !c.dropped) {
            serve(&registers, client);
        }
        notify_clients(&mut clients);
        await_any_event(seen);
    }
}

/// Answers every request `client` has queued (the framebuffer only for
/// the client allowed it), while its reply ring has room.
fn serve(registers: &Mmio<MailboxRegisters>, client: &mut Client) {
    client.answer_each(DRIVER, |may_allocate, request| {
        let refused = |status| MailboxReply { id: request.id, status, ..MailboxReply::default() };
        if request.tag == TAG_ALLOCATE_FRAMEBUFFER {
            if let Err(status) = check_framebuffer(&request, *may_allocate) {
                return refused(status);
            }
            let mut words = framebuffer_message(&request);
            return match exchange(registers, &mut words) {
                Ok(()) => framebuffer_answer(&request, &words),
                Err(status) => refused(status),
            };
        }
        match check(&request) {
            Ok(tag) => {
                let mut words = message(tag, &request);
                match exchange(registers, &mut words) {
                    Ok(()) => answer(request.id, tag, &words),
                    Err(status) => refused(status),
                }
            }
            Err(status) => refused(status),
        }
    });
}

/// Hands the property message `words` to the firmware in the driver's own
/// buffer and, once it has answered, copies its answer back into `words`;
/// [`TIMEOUT`] if it did not answer in time.
fn exchange(registers: &Mmio<MailboxRegisters>, words: &mut [u32]) -> Result<(), u32> {
    // SAFETY: the driver's one message buffer, used by this function only,
    // which runs on one thread at a time (the driver's only thread).
    let buffer = unsafe { &mut *addr_of_mut!(BUFFER) };
    let len = words.len().min(BUFFER_WORDS);
    buffer.0[..len].copy_from_slice(&words[..len]);
    let address = addr_of!(BUFFER) as usize;
    // The domain's memory is at its physical address (single address
    // space), below 1 GiB: the bus address is the uncached alias of it.
    let bus = token(address as u32 | BUS_UNCACHED_ALIAS);
    clean_invalidate(address, core::mem::size_of::<Buffer>());
    // An answer to a message that timed out may have come since: drop it,
    // or it would pass for this one's (the same buffer, the same token).
    while !registers.status.is_set(MAILBOX_STATUS::EMPTY) {
        let _ = registers.read.get();
    }
    let deadline = now_ns().saturating_add(DEADLINE_NS);
    if !wait_until(deadline, || !registers.status.is_set(MAILBOX_STATUS::FULL)) {
        return Err(TIMEOUT);
    }
    registers.write.set(bus);
    loop {
        if !wait_until(deadline, || !registers.status.is_set(MAILBOX_STATUS::EMPTY)) {
            return Err(TIMEOUT);
        }
        // Words for other channels (none are expected) are dropped.
        if registers.read.get() == bus {
            break;
        }
    }
    clean_invalidate(address, core::mem::size_of::<Buffer>());
    // SAFETY: the firmware wrote the buffer behind the compiler's back:
    // read it afresh.
    let answered = unsafe { core::ptr::read_volatile(addr_of!(BUFFER.0)) };
    words[..len].copy_from_slice(&answered[..len]);
    Ok(())
}

/// Polls `ready` until it holds (true) or `deadline` passes (false).
fn wait_until(deadline: u64, ready: impl Fn() -> bool) -> bool {
    while !ready() {
        if now_ns() >= deadline {
            return false;
        }
    }
    true
}
