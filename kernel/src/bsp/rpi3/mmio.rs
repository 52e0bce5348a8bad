//! Typed access to a memory-mapped register block.

use core::marker::PhantomData;
use core::ops::Deref;

/// A register block of type `T` at a fixed kernel virtual address.
pub struct Mmio<T> {
    base: usize,
    block: PhantomData<fn() -> T>,
}

impl<T> Mmio<T> {
    /// # Safety
    /// `base` must be the kernel virtual address of a device register block
    /// laid out as `T`, mapped as device memory for the kernel's lifetime.
    pub const unsafe fn new(base: usize) -> Self {
        Self { base, block: PhantomData }
    }
}

impl<T> Deref for Mmio<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `new`'s contract: a mapped register block of type T.
        unsafe { &*(self.base as *const T) }
    }
}
