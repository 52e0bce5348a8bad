//! The pure logic of the Vesper nucleus: no hardware, no globals, so it
//! builds and is tested on the host (`cargo test -p vesper-kernel-core`)
//! and the board kernel (`vesper-kernel`) links it.
//!
//! - [`atropos`]: the reservation scheduler between domains.
//! - [`cap`]: the capability tables (look up, mint, delete, move, revoke).
//! - [`console`]: the console ring, its prefixes and escapes.
//! - [`memory`]: which addresses a domain may pass to a system call.
//! - [`image`]: the image's tables as the builder lays them out (the ABI's
//!   types, re-exported).
//! - [`mmu`]: translation-table descriptors, the kernel map, a domain's
//!   tables.
//! - [`trap`]: the exception vector taken and the registers saved.
//! - [`bitset`]: checked bit sets over table indexes.

#![cfg_attr(not(test), no_std)]

pub mod atropos;
pub mod bitset;
pub mod cap;
pub mod console;
pub mod image;
pub mod memory;
pub mod mmu;
pub mod trap;
