//! The Vesper image builder: compiles the kernel for `aarch64-unknown-none`
//! and turns its ELF into the flat `kernel8.img` that the Raspberry Pi
//! firmware (and QEMU's `-kernel`) load at physical 0x80000.
//!
//! Used by `cargo xtask` and by the QEMU integration tests.

mod cargo;
pub mod flat;

pub use cargo::{build_kernel, KernelImage, KernelVariant, KERNEL_TARGET};
