//! Any policy, chosen at run time by name.

use super::{Edf, Enqueue, Fifo, Lottery, Policy, RoundRobin, Run, Stride};
use crate::{SchedError, ThreadId, ThreadParams, DEFAULT_QUANTUM_NS};
use core::fmt;

/// The policies, by the names manifests use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// `"fifo"`: [`Fifo`].
    Fifo,
    /// `"edf"`: [`Edf`].
    Edf,
    /// `"round-robin"`: [`RoundRobin`].
    RoundRobin,
    /// `"lottery"`: [`Lottery`].
    Lottery,
    /// `"stride"`: [`Stride`].
    Stride,
}

impl PolicyKind {
    /// Every policy, in the order of this list.
    pub const ALL: [Self; 5] =
        [Self::Fifo, Self::Edf, Self::RoundRobin, Self::Lottery, Self::Stride];

    /// The policy a manifest names: `"fifo"`, `"edf"`, `"round-robin"`,
    /// `"lottery"` or `"stride"`.
    pub fn from_name(name: &str) -> Result<Self, SchedError> {
        Self::ALL.into_iter().find(|kind| kind.name() == name).ok_or(SchedError::UnknownPolicy)
    }

    /// Its name in manifests.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Fifo => "fifo",
            Self::Edf => "edf",
            Self::RoundRobin => "round-robin",
            Self::Lottery => "lottery",
            Self::Stride => "stride",
        }
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The settings of the policies that have any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyConfig {
    /// The quantum of round-robin (unless a thread has its own), lottery
    /// and stride.
    pub quantum_ns: u64,
    /// The lottery's seed.
    pub seed: u64,
}

impl PolicyConfig {
    /// A quantum of [`DEFAULT_QUANTUM_NS`] and seed 1.
    pub const DEFAULT: Self = Self { quantum_ns: DEFAULT_QUANTUM_NS, seed: 1 };
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// One of the policies, chosen at run time: what a domain holds when its
/// manifest names the policy (no heap, so no trait objects).
#[derive(Clone, Debug)]
pub enum AnyPolicy {
    /// First in, first out.
    Fifo(Fifo),
    /// Earliest deadline first.
    Edf(Edf),
    /// Round-robin.
    RoundRobin(RoundRobin),
    /// Lottery.
    Lottery(Lottery),
    /// Stride.
    Stride(Stride),
}

impl AnyPolicy {
    /// The policy `kind` with `config`.
    pub const fn new(kind: PolicyKind, config: PolicyConfig) -> Self {
        match kind {
            PolicyKind::Fifo => Self::Fifo(Fifo::new()),
            PolicyKind::Edf => Self::Edf(Edf::new()),
            PolicyKind::RoundRobin => Self::RoundRobin(RoundRobin::new(config.quantum_ns)),
            PolicyKind::Lottery => Self::Lottery(Lottery::new(config.quantum_ns, config.seed)),
            PolicyKind::Stride => Self::Stride(Stride::new(config.quantum_ns)),
        }
    }

    /// Which policy it is.
    pub const fn kind(&self) -> PolicyKind {
        match self {
            Self::Fifo(_) => PolicyKind::Fifo,
            Self::Edf(_) => PolicyKind::Edf,
            Self::RoundRobin(_) => PolicyKind::RoundRobin,
            Self::Lottery(_) => PolicyKind::Lottery,
            Self::Stride(_) => PolicyKind::Stride,
        }
    }
}

/// Calls `$method` on whichever policy `$self` holds.
macro_rules! dispatch {
    ($self:expr, $policy:ident => $call:expr) => {
        match $self {
            AnyPolicy::Fifo($policy) => $call,
            AnyPolicy::Edf($policy) => $call,
            AnyPolicy::RoundRobin($policy) => $call,
            AnyPolicy::Lottery($policy) => $call,
            AnyPolicy::Stride($policy) => $call,
        }
    };
}

impl Policy for AnyPolicy {
    fn name(&self) -> &'static str {
        dispatch!(self, p => p.name())
    }

    fn admit(&mut self, id: ThreadId, params: &ThreadParams) -> Result<(), SchedError> {
        dispatch!(self, p => p.admit(id, params))
    }

    fn remove(&mut self, id: ThreadId) {
        dispatch!(self, p => p.remove(id))
    }

    fn enqueue(&mut self, id: ThreadId, entry: Enqueue) -> Result<(), SchedError> {
        dispatch!(self, p => p.enqueue(id, entry))
    }

    fn dequeue(&mut self, id: ThreadId) {
        dispatch!(self, p => p.dequeue(id))
    }

    fn pick(&mut self) -> Option<ThreadId> {
        dispatch!(self, p => p.pick())
    }

    fn quantum_ns(&self, id: ThreadId) -> Option<u64> {
        dispatch!(self, p => p.quantum_ns(id))
    }

    fn charge(&mut self, id: ThreadId, run: &Run) {
        dispatch!(self, p => p.charge(id, run))
    }

    fn deadline_changed(&mut self, id: ThreadId, deadline: Option<u64>) -> Result<(), SchedError> {
        dispatch!(self, p => p.deadline_changed(id, deadline))
    }

    fn tickets_changed(&mut self, id: ThreadId, tickets: u32) {
        dispatch!(self, p => p.tickets_changed(id, tickets))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in PolicyKind::ALL {
            assert_eq!(PolicyKind::from_name(kind.name()), Ok(kind));
            let policy = AnyPolicy::new(kind, PolicyConfig::DEFAULT);
            assert_eq!(policy.kind(), kind);
            assert_eq!(policy.name(), kind.name());
            assert_eq!(kind.to_string(), kind.name());
        }
        assert_eq!(PolicyKind::from_name("EDF"), Err(SchedError::UnknownPolicy));
        assert_eq!(PolicyKind::from_name(""), Err(SchedError::UnknownPolicy));
    }
}
