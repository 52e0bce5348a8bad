//! Lottery scheduling (Waldspurger & Weihl, 1994).

use super::ready::ReadySet;
use super::{Enqueue, Policy, Run, RunEnd};
use crate::{Pcg32, SchedError, ThreadId, ThreadParams, MAX_THREADS};

/// The largest effective ticket count of one thread, so that the sum over
/// all threads fits a `u64`.
const MAX_EFFECTIVE: u64 = u64::MAX / MAX_THREADS as u64;

/// Lottery scheduling: each quantum goes to a runnable thread drawn at
/// random with probability proportional to its tickets. An interrupted
/// thread gets the rest of its quantum first, without a draw.
///
/// *Compensation tickets*: a thread that ran only a fraction `f` of its
/// quantum before it blocked, yielded or completed its job has its tickets
/// inflated by `1 / f` until it next wins. Without them a thread that often
/// blocks early would get less than its share of the CPU (it wins its
/// share of draws but uses only part of each).
///
/// *Ticket transfers* ([`Scheduler::transfer`](crate::Scheduler::transfer)):
/// a thread can lend tickets to another, e.g. a client to the server it
/// waits for, and take them back later.
///
/// Guarantee: probabilistic. After `n` draws a thread holding the fraction
/// `p` of the tickets has won `n p` in expectation, with standard deviation
/// `sqrt(n p (1 - p))`: its relative error shrinks as `1 / sqrt(n)`. The
/// draws come from a seeded [`Pcg32`], so a run reproduces exactly.
#[derive(Clone, Debug)]
pub struct Lottery {
    quantum_ns: u64,
    tickets: [u32; MAX_THREADS],
    /// Compensation as `(quantum, used)`: tickets count `quantum / used`
    /// times until the thread next wins.
    compensation: [Option<(u64, u64)>; MAX_THREADS],
    ready: ReadySet,
    rng: Pcg32,
}

impl Lottery {
    /// A lottery with quantum `quantum_ns` (at least 1) whose draws are
    /// seeded with `seed`.
    pub const fn new(quantum_ns: u64, seed: u64) -> Self {
        let quantum_ns = if quantum_ns == 0 { 1 } else { quantum_ns };
        Self {
            quantum_ns,
            tickets: [0; MAX_THREADS],
            compensation: [None; MAX_THREADS],
            ready: ReadySet::new(),
            rng: Pcg32::new(seed),
        }
    }

    /// The tickets `id` draws with now: its own, inflated by its
    /// compensation (0 for an unknown id).
    pub fn effective_tickets(&self, id: ThreadId) -> u64 {
        let Some(&tickets) = self.tickets.get(id.0) else {
            return 0;
        };
        match self.compensation[id.0] {
            Some((quantum, used)) => {
                let inflated = u128::from(tickets) * u128::from(quantum) / u128::from(used.max(1));
                u64::try_from(inflated).unwrap_or(u64::MAX).min(MAX_EFFECTIVE)
            }
            None => u64::from(tickets),
        }
    }

    /// Draws the winner among the ready threads.
    fn draw(&mut self) -> Option<ThreadId> {
        let total: u64 = self.ready.threads().iter().map(|id| self.effective_tickets(id)).sum();
        if total == 0 {
            // Only possible with no ready thread.
            return self.ready.threads().iter().next();
        }
        let mut winning = self.rng.below(total);
        for id in self.ready.threads().iter() {
            let tickets = self.effective_tickets(id);
            if winning < tickets {
                return Some(id);
            }
            winning -= tickets;
        }
        None
    }
}

impl Policy for Lottery {
    fn name(&self) -> &'static str {
        "lottery"
    }

    fn admit(&mut self, id: ThreadId, params: &ThreadParams) -> Result<(), SchedError> {
        let tickets = self.tickets.get_mut(id.0).ok_or(SchedError::BadThread)?;
        *tickets = params.tickets;
        self.compensation[id.0] = None;
        Ok(())
    }

    fn enqueue(&mut self, id: ThreadId, entry: Enqueue) -> Result<(), SchedError> {
        self.ready.insert(id, entry.why)
    }

    fn dequeue(&mut self, id: ThreadId) {
        self.ready.remove(id);
    }

    fn pick(&mut self) -> Option<ThreadId> {
        let winner = self.ready.take_resumed().or_else(|| self.draw())?;
        self.ready.remove(winner);
        self.compensation[winner.0] = None;
        Some(winner)
    }

    fn quantum_ns(&self, _id: ThreadId) -> Option<u64> {
        Some(self.quantum_ns)
    }

    fn charge(&mut self, id: ThreadId, run: &Run) {
        let Some(compensation) = self.compensation.get_mut(id.0) else {
            return;
        };
        if matches!(run.end, RunEnd::Yielded | RunEnd::Blocked) {
            let quantum = run.quantum_ns.unwrap_or(self.quantum_ns);
            if run.quantum_used_ns < quantum {
                *compensation = Some((quantum, run.quantum_used_ns));
            }
        }
    }

    fn tickets_changed(&mut self, id: ThreadId, tickets: u32) {
        if let Some(slot) = self.tickets.get_mut(id.0) {
            *slot = tickets;
        }
    }
}
