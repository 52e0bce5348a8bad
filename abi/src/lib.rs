//! The Vesper ABI: everything the kernel and a domain must agree on, defined
//! once and used by both (and by the image builder).
//!
//! - [`syscall`]: the system call numbers, calling convention and errors.
//! - [`cap`]: capability handles, kinds and rights.
//! - [`dcb`]: the domain control block, in Nemesis's two halves.
//! - [`image`]: the image's tables, which the image builder fills from a
//!   manifest and the kernel compiles in.
//! - [`image_check`]: the boot check of the image's domain entries, which
//!   the builder runs too.
//! - [`layout`]: where a domain's memory lies in the single address space.
//! - [`console`]: how console lines show who wrote them.
//! - [`chainload`]: how the host sends a kernel to the serial chainloader.
//! - [`trace`]: scheduling trace records and the file that carries them.
//! - [`syndrome`]: exception syndromes (a fault's), decoded.

#![no_std]

pub mod cap;
pub mod chainload;
pub mod console;
pub mod dcb;
pub mod image;
pub mod image_check;
pub mod layout;
pub mod syndrome;
pub mod syscall;
pub mod trace;
