//! System calls.
//!
//! Calling convention: `svc #0` with the call number in `x8` and arguments in
//! `x0`-`x3`. The result comes back in `x0`: a value `>= 0` on success, or a
//! negative [`Error`] code. Every other register is preserved.

/// The system calls, by number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Syscall {
    /// Does nothing and returns 0: the cheapest kernel round trip.
    Nop = 0,
    /// Gives up the rest of this period's guaranteed time. The domain runs
    /// again at its next period (activation reason `Reactivated`) or earlier
    /// on slack time if it has `extra`.
    Yield = 1,
    /// `block_until(time_ns, events_seen)`: sleeps until the absolute time
    /// (nanoseconds since boot) or until an event arrives (a channel end or
    /// interrupt of the domain's counts one); `u64::MAX` means no time, only
    /// an event (the cheaper wake-up). Returns 0 when woken; with
    /// activations on, the domain is woken by an activation with reason
    /// `Event` instead. Returns 1 at once if the DCB's `events_total` is no
    /// longer `events_seen`: an event came after the domain last looked.
    BlockUntil = 2,
    /// `rfa(context)`: resumes the [`Context`](crate::dcb::Context) at that
    /// address in the domain's own memory and turns activations on, in one
    /// step. Does not return on success.
    Rfa = 3,
    /// Returns the current time in nanoseconds since boot.
    GetTime = 4,
    /// `exit(code)`: stops the domain for good. Does not return.
    Exit = 5,
    /// `console_write(ptr, len)`: writes bytes to the kernel's debug console.
    /// At most [`CONSOLE_WRITE_MAX`] bytes per call. Returns how many bytes
    /// the kernel took: fewer than `len`, possibly 0, while its console
    /// buffer is full (it never waits for the UART), and the caller writes
    /// the rest later. The console starts each of the domain's lines with
    /// `[NAME] ` and escapes control characters (see [`crate::console`]).
    ConsoleWrite = 6,
    /// `bench_mark(count, since)`: in benchmark kernels only (elsewhere
    /// `UnknownSyscall`). `count` is a retired-instruction count (PMU event
    /// counter 0) the caller read; returns the instructions from a moment
    /// the kernel noted to that reading. `since` says which moment:
    /// [`BENCH_SINCE_IRQ`], the vector of the latest interrupt taken from
    /// EL0 (for `count` read by the first instruction of an activation
    /// handler), or [`BENCH_SINCE_IDLE_WAKE`], the kernel's idle loop last
    /// waking for a device's interrupt. Any other `since` is `BadArgument`.
    BenchMark = 7,
    /// `set_alarm(time_ns)`: asks for an activation with reason `Event` at
    /// the absolute time `time_ns` if the domain holds the CPU then (with
    /// activations off, it comes as soon as they are back on). One alarm per
    /// domain: setting one replaces the last; `u64::MAX` cancels. A domain
    /// that has lost the CPU is activated anyway when it gets it back, so it
    /// checks its clocks at every activation. User-level schedulers use it
    /// for quanta and job releases.
    SetAlarm = 8,
    /// `cap_mint(handle, rights)`: copies a capability into a free slot of
    /// the caller's table with `rights` (which must be a subset of its
    /// own). Returns the new handle. The copy is derived from the original:
    /// revoking the original deletes it, wherever it has moved.
    CapMint = 9,
    /// `cap_delete(handle)`: empties the slot. What was derived from it
    /// stays (revoke first to remove that too). A region whose last
    /// capability goes is unmapped.
    CapDelete = 10,
    /// `cap_revoke(handle)`: deletes every capability derived from this
    /// one, in every domain, and keeps this one. Returns how many went.
    CapRevoke = 11,
    /// `event_send(handle, transfer)`: signals the other end of a channel
    /// (needs `SEND`): its event count goes up by one and, if its owner is
    /// blocked, the owner wakes. A stopped owner gets nothing
    /// ([`Error::PeerStopped`]). If `transfer` is not 0 it is a handle of
    /// the caller's that moves with the event (needs `GRANT` and no bound
    /// right) into the receiver's table; its new handle appears in the
    /// receiver's `inbox` for that event slot.
    EventSend = 12,
    /// `irq_ack(handle)`: the interrupt has been dealt with (needs `ACK`);
    /// the kernel unmasks its line once every domain it is delivered to has
    /// acknowledged it. Returns 1 if the line was unmasked, else 0.
    IrqAck = 13,
    /// `domain_stop(handle)`: stops the domain the capability names, for
    /// good (needs `CONTROL`).
    DomainStop = 14,
    /// `reservation_set(handle, period_ns, slice_ns)`: changes the CPU
    /// reservation the capability names (needs `WRITE`), under admission
    /// control; the new values apply from the domain's next period. A
    /// period or slice shorter than the board's minimum gets
    /// [`Error::BelowMinimum`]; a slice of 0 or longer than the period,
    /// [`Error::BadArgument`]; a reservation the CPU cannot hold beside the
    /// others, [`Error::Overloaded`].
    ReservationSet = 15,
    /// `domain_info(handle, ptr)`: writes a
    /// [`DomainInfo`](crate::dcb::DomainInfo) of the domain the capability
    /// names (needs `READ`) at `ptr`, 8-byte aligned in the caller's own
    /// writable memory ([`Error::BadPointer`] otherwise): its name,
    /// scheduler, state, reservation and accounting as they stand, the
    /// figures the kernel's end-of-run `stats` lines print, and for a
    /// domain stopped for a fault the kernel's report of it
    /// ([`FaultReport`](crate::dcb::FaultReport): syndrome, pc, address).
    /// Returns 0.
    DomainInfo = 16,
    /// `domain_restart(handle)`: puts the domain the capability names
    /// (needs `RESTART`) back in its initial state, stopping it first if
    /// it still runs: its program and data reloaded from the image's
    /// pristine copy, its stack and memory cleared, its DCB and
    /// capabilities as the manifest gave them (everything derived from its
    /// old capabilities revoked, everything moved to it gone), its
    /// reservation and accounting kept, its first dispatch an upcall with
    /// reason `Allocated`. Every domain at the other end of one of its
    /// channels sees the restart in its DCB's `peers` and gets an event
    /// there. A domain cannot restart itself ([`Error::BadArgument`]).
    /// Returns how many times the domain has now been restarted.
    DomainRestart = 17,
    /// `trace_flush(handle)`: writes out, now, the trace records not out
    /// yet: the kernel's, then every domain's own ring (its threads'
    /// records, at most a ring's worth each), as the end of the run does
    /// (see docs/tracing.md). It needs the authority to observe other
    /// domains: `handle` names a Domain capability with `READ` for a
    /// domain other than the caller (a supervisor's, the shell's;
    /// [`Error::BadArgument`] for the caller's own). Under QEMU the records
    /// go through semihosting into the host's trace file and cost the run
    /// no virtual time; on a physical board they go to the console as hex
    /// lines, which takes real time with the kernel waiting (about 0.3 s
    /// for 100 records at 115200 baud). Returns how many records went out;
    /// 0 in an image that does not trace.
    TraceFlush = 18,
    /// `domain_donate(handle, budget_ns)`: a group's scheduler domain gives
    /// the CPU it holds to one of its members, for at most `budget_ns`.
    /// `handle` names a Domain capability with `SCHEDULE` (the builder
    /// gives a group's scheduler one per member, named after it; the right
    /// cannot move) for a member of the caller's group. The member runs on
    /// the caller's reservation, which Atropos charges as if the caller ran,
    /// until the first of: it yields ([`ActivationReason`]
    /// `MemberYielded`), it blocks (`MemberBlocked`), the budget is used up
    /// (`MemberBudget`), Atropos takes the CPU from the caller
    /// (`MemberPreempted`: its slice ran out, or an earlier deadline came),
    /// it stops (`MemberStopped`), or another member that blocked is woken
    /// (`MemberWoken`: the scheduler decides again). Then the caller runs
    /// again: an upcall
    /// with that reason if its activations were on at the call, else it
    /// returns 0; either way the DCB's `group.donation` holds the report
    /// (which member, why, how long it ran). A member blocked in
    /// `block_until` is woken by the donation (its timeout is its
    /// scheduler's to keep: the report of its block says until when).
    /// Errors: `BadArgument` for a budget of 0 or a member of another
    /// group, `PeerStopped` for a member that does not run any more (see
    /// `group.ready`).
    ///
    /// [`ActivationReason`]: crate::dcb::ActivationReason
    DomainDonate = 19,
}

/// The largest `console_write` the kernel accepts in one call.
pub const CONSOLE_WRITE_MAX: u64 = 512;

/// `bench_mark`'s `since`: the vector of the latest interrupt from EL0.
pub const BENCH_SINCE_IRQ: u64 = 0;
/// `bench_mark`'s `since`: the idle loop's latest wake-up for a device.
pub const BENCH_SINCE_IDLE_WAKE: u64 = 1;

impl Syscall {
    /// The call with number `number`, if there is one.
    pub fn from_number(number: u64) -> Option<Self> {
        Some(match number {
            0 => Self::Nop,
            1 => Self::Yield,
            2 => Self::BlockUntil,
            3 => Self::Rfa,
            4 => Self::GetTime,
            5 => Self::Exit,
            6 => Self::ConsoleWrite,
            7 => Self::BenchMark,
            8 => Self::SetAlarm,
            9 => Self::CapMint,
            10 => Self::CapDelete,
            11 => Self::CapRevoke,
            12 => Self::EventSend,
            13 => Self::IrqAck,
            14 => Self::DomainStop,
            15 => Self::ReservationSet,
            16 => Self::DomainInfo,
            17 => Self::DomainRestart,
            18 => Self::TraceFlush,
            19 => Self::DomainDonate,
            _ => return None,
        })
    }
}

/// Why a system call failed. Returned in `x0` as a negative number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i64)]
pub enum Error {
    /// No system call has this number.
    UnknownSyscall = -1,
    /// An argument is out of range.
    BadArgument = -2,
    /// A pointer argument does not lie in the caller's own memory with the
    /// rights the call needs.
    BadPointer = -3,
    /// The handle names no capability of the caller: it was never issued
    /// (forged), or its slot is empty (deleted, moved away or revoked).
    BadCapability = -4,
    /// The handle's slot holds a newer capability: the one it named is gone.
    StaleCapability = -5,
    /// The capability is of the wrong type for the call.
    WrongType = -6,
    /// The capability lacks a right the call needs (or a mint asked for
    /// rights it does not have).
    MissingRight = -7,
    /// The capability holds a right bound to its holder (`RECEIVE`, `ACK`)
    /// and cannot move; mint a copy without it.
    Bound = -8,
    /// A fixed-size kernel table is full: the caller's capability table (a
    /// mint) or the receiver's (a move). (A region that finds no free
    /// translation table in a domain is left unmapped and logged; the
    /// capability is still held.)
    Exhausted = -9,
    /// Admission control refused: the reservations would need more than
    /// the whole CPU.
    Overloaded = -10,
    /// A reservation's period or slice is shorter than the board allows
    /// (`[timing] min-period`, `min-slice` in its description): so short a
    /// period would spend its neighbours' time on switches.
    BelowMinimum = -11,
    /// The domain at the other end of the channel is stopped (it faulted,
    /// exited or was stopped) and cannot take the event; it may yet be
    /// restarted (see `peers` in the DCB).
    PeerStopped = -12,
}

/// Every error, in code order.
pub const ERRORS: [Error; 12] = [
    Error::UnknownSyscall,
    Error::BadArgument,
    Error::BadPointer,
    Error::BadCapability,
    Error::StaleCapability,
    Error::WrongType,
    Error::MissingRight,
    Error::Bound,
    Error::Exhausted,
    Error::Overloaded,
    Error::BelowMinimum,
    Error::PeerStopped,
];

impl Error {
    /// The error encoded by a negative return value.
    pub fn from_code(code: i64) -> Option<Self> {
        ERRORS.iter().copied().find(|error| *error as i64 == code)
    }
}

/// Encodes a system call result for `x0`.
pub fn encode(result: Result<u64, Error>) -> u64 {
    match result {
        Ok(value) => value,
        Err(error) => error as i64 as u64,
    }
}

/// Decodes `x0` after a system call.
pub fn decode(x0: u64) -> Result<u64, Error> {
    match Error::from_code(x0 as i64) {
        Some(error) => Err(error),
        None => Ok(x0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for n in 0..20 {
            assert_eq!(Syscall::from_number(n).map(|s| s as u64), Some(n));
        }
        assert_eq!(Syscall::from_number(20), None);
        assert_eq!(Syscall::from_number(u64::MAX), None);
    }

    #[test]
    fn results_round_trip() {
        for (i, error) in ERRORS.into_iter().enumerate() {
            assert_eq!(error as i64, -(i as i64) - 1);
            assert_eq!(decode(encode(Err(error))), Err(error));
        }
        assert_eq!(decode(encode(Ok(42))), Ok(42));
    }
}
