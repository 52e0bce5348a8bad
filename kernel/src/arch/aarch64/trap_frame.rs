//! The register state saved on exception entry: defined in the core
//! (`vesper_kernel_core::trap`), where it is host-tested.

pub use vesper_kernel_core::trap::{TrapFrame, TRAP_FRAME_SIZE};
