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
    /// `block_until(time_ns)`: sleeps until the absolute time (nanoseconds
    /// since boot). Returns 0 when woken; with activations on, the domain is
    /// woken by an activation with reason `Event` instead.
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
    /// Returns the number of bytes written. At most
    /// [`CONSOLE_WRITE_MAX`] bytes per call.
    ConsoleWrite = 6,
    /// `bench_mark(count)`: in benchmark kernels only (elsewhere
    /// `UnknownSyscall`). `count` is the retired-instruction count (PMU
    /// event counter 0) read by the first instruction of an activation
    /// handler; returns the instructions from the latest timer interrupt's
    /// vector to that instruction.
    BenchMark = 7,
    /// `set_alarm(time_ns)`: asks for an activation with reason `Event` at
    /// the absolute time `time_ns` if the domain holds the CPU then (with
    /// activations off, it comes as soon as they are back on). One alarm per
    /// domain: setting one replaces the last; `u64::MAX` cancels. A domain
    /// that has lost the CPU is activated anyway when it gets it back, so it
    /// checks its clocks at every activation. User-level schedulers use it
    /// for quanta and job releases.
    SetAlarm = 8,
}

/// The largest `console_write` the kernel accepts in one call.
pub const CONSOLE_WRITE_MAX: u64 = 512;

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
}

impl Error {
    /// The error encoded by a negative return value.
    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            -1 => Self::UnknownSyscall,
            -2 => Self::BadArgument,
            -3 => Self::BadPointer,
            _ => return None,
        })
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
        for n in 0..9 {
            assert_eq!(Syscall::from_number(n).map(|s| s as u64), Some(n));
        }
        assert_eq!(Syscall::from_number(9), None);
        assert_eq!(Syscall::from_number(u64::MAX), None);
    }

    #[test]
    fn results_round_trip() {
        for error in [Error::UnknownSyscall, Error::BadArgument, Error::BadPointer] {
            assert_eq!(decode(encode(Err(error))), Err(error));
        }
        assert_eq!(decode(encode(Ok(42))), Ok(42));
    }
}
