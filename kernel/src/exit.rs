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
