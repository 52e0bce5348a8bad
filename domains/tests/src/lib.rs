//! Code the test domains share.

#![no_std]

pub mod ipc;

/// The words `cap-misuse` lends `cap-peer`: recognisable, position-dependent.
pub fn pattern(i: usize) -> u64 {
    (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xA5A5_A5A5_A5A5_A5A5
}

/// Words of the pattern lent.
pub const LENT_WORDS: usize = 64;
