//! Atropos: the reservation scheduler the nucleus uses between domains.
//!
//! This follows the Atropos scheduler of Nemesis. Every domain holds a
//! [`Reservation`] `(p, s, x, l)`: it is guaranteed at least `s` ns of CPU in
//! every period of `p` ns; if `x` (extra) is set it may also run in slack
//! time nobody has a guarantee on; `l` is a latency hint used when it
//! unblocks after a long sleep.
//!
//! Internally this is earliest-deadline-first: each domain has a deadline
//! `d`, the end of its current period, and a remaining guaranteed time `r`
//! (signed: it goes negative when the domain overran, because the kernel
//! called the scheduler late). The rules:
//!
//! * **Admission** ([`Atropos::admit`]): `p > 0`, `0 < s <= p`, and the sum of
//!   `s / p` over all admitted domains must not exceed 1. On admission at
//!   `now`, `d = now + p`, `r = s`, and the domain is runnable.
//! * **Period rollover**, for every runnable domain whenever `now >= d`:
//!   `d += p` and `r = if r < 0 { r + s } else { s }` (an overrun is carried
//!   into the next period, unused time is not), repeated until `d > now`.
//!   Blocked and stopped domains do not roll over. A rollover also clears the
//!   "yielded" mark ([`Atropos::yield_slice`]).
//! * **Charging**: the running domain is charged for the time since it was
//!   picked when the scheduler is next entered: `cpu_ns += e`, and `r -= e`,
//!   `guaranteed_ns += e` if it ran on its guarantee, `extra_ns += e` if it
//!   ran in slack.
//! * **Picking**: among runnable domains with `r > 0`, the earliest deadline
//!   (ties: lowest index) runs [`RunKind::Guaranteed`]. Otherwise the slack
//!   goes round-robin to the runnable domains with `extra` set that have not
//!   yielded in their current period ([`RunKind::Extra`], for at most
//!   [`EXTRA_QUANTUM_NS`] at a time). Otherwise the CPU idles.
//! * **Timer**: the next scheduling event is the earliest of: the end of the
//!   picked domain's remaining guarantee (`now + r`) or slack quantum
//!   (`now + EXTRA_QUANTUM_NS`); the deadline of every runnable domain (its
//!   rollover may change who should run); the wake-up time of every domain
//!   blocked with a timeout. With nothing at all it is `u64::MAX`. It is
//!   always later than `now` while `now < u64::MAX`.
//! * **Preemption is the preemptor's cost** ([`Atropos::set_switch_cost`]):
//!   when a domain running on its guarantee, still runnable with `r > 0`,
//!   loses the CPU because another domain `Y` is picked on its guarantee (a
//!   period of `Y` began, or `Y` woke, with an earlier deadline), it is
//!   marked as owed by `Y`. When it is picked again, the switch cost `c`
//!   moves from `Y` to it: `r += c` for it, `r -= c` for `Y` (which may go
//!   negative, an overrun like any other), and `Y`'s `switches_paid` counts
//!   it. So the time a preempted domain spends being switched back in and
//!   re-activated comes out of the reservation of the domain that caused it,
//!   not out of the victim's. A domain preempted by one it woke itself
//!   (the `waker` of [`Atropos::wake`], by its own event) is owed nothing. With `c = 0`
//!   (the default) nothing moves.
//! * **Unblocking** ([`Atropos::wake`]): a domain blocked for longer than its
//!   period starts afresh with `r = s` and `d = now + l` (`l = 0` means
//!   `p`): the latency hint bounds how soon it gets its slice; a shorter
//!   block just applies the rollovers it missed, keeping what was left of
//!   its guarantee.
//!
//! All times are `u64` nanoseconds since boot; all arithmetic saturates, so
//! no input (out-of-range index, time going backwards, huge values) panics.
//!
//! # Data structure
//!
//! Nemesis kept three queues ordered by deadline (waiting, runnable,
//! blocked). With at most [`MAX_DOMAINS`] (16) domains, a linear scan of a
//! fixed array is simpler, has no ordering invariants to break, and is
//! cheaper in practice than maintaining sorted queues; every operation is
//! bounded, `O(MAX_DOMAINS)` per decision. There is no allocation, and
//! [`Atropos::new`] is `const` so the scheduler can live in a `static`.
//!
//! The runnable domains and those blocked with a timeout are also kept as
//! bit sets, so that a pass visits only them. A decision's pass yields the
//! earliest future deadline or timeout, the *horizon*. Until it comes no
//! wake-up or rollover can be due, so the decisions before it skip that
//! work; every operation that brings an event forward (a wake-up, a block
//! with a timeout, an admission) lowers the horizon. And when nothing but
//! wake-ups happened since the last decision (the common case of an event
//! or interrupt waking a domain), the domains that were ready then still
//! rank as they did: the pick is the earlier of the previous pick and the
//! woken domains, with no pass at all (`pick_among_woken`). A property test
//! holds both shortcuts to the full pass at every decision.

pub use vesper_abi::layout::MAX_DOMAINS;

// The runnable and timed domains are kept as `u32` bit sets.
const _: () = assert!(MAX_DOMAINS <= 32);

/// The longest a domain runs in slack time before the scheduler is entered
/// again to pass the slack on round-robin: 1 ms.
pub const EXTRA_QUANTUM_NS: u64 = 1_000_000;

/// Utilisation 1.0, the whole CPU, in parts per billion.
pub const PPB_ONE: u64 = 1_000_000_000;

/// What a domain is promised (all times in nanoseconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reservation {
    /// Length of each period, `p`; must be non-zero.
    pub period_ns: u64,
    /// CPU time guaranteed in every period, `s`; `0 < s <= p`.
    pub slice_ns: u64,
    /// Whether the domain may also run in slack time.
    pub extra: bool,
    /// Latency hint `l`: after blocking for longer than a period the domain
    /// gets its slice within `l` of waking (0 means one period).
    pub latency_ns: u64,
}

impl Reservation {
    /// The utilisation `s / p` in parts per billion, rounded *up*, or `None`
    /// if the reservation is invalid (`p == 0`, `s == 0` or `s > p`).
    ///
    /// Rounding up makes admission conservative: a set whose exact
    /// utilisation is at most 1 may be refused by a few ppb (for instance
    /// three domains of 1/3 sum to 1.000000002), but a set whose exact
    /// utilisation exceeds 1 is never admitted, so the guarantees hold.
    pub fn utilisation_ppb(&self) -> Option<u64> {
        if self.period_ns == 0 || self.slice_ns == 0 || self.slice_ns > self.period_ns {
            return None;
        }
        let p = u128::from(self.period_ns);
        let scaled = u128::from(self.slice_ns) * u128::from(PPB_ONE);
        // `s <= p`, so the quotient is at most `PPB_ONE` and fits a `u64`.
        Some(scaled.div_ceil(p) as u64)
    }
}

/// How the picked domain runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    /// On its guarantee: charged against its remaining slice.
    Guaranteed,
    /// In slack time (its `extra` flag): not charged against its slice.
    Extra,
}

/// The scheduler's answer to [`Atropos::schedule`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The domain to run and how, or `None` to idle.
    pub run: Option<(usize, RunKind)>,
    /// Absolute time (ns since boot) at which to call
    /// [`Atropos::schedule`] again at the latest; `u64::MAX` if no event is
    /// pending at all.
    pub timer_ns: u64,
}

/// Per-domain accounting, in nanoseconds and events since admission.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accounting {
    /// All CPU time charged (`guaranteed_ns + extra_ns`).
    pub cpu_ns: u64,
    /// CPU time charged while running on the guarantee.
    pub guaranteed_ns: u64,
    /// CPU time charged while running in slack time.
    pub extra_ns: u64,
    /// Number of times the domain blocked.
    pub blocks: u64,
    /// Number of times the domain was woken.
    pub wakeups: u64,
    /// Switch costs it paid for domains it preempted.
    pub switches_paid: u64,
}

impl Accounting {
    const ZERO: Self =
        Self { cpu_ns: 0, guaranteed_ns: 0, extra_ns: 0, blocks: 0, wakeups: 0, switches_paid: 0 };
}

/// Why [`Atropos::admit`] refused a reservation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdmitError {
    /// The period is zero.
    ZeroPeriod,
    /// The slice is zero or longer than the period.
    BadSlice,
    /// Admitting it would take the total utilisation over 1.
    OverUtilised {
        /// The total utilisation it would have made, in parts per billion
        /// (each domain's share rounded up).
        utilisation_ppb: u64,
    },
    /// All [`MAX_DOMAINS`] slots are taken.
    Full,
}

/// Where a domain stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// May be picked; rolls over its periods.
    Runnable,
    /// Waiting for [`Atropos::wake`] or, with `until`, for that time.
    Blocked { since: u64, until: Option<u64> },
    /// Never runs again (its reservation stays counted).
    Stopped,
}

/// One admitted domain.
#[derive(Clone, Copy, Debug)]
struct Slot {
    res: Reservation,
    /// `res.utilisation_ppb()`, counted in admission.
    ppb: u64,
    /// End of the current period, `d`.
    deadline: u64,
    /// Guaranteed time left in this period, `r` (negative: overrun).
    remain: i64,
    state: State,
    /// Yielded in this period: no slack until the next rollover.
    yielded: bool,
    /// The domain whose pick preempted this one while it had guaranteed
    /// time left: it pays this domain's switch back in.
    owed_by: Option<usize>,
    /// The domain whose event woke this one, until it is next picked: a
    /// domain is not owed for a preemption it caused itself.
    woken_by: Option<usize>,
    acct: Accounting,
}

impl Slot {
    const EMPTY: Self = Self {
        res: Reservation { period_ns: 0, slice_ns: 0, extra: false, latency_ns: 0 },
        ppb: 0,
        deadline: 0,
        remain: 0,
        state: State::Stopped,
        yielded: false,
        owed_by: None,
        woken_by: None,
        acct: Accounting::ZERO,
    };

    /// The slice as a signed amount (saturated; always > 0 once admitted).
    fn slice(&self) -> i64 {
        i64::try_from(self.res.slice_ns).unwrap_or(i64::MAX)
    }

    /// Applies every period rollover up to `now` (until `d > now`), in
    /// constant time however many periods were missed.
    fn roll_over(&mut self, now: u64) {
        if now < self.deadline || self.res.period_ns == 0 {
            return;
        }
        let p = self.res.period_ns;
        // One period ended, the common case, takes no division.
        let k = if now - self.deadline < p { 1 } else { (now - self.deadline) / p + 1 };
        self.deadline = self.deadline.saturating_add(k.saturating_mul(p));
        self.remain = remain_after(self.remain, self.slice(), k);
        self.yielded = false;
    }

    /// The unblocking rule; the caller checked that the domain is blocked.
    fn wake(&mut self, since: u64, now: u64) {
        if now.saturating_sub(since) > self.res.period_ns {
            let l = if self.res.latency_ns == 0 { self.res.period_ns } else { self.res.latency_ns };
            self.remain = self.slice();
            self.deadline = now.saturating_add(l);
            self.yielded = false;
        } else {
            self.roll_over(now);
        }
        self.state = State::Runnable;
        self.acct.wakeups = self.acct.wakeups.saturating_add(1);
    }
}

/// `r` after `k` rollovers of `r = if r < 0 { r + s } else { s }` (`s > 0`),
/// computed in constant time.
fn remain_after(r: i64, s: i64, k: u64) -> i64 {
    if k == 0 {
        return r;
    }
    if r >= 0 || s <= 0 {
        return s.max(0);
    }
    if k == 1 {
        return r.saturating_add(s);
    }
    // Periods it takes to pay the overrun off: after `m` of them r >= 0, and
    // the one after that resets it to `s`.
    let m = r.unsigned_abs().div_ceil(s.unsigned_abs());
    if k <= m {
        // In `[r, s)`, so it fits an `i64`.
        (i128::from(r) + i128::from(k) * i128::from(s)) as i64
    } else {
        s
    }
}

/// The domain running now and since when.
#[derive(Clone, Copy, Debug)]
struct Running {
    idx: usize,
    kind: RunKind,
    since: u64,
}

/// The Atropos scheduler: a fixed table of up to [`MAX_DOMAINS`] domains,
/// indexed by the number [`Atropos::admit`] returned.
#[derive(Debug)]
pub struct Atropos {
    slots: [Slot; MAX_DOMAINS],
    /// Slots `0..len` are admitted domains.
    len: usize,
    /// The runnable domains, as a bit set (bit `idx`).
    runnable: u32,
    /// The domains blocked with a timeout, as a bit set.
    timed: u32,
    /// The domains woken since the last decision, as a bit set.
    woken: u32,
    /// Whether nothing but wake-ups of domains blocked without a timeout
    /// happened since the last decision (see [`Atropos::pick_among_woken`]).
    settled: bool,
    running: Option<Running>,
    /// Where the round-robin search for a slack domain starts (one past the
    /// last domain given slack).
    slack_next: usize,
    /// Sum of the admitted domains' `ppb`.
    utilisation_ppb: u64,
    /// What a preemption costs its victim, charged to the preemptor
    /// (saturated to `i64`, the type of the guarantees it moves between).
    switch_cost_ns: i64,
    /// No runnable domain's deadline and no blocked domain's timeout is
    /// earlier than this: until then [`Atropos::schedule`] has no wake-up or
    /// rollover to apply and skips that pass. Exact after each decision,
    /// lowered by every operation that brings an event forward.
    horizon: u64,
}

impl Default for Atropos {
    fn default() -> Self {
        Self::new()
    }
}

impl Atropos {
    /// An empty scheduler (usable in a `static`).
    pub const fn new() -> Self {
        Self {
            slots: [Slot::EMPTY; MAX_DOMAINS],
            len: 0,
            runnable: 0,
            timed: 0,
            woken: 0,
            settled: false,
            running: None,
            slack_next: 0,
            utilisation_ppb: 0,
            switch_cost_ns: 0,
            horizon: 0,
        }
    }

    /// Sets the cost `c` of switching a preempted domain back in (see the
    /// preemption rule in the module documentation).
    pub fn set_switch_cost(&mut self, cost_ns: u64) {
        self.switch_cost_ns = i64::try_from(cost_ns).unwrap_or(i64::MAX);
    }

    /// Admits a domain with reservation `res` at time `now` and returns its
    /// index: its first period is `now..now + p`, with its full slice.
    ///
    /// Refused if the reservation is invalid, the table is full, or the total
    /// utilisation (each share rounded up to a whole ppb, see
    /// [`Reservation::utilisation_ppb`]) would exceed [`PPB_ONE`].
    pub fn admit(&mut self, res: Reservation, now: u64) -> Result<usize, AdmitError> {
        if res.period_ns == 0 {
            return Err(AdmitError::ZeroPeriod);
        }
        let ppb = res.utilisation_ppb().ok_or(AdmitError::BadSlice)?;
        if self.len >= MAX_DOMAINS {
            return Err(AdmitError::Full);
        }
        let total = self.utilisation_ppb.saturating_add(ppb);
        if total > PPB_ONE {
            return Err(AdmitError::OverUtilised { utilisation_ppb: total });
        }
        let idx = self.len;
        self.slots[idx] = Slot { res, ppb, ..Slot::EMPTY };
        self.len += 1;
        self.utilisation_ppb = total;
        // A stopped slot holding the reservation: restarting it gives it
        // its first period, as admission does.
        self.restart(idx, now);
        Ok(idx)
    }

    /// Takes the next index for a domain that will never run (it failed its
    /// boot check), so that indexes stay the manifest's numbering: the slot
    /// is stopped and holds no share. `None` if the table is full.
    pub fn skip(&mut self) -> Option<usize> {
        if self.len >= MAX_DOMAINS {
            return None;
        }
        self.slots[self.len] = Slot::EMPTY;
        self.len += 1;
        self.settled = false;
        Some(self.len - 1)
    }

    /// Starts a fresh period for every runnable domain at `now`, with its
    /// full slice. The dispatcher calls this once, when it starts running
    /// domains, so that the time spent loading them is nobody's period.
    pub fn start_periods(&mut self, now: u64) {
        for slot in self.slots[..self.len].iter_mut().filter(|s| s.state == State::Runnable) {
            slot.deadline = now.saturating_add(slot.res.period_ns);
            slot.remain = slot.slice();
        }
        self.horizon = 0;
        self.settled = false;
    }

    /// Makes the scheduling decision at `now`: charges the running domain,
    /// wakes the blocked domains whose timeout has come, applies period
    /// rollovers, picks who runs (recorded as running since `now`) and
    /// computes when to decide again.
    pub fn schedule(&mut self, now: u64) -> Decision {
        let previous = self.running;
        self.charge(now);
        let (earliest, next_event, slack) = match self.pick_among_woken(previous, now) {
            Some(idx) => (Some(idx), self.horizon, 0),
            None => self.scan(now, now >= self.horizon),
        };
        self.horizon = next_event;
        self.woken = 0;
        self.settled = true;
        let run = match earliest {
            Some(idx) => {
                self.settle_switch(previous, idx);
                Some((idx, RunKind::Guaranteed))
            }
            None => self.pick_slack(slack),
        };
        let timer_ns = match run {
            // Picked with `remain > 0`.
            Some((idx, RunKind::Guaranteed)) => {
                now.saturating_add(self.remain(idx).max(1).unsigned_abs()).min(next_event)
            }
            Some((_, RunKind::Extra)) => now.saturating_add(EXTRA_QUANTUM_NS).min(next_event),
            None => next_event,
        };
        if let Some((idx, kind)) = run {
            self.running = Some(Running { idx, kind, since: now });
            if kind == RunKind::Extra {
                self.slack_next = idx + 1;
            }
        }
        Decision { run, timer_ns }
    }

    /// The decision without a pass, when only wake-ups happened since the
    /// last one and no deadline or timeout has come: the domains that were
    /// ready then still rank as they did, so the pick is the earliest of
    /// the previous pick (if it ran on its guarantee and has time left) and
    /// the domains woken since. `None` when that does not settle it (the
    /// previous pick used up its time, or nobody has guaranteed time left
    /// and slack is to be passed on): then [`Atropos::scan`] decides.
    fn pick_among_woken(&self, previous: Option<Running>, now: u64) -> Option<usize> {
        if !self.settled || now >= self.horizon {
            return None;
        }
        let mut best = match previous {
            Some(Running { idx, kind: RunKind::Guaranteed, .. }) => {
                let slot = &self.slots[idx];
                if slot.remain <= 0 {
                    return None;
                }
                Some((slot.deadline, idx))
            }
            // Ran on slack, or idled: nobody had guaranteed time left.
            _ => None,
        };
        let mut woken = self.woken;
        while woken != 0 {
            let idx = woken.trailing_zeros() as usize;
            woken &= woken - 1;
            let slot = &self.slots[idx];
            if slot.remain > 0 && best.is_none_or(|b| (slot.deadline, idx) < b) {
                best = Some((slot.deadline, idx));
            }
        }
        best.map(|(_, idx)| idx)
    }

    /// One pass over the runnable domains and those blocked with a
    /// timeout: if `due` (the horizon has come), wakes those whose timeout
    /// has come and rolls periods over first. Returns the runnable domain
    /// with time left and the earliest deadline (ties: lowest index), the
    /// earliest future event (a runnable domain's deadline or a blocked
    /// one's timeout; `u64::MAX` if none), and the domains that may take
    /// slack (as a bit set).
    fn scan(&mut self, now: u64, due: bool) -> (Option<usize>, u64, u32) {
        let mut next_event = u64::MAX;
        let mut timed = self.timed;
        while timed != 0 {
            let idx = timed.trailing_zeros() as usize;
            timed &= timed - 1;
            let State::Blocked { since, until: Some(until) } = self.slots[idx].state else {
                continue;
            };
            if due && until <= now {
                self.slots[idx].wake(since, now);
                self.sync_state_bits(idx);
            } else {
                next_event = next_event.min(until);
            }
        }
        let mut earliest: Option<(usize, u64)> = None;
        let mut slack = 0;
        let mut runnable = self.runnable;
        while runnable != 0 {
            let idx = runnable.trailing_zeros() as usize;
            runnable &= runnable - 1;
            let slot = &mut self.slots[idx];
            if due {
                slot.roll_over(now);
            }
            if slot.remain > 0 && earliest.is_none_or(|(_, d)| slot.deadline < d) {
                earliest = Some((idx, slot.deadline));
            }
            next_event = next_event.min(slot.deadline);
            if slot.res.extra && !slot.yielded {
                slack |= 1 << idx;
            }
        }
        (earliest.map(|(idx, _)| idx), next_event, slack)
    }

    /// Brings the bit sets of runnable and timed-out-able domains in line
    /// with domain `idx`'s state, after it changed.
    fn sync_state_bits(&mut self, idx: usize) {
        let bit = 1 << idx;
        let state = self.slots[idx].state;
        self.runnable &= !bit;
        self.timed &= !bit;
        match state {
            State::Runnable => self.runnable |= bit,
            State::Blocked { until: Some(_), .. } => self.timed |= bit,
            _ => {}
        }
    }

    /// Keeps [`Atropos::horizon`] a lower bound of every deadline and
    /// timeout after one of them moved to `time`.
    fn lower_horizon(&mut self, time: u64) {
        self.horizon = self.horizon.min(time);
    }

    /// Blocks domain `idx` at `now`, until [`Atropos::wake`] or, with
    /// `until`, until that time at the latest. If it was running it is
    /// charged and nothing is running any more. Ignored unless the domain is
    /// runnable.
    pub fn block(&mut self, idx: usize, until: Option<u64>, now: u64) {
        let Some(slot) = self.charge_runnable(idx, now) else { return };
        slot.state = State::Blocked { since: now, until };
        slot.acct.blocks = slot.acct.blocks.saturating_add(1);
        self.sync_state_bits(idx);
        self.settled = false;
        if let Some(until) = until {
            self.lower_horizon(until);
        }
    }

    /// Wakes domain `idx` at `now` if it is blocked (see the unblocking rule
    /// in the module documentation); otherwise does nothing. The caller
    /// should call [`Atropos::schedule`] soon: the woken domain may have the
    /// earliest deadline. Returns whether it was blocked.
    /// `waker` is the domain whose event caused the wake-up, if any: if
    /// `idx` then preempts it, it is not owed a switch.
    // Always inlined, as `is_blocked` is: the dispatcher wakes a domain
    // on every event and interrupt path, and a call's prologue and
    // epilogue were a good part of this short function.
    #[inline(always)]
    pub fn wake(&mut self, idx: usize, now: u64, waker: Option<usize>) -> bool {
        let Some(slot) = self.slot_mut(idx) else { return false };
        let State::Blocked { since, until } = slot.state else { return false };
        slot.wake(since, now);
        slot.woken_by = waker;
        let deadline = slot.deadline;
        self.sync_state_bits(idx);
        self.lower_horizon(deadline);
        self.woken |= 1 << idx;
        // A timeout leaving the horizon may make it inexact.
        if until.is_some() {
            self.settled = false;
        }
        true
    }

    /// Gives domain `idx` the reservation `res` (its latency hint and
    /// `extra` included), under the same admission control as
    /// [`Atropos::admit`] with its old share given back. The current period
    /// keeps its deadline and what is left of its slice; the next period is
    /// the new one.
    pub fn set_reservation(&mut self, idx: usize, res: Reservation) -> Result<(), AdmitError> {
        if res.period_ns == 0 {
            return Err(AdmitError::ZeroPeriod);
        }
        let ppb = res.utilisation_ppb().ok_or(AdmitError::BadSlice)?;
        let total = self.utilisation_ppb;
        let slot = self.slots[..self.len].get_mut(idx).ok_or(AdmitError::Full)?;
        let total = total - slot.ppb + ppb;
        if total > PPB_ONE {
            return Err(AdmitError::OverUtilised { utilisation_ppb: total });
        }
        slot.res = res;
        slot.ppb = ppb;
        self.utilisation_ppb = total;
        self.settled = false;
        Ok(())
    }

    /// Domain `idx` gives up the rest of its guarantee for the current
    /// period (`r = min(r, 0)`: an overrun is still carried) and takes no
    /// slack until its next period. If it was running it is charged and
    /// nothing is running any more. Rollovers due by `now` are applied first,
    /// so it is the current period that is given up. Ignored unless the
    /// domain is runnable.
    pub fn yield_slice(&mut self, idx: usize, now: u64) {
        let Some(slot) = self.charge_runnable(idx, now) else { return };
        slot.roll_over(now);
        slot.remain = slot.remain.min(0);
        slot.yielded = true;
        self.settled = false;
    }

    /// Stops domain `idx` for good at `now`: it is charged if it was running
    /// (nothing is running then) and is never picked again. Its reservation
    /// stays counted in admission.
    pub fn stop(&mut self, idx: usize, now: u64) {
        self.charge_if_running(idx, now);
        let Some(slot) = self.slot_mut(idx) else { return };
        slot.state = State::Stopped;
        self.sync_state_bits(idx);
        self.settled = false;
    }

    /// Starts stopped domain `idx` again at `now`, as if just admitted
    /// with the reservation it had: a fresh period `now..now + p` with its
    /// full slice, runnable, owed nothing. Its accounting goes on. Returns
    /// whether it was restarted: a domain that is not stopped, or never
    /// held a reservation ([`Atropos::skip`]), is left as it is.
    pub fn restart(&mut self, idx: usize, now: u64) -> bool {
        let Some(slot) = self.slot_mut(idx) else { return false };
        if slot.state != State::Stopped || slot.res.period_ns == 0 {
            return false;
        }
        slot.deadline = now.saturating_add(slot.res.period_ns);
        slot.remain = slot.slice();
        slot.state = State::Runnable;
        slot.yielded = false;
        slot.owed_by = None;
        slot.woken_by = None;
        let deadline = slot.deadline;
        // Nobody owes a switch to a life that has ended.
        for other in &mut self.slots[..self.len] {
            other.owed_by = other.owed_by.filter(|&payer| payer != idx);
        }
        self.sync_state_bits(idx);
        self.settled = false;
        self.lower_horizon(deadline);
        true
    }

    /// Accounting of domain `idx` (all zero for an unknown index).
    pub fn accounting(&self, idx: usize) -> Accounting {
        self.slot(idx).map_or(Accounting::ZERO, |s| s.acct)
    }

    /// The reservation of domain `idx`, if it exists.
    #[inline]
    pub fn reservation(&self, idx: usize) -> Option<Reservation> {
        self.slot(idx).map(|s| s.res)
    }

    /// The current deadline (end of the current period) of domain `idx`, if
    /// it exists.
    #[inline]
    pub fn deadline(&self, idx: usize) -> Option<u64> {
        self.slot(idx).map(|s| s.deadline)
    }

    /// Guaranteed time left to domain `idx` in its current period (negative
    /// after an overrun; 0 for an unknown index).
    pub fn remain(&self, idx: usize) -> i64 {
        self.slot(idx).map_or(0, |s| s.remain)
    }

    /// Whether domain `idx` is blocked (false for an unknown index).
    // Always inlined: see `wake`.
    #[inline(always)]
    pub fn is_blocked(&self, idx: usize) -> bool {
        self.slot(idx).is_some_and(|s| matches!(s.state, State::Blocked { .. }))
    }

    /// Total admitted utilisation in parts per billion (each share rounded
    /// up); at most [`PPB_ONE`].
    pub fn utilisation_ppb(&self) -> u64 {
        self.utilisation_ppb
    }

    fn slot(&self, idx: usize) -> Option<&Slot> {
        self.slots[..self.len].get(idx)
    }

    fn slot_mut(&mut self, idx: usize) -> Option<&mut Slot> {
        self.slots[..self.len].get_mut(idx)
    }

    /// Charges the running domain up to `now`; nothing is running after.
    fn charge(&mut self, now: u64) {
        let Some(run) = self.running.take() else { return };
        // A pick is always an admitted domain.
        let slot = &mut self.slots[run.idx];
        let e = now.saturating_sub(run.since);
        let acct = &mut slot.acct;
        acct.cpu_ns = acct.cpu_ns.saturating_add(e);
        match run.kind {
            RunKind::Guaranteed => {
                slot.remain = slot.remain.saturating_sub_unsigned(e);
                acct.guaranteed_ns = acct.guaranteed_ns.saturating_add(e);
            }
            RunKind::Extra => acct.extra_ns = acct.extra_ns.saturating_add(e),
        }
    }

    /// Applies the preemption rule to a pick of `picked` on its guarantee,
    /// `previous` having run until now: marks `previous` as owed if `picked`
    /// preempted it, and moves the switch cost if `picked` was owed.
    fn settle_switch(&mut self, previous: Option<Running>, picked: usize) {
        let slot = &mut self.slots[picked];
        let woken_by = slot.woken_by.take();
        let payer = slot.owed_by.take();
        let cost = self.switch_cost_ns;
        if cost == 0 {
            return;
        }
        if let Some(payer) = payer {
            slot.remain = slot.remain.saturating_add(cost);
            if let Some(payer) = self.slot_mut(payer) {
                payer.remain = payer.remain.saturating_sub(cost);
                payer.acct.switches_paid = payer.acct.switches_paid.saturating_add(1);
            }
        }
        let Some(prev) = previous else { return };
        if prev.kind != RunKind::Guaranteed || prev.idx == picked || woken_by == Some(prev.idx) {
            return;
        }
        if let Some(victim) = self.slot_mut(prev.idx) {
            if victim.state == State::Runnable && victim.remain > 0 {
                victim.owed_by = Some(picked);
            }
        }
    }

    fn charge_if_running(&mut self, idx: usize, now: u64) {
        if self.running.is_some_and(|r| r.idx == idx) {
            self.charge(now);
        }
    }

    /// Domain `idx` if it is runnable, charged up to `now` if it was
    /// running (nothing is running then).
    fn charge_runnable(&mut self, idx: usize, now: u64) -> Option<&mut Slot> {
        if !self.slot(idx).is_some_and(|s| s.state == State::Runnable) {
            return None;
        }
        self.charge_if_running(idx, now);
        self.slot_mut(idx)
    }

    /// The next domain to get slack time, round-robin among `slack` (the
    /// runnable domains with `extra` that have not yielded in this period,
    /// as a bit set): the first at or after `slack_next`, wrapping round.
    fn pick_slack(&self, slack: u32) -> Option<(usize, RunKind)> {
        let before_next = 1u32.checked_shl(self.slack_next as u32).map_or(u32::MAX, |bit| bit - 1);
        let from_next = slack & !before_next;
        let pick = if from_next != 0 { from_next } else { slack };
        (pick != 0).then(|| (pick.trailing_zeros() as usize, RunKind::Extra))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Views of the state that only the tests need.
    impl Atropos {
        /// Whether domain `idx` is stopped (false for an unknown index).
        pub fn is_stopped(&self, idx: usize) -> bool {
            self.slot(idx).is_some_and(|s| s.state == State::Stopped)
        }

        /// Number of admitted domains (stopped ones included).
        pub fn len(&self) -> usize {
            self.len
        }

        /// Whether no domain has been admitted.
        pub fn is_empty(&self) -> bool {
            self.len == 0
        }

        /// The domain running since the last [`Atropos::schedule`], and how;
        /// `None` when idle or after it blocked, yielded or stopped.
        pub fn running(&self) -> Option<(usize, RunKind)> {
            self.running.map(|r| (r.idx, r.kind))
        }
    }

    const MS: u64 = 1_000_000;
    const US: u64 = 1_000;

    fn res(period_ns: u64, slice_ns: u64, extra: bool) -> Reservation {
        Reservation { period_ns, slice_ns, extra, latency_ns: 0 }
    }

    fn guaranteed(idx: usize) -> Option<(usize, RunKind)> {
        Some((idx, RunKind::Guaranteed))
    }

    fn extra(idx: usize) -> Option<(usize, RunKind)> {
        Some((idx, RunKind::Extra))
    }

    /// Drives `schedule` event by event from `start` to `end` with every
    /// domain spinning (never blocking or yielding): `now` jumps to each
    /// decision's timer. `step(from, to, run)` sees every interval. A last
    /// `schedule(end)` charges the final interval.
    fn simulate(
        a: &mut Atropos,
        start: u64,
        end: u64,
        mut step: impl FnMut(u64, u64, Option<(usize, RunKind)>),
    ) {
        let mut now = start;
        while now < end {
            let d = a.schedule(now);
            assert!(d.timer_ns > now, "timer {} not after now {now} ({d:?})", d.timer_ns);
            let next = d.timer_ns.min(end);
            step(now, next, d.run);
            now = next;
        }
        a.schedule(end);
    }

    // ----- admission -----

    #[test]
    fn admit_rejects_invalid_reservations() {
        let mut a = Atropos::new();
        assert_eq!(a.admit(res(0, 0, false), 0), Err(AdmitError::ZeroPeriod));
        assert_eq!(a.admit(res(10, 0, false), 0), Err(AdmitError::BadSlice));
        assert_eq!(a.admit(res(10, 11, false), 0), Err(AdmitError::BadSlice));
        assert!(a.is_empty());
        assert_eq!(a.utilisation_ppb(), 0);
    }

    #[test]
    fn reservations_change_under_admission_control_from_the_next_period() {
        let mut a = Atropos::new();
        a.admit(res(10 * MS, 3 * MS, false), 0).unwrap();
        a.admit(res(10 * MS, 5 * MS, false), 0).unwrap();
        assert_eq!(
            a.set_reservation(0, res(10 * MS, 6 * MS, false)),
            Err(AdmitError::OverUtilised { utilisation_ppb: 1_100_000_000 })
        );
        assert_eq!(a.set_reservation(0, res(0, 0, false)), Err(AdmitError::ZeroPeriod));
        assert_eq!(a.set_reservation(0, res(10 * MS, 11 * MS, false)), Err(AdmitError::BadSlice));
        assert_eq!(a.set_reservation(7, res(10 * MS, MS, false)), Err(AdmitError::Full));
        assert_eq!(a.utilisation_ppb(), 800_000_000, "nothing changed");
        a.set_reservation(0, res(20 * MS, 10 * MS, false)).unwrap();
        assert_eq!(a.utilisation_ppb(), 1_000_000_000);
        assert_eq!(a.deadline(0), Some(10 * MS), "the current period stays");
        assert_eq!(a.remain(0), (3 * MS) as i64);
        a.schedule(10 * MS);
        assert_eq!(a.deadline(0), Some(30 * MS), "the next period is the new one");
        assert_eq!(a.remain(0), (10 * MS) as i64);
    }

    #[test]
    fn admit_starts_the_first_period() {
        let mut a = Atropos::new();
        assert_eq!(a.admit(res(10 * MS, 3 * MS, true), 5 * MS), Ok(0));
        assert_eq!(a.admit(res(20 * MS, 2 * MS, false), 7 * MS), Ok(1));
        assert_eq!(a.len(), 2);
        assert_eq!(a.deadline(0), Some(15 * MS));
        assert_eq!(a.remain(0), (3 * MS) as i64);
        assert_eq!(a.deadline(1), Some(27 * MS));
        assert_eq!(a.reservation(1), Some(res(20 * MS, 2 * MS, false)));
        assert!(!a.is_blocked(0) && !a.is_stopped(0));
        assert_eq!(a.utilisation_ppb(), 300_000_000 + 100_000_000);
        assert_eq!(a.accounting(0), Accounting::default());
    }

    #[test]
    fn utilisation_of_exactly_one_is_admitted() {
        let mut a = Atropos::new();
        assert!(a.admit(res(10 * MS, 5 * MS, false), 0).is_ok());
        assert!(a.admit(res(4 * MS, MS, false), 0).is_ok());
        assert!(a.admit(res(8 * MS, 2 * MS, false), 0).is_ok());
        assert_eq!(a.utilisation_ppb(), PPB_ONE);
        // Even the smallest share more is refused.
        assert_eq!(
            a.admit(res(PPB_ONE, 1, false), 0),
            Err(AdmitError::OverUtilised { utilisation_ppb: PPB_ONE + 1 })
        );
        // A full-CPU domain on its own is fine too.
        let mut b = Atropos::new();
        assert!(b.admit(res(7, 7, false), 0).is_ok());
        assert_eq!(b.utilisation_ppb(), PPB_ONE);
    }

    #[test]
    fn utilisation_just_over_one_is_refused() {
        // In a period of 1 s, 1 ns is 1 ppb.
        let sec = PPB_ONE;
        let mut a = Atropos::new();
        a.admit(res(sec, sec - 2, false), 0).unwrap();
        assert_eq!(a.utilisation_ppb(), PPB_ONE - 2);
        assert_eq!(
            a.admit(res(sec, 3, false), 0),
            Err(AdmitError::OverUtilised { utilisation_ppb: PPB_ONE + 1 })
        );
        assert_eq!(a.utilisation_ppb(), PPB_ONE - 2);
        assert!(a.admit(res(sec, 2, false), 0).is_ok());
        assert_eq!(a.len(), 2);
        assert_eq!(a.utilisation_ppb(), PPB_ONE);
    }

    #[test]
    fn admission_rounds_shares_up() {
        // 1/3 is 333_333_334 ppb: three thirds are refused (conservative).
        let mut a = Atropos::new();
        a.admit(res(3, 1, false), 0).unwrap();
        a.admit(res(3, 1, false), 0).unwrap();
        assert_eq!(
            a.admit(res(3, 1, false), 0),
            Err(AdmitError::OverUtilised { utilisation_ppb: 1_000_000_002 })
        );
    }

    #[test]
    fn admission_stops_when_full() {
        let mut a = Atropos::new();
        for i in 0..MAX_DOMAINS {
            assert_eq!(a.admit(res(1000, 1, false), 0), Ok(i));
        }
        assert_eq!(a.admit(res(1000, 1, false), 0), Err(AdmitError::Full));
        assert_eq!(a.len(), MAX_DOMAINS);
    }

    // ----- rollover and charging -----

    #[test]
    fn running_domain_is_charged_and_timed_to_its_slice() {
        let mut a = Atropos::new();
        a.admit(res(10 * MS, 3 * MS, false), 0).unwrap();
        let d = a.schedule(0);
        assert_eq!(d, Decision { run: guaranteed(0), timer_ns: 3 * MS });
        assert_eq!(a.running(), guaranteed(0));
        // Preempted early at 1 ms: 2 ms left, timer at 3 ms again.
        let d = a.schedule(MS);
        assert_eq!(a.remain(0), (2 * MS) as i64);
        assert_eq!(d, Decision { run: guaranteed(0), timer_ns: 3 * MS });
        // Slice used up: idle until the deadline.
        let d = a.schedule(3 * MS);
        assert_eq!(a.remain(0), 0);
        assert_eq!(d, Decision { run: None, timer_ns: 10 * MS });
        assert_eq!(a.running(), None);
        let acct = a.accounting(0);
        assert_eq!((acct.cpu_ns, acct.guaranteed_ns, acct.extra_ns), (3 * MS, 3 * MS, 0));
    }

    #[test]
    fn rollover_starts_a_new_period_without_carrying_unused_time() {
        let mut a = Atropos::new();
        a.admit(res(10 * MS, 3 * MS, false), 0).unwrap();
        a.schedule(0);
        a.block(0, None, MS); // ran 1 ms, 2 ms unused
        a.wake(0, 2 * MS, None); // short block: keeps its 2 ms
        assert_eq!(a.remain(0), (2 * MS) as i64);
        // At the deadline the unused 2 ms are lost: a fresh 3 ms.
        let d = a.schedule(10 * MS);
        assert_eq!(a.deadline(0), Some(20 * MS));
        assert_eq!(a.remain(0), (3 * MS) as i64);
        assert_eq!(d, Decision { run: guaranteed(0), timer_ns: 13 * MS });
    }

    #[test]
    fn rollover_skips_every_missed_period() {
        let mut a = Atropos::new();
        a.admit(res(10 * MS, 3 * MS, false), 0).unwrap();
        a.admit(res(100 * MS, MS, false), 0).unwrap();
        assert_eq!(a.schedule(0).run, guaranteed(0));
        a.stop(0, 0);
        let d = a.schedule(0);
        assert_eq!(d.run, guaranteed(1));
        a.yield_slice(1, MS);
        // Far later, one call rolls domain 1 over many periods at once.
        a.schedule(1234 * MS);
        assert_eq!(a.deadline(1), Some(1300 * MS));
        assert_eq!(a.remain(1), MS as i64);
        // The stopped domain never rolled over.
        assert_eq!(a.deadline(0), Some(10 * MS));
    }

    #[test]
    fn overrun_is_carried_into_the_next_period() {
        let mut a = Atropos::new();
        a.admit(res(10 * MS, 3 * MS, false), 0).unwrap();
        a.schedule(0);
        // The scheduler is entered late: 5 ms run on a 3 ms slice.
        a.schedule(5 * MS);
        assert_eq!(a.remain(0), -2 * MS as i64);
        a.schedule(10 * MS);
        assert_eq!(a.remain(0), MS as i64);
        // A huge overrun takes several periods to pay off.
        let d = a.schedule(10 * MS);
        assert_eq!(d.timer_ns, 11 * MS);
        a.schedule(18 * MS); // 8 ms on 1 ms: -7 ms
        assert_eq!(a.remain(0), -7 * MS as i64);
        a.schedule(20 * MS);
        assert_eq!(a.remain(0), -4 * MS as i64);
        assert_eq!(a.running(), None); // nothing left to run on
        a.schedule(45 * MS); // two rollovers at once: -4 + 3 + 3
        assert_eq!(a.remain(0), 2 * MS as i64);
        assert_eq!(a.deadline(0), Some(50 * MS));
    }

    #[test]
    fn remain_after_matches_the_rule_applied_k_times() {
        for r in -40..10 {
            for s in 1..7 {
                let mut naive = r;
                for k in 0..20 {
                    assert_eq!(remain_after(r, s, k), naive, "r={r} s={s} k={k}");
                    naive = if naive < 0 { naive + s } else { s };
                }
            }
        }
        assert_eq!(remain_after(i64::MIN, 1, u64::MAX), 1);
        assert_eq!(remain_after(i64::MIN, i64::MAX, 1), -1);
        assert_eq!(remain_after(i64::MIN, i64::MAX, 3), i64::MAX);
    }

    // ----- picking -----

    #[test]
    fn earliest_deadline_runs_first() {
        let mut a = Atropos::new();
        a.admit(res(30 * MS, 5 * MS, false), 0).unwrap();
        a.admit(res(10 * MS, 2 * MS, false), 0).unwrap();
        a.admit(res(20 * MS, 3 * MS, false), 0).unwrap();
        let d = a.schedule(0);
        assert_eq!(d, Decision { run: guaranteed(1), timer_ns: 2 * MS });
        let d = a.schedule(2 * MS);
        assert_eq!(d, Decision { run: guaranteed(2), timer_ns: 5 * MS });
        let d = a.schedule(5 * MS);
        // 5 ms left, but domain 1's deadline at 10 ms comes first.
        assert_eq!(d, Decision { run: guaranteed(0), timer_ns: 10 * MS });
        // At 10 ms domain 1 has a new period ending at 20 ms < 30 ms.
        let d = a.schedule(10 * MS);
        assert_eq!(a.remain(0), 0);
        assert_eq!(d, Decision { run: guaranteed(1), timer_ns: 12 * MS });
        assert_eq!(a.accounting(0).guaranteed_ns, 5 * MS);
    }

    #[test]
    fn equal_deadlines_go_to_the_lowest_index() {
        let mut a = Atropos::new();
        a.admit(res(10 * MS, MS, false), 0).unwrap();
        a.admit(res(10 * MS, MS, false), 0).unwrap();
        assert_eq!(a.schedule(0).run, guaranteed(0));
        assert_eq!(a.schedule(MS).run, guaranteed(1));
        assert_eq!(a.schedule(2 * MS), Decision { run: None, timer_ns: 10 * MS });
    }

    #[test]
    fn slack_goes_round_robin_to_extra_domains() {
        let mut a = Atropos::new();
        a.admit(res(100 * MS, MS, true), 0).unwrap();
        a.admit(res(100 * MS, MS, false), 0).unwrap();
        a.admit(res(100 * MS, MS, true), 0).unwrap();
        assert_eq!(a.schedule(0).run, guaranteed(0));
        assert_eq!(a.schedule(MS).run, guaranteed(1));
        assert_eq!(a.schedule(2 * MS).run, guaranteed(2));
        // Guarantees used up: slack alternates between 0 and 2, never 1.
        let mut now = 3 * MS;
        let mut seen = [0u32; 3];
        for i in 0..10 {
            let d = a.schedule(now);
            let expected = if i % 2 == 0 { 0 } else { 2 };
            assert_eq!(d, Decision { run: extra(expected), timer_ns: now + EXTRA_QUANTUM_NS });
            seen[expected] += 1;
            now = d.timer_ns;
        }
        assert_eq!(seen, [5, 0, 5]);
        assert_eq!(a.accounting(0).extra_ns, 5 * MS);
        assert_eq!(a.accounting(0).cpu_ns, 6 * MS);
        assert_eq!(a.accounting(1).extra_ns, 0);
    }

    #[test]
    fn slack_quantum_is_cut_short_by_a_deadline() {
        let mut a = Atropos::new();
        a.admit(res(10 * MS, MS, true), 0).unwrap();
        a.admit(res(2 * MS, MS / 2, false), 0).unwrap();
        assert_eq!(a.schedule(0), Decision { run: guaranteed(1), timer_ns: MS / 2 });
        assert_eq!(a.schedule(MS / 2), Decision { run: guaranteed(0), timer_ns: MS + MS / 2 });
        // Slack from 1.5 ms, cut at 2 ms by domain 1's new period.
        assert_eq!(a.schedule(MS + MS / 2), Decision { run: extra(0), timer_ns: 2 * MS });
        assert_eq!(a.schedule(2 * MS), Decision { run: guaranteed(1), timer_ns: 2 * MS + MS / 2 });
        assert_eq!(
            a.schedule(2 * MS + MS / 2),
            Decision { run: extra(0), timer_ns: 3 * MS + MS / 2 }
        );
    }

    // ----- yield -----

    #[test]
    fn yield_gives_up_the_period_and_its_slack() {
        let mut a = Atropos::new();
        a.admit(res(10 * MS, 4 * MS, true), 0).unwrap();
        assert_eq!(a.schedule(0).run, guaranteed(0));
        a.yield_slice(0, MS);
        assert_eq!(a.running(), None);
        assert_eq!(a.remain(0), 0);
        assert_eq!(a.accounting(0).guaranteed_ns, MS);
        // No guarantee left and no slack for it: idle until the deadline.
        assert_eq!(a.schedule(MS), Decision { run: None, timer_ns: 10 * MS });
        // The new period brings both back.
        assert_eq!(a.schedule(10 * MS), Decision { run: guaranteed(0), timer_ns: 14 * MS });
        assert_eq!(a.schedule(14 * MS), Decision { run: extra(0), timer_ns: 15 * MS });
    }

    #[test]
    fn yield_keeps_an_overrun() {
        let mut a = Atropos::new();
        a.admit(res(10 * MS, 2 * MS, false), 0).unwrap();
        a.schedule(0);
        a.yield_slice(0, 3 * MS); // ran 3 ms of 2
        assert_eq!(a.remain(0), -(MS as i64));
        a.schedule(10 * MS);
        assert_eq!(a.remain(0), MS as i64);
    }

    #[test]
    fn yield_applies_to_the_current_period() {
        let mut a = Atropos::new();
        a.admit(res(10 * MS, 2 * MS, true), 0).unwrap();
        a.schedule(0);
        a.schedule(2 * MS);
        // The deadline passed but the scheduler has not been entered yet.
        a.yield_slice(0, 11 * MS);
        assert_eq!(a.deadline(0), Some(20 * MS));
        assert_eq!(a.remain(0), 0);
        assert_eq!(a.schedule(11 * MS), Decision { run: None, timer_ns: 20 * MS });
    }

    // ----- block and wake -----

    #[test]
    fn block_with_timeout_wakes_at_its_time() {
        let mut a = Atropos::new();
        a.admit(res(10 * MS, 2 * MS, false), 0).unwrap();
        a.admit(res(100 * MS, 50 * MS, false), 0).unwrap();
        assert_eq!(a.schedule(0).run, guaranteed(0));
        a.block(0, Some(MS + 500 * US), MS);
        assert!(a.is_blocked(0));
        assert_eq!(a.running(), None);
        assert_eq!(a.accounting(0).blocks, 1);
        // Domain 1 runs, but the timer includes domain 0's wake-up time.
        assert_eq!(a.schedule(MS), Decision { run: guaranteed(1), timer_ns: MS + 500 * US });
        let d = a.schedule(MS + 500 * US);
        assert!(!a.is_blocked(0));
        assert_eq!(a.accounting(0).wakeups, 1);
        // Short block: same period, the 1 ms left of its slice.
        assert_eq!(d, Decision { run: guaranteed(0), timer_ns: 2 * MS + 500 * US });
        assert_eq!(a.accounting(1).cpu_ns, 500 * US);
    }

    #[test]
    fn block_without_timeout_waits_for_wake() {
        let mut a = Atropos::new();
        a.admit(res(10 * MS, 2 * MS, false), 0).unwrap();
        a.block(0, None, 0);
        assert_eq!(a.schedule(0), Decision { run: None, timer_ns: u64::MAX });
        assert_eq!(a.schedule(5 * MS), Decision { run: None, timer_ns: u64::MAX });
        // Blocking twice or waking a runnable domain changes nothing.
        a.block(0, Some(MS), 6 * MS);
        assert_eq!(a.accounting(0).blocks, 1);
        a.wake(0, 7 * MS, None);
        a.wake(0, 7 * MS, None);
        assert_eq!(a.accounting(0).wakeups, 1);
        assert_eq!(a.schedule(7 * MS), Decision { run: guaranteed(0), timer_ns: 9 * MS });
    }

    #[test]
    fn long_block_wakes_with_the_latency_hint() {
        let mut a = Atropos::new();
        let r = Reservation { period_ns: 10 * MS, slice_ns: 2 * MS, extra: false, latency_ns: MS };
        a.admit(r, 0).unwrap();
        a.schedule(0);
        a.block(0, None, MS);
        // Blocked 25 ms > 10 ms: a fresh slice due within the latency.
        a.wake(0, 26 * MS, None);
        assert_eq!(a.remain(0), (2 * MS) as i64);
        assert_eq!(a.deadline(0), Some(27 * MS));
        assert_eq!(a.schedule(26 * MS), Decision { run: guaranteed(0), timer_ns: 27 * MS });
        // ... and from there normal periods.
        a.schedule(27 * MS);
        assert_eq!(a.deadline(0), Some(37 * MS));
        assert_eq!(a.remain(0), (2 * MS) as i64);
    }

    #[test]
    fn long_block_without_latency_uses_the_period() {
        let mut a = Atropos::new();
        a.admit(res(10 * MS, 2 * MS, false), 0).unwrap();
        a.block(0, Some(50 * MS), 0);
        a.schedule(50 * MS);
        assert_eq!(a.deadline(0), Some(60 * MS));
        assert_eq!(a.remain(0), (2 * MS) as i64);
    }

    #[test]
    fn short_block_applies_the_missed_rollovers() {
        let mut a = Atropos::new();
        let r = Reservation { period_ns: 10 * MS, slice_ns: 4 * MS, extra: false, latency_ns: MS };
        a.admit(r, 0).unwrap();
        a.schedule(0);
        a.block(0, None, 3 * MS); // 1 ms left in the period ending at 10 ms
                                  // Blocked 9 ms (<= period), crossing the deadline: one rollover.
        a.wake(0, 12 * MS, None);
        assert_eq!(a.deadline(0), Some(20 * MS));
        assert_eq!(a.remain(0), (4 * MS) as i64);
        // Blocked exactly one period: still the short rule.
        a.block(0, None, 12 * MS);
        a.wake(0, 22 * MS, None);
        assert_eq!(a.deadline(0), Some(30 * MS));
        // Within the period: nothing changes.
        a.block(0, None, 22 * MS);
        a.wake(0, 23 * MS, None);
        assert_eq!(a.deadline(0), Some(30 * MS));
        assert_eq!(a.remain(0), (4 * MS) as i64);
        assert_eq!(a.accounting(0).wakeups, 3);
    }

    // ----- stop -----

    #[test]
    fn stopped_domain_never_runs_again() {
        let mut a = Atropos::new();
        a.admit(res(10 * MS, 2 * MS, true), 0).unwrap();
        a.admit(res(100 * MS, MS, false), 0).unwrap();
        assert_eq!(a.schedule(0).run, guaranteed(0));
        a.stop(0, MS);
        assert!(a.is_stopped(0));
        assert_eq!(a.running(), None);
        assert_eq!(a.accounting(0).cpu_ns, MS);
        // Its deadline at 10 ms is no event any more.
        assert_eq!(a.schedule(MS), Decision { run: guaranteed(1), timer_ns: 2 * MS });
        assert_eq!(a.schedule(2 * MS), Decision { run: None, timer_ns: 100 * MS });
        // Still counted in admission; block and wake leave it stopped.
        assert_eq!(a.utilisation_ppb(), 210_000_000);
        a.block(0, None, 3 * MS);
        a.wake(0, 3 * MS, None);
        a.yield_slice(0, 3 * MS);
        assert!(a.is_stopped(0) && !a.is_blocked(0));
        assert_eq!(a.schedule(200 * MS).run, guaranteed(1));
    }

    #[test]
    fn a_restarted_domain_starts_a_fresh_period_and_keeps_its_accounting() {
        let mut a = Atropos::new();
        a.admit(res(10 * MS, 2 * MS, false), 0).unwrap();
        a.admit(res(10 * MS, 2 * MS, false), 0).unwrap();
        assert_eq!(a.schedule(0).run, guaranteed(0));
        a.stop(0, MS);
        // Only a stopped domain restarts.
        assert!(!a.restart(1, MS));
        assert_eq!(a.schedule(MS).run, guaranteed(1));
        assert!(a.restart(0, 5 * MS));
        assert!(!a.is_stopped(0));
        assert_eq!(a.deadline(0), Some(15 * MS));
        assert_eq!(a.remain(0), (2 * MS) as i64);
        assert_eq!(a.accounting(0).cpu_ns, MS);
        assert_eq!(a.utilisation_ppb(), 400_000_000);
        // Domain 1 has used its slice; the restarted one runs.
        assert_eq!(a.schedule(5 * MS).run, guaranteed(0));
        // A slot that never held a reservation stays as it is.
        a.skip();
        assert!(!a.restart(2, 6 * MS));
    }

    #[test]
    fn stopping_another_domain_leaves_the_running_one() {
        let mut a = Atropos::new();
        a.admit(res(10 * MS, 2 * MS, false), 0).unwrap();
        a.admit(res(10 * MS, 2 * MS, false), 0).unwrap();
        a.schedule(0);
        a.stop(1, MS);
        a.block(1, None, MS);
        assert_eq!(a.running(), guaranteed(0));
        a.schedule(2 * MS);
        assert_eq!(a.accounting(0).cpu_ns, 2 * MS);
    }

    // ----- robustness -----

    #[test]
    fn out_of_range_indices_are_ignored() {
        let mut a = Atropos::new();
        a.admit(res(10 * MS, 2 * MS, false), 0).unwrap();
        a.schedule(0);
        for idx in [1, MAX_DOMAINS - 1, MAX_DOMAINS, usize::MAX] {
            a.block(idx, Some(1), 1);
            a.wake(idx, 1, None);
            a.yield_slice(idx, 1);
            a.stop(idx, 1);
            assert_eq!(a.accounting(idx), Accounting::default());
            assert_eq!(a.reservation(idx), None);
            assert_eq!(a.deadline(idx), None);
            assert_eq!(a.remain(idx), 0);
            assert!(!a.is_blocked(idx) && !a.is_stopped(idx));
        }
        assert_eq!(a.running(), guaranteed(0));
        assert_eq!(a.len(), 1);
    }

    #[test]
    fn empty_scheduler_idles_forever() {
        let mut a = Atropos::default();
        assert!(a.is_empty());
        assert_eq!(a.schedule(0), Decision { run: None, timer_ns: u64::MAX });
        assert_eq!(a.running(), None);
    }

    #[test]
    fn usable_in_a_static() {
        static SCHED: Atropos = Atropos::new();
        assert_eq!(SCHED.len(), 0);
    }

    #[test]
    fn times_near_the_end_of_u64_saturate() {
        let mut a = Atropos::new();
        let start = u64::MAX - 5;
        a.admit(res(10, 4, true), start).unwrap();
        assert_eq!(a.deadline(0), Some(u64::MAX));
        assert_eq!(a.schedule(start), Decision { run: guaranteed(0), timer_ns: start + 4 });
        let d = a.schedule(u64::MAX - 1);
        assert_eq!(d, Decision { run: extra(0), timer_ns: u64::MAX });
        a.schedule(u64::MAX);
        a.schedule(u64::MAX);
        a.schedule(3); // time going backwards charges nothing
        assert_eq!(a.accounting(0).cpu_ns, 5);
    }

    #[test]
    fn spin_simulation_gives_each_domain_its_slice() {
        let mut a = Atropos::new();
        a.admit(res(4 * MS, MS, false), 0).unwrap();
        a.admit(res(6 * MS, 3 * MS, false), 0).unwrap();
        a.admit(res(12 * MS, 3 * MS, true), 0).unwrap();
        simulate(&mut a, 0, 120 * MS, |_, _, _| {});
        // 25% + 50% + 25%: the extra domain takes no slack as there is none.
        assert_eq!(a.accounting(0).cpu_ns, 30 * MS);
        assert_eq!(a.accounting(1).cpu_ns, 60 * MS);
        assert_eq!(a.accounting(2).cpu_ns, 30 * MS);
        assert_eq!(a.accounting(2).extra_ns, 0);
    }

    // ----- property tests -----

    /// Shortest slice the generated task sets use.
    const MIN_SLICE: u64 = 100 * US;
    /// Periods (in ms, within 1..=50) dividing 600 ms, so the hyperperiod is
    /// at most 600 ms and whole hyperperiods can be simulated.
    const DIVISORS_OF_600: [u64; 16] = [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 24, 25, 30, 40, 50];

    fn gcd(a: u64, b: u64) -> u64 {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }

    /// Least common multiple of `periods`, or `cap` if it would exceed it.
    fn hyperperiod(periods: impl Iterator<Item = u64>, cap: u64) -> u64 {
        let mut h = 1u64;
        for p in periods {
            h = match (h / gcd(h, p)).checked_mul(p) {
                Some(l) if l <= cap => l,
                _ => return cap,
            };
        }
        h
    }

    /// Admits at time 0, in order, a domain per `(period_ms, weight, extra)`
    /// with slices sharing `target_ppb` of the CPU in proportion to the
    /// weights (at least [`MIN_SLICE`], trimmed to what admission still
    /// allows, skipped when that is under [`MIN_SLICE`]). Returns the
    /// admitted `(index, reservation)` pairs.
    fn admit_set(
        a: &mut Atropos,
        specs: &[(u64, u64, bool)],
        target_ppb: u64,
    ) -> Vec<(usize, Reservation)> {
        let weights: u128 = specs.iter().map(|&(_, w, _)| u128::from(w)).sum();
        let mut admitted = Vec::new();
        for &(period_ms, weight, extra) in specs {
            let p = period_ms * MS;
            let share = u128::from(p) * u128::from(target_ppb) * u128::from(weight);
            let mut s = (share / (weights * u128::from(PPB_ONE))) as u64;
            s = s.clamp(MIN_SLICE, p);
            let free = PPB_ONE - a.utilisation_ppb();
            let most = (u128::from(free) * u128::from(p) / u128::from(PPB_ONE)) as u64;
            s = s.min(most);
            if s < MIN_SLICE {
                continue;
            }
            let r = res(p, s, extra);
            let idx = a.admit(r, 0).expect("trimmed slice must be admitted");
            admitted.push((idx, r));
        }
        admitted
    }

    /// Simulates spinning domains over `0..horizon` and checks that each gets
    /// exactly its slice on its guarantee in every complete period (at
    /// least, as promised, and at most, since the timer stops it there).
    fn check_guarantees(a: &mut Atropos, set: &[(usize, Reservation)], horizon: u64) {
        let mut per_period: Vec<Vec<u64>> =
            set.iter().map(|(_, r)| vec![0; (horizon / r.period_ns + 1) as usize]).collect();
        simulate(a, 0, horizon, |from, to, run| {
            if let Some((idx, RunKind::Guaranteed)) = run {
                let p = set[idx].1.period_ns;
                let k = from / p;
                assert_eq!((to - 1) / p, k, "guaranteed run {from}..{to} crosses a deadline");
                per_period[idx][k as usize] += to - from;
            }
        });
        for (idx, r) in set {
            for k in 0..horizon / r.period_ns {
                let got = per_period[*idx][k as usize];
                assert_eq!(got, r.slice_ns, "domain {idx} {r:?} got {got} ns in period {k}");
            }
        }
    }

    fn specs(periods: impl Strategy<Value = u64>) -> impl Strategy<Value = Vec<(u64, u64, bool)>> {
        prop::collection::vec((periods, 1u64..=100, any::<bool>()), 1..=MAX_DOMAINS)
    }

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Op {
        Admit { period_ns: u64, slice_permille: u64, extra: bool, latency_ns: u64 },
        Schedule,
        Block { idx: usize, timeout_ns: Option<u64> },
        Wake(usize),
        Yield(usize),
        Stop(usize),
        Restart(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        let idx = 0..MAX_DOMAINS + 3;
        prop_oneof![
            2 => (0..=50 * MS, 0u64..=1100, any::<bool>(), 0..=20 * MS).prop_map(
                |(period_ns, slice_permille, extra, latency_ns)| Op::Admit {
                    period_ns,
                    slice_permille,
                    extra,
                    latency_ns,
                }
            ),
            8 => Just(Op::Schedule),
            2 => (idx.clone(), prop::option::of(0..=60 * MS))
                .prop_map(|(idx, timeout_ns)| Op::Block { idx, timeout_ns }),
            2 => idx.clone().prop_map(Op::Wake),
            1 => idx.clone().prop_map(Op::Yield),
            1 => idx.clone().prop_map(Op::Stop),
            1 => idx.prop_map(Op::Restart),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// With utilisation <= 1 and every domain spinning, EDF gives every
        /// domain its slice in every period, over three whole hyperperiods.
        #[test]
        fn every_domain_gets_its_slice_every_period(
            specs in specs(prop::sample::select(DIVISORS_OF_600.to_vec())),
            target_ppb in 500_000_000u64..=PPB_ONE,
        ) {
            let mut a = Atropos::new();
            let set = admit_set(&mut a, &specs, target_ppb);
            prop_assert!(a.utilisation_ppb() <= PPB_ONE);
            let h = hyperperiod(set.iter().map(|(_, r)| r.period_ns), u64::MAX);
            check_guarantees(&mut a, &set, 3 * h);
        }

        /// The same for any periods in 1..=50 ms: the hyperperiod can be
        /// huge, so the horizon is three hyperperiods but at most 1 s.
        #[test]
        fn every_domain_gets_its_slice_with_any_periods(
            specs in specs(1u64..=50),
            target_ppb in 500_000_000u64..=PPB_ONE,
        ) {
            let mut a = Atropos::new();
            let set = admit_set(&mut a, &specs, target_ppb);
            let h = hyperperiod(set.iter().map(|(_, r)| r.period_ns), 1000 * MS);
            check_guarantees(&mut a, &set, (3 * h).min(1000 * MS));
        }

        /// With an extra domain and utilisation < 1, the CPU never idles:
        /// guaranteed plus extra time equals the elapsed time, and the
        /// guarantees still hold.
        #[test]
        fn slack_is_never_wasted_while_an_extra_domain_spins(
            mut specs in specs(prop::sample::select(DIVISORS_OF_600.to_vec())),
            target_ppb in 100_000_000u64..950_000_000,
            horizon_ms in 1u64..=1200,
        ) {
            specs[0].2 = true;
            let mut a = Atropos::new();
            let set = admit_set(&mut a, &specs, target_ppb);
            prop_assume!(a.utilisation_ppb() < PPB_ONE);
            let horizon = horizon_ms * MS;
            let mut idle = 0;
            simulate(&mut a, 0, horizon, |from, to, run| {
                if run.is_none() {
                    idle += to - from;
                }
            });
            prop_assert_eq!(idle, 0);
            let mut total = 0;
            for (idx, _) in &set {
                let acct = a.accounting(*idx);
                prop_assert_eq!(acct.cpu_ns, acct.guaranteed_ns + acct.extra_ns);
                total += acct.cpu_ns;
            }
            prop_assert_eq!(total, horizon);
            // Over a whole hyperperiod the guarantees leave some slack.
            let h = hyperperiod(set.iter().map(|(_, r)| r.period_ns), u64::MAX);
            if horizon >= h {
                let slack: u64 = set.iter().map(|(i, _)| a.accounting(*i).extra_ns).sum();
                prop_assert!(slack > 0);
            }
            // Slack never eats into the guarantees.
            let mut b = Atropos::new();
            let set = admit_set(&mut b, &specs, target_ppb);
            check_guarantees(&mut b, &set, h);
        }

        /// Any sequence of operations (bad indices and reservations
        /// included, times near `u64::MAX` too) never panics, and every
        /// decision is consistent: the timer is after `now` while something
        /// runs (or whenever `now < u64::MAX`), and the picked domain is
        /// runnable with time left or slack allowed.
        #[test]
        fn decisions_are_always_sane(
            start in prop_oneof![0..=1_000_000 * MS, (u64::MAX - 100 * MS)..=u64::MAX],
            ops in prop::collection::vec((op(), 0..=3 * MS), 1..200),
            switch_cost in prop_oneof![Just(0), 1..=MS, Just(u64::MAX)],
        ) {
            let mut a = Atropos::new();
            a.set_switch_cost(switch_cost);
            let mut now = start;
            for (op, dt) in ops {
                now = now.saturating_add(dt);
                match op {
                    Op::Admit { period_ns, slice_permille, extra, latency_ns } => {
                        let slice_ns = period_ns / 1000 * slice_permille;
                        let r = Reservation { period_ns, slice_ns, extra, latency_ns };
                        let before = a.utilisation_ppb();
                        match a.admit(r, now) {
                            Ok(idx) => {
                                prop_assert_eq!(a.reservation(idx), Some(r));
                                prop_assert!(a.utilisation_ppb() <= PPB_ONE);
                            }
                            Err(AdmitError::OverUtilised { utilisation_ppb }) => {
                                prop_assert!(utilisation_ppb > PPB_ONE);
                                prop_assert_eq!(a.utilisation_ppb(), before);
                            }
                            Err(_) => prop_assert_eq!(a.utilisation_ppb(), before),
                        }
                    }
                    Op::Schedule => {
                        let d = a.schedule(now);
                        prop_assert_eq!(a.running(), d.run);
                        if now < u64::MAX {
                            prop_assert!(d.timer_ns > now, "timer {} <= now {now}", d.timer_ns);
                        }
                        if let Some((idx, kind)) = d.run {
                            prop_assert!(d.timer_ns > now || now == u64::MAX);
                            prop_assert!(!a.is_blocked(idx) && !a.is_stopped(idx));
                            match kind {
                                RunKind::Guaranteed => prop_assert!(a.remain(idx) > 0),
                                RunKind::Extra => {
                                    prop_assert!(a.reservation(idx).unwrap().extra);
                                    for i in 0..a.len() {
                                        prop_assert!(
                                            a.is_blocked(i) || a.is_stopped(i) || a.remain(i) <= 0
                                        );
                                    }
                                }
                            }
                        }
                    }
                    Op::Block { idx, timeout_ns } => {
                        a.block(idx, timeout_ns.map(|t| now.saturating_add(t)), now);
                        prop_assert!(a.running().is_none_or(|(i, _)| i != idx));
                    }
                    Op::Wake(idx) => {
                        a.wake(idx, now, None);
                        prop_assert!(!a.is_blocked(idx));
                    }
                    Op::Yield(idx) => {
                        let runnable = idx < a.len() && !a.is_blocked(idx) && !a.is_stopped(idx);
                        a.yield_slice(idx, now);
                        prop_assert!(!runnable || a.remain(idx) <= 0);
                    }
                    Op::Stop(idx) => {
                        a.stop(idx, now);
                        prop_assert!(a.running().is_none_or(|(i, _)| i != idx));
                    }
                    Op::Restart(idx) => {
                        let was_stopped = idx < a.len() && a.is_stopped(idx);
                        let before = a.utilisation_ppb();
                        let restarted = a.restart(idx, now);
                        prop_assert_eq!(
                            restarted,
                            was_stopped && a.reservation(idx).is_some_and(|r| r.period_ns > 0)
                        );
                        prop_assert_eq!(a.utilisation_ppb(), before);
                        if restarted {
                            prop_assert!(!a.is_stopped(idx) && !a.is_blocked(idx));
                        }
                    }
                }
                for i in 0..MAX_DOMAINS + 2 {
                    let acct = a.accounting(i);
                    prop_assert_eq!(acct.cpu_ns, acct.guaranteed_ns + acct.extra_ns);
                }
            }
        }

        /// The slack pick on bit sets is the round-robin search it replaces:
        /// the first candidate at or after `slack_next`, modulo the domains.
        #[test]
        fn slack_goes_to_the_next_candidate_round_robin(
            len in 1..=MAX_DOMAINS,
            candidates in any::<u32>(),
            slack_next in 0..=MAX_DOMAINS,
        ) {
            let slack = candidates & ((1u32 << len) - 1);
            let mut a = Atropos::new();
            a.slack_next = slack_next.min(len);
            let search = (0..len)
                .map(|k| (a.slack_next + k) % len)
                .find(|&i| slack & (1 << i) != 0)
                .map(|i| (i, RunKind::Extra));
            prop_assert_eq!(a.pick_slack(slack), search);
        }

        /// The constant-time rollover equals the rule applied `k` times.
        #[test]
        fn remain_after_equals_repeated_rollover(
            r in -1_000_000i64..1_000_000,
            s in 1i64..100_000,
            k in 0u64..200,
        ) {
            let mut naive = r;
            for _ in 0..k {
                naive = if naive < 0 { naive + s } else { s };
            }
            prop_assert_eq!(remain_after(r, s, k), naive);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Skipping the wake-up and rollover pass before the horizon, and
        /// deciding among the woken domains alone when nothing else changed,
        /// change nothing: a twin that makes the full pass at every decision
        /// makes the same decisions and ends every step in the same state.
        #[test]
        fn shortcuts_decide_as_the_full_pass_does(
            start in prop_oneof![0..=1_000_000 * MS, (u64::MAX - 100 * MS)..=u64::MAX],
            domains in prop::collection::vec(
                (1..=20 * MS, 1u64..=150, any::<bool>(), 0..=5 * MS), 0..=MAX_DOMAINS
            ),
            // Wake-ups, blocks and decisions close together, among few
            // domains, as well as anything at all.
            ops in prop::collection::vec(prop_oneof![
                (op(), 0..=3 * MS),
                (prop_oneof![
                    3 => Just(Op::Schedule),
                    2 => (0..6usize).prop_map(Op::Wake),
                    2 => (0..6usize).prop_map(|idx| Op::Block { idx, timeout_ns: None }),
                ], 0..=200 * US),
            ], 1..300),
            switch_cost in prop_oneof![Just(0), 1..=MS],
        ) {
            let (mut fast, mut full) = (Atropos::new(), Atropos::new());
            fast.set_switch_cost(switch_cost);
            full.set_switch_cost(switch_cost);
            for &(period_ns, permille, extra, latency_ns) in &domains {
                let r = Reservation { period_ns, slice_ns: period_ns / 1000 * permille, extra, latency_ns };
                let _ = (fast.admit(r, start), full.admit(r, start));
            }
            let mut now = start;
            for (op, dt) in ops {
                now = now.saturating_add(dt);
                for a in [&mut fast, &mut full] {
                    match op {
                        Op::Admit { period_ns, slice_permille, extra, latency_ns } => {
                            let slice_ns = period_ns / 1000 * slice_permille;
                            let _ = a.admit(Reservation { period_ns, slice_ns, extra, latency_ns }, now);
                        }
                        Op::Schedule => {}
                        Op::Block { idx, timeout_ns } => {
                            a.block(idx, timeout_ns.map(|t| now.saturating_add(t)), now);
                        }
                        Op::Wake(idx) => {
                            a.wake(idx, now, None);
                        }
                        Op::Yield(idx) => a.yield_slice(idx, now),
                        Op::Stop(idx) => a.stop(idx, now),
                        Op::Restart(idx) => {
                            a.restart(idx, now);
                        }
                    }
                }
                if op == Op::Schedule {
                    // The twin decides with a full pass every time.
                    full.horizon = 0;
                    full.settled = false;
                    prop_assert_eq!(fast.schedule(now), full.schedule(now));
                    prop_assert_eq!(fast.horizon, full.horizon);
                }
                for i in 0..fast.len() {
                    prop_assert_eq!(fast.remain(i), full.remain(i));
                    prop_assert_eq!(fast.deadline(i), full.deadline(i));
                    prop_assert_eq!(fast.is_blocked(i), full.is_blocked(i));
                    prop_assert_eq!(fast.accounting(i), full.accounting(i));
                }
            }
        }
    }

    #[test]
    fn a_preemptor_pays_for_switching_its_victim_back_in() {
        let mut a = Atropos::new();
        a.set_switch_cost(3);
        let victim = a.admit(res(100, 50, false), 0).unwrap();
        let attacker = a.admit(res(10, 1, false), 0).unwrap();
        assert_eq!(a.schedule(0).run, guaranteed(attacker));
        assert_eq!(a.schedule(1).run, guaranteed(victim), "the attacker's slice is used up");
        // The attacker's next period preempts the victim, which has 41 left.
        assert_eq!(a.schedule(10).run, guaranteed(attacker));
        assert_eq!(a.remain(victim), 41);
        let back = a.schedule(11);
        assert_eq!(back.run, guaranteed(victim));
        assert_eq!(a.remain(victim), 44, "the switch back in is refunded");
        assert_eq!(back.timer_ns, 20, "the attacker's next period");
        assert_eq!(a.remain(attacker), -3, "and charged to the preemptor");
        assert_eq!(a.accounting(attacker).switches_paid, 1);
        // The overrun is carried: its next period gives it nothing.
        assert_eq!(a.schedule(20).run, guaranteed(victim));
        assert_eq!(a.remain(attacker), -2);
        assert_eq!(a.accounting(victim).switches_paid, 0);
    }

    #[test]
    fn no_switch_is_owed_for_a_preemption_the_victim_caused() {
        let mut a = Atropos::new();
        a.set_switch_cost(3);
        let sender = a.admit(res(100, 50, false), 0).unwrap();
        let receiver = a.admit(res(10, 5, false), 0).unwrap();
        a.block(receiver, None, 0);
        assert_eq!(a.schedule(0).run, guaranteed(sender));
        assert!(a.wake(receiver, 2, Some(sender)));
        assert_eq!(a.schedule(2).run, guaranteed(receiver), "the earlier deadline");
        a.block(receiver, None, 3);
        assert_eq!(a.schedule(3).run, guaranteed(sender));
        assert_eq!(a.remain(sender), 48, "no refund");
        assert_eq!(a.remain(receiver), 4, "no charge");
        // Woken by an interrupt (no sender), the receiver pays.
        assert!(a.wake(receiver, 4, None));
        assert_eq!(a.schedule(4).run, guaranteed(receiver));
        a.block(receiver, None, 5);
        a.schedule(5);
        assert_eq!(a.remain(sender), 47 + 3);
        assert_eq!(a.remain(receiver), 3 - 3);
    }

    #[test]
    fn a_skipped_index_never_runs_and_holds_no_share() {
        let mut a = Atropos::new();
        assert_eq!(a.skip(), Some(0));
        let second = a.admit(res(10, 4, true), 0).unwrap();
        assert_eq!(second, 1, "the next domain keeps its own number");
        assert!(a.is_stopped(0));
        assert_eq!(a.utilisation_ppb(), 400_000_000);
        for now in [0, 5, 20] {
            assert_ne!(a.schedule(now).run.map(|(idx, _)| idx), Some(0));
        }
        let mut full = Atropos::new();
        for _ in 0..MAX_DOMAINS {
            assert!(full.skip().is_some());
        }
        assert_eq!(full.skip(), None);
    }

    #[test]
    fn start_periods_restarts_every_runnable_domain() {
        let mut a = Atropos::new();
        let res = Reservation { period_ns: 10, slice_ns: 4, extra: false, latency_ns: 0 };
        let first = a.admit(res, 0).unwrap();
        let second = a.admit(res, 3).unwrap();
        a.start_periods(100);
        assert_eq!(a.deadline(first), Some(110));
        assert_eq!(a.deadline(second), Some(110));
        assert_eq!(a.remain(first), 4);
        let decision = a.schedule(100);
        assert_eq!(decision.run, Some((first, RunKind::Guaranteed)));
        assert_eq!(decision.timer_ns, 104);
    }
}
