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

/// How many cores the image runs domains on: 1 + the highest `core` of a
/// domain (cores past it stay parked).
pub const CORES_USED: usize = {
    let mut used = 1;
    let mut index = 0;
    while index < DOMAINS.len() {
        let core = DOMAINS[index].core;
        if core < vesper_abi::layout::CORES && core >= used {
            used = core + 1;
        }
        index += 1;
    }
    used
};
