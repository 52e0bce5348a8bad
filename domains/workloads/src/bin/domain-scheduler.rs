//! `domain-scheduler`: the scheduler domain of a group, which decides which
//! of its member domains runs on its reservation.
//!
//! The manifest gives the group in the scheduler domain's table: its
//! reservation, its policy (`scheduler = "edf"`, any of `schedulers/`) and
//! its members with their parameters (`members = [{ domain, period, wcet,
//! deadline, tickets }]`), which the kernel hands over in the DCB in the
//! threads' place, with a capability to schedule each member (named after
//! it). The members are the policy's threads
//! (`vesper_schedulers::group::Members`): every time the domain has the
//! CPU it releases the jobs that are due, picks a member and donates the
//! CPU to it (`domain_donate`) for the rest of its job's work, cut at its
//! quantum's end and at the next release; the kernel's report says how the
//! donation ended. With no member to run it waits for the next release,
//! a member's wake-up (an event on its group slot) or a blocked member's
//! timeout. Every member's first job is released when the domain's first
//! period began (the DCB's `start_ns`), as the simulator releases them.
//!
//! When the run nears its end (as `periodic` reports), it prints one
//! `JobLine` per member (`[DOMAIN] job domain=... thread=MEMBER ...`).

#![no_std]
#![no_main]

use vesper_abi::dcb::{ActivationReason, Group, ThreadSpec, MAX_THREAD_SPECS};
use vesper_activations::events::member_cap;
use vesper_activations::{
    await_any_event, await_any_event_until, dcb, events_seen, now_ns, println, report_horizon_ns,
    scheduler_name, syscall, JobLine, ThreadId, ThreadParams,
};
use vesper_schedulers::group::{Ended, Members};
use vesper_schedulers::{AnyScheduler, PolicyConfig};

vesper_activations::main!(run);

/// A member as the domain knows it.
#[derive(Clone, Copy)]
struct Member {
    /// Its capability, with `SCHEDULE`.
    handle: u64,
    /// Its domain's index (its bit in the DCB's `group.ready`).
    domain: u64,
    /// When a member that blocked with a timeout is due to run again.
    wake_at: u64,
}

/// The scheduling parameters the manifest gives a member.
fn params(spec: &ThreadSpec) -> ThreadParams {
    let mut params = match spec.period_ns {
        0 => ThreadParams::sporadic(spec.wcet_ns),
        period => ThreadParams::periodic(period, spec.wcet_ns),
    };
    if spec.deadline_ns != 0 {
        params = params.with_deadline(spec.deadline_ns);
    }
    if spec.tickets != 0 {
        params = params.with_tickets(u32::try_from(spec.tickets).unwrap_or(u32::MAX));
    }
    params
}

/// The DCB's view of the group, read afresh (the kernel writes it while
/// the domain waits).
fn group() -> Group {
    // SAFETY: a field of the mapped read-only DCB half; read volatile
    // because the kernel rewrites it between the domain's runs.
    unsafe { core::ptr::read_volatile(&dcb().group) }
}

/// How the kernel's report says a donation ended.
fn ended(why: u64) -> Ended {
    match ActivationReason::from_number(why) {
        Some(ActivationReason::MemberYielded) => Ended::Yielded,
        Some(ActivationReason::MemberBlocked) => Ended::Blocked,
        Some(ActivationReason::MemberBudget) => Ended::Budget,
        // Another member woke: this one was preempted for the decision.
        Some(ActivationReason::MemberPreempted | ActivationReason::MemberWoken) => Ended::Preempted,
        _ => Ended::Stopped,
    }
}

/// The member called `spec`'s name, with its capability.
fn find_member(spec: &ThreadSpec) -> Option<Member> {
    let cap = member_cap(spec.name())?;
    Some(Member { handle: cap.handle, domain: cap.base, wake_at: u64::MAX })
}

fn run() {
    let dcb = dcb();
    let Ok(sched) = AnyScheduler::from_name(scheduler_name(), PolicyConfig::DEFAULT) else {
        println!("no scheduler is called {}", scheduler_name());
        return;
    };
    let mut members = Members::new(sched);
    let mut known: [Option<Member>; MAX_THREAD_SPECS] = [None; MAX_THREAD_SPECS];
    let start = dcb.start_ns;
    for (index, spec) in dcb.member_specs().iter().enumerate() {
        let Some(member) = find_member(spec) else {
            println!("member {}: no capability to schedule it", spec.name());
            continue;
        };
        match members.admit(ThreadId(index), params(spec), start) {
            Ok(()) => known[index] = Some(member),
            Err(error) => println!("member {}: not admitted: {error}", spec.name()),
        }
    }
    let longest = dcb.member_specs().iter().map(|spec| spec.period_ns).max().unwrap_or(0);
    let horizon =
        report_horizon_ns(dcb.run_end_ns.saturating_sub(start), longest, dcb.reservation.period_ns);
    let report_at = start.saturating_add(horizon);
    let mut reported = false;
    let mut donations = group().donation.count;
    loop {
        // Read before the members' state: a wake-up after this makes the
        // wait below return at once.
        let seen = events_seen();
        let now = now_ns();
        if !reported && now >= report_at {
            report(&mut members, report_at);
            reported = true;
        }
        let ready = group().ready;
        for (index, member) in known.iter_mut().enumerate() {
            let Some(member) = member else { continue };
            let id = ThreadId(index);
            let shown = ready & (1 << member.domain) != 0;
            if members.is_blocked(id) && (shown || now >= member.wake_at) {
                member.wake_at = u64::MAX;
                let _ = members.woken(id, now);
            }
        }
        match members.next(now) {
            Ok(grant) => {
                let Some(member) = known[grant.member.0].as_mut() else { continue };
                let refused = syscall::domain_donate(member.handle, grant.budget_ns).is_err();
                let report = group().donation;
                if refused || report.count == donations {
                    // It stopped before it could run.
                    let _ = members.ended(grant.member, Ended::Stopped, 0, now);
                    continue;
                }
                donations = report.count;
                let how = ended(report.why);
                if how == Ended::Blocked {
                    member.wake_at = report.until_ns;
                }
                let stop = now.saturating_add(report.ran_ns);
                let _ = members.ended(grant.member, how, report.ran_ns, stop);
            }
            Err(next_release) => {
                let wake = known.iter().flatten().map(|member| member.wake_at).min();
                match next_release.into_iter().chain(wake).min().filter(|&at| at != u64::MAX) {
                    Some(until) => await_any_event_until(seen, until),
                    None => await_any_event(seen),
                };
            }
        }
    }
}

/// Prints each member's job statistics as they stand at `horizon`.
fn report(members: &mut Members<AnyScheduler>, horizon: u64) {
    let domain = dcb().name();
    let scheduler = scheduler_name();
    for (index, spec) in dcb().member_specs().iter().enumerate() {
        let Ok(stats) = members.stats_at(ThreadId(index), horizon) else { continue };
        println!("{}", JobLine::of(domain, spec.name(), scheduler, &stats));
    }
}
