//! `fuzzer`: a hostile domain. Calls every system call, and numbers that are
//! none, with seeded pseudo-random arguments, thousands of times. The
//! kernel must refuse what is wrong with error codes and stay up; the other
//! domains must keep their reservations and their data.
//!
//! Capability arguments are often handles it really holds (from its DCB's
//! mirror of its table, which changes as it mints, deletes and moves), so
//! the type and rights checks are reached, not only the handle check.
//!
//! Calls that would end the experiment early or flood the console are
//! tamed: `exit` is never made, `domain_stop` never on its own `self`
//! capability, its original capabilities are never deleted or moved away
//! (copies it mints are fair game), a reservation change always keeps at
//! least 1 ms every 10 ms (less would starve it before it is done, which
//! is allowed but ends the experiment), and `yield` only rarely; `rfa` and `console_write` get only
//! pointers or lengths the kernel must refuse, and `block_until` and
//! `set_alarm` never reach more than 10 us ahead.

#![no_std]
#![no_main]

use vesper_abi::cap::{RESERVATION, SELF};
use vesper_abi::syscall::{decode, Error, Syscall, ERRORS};
use vesper_activations::events::cap;
use vesper_activations::syscall::raw_number as raw;
use vesper_activations::{dcb, now_ns, println};

vesper_activations::main!(run);

const MS: u64 = 1_000_000;

/// Calls made.
const CALLS: u32 = 20_000;

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A handle the domain holds now, or (one time in four) the one next
    /// to it: often stale or empty.
    fn held_handle(&mut self) -> u64 {
        let held = dcb().caps.iter().filter(|c| c.handle != 0).count() as u64;
        let pick = self.next() % held.max(1);
        let handle = dcb().caps.iter().filter(|c| c.handle != 0).nth(pick as usize);
        handle.map_or(0, |c| c.handle) ^ u64::from(self.next().is_multiple_of(4))
    }

    /// A value that is often on an edge: zero, all ones, a kernel address,
    /// an address in another domain's slot, one in this domain, a handle
    /// the domain holds (or held), or random.
    fn argument(&mut self, own: u64) -> u64 {
        match self.next() % 10 {
            8 | 9 => self.held_handle(),
            0 => 0,
            1 => u64::MAX,
            2 => 0xFFFF_FF80_0008_0000 + (self.next() & 0xFFFF),
            3 => 0x0200_0000 + (self.next() & 0x1F_FFFF),
            4 => own.wrapping_add(self.next() & 0xFFF),
            5 => self.next() & 0xFFFF,
            _ => self.next(),
        }
    }
}

fn run() {
    let mut rng = Rng(0x5EED_0000_0000_0001);
    let own = &rng as *const Rng as u64;
    let mut counts = [0u32; ERRORS.len() + 1];
    let me = cap(SELF).map_or(0, |c| c.handle);
    let originals: [u64; 4] =
        [SELF, RESERVATION, "poke", "vault"].map(|name| cap(name).map_or(0, |c| c.handle));
    for _ in 0..CALLS {
        // Every call, and one number past them.
        let number = rng.next() % 21;
        let (a0, a1, a2) = (rng.argument(own), rng.argument(own), rng.argument(own));
        let result = match Syscall::from_number(number) {
            Some(Syscall::Exit) => continue,
            Some(Syscall::DomainStop) if a0 == me => continue,
            Some(Syscall::CapDelete) if originals.contains(&a0) => continue,
            Some(Syscall::EventSend) if originals.contains(&a1) => continue,
            Some(Syscall::ReservationSet) => raw(number, [a0, 10 * MS, MS + a2 % (9 * MS)]),
            Some(Syscall::Yield) if !rng.next().is_multiple_of(256) => continue,
            Some(Syscall::ConsoleWrite) => {
                let (pointer, len) = if a1.is_multiple_of(2) {
                    (own, 1 << 20)
                } else {
                    (0xFFFF_FF80_0008_0000, a1 % 64)
                };
                raw(number, [pointer, len, a2])
            }
            Some(Syscall::Rfa) => {
                // Only pointers the kernel must refuse: misaligned, or in the kernel.
                let bad = if a0.is_multiple_of(2) { a0 | 1 } else { 0xFFFF_FF80_0008_0000 };
                raw(number, [bad, a1, a2])
            }
            Some(Syscall::BlockUntil | Syscall::SetAlarm) => {
                raw(number, [now_ns() + (a0 % 10_000), a1, a2])
            }
            _ => raw(number, [a0, a1, a2]),
        };
        let kind = match decode(result) {
            Err(error) => ERRORS.iter().position(|e| *e == error).unwrap_or(0),
            Ok(_) => ERRORS.len(),
        };
        counts[kind] += 1;
    }
    let count = |error: Error| counts[ERRORS.iter().position(|e| *e == error).unwrap_or(0)];
    println!(
        "fuzzer: {CALLS} calls: {} unknown, {} bad argument, {} bad pointer, {} bad capability, \
         {} stale, {} wrong type, {} missing right, {} bound, {} exhausted, {} overloaded, \
         {} below minimum, {} accepted",
        count(Error::UnknownSyscall),
        count(Error::BadArgument),
        count(Error::BadPointer),
        count(Error::BadCapability),
        count(Error::StaleCapability),
        count(Error::WrongType),
        count(Error::MissingRight),
        count(Error::Bound),
        count(Error::Exhausted),
        count(Error::Overloaded),
        count(Error::BelowMinimum),
        counts[ERRORS.len()]
    );
}
