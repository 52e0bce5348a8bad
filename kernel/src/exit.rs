//! How a run of the kernel ends.
//!
//! Under QEMU (images built with the `semihosting` feature) the code becomes
//! QEMU's exit status, which the test harness checks; on a physical board the
//! core halts.

/// Why the kernel stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ExitCode {
    /// The run completed.
    Success = 0,
    /// A Rust panic in the kernel.
    KernelPanic = 2,
    /// An exception the kernel did not expect (a kernel bug or a hardware
    /// error), reported with its decoded syndrome.
    KernelException = 3,
}

/// Ends the run: sends what the console still holds, then stops the core
/// (or QEMU) with `code`.
#[cfg(not(test))]
pub fn halt(code: ExitCode) -> ! {
    crate::console::flush();
    crate::arch::aarch64::cpu::halt(code)
}
