//! Board support. Vesper runs on the Raspberry Pi 3 (BCM2837).

pub mod rpi3;
