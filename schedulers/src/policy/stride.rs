//! Stride scheduling (Waldspurger & Weihl, 1995).

use super::ready::ReadySet;
use super::{Enqueue, Policy, Run, RunEnd};
use crate::{SchedError, ThreadId, ThreadParams, MAX_THREADS};

/// The stride of one ticket: `stride = STRIDE1 / tickets`. Large, so that
/// the rounding of the division is negligible (below 2^-8 of a quantum
/// after 2^24 quanta even at 2^24 tickets).
const STRIDE1: i128 = 1 << 40;

/// One thread's stride state.
#[derive(Clone, Copy, Debug)]
struct Client {
    tickets: u32,
    stride: i128,
    /// Its virtual time: the smallest runs next.
    pass: i128,
    /// While it is not runnable: its pass relative to the global pass.
    remain: i128,
    /// Runnable or running: counted in the global tickets.
    active: bool,
}

impl Client {
    const EMPTY: Self = Self { tickets: 0, stride: 0, pass: 0, remain: 0, active: false };
}

fn stride_of(tickets: u32) -> i128 {
    STRIDE1 / i128::from(tickets.max(1))
}

/// Stride scheduling, the deterministic counterpart of the lottery: each
/// thread has a *stride* inversely proportional to its tickets
/// (`STRIDE1 / tickets`) and a *pass*; the runnable thread with the
/// smallest pass runs for a quantum (ties: the lowest id), and its pass
/// advances by `stride * used / quantum`. An interrupted thread gets the
/// rest of its quantum first.
///
/// A thread that stops being runnable leaves with its pass relative to the
/// global pass (which advances by `STRIDE1 / total tickets` per quantum of
/// CPU) and rejoins at the same distance: sleeping neither earns credit nor
/// costs any. Ticket changes rescale that distance.
///
/// Guarantee (full quanta, fixed set of runnable threads): the error of
/// any pair of threads relative to their ticket ratio stays below one
/// quantum, so no thread ever falls a quantum behind its ideal share
/// `N * tickets / total` after `N` quanta, and none runs ahead by more than
/// `(n - 1) * tickets / total` quanta (`n` threads).
#[derive(Clone, Debug)]
pub struct Stride {
    quantum_ns: u64,
    clients: [Client; MAX_THREADS],
    ready: ReadySet,
    global_tickets: u64,
    global_pass: i128,
}

impl Stride {
    /// Stride scheduling with quantum `quantum_ns` (at least 1).
    pub const fn new(quantum_ns: u64) -> Self {
        let quantum_ns = if quantum_ns == 0 { 1 } else { quantum_ns };
        Self {
            quantum_ns,
            clients: [Client::EMPTY; MAX_THREADS],
            ready: ReadySet::new(),
            global_tickets: 0,
            global_pass: 0,
        }
    }

    /// The pass of `id` (its virtual time; meaningful while it is runnable).
    pub fn pass(&self, id: ThreadId) -> Option<i128> {
        self.clients.get(id.0).map(|c| c.pass)
    }

    fn join(&mut self, id: ThreadId) {
        let Some(client) = self.clients.get_mut(id.0) else {
            return;
        };
        if !client.active {
            client.active = true;
            client.pass = self.global_pass.saturating_add(client.remain);
            self.global_tickets = self.global_tickets.saturating_add(u64::from(client.tickets));
        }
    }

    fn leave(&mut self, id: ThreadId) {
        let Some(client) = self.clients.get_mut(id.0) else {
            return;
        };
        if client.active {
            client.active = false;
            client.remain = client.pass.saturating_sub(self.global_pass);
            self.global_tickets = self.global_tickets.saturating_sub(u64::from(client.tickets));
        }
    }
}

impl Policy for Stride {
    fn name(&self) -> &'static str {
        "stride"
    }

    fn admit(&mut self, id: ThreadId, params: &ThreadParams) -> Result<(), SchedError> {
        let client = self.clients.get_mut(id.0).ok_or(SchedError::BadThread)?;
        let stride = stride_of(params.tickets);
        // A newcomer's first pass is one stride ahead of the global pass.
        *client =
            Client { tickets: params.tickets, stride, pass: 0, remain: stride, active: false };
        Ok(())
    }

    fn enqueue(&mut self, id: ThreadId, entry: Enqueue) -> Result<(), SchedError> {
        if id.0 >= MAX_THREADS {
            return Err(SchedError::BadThread);
        }
        self.join(id);
        self.ready.insert(id, entry.why)
    }

    fn dequeue(&mut self, id: ThreadId) {
        self.ready.remove(id);
        self.leave(id);
    }

    fn pick(&mut self) -> Option<ThreadId> {
        let winner = self.ready.take_resumed().or_else(|| {
            self.ready.threads().iter().min_by_key(|id| (self.clients[id.0].pass, id.0))
        })?;
        self.ready.remove(winner);
        Some(winner)
    }

    fn quantum_ns(&self, _id: ThreadId) -> Option<u64> {
        Some(self.quantum_ns)
    }

    fn charge(&mut self, id: ThreadId, run: &Run) {
        let quantum = i128::from(run.quantum_ns.unwrap_or(self.quantum_ns).max(1));
        let used = i128::from(run.used_ns);
        let Some(client) = self.clients.get_mut(id.0) else {
            return;
        };
        client.pass = client.pass.saturating_add(client.stride.saturating_mul(used) / quantum);
        if self.global_tickets > 0 {
            let global_stride = STRIDE1 / i128::from(self.global_tickets);
            self.global_pass =
                self.global_pass.saturating_add(global_stride.saturating_mul(used) / quantum);
        }
        if run.end == RunEnd::Blocked {
            self.leave(id);
        }
    }

    fn tickets_changed(&mut self, id: ThreadId, tickets: u32) {
        let global_pass = self.global_pass;
        let Some(client) = self.clients.get_mut(id.0) else {
            return;
        };
        let old_stride = client.stride.max(1);
        let new_stride = stride_of(tickets);
        let rescale = |distance: i128| distance.saturating_mul(new_stride) / old_stride;
        if client.active {
            client.pass =
                global_pass.saturating_add(rescale(client.pass.saturating_sub(global_pass)));
            self.global_tickets = self
                .global_tickets
                .saturating_sub(u64::from(client.tickets))
                .saturating_add(u64::from(tickets));
        } else {
            client.remain = rescale(client.remain);
        }
        client.tickets = tickets;
        client.stride = new_stride;
    }
}
