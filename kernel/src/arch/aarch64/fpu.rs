//! The FP/SIMD register file, switched lazily between domains.
//!
//! The rules ([`LazyFpu`] keeps them):
//! - The *holder* is the domain whose FP/SIMD values the registers hold, if
//!   any. Only the holder may use FP/SIMD without a trap, and only while it
//!   has the CPU (`CPACR_EL1.FPEN` traps EL0 otherwise; the kernel, built
//!   soft-float, only touches the registers in `fpu.s`).
//! - Any other domain's FP/SIMD state is either all zero (it was
//!   dispatched with an upcall, which promises zeroed registers, or resumed
//!   from a context marked [`FP_ZERO`]) or waits in the save slot it was
//!   resumed from. Its first FP/SIMD instruction traps; the kernel loads
//!   zeroes or that slot, makes it the holder and lets the instruction run
//!   again ([`LazyFpu::first_use`]).
//! - A domain losing the CPU as the holder has its registers saved into
//!   its context ([`FP_SAVED`]); one whose state is zero gets [`FP_ZERO`]
//!   and no stores; one whose state waits in a slot keeps it there (or has
//!   it copied to the slot it is saved to).
//!   So a domain's values are in memory whenever it is off the CPU, and no
//!   register ever reaches another domain without being zeroed or reloaded.
//! - Resuming from a save slot loads nothing at once: the state is loaded
//!   at the domain's first FP/SIMD instruction, and not at all if it still
//!   holds the registers it was saved from or never uses them before it
//!   loses the CPU again (its state then stays in, or is copied to, the
//!   slot it is saved to). `rfa` loads a saved state at once: the memory it
//!   came from is the domain's only for now.
//! - A domain whose first use trapped is loaded eagerly (at dispatch or
//!   `rfa`, no trap) for its next [`EAGER_DISPATCHES`] such loads (in a
//!   domain with threads, each `rfa` of a thread counts), then lazily again
//!   to find out whether it still uses FP/SIMD: a domain that uses it on
//!   every run pays one trap in that many, and one that never does pays
//!   nothing.
//! - The DCB's `fp_live` tells the domain whether its state may be
//!   non-zero, so that its own context switches skip the registers too.

use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::CPACR_EL1;
use tock_registers::interfaces::Writeable;
use vesper_abi::dcb::{Context, CONTEXT_SLOTS, FP_SAVED, FP_ZERO};
use vesper_abi::layout::MAX_DOMAINS;

/// How many dispatches after a trapped first use load a domain's FP/SIMD
/// state eagerly.
pub const EAGER_DISPATCHES: u8 = 16;

// fpu.s is handed `&context.v`; where FPCR and FPSR go from there comes
// from the Rust type, so that the two cannot disagree.
core::arch::global_asm!(
    include_str!("fpu.s"),
    FPCR_FROM_V = const core::mem::offset_of!(Context, fpcr) - core::mem::offset_of!(Context, v),
    FPSR_FROM_V = const core::mem::offset_of!(Context, fpsr) - core::mem::offset_of!(Context, v),
);

extern "C" {
    fn fpu_save(area: *mut u8);
    fn fpu_restore(area: *const u8);
    fn fpu_zero();
}

/// Where the FP/SIMD state of the domain on the CPU is while it does not
/// hold the registers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Away {
    /// It is all zero.
    Zero,
    /// In the given save slot of its DCB, from which it was resumed.
    Slot(usize),
}

/// Who holds the FP/SIMD registers, and whether EL0 may use them now.
pub struct LazyFpu {
    holder: Option<usize>,
    /// For the domain on the CPU, unless it is the holder.
    away: Away,
    user_access: bool,
    /// Per domain: dispatches left that load its state eagerly.
    eager: [u8; MAX_DOMAINS],
}

impl LazyFpu {
    /// Nobody holds the registers; EL0 access is as boot left it (allowed),
    /// until the first dispatch decides.
    pub const fn new() -> Self {
        Self { holder: None, away: Away::Zero, user_access: true, eager: [0; MAX_DOMAINS] }
    }

    /// Domain `index`, on the CPU, loses it; its general registers went to
    /// `slots[to]`, and its FP/SIMD state goes there too.
    pub fn save(&self, index: usize, slots: &mut [Context; CONTEXT_SLOTS], to: usize) {
        if self.holder == Some(index) {
            // SAFETY: fpu.s writes q0-q31 into `v`, and FPCR and FPSR into
            // `fpcr` and `fpsr` at their offsets from `v` (const operands
            // above): only the context, which the exclusive borrow lets us
            // write.
            unsafe { fpu_save(slots[to].v.as_mut_ptr().cast()) };
            slots[to].fp_state = FP_SAVED;
            return;
        }
        match self.away {
            Away::Zero => slots[to].fp_state = FP_ZERO,
            // Still where it was resumed from (the domain could have written
            // it since; then that is its state).
            Away::Slot(from) if from == to => {}
            Away::Slot(from) => {
                let from = slots[from];
                let to = &mut slots[to];
                (to.v, to.fpcr, to.fpsr, to.fp_state) =
                    (from.v, from.fpcr, from.fpsr, from.fp_state);
            }
        }
    }

    /// Domain `index` is about to resume `slots[from]`, where the kernel
    /// last saved it. Its state is loaded at its first FP/SIMD instruction
    /// (or now, if it is loaded eagerly), unless it still holds the
    /// registers it was saved from. Returns the DCB's `fp_live`.
    #[must_use]
    pub fn resume_slot(
        &mut self,
        index: usize,
        slots: &[Context; CONTEXT_SLOTS],
        from: usize,
    ) -> bool {
        if slots[from].fp_state != FP_SAVED {
            return self.run_zeroed(index);
        }
        if self.holder != Some(index) {
            self.away = Away::Slot(from);
            if !self.load_eagerly(index) {
                self.allow_user_access(false);
                return true;
            }
            self.load(index, slots);
        }
        self.allow_user_access(true);
        true
    }

    /// Domain `index`, on the CPU, resumes `context`, memory of its own
    /// (`rfa`). A saved state is loaded now: that memory may not stay the
    /// domain's (a loan can be revoked). Returns the DCB's `fp_live`.
    #[must_use]
    pub fn resume_context(&mut self, index: usize, context: &Context) -> bool {
        if context.fp_state != FP_SAVED {
            return self.run_zeroed(index);
        }
        // SAFETY: as in `save`, reading instead of writing.
        unsafe { fpu_restore(context.v.as_ptr().cast()) };
        self.holder = Some(index);
        self.allow_user_access(true);
        true
    }

    /// Domain `index` is about to run with an all-zero FP/SIMD state (an
    /// upcall, or a context marked zero): its first use will trap, unless
    /// it is loaded eagerly. Returns the DCB's `fp_live`.
    #[must_use]
    pub fn run_zeroed(&mut self, index: usize) -> bool {
        self.away = Away::Zero;
        if self.load_eagerly(index) {
            self.load(index, &[]);
            self.allow_user_access(true);
            return true;
        }
        if self.holder == Some(index) {
            // Its old values are not its state any more.
            self.holder = None;
        }
        self.allow_user_access(false);
        false
    }

    /// Domain `index`, off the CPU, starts a new life (`domain_restart`):
    /// whatever the registers or its save slots held is not its state any
    /// more, and its next first use loads zeroes (lazily, as at boot).
    pub fn forget(&mut self, index: usize) {
        self.holder = self.holder.filter(|&holder| holder != index);
        if let Some(eager) = self.eager.get_mut(index) {
            *eager = 0;
        }
    }

    /// Domain `index`, on the CPU, used FP/SIMD while it was not the
    /// holder: its state is loaded and it becomes the holder, and it is
    /// loaded eagerly for a while.
    pub fn first_use(&mut self, index: usize, slots: &[Context; CONTEXT_SLOTS]) {
        if self.holder != Some(index) {
            self.load(index, slots);
        }
        if let Some(eager) = self.eager.get_mut(index) {
            *eager = EAGER_DISPATCHES;
        }
        self.allow_user_access(true);
    }

    /// Whether this dispatch of `index` loads its state eagerly (and counts
    /// it).
    fn load_eagerly(&mut self, index: usize) -> bool {
        match self.eager.get_mut(index) {
            Some(left) if *left > 0 => {
                *left -= 1;
                true
            }
            _ => false,
        }
    }

    /// Puts the state of `index`, the domain on the CPU, in the registers
    /// (zeroes, or the slot it was resumed from) and makes it the holder.
    fn load(&mut self, index: usize, slots: &[Context]) {
        match self.away {
            Away::Slot(from) if slots.get(from).is_some_and(|c| c.fp_state == FP_SAVED) => {
                // SAFETY: as in `save`, reading instead of writing.
                unsafe { fpu_restore(slots[from].v.as_ptr().cast()) }
            }
            // SAFETY: only registers the kernel never uses are written.
            _ => unsafe { fpu_zero() },
        }
        self.holder = Some(index);
    }

    fn allow_user_access(&mut self, allowed: bool) {
        if self.user_access == allowed {
            return;
        }
        self.user_access = allowed;
        CPACR_EL1.write(if allowed {
            CPACR_EL1::FPEN::TrapNothing
        } else {
            CPACR_EL1::FPEN::TrapEl0
        });
        barrier::isb(barrier::SY);
    }
}
