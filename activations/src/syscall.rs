//! System call wrappers (see `vesper_abi::syscall` for the convention).

use core::arch::asm;
use vesper_abi::cap::Rights;
use vesper_abi::dcb::Context;
use vesper_abi::syscall::{decode, Error, Syscall};

/// Makes system call `call` with two arguments and returns the raw `x0`.
#[inline(always)]
fn raw(call: Syscall, a0: u64, a1: u64) -> u64 {
    raw_number(call as u64, [a0, a1, 0])
}

/// Makes the system call with any `number`, even one that does not exist,
/// with three arguments, and returns the raw `x0`: for programs that test
/// the kernel's checks.
#[inline(always)]
pub fn raw_number(number: u64, [a0, a1, a2]: [u64; 3]) -> u64 {
    let ret;
    // SAFETY: the kernel preserves every register but x0 and touches only
    // memory the arguments name, after checking it belongs to this domain;
    // whatever the arguments, the kernel refuses what is not allowed.
    unsafe {
        asm!("svc #0", inlateout("x0") a0 => ret, in("x1") a1, in("x2") a2, in("x8") number,
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

/// Blocks the domain until `time_ns` (ns since boot) or the next event;
/// returns 1 at once if the DCB's `events_total` is no longer
/// `events_seen`.
pub fn block_until(time_ns: u64, events_seen: u64) -> Result<u64, Error> {
    decode(raw(Syscall::BlockUntil, time_ns, events_seen))
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

/// In benchmark kernels: the instructions from the moment `since` names
/// (`vesper_abi::syscall::BENCH_SINCE_IRQ` or `BENCH_SINCE_IDLE_WAKE`) to
/// the instruction that read `count`.
pub fn bench_mark(count: u64, since: u64) -> Result<u64, Error> {
    decode(raw(Syscall::BenchMark, count, since))
}

/// Asks for an activation (reason `Event`) at `time_ns` if the domain holds
/// the CPU then; `u64::MAX` cancels.
pub fn set_alarm(time_ns: u64) {
    raw(Syscall::SetAlarm, time_ns, 0);
}

/// Copies capability `handle` with `rights` (a subset of its own); returns
/// the copy's handle.
pub fn cap_mint(handle: u64, rights: Rights) -> Result<u64, Error> {
    decode(raw(Syscall::CapMint, handle, rights.bits()))
}

/// Deletes capability `handle`.
pub fn cap_delete(handle: u64) -> Result<u64, Error> {
    decode(raw(Syscall::CapDelete, handle, 0))
}

/// Deletes everything derived from capability `handle`; returns how many.
pub fn cap_revoke(handle: u64) -> Result<u64, Error> {
    decode(raw(Syscall::CapRevoke, handle, 0))
}

/// Signals the other end of channel end `handle`, moving capability
/// `transfer` with the event unless it is 0.
pub fn event_send(handle: u64, transfer: u64) -> Result<u64, Error> {
    decode(raw(Syscall::EventSend, handle, transfer))
}

/// Acknowledges interrupt `handle`; returns 1 if its line was unmasked.
pub fn irq_ack(handle: u64) -> Result<u64, Error> {
    decode(raw(Syscall::IrqAck, handle, 0))
}

/// Stops the domain capability `handle` names.
pub fn domain_stop(handle: u64) -> Result<u64, Error> {
    decode(raw(Syscall::DomainStop, handle, 0))
}

/// The state and accounting of the domain capability `handle` names.
pub fn domain_info(handle: u64) -> Result<vesper_abi::dcb::DomainInfo, Error> {
    let mut info = vesper_abi::dcb::DomainInfo::default();
    let ptr = &raw mut info as u64;
    decode(raw_number(Syscall::DomainInfo as u64, [handle, ptr, 0]))?;
    Ok(info)
}

/// Restarts the domain capability `handle` names (needs `RESTART`);
/// returns how many times it has been restarted.
pub fn domain_restart(handle: u64) -> Result<u64, Error> {
    decode(raw(Syscall::DomainRestart, handle, 0))
}

/// Writes out the trace records not out yet (the kernel's and every
/// domain's), with the Domain capability `handle` of another domain (with
/// `READ`) as the authority; returns how many went, 0 if the image does
/// not trace.
pub fn trace_flush(handle: u64) -> Result<u64, Error> {
    decode(raw(Syscall::TraceFlush, handle, 0))
}

/// Gives the CPU to the group member the Domain capability `handle` names
/// (with `SCHEDULE`) for at most `budget_ns`; returns when the donation
/// has ended (see `vesper_abi::syscall::Syscall::DomainDonate`): the DCB's
/// `group.donation` says why.
pub fn domain_donate(handle: u64, budget_ns: u64) -> Result<u64, Error> {
    decode(raw(Syscall::DomainDonate, handle, budget_ns))
}

/// Changes the reservation capability `handle` names.
pub fn reservation_set(handle: u64, period_ns: u64, slice_ns: u64) -> Result<u64, Error> {
    decode(raw_number(Syscall::ReservationSet as u64, [handle, period_ns, slice_ns]))
}
