//! Single-producer, single-consumer rings in memory two domains share.
//!
//! A [`Ring`] is two counters and `N` slots. The producer writes a slot,
//! then publishes it by advancing `head`; the consumer copies a slot out,
//! then frees it by advancing `tail`. Each side keeps its own counter in
//! its own memory ([`Producer`], [`Consumer`]) and only *reports* it in
//! the ring: what it reads of the other side's counter is checked
//! (`head - tail`, wrapping, must be at most `N`) and a ring that fails
//! the check is [`Corrupt`]. So a hostile peer can lose or garble its own
//! messages, never make the other side read or write outside the ring.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU32, Ordering};

/// A message that can cross a ring: plain data, copied in and out whole.
///
/// # Safety
/// The type must be `#[repr(C)]` and every bit pattern of its size must be
/// a valid value (integers and arrays of integers only): the peer can write
/// anything into a slot.
pub unsafe trait Message: Copy {}

/// The ring's counters claim more entries than it holds: the peer broke
/// the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Corrupt;

/// `N` slots of `T` and the two counters, as laid out in shared memory
/// (`N` a power of two, so that slot indexes survive the counters' wrap).
#[repr(C)]
pub struct Ring<T, const N: usize> {
    /// Entries published by the producer (free-running).
    head: AtomicU32,
    /// Entries freed by the consumer (free-running).
    tail: AtomicU32,
    slots: [UnsafeCell<T>; N],
}

// SAFETY: the slots are only reached through `Producer` and `Consumer`,
// which copy messages in and out whole; which side may touch a slot is
// decided by the counters, and a peer that breaks that only garbles
// messages, which `Message` makes harmless.
unsafe impl<T: Message, const N: usize> Sync for Ring<T, N> {}

impl<T: Message, const N: usize> Ring<T, N> {
    /// Entries in use when the producer has published `head` and the
    /// consumer freed `tail`, or [`Corrupt`] if that is more than `N`.
    fn used(head: u32, tail: u32) -> Result<usize, Corrupt> {
        let used = head.wrapping_sub(tail) as usize;
        if used > N {
            return Err(Corrupt);
        }
        Ok(used)
    }

    fn slot(&self, counter: u32) -> *mut T {
        // Counters wrap at 2^32: slot `k % N` stays the slot of entry `k`
        // across the wrap only if N divides 2^32.
        const { assert!(N.is_power_of_two(), "a ring's length must be a power of two") };
        self.slots[counter as usize % N].get()
    }
}

/// The producing side of a ring.
pub struct Producer<'a, T, const N: usize> {
    ring: &'a Ring<T, N>,
    head: u32,
}

impl<'a, T: Message, const N: usize> Producer<'a, T, N> {
    /// Produces into `ring`, carrying on from the count it reports (so that
    /// a side that restarts picks up where it was).
    pub fn new(ring: &'a Ring<T, N>) -> Self {
        Self { ring, head: ring.head.load(Ordering::Relaxed) }
    }

    /// Free slots, as far as the consumer has reported.
    pub fn free(&self) -> Result<usize, Corrupt> {
        let tail = self.ring.tail.load(Ordering::Acquire);
        Ring::<T, N>::used(self.head, tail).map(|used| N - used)
    }

    /// Queues `message`; `Ok(false)` if the ring is full.
    pub fn push(&mut self, message: T) -> Result<bool, Corrupt> {
        if self.free()? == 0 {
            return Ok(false);
        }
        // SAFETY: the slot is inside the ring, and the consumer does not
        // read it until `head` says so (a hostile one only garbles it).
        unsafe { self.ring.slot(self.head).write_volatile(message) };
        self.head = self.head.wrapping_add(1);
        self.ring.head.store(self.head, Ordering::Release);
        Ok(true)
    }
}

/// The consuming side of a ring.
pub struct Consumer<'a, T, const N: usize> {
    ring: &'a Ring<T, N>,
    tail: u32,
}

impl<'a, T: Message, const N: usize> Consumer<'a, T, N> {
    /// Consumes from `ring`, carrying on from the count it reports.
    pub fn new(ring: &'a Ring<T, N>) -> Self {
        Self { ring, tail: ring.tail.load(Ordering::Relaxed) }
    }

    /// Entries waiting, as far as the producer has published.
    pub fn waiting(&self) -> Result<usize, Corrupt> {
        let head = self.ring.head.load(Ordering::Acquire);
        Ring::<T, N>::used(head, self.tail)
    }

    /// Takes the oldest entry, copied out whole; `Ok(None)` if there is
    /// none.
    pub fn pop(&mut self) -> Result<Option<T>, Corrupt> {
        if self.waiting()? == 0 {
            return Ok(None);
        }
        // SAFETY: the slot is inside the ring and published; it is copied
        // once, so the producer changing it now cannot change what is used.
        let message = unsafe { self.ring.slot(self.tail).read_volatile() };
        self.tail = self.tail.wrapping_add(1);
        self.ring.tail.store(self.tail, Ordering::Release);
        Ok(Some(message))
    }
}

/// A client's shared region: its requests, then the driver's replies.
#[repr(C)]
pub struct ServiceArea<Req, Rep, const N: usize> {
    /// Client to driver.
    pub requests: Ring<Req, N>,
    /// Driver to client.
    pub replies: Ring<Rep, N>,
}

impl<Req: Message, Rep: Message, const N: usize> ServiceArea<Req, Rep, N> {
    /// The area at the start of the shared region `base..base + size`, or
    /// `None` if it does not fit or is misaligned.
    ///
    /// # Safety
    /// The region must be mapped read-write in this domain for as long as
    /// the reference lives, and no memory of this domain's own may lie in
    /// it (only the peer and this side write it, through rings).
    pub unsafe fn at(base: u64, size: u64) -> Option<&'static Self> {
        let fits = core::mem::size_of::<Self>() as u64 <= size;
        let aligned = base.is_multiple_of(core::mem::align_of::<Self>() as u64);
        // SAFETY: mapped and shared as the caller promises; every bit
        // pattern is a valid ring (counters are checked on use).
        (fits && aligned && base != 0).then(|| unsafe { &*(base as *const Self) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // SAFETY: an integer.
    unsafe impl Message for u64 {}

    fn ring<const N: usize>() -> Ring<u64, N> {
        Ring {
            head: AtomicU32::new(0),
            tail: AtomicU32::new(0),
            slots: core::array::from_fn(|_| UnsafeCell::new(0)),
        }
    }

    #[test]
    fn messages_come_out_in_order_and_a_full_ring_refuses() {
        let r = ring::<4>();
        let (mut p, mut c) = (Producer::new(&r), Consumer::new(&r));
        for m in 0..4 {
            assert_eq!(p.push(m), Ok(true));
        }
        assert_eq!(p.push(9), Ok(false), "full");
        assert_eq!(c.waiting(), Ok(4));
        for m in 0..4 {
            assert_eq!(c.pop(), Ok(Some(m)));
        }
        assert_eq!(c.pop(), Ok(None));
        assert_eq!(p.free(), Ok(4));
    }

    #[test]
    fn counters_wrap_around() {
        let r = ring::<4>();
        r.head.store(u32::MAX - 1, Ordering::Relaxed);
        r.tail.store(u32::MAX - 1, Ordering::Relaxed);
        let (mut p, mut c) = (Producer::new(&r), Consumer::new(&r));
        for m in 0..10 {
            // Three entries live across the wrap.
            assert_eq!(p.push(m), Ok(true));
            assert_eq!(p.push(m + 100), Ok(true));
            assert_eq!(p.push(m + 200), Ok(true));
            assert_eq!(c.pop(), Ok(Some(m)));
            assert_eq!(c.pop(), Ok(Some(m + 100)));
            assert_eq!(c.pop(), Ok(Some(m + 200)));
        }
    }

    proptest! {
        /// Whatever a hostile producer writes into `head` and the slots, the
        /// consumer only ever reports corruption or hands out what lies in
        /// the ring; it never panics and never runs past the ring.
        #[test]
        fn a_hostile_producer_cannot_make_the_consumer_misbehave(
            heads in prop::collection::vec(any::<u32>(), 1..50),
            garbage in any::<u64>(),
        ) {
            let r = ring::<8>();
            let mut c = Consumer::new(&r);
            for head in heads {
                r.head.store(head, Ordering::Relaxed);
                for slot in &r.slots {
                    // SAFETY: the test owns the ring; nothing else uses it.
                    unsafe { *slot.get() = garbage };
                }
                match c.pop() {
                    Ok(Some(m)) => prop_assert_eq!(m, garbage),
                    Ok(None) => prop_assert_eq!(head, c.tail),
                    Err(Corrupt) => prop_assert!(head.wrapping_sub(c.tail) > 8),
                }
            }
        }

        /// A hostile consumer's `tail` can only make the producer refuse or
        /// report corruption, never overwrite an entry it has not freed.
        #[test]
        fn a_hostile_consumer_cannot_make_the_producer_overrun(
            tails in prop::collection::vec(any::<u32>(), 1..50),
        ) {
            let r = ring::<8>();
            let mut p = Producer::new(&r);
            for tail in tails {
                r.tail.store(tail, Ordering::Relaxed);
                let before = p.head;
                match p.push(1) {
                    Ok(true) => prop_assert!(before.wrapping_sub(tail) < 8),
                    Ok(false) => prop_assert_eq!(before.wrapping_sub(tail), 8),
                    Err(Corrupt) => prop_assert!(before.wrapping_sub(tail) > 8),
                }
            }
        }
    }
}
