//! The supervisor's restart policy, pure: when a supervised domain fails,
//! whether to restart it and when. The kernel only reports stops and
//! restarts on request (`domain_restart`); this is the policy the
//! `supervisor` program applies, with the numbers its manifest entry gives
//! (`restart-limit`, `restart-window`, `restart-backoff`, passed to its
//! DCB as `vesper_abi::dcb::Supervision`). The rules:
//!
//! - **Only failures count.** A domain that faulted, or exited with a code
//!   other than 0, has failed ([`failed`]); one that exited with 0 or was
//!   stopped by a domain holding its capability ended on purpose and is
//!   left as it is.
//! - **A limit over a sliding window.** Each failure is noted at the time
//!   the supervisor sees it. If more than `limit` failures lie within the
//!   last `window_ns` (this one included), the supervisor gives up: the
//!   domain stays stopped, and its clients keep getting `PeerStopped`. So
//!   a domain is restarted at most `limit` times in any window.
//! - **Exponential back-off.** Otherwise the domain is restarted
//!   `backoff_ns * 2^(n - 1)` after the failure, `n` the failures in the
//!   window: a domain that fails at once in every life waits longer each
//!   time, and its neighbours keep their reservations meanwhile (they do
//!   anyway: Atropos guarantees them).

use heapless::Deque;
use vesper_abi::dcb::{DOMAIN_EXITED, DOMAIN_FAULTED};

/// The most failures a history holds: the largest `restart-limit` the
/// manifest accepts is one less.
pub const MAX_LIMIT: u64 = 31;

/// The restart policy, from the supervisor's DCB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Restarts allowed within the window (at most [`MAX_LIMIT`]; more
    /// counts as that).
    pub limit: u64,
    /// The window, in nanoseconds.
    pub window_ns: u64,
    /// The wait before the first restart in a window, in nanoseconds.
    pub backoff_ns: u64,
}

/// What to do about a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Restart the domain at this time (ns since boot); `failures` is how
    /// many lie within the window, this one included.
    RestartAt {
        /// When.
        at_ns: u64,
        /// Failures within the window.
        failures: u64,
    },
    /// Leave it stopped: `failures` within the window is over the limit.
    GiveUp {
        /// Failures within the window.
        failures: u64,
    },
}

/// The failures of one supervised domain within the window.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// When each failure was seen, oldest first.
    failures: Deque<u64, { MAX_LIMIT as usize + 1 }>,
}

impl History {
    /// No failures yet.
    pub const fn new() -> Self {
        Self { failures: Deque::new() }
    }

    /// Notes a failure seen at `now` and says what to do about it.
    pub fn failed(&mut self, policy: &Policy, now: u64) -> Verdict {
        while self.failures.front().is_some_and(|&t| now.saturating_sub(t) >= policy.window_ns) {
            self.failures.pop_front();
        }
        if self.failures.is_full() {
            self.failures.pop_front();
        }
        // Not full after the line above.
        let _ = self.failures.push_back(now);
        let failures = self.failures.len() as u64;
        if failures > policy.limit.min(MAX_LIMIT) {
            return Verdict::GiveUp { failures };
        }
        let doubling = u32::try_from(failures - 1).unwrap_or(u32::MAX).min(63);
        let wait = policy.backoff_ns.saturating_mul(1 << doubling);
        Verdict::RestartAt { at_ns: now.saturating_add(wait), failures }
    }
}

/// Whether a domain in `state` (a `DomainInfo::state`) with `exit_code`
/// has failed, as the policy counts failures.
pub fn failed(state: u64, exit_code: u64) -> bool {
    state == DOMAIN_FAULTED || state == DOMAIN_EXITED && exit_code != 0
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn restarts_back_off_and_give_up_past_the_limit() {
        let policy = Policy { limit: 3, window_ns: 1000 * MS, backoff_ns: MS };
        let mut history = History::new();
        assert_eq!(history.failed(&policy, 0), Verdict::RestartAt { at_ns: MS, failures: 1 });
        assert_eq!(
            history.failed(&policy, 10 * MS),
            Verdict::RestartAt { at_ns: 12 * MS, failures: 2 }
        );
        assert_eq!(
            history.failed(&policy, 20 * MS),
            Verdict::RestartAt { at_ns: 24 * MS, failures: 3 }
        );
        assert_eq!(history.failed(&policy, 30 * MS), Verdict::GiveUp { failures: 4 });
        // Once the early failures leave the window, restarts resume.
        assert_eq!(
            history.failed(&policy, 1015 * MS),
            Verdict::RestartAt { at_ns: 1019 * MS, failures: 3 }
        );
    }

    #[test]
    fn a_limit_of_zero_never_restarts() {
        let policy = Policy { limit: 0, window_ns: MS, backoff_ns: MS };
        assert_eq!(History::new().failed(&policy, 5), Verdict::GiveUp { failures: 1 });
    }

    #[test]
    fn only_faults_and_failed_exits_are_failures() {
        assert!(failed(DOMAIN_FAULTED, 0));
        assert!(failed(DOMAIN_EXITED, 3));
        assert!(!failed(DOMAIN_EXITED, 0));
        assert!(!failed(vesper_abi::dcb::DOMAIN_STOPPED, 0));
        assert!(!failed(vesper_abi::dcb::DOMAIN_RUNNING, 0));
    }

    proptest! {
        /// However failures come, no window of the policy's length holds
        /// more than `limit` restarts, and every restart is at least the
        /// back-off after its failure.
        #[test]
        fn no_window_holds_more_than_the_limit(
            limit in 0u64..8,
            window_ns in 1u64..=100 * MS,
            backoff_ns in 0u64..=10 * MS,
            gaps in prop::collection::vec(0u64..=50 * MS, 1..60),
        ) {
            let policy = Policy { limit, window_ns, backoff_ns };
            let mut history = History::new();
            let (mut now, mut restarts) = (0u64, std::vec::Vec::new());
            for gap in gaps {
                now += gap;
                if let Verdict::RestartAt { at_ns, .. } = history.failed(&policy, now) {
                    prop_assert!(at_ns >= now + backoff_ns);
                    restarts.push(now);
                }
            }
            for (i, &start) in restarts.iter().enumerate() {
                let within = restarts[i..].iter().take_while(|&&t| t - start < window_ns).count();
                prop_assert!(within as u64 <= limit, "{within} restarts from {start}");
            }
        }
    }
}
