//! Kernel-global state without locks.
//!
//! The kernel runs on one core with interrupts masked and never re-enters
//! itself: an exception handler runs to completion before the next
//! exception can be taken. So a global needs no lock, only a guard against
//! the one mistake that remains possible, taking it twice at once.

use core::cell::{Cell, UnsafeCell};

/// A kernel global, handed out one borrow at a time.
pub struct KernelCell<T> {
    value: UnsafeCell<T>,
    borrowed: Cell<bool>,
}

// SAFETY: the kernel is single-core and non-reentrant (see the module
// documentation), and `with` refuses overlapping borrows.
unsafe impl<T> Sync for KernelCell<T> {}

impl<T> KernelCell<T> {
    /// Wraps `value`.
    pub const fn new(value: T) -> Self {
        Self { value: UnsafeCell::new(value), borrowed: Cell::new(false) }
    }

    /// Runs `f` with exclusive access to the value.
    ///
    /// # Panics
    /// If called again from inside `f`: a kernel bug, never a domain's doing.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        assert!(!self.borrowed.replace(true), "kernel state borrowed twice");
        // SAFETY: the flag guarantees this is the only live reference.
        let result = f(unsafe { &mut *self.value.get() });
        self.borrowed.set(false);
        result
    }

    /// Runs `f` with exclusive access to the value, or returns `None` if
    /// it is borrowed already: for the panic path, which may have been
    /// entered from inside a borrow.
    pub fn try_with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        if self.borrowed.get() {
            return None;
        }
        Some(self.with(f))
    }
}
