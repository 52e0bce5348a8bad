//! The dispatcher: gives the CPU to domains as Atropos decides, through
//! activation upcalls or by resuming a saved context, and takes it back on
//! timer interrupts, system calls and faults.
//!
//! Every way into the kernel from a domain ends in [`Dispatcher::reschedule`]
//! or returns straight to the caller: the trap frame on the kernel stack is
//! the one and only live copy of the running domain's registers, and a
//! switch rewrites it before `vectors.s` returns through it.
//!
//! When a domain loses the CPU, its registers go to the DCB slot it named:
//! `actctx` if activations were on (the next dispatch is an upcall telling
//! why), else `resctx` (the next dispatch resumes it silently).
//!
//! Each core runs the domains placed on it (`core` in the manifest) with
//! its own Atropos, timer and idle loop: its part of the dispatcher
//! ([`Core`]), which it borrows without waiting for the other cores
//! ([`Dispatcher`], a view of that part and of what the cores share). An
//! event for a domain on another core is posted to that core, which counts
//! it and decides again when the interrupt that comes with it arrives
//! ([`Dispatcher::take_posted`]). What changes state the cores share
//! (capabilities, mappings) or another core's domains (a stop, a restart,
//! a reservation) is done in a borrow of the whole ([`AllCores`]), with
//! the other cores held outside their parts (`crate::sync::SplitCell`):
//! they decide again as they go on.

mod caps;
mod events;
mod group;
mod report;
mod supervision;
mod syscall;

use crate::arch::fpu::LazyFpu;
use crate::arch::trap_frame::TrapFrame;
use crate::arch::{time, timer, user};
use crate::bsp::local_intc::{self, Pending, CONTROL};
use crate::console;
use crate::domain::config::{self, CORES_USED, DOMAINS};
use crate::domain::{setup, Domain, DomainState, Resume};
use crate::exit::ExitCode;
use crate::memory::phys_to_virt;
use crate::sync::{this_core, SplitCell, ALL_CORES, SMP};
use crate::trace::{self, record};
use vesper_abi::dcb::{
    Accounting, ActivationReason, DcbReadOnly, DcbWritable, FaultReport, CONTEXT_SLOTS,
    FAULT_BAD_DCB, FAULT_EXCEPTION,
};
use vesper_abi::layout::{slot_base, DCB_RO_OFFSET, DCB_RW_OFFSET};
use vesper_abi::trace::{Kind, RESUMED};

use core::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use vesper_abi::cap::{CapKind, Handle, Rights};
use vesper_abi::syndrome::Syndrome;
use vesper_abi::syscall::Error;
use vesper_kernel_core::atropos::{Atropos, RunKind, MAX_DOMAINS};
use vesper_kernel_core::cap::{CapSpace, Object};

/// One core's part of the dispatcher: its CPU, the domains placed on it
/// and their scheduling. Only its core changes it, but in a borrow of the
/// whole.
struct Core {
    /// The domain whose registers are live in the trap frame and the FPU.
    on_cpu: Option<usize>,
    /// The domain whose tables are in TTBR0.
    address_space: Option<usize>,
    /// What the one-shot timer is set to.
    timer_ns: u64,
    /// A deadline decided for the timer and not programmed yet: it is, as
    /// the core leaves the dispatcher (see [`enter`]).
    arm: Option<u64>,
    /// Who holds the FP/SIMD registers.
    fpu: LazyFpu,
    /// The donation in progress, if any (see `group`).
    donation: Option<group::Donated>,
    /// This core's Atropos: it admits and picks the domains placed on
    /// this core (the others hold numbers it never picks).
    atropos: Atropos,
    /// The records of the domains placed on this core (`None` for the
    /// others).
    domains: [Option<Domain>; MAX_DOMAINS],
    /// For each interrupt of the image: the domains (bit set) it was
    /// delivered to that have not acknowledged it yet. Its line is masked
    /// while any has not. (Only on the core that takes the peripherals'
    /// interrupt, where the builder places all their domains.)
    irq_waiting: [events::DomainSet; events::MAX_IRQS],
    /// For each interrupt of the image: the live domains it goes to.
    irq_owners: [events::DomainSet; events::MAX_IRQS],
    /// The members blocked in `block_until`, until an event for them or a
    /// donation (a group's members are on its scheduler's core).
    members_blocked: events::DomainSet,
    /// The run is over as of this time, or may be (every core idle with
    /// nothing to wait for): the core ends it in a borrow of the whole.
    over: Option<u64>,
}

impl Core {
    /// Domain `index`'s accounting, as its DCB and the run report show it
    /// (zero for a domain not on this core).
    fn accounting(&self, index: usize) -> Accounting {
        let time = self.atropos.accounting(index);
        let domain = self.domains[index].as_ref();
        let of = |field: fn(&Domain) -> u64| domain.map_or(0, field);
        Accounting {
            cpu_ns: time.cpu_ns + of(|d| d.donated_ns),
            guaranteed_ns: time.guaranteed_ns,
            extra_ns: time.extra_ns,
            activations: of(|d| d.activations),
            preemptions: of(|d| d.preemptions),
            fp_traps: of(|d| d.fp_traps),
            blocks: time.blocks,
        }
    }
}

/// What the cores share: changed only in a borrow of the whole.
struct Shared {
    /// Every domain's capabilities.
    caps: CapSpace,
    /// The domains that started.
    started: events::DomainSet,
    /// The domains that are members of a group (a bit test on the paths
    /// every domain takes).
    members: events::DomainSet,
    /// When the run ends (`run-for` in the manifest).
    run_end_ns: Option<u64>,
}

impl Shared {
    /// The domain that domain `index`'s capability `handle` names, if it
    /// is a Domain capability with `rights`.
    fn domain_cap(&self, index: usize, handle: u64, rights: Rights) -> Result<usize, Error> {
        match self.caps.lookup(index, Handle(handle), CapKind::Domain, rights)? {
            Object::Domain { domain } => Ok(domain),
            _ => Err(Error::WrongType),
        }
    }
}

/// All scheduling state of the kernel: each core's part, and what they
/// share.
pub struct AllCores {
    shared: Shared,
    cores: [Core; CORES_USED],
}

/// A core's dispatcher: its part, to change, and the shared part, to read.
pub struct Dispatcher<'a> {
    core: &'a mut Core,
    shared: &'a Shared,
    /// The core (this one, but in a borrow of the whole).
    here: usize,
}

/// How long an alarm that came due with activations off waits before it
/// tries again.
const ALARM_RETRY_NS: u64 = 10_000;

/// In an image that uses several cores under QEMU, the longest a core
/// running a domain goes without a kernel entry. QEMU runs the cores in
/// turns on one thread, each turn lasting until the next timer deadline of
/// any core: a core whose timer fires (or that waits for the dispatcher)
/// waits for the turns of the cores before it, and every running core
/// keeping a deadline this near keeps those turns short. An idle core sets
/// its timer for its next decision only: idle cores ticking too made QEMU
/// leave the core after a busy one without turns for milliseconds
/// (docs/testing.md, "Four cores under -icount"). On a board the cores run
/// at once and need none of this.
const TURN_NS: u64 = if cfg!(feature = "semihosting") { 10_000 } else { u64::MAX };

static DISPATCHER: SplitCell<AllCores> = SplitCell::new(AllCores {
    shared: Shared {
        caps: CapSpace::new(),
        started: events::DomainSet::EMPTY,
        members: events::DomainSet::EMPTY,
        run_end_ns: None,
    },
    cores: [const {
        Core {
            on_cpu: None,
            address_space: None,
            timer_ns: u64::MAX,
            arm: None,
            fpu: LazyFpu::new(),
            donation: None,
            atropos: Atropos::new(),
            domains: [None; MAX_DOMAINS],
            irq_waiting: [events::DomainSet::EMPTY; events::MAX_IRQS],
            irq_owners: [events::DomainSet::EMPTY; events::MAX_IRQS],
            members_blocked: events::DomainSet::EMPTY,
            over: None,
        }
    }; CORES_USED],
});

/// For each core: when the dispatcher must next decide for it (its timer,
/// in an image that uses several cores under QEMU, may fire sooner: see
/// [`turn_ended`]).
static DECISION_NS: [AtomicU64; CORES_USED] = [const { AtomicU64::new(u64::MAX) }; CORES_USED];

/// For each core running a domain: when its current QEMU turn ends (see
/// [`turn_end`]).
static TURN_END: [AtomicU64; CORES_USED] = [const { AtomicU64::new(0) }; CORES_USED];

/// For each core: whether it has left the kernel for a domain since it
/// last entered (for [`turn_end`]).
static IN_DOMAIN: [AtomicBool; CORES_USED] = [const { AtomicBool::new(false) }; CORES_USED];

/// The cores idle with nothing to wait for (bit n: core n): when all are,
/// and nothing is posted to any, the run is over.
static STUCK: AtomicU8 = AtomicU8::new(0);

/// Runs `f` on this core's dispatcher.
#[inline(always)]
fn part<R>(f: impl FnOnce(&mut Dispatcher<'_>) -> R) -> R {
    DISPATCHER.part(|all| {
        let here = this_core();
        // SAFETY: `SplitCell::part` lets this core reach its own part
        // mutably and the shared part to read; the two are disjoint
        // fields, reached without a reference to the whole.
        let (core, shared) = unsafe {
            (
                &mut *core::ptr::addr_of_mut!((*all).cores[here]),
                &*core::ptr::addr_of!((*all).shared),
            )
        };
        f(&mut Dispatcher { core, shared, here })
    })
}

/// What a way into the kernel needs once this core's part is released.
enum Then {
    /// Nothing: the decision is made.
    Done,
    /// A system call that changes what the cores share, made in a borrow
    /// of the whole.
    Whole(syscall::WholeCall),
}

/// A way into the kernel from a domain: runs `f` (which ends in a
/// decision, or returns to the caller), then, if it left this core no
/// domain to run, waits until there is one.
///
/// The timer is programmed once the dispatcher is released: under QEMU,
/// setting the earliest deadline of all cores ends this core's turn, and a
/// turn that ended inside a borrow of the whole would hold up every other
/// core until this core's next turn.
#[inline(always)]
fn enter(frame: &mut TrapFrame, f: impl FnOnce(&mut Dispatcher<'_>, &mut TrapFrame) -> Then) {
    if SMP && TURN_NS != u64::MAX {
        IN_DOMAIN[this_core()].store(false, Ordering::Relaxed);
    }
    if !decide(frame, f) {
        idle(frame);
    }
}

/// Runs `f` (which ends in a decision for this core, or returns to the
/// caller), programs the timer once the dispatcher is released, and says
/// whether this core leaves the kernel for a domain.
#[inline(always)]
fn decide(
    frame: &mut TrapFrame,
    f: impl FnOnce(&mut Dispatcher<'_>, &mut TrapFrame) -> Then,
) -> bool {
    let left = part(|d| match f(d, frame) {
        Then::Done => Ok(d.leave()),
        Then::Whole(call) => Err(call),
    });
    let (running, arm, over) = left.unwrap_or_else(|call| {
        DISPATCHER.whole(|all| {
            all.syscall(frame, call);
            all.here().leave()
        })
    });
    if let Some(now) = over {
        DISPATCHER.whole(|all| all.end_if_over(now));
    }
    if let Some(deadline) = arm {
        program_timer(deadline, running);
    }
    running
}

/// Programs this core's timer for `decision_ns`, the next moment the
/// dispatcher must decide for this core; under QEMU in a multi-core image,
/// while the core runs a domain, no later than the end of this turn (see
/// [`TURN_NS`]), the turn's ends before the decision being handled by
/// [`turn_ended`] alone. An idle core keeps no such ticks: they only ended
/// the turns of the others, and starved the core after a busy one.
#[inline(always)]
fn program_timer(decision_ns: u64, running: bool) {
    if SMP {
        DECISION_NS[this_core()].store(decision_ns, Ordering::Relaxed);
        // On a board (no turns) neither the clock nor the others' turns are read.
        if running && TURN_NS != u64::MAX {
            return timer::set_deadline(decision_ns.min(turn_end(time::now_ns())));
        }
    }
    timer::set_deadline(decision_ns);
}

/// Whether the interrupt `pending` at this core is only its timer marking
/// the end of a QEMU turn before the next decision: then the timer is set
/// again, and the kernel returns to the domain without taking the
/// dispatcher.
#[inline(always)]
fn turn_ended(pending: Pending) -> bool {
    if !SMP || pending.get() != CONTROL::CNTPNSIRQ::SET.value {
        return false;
    }
    let (now, decision) = (time::now_ns(), DECISION_NS[this_core()].load(Ordering::Relaxed));
    if now >= decision {
        return false;
    }
    timer::set_deadline(decision.min(turn_end(now)));
    true
}

/// The end of this core's next QEMU turn, from `now`: a share of
/// [`TURN_NS`] after the latest turn end of the other cores that run a
/// domain, so that the busy cores' turns follow each other evenly spaced.
/// Timed from `now` alone, two cores' ticks kept whatever offset they
/// happened to have, and the second got only that offset out of every
/// turn while its domain was charged for all of it.
fn turn_end(now: u64) -> u64 {
    let me = this_core();
    let others = (0..CORES_USED).filter(|&c| c != me && IN_DOMAIN[c].load(Ordering::Relaxed));
    let (latest, running) =
        others.fold((now, 1), |(at, n), c| (at.max(TURN_END[c].load(Ordering::Relaxed)), n + 1));
    let end = latest.saturating_add(TURN_NS / running).min(now.saturating_add(TURN_NS));
    TURN_END[me].store(end, Ordering::Relaxed);
    end
}

/// Waits, in `wfi`, until this core has a domain to run: its timer, a
/// peripheral's interrupt or another core's request brings it back to
/// decide again.
fn idle(frame: &mut TrapFrame) {
    loop {
        timer::wait_for_deadline_or(|| {
            local_intc::pending().any_matching_bits_set(CONTROL::MAILBOX0::SET + CONTROL::GPU::SET)
        });
        let pending = local_intc::pending();
        if turn_ended(pending) {
            continue;
        }
        #[cfg(feature = "bench")]
        if pending.is_set(CONTROL::GPU) {
            crate::arch::pmu::note_idle_wake();
        }
        if decide(frame, |d, frame| d.interrupted(frame, pending)) {
            return;
        }
    }
}

/// Loads the image's domains and hands out their capabilities. Returns how
/// many started.
pub fn load_domains() -> usize {
    DISPATCHER.whole(|all| {
        let now = time::now_ns();
        for core in &mut all.cores {
            core.atropos.set_switch_cost(config::SWITCH_COST_NS);
        }
        for (index, config) in DOMAINS.iter().enumerate() {
            let atropos = all.cores.each_mut().map(|core| &mut core.atropos);
            if let Some(domain) = setup::load_one(index, config, atropos, now) {
                all.cores[config.core].domains[index] = Some(domain);
                all.shared.started.insert(index);
                supervision::publish_peer_state(index, 0, false);
            }
        }
        let count = all.shared.started.iter().count();
        setup::report_utilisation(all.cores.each_ref().map(|core| &core.atropos), count);
        for index in all.shared.started.iter() {
            all.grant_caps(index);
        }
        for index in all.shared.started.iter() {
            all.of(index).show_peers(index);
            all.of(index).show_members(index);
            if let Some(group) = config::DOMAINS[index].scheduled_by {
                all.shared.members.insert(index);
                if !all.shared.started.contains(group.domain) {
                    log::warn!(
                        "domain {}: its group's scheduler did not start: it never runs",
                        DOMAINS[index].name
                    );
                }
            }
        }
        count
    })
}

/// Starts the first domain on this core; never returns to the caller.
/// Core 0 starts the run and lets the other cores the image uses join;
/// each core starts the periods of the domains placed on it as it comes
/// up, so that none of them is charged for the time its core took.
pub fn start() -> ! {
    DISPATCHER.join();
    if this_core() == 0 {
        DISPATCHER.whole(|all| {
            all.shared.run_end_ns = config::RUN_FOR_NS.map(|ns| time::now_ns().saturating_add(ns));
            all.enable_interrupts();
        });
        if SMP {
            crate::release_cores();
        }
    }
    let mut frame = TrapFrame::default();
    enter(&mut frame, |d, frame| {
        let now = time::now_ns();
        d.core.atropos.start_periods(now);
        let run_end_ns = d.shared.run_end_ns.unwrap_or(u64::MAX);
        for index in 0..MAX_DOMAINS {
            if d.core.domains[index].is_some() {
                let ro = d.ro(index);
                ro.run_end_ns = run_end_ns;
                ro.start_ns = now;
            }
        }
        local_intc::enable_core_irqs();
        user::enable_user_address_spaces();
        d.reschedule(frame, now);
        Then::Done
    });
    user::enter(&frame)
}

/// `domain`'s trace ring (as its DCB names it, so checked against its
/// own memory) for `trace::flush`: how many records it has written, and
/// the ring's bytes. `None` for a domain that names no ring or one outside
/// its memory.
fn domain_ring(domain: &Domain, ring: vesper_abi::trace::DomainRing) -> Option<(u64, &[u8])> {
    use vesper_abi::trace::{MAX_DOMAIN_RECORDS, RECORD_SIZE};
    if ring.buffer == 0 || ring.capacity == 0 || ring.capacity > MAX_DOMAIN_RECORDS {
        return None;
    }
    let bytes = domain.user_bytes(ring.buffer, ring.capacity * RECORD_SIZE as u64)?;
    Some((ring.written, bytes))
}

/// An interrupt arrived while a domain ran: the kernel's timer, or a
/// peripheral's, which goes to the domains that take it as events.
pub fn on_interrupt(frame: &mut TrapFrame) {
    let pending = local_intc::pending();
    if !pending
        .any_matching_bits_set(CONTROL::CNTPNSIRQ::SET + CONTROL::MAILBOX0::SET + CONTROL::GPU::SET)
    {
        return spurious_interrupt(pending);
    }
    if turn_ended(pending) {
        return;
    }
    enter(frame, |d, frame| d.interrupted(frame, pending));
}

/// An interrupt came from no source the kernel knows: it is reported.
#[cold]
fn spurious_interrupt(pending: Pending) {
    log::warn!("spurious interrupt (sources {:#x})", pending.get());
}

/// A domain made a system call (`svc`).
pub fn on_syscall(frame: &mut TrapFrame) {
    enter(frame, |d, frame| d.syscall(frame));
}

/// The domain on the CPU used FP/SIMD while it was not the holder of the
/// registers (see `arch::fpu`): it gets its state loaded, and the
/// instruction runs again. A way into the kernel like any other: if
/// another core stopped the domain meanwhile, someone else runs.
pub fn on_fp_access(frame: &mut TrapFrame) {
    enter(frame, |d, frame| {
        if let Some(index) = d.core.on_cpu {
            let (rw, fpu) = d.rw_and_fpu(index);
            fpu.first_use(index, &rw.slots);
            d.ro(index).fp_live = 1;
            d.domain(index).fp_traps += 1;
        } else {
            d.reschedule(frame, time::now_ns());
        }
        Then::Done
    });
}

/// A domain took an exception other than a system call: it is stopped.
pub fn on_domain_fault(frame: &mut TrapFrame) {
    enter(frame, |d, frame| {
        let now = time::now_ns();
        if let Some(index) = d.core.on_cpu {
            let name = DOMAINS[index].name;
            let syndrome = Syndrome::new(frame.esr);
            let (pc, far) = (frame.elr, frame.far);
            if syndrome.is_abort() {
                log::error!(
                    "domain {name} faulted: {syndrome} at pc {pc:#x}, address {far:#x}; stopped"
                );
            } else {
                log::error!("domain {name} faulted: {syndrome} at pc {pc:#x}; stopped");
            }
            d.domain(index).fault = FaultReport {
                kind: FAULT_EXCEPTION,
                syndrome: frame.esr,
                address: if syndrome.is_abort() { far } else { 0 },
                pc,
            };
            d.stop(index, DomainState::Faulted, now);
        }
        d.reschedule(frame, now);
        Then::Done
    });
}

impl AllCores {
    /// Core `core`'s dispatcher, in this borrow of the whole: a change
    /// made through it may give another core something to run, so that
    /// one is no longer counted stuck (it decides again as it goes on).
    fn on(&mut self, core: usize) -> Dispatcher<'_> {
        if SMP && core != this_core() {
            STUCK.fetch_and(!(1 << core), Ordering::Relaxed);
        }
        Dispatcher { core: &mut self.cores[core], shared: &self.shared, here: core }
    }

    /// This core's dispatcher.
    fn here(&mut self) -> Dispatcher<'_> {
        self.on(this_core())
    }

    /// The dispatcher of domain `index`'s core.
    fn of(&mut self, index: usize) -> Dispatcher<'_> {
        self.on(core_of(index))
    }

    /// Domain `index`'s record.
    fn domain(&mut self, index: usize) -> &mut Domain {
        let domains = &mut self.cores[core_of(index)].domains;
        domains[index].as_mut().expect("the scheduler only knows loaded domains")
    }

    /// Domain `index`'s read-only DCB half, for as long as the whole is
    /// borrowed.
    fn ro(&mut self, index: usize) -> &mut DcbReadOnly {
        // SAFETY: as in `Dispatcher::ro`; this borrow of the whole holds
        // every core's dispatcher, and with it every DCB.
        unsafe { &mut *dcb(index, DCB_RO_OFFSET) }
    }

    /// Domain `index`'s writable DCB half (see `Dispatcher::rw`), for as
    /// long as the whole is borrowed.
    fn rw(&mut self, index: usize) -> &mut DcbWritable {
        // SAFETY: as in `Dispatcher::rw_and_fpu`, for the whole.
        unsafe { &mut *dcb(index, DCB_RW_OFFSET) }
    }

    /// Ends the run if it is over as of `now`: its end has come, or every
    /// core is idle with nothing to wait for (nothing posted to any, no
    /// device that may yet wake a domain).
    fn end_if_over(&mut self, now: u64) {
        let stuck = STUCK.load(Ordering::Relaxed) == ALL_CORES
            && events::nothing_posted()
            && !self.a_device_may_wake_someone();
        if stuck {
            log::info!("no domain can run any more");
        }
        if stuck || now >= self.shared.run_end_ns.unwrap_or(u64::MAX) {
            self.finish(now);
        }
    }

    /// Prints the report, writes out the trace and ends the run (the other
    /// cores, held, never go on).
    fn finish(&mut self, now: u64) -> ! {
        // The members' time so far counts in their reports.
        for core in 0..CORES_USED {
            self.on(core).end_donation(ActivationReason::MemberPreempted, u64::MAX, now);
        }
        report::print(self, now);
        if trace::ON {
            trace::run_end(core::array::from_fn(|core| self.cores[core].on_cpu));
            self.flush_trace(None);
            trace::close();
        }
        crate::exit::halt(ExitCode::Success)
    }

    /// Writes out the trace records not out yet, the kernel's and every
    /// domain's ring (see `crate::trace`), at the end of the run or on
    /// demand of domain `by`. Returns how many went out.
    #[cold]
    pub(super) fn flush_trace(&mut self, by: Option<usize>) -> u64 {
        if !trace::ON {
            return 0;
        }
        let rings: [Option<_>; MAX_DOMAINS] = core::array::from_fn(|index| {
            self.shared.started.contains(index).then(|| (index, self.rw(index).trace))
        });
        let count = trace::flush(rings.into_iter().flatten().filter_map(|(index, ring)| {
            let domain = self.cores[core_of(index)].domains[index].as_ref()?;
            domain_ring(domain, ring).map(|(written, bytes)| (index, written, bytes))
        }));
        if let Some(by) = by {
            log::info!("trace: {count} records out on demand of {}", DOMAINS[by].name);
        }
        count
    }
}

/// The core domain `index` is placed on.
#[inline(always)]
fn core_of(index: usize) -> usize {
    if SMP {
        DOMAINS.get(index).map_or(0, |config| config.core)
    } else {
        0
    }
}

/// Where domain `index`'s DCB half at `offset` (`DCB_RO_OFFSET`,
/// `DCB_RW_OFFSET`) is, in the kernel's map: domain `index` lives in slot
/// `index` (the boot check holds it to that).
fn dcb<T>(index: usize, offset: u64) -> *mut T {
    phys_to_virt((slot_base(index) + offset) as usize) as *mut T
}

impl Dispatcher<'_> {
    /// The core this dispatcher is for: always 0 in an image that uses one
    /// core, which lets the compiler drop the indexing.
    #[inline(always)]
    fn here(&self) -> usize {
        if SMP {
            self.here
        } else {
            0
        }
    }

    /// Whether domain `index` is placed on this core.
    #[inline(always)]
    fn is_mine(&self, index: usize) -> bool {
        core_of(index) == self.here()
    }

    /// What this core does as it leaves its part: whether it runs a
    /// domain, the deadline its timer is to be set to, and whether the run
    /// may be over.
    #[inline(always)]
    fn leave(&mut self) -> (bool, Option<u64>, Option<u64>) {
        let running = self.core.on_cpu.is_some();
        // Said for `turn_end`.
        if SMP && TURN_NS != u64::MAX && running {
            IN_DOMAIN[self.here()].store(true, Ordering::Relaxed);
        }
        (running, if SMP { self.core.arm.take() } else { None }, self.core.over.take())
    }

    /// Takes the sources `pending` at this core's interrupt (another
    /// core's request: the events posted to this core's domains; the
    /// peripherals'), then decides who runs.
    #[inline(always)]
    fn interrupted(&mut self, frame: &mut TrapFrame, pending: Pending) -> Then {
        let now = time::now_ns();
        if SMP && pending.is_set(CONTROL::MAILBOX0) {
            local_intc::clear_ipi();
            self.take_posted(now);
        }
        if pending.is_set(CONTROL::GPU) {
            self.deliver_interrupts(now);
        }
        self.reschedule(frame, now);
        Then::Done
    }

    /// The record of domain `index`, placed on this core.
    fn domain(&mut self, index: usize) -> &mut Domain {
        let domain = self.core.domains[index].as_mut();
        domain.expect("a core's dispatcher only knows its own loaded domains")
    }

    /// Domain `index`'s read-only DCB half, for as long as this core's
    /// dispatcher is borrowed: only for a domain placed on this core.
    fn ro(&mut self, index: usize) -> &mut DcbReadOnly {
        debug_assert!(self.is_mine(index));
        // SAFETY: setup mapped and initialised this page, which only the
        // kernel writes (the domain maps it read-only); it is this core's
        // (the domain is placed here), which only this borrow reaches, or
        // the whole, held by no other core meanwhile: no other kernel
        // reference to it exists. The domain may be running meanwhile (in
        // a borrow of the whole for another core), reading it: every field
        // is a plain integer it reads with volatile loads, and the event
        // counts it relies on are ordered by a fence (`count_events`).
        unsafe { &mut *dcb(index, DCB_RO_OFFSET) }
    }

    /// Domain `index`'s writable DCB half, for as long as this core's
    /// dispatcher is borrowed (as for `ro`). Its contents are the domain's
    /// to choose: every field is checked before use, and every bit pattern
    /// is a valid value of its plain-integer fields.
    fn rw(&mut self, index: usize) -> &mut DcbWritable {
        self.rw_and_fpu(index).0
    }

    /// [`Dispatcher::rw`] and the FP/SIMD holder together, for moving a
    /// domain's FP/SIMD state between its save slots and the registers.
    fn rw_and_fpu(&mut self, index: usize) -> (&mut DcbWritable, &mut LazyFpu) {
        debug_assert!(self.is_mine(index));
        // SAFETY: as for `ro`, and the page is none of the dispatcher's
        // fields. The domain writes it too, perhaps at the same time (on
        // its core while another borrows the whole): every field is a
        // plain integer, so whatever the kernel reads is a valid value,
        // and it checks each before use.
        let rw = unsafe { &mut *dcb(index, DCB_RW_OFFSET) };
        (rw, &mut self.core.fpu)
    }

    /// Takes the CPU from `index` and saves its registers where its DCB
    /// says. The next dispatch upcalls it with `reason` if activations were
    /// on. A DCB naming a slot that does not exist stops the domain.
    // Always inlined, as `dispatch` and `preempt_on_cpu` are: each switch
    // runs them, and their calls' prologues and epilogues were about a
    // tenth of one (docs/benchmarks.md, "Fewer calls on a switch").
    #[inline(always)]
    fn save(&mut self, frame: &TrapFrame, index: usize, reason: ActivationReason, now: u64) {
        self.core.on_cpu = None;
        let (rw, fpu) = self.rw_and_fpu(index);
        let activations_on = rw.activations_enabled != 0;
        let slot = if activations_on { rw.actctx } else { rw.resctx };
        let to = slot as usize;
        let Some(context) = rw.slots.get_mut(to) else {
            return self.stop_for_bad_slot(frame, index, slot, now);
        };
        user::save_registers(frame, context);
        fpu.save(index, &mut rw.slots, to);
        self.domain(index).resume =
            if activations_on { Resume::Activate(reason) } else { Resume::Context(slot as usize) };
    }

    /// `save` found that `index`'s DCB names a save slot that does not
    /// exist: it is stopped, as for a fault.
    #[cold]
    fn stop_for_bad_slot(&mut self, frame: &TrapFrame, index: usize, slot: u64, now: u64) {
        log::error!(
            "domain {}: its DCB names save slot {slot} (there are {CONTEXT_SLOTS}); stopped",
            DOMAINS[index].name
        );
        let pc = frame.elr;
        self.domain(index).fault = FaultReport { kind: FAULT_BAD_DCB, syndrome: 0, address: 0, pc };
        self.stop(index, DomainState::Faulted, now);
    }

    /// Stops `index` (until a supervisor restarts it), and tells its
    /// supervisors and peers.
    fn stop(&mut self, index: usize, state: DomainState, now: u64) {
        self.core.on_cpu = self.core.on_cpu.filter(|&on_cpu| on_cpu != index);
        let domain = self.domain(index);
        domain.state = state;
        supervision::publish_peer_state(index, domain.restarts, true);
        self.core.atropos.stop(index, now);
        self.end_donation_of(index, now);
        let (kind, how) = match state {
            DomainState::Faulted => (Kind::Fault, 0),
            DomainState::Stopped => (Kind::Stop, 1),
            DomainState::Exited(_) | DomainState::Live => (Kind::Stop, 0),
        };
        record(now, kind, Some(index), 0, how);
        self.release_interrupts(index);
        self.announce(index);
    }

    /// Makes `index` the domain the trap frame returns to.
    // Always inlined: see `save`.
    #[inline(always)]
    fn dispatch(&mut self, frame: &mut TrapFrame, index: usize, kind: RunKind, now: u64) {
        if self.core.address_space != Some(index) {
            user::switch_address_space(self.domain(index).ttbr0);
            self.core.address_space = Some(index);
        }
        let extra = u32::from(kind == RunKind::Extra);
        if trace::ON {
            trace::note_kind(kind == RunKind::Extra);
        }
        match self.domain(index).resume {
            Resume::Context(slot) => {
                record(now, Kind::Dispatch, Some(index), RESUMED, extra);
                let (rw, fpu) = self.rw_and_fpu(index);
                user::load_registers(frame, &rw.slots[slot]);
                let fp_live = fpu.resume_slot(index, &rw.slots, slot);
                self.ro(index).fp_live = fp_live.into();
            }
            Resume::Activate(reason) => {
                let reason = match (kind, reason) {
                    (
                        RunKind::Extra,
                        ActivationReason::Preempted | ActivationReason::Reactivated,
                    ) => ActivationReason::Extra,
                    _ => reason,
                };
                let rw = self.rw(index);
                rw.activations_enabled = 0;
                let (pc, sp) = (rw.activation_pc, rw.activation_sp);
                // The upcall serves any alarm that has come due, and says
                // so: the alarm is what the domain asked to hear about.
                let domain = self.domain(index);
                let alarm_due = domain.alarm_ns <= now;
                if alarm_due {
                    domain.alarm_ns = u64::MAX;
                }
                domain.activations += 1;
                let dcb = domain.config.slot_base + DCB_RO_OFFSET;
                let reason = if alarm_due { ActivationReason::Event } else { reason };
                let fp_live = self.core.fpu.run_zeroed(index);
                let ro = self.ro(index);
                if alarm_due {
                    ro.alarm_pending = 0;
                }
                ro.reason = reason as u64;
                ro.fp_live = fp_live.into();
                record(now, Kind::Dispatch, Some(index), reason as u16, extra);
                user::load_upcall(frame, pc, sp, dcb, reason as u64);
            }
        }
        self.core.on_cpu = Some(index);
        self.publish(index, now);
    }

    /// Brings the domain's view of its scheduling state up to date.
    // Always inlined: on its own, in a multi-core image, it builds the DCB's
    // address afresh for every field it writes.
    #[inline(always)]
    fn publish(&mut self, index: usize, now: u64) {
        let accounting = self.core.accounting(index);
        let ro = self.ro(index);
        ro.now_ns = now;
        ro.accounting = accounting;
    }

    /// The central decision for this core: who runs now, and when to
    /// decide again. With nothing to run, the timer is set for the next
    /// event and the core is left with no domain (its way into the kernel
    /// then waits, see [`enter`]); the run ends when it is over, or when no
    /// core has anything left to wait for.
    fn reschedule(&mut self, frame: &mut TrapFrame, now: u64) {
        loop {
            let end = self.shared.run_end_ns.unwrap_or(u64::MAX);
            if now >= end {
                // Ended in a borrow of the whole, as this core leaves.
                self.core.over = Some(now);
                return;
            }
            let decision = self.core.atropos.schedule(now);
            if trace::ON {
                self.trace_periods(now);
            }
            // The console drains here, and has the timer bring the kernel
            // back while it holds bytes (see `console`).
            let mut next_event = decision.timer_ns.min(end).min(console::drain(now));
            let mut run = decision.run;
            if self.core.donation.is_some() {
                run = self.donated(run, now);
                next_event = next_event.min(self.core.donation.map_or(u64::MAX, |d| d.until));
            }
            let Some((index, kind)) = run else {
                return self.go_idle(frame, next_event, now);
            };
            let on_cpu = self.core.on_cpu;
            if trace::ON && on_cpu == Some(index) {
                // It may run on in the other kind of time.
                trace::runs_on(now, index, kind == RunKind::Extra);
            }
            if on_cpu != Some(index) {
                self.preempt_on_cpu(frame, now);
                self.dispatch(frame, index, kind, now);
            } else if self.domain(index).alarm_ns <= now {
                if !self.ring_alarm(frame, index, kind, now) {
                    // Stopped while its context was saved: decide again
                    // without it.
                    continue;
                }
            } else {
                self.publish(index, now);
            }
            if SMP {
                STUCK.fetch_and(!(1 << self.here()), Ordering::Relaxed);
            }
            let alarm = self.domain(index).alarm_ns;
            self.arm_timer(next_event.min(alarm));
            return;
        }
    }

    /// Nothing can run on this core now: it waits for `next_event`, or,
    /// with none, for another core or a device to wake one of its domains;
    /// when no core has anything to wait for, the run is over.
    fn go_idle(&mut self, frame: &TrapFrame, next_event: u64, now: u64) {
        self.preempt_on_cpu(frame, now);
        record(now, Kind::Idle, None, 0, 0);
        let me = 1 << self.here();
        if next_event != u64::MAX {
            STUCK.fetch_and(!me, Ordering::Relaxed);
        } else if STUCK.fetch_or(me, Ordering::Relaxed) | me == ALL_CORES
            && events::nothing_posted()
        {
            // Perhaps over: seen in a borrow of the whole.
            self.core.over = Some(now);
        }
        self.arm_timer(next_event);
    }

    /// Sets this core's one-shot timer for `deadline_ns` (in an image that
    /// uses several cores, as the core leaves the dispatcher: see
    /// [`enter`]).
    fn arm_timer(&mut self, deadline_ns: u64) {
        let core = &mut *self.core;
        core.timer_ns = deadline_ns;
        if SMP {
            core.arm = Some(deadline_ns);
        } else {
            timer::set_deadline(deadline_ns);
        }
    }

    /// After a system call that returns to its caller: rings the caller's
    /// alarm if it came due while its activations were off and they are on
    /// again (see `alarm_pending` in the DCB). Ringing it may stop the
    /// caller (a DCB naming no save slot); then someone else is dispatched.
    fn ring_pending_alarm(&mut self, frame: &mut TrapFrame, index: usize) {
        // Only the DCB flag is read on this path, which every system call
        // takes: the clock is read only for an alarm known to be waiting.
        if self.ro(index).alarm_pending == 0 || self.rw(index).activations_enabled == 0 {
            return;
        }
        // The flag means the alarm came due; `alarm_ns` now only holds the
        // retry time, which must not delay the ringing the domain asked
        // for by turning activations back on.
        let now = time::now_ns();
        if !self.ring_alarm(frame, index, RunKind::Guaranteed, now) {
            self.reschedule(frame, now);
        }
    }

    /// The alarm of `index`, which holds the CPU, is due. With activations
    /// on it is re-activated (reason Event), its running context saved in
    /// actctx; with them off the alarm waits a little and tries again.
    /// Returns whether `index` still holds the CPU: `false` if saving its
    /// context stopped it, and the caller must then dispatch someone else.
    #[must_use]
    fn ring_alarm(&mut self, frame: &mut TrapFrame, index: usize, kind: RunKind, now: u64) -> bool {
        if self.rw(index).activations_enabled == 0 {
            self.domain(index).alarm_ns = now.saturating_add(ALARM_RETRY_NS);
            self.ro(index).alarm_pending = 1;
            self.publish(index, now);
            return true;
        }
        self.domain(index).alarm_ns = u64::MAX;
        self.ro(index).alarm_pending = 0;
        self.save(frame, index, ActivationReason::Event, now);
        if self.domain(index).state != DomainState::Live {
            return false;
        }
        self.dispatch(frame, index, kind, now);
        true
    }

    /// `set_alarm` for the domain on the CPU: brings the timer forward if
    /// the alarm comes first.
    fn set_alarm(&mut self, index: usize, time_ns: u64) -> syscall::Outcome {
        self.domain(index).alarm_ns = time_ns;
        self.ro(index).alarm_pending = 0;
        if time_ns < self.core.timer_ns {
            self.arm_timer(time_ns);
        }
        syscall::Outcome::Return(Ok(0))
    }

    /// Records the period starts of the decision made at `now`: each
    /// domain whose deadline moved.
    #[cold]
    fn trace_periods(&mut self, now: u64) {
        let deadlines: [Option<(u64, u64)>; MAX_DOMAINS] = core::array::from_fn(|index| {
            self.core.domains[index]?;
            let atropos = &self.core.atropos;
            Some((atropos.deadline(index)?, atropos.reservation(index)?.period_ns))
        });
        trace::decided(now, &deadlines);
    }

    /// The domain on the CPU loses it to the timer.
    // Always inlined: see `save`.
    #[inline(always)]
    fn preempt_on_cpu(&mut self, frame: &TrapFrame, now: u64) {
        if let Some(current) = self.core.on_cpu {
            if trace::ON {
                let used_up = u32::from(self.core.atropos.remain(current) <= 0);
                record(now, Kind::Preempt, Some(current), 0, used_up);
            }
            self.domain(current).preemptions += 1;
            self.save(frame, current, ActivationReason::Preempted, now);
        }
    }
}
