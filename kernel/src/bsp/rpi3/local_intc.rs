//! The ARM-local interrupt block (BCM2836 "QA7"): routes each core's
//! generic-timer interrupts and tells which source is pending.

use super::memory_map::{mmio, LOCAL_BASE};
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite};
use tock_registers::{register_bitfields, register_structs};
use vesper_service::registers::Mmio;

register_bitfields! {u32,
    TIMER_CONTROL [
        /// Route the non-secure physical timer (CNTPNS) to IRQ.
        CNTPNSIRQ OFFSET(1) NUMBITS(1) []
    ],
    IRQ_SOURCE [
        /// The non-secure physical timer is pending.
        CNTPNSIRQ OFFSET(1) NUMBITS(1) [],
        /// A GPU (peripheral) interrupt is pending.
        GPU OFFSET(8) NUMBITS(1) []
    ]
}

register_structs! {
    RegisterBlock {
        (0x00 => _reserved0),
        (0x40 => core0_timer_control: ReadWrite<u32, TIMER_CONTROL::Register>),
        (0x44 => _reserved1),
        (0x60 => core0_irq_source: ReadOnly<u32, IRQ_SOURCE::Register>),
        (0x64 => @END),
    }
}

fn block() -> Mmio<RegisterBlock> {
    // SAFETY: LOCAL_BASE is the local block in the kernel map.
    unsafe { Mmio::new(mmio(LOCAL_BASE)) }
}

/// Routes core 0's physical timer interrupt to IRQ.
pub fn enable_timer_irq() {
    block().core0_timer_control.write(TIMER_CONTROL::CNTPNSIRQ::SET);
}

/// Whether core 0's physical timer interrupt is pending.
pub fn timer_pending() -> bool {
    block().core0_irq_source.is_set(IRQ_SOURCE::CNTPNSIRQ)
}

/// Whether a peripheral (GPU) interrupt is pending at core 0, which
/// receives them all (the routing register's reset value).
pub fn peripheral_pending() -> bool {
    block().core0_irq_source.is_set(IRQ_SOURCE::GPU)
}

/// The raw pending-source word of core 0, for reports.
pub fn pending_sources() -> u32 {
    block().core0_irq_source.get()
}
