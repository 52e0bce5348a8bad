//! A small seeded pseudo-random generator for the lottery.

/// PCG32 (O'Neill's permuted congruential generator, XSH-RR output): 64
/// bits of state, 32-bit outputs, good statistical quality, and the same
/// sequence for the same seed on every machine, so lottery runs reproduce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pcg32 {
    state: u64,
    increment: u64,
}

const MULTIPLIER: u64 = 6_364_136_223_846_793_005;
/// The stream selector (any odd constant).
const INCREMENT: u64 = 1_442_695_040_888_963_407;

impl Pcg32 {
    /// A generator seeded with `seed`.
    pub const fn new(seed: u64) -> Self {
        let mut rng = Self { state: 0, increment: INCREMENT };
        rng.state = rng.state.wrapping_mul(MULTIPLIER).wrapping_add(rng.increment);
        rng.state = rng.state.wrapping_add(seed);
        rng.state = rng.state.wrapping_mul(MULTIPLIER).wrapping_add(rng.increment);
        rng
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        let old = self.state;
        self.state = old.wrapping_mul(MULTIPLIER).wrapping_add(self.increment);
        // The output permutation: xorshift high bits, then a random rotation.
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        let rotation = (old >> 59) as u32;
        xorshifted.rotate_right(rotation)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        (u64::from(self.next_u32()) << 32) | u64::from(self.next_u32())
    }

    /// A number in `0..bound` (0 if `bound` is 0), by Lemire's
    /// multiply-shift: the bias is below `bound / 2^64`, and no loop.
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Pcg32::new(42);
        let mut b = Pcg32::new(42);
        let mut c = Pcg32::new(43);
        let xs: Vec<u32> = (0..8).map(|_| a.next_u32()).collect();
        let ys: Vec<u32> = (0..8).map(|_| b.next_u32()).collect();
        let zs: Vec<u32> = (0..8).map(|_| c.next_u32()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Pcg32::new(7);
        assert_eq!(rng.below(0), 0);
        let mut seen = [0u32; 10];
        for _ in 0..10_000 {
            let x = rng.below(10) as usize;
            seen[x] += 1;
        }
        // Each bucket expects 1000; 5 sigma is about 150.
        assert!(seen.iter().all(|&n| (850..=1150).contains(&n)), "{seen:?}");
    }
}
