//! `mailbox`: the VideoCore's mailbox 0 as a driver domain, serving the
//! mailbox service (`vesper_service::mailbox`, whose module documentation
//! states the rules) to every client the manifest connects to it.
//!
//! The manifest gives the driver the device (`uses = ["mailbox"]`, with
//! `trusted = true`: the firmware reads and writes the property message by
//! DMA, and the device's page also holds the interrupt controller) and for
//! each client a region and a channel both named `mailbox-CLIENT`. The
//! driver takes each client's requests in turn, one at a time: it checks
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
use vesper_activations::events::Region;
use vesper_activations::services::{notify_clients, serve_clients, Served};
use vesper_activations::{await_any_event, events_seen, now_ns, println};
use vesper_service::mailbox::{
    answer, check, message, token, MailboxReply, MailboxRequest, Tag, MESSAGE_WORDS, RING_SLOTS,
    TIMEOUT,
};
use vesper_service::registers::{
    MailboxRegisters, Mmio, BUS_UNCACHED_ALIAS, MAILBOX_OFFSET, MAILBOX_STATUS,
};
use vesper_service::ring::Corrupt;

vesper_activations::main!(run);

/// The driver's name in its reports.
const DRIVER: &str = "mailbox";
/// The name prefix of the regions and channels that connect clients.
const PREFIX: &str = "mailbox-";
/// The most clients the driver serves.
const MAX_CLIENTS: usize = 8;
/// How long the firmware has to answer.
const DEADLINE_NS: u64 = 10_000_000;
/// A data cache line, in bytes.
const CACHE_LINE: usize = 64;

/// One client, as the driver sees it.
type Client = Served<MailboxRequest, MailboxReply, RING_SLOTS, ()>;

/// The property message, on cache lines of its own.
#[repr(C, align(64))]
struct Buffer([u32; MESSAGE_WORDS]);

/// The one message in flight.
static mut BUFFER: Buffer = Buffer([0; MESSAGE_WORDS]);

fn run() {
    let Some(device) = Region::named("mailbox") else {
        println!("mailbox: the manifest gives no mailbox device");
        return;
    };
    // SAFETY: the manifest maps the mailbox's page here as device memory,
    // and this driver alone uses mailbox 0 once the kernel has booted.
    let registers = unsafe { Mmio::<MailboxRegisters>::new(device.base as usize + MAILBOX_OFFSET) };
    let mut clients: Vec<Client, MAX_CLIENTS> = serve_clients(DRIVER, PREFIX, || ());
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

/// Answers every request `client` has queued, while its reply ring has
/// room.
fn serve(registers: &Mmio<MailboxRegisters>, client: &mut Client) {
    loop {
        match client.end.replies.free() {
            Ok(0) => return,
            Ok(_) => {}
            Err(Corrupt) => return client.drop_for(DRIVER, "its reply ring is corrupt"),
        }
        let request = match client.end.requests.pop() {
            Ok(Some(request)) => request,
            Ok(None) => return,
            Err(Corrupt) => return client.drop_for(DRIVER, "its request ring is corrupt"),
        };
        let reply = match check(&request) {
            Ok(tag) => ask(registers, tag, &request),
            Err(status) => MailboxReply { id: request.id, status, ..MailboxReply::default() },
        };
        client.notify = true;
        if client.end.replies.push(reply).is_err() {
            return client.drop_for(DRIVER, "its reply ring is corrupt");
        }
    }
}

/// Asks the firmware for `tag` with `request`'s value.
fn ask(registers: &Mmio<MailboxRegisters>, tag: &Tag, request: &MailboxRequest) -> MailboxReply {
    let words = message(tag, request);
    // SAFETY: the driver's one message buffer, used by this function only,
    // which runs on one thread at a time (the driver's only thread).
    let buffer = unsafe { &mut *addr_of_mut!(BUFFER) };
    buffer.0 = words;
    let address = addr_of!(BUFFER) as usize;
    // The domain's memory is at its physical address (single address
    // space), below 1 GiB: the bus address is the uncached alias of it.
    let bus = token(address as u32 | BUS_UNCACHED_ALIAS);
    clean_invalidate(address, core::mem::size_of::<Buffer>());
    let deadline = now_ns().saturating_add(DEADLINE_NS);
    let timeout = MailboxReply { id: request.id, status: TIMEOUT, ..MailboxReply::default() };
    if !wait_until(deadline, || !registers.status.is_set(MAILBOX_STATUS::FULL)) {
        return timeout;
    }
    registers.write.set(bus);
    loop {
        if !wait_until(deadline, || !registers.status.is_set(MAILBOX_STATUS::EMPTY)) {
            return timeout;
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
    answer(request.id, tag, &answered)
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

/// Cleans and invalidates the data cache lines of `[address, address +
/// len)` to the point of coherency, so that the firmware reads what the
/// driver wrote and the driver what the firmware wrote.
fn clean_invalidate(address: usize, len: usize) {
    let mut line = address & !(CACHE_LINE - 1);
    while line < address + len {
        // SAFETY: `dc civac` on a line of the driver's own buffer, which
        // EL0 may do (SCTLR_EL1.UCI); it changes no value, only where it
        // is held.
        unsafe { core::arch::asm!("dc civac, {}", in(reg) line, options(nostack)) };
        line += CACHE_LINE;
    }
    // SAFETY: a barrier, so that the maintenance completes before the
    // mailbox is written or the buffer read.
    unsafe { core::arch::asm!("dsb sy", options(nostack)) };
}
