//! Architecture-specific code. Vesper runs on AArch64 only.

pub mod aarch64;
