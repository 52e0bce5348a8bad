//! `timer-client`: a client of the timer service (the `systimer` driver),
//! for the QEMU tests. It asks for an alarm every period of its own
//! reservation, checks that each one comes and none early, and reports the
//! lateness the driver saw and the lateness of its own wake-up; then it
//! sleeps through `DelayNs::delay_us` and reports how long that took.
//! Its connection is the region and channel named `timer-DOMAIN`.

#![no_std]
#![no_main]

use embedded_hal::delay::DelayNs;
use heapless::String;
use vesper_activations::services::TimerClient;
use vesper_activations::{dcb, domain_name, now_ns, println};
use vesper_service::timer::FIRED;

vesper_activations::main!(run);

/// Alarms awaited.
const ALARMS: u64 = 40;
/// The delay tried through `DelayNs`.
const DELAY_US: u32 = 1_500;

fn run() {
    let mut name: String<16> = String::new();
    let _ = name.push_str("timer-");
    let _ = name.push_str(domain_name());
    let Some(mut timer) = TimerClient::open(&name) else {
        println!("timer-client: no connection {name} (a region and a channel of that name)");
        return;
    };
    let period_ns = dcb().reservation.period_ns;
    let first = now_ns() + period_ns;
    let Ok(id) = timer.periodic(first, period_ns) else {
        println!("timer-client: FAILED: the request did not go through");
        return;
    };
    let (mut early, mut driver_max, mut woke_max, mut woke_sum) = (0, 0, 0, 0);
    for n in 0..ALARMS {
        let reply = match timer.wait() {
            Ok(reply) if reply.id == id && reply.status == FIRED => reply,
            other => {
                println!("timer-client: FAILED: alarm {n}: {other:?}");
                return;
            }
        };
        let woke = now_ns();
        let due = first + n * period_ns;
        if reply.deadline_ns != due || reply.fired_ns < due || woke < due {
            early += 1;
        }
        driver_max = driver_max.max(reply.fired_ns.saturating_sub(due));
        woke_max = woke_max.max(woke.saturating_sub(due));
        woke_sum += woke.saturating_sub(due);
    }
    let _ = timer.cancel(id);
    println!(
        "timer-client: {ALARMS} alarms every {} us, {early} early or missing; lateness at the \
         driver max {} us, at the wake-up max {} us mean {} us",
        period_ns / 1_000,
        driver_max / 1_000,
        woke_max / 1_000,
        woke_sum / ALARMS / 1_000
    );
    let before = now_ns();
    timer.delay_us(DELAY_US);
    let took = now_ns() - before;
    let verdict = if took >= u64::from(DELAY_US) * 1_000 { "not early" } else { "EARLY" };
    println!("timer-client: delay_us({DELAY_US}) took {} us: {verdict}", took / 1_000);
}
