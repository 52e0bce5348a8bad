//! The image's tables, as the image builder lays them out for the kernel:
//! the ABI's types ([`vesper_abi::image`], defined once for the builder and
//! the kernel), and how they become the core's own.
//!
//! The builder turns a manifest into Rust source that builds these values
//! (`image_config.rs`, compiled into the kernel), so the kernel parses no
//! text at boot; `domain::setup` still checks every entry before trusting
//! it.

use crate::atropos::Reservation;
pub use vesper_abi::image::*;

/// The reservation a manifest gives becomes the one Atropos admits.
impl From<ReservationConfig> for Reservation {
    fn from(config: ReservationConfig) -> Self {
        let ReservationConfig { period_ns, slice_ns, latency_ns, extra } = config;
        Self { period_ns, slice_ns, extra, latency_ns }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_reservation_keeps_its_fields() {
        let config =
            ReservationConfig { period_ns: 10_000, slice_ns: 2_000, latency_ns: 500, extra: true };
        assert_eq!(
            Reservation::from(config),
            Reservation { period_ns: 10_000, slice_ns: 2_000, extra: true, latency_ns: 500 }
        );
    }
}
