//! A panic in a domain reports itself and ends the domain, not the system.

use core::panic::PanicInfo;

/// The exit code of a domain that panicked.
pub const PANIC_EXIT_CODE: u64 = 101;

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    // Straight to the kernel's console: a console driver may be what
    // failed, or this thread may have panicked holding the console.
    let print = crate::console::print_line_to_kernel;
    match info.location() {
        Some(at) => print(format_args!("PANIC at {}:{}: {}", at.file(), at.line(), info.message())),
        None => print(format_args!("PANIC: {}", info.message())),
    }
    crate::syscall::exit(PANIC_EXIT_CODE)
}
