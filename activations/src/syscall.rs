//! System call wrappers (see `vesper_abi::syscall` for the convention).

use core::arch::asm;
use vesper_abi::dcb::Context;
use vesper_abi::syscall::{decode, Error, Syscall};

/// Makes system call `call` with two arguments and returns the raw `x0`.
#[inline(always)]
fn raw(call: Syscall, a0: u64, a1: u64) -> u64 {
    raw_number(call as u64, a0, a1)
}

/// Makes the system call with any `number`, even one that does not exist,
/// and returns the raw `x0`: for programs that test the kernel's checks.
#[inline(always)]
pub fn raw_number(number: u64, a0: u64, a1: u64) -> u64 {
    let ret;
    // SAFETY: the kernel preserves every register but x0 and touches only
    // memory the arguments name, after checking it belongs to this domain;
    // whatever the arguments, the kernel refuses what is not allowed.
    unsafe {
        asm!("svc #0", inlateout("x0") a0 => ret, in("x1") a1, in("x8") number,
             options(nostack));
    }
    ret
}

/// The cheapest kernel round trip.
pub fn nop() -> u64 {
    raw(Syscall::Nop, 0, 0)
}

/// Gives up the rest of this period's guaranteed time.
pub fn yield_slice() {
    raw(Syscall::Yield, 0, 0);
}

/// Blocks the domain until `time_ns` (ns since boot).
pub fn block_until(time_ns: u64) -> Result<u64, Error> {
    decode(raw(Syscall::BlockUntil, time_ns, 0))
}

/// Resumes `context` with activations on. Returns only if the kernel
/// refused the context (it does not lie in this domain's memory).
pub fn rfa(context: &Context) -> Error {
    match decode(raw(Syscall::Rfa, context as *const Context as u64, 0)) {
        Err(error) => error,
        Ok(_) => Error::BadArgument,
    }
}

/// The time in nanoseconds since boot.
pub fn time_ns() -> u64 {
    raw(Syscall::GetTime, 0, 0)
}

/// Ends the domain with `code`.
pub fn exit(code: u64) -> ! {
    raw(Syscall::Exit, code, 0);
    // The kernel never returns from exit; if it somehow did, stay put.
    loop {
        core::hint::spin_loop();
    }
}

/// Writes `bytes` to the kernel's debug console.
pub fn console_write(bytes: &[u8]) -> Result<u64, Error> {
    decode(raw(Syscall::ConsoleWrite, bytes.as_ptr() as u64, bytes.len() as u64))
}

/// In benchmark kernels: the instructions from the latest timer interrupt
/// to the activation-handler instruction that read `count`.
pub fn bench_mark(count: u64) -> Result<u64, Error> {
    decode(raw(Syscall::BenchMark, count, 0))
}

/// Asks for an activation (reason `Event`) at `time_ns` if the domain holds
/// the CPU then; `u64::MAX` cancels.
pub fn set_alarm(time_ns: u64) {
    raw(Syscall::SetAlarm, time_ns, 0);
}
