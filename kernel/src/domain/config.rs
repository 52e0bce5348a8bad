//! The image's domains, as the image builder laid them out: the table
//! types are the ABI's (`vesper_abi::image`, re-exported by the core), the
//! values the builder's generated `image_config.rs`, which imports the
//! names it uses itself (or, for a kernel built without a manifest,
//! `kernel/image_config.kernel-only.rs`, rendered by the builder too).

pub use vesper_kernel_core::image::*;

include!(concat!(env!("OUT_DIR"), "/image_config.rs"));

/// Whether a reservation's period and slice are at least the board's
/// minimum (`[timing]` in its description), the check behind both the
/// boot check and `reservation_set`.
pub fn meets_minimum(period_ns: u64, slice_ns: u64) -> bool {
    period_ns >= MIN_PERIOD_NS && slice_ns >= MIN_SLICE_NS
}
