//! System calls (see `vesper_abi::syscall` for the numbers and the
//! convention). Arguments are untrusted: every pointer is checked against
//! the caller's own memory, and a bad call gets an error code.

use super::Dispatcher;
use crate::arch::aarch64::trap_frame::TrapFrame;
use crate::arch::aarch64::{fpu, time, user};
use crate::console;
use crate::domain::memory::readable;
use crate::domain::DomainState;
use crate::memory::phys_to_virt;
use vesper_abi::dcb::{ActivationReason, Context};
use vesper_abi::syscall::{encode, Error, Syscall, CONSOLE_WRITE_MAX};

/// What to do with the caller after its call.
pub(super) enum Outcome {
    /// Return this result to it.
    Return(Result<u64, Error>),
    /// The frame already holds what runs next (the caller resumed
    /// elsewhere, or another domain).
    FrameSet,
}

impl Dispatcher {
    /// Handles the system call of the domain on the CPU.
    pub(super) fn syscall(&mut self, frame: &mut TrapFrame) {
        let Some(index) = self.on_cpu else {
            // The frame holds registers of no domain the kernel lets run:
            // never return to them.
            log::error!("system call with no domain on the CPU");
            self.reschedule(frame, time::now_ns());
            return;
        };
        let args = [frame.x[0], frame.x[1]];
        let third = frame.x[2];
        let outcome = match Syscall::from_number(frame.x[8]) {
            None => Outcome::Return(Err(Error::UnknownSyscall)),
            Some(Syscall::Nop) => Outcome::Return(Ok(0)),
            Some(Syscall::GetTime) => Outcome::Return(Ok(time::now_ns())),
            Some(Syscall::ConsoleWrite) => Outcome::Return(self.console_write(index, args)),
            Some(Syscall::Rfa) => self.rfa(frame, index, args[0]),
            Some(Syscall::Yield) => {
                let now = time::now_ns();
                frame.x[0] = 0;
                self.atropos.yield_slice(index, now);
                self.save(frame, index, ActivationReason::Reactivated, now);
                self.reschedule(frame, now);
                Outcome::FrameSet
            }
            Some(Syscall::BlockUntil) => self.block_until(frame, index, args),
            Some(Syscall::BenchMark) => Outcome::Return(bench_mark(args[0])),
            Some(Syscall::SetAlarm) => {
                self.set_alarm(index, args[0]);
                Outcome::Return(Ok(0))
            }
            Some(Syscall::CapMint) => Outcome::Return(self.cap_mint(index, args)),
            Some(Syscall::CapDelete) => Outcome::Return(self.cap_delete(index, args[0])),
            Some(Syscall::CapRevoke) => Outcome::Return(self.cap_revoke(index, args[0])),
            Some(Syscall::EventSend) => self.event_send(frame, index, args),
            Some(Syscall::IrqAck) => Outcome::Return(self.irq_ack(index, args[0])),
            Some(Syscall::DomainStop) => self.domain_stop(frame, index, args[0]),
            Some(Syscall::ReservationSet) => {
                Outcome::Return(self.reservation_set(index, [args[0], args[1], third]))
            }
            Some(Syscall::Exit) => {
                let now = time::now_ns();
                log::info!("domain {} exited with code {}", self.config(index).name, args[0]);
                self.stop(index, DomainState::Exited(args[0]), now);
                self.reschedule(frame, now);
                Outcome::FrameSet
            }
        };
        if let Outcome::Return(result) = outcome {
            frame.x[0] = encode(result);
            if self.on_cpu == Some(index) {
                self.ring_pending_alarm(frame, index);
            } else {
                // The call stopped its caller: the frame must not return
                // to it.
                self.reschedule(frame, time::now_ns());
            }
        }
    }

    fn console_write(&mut self, index: usize, [ptr, len]: [u64; 2]) -> Result<u64, Error> {
        if len > CONSOLE_WRITE_MAX {
            return Err(Error::BadArgument);
        }
        if !readable(self.domain(index), ptr, len) {
            return Err(Error::BadPointer);
        }
        // SAFETY: the range lies in the caller's own memory (checked above),
        // which the kernel reaches through its linear map.
        let bytes = unsafe {
            core::slice::from_raw_parts(phys_to_virt(ptr as usize) as *const u8, len as usize)
        };
        Ok(console::write_domain(index, self.config(index).name, bytes) as u64)
    }

    fn rfa(&mut self, frame: &mut TrapFrame, index: usize, ptr: u64) -> Outcome {
        let size = core::mem::size_of::<Context>() as u64;
        if !ptr.is_multiple_of(16) || !readable(self.domain(index), ptr, size) {
            return Outcome::Return(Err(Error::BadPointer));
        }
        // SAFETY: a 16-byte aligned Context in the caller's own memory
        // (checked above); any bit pattern is a valid Context.
        let context = unsafe { &*(phys_to_virt(ptr as usize) as *const Context) };
        user::load_registers(frame, context);
        fpu::restore(context);
        super::dcb_rw(self.config(index)).activations_enabled = 1;
        Outcome::FrameSet
    }

    fn block_until(
        &mut self,
        frame: &mut TrapFrame,
        index: usize,
        [until, events_seen]: [u64; 2],
    ) -> Outcome {
        if super::dcb_ro(self.config(index)).events_total != events_seen {
            return Outcome::Return(Ok(1));
        }
        let now = time::now_ns();
        if until <= now {
            return Outcome::Return(Ok(0));
        }
        frame.x[0] = 0;
        self.atropos.block(index, Some(until), now);
        self.save(frame, index, ActivationReason::Event, now);
        self.reschedule(frame, now);
        Outcome::FrameSet
    }
}

/// `bench_mark`: the instructions from the last timer interrupt to the
/// activation handler that read `count`.
fn bench_mark(count: u64) -> Result<u64, Error> {
    #[cfg(feature = "bench")]
    return Ok(crate::arch::aarch64::pmu::instructions_since_irq(count));
    #[cfg(not(feature = "bench"))]
    {
        let _ = count;
        Err(Error::UnknownSyscall)
    }
}
