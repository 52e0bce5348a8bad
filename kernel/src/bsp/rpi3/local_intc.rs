//! The ARM-local interrupt block (BCM2836 "QA7"): routes each core's
//! generic-timer interrupt, the peripherals' interrupt and the cores'
//! mailboxes, and tells each core which source is pending.
//!
//! Mailbox 0 of each core is the kernel's inter-processor interrupt: a
//! core that changed another core's scheduling state (woke, stopped or
//! restarted one of its domains) sets a bit there, and the other core
//! takes an interrupt and decides again. Its level stays up until the
//! receiver clears the bit.

use super::memory_map::{mmio, LOCAL_BASE};
use crate::sync::this_core;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs, LocalRegisterCopy};
use vesper_service::registers::Mmio;

register_bitfields! {u32,
    /// Also the layout of a core's pending sources (`IRQ_SOURCE`), whose
    /// bits 0-3 are the timers and 4-7 the mailboxes.
    pub CONTROL [
        /// The non-secure physical timer (CNTPNS): routed to IRQ, pending.
        CNTPNSIRQ OFFSET(1) NUMBITS(1) [],
        /// Mailbox 0 (the kernel's inter-processor interrupt): routed to
        /// IRQ (in the mailbox control register, bit 0), pending.
        MAILBOX0 OFFSET(4) NUMBITS(1) [],
        /// A peripheral (GPU) interrupt is pending.
        GPU OFFSET(8) NUMBITS(1) []
    ]
}

register_structs! {
    RegisterBlock {
        (0x00 => _reserved0),
        /// Bits 1:0: the core that takes the peripherals' IRQ.
        (0x0c => gpu_routing: ReadWrite<u32>),
        (0x10 => _reserved1),
        (0x40 => timer_control: [ReadWrite<u32, CONTROL::Register>; 4]),
        /// Bit m: mailbox m raises an IRQ while any of its bits is set.
        (0x50 => mailbox_control: [ReadWrite<u32>; 4]),
        (0x60 => irq_source: [ReadOnly<u32, CONTROL::Register>; 4]),
        (0x70 => _reserved2),
        /// Core n's mailbox m is at index 4n + m: set bits here...
        (0x80 => mailbox_set: [WriteOnly<u32>; 16]),
        /// ...read them, and clear them by writing ones.
        (0xc0 => mailbox_clear: [ReadWrite<u32>; 16]),
        (0x100 => @END),
    }
}

fn block() -> Mmio<RegisterBlock> {
    // SAFETY: LOCAL_BASE is the local block in the kernel map.
    unsafe { Mmio::new(mmio(LOCAL_BASE)) }
}

/// Routes this core's physical timer and its mailbox 0 to IRQ, and drops
/// any request already in that mailbox (the one that woke it from boot).
pub fn enable_core_irqs() {
    let core = this_core();
    let block = block();
    block.timer_control[core].write(CONTROL::CNTPNSIRQ::SET);
    block.mailbox_clear[4 * core].set(u32::MAX);
    block.mailbox_control[core].set(1);
}

/// Sends the peripherals' interrupt to `core` (the reset value is core 0).
pub fn route_peripherals_to(core: usize) {
    block().gpu_routing.set(core as u32 & 3);
}

/// Interrupts each core in the bit set `cores` (bit n: core n) through its
/// mailbox 0, once this core's writes are visible to it.
pub fn interrupt_cores(cores: u8) {
    aarch64_cpu::asm::barrier::dsb(aarch64_cpu::asm::barrier::ISHST);
    for core in (0..4).filter(|core| cores & (1 << core) != 0) {
        block().mailbox_set[4 * core].set(1);
    }
}

/// Wakes `core` from the boot stub's wait: enables its mailbox 0 and sets
/// a bit in it (the core clears it in [`enable_core_irqs`]).
pub fn wake_core(core: usize) {
    block().mailbox_control[core].set(1);
    interrupt_cores(1 << core);
}

/// What is pending at this core (`CONTROL` fields), read once per
/// interrupt.
pub type Pending = LocalRegisterCopy<u32, CONTROL::Register>;

/// This core's pending sources.
pub fn pending() -> Pending {
    block().irq_source[this_core()].extract()
}

/// Clears this core's inter-processor interrupt.
pub fn clear_ipi() {
    block().mailbox_clear[4 * this_core()].set(u32::MAX);
}
