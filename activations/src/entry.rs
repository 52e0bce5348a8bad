//! The activation entry (`entry.s`) and the user-level context switch.

use vesper_abi::dcb::Context;

core::arch::global_asm!(include_str!("entry.s"));

extern "C" {
    /// Saves the caller's callee-saved state in `context` and runs `then`;
    /// returns when `context` is resumed with `rfa`.
    pub fn vesper_switch_out(context: *mut Context, then: extern "C" fn() -> !);
}
