//! Translation tables, as pure data: descriptor encoding, the kernel's
//! linear map built from a board's memory map, and each domain's tables.
//! The board kernel installs them (`arch::aarch64::mmu`).

pub mod descriptor;
pub mod tables;
pub mod user;
