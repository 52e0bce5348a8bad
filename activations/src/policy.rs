//! Which runnable thread runs next: the policy behind the thread package.
//!
//! The runtime tells a policy when threads become runnable and asks it to
//! pick one; the policy owns nothing but its own queue. The schedulers issue
//! adds more policies (EDF, round-robin, lottery, stride) behind this trait.

use crate::threads::{ThreadId, MAX_THREADS};
use heapless::Deque;

/// A user-level scheduling policy.
pub trait ThreadPolicy {
    /// `thread` became runnable: new, woken, or it yielded.
    fn ready(&mut self, thread: ThreadId);
    /// `thread` was running when the domain lost the CPU; it has not given
    /// up its turn.
    fn interrupted(&mut self, thread: ThreadId);
    /// Removes and returns the thread to run now, if any is runnable.
    fn pick(&mut self) -> Option<ThreadId>;
}

/// First in, first out: threads run in the order they became runnable, and
/// an interrupted thread keeps its place at the front.
#[derive(Default)]
pub struct Fifo {
    queue: Deque<ThreadId, MAX_THREADS>,
}

impl Fifo {
    /// An empty queue.
    pub const fn new() -> Self {
        Self { queue: Deque::new() }
    }
}

impl ThreadPolicy for Fifo {
    fn ready(&mut self, thread: ThreadId) {
        // The queue holds every thread at most once, so it cannot overflow.
        let _ = self.queue.push_back(thread);
    }

    fn interrupted(&mut self, thread: ThreadId) {
        let _ = self.queue.push_front(thread);
    }

    fn pick(&mut self) -> Option<ThreadId> {
        self.queue.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_runs_in_arrival_order() {
        let mut fifo = Fifo::new();
        fifo.ready(ThreadId(2));
        fifo.ready(ThreadId(0));
        fifo.ready(ThreadId(1));
        assert_eq!(fifo.pick(), Some(ThreadId(2)));
        assert_eq!(fifo.pick(), Some(ThreadId(0)));
        assert_eq!(fifo.pick(), Some(ThreadId(1)));
        assert_eq!(fifo.pick(), None);
    }

    #[test]
    fn interrupted_thread_keeps_its_turn() {
        let mut fifo = Fifo::new();
        fifo.ready(ThreadId(1));
        fifo.interrupted(ThreadId(0));
        assert_eq!(fifo.pick(), Some(ThreadId(0)));
        assert_eq!(fifo.pick(), Some(ThreadId(1)));
    }
}
