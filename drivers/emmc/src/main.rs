//! `emmc`: the SD card on the BCM2835's Arasan SDHCI (the EMMC controller)
//! as a driver domain, serving the block service (`vesper_service::block`,
//! whose module documentation states the rules) to every client the
//! manifest connects to it.
//!
//! The manifest gives the driver the controller (`uses = ["emmc"]`, a
//! device that can reach all of RAM by DMA, so the domain must be
//! `trusted = true`), its interrupt (`emmc.irq`), and for each client a
//! region and a channel both named `block-CLIENT`. At start the driver
//! identifies the card (`vesper_service::sd` has the sequence) and reports
//! it, or reports that there is none; then it loops: take one request from
//! each client in turn whose reply ring has room, check it, carry it out,
//! reply, and wait for any event when no client has anything queued. It
//! measures the fairness it promises: for each client, the most blocks it
//! moved for others while that client had a request waiting, reported
//! whenever it grows (the rule bounds it by `MAX_BLOCKS` per other
//! client).
//!
//! Data move by programmed I/O through the controller's data port, one
//! 32-bit word at a time: the driver never programs the controller's DMA.
//! Each step of a command (its response, each block, the end of the data)
//! is awaited by interrupt: the controller raises `emmc.irq` for the
//! flags the driver enables, and the driver acknowledges the interrupt once
//! it has cleared them (the line stays masked until then). Every wait has
//! a deadline; a card that does not answer in time, or a CRC, end-bit or
//! index error, resets the controller's command and data circuits and
//! fails the request with `TIMEOUT` or `DEVICE_ERROR`, never a hang.
//! Without `emmc.irq` in the manifest the driver polls the flags instead
//! (a documented fallback, at [`POLL_NS`] intervals).
//!
//! On a physical Pi 3: the SD slot reaches the EMMC only with GPIO 48-53
//! in ALT3 (when the manifest also gives the driver the GPIO block, `uses
//! = ["emmc", "gpio"]`, the driver puts them there, with pull-ups, and
//! reads the card-detect switch on GPIO 47); the SD clock is divided from
//! the EMMC's base clock (`EMMC_CLOCK_HZ`, the board description's) to at
//! most 400 kHz during identification and 25 MHz after.

#![no_std]
#![no_main]

use heapless::Vec;
use tock_registers::interfaces::{ReadWriteable, Readable, Writeable};
use vesper_activations::events::{Interrupt, Region};
use vesper_activations::services::{notify_clients, serve_clients, ClientNames, Served};
use vesper_activations::{
    await_any_event, await_any_event_until, events_seen, now_ns, println, sleep_ns,
};
use vesper_service::block::{
    check, BlockReply, BlockRequest, Checked, RoundRobin, BLOCK_SIZE, DEVICE_ERROR, NO_MEDIUM, OK,
    RING_SLOTS, TIMEOUT,
};
use vesper_service::registers::{
    route_sd_card, sd_card_detect, EmmcRegisters, GpioRegisters, Mmio, BLKSIZECNT, CONTROL0,
    CONTROL1, EMMC_CLOCK_HZ, EMMC_INT, EMMC_STATUS,
};
use vesper_service::ring::Corrupt;
use vesper_service::sd::{self, Card, Command};

vesper_activations::main!(run);

/// The driver's name in its reports.
const DRIVER: &str = "emmc";
/// The name prefix of the regions and channels that connect clients.
const PREFIX: &str = "block-";
/// The most clients the driver serves.
const MAX_CLIENTS: usize = 8;
/// How long a command may take to be answered.
const COMMAND_NS: u64 = 100_000_000;
/// How long a block may take to be read or written.
const DATA_NS: u64 = 500_000_000;
/// How long a card may take to power up (ACMD41 until ready).
const POWER_UP_NS: u64 = 1_000_000_000;
/// Between two ACMD41s while the card powers up.
const POWER_UP_RETRY_NS: u64 = 10_000_000;
/// How often the flags are looked at without an interrupt.
const POLL_NS: u64 = 20_000;
/// Every error flag.
const ERRORS: u32 = 0xFFFF_0000;
/// The flags the driver waits for, which raise the interrupt line.
const SIGNALLED: u32 = ERRORS | 0b11_0011;

/// Why a command failed: the status the client gets.
type Failure = u32;

/// One client, as the driver sees it.
type Client = Served<BlockRequest, BlockReply, RING_SLOTS, Waiting>;

/// How long a client waited: the fairness the driver measures.
#[derive(Default)]
struct Waiting {
    /// Blocks moved for other clients while it had a request waiting,
    /// since it was last served...
    blocks: u64,
    /// ...and the most that ever was: the fairness rule says at most
    /// `MAX_BLOCKS` per other client.
    most: u64,
}

/// The controller, its interrupt, and the card once identified.
struct Emmc {
    registers: Mmio<EmmcRegisters>,
    irq: Option<Interrupt>,
    irqs_seen: u64,
    card: Option<Card>,
}

fn run() {
    let Some(device) = Region::named("emmc") else {
        println!("emmc: the manifest gives no emmc device");
        return;
    };
    // SAFETY: the manifest maps the controller's registers here, and this
    // driver alone uses them.
    let registers = unsafe { Mmio::<EmmcRegisters>::new(device.base as usize) };
    let irq = Interrupt::named("emmc.irq");
    if irq.is_none() {
        println!("emmc: no emmc.irq interrupt: polling the controller");
    }
    if let Some(gpio) = Region::named("gpio") {
        // SAFETY: the manifest maps the GPIO block here (`uses`); the driver
        // touches only the SD slot's pins.
        let gpio = unsafe { Mmio::<GpioRegisters>::new(gpio.base as usize) };
        route_sd_card(&gpio);
        println!("emmc: card detect (GPIO 47) reads {}", sd_card_detect(&gpio) as u8);
    }
    let mut emmc = Emmc { registers, irqs_seen: irq.map_or(0, |i| i.count()), irq, card: None };
    emmc.card = match emmc.identify() {
        Ok(card) => {
            let kind = if card.high_capacity { "SDHC" } else { "SDSC" };
            println!("emmc: {kind} card, {} blocks ({} MiB)", card.blocks, card.blocks >> 11);
            Some(card)
        }
        Err(status) => {
            println!("emmc: no card ({})", status_name(status));
            None
        }
    };
    let mut clients: Vec<Client, MAX_CLIENTS> = serve_clients(DRIVER, PREFIX, Waiting::default);
    println!("emmc: serving {} clients: {}", clients.len(), ClientNames(&clients));
    let mut order = RoundRobin::new();
    loop {
        let seen = events_seen();
        let waiting = |c: &Client| {
            !c.dropped
                && c.end.requests.waiting().is_ok_and(|n| n > 0)
                && c.end.replies.free().is_ok_and(|n| n > 0)
        };
        match order.next(clients.len(), |i| waiting(&clients[i])) {
            Some(index) => {
                settle_wait(&mut clients[index]);
                let moved = emmc.serve(&mut clients[index]);
                for (other, client) in clients.iter_mut().enumerate() {
                    if other != index && waiting(client) {
                        client.state.blocks += moved;
                    }
                }
                // The reply is announced at once, not when the others'
                // queues run dry: a busy client must not delay another's
                // wake-up.
                notify_clients(&mut clients);
            }
            None => {
                notify_clients(&mut clients);
                // Corrupt rings show as nothing waiting: look for them
                // before sleeping, so that they are reported and dropped.
                drop_corrupt(&mut clients);
                await_any_event(seen);
            }
        }
    }
}

impl Emmc {
    /// Takes one request of `client`, carries it out and replies; returns
    /// the blocks it moved.
    fn serve(&mut self, client: &mut Client) -> u64 {
        let request = match client.end.requests.pop() {
            Ok(Some(request)) => request,
            Ok(None) => return 0,
            Err(Corrupt) => {
                client.drop_for(DRIVER, "its request ring is corrupt");
                return 0;
            }
        };
        let region = client.end.region;
        let blocks = self.card.map(|card| card.blocks);
        // The reply's `blocks` (the device's size for `info`), and the
        // blocks moved, for the fairness account.
        let (status, blocks, moved) = match check(&request, region.base, region.size, blocks) {
            Ok(Checked::Info) => {
                (if blocks.is_some() { OK } else { NO_MEDIUM }, blocks.unwrap_or(0), 0)
            }
            Ok(Checked::Read { lba, count, buffer }) => {
                let (status, moved) = self.transfer(lba, count, buffer, true);
                (status, moved, moved)
            }
            Ok(Checked::Write { lba, count, buffer }) => {
                let (status, moved) = self.transfer(lba, count, buffer, false);
                (status, moved, moved)
            }
            Err(status) => (status, 0, 0),
        };
        let reply = BlockReply { id: request.id, status, blocks };
        match client.end.replies.push(reply) {
            Ok(_) => client.notify = true,
            Err(Corrupt) => client.drop_for(DRIVER, "its reply ring is corrupt"),
        }
        moved
    }

    /// Reads (or writes) `count` blocks at `lba` into (or from) `buffer`,
    /// which `check` found inside the client's data part; returns the
    /// status and the blocks moved.
    fn transfer(&mut self, lba: u64, count: u32, buffer: u64, read: bool) -> (u32, u64) {
        let Some(card) = self.card else { return (NO_MEDIUM, 0) };
        let command = if read { sd::read(count) } else { sd::write(count) };
        if let Err(status) = self.command_with_data(command, card.address(lba), count) {
            return (status, 0);
        }
        let ready = if read { EMMC_INT::READ_RDY::SET } else { EMMC_INT::WRITE_RDY::SET };
        for block in 0..u64::from(count) {
            if let Err(status) = self.wait_for(ready.value, DATA_NS) {
                self.abandon_transfer(count);
                return (status, block);
            }
            let start = buffer + block * BLOCK_SIZE as u64;
            for word in 0..(BLOCK_SIZE / 4) as u64 {
                let at = (start + word * 4) as *mut u32;
                // SAFETY: `check` put the whole buffer inside the client's
                // data part, which this domain maps read-write and which
                // holds none of the driver's own memory; volatile, since
                // the client may change it at any time (it only hurts
                // itself).
                unsafe {
                    if read {
                        at.write_volatile(self.registers.data.get());
                    } else {
                        self.registers.data.set(at.read_volatile());
                    }
                }
            }
        }
        match self.wait_for(EMMC_INT::DATA_DONE::SET.value, DATA_NS) {
            Ok(_) => (OK, u64::from(count)),
            Err(status) => {
                self.abandon_transfer(count);
                (status, u64::from(count))
            }
        }
    }

    /// After a transfer failed part way: resets the controller's circuits
    /// and, for a multi-block one, tells the card to stop (CMD12), so that
    /// the next command finds both ready.
    fn abandon_transfer(&mut self, count: u32) {
        self.reset_lines();
        if count > 1 {
            // A card that no longer answers fails this too; the next
            // request then gets the error of its own command.
            let _ = self.command(sd::STOP_TRANSMISSION, 0);
        }
    }

    /// Resets the controller, starts the SD clock at identification speed,
    /// and identifies the card.
    fn identify(&mut self) -> Result<Card, Failure> {
        let r = &self.registers;
        r.control1.write(CONTROL1::SRST_HC::SET);
        self.until(|r| !r.control1.is_set(CONTROL1::SRST_HC), COMMAND_NS)?;
        r.control0.write(CONTROL0::BUS_POWER::SET + CONTROL0::BUS_VOLTAGE::V3_3);
        self.set_clock(sd::IDENTIFICATION_HZ)?;
        let r = &self.registers;
        r.irpt_mask.set(u32::MAX);
        r.irpt_en.set(SIGNALLED);
        r.interrupt.set(u32::MAX);
        self.acknowledge();
        self.command(sd::GO_IDLE, 0)?;
        // A card that does not know CMD8 predates version 2: SDSC only.
        let version2 = match self.command(sd::SEND_IF_COND, sd::IF_COND_ARG) {
            Ok(r7) if r7[0] & 0xFFF == sd::IF_COND_ARG => true,
            Ok(_) => return Err(DEVICE_ERROR),
            Err(_) => {
                self.reset_lines();
                false
            }
        };
        let argument = if version2 { sd::OP_COND_ARG } else { sd::OP_COND_ARG & !(1 << 30) };
        let give_up = now_ns() + POWER_UP_NS;
        let high_capacity = loop {
            self.command(sd::APP_CMD, 0).map_err(|_| NO_MEDIUM)?;
            let ocr = self.command(sd::SD_SEND_OP_COND, argument).map_err(|_| NO_MEDIUM)?;
            if let Some(high_capacity) = sd::ocr_ready(ocr[0]) {
                break high_capacity;
            }
            if now_ns() >= give_up {
                return Err(TIMEOUT);
            }
            sleep_ns(POWER_UP_RETRY_NS);
        };
        self.command(sd::ALL_SEND_CID, 0)?;
        let rca = sd::rca(self.command(sd::SEND_RELATIVE_ADDR, 0)?[0]);
        let csd = self.command(sd::SEND_CSD, rca << 16)?;
        let blocks = sd::csd_blocks(csd).ok_or(DEVICE_ERROR)?;
        let blocks = sd::addressable_blocks(high_capacity, blocks);
        self.command(sd::SELECT_CARD, rca << 16)?;
        self.command(sd::SET_BLOCKLEN, BLOCK_SIZE as u32)?;
        self.set_clock(sd::TRANSFER_HZ)?;
        Ok(Card { high_capacity, rca, blocks })
    }

    /// Runs the SD clock at most at `hz`, from the EMMC's base clock.
    fn set_clock(&mut self, hz: u32) -> Result<(), Failure> {
        let r = &self.registers;
        r.control1.modify(CONTROL1::CLK_EN::CLEAR);
        let divisor = sd::divisor_bits(sd::clock_divisor(EMMC_CLOCK_HZ, hz));
        r.control1.modify(
            CONTROL1::CLK_FREQ8.val(divisor >> 8)
                + CONTROL1::CLK_FREQ_MS2.val((divisor >> 6) & 0b11)
                + CONTROL1::DATA_TOUNIT::Longest
                + CONTROL1::CLK_INTLEN::SET,
        );
        self.until(|r| r.control1.is_set(CONTROL1::CLK_STABLE), COMMAND_NS)?;
        self.registers.control1.modify(CONTROL1::CLK_EN::SET);
        Ok(())
    }

    /// Issues `command` with `argument` and waits for its response; an
    /// R1 status with an error bit fails it.
    fn command(&mut self, command: Command, argument: u32) -> Result<[u32; 4], Failure> {
        self.command_with_data(command, argument, 0)
    }

    /// [`Emmc::command`] for a command that moves `blocks` blocks (0: none).
    /// Any failure resets the command and data circuits, so that the next
    /// command does not find them busy.
    fn command_with_data(
        &mut self,
        command: Command,
        argument: u32,
        blocks: u32,
    ) -> Result<[u32; 4], Failure> {
        let busy = |r: &EmmcRegisters| {
            r.status.is_set(EMMC_STATUS::CMD_INHIBIT) || r.status.is_set(EMMC_STATUS::DAT_INHIBIT)
        };
        if let Err(status) = self.until(|r| !busy(r), COMMAND_NS) {
            self.reset_lines();
            return Err(status);
        }
        let r = &self.registers;
        // Flags left from before (an R1b command's end of busy) are
        // cleared, and their interrupt acknowledged, before this one.
        r.interrupt.set(r.interrupt.get());
        self.acknowledge();
        let r = &self.registers;
        if blocks > 0 {
            r.blksizecnt
                .write(BLKSIZECNT::BLKSIZE.val(BLOCK_SIZE as u32) + BLKSIZECNT::BLKCNT.val(blocks));
        }
        r.arg1.set(argument);
        r.cmdtm.set(command.cmdtm());
        if let Err(status) = self.wait_for(EMMC_INT::CMD_DONE::SET.value, COMMAND_NS) {
            self.reset_lines();
            return Err(status);
        }
        let r = &self.registers;
        let response = [r.resp[0].get(), r.resp[1].get(), r.resp[2].get(), r.resp[3].get()];
        if sd::fails(&command, response[0]) {
            self.reset_lines();
            return Err(DEVICE_ERROR);
        }
        Ok(response)
    }

    /// Waits until a flag of `flags` or an error is raised, or `within` ns
    /// pass; clears what it saw. Sleeps on the interrupt (or polls without
    /// one) rather than spinning.
    fn wait_for(&mut self, flags: u32, within: u64) -> Result<u32, Failure> {
        let until = now_ns().saturating_add(within);
        loop {
            let seen = events_seen();
            let raised = self.registers.interrupt.get();
            if raised & (flags | ERRORS) != 0 {
                self.registers.interrupt.set(raised & (flags | ERRORS));
                self.acknowledge();
                return match raised & ERRORS {
                    0 => Ok(raised),
                    errors => Err(error_status(errors)),
                };
            }
            if now_ns() >= until {
                return Err(TIMEOUT);
            }
            let wake = if self.irq.is_some() { until } else { until.min(now_ns() + POLL_NS) };
            await_any_event_until(seen, wake);
        }
    }

    /// Waits, polling, until `ready` holds of the registers (for the
    /// controller's own resets and clock, which raise no interrupt).
    fn until(&self, ready: impl Fn(&EmmcRegisters) -> bool, within: u64) -> Result<(), Failure> {
        let until = now_ns().saturating_add(within);
        while !ready(&self.registers) {
            if now_ns() >= until {
                return Err(TIMEOUT);
            }
            sleep_ns(POLL_NS);
        }
        Ok(())
    }

    /// Unmasks the interrupt line once the flags it was raised for are
    /// cleared.
    fn acknowledge(&mut self) {
        if let Some(irq) = self.irq {
            if irq.count() != self.irqs_seen {
                self.irqs_seen = irq.count();
                let _ = irq.ack();
            }
        }
    }

    /// After an error: resets the command and data circuits, so that the
    /// next command starts clean.
    fn reset_lines(&mut self) {
        let r = &self.registers;
        r.control1.modify(CONTROL1::SRST_CMD::SET + CONTROL1::SRST_DATA::SET);
        let _ = self.until(
            |r| !r.control1.is_set(CONTROL1::SRST_CMD) && !r.control1.is_set(CONTROL1::SRST_DATA),
            COMMAND_NS,
        );
        self.registers.interrupt.set(u32::MAX);
        self.acknowledge();
    }
}

/// The status an error flag means: no answer is a timeout, the rest
/// (CRC, end bit, index, automatic CMD12) a device error.
fn error_status(errors: u32) -> Failure {
    let timeouts = EMMC_INT::CTO_ERR::SET.value | EMMC_INT::DTO_ERR::SET.value;
    if errors & timeouts != 0 {
        TIMEOUT
    } else {
        DEVICE_ERROR
    }
}

/// A status, for the driver's reports.
fn status_name(status: u32) -> &'static str {
    match status {
        TIMEOUT => "it did not answer in time",
        NO_MEDIUM => "nothing answered in the slot",
        _ => "it reported an error",
    }
}

/// `client` is about to be served: how long it waited (in blocks moved for
/// others) is settled, and reported when it is the longest yet.
fn settle_wait(client: &mut Client) {
    let waiting = &mut client.state;
    if waiting.blocks > waiting.most {
        waiting.most = waiting.blocks;
        println!(
            "emmc: {} waited behind at most {} blocks of other clients' requests",
            client.name, waiting.most
        );
    }
    waiting.blocks = 0;
}

/// Drops every client whose rings are corrupt.
fn drop_corrupt(clients: &mut [Client]) {
    for client in clients.iter_mut().filter(|c| !c.dropped) {
        if client.end.requests.waiting().is_err() {
            client.drop_for(DRIVER, "its request ring is corrupt");
        } else if client.end.replies.free().is_err() {
            client.drop_for(DRIVER, "its reply ring is corrupt");
        }
    }
}
