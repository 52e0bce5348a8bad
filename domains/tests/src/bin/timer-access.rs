//! `timer-access`: reads the virtual counter at EL0, which the kernel
//! allows, then touches the kernel's physical timer, which must trap (the
//! kernel sets CNTKCTL_EL1 itself rather than trusting its reset value).

#![no_std]
#![no_main]

use core::arch::asm;
use vesper_activations::syscall::time_ns;
use vesper_activations::{now_ns, println};

vesper_activations::main!(run);

fn virtual_count() -> u64 {
    let count: u64;
    // SAFETY: reads a counter register; no memory is touched.
    unsafe { asm!("isb", "mrs {}, cntvct_el0", out(reg) count, options(nomem, nostack)) };
    count
}

fn run() {
    let first = virtual_count();
    let mut second = virtual_count();
    while second == first {
        second = virtual_count();
    }
    println!("virtual counter readable at EL0: advancing");
    // The library's time (counter and DCB factor, no kernel entry) is the
    // kernel's: a system call's reading falls between two of its own.
    let (early, kernel, late) = (now_ns(), time_ns(), now_ns());
    let agrees = early <= kernel && kernel <= late && late - early < 10_000;
    println!("time without a kernel entry agrees with get_time: {agrees}");
    // SAFETY: disabling the kernel's one-shot timer is exactly what must
    // trap; if it did not, the kernel would report the run as broken.
    unsafe { asm!("msr cntp_ctl_el0, xzr", options(nomem, nostack)) };
    println!("SECURITY: EL0 wrote the kernel's timer");
}
