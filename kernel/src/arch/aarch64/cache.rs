//! Cache maintenance: for memory shared with other bus masters (the
//! VideoCore reads mailbox messages straight from RAM), and for code the
//! kernel copies into place (domain programs).

use core::arch::asm;

/// The Cortex-A53's data cache line size in bytes.
const CACHE_LINE: usize = 64;

/// The start address of every cache line that `[start, start + len)` touches.
fn lines(start: usize, len: usize) -> impl Iterator<Item = usize> {
    (start & !(CACHE_LINE - 1)..start + len).step_by(CACHE_LINE)
}

/// Cleans and invalidates every data cache line of `[start, start + len)`
/// to the point of coherency, so that another bus master sees what the CPU
/// wrote and the CPU then sees what the other master writes.
pub fn clean_invalidate(start: usize, len: usize) {
    for line in lines(start, len) {
        // SAFETY: `dc civac` only moves data between cache and memory; it
        // changes no memory contents as seen by this CPU.
        unsafe { asm!("dc civac, {}", in(reg) line, options(nostack, preserves_flags)) };
    }
    // SAFETY: a barrier has no memory effects of its own.
    unsafe { asm!("dsb sy", options(nostack, preserves_flags)) };
}

/// Makes instructions written through the data cache visible to
/// instruction fetch on every core: cleans `[start, start + len)` to the
/// point of unification and invalidates the instruction caches of the
/// inner-shareable domain (a domain restarted from another core runs on
/// its own).
pub fn sync_instructions(start: usize, len: usize) {
    for line in lines(start, len) {
        // SAFETY: cleaning a line writes it back; contents stay the same.
        unsafe { asm!("dc cvau, {}", in(reg) line, options(nostack, preserves_flags)) };
    }
    // SAFETY: barriers and instruction cache invalidation have no effect on
    // memory contents.
    unsafe { asm!("dsb ish", "ic ialluis", "dsb ish", "isb", options(nostack, preserves_flags)) };
}
