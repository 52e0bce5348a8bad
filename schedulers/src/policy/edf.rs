//! Earliest deadline first.

use super::{Enqueue, Policy, Why};
use crate::{SchedError, ThreadId, ThreadSet, MAX_THREADS};
use heapless::binary_heap::Min;
use heapless::{BinaryHeap, Vec};

/// Room for every live entry plus as many stale ones.
const HEAP_CAPACITY: usize = 2 * MAX_THREADS;
/// Where both order counters start: back orders count up from here, front
/// orders down, so a front entry precedes every back entry of its deadline.
const ORDER_ORIGIN: u64 = 1 << 63;

/// One heap entry. Fields in comparison order: the earliest deadline
/// first, ties by `order` (arrival; interrupted threads first), then by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    deadline: u64,
    order: u64,
    id: usize,
    /// Matches `Edf::generation[id]` while the entry is live.
    generation: u32,
}

/// Earliest deadline first: the runnable thread whose current job has the
/// earliest absolute deadline runs, until it blocks, completes its job or a
/// release is due (no quantum). Threads without a deadline come after all
/// threads with one. Equal deadlines run in the order the threads became
/// runnable, except that an interrupted thread keeps its place ahead of its
/// equals (no needless switch).
///
/// Guarantee: on one CPU, with implicit deadlines (deadline = period), no
/// job misses its deadline if the utilisation `sum(wcet / period)` is at
/// most 1 (Liu & Layland, 1973); EDF is optimal: if any policy meets all
/// deadlines, EDF does.
///
/// Data structure: a binary heap keyed by deadline, with lazy deletion. A
/// thread that leaves the queue, or whose deadline changes, only bumps its
/// generation; stale entries are skipped when they surface, and swept out
/// when the heap fills. Enqueue and pick are O(log n) (amortised).
#[derive(Clone, Debug)]
pub struct Edf {
    heap: BinaryHeap<Entry, Min, HEAP_CAPACITY>,
    generation: [u32; MAX_THREADS],
    /// The order of each queued thread's live entry.
    order: [u64; MAX_THREADS],
    queued: ThreadSet,
    next_back: u64,
    next_front: u64,
}

impl Default for Edf {
    fn default() -> Self {
        Self::new()
    }
}

impl Edf {
    /// An empty queue.
    pub const fn new() -> Self {
        Self {
            heap: BinaryHeap::new(),
            generation: [0; MAX_THREADS],
            order: [0; MAX_THREADS],
            queued: ThreadSet::EMPTY,
            next_back: ORDER_ORIGIN,
            next_front: ORDER_ORIGIN,
        }
    }

    /// Pushes a live entry for `id`, sweeping stale entries out first if
    /// the heap is full.
    fn push(&mut self, id: ThreadId, deadline: Option<u64>, order: u64) -> Result<(), SchedError> {
        let generation = self.generation.get_mut(id.0).ok_or(SchedError::BadThread)?;
        *generation = generation.wrapping_add(1);
        let entry = Entry {
            deadline: deadline.unwrap_or(u64::MAX),
            order,
            id: id.0,
            generation: *generation,
        };
        if self.heap.is_full() {
            self.sweep();
        }
        self.heap.push(entry).map_err(|_| SchedError::Full)?;
        self.order[id.0] = order;
        self.queued.insert(id);
        Ok(())
    }

    /// Whether `entry` is the live entry of a queued thread.
    fn is_live(&self, entry: &Entry) -> bool {
        self.queued.contains(ThreadId(entry.id))
            && self.generation.get(entry.id) == Some(&entry.generation)
    }

    /// Rebuilds the heap from its live entries.
    fn sweep(&mut self) {
        let mut live: Vec<Entry, HEAP_CAPACITY> = Vec::new();
        while let Some(entry) = self.heap.pop() {
            if self.is_live(&entry) {
                // At most `HEAP_CAPACITY` entries were popped.
                let _ = live.push(entry);
            }
        }
        for entry in live {
            // The heap was emptied, and holds as many entries as before.
            let _ = self.heap.push(entry);
        }
    }

    /// Forgets the live entry of `id`, if any.
    fn invalidate(&mut self, id: ThreadId) {
        if let Some(generation) = self.generation.get_mut(id.0) {
            *generation = generation.wrapping_add(1);
        }
        self.queued.remove(id);
    }
}

impl Policy for Edf {
    fn name(&self) -> &'static str {
        "edf"
    }

    fn enqueue(&mut self, id: ThreadId, entry: Enqueue) -> Result<(), SchedError> {
        let order = if entry.why == Why::Interrupted {
            self.next_front = self.next_front.saturating_sub(1);
            self.next_front
        } else {
            self.next_back = self.next_back.saturating_add(1);
            self.next_back
        };
        self.push(id, entry.deadline, order)
    }

    fn dequeue(&mut self, id: ThreadId) {
        self.invalidate(id);
    }

    fn pick(&mut self) -> Option<ThreadId> {
        while let Some(entry) = self.heap.pop() {
            if self.is_live(&entry) {
                let id = ThreadId(entry.id);
                self.invalidate(id);
                return Some(id);
            }
        }
        None
    }

    fn deadline_changed(&mut self, id: ThreadId, deadline: Option<u64>) -> Result<(), SchedError> {
        if !self.queued.contains(id) {
            return Ok(());
        }
        // Same place among equals, new deadline.
        let order = self.order[id.0];
        self.push(id, deadline, order).inspect_err(|_| self.invalidate(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enqueue(edf: &mut Edf, id: usize, deadline: Option<u64>, why: Why) {
        edf.enqueue(ThreadId(id), Enqueue { why, deadline }).unwrap();
    }

    #[test]
    fn earliest_deadline_first_then_arrival_then_no_deadline() {
        let mut edf = Edf::new();
        enqueue(&mut edf, 0, None, Why::Woken);
        enqueue(&mut edf, 1, Some(30), Why::Woken);
        enqueue(&mut edf, 2, Some(10), Why::Woken);
        enqueue(&mut edf, 3, Some(30), Why::Woken);
        let order: std::vec::Vec<usize> =
            core::iter::from_fn(|| edf.pick()).map(|id| id.0).collect();
        assert_eq!(order, [2, 1, 3, 0]);
    }

    #[test]
    fn interrupted_thread_precedes_its_equals() {
        let mut edf = Edf::new();
        enqueue(&mut edf, 1, Some(10), Why::Woken);
        enqueue(&mut edf, 0, Some(10), Why::Interrupted);
        enqueue(&mut edf, 2, Some(5), Why::Woken);
        assert_eq!(edf.pick(), Some(ThreadId(2)));
        assert_eq!(edf.pick(), Some(ThreadId(0)));
        assert_eq!(edf.pick(), Some(ThreadId(1)));
    }

    #[test]
    fn stale_entries_are_skipped_and_swept() {
        let mut edf = Edf::new();
        // Far more enqueue/dequeue cycles than the heap holds.
        for round in 0..10 * HEAP_CAPACITY as u64 {
            for id in 0..MAX_THREADS {
                enqueue(&mut edf, id, Some(round + id as u64), Why::Woken);
            }
            for id in 1..MAX_THREADS {
                edf.dequeue(ThreadId(id));
            }
            edf.deadline_changed(ThreadId(0), Some(round)).unwrap();
            assert_eq!(edf.pick(), Some(ThreadId(0)));
            assert_eq!(edf.pick(), None);
        }
    }

    #[test]
    fn deadline_change_reorders() {
        let mut edf = Edf::new();
        enqueue(&mut edf, 0, Some(10), Why::Woken);
        enqueue(&mut edf, 1, Some(20), Why::Woken);
        edf.deadline_changed(ThreadId(0), Some(30)).unwrap();
        // Not queued: ignored.
        edf.deadline_changed(ThreadId(5), Some(1)).unwrap();
        assert_eq!(edf.pick(), Some(ThreadId(1)));
        assert_eq!(edf.pick(), Some(ThreadId(0)));
        assert_eq!(edf.pick(), None);
    }
}
