//! First in, first out.

use super::{Enqueue, Policy, Why};
use crate::queue::RunQueue;
use crate::{SchedError, ThreadId};

/// First in, first out: threads run in the order they became runnable,
/// each until it blocks, yields or completes its job; an interrupted thread
/// keeps its place at the front. No quantum. This is the policy
/// `activations/` ran before the schedulers existed.
#[derive(Clone, Debug, Default)]
pub struct Fifo {
    queue: RunQueue,
}

impl Fifo {
    /// An empty queue.
    pub const fn new() -> Self {
        Self { queue: RunQueue::new() }
    }
}

impl Policy for Fifo {
    fn name(&self) -> &'static str {
        "fifo"
    }

    fn enqueue(&mut self, id: ThreadId, entry: Enqueue) -> Result<(), SchedError> {
        match entry.why {
            Why::Interrupted => self.queue.push_front(id),
            _ => self.queue.push_back(id),
        }
    }

    fn dequeue(&mut self, id: ThreadId) {
        self.queue.remove(id);
    }

    fn pick(&mut self) -> Option<ThreadId> {
        self.queue.pop_front()
    }
}
