//! Kernel-global state, one borrow at a time across all cores.
//!
//! The kernel never re-enters itself on a core: an exception handler runs
//! to completion, interrupts masked, before the next exception can be
//! taken. An image that places every domain on core 0 runs on that core
//! alone ([`SMP`] is false): a global then needs no lock, only a guard
//! against the one mistake that remains possible, taking it twice at once.
//! With domains on other cores each global is a ticket lock: cores are
//! served in the order they asked, so a core waits at most for the others'
//! longest hold each (docs/architecture.md, "Four cores", states and
//! measures the bound). A waiting core sleeps in `wfe` (under QEMU's icount
//! this ends its turn, so the holder runs on), and the release wakes it.

use crate::domain::config::CORES_USED;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU32, Ordering};

/// Whether this image runs domains on more than one core.
pub const SMP: bool = CORES_USED > 1;

/// Wakes the cores waiting in `wfe` for a store this core made: the
/// `dsb` makes the store visible to them before the event reaches them,
/// so that none reads the old value and goes back to waiting.
#[inline(always)]
pub fn signal() {
    aarch64_cpu::asm::barrier::dsb(aarch64_cpu::asm::barrier::ISHST);
    aarch64_cpu::asm::sev();
}

/// The core running this code: 0 in an image that uses core 0 only.
/// Only cores below `CORES_USED` ever run the kernel, and the remainder
/// tells the compiler so (a mask for two or four cores): indexing a
/// per-core table with it then takes no bounds check, which every hot path
/// would otherwise pay a dozen times.
// In a one-core image `CORES_USED` is 1 and the remainder is on the
// branch never taken.
#[allow(clippy::modulo_one)]
#[inline(always)]
pub fn this_core() -> usize {
    if SMP {
        crate::arch::cpu::core_id() as usize % CORES_USED
    } else {
        0
    }
}

/// A kernel global, handed out one borrow at a time.
// The lock words first: at the value's address, reached without an offset.
#[repr(C)]
pub struct KernelCell<T> {
    /// The core holding the value, plus one; 0 while it is free.
    holder: AtomicU32,
    /// The next ticket to hand out, and the ticket being served.
    next: AtomicU32,
    serving: AtomicU32,
    value: UnsafeCell<T>,
}

// SAFETY: `with` hands out one reference at a time: on one core the
// kernel is non-reentrant and the holder check refuses a nested borrow;
// across cores the ticket lock serialises the borrows, with acquire and
// release ordering around each.
unsafe impl<T> Sync for KernelCell<T> {}

impl<T> KernelCell<T> {
    /// Wraps `value`.
    pub const fn new(value: T) -> Self {
        Self {
            holder: AtomicU32::new(0),
            next: AtomicU32::new(0),
            serving: AtomicU32::new(0),
            value: UnsafeCell::new(value),
        }
    }

    /// Runs `f` with exclusive access to the value, waiting for the other
    /// cores' turns first.
    ///
    /// # Panics
    /// If called again from inside `f`: a kernel bug, never a domain's doing.
    #[inline(always)]
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let me = this_core() as u32 + 1;
        // Only this core ever stores `me`, so a relaxed load sees its own
        // borrow.
        assert!(self.holder.load(Ordering::Relaxed) != me, "kernel state borrowed twice");
        let ticket = if SMP { self.take_turn() } else { 0 };
        self.holder.store(me, Ordering::Relaxed);
        // SAFETY: the holder check and the ticket make this the only live
        // reference.
        let result = f(unsafe { &mut *self.value.get() });
        self.holder.store(0, Ordering::Relaxed);
        if SMP {
            self.serving.store(ticket.wrapping_add(1), Ordering::Release);
            signal();
        }
        result
    }

    /// Waits for this core's turn; returns its ticket.
    fn take_turn(&self) -> u32 {
        let ticket = self.next.fetch_add(1, Ordering::Relaxed);
        while self.serving.load(Ordering::Acquire) != ticket {
            aarch64_cpu::asm::wfe();
        }
        ticket
    }

    /// Runs `f` with exclusive access to the value, or returns `None` if
    /// this core holds it already: for the panic path, which may have been
    /// entered from inside a borrow.
    pub fn try_with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        if self.holder.load(Ordering::Relaxed) == this_core() as u32 + 1 {
            return None;
        }
        Some(self.with(f))
    }
}
