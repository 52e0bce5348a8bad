//! `systimer`: the BCM2835 system timer as a driver domain, serving the
//! timer service (`vesper_service::timer`, whose module documentation
//! states the rules) to every client the manifest connects to it.
//!
//! The manifest gives the driver the device (`uses = ["systimer"]`), its
//! two compare interrupts (`systimer.c1`, `systimer.c3`), and for each client a region and a
//! channel both named `timer-CLIENT`. The driver finds its clients by that
//! prefix, then loops: take every client's requests, fire every alarm
//! that is due, set compare 1 to the earliest one left and compare 3 to the
//! next, and wait for any event (a compare's interrupt or a client's
//! request).
//!
//! On a physical Pi 3 nothing differs: the system timer runs at 1 MHz from
//! the 19.2 MHz crystal whatever the core clock, and compares 1 and 3 are
//! free (the GPU firmware uses 0 and 2).

#![no_std]
#![no_main]

use heapless::Vec;
use tock_registers::interfaces::{Readable, Writeable};
use vesper_activations::events::{Interrupt, Region};
use vesper_activations::services::{notify_clients, serve_clients, ClientNames, Served};
use vesper_activations::{await_any_event, events_seen, now_ns, println};
use vesper_service::registers::{Mmio, SysTimerRegisters, CS};
use vesper_service::ring::Corrupt;
use vesper_service::timer::{
    tick_at_or_after, Alarm, Alarms, Outcome, TimerReply, TimerRequest, FIRED, MAX_CLIENTS,
    RING_SLOTS,
};

vesper_activations::main!(run);

/// The driver's name in its reports.
const DRIVER: &str = "systimer";
/// The name prefix of the regions and channels that connect clients.
const PREFIX: &str = "timer-";

/// One client, as the driver sees it; its state, the replies that did not
/// fit its ring.
type Client = Served<TimerRequest, TimerReply, RING_SLOTS, u64>;

/// The system timer: its registers and where its clock stands against
/// the domains' clock.
struct Timer {
    registers: Mmio<SysTimerRegisters>,
    /// A reading of the domains' clock (ns since boot)...
    ns0: u64,
    /// ...and of the 1 MHz counter at the same moment.
    tick0: u64,
}

impl Timer {
    /// The 64-bit counter (read high, low, high again, so that a carry
    /// between the two halves is not torn).
    fn counter(&self) -> u64 {
        loop {
            let high = self.registers.chi.get();
            let low = self.registers.clo.get();
            if self.registers.chi.get() == high {
                return (u64::from(high) << 32) | u64::from(low);
            }
        }
    }

    /// A reading of the domains' clock and of the counter taken at the same
    /// moment, to a tick: the counter is read on both sides of the clock
    /// and the pair taken again if they differ (the driver was preempted in
    /// between), so that no compare is late by that gap for ever.
    fn paired_reading(&self) -> (u64, u64) {
        loop {
            let before = self.counter();
            let ns = now_ns();
            if self.counter().saturating_sub(before) <= 1 {
                return (ns, before);
            }
        }
    }

    /// Sets compare 1 for the earliest deadline of `next` and compare 3
    /// for the other; returns whether the counter has already passed one
    /// of them (its match would then come only after the low word wraps:
    /// the caller must look again instead of waiting).
    fn set_compares(&self, next: [Option<u64>; 2]) -> bool {
        let mut passed = false;
        for (deadline_ns, compare) in next.into_iter().zip([&self.registers.c1, &self.registers.c3])
        {
            let Some(deadline_ns) = deadline_ns else { continue };
            let tick = tick_at_or_after(deadline_ns, self.ns0, self.tick0);
            // A compare matches the low 32 bits of the counter.
            compare.set(tick as u32);
            passed |= self.counter() >= tick;
        }
        passed
    }
}

fn run() {
    let (Some(device), Some(c1), Some(c3)) = (
        Region::named("systimer"),
        Interrupt::named("systimer.c1"),
        Interrupt::named("systimer.c3"),
    ) else {
        println!(
            "systimer: the manifest gives no systimer device, or not both its interrupts c1 and c3"
        );
        return;
    };
    // SAFETY: the manifest maps the timer's registers here, and this
    // driver alone uses them.
    let registers = unsafe { Mmio::<SysTimerRegisters>::new(device.base as usize) };
    let mut timer = Timer { registers, ns0: 0, tick0: 0 };
    (timer.ns0, timer.tick0) = timer.paired_reading();
    let mut clients: Vec<Client, MAX_CLIENTS> = serve_clients(DRIVER, PREFIX, || 0);
    println!("systimer: serving {} clients: {}", clients.len(), ClientNames(&clients));
    // A match left from before (the compares reset to 0) may have been
    // delivered already: clear them and unmask the lines.
    timer.registers.cs.write(CS::M1::SET + CS::M3::SET);
    let irqs = [c1, c3];
    let mut irqs_seen = irqs.map(|irq| {
        let _ = irq.ack();
        irq.count()
    });
    let mut alarms = Alarms::new();
    loop {
        let seen = events_seen();
        for (irq, seen) in irqs.iter().zip(&mut irqs_seen) {
            if irq.count() != *seen {
                *seen = irq.count();
                timer.registers.cs.write(CS::M1::SET + CS::M3::SET);
                let _ = irq.ack();
            }
        }
        take_requests(&mut clients, &mut alarms);
        fire_due(&mut clients, &mut alarms);
        notify_clients(&mut clients);
        if !timer.set_compares(alarms.next_two()) {
            await_any_event(seen);
        }
    }
}

/// Takes every request waiting from every client; a client whose ring is
/// corrupt is dropped.
fn take_requests(clients: &mut [Client], alarms: &mut Alarms) {
    for (index, client) in clients.iter_mut().enumerate().filter(|(_, c)| !c.dropped) {
        loop {
            let request = match client.end.requests.pop() {
                Ok(Some(request)) => request,
                Ok(None) => break,
                Err(Corrupt) => {
                    drop_client(client, index, alarms, "its request ring is corrupt");
                    break;
                }
            };
            client.notify = true;
            if let Outcome::Refused(status) = alarms.request(index, request, now_ns()) {
                let reply =
                    TimerReply { id: request.id, status, deadline_ns: request.at_ns, fired_ns: 0 };
                reply_to(client, index, alarms, reply);
                if client.dropped {
                    break;
                }
            }
        }
    }
}

/// Fires every alarm due now, earliest deadline first.
fn fire_due(clients: &mut [Client], alarms: &mut Alarms) {
    while let Some(Alarm { client, id, deadline_ns, .. }) = alarms.pop_due(now_ns()) {
        let reply = TimerReply { id, status: FIRED, deadline_ns, fired_ns: now_ns() };
        if let Some(c) = clients.get_mut(client).filter(|c| !c.dropped) {
            reply_to(c, client, alarms, reply);
        }
    }
}

/// Queues `reply` for `client` (number `index`); a full ring loses it
/// (counted), a corrupt one drops the client.
fn reply_to(client: &mut Client, index: usize, alarms: &mut Alarms, reply: TimerReply) {
    match client.end.replies.push(reply) {
        Ok(true) => client.notify = true,
        Ok(false) => {
            client.state += 1;
            client.notify = true;
            if client.state.is_power_of_two() {
                println!(
                    "systimer: {}: {} replies lost (its ring was full)",
                    client.name, client.state
                );
            }
        }
        Err(Corrupt) => drop_client(client, index, alarms, "its reply ring is corrupt"),
    }
}

/// Stops serving `client` for good.
fn drop_client(client: &mut Client, index: usize, alarms: &mut Alarms, why: &str) {
    alarms.drop_client(index);
    client.drop_for(DRIVER, why);
}
