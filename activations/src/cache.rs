//! Data cache maintenance for memory a device reads or writes behind the
//! CPU's caches (the VideoCore's property messages and framebuffer): the
//! kernel lets EL0 clean and invalidate by address (SCTLR_EL1.UCI), on
//! memory the domain maps. QEMU has no caches to keep coherent and accepts
//! both; a physical Pi 3 needs them.

/// A data cache line of the Cortex-A53, in bytes.
pub const LINE: usize = 64;

/// Cleans the lines of `[address, address + len)` to the point of
/// coherency: a device then reads what the CPU wrote.
pub fn clean(address: usize, len: usize) {
    for line in lines(address, len) {
        // SAFETY: `dc cvac` on a line the caller maps; it changes no value,
        // only where it is held.
        unsafe { core::arch::asm!("dc cvac, {}", in(reg) line, options(nostack)) };
    }
    barrier();
}

/// Cleans and invalidates the lines of `[address, address + len)`: a
/// device then reads what the CPU wrote, and the CPU what the device
/// writes next.
pub fn clean_invalidate(address: usize, len: usize) {
    for line in lines(address, len) {
        // SAFETY: `dc civac` on a line the caller maps; it changes no value,
        // only where it is held.
        unsafe { core::arch::asm!("dc civac, {}", in(reg) line, options(nostack)) };
    }
    barrier();
}

/// The lines `[address, address + len)` touches.
fn lines(address: usize, len: usize) -> impl Iterator<Item = usize> {
    (address & !(LINE - 1)..address.saturating_add(len)).step_by(LINE)
}

/// Waits until the maintenance is done, before the device is told.
fn barrier() {
    // SAFETY: a barrier; it touches no memory.
    unsafe { core::arch::asm!("dsb sy", options(nostack)) };
}
