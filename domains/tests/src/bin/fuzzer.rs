//! `fuzzer`: a hostile domain. Calls every system call, and numbers that are
//! none, with seeded pseudo-random arguments, thousands of times. The
//! kernel must refuse what is wrong with error codes and stay up; the other
//! domains must keep their reservations and their data.
//!
//! Calls that would end the experiment early or flood the console are
//! tamed: `exit` is never made and `yield` only rarely, `rfa` and
//! `console_write` get only pointers or lengths the kernel must refuse, and
//! `block_until` and `set_alarm` never reach more than 10 us ahead.

#![no_std]
#![no_main]

use vesper_abi::syscall::{decode, Error, Syscall};
use vesper_activations::syscall::raw_number as raw;
use vesper_activations::{now_ns, println};

vesper_activations::main!(run);

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

    /// A value that is often on an edge: zero, all ones, a kernel address,
    /// an address in another domain's slot, one in this domain, or random.
    fn argument(&mut self, own: u64) -> u64 {
        match self.next() % 8 {
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
    let mut refused = [0u32; 4];
    for _ in 0..CALLS {
        let number = rng.next() % 12;
        let (a0, a1) = (rng.argument(own), rng.argument(own));
        let result = match Syscall::from_number(number) {
            Some(Syscall::Exit) => continue,
            Some(Syscall::Yield) if !rng.next().is_multiple_of(256) => continue,
            Some(Syscall::ConsoleWrite) => {
                let (pointer, len) = if a1.is_multiple_of(2) {
                    (own, 1 << 20)
                } else {
                    (0xFFFF_FF80_0008_0000, a1 % 64)
                };
                raw(number, pointer, len)
            }
            Some(Syscall::Rfa) => {
                // Only pointers the kernel must refuse: misaligned, or in the kernel.
                let bad = if a0.is_multiple_of(2) { a0 | 1 } else { 0xFFFF_FF80_0008_0000 };
                raw(number, bad, a1)
            }
            Some(Syscall::BlockUntil | Syscall::SetAlarm) => {
                raw(number, now_ns() + (a0 % 10_000), a1)
            }
            _ => raw(number, a0, a1),
        };
        match decode(result) {
            Err(Error::UnknownSyscall) => refused[0] += 1,
            Err(Error::BadArgument) => refused[1] += 1,
            Err(Error::BadPointer) => refused[2] += 1,
            _ => refused[3] += 1,
        }
    }
    println!(
        "fuzzer: {CALLS} calls: {} unknown, {} bad argument, {} bad pointer, {} accepted",
        refused[0], refused[1], refused[2], refused[3]
    );
}
