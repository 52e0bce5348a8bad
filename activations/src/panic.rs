//! A panic in a domain reports itself and ends the domain, not the system.

use core::panic::PanicInfo;

/// The exit code of a domain that panicked.
pub const PANIC_EXIT_CODE: u64 = 101;

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    match info.location() {
        Some(at) => crate::println!("PANIC at {}:{}: {}", at.file(), at.line(), info.message()),
        None => crate::println!("PANIC: {}", info.message()),
    }
    crate::syscall::exit(PANIC_EXIT_CODE)
}
