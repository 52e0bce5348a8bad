//! `supervisor`: keeps the domains it supervises running. The manifest
//! gives it a capability with `RESTART` to each (`supervises`) and its
//! restart policy (`restart-limit`, `restart-window`, `restart-backoff`);
//! the kernel counts an event in its supervision slot whenever one of them
//! stops. On each, it reads every supervised domain's state
//! (`domain_info`): a domain that failed (faulted, or exited with a code
//! other than 0) is restarted after the policy's back-off, or left stopped
//! once it has failed more often than the limit allows within the window
//! (`vesper_service::supervision` states the rules). A domain that exited
//! with 0, or that another domain stopped, ended on purpose and is left
//! alone. It logs each failure, restart and surrender; the shell's `ps`
//! shows each domain's restarts, which the kernel counts.

#![no_std]
#![no_main]

use heapless::Vec;
use vesper_abi::cap::{CapKind, Rights, SELF};
use vesper_abi::dcb::{DomainInfo, DOMAIN_FAULTED, DOMAIN_RUNNING};
use vesper_abi::layout::MAX_DOMAINS;
use vesper_activations::events::caps;
use vesper_activations::syscall::{domain_info, domain_restart};
use vesper_activations::{
    await_any_event, await_any_event_until, dcb, events_seen, now_ns, println,
};
use vesper_service::supervision::{failed, History, Policy, Verdict};

vesper_activations::main!(run);

/// What the supervisor keeps of one supervised domain.
struct Watched {
    /// Its capability's handle.
    handle: u64,
    /// Its failures within the window.
    history: History,
    /// What the supervisor is doing about it.
    plan: Plan,
}

/// What the supervisor is doing about a domain.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Watching it run.
    Watch,
    /// Restarting it at this time.
    RestartAt(u64),
    /// Nothing more: it ended on purpose, or failed too often.
    Done,
}

fn run() {
    let supervision = dcb().supervision;
    let policy = Policy {
        limit: supervision.limit,
        window_ns: supervision.window_ns,
        backoff_ns: supervision.backoff_ns,
    };
    let mut watched: Vec<Watched, MAX_DOMAINS> = caps()
        .filter(|cap| cap.kind() == CapKind::Domain && cap.name() != SELF)
        .filter(|cap| cap.rights().contains(Rights::RESTART | Rights::READ))
        .map(|cap| Watched { handle: cap.handle, history: History::new(), plan: Plan::Watch })
        .collect();
    println!(
        "supervisor: watching {} domains; at most {} restarts within {} ms, the first after {} us",
        watched.len(),
        policy.limit,
        policy.window_ns / 1_000_000,
        policy.backoff_ns / 1000
    );
    loop {
        let seen = events_seen();
        let now = now_ns();
        for domain in &mut watched {
            domain.look(&policy, now);
        }
        let next = watched
            .iter()
            .filter_map(|domain| match domain.plan {
                Plan::RestartAt(at) => Some(at),
                _ => None,
            })
            .min();
        match next {
            Some(at) => await_any_event_until(seen, at),
            None => await_any_event(seen),
        };
    }
}

impl Watched {
    /// Looks at the domain at `now` and acts on what it finds.
    fn look(&mut self, policy: &Policy, now: u64) {
        let Ok(info) = domain_info(self.handle) else { return };
        match self.plan {
            Plan::Watch if info.state != DOMAIN_RUNNING => self.stopped(&info, policy, now),
            Plan::RestartAt(at) if at <= now => {
                self.plan = Plan::Watch;
                match domain_restart(self.handle) {
                    Ok(restarts) => println!("supervisor: {} restarted ({restarts})", info.name()),
                    Err(error) => println!("supervisor: {} not restarted: {error:?}", info.name()),
                }
            }
            _ => {}
        }
    }

    /// The domain was found stopped: restart it later, or give up.
    fn stopped(&mut self, info: &DomainInfo, policy: &Policy, now: u64) {
        let name = info.name();
        if !failed(info.state, info.exit_code) {
            println!("supervisor: {name} ended (state {}); left as it is", info.state);
            self.plan = Plan::Done;
            return;
        }
        println!("supervisor: {name} failed: {}", Failure(info));
        self.plan = match self.history.failed(policy, now) {
            Verdict::RestartAt { at_ns, failures } => {
                println!(
                    "supervisor: {name}: failure {failures} within the window; restart in {} us",
                    at_ns.saturating_sub(now) / 1000
                );
                Plan::RestartAt(at_ns)
            }
            Verdict::GiveUp { failures } => {
                println!(
                    "supervisor: {name}: {failures} failures within {} ms; giving up, it stays \
                     stopped",
                    policy.window_ns / 1_000_000
                );
                Plan::Done
            }
        };
    }
}

/// A failure as the log shows it: the kernel's fault report, or the exit
/// code.
struct Failure<'a>(&'a DomainInfo);

impl core::fmt::Display for Failure<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let info = self.0;
        if info.state != DOMAIN_FAULTED {
            return write!(f, "exited with {}", info.exit_code);
        }
        let fault = &info.fault;
        write!(f, "fault kind {} syndrome {:#x} at pc {:#x}", fault.kind, fault.syndrome, fault.pc)
    }
}
