//! Board support, reached by the rest of the kernel through this one layer:
//! generic code names `bsp::intc`, never `bsp::rpi3::intc`. Vesper runs on
//! the Raspberry Pi 3 (BCM2837); another board would add its folder and
//! change these lines.

mod rpi3;

pub use rpi3::{console, init_console, intc, local_intc, mailbox, memory_map};
