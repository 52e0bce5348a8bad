//! The thread table: which threads exist and what state each is in.
//!
//! Pure bookkeeping with no kernel calls, so that it can be tested on the
//! host; `runtime` drives it with activations off.

use crate::policy::ThreadPolicy;
use vesper_abi::dcb::Context;

/// The most threads a domain can have at once.
pub const MAX_THREADS: usize = 8;

/// A thread's index in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadId(pub usize);

/// Where a thread is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadState {
    /// The slot is unused.
    Free,
    /// Runnable, waiting in the policy's queue.
    Ready,
    /// The thread the domain runs (or ran when it lost the CPU).
    Running,
    /// Sleeping until the time (ns since boot).
    Sleeping(u64),
}

/// Why a thread could not be created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// All [`MAX_THREADS`] slots are in use.
    TooManyThreads,
}

/// One thread: its state and its saved registers.
#[derive(Clone, Copy)]
pub struct Thread {
    /// Its state.
    pub state: ThreadState,
    /// Its registers while it is not running.
    pub context: Context,
}

/// All threads of the domain.
pub struct ThreadTable {
    threads: [Thread; MAX_THREADS],
    current: Option<ThreadId>,
}

impl Default for ThreadTable {
    fn default() -> Self {
        Self::new()
    }
}

impl ThreadTable {
    /// A table with no threads.
    pub const fn new() -> Self {
        const FREE: Thread = Thread { state: ThreadState::Free, context: Context::ZERO };
        Self { threads: [FREE; MAX_THREADS], current: None }
    }

    /// The running thread, if any.
    pub fn current(&self) -> Option<ThreadId> {
        self.current
    }

    /// The state of `thread`.
    pub fn state(&self, thread: ThreadId) -> ThreadState {
        self.threads[thread.0].state
    }

    /// The saved registers of `thread`.
    pub fn context_mut(&mut self, thread: ThreadId) -> &mut Context {
        &mut self.threads[thread.0].context
    }

    /// Takes a free slot for a new thread, which starts with the context
    /// `make_context` gives for its id, and makes it runnable.
    pub fn spawn(
        &mut self,
        make_context: impl FnOnce(ThreadId) -> Context,
        policy: &mut impl ThreadPolicy,
    ) -> Result<ThreadId, SpawnError> {
        let index = self
            .threads
            .iter()
            .position(|t| t.state == ThreadState::Free)
            .ok_or(SpawnError::TooManyThreads)?;
        let context = make_context(ThreadId(index));
        self.threads[index] = Thread { state: ThreadState::Ready, context };
        policy.ready(ThreadId(index));
        Ok(ThreadId(index))
    }

    /// The running thread gives up the CPU but stays runnable.
    pub fn yield_current(&mut self, policy: &mut impl ThreadPolicy) {
        if let Some(thread) = self.current.take() {
            self.threads[thread.0].state = ThreadState::Ready;
            policy.ready(thread);
        }
    }

    /// The domain lost the CPU while `current` ran; it keeps its turn.
    pub fn interrupt_current(&mut self, policy: &mut impl ThreadPolicy) {
        if let Some(thread) = self.current.take() {
            self.threads[thread.0].state = ThreadState::Ready;
            policy.interrupted(thread);
        }
    }

    /// The running thread sleeps until `until`.
    pub fn sleep_current(&mut self, until: u64) {
        if let Some(thread) = self.current.take() {
            self.threads[thread.0].state = ThreadState::Sleeping(until);
        }
    }

    /// The running thread has finished; its slot is free again.
    pub fn exit_current(&mut self) {
        if let Some(thread) = self.current.take() {
            self.threads[thread.0].state = ThreadState::Free;
        }
    }

    /// Makes every thread whose sleep has ended by `now` runnable.
    pub fn wake_sleepers(&mut self, now: u64, policy: &mut impl ThreadPolicy) {
        for (index, thread) in self.threads.iter_mut().enumerate() {
            if let ThreadState::Sleeping(until) = thread.state {
                if until <= now {
                    thread.state = ThreadState::Ready;
                    policy.ready(ThreadId(index));
                }
            }
        }
    }

    /// The earliest time a sleeping thread wakes, if any sleeps.
    pub fn next_wake(&self) -> Option<u64> {
        self.threads
            .iter()
            .filter_map(|t| match t.state {
                ThreadState::Sleeping(until) => Some(until),
                _ => None,
            })
            .min()
    }

    /// Whether any thread is alive (not free).
    pub fn any_alive(&self) -> bool {
        self.threads.iter().any(|t| t.state != ThreadState::Free)
    }

    /// Makes the policy's choice the running thread and returns it.
    pub fn run_next(&mut self, policy: &mut impl ThreadPolicy) -> Option<ThreadId> {
        let thread = policy.pick()?;
        self.threads[thread.0].state = ThreadState::Running;
        self.current = Some(thread);
        Some(thread)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Fifo;

    fn context(pc: u64) -> impl FnOnce(ThreadId) -> Context {
        move |_| Context { pc, ..Context::ZERO }
    }

    #[test]
    fn spawned_threads_run_in_turn_and_yield() {
        let mut table = ThreadTable::new();
        let mut fifo = Fifo::new();
        let a = table.spawn(context(1), &mut fifo).unwrap();
        let b = table.spawn(context(2), &mut fifo).unwrap();
        assert_eq!(table.run_next(&mut fifo), Some(a));
        assert_eq!(table.state(a), ThreadState::Running);
        table.yield_current(&mut fifo);
        assert_eq!(table.run_next(&mut fifo), Some(b));
        assert_eq!(table.context_mut(b).pc, 2);
        table.yield_current(&mut fifo);
        assert_eq!(table.run_next(&mut fifo), Some(a));
    }

    #[test]
    fn sleepers_wake_at_their_time() {
        let mut table = ThreadTable::new();
        let mut fifo = Fifo::new();
        let a = table.spawn(context(1), &mut fifo).unwrap();
        table.run_next(&mut fifo);
        table.sleep_current(500);
        assert_eq!(table.run_next(&mut fifo), None);
        assert_eq!(table.next_wake(), Some(500));
        table.wake_sleepers(499, &mut fifo);
        assert_eq!(table.run_next(&mut fifo), None);
        table.wake_sleepers(500, &mut fifo);
        assert_eq!(table.run_next(&mut fifo), Some(a));
        assert_eq!(table.next_wake(), None);
    }

    #[test]
    fn exited_threads_free_their_slot() {
        let mut table = ThreadTable::new();
        let mut fifo = Fifo::new();
        for pc in 0..MAX_THREADS as u64 {
            table.spawn(context(pc), &mut fifo).unwrap();
        }
        assert_eq!(table.spawn(context(99), &mut fifo), Err(SpawnError::TooManyThreads));
        table.run_next(&mut fifo);
        table.exit_current();
        assert!(table.spawn(context(99), &mut fifo).is_ok());
        assert!(table.any_alive());
    }

    #[test]
    fn interrupted_thread_runs_first_again() {
        let mut table = ThreadTable::new();
        let mut fifo = Fifo::new();
        let a = table.spawn(context(1), &mut fifo).unwrap();
        let _b = table.spawn(context(2), &mut fifo).unwrap();
        table.run_next(&mut fifo);
        table.interrupt_current(&mut fifo);
        assert_eq!(table.run_next(&mut fifo), Some(a));
    }
}
