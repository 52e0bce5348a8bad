//! The timer service: alarms on the BCM2835 system timer, multiplexed over
//! many clients by the `systimer` driver.
//!
//! A client asks for an alarm at an absolute time (nanoseconds since boot,
//! the clock every domain reads with `now_ns`), once or every period; the
//! driver replies when it comes, with when it fired, so that lateness is
//! measured where it happens. The rules of [`Alarms`], the driver's table:
//!
//! - **Earliest deadline first**: compare 1 is set to the earliest alarm of
//!   all clients and compare 3 to the next; every alarm due when the driver
//!   looks fires, oldest deadline first.
//! - **Never early**: an alarm fires only once the clock has reached its
//!   deadline.
//! - **Every period**: a periodic alarm fires once per period; one that
//!   fell behind catches up, period by period, rather than skipping.
//! - **Bounded per client**: each client holds at most
//!   [`ALARMS_PER_CLIENT`] alarms, a period is at least [`MIN_PERIOD_NS`],
//!   and a periodic alarm may not start more than a period in the past, so
//!   no client can fill the table or the CPU for the others.

use crate::ring::Message;

/// The most alarms one client may hold at a time.
pub const ALARMS_PER_CLIENT: usize = 4;
/// The most clients a driver serves.
pub const MAX_CLIENTS: usize = 8;
/// The shortest period a periodic alarm may have.
pub const MIN_PERIOD_NS: u64 = 50_000;
/// Slots in each of a client's rings.
pub const RING_SLOTS: usize = 16;

/// A request, client to driver.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct TimerRequest {
    /// What to do: [`OP_ONCE`], [`OP_PERIODIC`] or [`OP_CANCEL`].
    pub op: u32,
    /// The client's name for the alarm, echoed in the replies.
    pub id: u32,
    /// When it is due (ns since boot); for a periodic alarm, the first.
    pub at_ns: u64,
    /// For [`OP_PERIODIC`]: the period (at least [`MIN_PERIOD_NS`]).
    pub period_ns: u64,
}

/// Fire once at `at_ns`.
pub const OP_ONCE: u32 = 1;
/// Fire at `at_ns` and every `period_ns` after.
pub const OP_PERIODIC: u32 = 2;
/// Forget alarm `id`.
pub const OP_CANCEL: u32 = 3;

/// A reply, driver to client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct TimerReply {
    /// The request's `id`.
    pub id: u32,
    /// [`FIRED`], or why the request was refused.
    pub status: u32,
    /// The deadline that came.
    pub deadline_ns: u64,
    /// When the driver saw it come (ns since boot): `fired_ns - deadline_ns`
    /// is the driver's lateness.
    pub fired_ns: u64,
}

/// The alarm came.
pub const FIRED: u32 = 0;
/// The request made no sense (unknown op, period too short): refused.
pub const REFUSED: u32 = 1;
/// The client already holds [`ALARMS_PER_CLIENT`] alarms.
pub const TOO_MANY: u32 = 2;

// SAFETY: `#[repr(C)]` integers; every bit pattern is a value.
unsafe impl Message for TimerRequest {}
// SAFETY: as above.
unsafe impl Message for TimerReply {}

/// The shared region of one client of the timer service.
pub type TimerArea = crate::ring::ServiceArea<TimerRequest, TimerReply, RING_SLOTS>;

/// One pending alarm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alarm {
    /// The client (the driver's number for it).
    pub client: usize,
    /// The client's id for it.
    pub id: u32,
    /// When it is due next.
    pub deadline_ns: u64,
    /// Its period, 0 for a one-shot alarm.
    pub period_ns: u64,
}

/// What a request does to the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Taken (an alarm set, or one cancelled).
    Taken,
    /// Refused, with the status to reply.
    Refused(u32),
}

/// The driver's table: every client's pending alarms.
pub struct Alarms {
    slots: [Option<Alarm>; MAX_CLIENTS * ALARMS_PER_CLIENT],
}

impl Default for Alarms {
    fn default() -> Self {
        Self::new()
    }
}

impl Alarms {
    /// No alarms.
    pub const fn new() -> Self {
        Self { slots: [None; MAX_CLIENTS * ALARMS_PER_CLIENT] }
    }

    /// Carries out `request` from `client` (which must be below
    /// [`MAX_CLIENTS`]; others are refused) at `now_ns`. A periodic alarm
    /// whose first deadline lies more than a period in the past is refused:
    /// catching up on it would keep the driver busy for the others.
    pub fn request(&mut self, client: usize, request: TimerRequest, now_ns: u64) -> Outcome {
        if client >= MAX_CLIENTS {
            return Outcome::Refused(REFUSED);
        }
        let in_time = |period: u64| request.at_ns.saturating_add(period) >= now_ns;
        let period_ns = match request.op {
            OP_ONCE => 0,
            OP_PERIODIC if request.period_ns >= MIN_PERIOD_NS && in_time(request.period_ns) => {
                request.period_ns
            }
            OP_CANCEL => {
                self.cancel(client, request.id);
                return Outcome::Taken;
            }
            _ => return Outcome::Refused(REFUSED),
        };
        let held = self.slots.iter().flatten().filter(|a| a.client == client).count();
        let free = self.slots.iter_mut().find(|slot| slot.is_none());
        match free {
            Some(slot) if held < ALARMS_PER_CLIENT => {
                let alarm = Alarm { client, id: request.id, deadline_ns: request.at_ns, period_ns };
                *slot = Some(alarm);
                Outcome::Taken
            }
            _ => Outcome::Refused(TOO_MANY),
        }
    }

    /// Forgets `client`'s alarm `id`.
    pub fn cancel(&mut self, client: usize, id: u32) {
        for slot in &mut self.slots {
            if slot.is_some_and(|a| a.client == client && a.id == id) {
                *slot = None;
            }
        }
    }

    /// Forgets every alarm of `client` (dropped, or gone).
    pub fn drop_client(&mut self, client: usize) {
        for slot in &mut self.slots {
            if slot.is_some_and(|a| a.client == client) {
                *slot = None;
            }
        }
    }

    /// The two earliest deadlines (of two alarms; they may be equal), for
    /// the driver's two compares.
    pub fn next_two(&self) -> [Option<u64>; 2] {
        let mut next = [None, None];
        for deadline in self.slots.iter().flatten().map(|a| a.deadline_ns) {
            match next {
                [None, _] => next[0] = Some(deadline),
                [Some(first), _] if deadline < first => next = [Some(deadline), next[0]],
                [Some(_), None] => next[1] = Some(deadline),
                [Some(_), Some(second)] if deadline < second => next[1] = Some(deadline),
                _ => {}
            }
        }
        next
    }

    /// Takes the alarm with the earliest deadline if it is due at `now_ns`
    /// (ties: the lower slot); a periodic one stays, due one period later.
    /// Returns it as it was due.
    pub fn pop_due(&mut self, now_ns: u64) -> Option<Alarm> {
        let slot = self
            .slots
            .iter_mut()
            .filter(|slot| slot.is_some_and(|a| a.deadline_ns <= now_ns))
            .min_by_key(|slot| slot.map_or(u64::MAX, |a| a.deadline_ns))?;
        let alarm = (*slot)?;
        *slot = match alarm.period_ns {
            0 => None,
            period => {
                Some(Alarm { deadline_ns: alarm.deadline_ns.saturating_add(period), ..alarm })
            }
        };
        Some(alarm)
    }
}

/// The first tick of a 1 MHz counter at or after `ns`, given that tick
/// `tick0` was at `ns0`: compares are set with it, so that they never
/// match before the deadline.
pub fn tick_at_or_after(ns: u64, ns0: u64, tick0: u64) -> u64 {
    tick0.wrapping_add(ns.saturating_sub(ns0).div_ceil(1_000))
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    fn once(id: u32, at_ns: u64) -> TimerRequest {
        TimerRequest { op: OP_ONCE, id, at_ns, period_ns: 0 }
    }

    #[test]
    fn alarms_fire_in_deadline_order_and_never_early() {
        let mut a = Alarms::new();
        assert_eq!(a.request(0, once(1, 300), 0), Outcome::Taken);
        assert_eq!(a.request(1, once(2, 100), 0), Outcome::Taken);
        assert_eq!(a.next_two()[0], Some(100));
        assert_eq!(a.pop_due(99), None);
        assert_eq!(a.pop_due(1000).map(|x| x.id), Some(2));
        assert_eq!(a.pop_due(1000).map(|x| x.id), Some(1));
        assert_eq!(a.pop_due(1000), None);
    }

    #[test]
    fn the_two_earliest_deadlines_are_found_for_the_two_compares() {
        let mut a = Alarms::new();
        assert_eq!(a.next_two(), [None, None]);
        for (client, at) in [(0, 500), (1, 300), (2, 900), (3, 300)] {
            assert_eq!(a.request(client, once(1, at), 0), Outcome::Taken);
        }
        assert_eq!(a.next_two(), [Some(300), Some(300)]);
        a.pop_due(300);
        assert_eq!(a.next_two(), [Some(300), Some(500)]);
    }

    #[test]
    fn a_periodic_alarm_fires_every_period_and_catches_up() {
        let mut a = Alarms::new();
        let periodic = TimerRequest { op: OP_PERIODIC, id: 7, at_ns: 0, period_ns: MIN_PERIOD_NS };
        assert_eq!(a.request(0, periodic, 0), Outcome::Taken);
        let fired: Vec<u64> =
            core::iter::from_fn(|| a.pop_due(3 * MIN_PERIOD_NS)).map(|x| x.deadline_ns).collect();
        assert_eq!(fired, [0, MIN_PERIOD_NS, 2 * MIN_PERIOD_NS, 3 * MIN_PERIOD_NS]);
        assert_eq!(a.next_two()[0], Some(4 * MIN_PERIOD_NS));
    }

    #[test]
    fn a_periodic_alarm_starting_long_ago_is_refused() {
        let mut a = Alarms::new();
        let old = TimerRequest { op: OP_PERIODIC, id: 1, at_ns: 0, period_ns: MIN_PERIOD_NS };
        assert_eq!(a.request(0, old, 10 * MIN_PERIOD_NS), Outcome::Refused(REFUSED));
        assert_eq!(a.request(0, old, MIN_PERIOD_NS), Outcome::Taken, "one period late is fine");
    }

    #[test]
    fn bad_requests_and_greedy_clients_are_refused() {
        let mut a = Alarms::new();
        let fast = TimerRequest { op: OP_PERIODIC, id: 1, at_ns: 0, period_ns: 1 };
        assert_eq!(a.request(0, fast, 0), Outcome::Refused(REFUSED));
        let junk = TimerRequest { op: 99, ..fast };
        assert_eq!(a.request(0, junk, 0), Outcome::Refused(REFUSED));
        assert_eq!(a.request(MAX_CLIENTS, once(1, 0), 0), Outcome::Refused(REFUSED));
        for id in 0..ALARMS_PER_CLIENT as u32 {
            assert_eq!(a.request(0, once(id, 5), 0), Outcome::Taken);
        }
        assert_eq!(a.request(0, once(9, 5), 0), Outcome::Refused(TOO_MANY));
        assert_eq!(a.request(1, once(9, 5), 0), Outcome::Taken, "others still get theirs");
        a.drop_client(0);
        assert_eq!(a.pop_due(5).map(|x| x.client), Some(1));
        assert_eq!(a.pop_due(5), None);
    }

    #[test]
    fn the_shared_area_is_as_docs_drivers_md_lays_it_out() {
        assert_eq!(core::mem::size_of::<TimerRequest>(), 24);
        assert_eq!(core::mem::size_of::<TimerReply>(), 24);
        assert_eq!(core::mem::size_of::<TimerArea>(), 784);
    }

    #[test]
    fn compares_are_rounded_up_to_whole_ticks() {
        assert_eq!(tick_at_or_after(5_000, 1_000, 10), 14);
        assert_eq!(tick_at_or_after(5_001, 1_000, 10), 15);
        assert_eq!(tick_at_or_after(500, 1_000, 10), 10, "already past");
    }

    proptest! {
        /// Whatever clients ask, alarms come out in deadline order, none
        /// before its time, and no client holds more than its share.
        #[test]
        fn any_requests_keep_the_rules(
            requests in prop::collection::vec(
                (0..MAX_CLIENTS + 1, 0u32..4, any::<u32>(), 0..10_000_000u64, 0..2_000_000u64),
                0..100,
            ),
            now in 0..20_000_000u64,
        ) {
            let mut a = Alarms::new();
            for (client, op, id, at_ns, period_ns) in requests {
                let _ = a.request(client, TimerRequest { op, id, at_ns, period_ns }, 0);
            }
            for client in 0..MAX_CLIENTS {
                let held = a.slots.iter().flatten().filter(|x| x.client == client).count();
                prop_assert!(held <= ALARMS_PER_CLIENT);
            }
            let mut last = 0;
            for _ in 0..1000 {
                let Some(alarm) = a.pop_due(now) else { break };
                prop_assert!(alarm.deadline_ns <= now);
                prop_assert!(alarm.deadline_ns >= last);
                last = alarm.deadline_ns;
            }
        }
    }
}
