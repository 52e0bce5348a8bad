//! Kernel-global state across cores.
//!
//! The kernel never re-enters itself on a core: an exception handler runs
//! to completion, interrupts masked, before the next exception can be
//! taken. An image that places every domain on core 0 runs on that core
//! alone ([`SMP`] is false): a global then needs no lock, only a guard
//! against the one mistake that remains possible, taking it twice at once.
//! With domains on other cores a [`KernelCell`] is a ticket lock, for what
//! the hot paths never take (the console, the trace): cores are served in
//! the order they asked, so a core waits at most for the others' longest
//! hold each. The scheduling state is a [`SplitCell`]: each core borrows
//! its own part without waiting, and a change to what the cores share
//! holds every other core outside its part meanwhile (docs/architecture.md,
//! "Four cores", states and measures the bound). A waiting core sleeps in
//! `wfe` (under QEMU's icount this ends its turn, so the holder runs on),
//! and the release wakes it.

use crate::bsp::local_intc;
use crate::domain::config::CORES_USED;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};

/// Whether this image runs domains on more than one core.
pub const SMP: bool = CORES_USED > 1;

/// The cores this image runs domains on (bit n: core n).
pub const ALL_CORES: u8 = (1 << CORES_USED) - 1;

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
        (self.holder.load(Ordering::Relaxed) != this_core() as u32 + 1).then(|| self.with(f))
    }
}

/// State with one part per core and a part the cores share: a core
/// borrows its own part (reading the shared one) at once, and changes to
/// the shared part or to other cores' parts are made in a borrow of the
/// whole, which holds every other core outside its part until it ends.
///
/// A part borrow costs one load on the hot path. A whole borrow waits for
/// its turn (`turns`, first come first served), sets `held`, then
/// interrupts the other cores and waits for each to stop at the start of
/// its next part borrow ([`SplitCell::part`]): a core in a domain stops at
/// once (its way in), a core in the kernel when its borrow ends; none
/// waits for a domain. A core that found `held` set takes a turn too, and
/// borrows its part when served: so it waits at most for the whole borrows
/// asked for before it, one per other core, however often any core asks
/// again.
pub struct SplitCell<T> {
    /// Set while a core borrows the whole.
    held: AtomicBool,
    /// The cores that have seen `held` and wait outside their parts (bit n:
    /// core n), and those that have not joined yet (see
    /// [`SplitCell::join`]): a core still in the boot stub borrows
    /// nothing, and an interrupt only wakes it there to look again.
    parked: AtomicU8,
    /// The order in which whole borrows, and parts that waited, are served.
    turns: KernelCell<()>,
    value: UnsafeCell<T>,
}

// SAFETY: a part borrow reaches only its own core's part mutably, and
// shared state only to read, and starts only while no whole borrow is on:
// `part` sees `held` clear, or waits for its turn, served only while no
// whole borrow is on. A whole borrow starts only once every other core has
// parked, outside its part (a core that has not joined counts as parked,
// and joins by leaving `park`), and the turns let one whole borrow at a
// time. SeqCst on `held` and on `parked` orders a core starting a part
// against a whole borrow starting: one of the two sees the other.
unsafe impl<T> Sync for SplitCell<T> {}

impl<T> SplitCell<T> {
    /// Wraps `value`. Every core but core 0, which boots the kernel,
    /// counts as parked until it joins.
    pub const fn new(value: T) -> Self {
        Self {
            held: AtomicBool::new(false),
            parked: AtomicU8::new(ALL_CORES & !1),
            turns: KernelCell::new(()),
            value: UnsafeCell::new(value),
        }
    }

    /// This core borrows from now on: whole borrows wait for it. It leaves
    /// the parked cores at its turn.
    pub fn join(&self) {
        if SMP {
            self.park();
        }
    }

    /// Runs `f` with a pointer to the whole value, from which it may reach
    /// this core's part mutably and the shared part to read, nothing else;
    /// waits first while another core borrows the whole.
    #[inline(always)]
    pub fn part<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        if SMP && self.held.load(Ordering::SeqCst) {
            self.park();
        }
        f(self.value.get())
    }

    /// Runs `f` with exclusive access to the whole value, the other cores
    /// held outside their parts meanwhile.
    pub fn whole<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        if !SMP {
            // SAFETY: one core, which never re-enters the kernel, and never
            // borrows a part inside a whole borrow or the reverse.
            return f(unsafe { &mut *self.value.get() });
        }
        self.park_then(|| {
            self.held.store(true, Ordering::SeqCst);
            let others = ALL_CORES & !(1 << this_core());
            local_intc::interrupt_cores(others);
            signal();
            while self.parked.load(Ordering::SeqCst) & others != others {
                aarch64_cpu::asm::wfe();
            }
            // SAFETY: every other core has parked outside its part, or has
            // not joined yet (it leaves `park` only at a later turn).
            let result = f(unsafe { &mut *self.value.get() });
            self.held.store(false, Ordering::SeqCst);
            result
        })
    }

    /// Waits outside this core's part for its turn: no whole borrow is on
    /// then, and the next waits for this core to park again.
    #[cold]
    fn park(&self) {
        self.park_then(|| ());
    }

    /// Parks this core until its turn, then runs `f` in it: a core waiting
    /// for a whole borrow is parked too, or two such would wait for each
    /// other.
    fn park_then<R>(&self, f: impl FnOnce() -> R) -> R {
        let me = 1 << this_core();
        self.parked.fetch_or(me, Ordering::SeqCst);
        signal();
        self.turns.with(|()| {
            self.parked.fetch_and(!me, Ordering::SeqCst);
            f()
        })
    }
}
