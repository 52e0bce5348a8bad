//! `bad-slot`: names a save slot that does not exist in its DCB (`actctx =
//! 99`), then lets an alarm ring. The kernel must stop the domain as it
//! saves its context, and never let it execute again. A domain named
//! `...-syscall` takes the path where the alarm comes due with activations
//! off and is rung by its next system call (`alarm_pending`); any other
//! name, the path where the timer rings it while it computes.

#![no_std]
#![no_main]

use core::ptr::{addr_of, addr_of_mut};
use vesper_activations::syscall::{set_alarm, time_ns};
use vesper_activations::{dcb, dcb_writable, domain_name, println};

vesper_activations::main!(run);

/// A save slot past the DCB's `CONTEXT_SLOTS`.
const NO_SUCH_SLOT: u64 = 99;
/// How far ahead the alarm is set.
const AHEAD_NS: u64 = 50_000;
/// Loop iterations that outlast the alarm (each is a few
/// instructions, and under `-icount` an instruction is a nanosecond).
const RUN_ON: u64 = 50_000;

fn write(field: *mut u64, value: u64) {
    // SAFETY: a field of this domain's own writable DCB page.
    unsafe { field.write_volatile(value) }
}

fn run() {
    let rw = dcb_writable();
    // SAFETY: field addresses in this domain's own writable DCB page.
    let actctx = unsafe { addr_of_mut!((*rw).actctx) };
    // SAFETY: as above.
    let enabled = unsafe { addr_of_mut!((*rw).activations_enabled) };
    if domain_name().ends_with("syscall") {
        write(enabled, 0);
        set_alarm(time_ns() + AHEAD_NS);
        // SAFETY: a field of the mapped read-only DCB half, which the
        // kernel sets when the alarm comes due with activations off.
        while unsafe { addr_of!(dcb().alarm_pending).read_volatile() } == 0 {
            core::hint::spin_loop();
        }
        write(actctx, NO_SUCH_SLOT);
        write(enabled, 1);
        // The kernel rings the pending alarm here and cannot save us.
        time_ns();
    } else {
        write(actctx, NO_SUCH_SLOT);
        set_alarm(time_ns() + AHEAD_NS);
    }
    for i in 0..RUN_ON {
        core::hint::black_box(i);
    }
    println!("ran on after its alarm");
    loop {
        core::hint::spin_loop();
    }
}
