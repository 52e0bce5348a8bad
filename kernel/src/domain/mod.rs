//! Domains: the kernel's record of each one, and the checks on memory a
//! domain names in a system call.

pub mod config;
pub mod setup;

use crate::memory::phys_to_virt;
use config::DomainConfig;
use vesper_abi::dcb::{ActivationReason, Context, FaultReport};
use vesper_kernel_core::memory::{allows_in, Mapped};

/// Whether a domain can still run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomainState {
    /// Running, runnable or blocked.
    Live,
    /// Ended itself with this code.
    Exited(u64),
    /// Stopped by the kernel after a fault or a broken DCB.
    Faulted,
    /// Stopped by a domain holding a capability to control it.
    Stopped,
}

/// The state as a word for reports: `running`, `exited(N)`, `faulted`,
/// `stopped`.
impl core::fmt::Display for DomainState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Live => f.write_str("running"),
            Self::Exited(code) => write!(f, "exited({code})"),
            Self::Faulted => f.write_str("faulted"),
            Self::Stopped => f.write_str("stopped"),
        }
    }
}

/// What the next dispatch of a domain does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// An activation upcall with this reason (activations were on).
    Activate(ActivationReason),
    /// Resume the context saved in this slot (activations were off).
    Context(usize),
}

/// The kernel's record of one domain.
#[derive(Clone, Copy, Debug)]
pub struct Domain {
    /// What the manifest said.
    pub config: &'static DomainConfig,
    /// TTBR0_EL1 for its address space (tables and ASID).
    pub ttbr0: u64,
    /// Whether it can run.
    pub state: DomainState,
    /// What happens when it next gets the CPU.
    pub resume: Resume,
    /// Activation upcalls so far.
    pub activations: u64,
    /// Times the timer took the CPU from it.
    pub preemptions: u64,
    /// Times its first FP/SIMD use after a switch trapped.
    pub fp_traps: u64,
    /// When it asked to be activated (`set_alarm`); `u64::MAX`: never.
    pub alarm_ns: u64,
    /// The ASID of its address space.
    pub asid: u16,
    /// The shared regions mapped in its address space.
    pub mapped: Mapped,
    /// Why it was last stopped for a fault, if it ever was.
    pub fault: FaultReport,
    /// Times it was restarted (`domain_restart`).
    pub restarts: u64,
    /// A group member: the CPU time its scheduler donated to it (Atropos,
    /// which charges the scheduler, counts none for it).
    pub donated_ns: u64,
}

impl Domain {
    /// A freshly loaded domain, whose first dispatch is an upcall with
    /// reason `Allocated`.
    pub fn new(config: &'static DomainConfig, ttbr0: u64, asid: u16) -> Self {
        Self {
            config,
            ttbr0,
            state: DomainState::Live,
            resume: Resume::Activate(ActivationReason::Allocated),
            activations: 0,
            preemptions: 0,
            fp_traps: 0,
            alarm_ns: u64::MAX,
            asid,
            mapped: Mapped::default(),
            fault: FaultReport::default(),
            restarts: 0,
            donated_ns: 0,
        }
    }

    /// Whether this domain may read (or, with `write`, write) `[start,
    /// start + len)` (see `vesper_kernel_core::memory`).
    fn allows(&self, start: u64, len: u64, write: bool) -> bool {
        allows_in(self.config, self.mapped, config::REGIONS, start, len, write)
    }

    /// The `len` bytes at `ptr` in this domain's memory, for a system call
    /// to read; `None` unless the domain may read all of them. The slice
    /// borrows the domain's record, so it cannot outlive the call: this
    /// and [`Domain::user_context`] are the only ways the kernel reads
    /// memory a domain names, and [`Domain::user_write`] the only way it
    /// writes it.
    pub fn user_bytes(&self, ptr: u64, len: u64) -> Option<&[u8]> {
        if !self.allows(ptr, len, false) {
            return None;
        }
        // SAFETY: the range lies in the domain's own memory (checked
        // above), which the kernel reaches through its linear map; the
        // domain does not run while the kernel does, so the bytes do not
        // change under the borrow.
        Some(unsafe {
            core::slice::from_raw_parts(phys_to_virt(ptr as usize) as *const u8, len as usize)
        })
    }

    /// Writes `value` at `ptr` in this domain's memory, for a system call
    /// that answers through it; `false` (nothing written) unless the
    /// domain may write all of it. `T` must be plain data that the domain
    /// may see whole (no padding that could hold kernel bytes).
    pub fn user_write<T: Copy>(&self, ptr: u64, value: &T) -> bool {
        if !self.allows(ptr, core::mem::size_of::<T>() as u64, true) {
            return false;
        }
        // SAFETY: the range lies in the domain's own writable memory
        // (checked above), reached through the kernel's linear map; the
        // domain does not run while the kernel does; an unaligned write
        // needs no alignment.
        unsafe { (phys_to_virt(ptr as usize) as *mut T).write_unaligned(*value) };
        true
    }

    /// The register context at `ptr` in this domain's memory (16-byte
    /// aligned, all of it readable by the domain), for `rfa`.
    pub fn user_context(&self, ptr: u64) -> Option<&Context> {
        let size = core::mem::size_of::<Context>() as u64;
        if !ptr.is_multiple_of(16) || !self.allows(ptr, size, false) {
            return None;
        }
        // SAFETY: an aligned Context in the domain's own memory (checked
        // above), reached through the linear map, not changing while the
        // kernel runs; any bit pattern is a valid Context.
        Some(unsafe { &*(phys_to_virt(ptr as usize) as *const Context) })
    }
}
