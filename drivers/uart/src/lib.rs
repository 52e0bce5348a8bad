//! `uart`: the PL011 UART as a driver domain, serving the console service
//! (`vesper_service::console`, whose module documentation states the
//! rules) to every client the manifest connects to it.
//!
//! The manifest gives the driver the device (`uses = ["uart0"]`, which
//! needs `[image] console = "uart1"`: the kernel prints on the mini UART
//! then), its interrupt (`uart0.irq`), and for each client a region and a
//! channel both named `console-CLIENT`. Input goes to the client that holds
//! the focus: at first the client called `shell` if there is one, else the
//! first; Ctrl-T moves it to the next client (the driver logs where).
//!
//! Typed bytes are echoed as they come (the client sees whole lines; the
//! person typing sees each key).
//!
//! The driver loops: drain the receive FIFO if the interrupt came (QEMU's
//! PL011 raises it like an edge: bytes left in the FIFO would never raise
//! it again), hand the input to the focus, take the clients' text while the
//! output queue has room, fill the transmit FIFO, and wait for any event.
//! While output waits for room in the FIFO the transmit interrupt is on;
//! the interrupt line stays masked from delivery from one interrupt until
//! the driver's next turn acknowledges it (then drains the FIFO), so under
//! load it takes at most one interrupt per turn of its loop, and more bytes
//! per interrupt the faster they come (it reports its interrupts, turns and
//! bytes as the interrupts reach powers of two). Losses (receive overruns, input the
//! focus had no room for) are counted and reported each time their number
//! of occurrences reaches a power of two, so that reports never flood.
//!
//! On a physical Pi 3 the PL011 reaches the header only with GPIO 14/15 in
//! ALT0: when the manifest also gives the driver the GPIO block (`uses =
//! ["uart0", "gpio"]`), it puts them there, taking the header from the
//! kernel's mini UART (whose log then has no pins on a physical board; see
//! docs/physical-pi3.md).
//!
//! For supervision tests the same driver is built as programs that fault
//! on purpose ([`Faults`]): `uart-faulty` faults in the middle of a line
//! (as it takes its `K + 1`th chunk of text, `K` from the manifest's
//! `args = "fault-after=K"`, by default its [`FAULTY_CHUNKS`]th; in its
//! first life only) and `uart-crashing` as soon as it starts, in every
//! life. The `uart` program has no fault
//! in it: the manifest picks the program, and no kernel or driver switch
//! at run time can turn a fault on.
//!
//! The baud divisors (`PL011_DIVISORS_115200`) derive from the UART clock
//! the board description gives `uart0`, which the SD card's config.txt
//! sets (`init_uart_clock`); a test holds the two together.

#![no_std]

use heapless::{Deque, Vec};
use tock_registers::interfaces::{Readable, Writeable};
use vesper_activations::events::{Interrupt, Region};
use vesper_activations::services::{notify_clients, serve_clients, Served};
use vesper_activations::{await_any_event, events_seen, instruction_count, println};
use vesper_service::console::{
    chunk_output_max, prefixed, Chunk, LineAssembler, INPUT, NAME_MAX, OUTPUT, OUTPUT_MARKED,
    RING_SLOTS,
};
use vesper_service::registers::{
    route_header_uart, start_pl011, GpioRegisters, HeaderUart, Mmio, Pl011Registers, DR, FR, INT,
};
use vesper_service::ring::Corrupt;

/// Where the driver faults on purpose, for supervision tests (see the
/// module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Faults {
    /// Never: the `uart` program.
    Never,
    /// When it takes its `k`th chunk of client text (counting from 1),
    /// before printing any of it, in its first life: the line it is
    /// assembling is cut. Restarted, it serves on.
    AtChunk(u64),
    /// As soon as it starts, in every life.
    AtStart,
}

/// The chunk `uart-faulty` faults at when its manifest entry gives no
/// `fault-after`.
pub const FAULTY_CHUNKS: u64 = 5;

/// The key that moves the input focus to the next client: Ctrl-T.
const SWITCH_FOCUS: u8 = 0x14;

/// The driver's name in its reports.
const DRIVER: &str = "uart";
/// The name prefix of the regions and channels that connect clients.
const PREFIX: &str = "console-";
/// The most clients the driver serves.
const MAX_CLIENTS: usize = 8;
/// Bytes of output waiting for the transmit FIFO.
const QUEUE: usize = 4096;

/// One client, as the driver sees it.
type Client = Served<Chunk, Chunk, RING_SLOTS, Lines>;

/// What the driver keeps of a client's text.
struct Lines {
    /// Its line being assembled.
    line: LineAssembler,
    /// Where in the output stream (bytes ever queued) its marked lines
    /// start, oldest first (see `vesper_service::console::OUTPUT_MARKED`).
    marks: Deque<u64, 4>,
}

/// What the driver counts and reports.
#[derive(Default)]
struct Counts {
    /// Bytes the UART lost because its receive FIFO was full.
    rx_overruns: u64,
    /// Typed bytes lost because the focus's reply ring was full (or there
    /// was no client to take them).
    input_lost: u64,
    /// Times that happened.
    input_losses: u64,
    /// Interrupts taken.
    interrupts: u64,
    /// Turns of the driver's loop.
    turns: u64,
    /// Bytes received.
    received: u64,
}

struct Uart {
    registers: Mmio<Pl011Registers>,
    output: Deque<u8, QUEUE>,
    /// Bytes ever queued for output.
    queued: u64,
    /// Bytes ever written into the transmit FIFO.
    sent: u64,
    /// The client whose text is taken next.
    next_client: usize,
    counts: Counts,
    /// Where it faults on purpose.
    faults: Faults,
    /// Chunks of client text taken in this life.
    chunks: u64,
}

/// Faults on purpose (see [`Faults`]): an undefined instruction, which the
/// kernel reports and stops the domain for, as for any fault.
fn fault() -> ! {
    // SAFETY: `udf` raises an undefined-instruction exception and does
    // nothing else: the kernel stops this domain there.
    unsafe { core::arch::asm!("udf #0x5a", options(noreturn, nomem, nostack)) }
}

/// Runs the driver: never returns while the manifest gives it its device.
pub fn run(faults: Faults) {
    if faults == Faults::AtStart {
        fault();
    }
    let (Some(device), Some(irq)) = (Region::named("uart0"), Interrupt::named("uart0.irq")) else {
        println!("uart: the manifest gives no uart0 device or uart0.irq interrupt");
        return;
    };
    // SAFETY: the manifest maps the PL011's registers here, and this driver
    // alone uses them (the kernel prints on the mini UART).
    let registers = unsafe { Mmio::<Pl011Registers>::new(device.base as usize) };
    let mut uart = Uart {
        registers,
        output: Deque::new(),
        queued: 0,
        sent: 0,
        next_client: 0,
        counts: Counts::default(),
        faults,
        chunks: 0,
    };
    uart.init();
    if let Some(gpio) = Region::named("gpio") {
        // SAFETY: the manifest maps the GPIO block here (`uses`); the driver
        // touches only the header's two serial pins.
        let gpio = unsafe { Mmio::<GpioRegisters>::new(gpio.base as usize) };
        route_header_uart(&gpio, HeaderUart::Pl011);
    }
    let new = || Lines { line: LineAssembler::new(), marks: Deque::new() };
    let mut clients: Vec<Client, MAX_CLIENTS> = serve_clients(DRIVER, PREFIX, new);
    let mut focus = clients.iter().position(|c| c.name == "shell").unwrap_or(0);
    println!("uart: serving {} clients; input goes to {}", clients.len(), Names(&clients, focus));
    let _ = irq.ack();
    let mut irqs_seen = irq.count();
    loop {
        let seen = events_seen();
        uart.counts.turns += 1;
        if irq.count() != irqs_seen {
            irqs_seen = irq.count();
            uart.clear_interrupts();
            let _ = irq.ack();
            uart.counts.interrupts += 1;
            if uart.counts.interrupts.is_power_of_two() {
                let c = &uart.counts;
                println!(
                    "uart: {} interrupts in {} turns of the loop, {} bytes received",
                    c.interrupts, c.turns, c.received
                );
            }
        }
        uart.deliver_input(&mut clients, &mut focus);
        uart.take_output(&mut clients);
        uart.transmit(&mut clients);
        notify_clients(&mut clients);
        await_any_event(seen);
    }
}

impl Uart {
    /// 115200 8N1 with FIFOs; receive and receive-timeout interrupts on.
    fn init(&self) {
        start_pl011(&self.registers, INT::RX::SET + INT::RT::SET + INT::OE::SET);
    }

    /// Clears the UART's interrupts (the FIFOs are drained and filled by
    /// every turn of the loop, interrupt or not).
    fn clear_interrupts(&mut self) {
        self.registers.icr.set(0x7FF);
    }

    /// Everything waiting in the receive FIFO, for the focus; [`SWITCH_FOCUS`]
    /// moves the focus to the next client still served.
    fn deliver_input(&mut self, clients: &mut [Client], focus: &mut usize) {
        let mut typed: Vec<u8, 64> = Vec::new();
        while !self.registers.fr.is_set(FR::RXFE) {
            let data = self.registers.dr.extract();
            if data.is_set(DR::OE) {
                self.counts.rx_overruns += 1;
                if self.counts.rx_overruns.is_power_of_two() {
                    println!(
                        "uart: {} receive overruns (the FIFO was full)",
                        self.counts.rx_overruns
                    );
                }
            }
            let byte = data.read(DR::DATA) as u8;
            self.counts.received += 1;
            if byte == SWITCH_FOCUS {
                // What was typed before the switch goes to the old focus.
                self.hand_over(clients, *focus, &typed);
                typed.clear();
                *focus = next_focus(clients, *focus);
                println!("uart: input goes to {}", Names(clients, *focus));
                continue;
            }
            self.echo(byte);
            let _ = typed.push(byte);
            if typed.is_full() {
                self.hand_over(clients, *focus, &typed);
                typed.clear();
            }
        }
        self.hand_over(clients, *focus, &typed);
    }

    /// Shows a typed byte at once, as a terminal's line discipline does:
    /// text as it is, the end of a line as `\r\n`, a backspace as a rub-out;
    /// control characters are not echoed. (An echo may land in the middle
    /// of a client's line going out: it is what the person typed.)
    fn echo(&mut self, byte: u8) {
        let shown: &[u8] = match byte {
            b'\r' | b'\n' => b"\r\n",
            0x08 | 0x7f => b"\x08 \x08",
            b'\t' | 0x20..=0x7e => core::slice::from_ref(&byte),
            _ => b"",
        };
        for &b in shown {
            if self.output.push_back(b).is_ok() {
                self.queued += 1;
            }
        }
    }

    /// Queues `typed` for client `focus`.
    fn hand_over(&mut self, clients: &mut [Client], focus: usize, mut typed: &[u8]) {
        while !typed.is_empty() {
            let (chunk, taken) = Chunk::of(INPUT, typed);
            typed = &typed[taken..];
            let delivered = match clients.get_mut(focus).filter(|c| !c.dropped) {
                Some(client) => match client.end.replies.push(chunk) {
                    Ok(pushed) => {
                        client.notify = true;
                        pushed
                    }
                    Err(Corrupt) => {
                        client.drop_for(DRIVER, "its input ring is corrupt");
                        false
                    }
                },
                None => false,
            };
            if !delivered {
                self.counts.input_lost += taken as u64;
                self.counts.input_losses += 1;
                if self.counts.input_losses.is_power_of_two() {
                    println!(
                        "uart: {} typed bytes lost in {} bursts (no room at the focus)",
                        self.counts.input_lost, self.counts.input_losses
                    );
                }
            }
        }
    }

    /// Takes the clients' text, one chunk at a time round the clients from
    /// where the last call stopped, while the output queue has room for
    /// whatever one more chunk of any client can produce: so no client can
    /// keep the others waiting for room.
    fn take_output(&mut self, clients: &mut [Client]) {
        let count = clients.len();
        let mut idle = 0;
        while idle < count && QUEUE - self.output.len() >= chunk_output_max(NAME_MAX) {
            let index = self.next_client % count;
            self.next_client = (index + 1) % count;
            let client = &mut clients[index];
            if client.dropped || !self.take_chunk(client) {
                idle += 1;
            } else {
                idle = 0;
            }
        }
    }

    /// Takes one chunk of `client`'s text into the output queue; whether
    /// there was one.
    fn take_chunk(&mut self, client: &mut Client) -> bool {
        let chunk = match client.end.requests.pop() {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return false,
            Err(Corrupt) => {
                client.drop_for(DRIVER, "its output ring is corrupt");
                return false;
            }
        };
        client.notify = true;
        self.chunks += 1;
        if self.faults == Faults::AtChunk(self.chunks) && vesper_activations::dcb().restarts == 0 {
            fault();
        }
        let marked = chunk.kind == OUTPUT_MARKED;
        let Some(text) = chunk.text(if marked { OUTPUT_MARKED } else { OUTPUT }) else {
            client.drop_for(DRIVER, "it sent a malformed chunk");
            return false;
        };
        let (name, output, queued) = (&client.name, &mut self.output, &mut self.queued);
        let (marks, mut mark_next) = (&mut client.state.marks, marked);
        client.state.line.push(text, |line| {
            if mark_next {
                // A mark that finds no room is dropped: it measures,
                // nothing depends on it.
                let _ = marks.push_back(*queued);
                mark_next = false;
            }
            prefixed(name, line, |byte| {
                if output.push_back(byte).is_ok() {
                    *queued += 1;
                }
            })
        });
        true
    }

    /// Fills the transmit FIFO from the output queue, answering the marks
    /// of lines whose first byte goes in; while bytes remain, the transmit
    /// interrupt brings the driver back when there is room.
    fn transmit(&mut self, clients: &mut [Client]) {
        while !self.registers.fr.is_set(FR::TXFF) {
            let Some(byte) = self.output.pop_front() else { break };
            self.registers.dr.set(u32::from(byte));
            self.sent += 1;
            for client in
                clients.iter_mut().filter(|c| c.state.marks.front() == Some(&(self.sent - 1)))
            {
                client.state.marks.pop_front();
                let _ = client.end.replies.push(Chunk::mark(instruction_count()));
                client.notify = true;
            }
        }
        let mut mask = INT::RX::SET + INT::RT::SET + INT::OE::SET;
        if !self.output.is_empty() {
            mask += INT::TX::SET;
        }
        self.registers.imsc.write(mask);
    }
}

/// The client after `focus` that is still served, round the clients;
/// `focus` itself if there is no other.
fn next_focus(clients: &[Client], focus: usize) -> usize {
    let count = clients.len().max(1);
    (1..=count)
        .map(|k| (focus + k) % count)
        .find(|&i| clients.get(i).is_some_and(|c| !c.dropped))
        .unwrap_or(focus)
}

/// The clients' names (the focus marked), separated by commas.
struct Names<'a>(&'a [Client], usize);

impl core::fmt::Display for Names<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0.get(self.1) {
            Some(focus) => write!(f, "{}", focus.name)?,
            None => f.write_str("nobody")?,
        }
        f.write_str(" (clients: ")?;
        for (i, client) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(&client.name)?;
        }
        f.write_str(")")
    }
}
