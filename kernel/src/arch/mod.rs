//! Architecture-specific code, reached by the rest of the kernel through
//! this one layer: generic code names `arch::time`, never
//! `arch::aarch64::time`. Vesper runs on AArch64 only; another architecture
//! would add its folder and change these lines. The architecture knows no
//! board: what it needs of one (the memory map) it is given.

mod aarch64;

pub use aarch64::{cache, cpu, fpu, init, log_cpu_info, mmu, time, timer, trap_frame, user};
// Read by the `bench_mark` system call, in benchmark kernels only.
#[cfg(feature = "bench")]
pub use aarch64::pmu;
// Host files for the scheduling trace, in QEMU images only.
#[cfg(feature = "semihosting")]
pub use aarch64::semihosting;
