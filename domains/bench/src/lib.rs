//! What the benchmark domains share: reading the retired-instruction
//! counter (PMU event counter 0, opened to EL0 by the kernel), an
//! activation entry that reads it first, and the shared words the IPC pair
//! exchange counts through.

#![no_std]
// Board-only: it reads the PMU and uses the library's board-side API.
#![cfg(target_os = "none")]

use core::ptr::addr_of_mut;

core::arch::global_asm!(
    ".arch_extension fp",
    ".section .text, \"ax\"",
    ".global bench_activation_entry",
    "bench_activation_entry:",
    "    mrs     x2, pmevcntr0_el0",
    "    adrp    x3, BENCH_ENTRY_COUNT",
    "    str     x2, [x3, :lo12:BENCH_ENTRY_COUNT]",
    "    b       _start",
    // The same, for a domain that uses FP/SIMD at once: the first
    // instruction is an FP one (its state is loaded, lazily, by then).
    ".global bench_fp_activation_entry",
    "bench_fp_activation_entry:",
    "    fmov    d0, x1",
    "    mrs     x2, pmevcntr0_el0",
    "    adrp    x3, BENCH_ENTRY_COUNT",
    "    str     x2, [x3, :lo12:BENCH_ENTRY_COUNT]",
    "    b       _start",
    // fp_touch(): one FP instruction, which makes this domain's FP/SIMD
    // state live (the soft-float code around it never uses FP/SIMD).
    ".global fp_touch",
    "fp_touch:",
    "    fadd    d1, d1, d0",
    "    ret",
);

extern "C" {
    fn bench_activation_entry();
    fn bench_fp_activation_entry();
    fn fp_touch();
}

/// The instruction count read by the activation entry's first instruction,
/// written by it alone.
#[no_mangle]
static mut BENCH_ENTRY_COUNT: u64 = 0;

/// Rounds per measurement; the smallest is reported (the runs are
/// deterministic, the first ones may differ by cold paths).
pub const ROUNDS: usize = 8;

/// Makes activations enter through `bench_activation_entry`, which reads
/// the counter and goes on to the library's entry.
pub fn count_activations() {
    vesper_activations::set_activation_entry(bench_activation_entry as *const () as u64);
}

/// As [`count_activations`], with an FP instruction before the counter is
/// read: the activation pays for loading FP/SIMD state (the FP-live
/// variants of the paths).
pub fn count_fp_activations() {
    vesper_activations::set_activation_entry(bench_fp_activation_entry as *const () as u64);
}

/// Executes one FP instruction: the domain's FP/SIMD state becomes live
/// (loaded if it was not), and is saved when the domain loses the CPU.
pub fn touch_fp() {
    // SAFETY: `fp_touch` changes d1 only, which no soft-float code uses.
    unsafe { fp_touch() }
}

/// The count the latest activation read first.
pub fn activation_count() -> u64 {
    // SAFETY: written only by the activation entry, which ran before this
    // thread was resumed.
    unsafe { addr_of_mut!(BENCH_ENTRY_COUNT).read_volatile() }
}

/// The retired-instruction counter now.
pub fn instructions() -> u64 {
    vesper_activations::instruction_count()
}

/// Turns activations off for good: from now on a preemption resumes the
/// domain where it was, so a hand-written loop keeps the CPU path minimal.
pub fn activations_off() {
    let rw = vesper_activations::dcb_writable();
    // SAFETY: a field of this domain's own writable DCB page.
    unsafe { core::ptr::addr_of_mut!((*rw).activations_enabled).write_volatile(0) };
}

/// The words a measuring pair shares at the start of their region: the
/// IPC pair (client and server), the probe and `bench-busy`, and a group's
/// scheduler and member (`bench-group`, `bench-member`).
#[repr(C)]
pub struct Shared {
    /// The counter just before the sender's system call (the client's
    /// `event_send`, the probe's `yield`, the group's `domain_donate`).
    pub sent_at: u64,
    /// Non-zero once the pair measures the FP-live variants: then both
    /// sides keep FP/SIMD state live.
    pub fp_phase: u64,
    /// The counter just before the member's `yield`, which ends the
    /// donation.
    pub stopped_at: u64,
}

/// Stores the counter at `at`, then makes system call `number` with
/// arguments `x0` and `x1`: the counter is read as close to the `svc` as
/// it can be (the `mrs` and the `str` are [`MARK_OVERHEAD`] instructions
/// of the path measured).
///
/// # Safety
/// `at` must be in memory mapped read-write in this domain.
pub unsafe fn marked_syscall(at: *mut u64, number: u64, x0: u64, x1: u64) {
    // SAFETY: the caller vouches for `at`; the system call changes nothing
    // but x0.
    unsafe {
        core::arch::asm!(
            "mrs {count}, pmevcntr0_el0",
            "str {count}, [{at}]",
            "svc #0",
            count = out(reg) _,
            at = in(reg) at,
            inout("x0") x0 => _,
            in("x1") x1,
            in("x8") number,
            options(nostack),
        );
    }
}

/// The instructions [`marked_syscall`] counts that are not the path (which
/// starts at the `svc`): its `mrs` and its `str`.
pub const MARK_OVERHEAD: u64 = 2;

/// The shared words at `base`.
///
/// # Safety
/// `base` must be a region mapped read-write in this domain.
pub unsafe fn shared(base: u64) -> *mut Shared {
    base as *mut Shared
}
