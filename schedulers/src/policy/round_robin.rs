//! Round-robin with a quantum.

use super::{Enqueue, Fifo, Policy};
use crate::{SchedError, ThreadId, ThreadParams, MAX_THREADS};

/// Round-robin: threads run in turn, each for at most one quantum (its own,
/// [`ThreadParams::quantum_ns`], or the policy's). A thread whose quantum
/// runs out goes to the back; one that yields, blocks or completes a job
/// gives up the rest of its quantum; an interrupted one keeps its place at
/// the front and the rest of its quantum.
///
/// Guarantee: a runnable thread waits at most `(n - 1) * q` of CPU time
/// before it runs, `n` the runnable threads and `q` the longest quantum.
///
/// The order is FIFO's; what round-robin adds is the quantum.
#[derive(Clone, Debug)]
pub struct RoundRobin {
    quantum_ns: u64,
    quanta: [Option<u64>; MAX_THREADS],
    order: Fifo,
}

impl RoundRobin {
    /// Round-robin with a default quantum of `quantum_ns` (at least 1).
    pub const fn new(quantum_ns: u64) -> Self {
        let quantum_ns = if quantum_ns == 0 { 1 } else { quantum_ns };
        Self { quantum_ns, quanta: [None; MAX_THREADS], order: Fifo::new() }
    }
}

impl Policy for RoundRobin {
    fn name(&self) -> &'static str {
        "round-robin"
    }

    fn admit(&mut self, id: ThreadId, params: &ThreadParams) -> Result<(), SchedError> {
        let slot = self.quanta.get_mut(id.0).ok_or(SchedError::BadThread)?;
        *slot = params.quantum_ns;
        Ok(())
    }

    fn enqueue(&mut self, id: ThreadId, entry: Enqueue) -> Result<(), SchedError> {
        self.order.enqueue(id, entry)
    }

    fn dequeue(&mut self, id: ThreadId) {
        self.order.dequeue(id);
    }

    fn pick(&mut self) -> Option<ThreadId> {
        self.order.pick()
    }

    fn quantum_ns(&self, id: ThreadId) -> Option<u64> {
        Some(self.quanta.get(id.0).copied().flatten().unwrap_or(self.quantum_ns))
    }
}
