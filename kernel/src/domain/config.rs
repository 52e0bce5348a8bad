//! The image's domains, as the image builder laid them out: the table
//! types are the ABI's (`vesper_abi::image`, re-exported by the core), the
//! values the builder's generated `image_config.rs`, which imports the
//! names it uses itself (or, for a kernel built without a manifest,
//! `kernel/image_config.kernel-only.rs`, rendered by the builder too).

pub use vesper_kernel_core::image::*;

include!(concat!(env!("OUT_DIR"), "/image_config.rs"));

/// How many cores the image runs domains on (cores past them stay parked).
pub const CORES_USED: usize = vesper_kernel_core::image::cores_used(DOMAINS);
