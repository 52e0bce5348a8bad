//! `cap-misuse`: makes every kind of capability misuse and checks that each
//! is refused with its error code, then lends a region to `cap-peer` (a
//! read-only copy moved over the `link` channel) and revokes it.

#![no_std]
#![no_main]

use vesper_abi::cap::{Handle, Rights, RESERVATION, SELF};
use vesper_abi::syscall::Error;
use vesper_activations::events::{cap, cap_by_handle, EventChannel};
use vesper_activations::println;
use vesper_activations::syscall::{
    cap_delete, cap_mint, cap_revoke, domain_donate, domain_stop, event_send, irq_ack,
    reservation_set,
};
use vesper_domains_tests::{pattern, LENT_WORDS};

vesper_activations::main!(run);

const MS: u64 = 1_000_000;

struct Checks {
    passed: u32,
    total: u32,
}

impl Checks {
    fn expect(&mut self, what: &str, result: Result<u64, Error>, expected: Result<u64, Error>) {
        self.total += 1;
        let verdict = if result == expected {
            self.passed += 1;
            "as expected"
        } else {
            "WRONG"
        };
        println!("misuse {what}: {result:?} ({verdict})");
    }
}

fn handle(name: &str) -> u64 {
    cap(name).map_or(0, |c| c.handle)
}

fn run() {
    let (Some(link), Some(inbound)) = (EventChannel::named("link"), EventChannel::named("inbound"))
    else {
        println!("misuse: the manifest gives no channels `link` and `inbound`");
        return;
    };
    let (view, lend, me, reservation) =
        (handle("view"), handle("lend"), handle(SELF), handle(RESERVATION));
    let mut checks = Checks { passed: 0, total: 0 };
    let read = Rights::READ;

    checks.expect("forged handle", event_send(0xABCD_0007, 0), Err(Error::BadCapability));
    checks.expect("empty slot", irq_ack(Handle::new(30, 1).0), Err(Error::BadCapability));
    let copy = cap_mint(view, read).unwrap_or(0);
    let _ = cap_delete(copy);
    checks.expect("deleted handle", cap_mint(copy, read), Err(Error::BadCapability));
    let old = cap_mint(view, read).unwrap_or(0);
    let _ = cap_delete(old);
    let new = cap_mint(view, read).unwrap_or(0);
    checks.expect("stale handle", cap_mint(old, read), Err(Error::StaleCapability));
    let _ = cap_delete(new);
    checks.expect("send on a region", event_send(view, 0), Err(Error::WrongType));
    checks.expect("acknowledge a channel", irq_ack(link.handle()), Err(Error::WrongType));
    checks.expect("stop a reservation", domain_stop(reservation), Err(Error::WrongType));
    checks.expect(
        "mint more rights",
        cap_mint(view, read | Rights::WRITE),
        Err(Error::MissingRight),
    );
    checks.expect(
        "send on a receive-only end",
        inbound.advance().map(|()| 0),
        Err(Error::MissingRight),
    );
    checks.expect("donate to itself", domain_donate(me, MS), Err(Error::MissingRight));
    checks.expect("donate a region", domain_donate(view, MS), Err(Error::WrongType));
    checks.expect(
        "donate a forged handle",
        domain_donate(0xABCD_0007, MS),
        Err(Error::BadCapability),
    );
    let weak = cap_mint(me, Rights::GRANT).unwrap_or(0);
    checks.expect("stop without CONTROL", domain_stop(weak), Err(Error::MissingRight));
    let peek = cap_mint(reservation, read).unwrap_or(0);
    checks.expect(
        "change without WRITE",
        reservation_set(peek, 10 * MS, MS),
        Err(Error::MissingRight),
    );
    checks.expect(
        "move a receive end",
        event_send(link.handle(), link.handle()),
        Err(Error::Bound),
    );
    let kept = cap_mint(view, read).unwrap_or(0);
    checks.expect("move without GRANT", event_send(link.handle(), kept), Err(Error::MissingRight));
    checks.expect(
        "unknown rights",
        cap_mint(view, Rights::from_bits_retain(1 << 40)),
        Err(Error::BadArgument),
    );
    checks.expect(
        "overload the CPU",
        reservation_set(reservation, 10 * MS, 9 * MS),
        Err(Error::Overloaded),
    );
    checks.expect("zero period", reservation_set(reservation, 0, 0), Err(Error::BelowMinimum));
    checks.expect(
        "a 1 us period",
        reservation_set(reservation, 1_000, 100),
        Err(Error::BelowMinimum),
    );
    checks.expect(
        "a slice longer than its period",
        reservation_set(reservation, 10 * MS, 11 * MS),
        Err(Error::BadArgument),
    );
    checks.expect("a fair change", reservation_set(reservation, 10 * MS, 4 * MS), Ok(0));
    println!(
        "misuse: {} of {} checks as expected; reservation now {} ns every {} ns",
        checks.passed,
        checks.total,
        vesper_activations::dcb().reservation.slice_ns,
        vesper_activations::dcb().reservation.period_ns
    );

    // Lend a read-only copy of `lend`, then take it back.
    let Some(region) = cap("lend") else { return };
    for i in 0..LENT_WORDS {
        // SAFETY: `lend` is mapped read-write here; `i` stays inside it.
        unsafe { (region.base as *mut u64).add(i).write_volatile(pattern(i)) };
    }
    let loan = cap_mint(lend, read | Rights::GRANT).unwrap_or(0);
    println!("misuse lend: {:?}", event_send(link.handle(), loan));
    println!("misuse loan left this table: {}", cap_by_handle(loan).is_none());
    link.await_count(1);
    println!("misuse revoke: {:?}", cap_revoke(lend));
    let _ = link.advance();
    println!("misuse: done, still running");
}
