//! What a kernel panic does: print where and why, then stop.

use crate::console;
use crate::exit::{halt, ExitCode};
use core::panic::PanicInfo;

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    // Written straight to the UART, not through `log`: the panic may have
    // come from inside the logger or the console.
    match info.location() {
        Some(at) => console::emergency(format_args!(
            "\nKERNEL PANIC at {}:{}:{}: {}\n",
            at.file(),
            at.line(),
            at.column(),
            info.message()
        )),
        None => console::emergency(format_args!(
            "\nKERNEL PANIC at an unknown location: {}\n",
            info.message()
        )),
    }
    halt(ExitCode::KernelPanic)
}
