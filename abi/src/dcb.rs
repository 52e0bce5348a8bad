//! The domain control block (DCB), in Nemesis's two halves.
//!
//! The kernel keeps a domain's scheduling state in the **read-only half**
//! ([`DcbReadOnly`], one page the domain may read but not write) and reads
//! the domain's wishes from the **writable half** ([`DcbWritable`], one page
//! the domain owns). The kernel treats everything in the writable half as
//! untrusted input: a bad slot index stops the domain, never the kernel.
//!
//! Activation protocol: when the kernel gives the CPU to a domain whose
//! `activations_enabled` is 1, it saves the interrupted context (if any) in
//! slot `actctx`, sets `activations_enabled` to 0, and enters
//! `activation_pc` at EL0 on `activation_sp` with `x0` = the address of the
//! read-only half and `x1` = the [`ActivationReason`]. While
//! `activations_enabled` is 0, a preempted context is saved in slot `resctx`
//! and simply resumed later. The `rfa` system call resumes a context and sets
//! `activations_enabled` to 1 in one step.

use crate::cap::{CapInfo, CAP_SLOTS, EVENT_SLOTS};
use core::mem::{offset_of, size_of};

/// Why the kernel activated a domain: what happened since it last had the
/// CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum ActivationReason {
    /// The domain's first activation: nothing was saved.
    Allocated = 0,
    /// The domain lost the CPU to the timer (its slice ran out, or an
    /// earlier deadline came due); it runs again on guaranteed time.
    Preempted = 1,
    /// The domain blocked and has been woken (an event arrived or its
    /// timeout passed), or an alarm it set came due.
    Event = 2,
    /// The domain runs on slack time (it has `extra`), after losing the CPU.
    Extra = 3,
    /// The domain yielded and runs again in a new period.
    Reactivated = 4,
    /// A group's scheduler domain: the member it donated the CPU to
    /// yielded (`yield`). This and the other `Member` reasons come with
    /// the donation's report in [`Group::donation`], which is
    /// authoritative: an alarm due at the same time turns the reason into
    /// `Event`, and with activations off there is no upcall at all.
    MemberYielded = 5,
    /// A group's scheduler domain: the member blocked (`block_until`;
    /// [`Donation::until_ns`] says until when).
    MemberBlocked = 6,
    /// A group's scheduler domain: the member used up the budget it was
    /// donated.
    MemberBudget = 7,
    /// A group's scheduler domain: Atropos took the CPU from the group (its
    /// reservation ran out, or another domain's deadline came first) while
    /// the member ran; the member was preempted and keeps its context.
    MemberPreempted = 8,
    /// A group's scheduler domain: the member faulted, exited or was
    /// stopped while it ran.
    MemberStopped = 9,
    /// A group's scheduler domain: one of its members that blocked was
    /// woken (an event or an interrupt for it) while the scheduler blocked,
    /// or while it donated to another member, which was then preempted
    /// (keeping its context: a report with this reason is about that
    /// member). The scheduler decides who runs ([`Group::ready`]).
    MemberWoken = 10,
}

impl ActivationReason {
    /// The reason with this number, if any.
    pub fn from_number(number: u64) -> Option<Self> {
        Some(match number {
            0 => Self::Allocated,
            1 => Self::Preempted,
            2 => Self::Event,
            3 => Self::Extra,
            4 => Self::Reactivated,
            5 => Self::MemberYielded,
            6 => Self::MemberBlocked,
            7 => Self::MemberBudget,
            8 => Self::MemberPreempted,
            9 => Self::MemberStopped,
            10 => Self::MemberWoken,
            _ => return None,
        })
    }

    /// A short name, for logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Allocated => "allocated",
            Self::Preempted => "preempted",
            Self::Event => "event",
            Self::Extra => "extra",
            Self::Reactivated => "reactivated",
            Self::MemberYielded => "member-yielded",
            Self::MemberBlocked => "member-blocked",
            Self::MemberBudget => "member-budget",
            Self::MemberPreempted => "member-preempted",
            Self::MemberStopped => "member-stopped",
            Self::MemberWoken => "member-woken",
        }
    }
}

/// A domain's CPU reservation, as the manifest gave it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Reservation {
    /// Length of a period.
    pub period_ns: u64,
    /// Guaranteed CPU time in every period.
    pub slice_ns: u64,
    /// Deadline offset after an unblock (the latency hint).
    pub latency_ns: u64,
    /// 1 if the domain may run on slack time, else 0.
    pub extra: u64,
}

/// What the kernel has counted for a domain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Accounting {
    /// CPU time received in total.
    pub cpu_ns: u64,
    /// CPU time received from the reservation.
    pub guaranteed_ns: u64,
    /// CPU time received from slack.
    pub extra_ns: u64,
    /// Activation upcalls.
    pub activations: u64,
    /// Times the timer took the CPU away.
    pub preemptions: u64,
    /// Times the domain blocked.
    pub blocks: u64,
    /// Times its first FP/SIMD instruction after a switch trapped for the
    /// kernel to load its FP/SIMD state (zeroes or its saved values): the
    /// price of lazy switching, paid only by domains that use FP/SIMD
    /// (and, after a trap, only once in a while: see the kernel's
    /// `arch/aarch64/fpu.rs`).
    pub fp_traps: u64,
}

/// Another domain as `domain_info` shows it to a holder of its capability
/// with `READ`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct DomainInfo {
    /// Its name, NUL-padded UTF-8.
    pub name: [u8; 32],
    /// Its user-level scheduler's name, NUL-padded.
    pub scheduler: [u8; 16],
    /// [`DOMAIN_RUNNING`], [`DOMAIN_EXITED`], [`DOMAIN_FAULTED`] or
    /// [`DOMAIN_STOPPED`].
    pub state: u64,
    /// With [`DOMAIN_EXITED`]: its exit code.
    pub exit_code: u64,
    /// Its reservation.
    pub reservation: Reservation,
    /// What the kernel has counted for it.
    pub accounting: Accounting,
    /// With [`DOMAIN_FAULTED`]: what it did (after a restart, what it did
    /// before it: the report of its latest fault stays).
    pub fault: FaultReport,
    /// How many times it was restarted (`domain_restart`).
    pub restarts: u64,
}

/// Why the kernel stopped a domain for a fault, as [`DomainInfo`] shows it
/// to a holder of the domain's capability (a supervisor, the shell's `ps`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct FaultReport {
    /// [`FAULT_NONE`], [`FAULT_EXCEPTION`] or [`FAULT_BAD_DCB`].
    pub kind: u64,
    /// With [`FAULT_EXCEPTION`]: the exception's syndrome (ESR_EL1: its
    /// class in bits 26-31).
    pub syndrome: u64,
    /// With [`FAULT_EXCEPTION`] for an abort: the address it touched
    /// (FAR_EL1); else 0.
    pub address: u64,
    /// Where it was: the faulting instruction's address.
    pub pc: u64,
}

/// [`FaultReport::kind`]: no fault.
pub const FAULT_NONE: u64 = 0;
/// [`FaultReport::kind`]: an exception other than a system call (an
/// abort, an undefined instruction, a misaligned stack...).
pub const FAULT_EXCEPTION: u64 = 1;
/// [`FaultReport::kind`]: its DCB named a context slot that does not
/// exist when the kernel had to save its registers.
pub const FAULT_BAD_DCB: u64 = 2;

/// [`DomainInfo::state`]: it runs (or waits to).
pub const DOMAIN_RUNNING: u64 = 0;
/// [`DomainInfo::state`]: it exited.
pub const DOMAIN_EXITED: u64 = 1;
/// [`DomainInfo::state`]: it faulted and was stopped.
pub const DOMAIN_FAULTED: u64 = 2;
/// [`DomainInfo::state`]: another domain stopped it.
pub const DOMAIN_STOPPED: u64 = 3;

impl DomainInfo {
    /// Its name.
    pub fn name(&self) -> &str {
        padded_str(&self.name)
    }

    /// Its scheduler's name.
    pub fn scheduler(&self) -> &str {
        padded_str(&self.scheduler)
    }
}

/// The read-only half: the kernel writes it, the domain reads it.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct DcbReadOnly {
    /// The domain's index in the image (0-based).
    pub domain_id: u64,
    /// The domain's reservation.
    pub reservation: Reservation,
    /// Time (ns since boot) at which the kernel last dispatched the domain.
    pub now_ns: u64,
    /// When the run ends (the manifest's `run-for`), or `u64::MAX`.
    pub run_end_ns: u64,
    /// When the domain's first period began (the kernel starts every
    /// domain's at once; a restarted domain's at its restart): the time
    /// the simulator calls 0.
    pub start_ns: u64,
    /// The reason for the latest activation (an [`ActivationReason`]).
    pub reason: u64,
    /// 1 while an alarm has come due with activations off. A domain that
    /// turns them back on should then make any system call but `nop`: the
    /// kernel activates it (reason `Event`) on the way out.
    pub alarm_pending: u64,
    /// Counters, updated at every dispatch.
    pub accounting: Accounting,
    /// The domain's name, NUL-padded UTF-8.
    pub name: [u8; 32],
    /// The user-level scheduler the manifest chose (`scheduler`), NUL-padded:
    /// "fifo", "edf", "round-robin", "lottery" or "stride".
    pub scheduler: [u8; 16],
    /// How many entries of `threads` are used.
    pub thread_count: u64,
    /// The threads the manifest declares (`threads`), for workload domains.
    pub threads: [ThreadSpec; MAX_THREAD_SPECS],
    /// Events delivered to the domain so far, over all slots. `block_until`
    /// takes the value the domain last saw, so that an event arriving
    /// between its look at the counts and its call is not slept through.
    pub events_total: u64,
    /// Event counts, one per event slot: how many events each channel end
    /// has received and how many times each interrupt has fired. They only
    /// grow (monotonic event counts, as in Nemesis), so a domain compares
    /// them with the values it has dealt with; nothing needs clearing.
    pub events: [u64; EVENT_SLOTS],
    /// For each event slot: the handle of the latest capability another
    /// domain moved here with an event on it (0: none yet).
    pub inbox: [u64; EVENT_SLOTS],
    /// The domain's capability table, as the kernel keeps it.
    pub caps: [CapInfo; CAP_SLOTS],
    /// Nanoseconds per tick of the generic timer's counter, 32.32 fixed
    /// point: with it a domain reads the time as the kernel does, from the
    /// virtual counter (`CNTVCT_EL0`, which EL0 may read and which equals
    /// the kernel's physical counter), without a system call: see
    /// [`ticks_to_ns`].
    pub ns_per_tick: u64,
    /// 1 while the FP/SIMD registers may hold values of this domain (it has
    /// used them since it was last given zeroed ones, or the kernel is
    /// bringing back a saved state); 0 while its FP/SIMD state is all zero.
    /// A user-level context switch reads it: at 0 there is nothing to save,
    /// and the context is marked [`FP_ZERO`] without touching the registers
    /// (which would trap, see [`Context::fp_state`]).
    pub fp_live: u64,
    /// For each event slot that counts a channel end: the state of the
    /// domain at the other end, [`peer_state`] of how many times it was
    /// restarted and whether it is stopped now (0 for other slots). The
    /// kernel also counts an event on the slot whenever it changes, so a
    /// domain blocked waiting for its peer wakes when the peer stops or is
    /// restarted, and a client compares the value with the one it
    /// connected at (see `vesper_service` and `docs/drivers.md`).
    pub peers: [u64; EVENT_SLOTS],
    /// How many times the kernel has restarted this domain
    /// (`domain_restart`): 0 in its first life.
    pub restarts: u64,
    /// The restart policy the manifest gives this domain for the domains
    /// it supervises ([`Supervision::NONE`] unless it supervises some).
    pub supervision: Supervision,
    /// The program's arguments from the manifest (`args`), NUL-padded
    /// printable ASCII: what a program may be told besides its threads
    /// (the fault-injection builds of the drivers read `fault-after=K`).
    pub args: [u8; ARGS_LEN],
    /// 1 if the image traces scheduling (`[image] trace`): the domain's
    /// library then records its threads' events and names its ring in
    /// [`DcbWritable::trace`] (see [`crate::trace`]).
    pub trace_on: u64,
    /// For a group's scheduler domain: its members' state and the report
    /// of its latest donation (all zero, `event` `u64::MAX`, for other
    /// domains).
    pub group: Group,
}

/// What the kernel tells a group's scheduler domain about its members
/// (see `domain_donate` and docs/activations-and-atropos.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Group {
    /// The event slot that counts its members' wake-ups and stops
    /// (`u64::MAX` for a domain with no members): a scheduler waiting for
    /// work waits on its events.
    pub event: u64,
    /// Bit `i` set: domain `i` is a member that can run (live, and not
    /// blocked in `block_until`). A state, not an edge: a member that
    /// blocked (as a donation's report said) and shows here again has been
    /// woken.
    pub ready: u64,
    /// How the latest donation ended.
    pub donation: Donation,
}

impl Group {
    /// The state of a domain with no members.
    pub const NONE: Self = Self { event: u64::MAX, ready: 0, donation: Donation::NONE };
}

impl Default for Group {
    fn default() -> Self {
        Self::NONE
    }
}

/// The report of a donation (`domain_donate`), written when it ends,
/// before the scheduler domain runs again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Donation {
    /// How many donations have ended so far: a scheduler sees that this
    /// report is new.
    pub count: u64,
    /// The member's domain index.
    pub member: u64,
    /// Why it ended: an [`ActivationReason`] number, `MemberYielded` to
    /// `MemberWoken`.
    pub why: u64,
    /// How long the member held the CPU, in ns.
    pub ran_ns: u64,
    /// With `MemberBlocked`: the time the member blocked until (`u64::MAX`
    /// for no timeout; the scheduler decides when to run it again).
    pub until_ns: u64,
}

impl Donation {
    /// No donation has ended yet.
    pub const NONE: Self = Self { count: 0, member: 0, why: 0, ran_ns: 0, until_ns: 0 };
}

/// The longest `args` a domain may be given, in bytes, plus its NUL.
pub const ARGS_LEN: usize = 32;

/// [`DcbReadOnly::peers`]' value for a peer restarted `restarts` times,
/// stopped now or not: `restarts << 1 | stopped`.
pub const fn peer_state(restarts: u64, stopped: bool) -> u64 {
    restarts << 1 | stopped as u64
}

/// Whether a [`DcbReadOnly::peers`] value says the peer is stopped.
pub const fn peer_stopped(state: u64) -> bool {
    state & 1 != 0
}

/// A supervisor's restart policy, from its manifest entry (`restart-limit`,
/// `restart-window`, `restart-backoff`): the kernel only passes it on;
/// the `supervisor` program applies it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Supervision {
    /// The event slot counting the stops of the domains it supervises
    /// (`u64::MAX` if it supervises none).
    pub event: u64,
    /// Restarts allowed within `window_ns`: a domain that fails once more
    /// is left stopped.
    pub limit: u64,
    /// The window the limit counts over, in nanoseconds.
    pub window_ns: u64,
    /// How long to wait before the first restart, in nanoseconds; each
    /// further failure within the window doubles it.
    pub backoff_ns: u64,
}

impl Supervision {
    /// The policy of a domain that supervises none.
    pub const NONE: Self = Self { event: u64::MAX, limit: 0, window_ns: 0, backoff_ns: 0 };
}

/// Nanoseconds since reset of counter value `ticks`, with the 32.32
/// `ns_per_tick` the DCB publishes: the one conversion the kernel and the
/// domains use, so both read the same time.
#[inline]
pub const fn ticks_to_ns(ticks: u64, ns_per_tick: u64) -> u64 {
    ((ticks as u128 * ns_per_tick as u128) >> 32) as u64
}

/// The most threads a manifest can declare for one domain.
pub const MAX_THREAD_SPECS: usize = 16;

/// One thread the manifest declares: `{ name, period, wcet, deadline, tickets }`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct ThreadSpec {
    /// Its name, NUL-padded UTF-8.
    pub name: [u8; 16],
    /// Its period: a job is released every `period_ns`.
    pub period_ns: u64,
    /// The work each job does (worst-case execution time).
    pub wcet_ns: u64,
    /// The relative deadline of each job (the manifest's default: the period).
    pub deadline_ns: u64,
    /// Its tickets, for the lottery and stride schedulers.
    pub tickets: u64,
}

/// Reads a NUL-padded UTF-8 field.
pub fn padded_str(bytes: &[u8]) -> &str {
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    core::str::from_utf8(&bytes[..len]).unwrap_or("?")
}

impl ThreadSpec {
    /// The thread's name.
    pub fn name(&self) -> &str {
        padded_str(&self.name)
    }
}

impl DcbReadOnly {
    /// The domain's name.
    pub fn name(&self) -> &str {
        padded_str(&self.name)
    }

    /// The user-level scheduler's name.
    pub fn scheduler(&self) -> &str {
        padded_str(&self.scheduler)
    }

    /// The program's arguments (`args` in the manifest).
    pub fn args(&self) -> &str {
        padded_str(&self.args)
    }

    /// The threads the manifest declares.
    pub fn thread_specs(&self) -> &[ThreadSpec] {
        let count = (self.thread_count as usize).min(MAX_THREAD_SPECS);
        &self.threads[..count]
    }

    /// A group's scheduler domain: its members (`members` in the
    /// manifest), which the DCB holds in the threads' place, each named
    /// after its member domain.
    pub fn member_specs(&self) -> &[ThreadSpec] {
        self.thread_specs()
    }
}

/// A full saved register context: general registers, SP, PC, PSTATE and the
/// FP/SIMD state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(16))]
pub struct Context {
    /// x0 to x30.
    pub x: [u64; 31],
    /// The stack pointer (SP_EL0).
    pub sp: u64,
    /// Where execution resumes.
    pub pc: u64,
    /// The saved PSTATE. On resume the kernel keeps only the condition
    /// flags (NZCV); the mode is always EL0 with interrupts enabled.
    pub pstate: u64,
    /// q0 to q31.
    pub v: [u128; 32],
    /// The floating-point control register.
    pub fpcr: u64,
    /// The floating-point status register.
    pub fpsr: u64,
    /// [`FP_SAVED`] if `v`, `fpcr` and `fpsr` hold the FP/SIMD state;
    /// [`FP_ZERO`] if that state is all zero and the three fields were not
    /// written. The kernel writes `FP_ZERO` when the domain had not touched
    /// FP/SIMD since it was last given a zeroed register file (FP/SIMD is
    /// switched lazily), which spares it 0.5 KiB of stores; on resume it
    /// reads the flag before the fields. Any value but `FP_SAVED` means zero.
    pub fp_state: u64,
    /// Padding; keeps the size a multiple of 16.
    pub reserved: u64,
}

/// [`Context::fp_state`]: the FP/SIMD fields hold the state.
pub const FP_SAVED: u64 = 1;
/// [`Context::fp_state`]: the FP/SIMD state is all zero.
pub const FP_ZERO: u64 = 0;

impl Context {
    /// A context with every register zero.
    pub const ZERO: Self = Self {
        x: [0; 31],
        sp: 0,
        pc: 0,
        pstate: 0,
        v: [0; 32],
        fpcr: 0,
        fpsr: 0,
        fp_state: FP_ZERO,
        reserved: 0,
    };
}

/// The PSTATE bits a domain may choose: the condition flags N, Z, C, V.
pub const PSTATE_USER_MASK: u64 = 0xF000_0000;

/// Context save slots in the writable half.
pub const CONTEXT_SLOTS: usize = 4;

/// The writable half: the domain writes it, the kernel reads it (warily).
#[derive(Clone, Copy, Debug)]
#[repr(C, align(16))]
pub struct DcbWritable {
    /// Where activations enter (EL0 address).
    pub activation_pc: u64,
    /// The stack activations run on (EL0 address, 16-byte aligned).
    pub activation_sp: u64,
    /// 1: activations on (the next dispatch is an upcall); 0: off.
    pub activations_enabled: u64,
    /// The slot the kernel saves into when activations are on.
    pub actctx: u64,
    /// The slot the kernel saves into, and resumes from, when they are off.
    pub resctx: u64,
    /// Padding; keeps the slots 16-byte aligned.
    pub reserved: u64,
    /// The context save slots.
    pub slots: [Context; CONTEXT_SLOTS],
    /// The domain's trace ring, which the kernel writes out at the end of
    /// a traced run (all zero: none; see [`crate::trace`]).
    pub trace: crate::trace::DomainRing,
}

const _: () = {
    assert!(size_of::<DcbReadOnly>() <= 4096);
    assert!(size_of::<DcbWritable>() <= 4096);
    assert!(size_of::<Context>() == 816);
    assert!(offset_of!(Context, v) % 16 == 0);
    assert!(offset_of!(DcbWritable, slots) % 16 == 0);
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_layout_is_stable() {
        assert_eq!(offset_of!(Context, x), 0);
        assert_eq!(offset_of!(Context, sp), 248);
        assert_eq!(offset_of!(Context, pc), 256);
        assert_eq!(offset_of!(Context, pstate), 264);
        assert_eq!(offset_of!(Context, v), 272);
        assert_eq!(offset_of!(Context, fpcr), 784);
        assert_eq!(offset_of!(Context, fpsr), 792);
        assert_eq!(offset_of!(Context, fp_state), 800);
    }

    #[test]
    fn writable_half_layout_is_stable() {
        assert_eq!(offset_of!(DcbWritable, activation_pc), 0);
        assert_eq!(offset_of!(DcbWritable, activations_enabled), 16);
        assert_eq!(offset_of!(DcbWritable, resctx), 32);
        assert_eq!(offset_of!(DcbWritable, slots), 48);
    }

    #[test]
    fn names_are_nul_padded() {
        let mut ro = DcbReadOnly::default();
        ro.name[..4].copy_from_slice(b"spin");
        assert_eq!(ro.name(), "spin");
    }

    #[test]
    fn reasons_round_trip() {
        for n in 0..11 {
            assert_eq!(ActivationReason::from_number(n).map(|r| r as u64), Some(n));
        }
        assert_eq!(ActivationReason::from_number(11), None);
    }
}
