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

/// What a board kernel's last line tells whoever reads its console.
#[cfg(not(any(test, feature = "semihosting")))]
const AFTER_HALT: &str = "the run is over; reset the board to run again";

/// Ends the run: sends what the console still holds, then stops the core
/// (or QEMU) with `code`.
///
/// On a board nothing else shows that the run is over (QEMU exits, a
/// board's console just goes quiet, as it would if the kernel hung), so a
/// board kernel says so in a last line first.
pub fn halt(code: ExitCode) -> ! {
    #[cfg(not(feature = "semihosting"))]
    match code {
        // The panic may have come from inside the log or the console: write
        // past them, as the panic report itself does.
        ExitCode::KernelPanic => crate::console::emergency(format_args!(
            "halted (exit code {}): {AFTER_HALT}\n",
            code as u32
        )),
        _ => log::info!("halted (exit code {}): {AFTER_HALT}", code as u32),
    }
    crate::console::flush();
    crate::arch::cpu::halt(code)
}
