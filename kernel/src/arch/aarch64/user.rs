//! Running domains at EL0: their address space, their register state, and
//! the first entry into one.

use super::trap_frame::TrapFrame;
use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::{TCR_EL1, TTBR0_EL1};
use tock_registers::interfaces::{ReadWriteable, Writeable};
use vesper_abi::dcb::{Context, PSTATE_USER_MASK};

/// PSTATE for EL0: AArch64, EL0t, interrupts enabled.
const SPSR_EL0: u64 = 0;

extern "C" {
    fn enter_user(frame: *const TrapFrame) -> !;
    fn copy_registers(dst: *mut u64, src: *const u64);
    fn clear_registers(frame: *mut TrapFrame);
}

// `copy_registers` relies on the two layouts sharing their first 34 words.
const _: () = {
    use core::mem::offset_of;
    assert!(offset_of!(TrapFrame, x) == offset_of!(Context, x));
    assert!(offset_of!(TrapFrame, sp_el0) == offset_of!(Context, sp));
    assert!(offset_of!(TrapFrame, elr) == offset_of!(Context, pc));
    assert!(offset_of!(TrapFrame, spsr) == offset_of!(Context, pstate));
};

/// TTBR0_EL1's value for a domain: its level-1 table and its ASID.
pub fn ttbr0(l1_phys: u64, asid: u16) -> u64 {
    (u64::from(asid) << 48) | l1_phys
}

/// Turns on translation of the lower half, which boot left off.
pub fn enable_user_address_spaces() {
    TCR_EL1.modify(TCR_EL1::EPD0::EnableTTBR0Walks);
    barrier::isb(barrier::SY);
}

/// Makes the lower half the address space `ttbr0` describes. ASIDs keep
/// each domain's TLB entries apart, so nothing is flushed.
pub fn switch_address_space(ttbr0: u64) {
    TTBR0_EL1.set(ttbr0);
    barrier::isb(barrier::SY);
}

/// Makes changed translation tables of address space `asid` take effect
/// on every core: the table writes complete before any walk, and the TLBs
/// of all cores (the inner-shareable domain) forget the address space's
/// old entries before this returns, so a domain running on another core
/// faults on its next access to a page taken away.
pub fn flush_address_space(asid: u16) {
    barrier::dsb(barrier::ISHST);
    // SAFETY: invalidates cached translations of one ASID; nothing else.
    unsafe { core::arch::asm!("tlbi aside1is, {}", in(reg) u64::from(asid) << 48) };
    barrier::dsb(barrier::ISH);
    barrier::isb(barrier::SY);
}

/// Copies the general registers of an interrupted domain into `context`.
pub fn save_registers(frame: &TrapFrame, context: &mut Context) {
    // SAFETY: both start with the same 34 words (checked above).
    unsafe { copy_registers((context as *mut Context).cast(), (frame as *const TrapFrame).cast()) }
}

/// Makes `frame` resume `context`. Of the saved PSTATE only the condition
/// flags are kept: a domain cannot choose its exception level or mask
/// interrupts.
pub fn load_registers(frame: &mut TrapFrame, context: &Context) {
    // SAFETY: both start with the same 34 words (checked above).
    unsafe { copy_registers((frame as *mut TrapFrame).cast(), (context as *const Context).cast()) }
    frame.spsr = SPSR_EL0 | (frame.spsr & PSTATE_USER_MASK);
}

/// Makes `frame` an upcall: `pc(arg0, arg1)` on stack `sp`, every other
/// register zero.
pub fn load_upcall(frame: &mut TrapFrame, pc: u64, sp: u64, arg0: u64, arg1: u64) {
    // SAFETY: writes x2-x30 of the frame, nothing else.
    unsafe { clear_registers(frame) };
    frame.x[0] = arg0;
    frame.x[1] = arg1;
    frame.sp_el0 = sp;
    frame.elr = pc;
    frame.spsr = SPSR_EL0;
}

/// Leaves the kernel for the first time, into the domain `frame` describes.
pub fn enter(frame: &TrapFrame) -> ! {
    // SAFETY: `frame` is a complete EL0 frame (load_upcall or
    // load_registers made it); vectors.s restores it and erets.
    unsafe { enter_user(frame) }
}
