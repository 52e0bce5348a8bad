//! The image's domains, as the image builder laid them out: the table
//! types are the core's (`vesper_kernel_core::image`), the values the
//! builder's generated `image_config.rs`.

pub use vesper_kernel_core::image::*;
// The names the generated table uses besides the image types; an image
// without domains or capabilities uses none of them.
#[allow(unused_imports)]
use {
    vesper_abi::cap::Rights, vesper_kernel_core::atropos::Reservation,
    vesper_kernel_core::cap::Object,
};

include!(concat!(env!("OUT_DIR"), "/image_config.rs"));

/// Whether a reservation's period and slice are at least the board's
/// minimum (`[timing]` in its description), the check behind both the
/// boot check and `reservation_set`.
pub fn meets_minimum(period_ns: u64, slice_ns: u64) -> bool {
    period_ns >= MIN_PERIOD_NS && slice_ns >= MIN_SLICE_NS
}
