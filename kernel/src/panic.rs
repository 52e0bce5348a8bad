//! What a kernel panic does: print where and why, then stop.

use crate::arch::aarch64::cpu;
use crate::bsp::rpi3::console;
use crate::exit::ExitCode;
use core::fmt::Write;
use core::panic::PanicInfo;

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    // Written straight to the console, not through `log`: the panic may have
    // come from inside the logger.
    let mut out = console();
    let _ = match info.location() {
        Some(at) => write!(out, "\nKERNEL PANIC at {}:{}:{}: ", at.file(), at.line(), at.column()),
        None => write!(out, "\nKERNEL PANIC at an unknown location: "),
    };
    let _ = writeln!(out, "{}", info.message());
    out.flush();
    cpu::halt(ExitCode::KernelPanic)
}
