//! System calls (see `vesper_abi::syscall` for the numbers and the
//! convention). Arguments are untrusted: memory a domain names is reached
//! only through `Domain::user_bytes` and `Domain::user_context`, which
//! check it against the caller's own memory, and a bad call gets an error
//! code. Each handler returns an [`Outcome`]; [`Dispatcher::act`] alone
//! acts on it. A call that changes what the cores share (capabilities,
//! mappings) or another core's domains is handled in a borrow of the whole
//! ([`AllCores::syscall`]); every other call, on this core's dispatcher
//! alone.

use super::{AllCores, Dispatcher, Then};
use crate::arch::trap_frame::TrapFrame;
use crate::arch::{time, user};
use crate::console;
use crate::domain::{config::DOMAINS, DomainState};
use crate::sync::this_core;
use crate::trace::record;
use vesper_abi::dcb::ActivationReason;
use vesper_abi::syscall::{encode, Error, Syscall, CONSOLE_WRITE_MAX};
use vesper_abi::trace::Kind;

/// What a system call handler decided; [`Dispatcher::syscall`] alone acts
/// on it (writes `x0`, saves the caller, reschedules), so no handler
/// touches the trap frame or the scheduler's decision itself.
#[must_use]
pub(super) enum Outcome {
    /// Return this result to the caller, which keeps the CPU.
    Return(Result<u64, Error>),
    /// Return 0 (success), then decide who runs at `now`: the call may have
    /// let another domain in (an event woke one with an earlier deadline,
    /// or the caller stopped itself). The caller keeps the CPU if Atropos
    /// picks it again.
    Reschedule(u64),
    /// The caller gives up the CPU at `now` (it yielded or blocked): its
    /// registers are saved with `x0` = 0, an upcall with `reason` next if
    /// activations are on, and someone else is picked.
    GiveUp(ActivationReason, u64),
    /// The call loaded the context to resume into the frame (`rfa`).
    Resumed,
    /// Return this result, then decide who runs: the call (a stop or a
    /// restart) ended the donation its caller, a group member, ran on.
    ReturnThenReschedule(Result<u64, Error>),
    /// The call changes what the cores share: this handler makes it, in a
    /// borrow of the whole.
    Whole(WholeCall),
}

impl From<Result<u64, Error>> for Outcome {
    fn from(result: Result<u64, Error>) -> Self {
        Self::Return(result)
    }
}

/// A handler's error is returned to the caller, which keeps the CPU.
impl From<Result<Outcome, Error>> for Outcome {
    fn from(result: Result<Outcome, Error>) -> Self {
        result.unwrap_or_else(|error| Self::Return(Err(error)))
    }
}

/// A system call handler that changes what the cores share, for the
/// calling domain and the call's arguments.
pub(super) type WholeCall = fn(&mut AllCores, usize, [u64; 3]) -> Outcome;

/// The system call arguments in `frame`: `x0`, `x1`, `x2`.
fn args(frame: &TrapFrame) -> [u64; 3] {
    [frame.x[0], frame.x[1], frame.x[2]]
}

impl AllCores {
    /// Makes the system call `call` of the domain on this core's CPU.
    pub(super) fn syscall(&mut self, frame: &mut TrapFrame, call: WholeCall) {
        let Some(index) = self.cores[this_core()].on_cpu else {
            // Stopped between the two borrows: never return to it.
            return self.here().reschedule(frame, time::now_ns());
        };
        let outcome = call(self, index, args(frame));
        self.here().act(frame, index, outcome);
    }
}

impl Dispatcher<'_> {
    /// Handles the system call of the domain on the CPU, or leaves it for
    /// a borrow of the whole.
    pub(super) fn syscall(&mut self, frame: &mut TrapFrame) -> Then {
        let Some(index) = self.core.on_cpu else {
            // The frame holds registers of no domain the kernel lets run
            // (another core stopped it as it made this call): never return
            // to them.
            self.reschedule(frame, time::now_ns());
            return Then::Done;
        };
        let outcome = self.handle(frame, index, frame.x[8], args(frame));
        self.act(frame, index, outcome)
    }

    /// Carries out `outcome` of domain `index`'s system call: the one
    /// place that does.
    #[inline(always)]
    pub(super) fn act(&mut self, frame: &mut TrapFrame, index: usize, outcome: Outcome) -> Then {
        match outcome {
            Outcome::Return(result) if self.core.on_cpu == Some(index) => {
                frame.x[0] = encode(result);
                self.ring_pending_alarm(frame, index);
            }
            // The call stopped its caller (the frame must not return to
            // it), or ended the donation it ran on.
            Outcome::Return(result) | Outcome::ReturnThenReschedule(result) => {
                frame.x[0] = encode(result);
                self.reschedule(frame, time::now_ns());
            }
            Outcome::Reschedule(now) => {
                frame.x[0] = 0;
                self.reschedule(frame, now);
            }
            Outcome::GiveUp(reason, now) => {
                frame.x[0] = 0;
                if self.core.on_cpu == Some(index) {
                    self.save(frame, index, reason, now);
                }
                self.reschedule(frame, now);
            }
            Outcome::Resumed => {}
            Outcome::Whole(call) => return Then::Whole(call),
        }
        Then::Done
    }

    /// Runs the handler of system call `number` for domain `index`.
    fn handle(
        &mut self,
        frame: &mut TrapFrame,
        index: usize,
        number: u64,
        [a0, a1, _]: [u64; 3],
    ) -> Outcome {
        let Some(call) = Syscall::from_number(number) else {
            return Outcome::Return(Err(Error::UnknownSyscall));
        };
        match call {
            Syscall::Nop => Outcome::Return(Ok(0)),
            Syscall::GetTime => Outcome::Return(Ok(time::now_ns())),
            Syscall::ConsoleWrite => Outcome::Return(self.console_write(index, [a0, a1])),
            Syscall::Rfa => self.rfa(frame, index, a0),
            Syscall::Yield => {
                let now = time::now_ns();
                record(now, Kind::Yield, Some(index), 0, 0);
                if !self.member_gives_up(index, ActivationReason::MemberYielded, u64::MAX, now) {
                    self.core.atropos.yield_slice(index, now);
                }
                Outcome::GiveUp(ActivationReason::Reactivated, now)
            }
            Syscall::BlockUntil => self.block_until(index, [a0, a1]),
            Syscall::BenchMark => Outcome::Return(bench_mark(a0, a1)),
            Syscall::SetAlarm => self.set_alarm(index, a0),
            Syscall::EventSend => self.event_send(index, [a0, a1]),
            Syscall::IrqAck => Outcome::Return(self.irq_ack(index, a0)),
            Syscall::CapMint => Outcome::Whole(|all, i, [a, b, _]| all.cap_mint(i, [a, b]).into()),
            Syscall::CapDelete => Outcome::Whole(|all, i, [a, ..]| all.cap_delete(i, a).into()),
            Syscall::CapRevoke => Outcome::Whole(|all, i, [a, ..]| all.cap_revoke(i, a).into()),
            Syscall::DomainStop => Outcome::Whole(|all, i, [a, ..]| all.domain_stop(i, a).into()),
            Syscall::ReservationSet => Outcome::Whole(|all, i, a| all.reservation_set(i, a).into()),
            Syscall::DomainInfo => Outcome::Whole(|all, i, a| all.domain_info(i, a).into()),
            Syscall::DomainRestart => {
                Outcome::Whole(|all, i, [a, ..]| all.domain_restart(i, a).into())
            }
            Syscall::TraceFlush => Outcome::Whole(|all, i, [a, ..]| all.trace_flush(i, a).into()),
            Syscall::DomainDonate => self.domain_donate(index, [a0, a1]).into(),
            Syscall::Exit => {
                let now = time::now_ns();
                log::info!("domain {} exited with code {a0}", DOMAINS[index].name);
                self.stop(index, DomainState::Exited(a0), now);
                Outcome::Reschedule(now)
            }
        }
    }

    fn console_write(&mut self, index: usize, [ptr, len]: [u64; 2]) -> Result<u64, Error> {
        if len > CONSOLE_WRITE_MAX {
            return Err(Error::BadArgument);
        }
        let domain = self.domain(index);
        let bytes = domain.user_bytes(ptr, len).ok_or(Error::BadPointer)?;
        Ok(console::write_domain(index, domain.config.name, bytes) as u64)
    }

    fn rfa(&mut self, frame: &mut TrapFrame, index: usize, ptr: u64) -> Outcome {
        // The domains field alone, so that the FP/SIMD holder stays free.
        let domain =
            self.core.domains[index].as_ref().expect("the scheduler only knows loaded domains");
        let Some(context) = domain.user_context(ptr) else {
            return Outcome::Return(Err(Error::BadPointer));
        };
        user::load_registers(frame, context);
        let fp_live = self.core.fpu.resume_context(index, context);
        self.ro(index).fp_live = fp_live.into();
        self.rw(index).activations_enabled = 1;
        Outcome::Resumed
    }

    fn block_until(&mut self, index: usize, [until, events_seen]: [u64; 2]) -> Outcome {
        if self.ro(index).events_total != events_seen {
            return Outcome::Return(Ok(1));
        }
        let now = time::now_ns();
        if until <= now {
            return Outcome::Return(Ok(0));
        }
        // u64::MAX never comes: Atropos keeps no timeout for it, which
        // lets an event's wake-up be decided without a pass.
        record(now, Kind::Block, Some(index), 0, u32::from(until != u64::MAX));
        if !self.member_gives_up(index, ActivationReason::MemberBlocked, until, now) {
            self.core.atropos.block(index, (until != u64::MAX).then_some(until), now);
        }
        Outcome::GiveUp(ActivationReason::Event, now)
    }
}

/// `bench_mark`: the instructions from the moment `since` names to the
/// reading `count`.
fn bench_mark(count: u64, since: u64) -> Result<u64, Error> {
    #[cfg(feature = "bench")]
    {
        use crate::arch::pmu;
        use vesper_abi::syscall::{BENCH_SINCE_IDLE_WAKE, BENCH_SINCE_IRQ};
        match since {
            BENCH_SINCE_IRQ => Ok(pmu::instructions_since_irq(count)),
            BENCH_SINCE_IDLE_WAKE => Ok(pmu::instructions_since_idle_wake(count)),
            _ => Err(Error::BadArgument),
        }
    }
    #[cfg(not(feature = "bench"))]
    {
        let _ = (count, since);
        Err(Error::UnknownSyscall)
    }
}
