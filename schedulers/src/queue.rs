//! A fixed-capacity run queue of thread ids, each at most once.

use crate::{SchedError, ThreadId, MAX_THREADS};
use heapless::Deque;

/// A double-ended queue holding each thread at most once: pushing a thread
/// that is queued already moves it.
#[derive(Clone, Debug, Default)]
pub(crate) struct RunQueue {
    queue: Deque<ThreadId, MAX_THREADS>,
}

impl RunQueue {
    /// An empty queue.
    pub(crate) const fn new() -> Self {
        Self { queue: Deque::new() }
    }

    /// Appends `id` at the back.
    pub(crate) fn push_back(&mut self, id: ThreadId) -> Result<(), SchedError> {
        self.remove(id);
        self.queue.push_back(id).map_err(|_| SchedError::Full)
    }

    /// Puts `id` at the front.
    pub(crate) fn push_front(&mut self, id: ThreadId) -> Result<(), SchedError> {
        self.remove(id);
        self.queue.push_front(id).map_err(|_| SchedError::Full)
    }

    /// Takes `id` out, wherever it is.
    pub(crate) fn remove(&mut self, id: ThreadId) {
        self.queue.retain(|&queued| queued != id);
    }

    /// Takes the thread at the front.
    pub(crate) fn pop_front(&mut self) -> Option<ThreadId> {
        self.queue.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_thread_once_and_capacity_is_reported() {
        let mut q = RunQueue::new();
        q.push_back(ThreadId(1)).unwrap();
        q.push_back(ThreadId(2)).unwrap();
        q.push_front(ThreadId(2)).unwrap();
        assert_eq!(q.pop_front(), Some(ThreadId(2)));
        assert_eq!(q.pop_front(), Some(ThreadId(1)));
        assert_eq!(q.pop_front(), None);
        for i in 0..MAX_THREADS {
            q.push_back(ThreadId(i)).unwrap();
        }
        assert_eq!(q.push_back(ThreadId(MAX_THREADS)), Err(SchedError::Full));
        assert_eq!(q.push_front(ThreadId(MAX_THREADS)), Err(SchedError::Full));
        // Re-pushing a queued thread moves it instead of failing.
        q.push_back(ThreadId(0)).unwrap();
        assert_eq!(q.pop_front(), Some(ThreadId(1)));
    }
}
