//! The runnable set of the proportional-share policies (lottery, stride):
//! any ready thread may win the next pick, except that a thread interrupted
//! while it ran resumes first, keeping its turn.

use super::Why;
use crate::{SchedError, ThreadId, ThreadSet, MAX_THREADS};

/// Ready threads, and the interrupted one that resumes first.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadySet {
    ready: ThreadSet,
    resume: Option<ThreadId>,
}

impl ReadySet {
    /// No ready thread.
    pub const fn new() -> Self {
        Self { ready: ThreadSet::EMPTY, resume: None }
    }

    /// `id` is ready, queued for `why`.
    pub fn insert(&mut self, id: ThreadId, why: Why) -> Result<(), SchedError> {
        if id.0 >= MAX_THREADS {
            return Err(SchedError::BadThread);
        }
        self.ready.insert(id);
        if why == Why::Interrupted {
            self.resume = Some(id);
        }
        Ok(())
    }

    /// `id` is no longer ready.
    pub fn remove(&mut self, id: ThreadId) {
        self.ready.remove(id);
        if self.resume == Some(id) {
            self.resume = None;
        }
    }

    /// The interrupted thread, if it is still ready: it goes first.
    pub fn take_resumed(&mut self) -> Option<ThreadId> {
        self.resume.take().filter(|&id| self.ready.contains(id))
    }

    /// The ready threads.
    pub fn threads(&self) -> ThreadSet {
        self.ready
    }
}
