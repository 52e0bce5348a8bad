//! Sets of table indexes kept as the bits of one word.
//!
//! Every fixed-width mask over a table goes through this type, so that an
//! index the set cannot hold is never shifted into the word: `contains` of
//! such an index is `false` and `insert` refuses it. (A raw `1 << i` over a
//! 32-bit mask once wrapped for region 32 onto region 0, and mapped a
//! device into a domain that held only region 0.)

/// A set of indexes below `N` (at most 64).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IndexSet<const N: usize>(u64);

impl<const N: usize> IndexSet<N> {
    const FITS_IN_A_WORD: () = assert!(N <= u64::BITS as usize);

    /// The empty set.
    pub const EMPTY: Self = Self(0);

    /// The bit of `index`, or 0 if the set cannot hold it.
    const fn bit(index: usize) -> u64 {
        let () = Self::FITS_IN_A_WORD;
        if index < N {
            1 << index
        } else {
            0
        }
    }

    /// The set holding `index` alone (empty if it cannot hold it).
    pub const fn of(index: usize) -> Self {
        Self(Self::bit(index))
    }

    /// The set as a word, bit `i` for index `i` (for an atomic copy).
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// The set a word made by [`IndexSet::bits`] stands for (bits past
    /// `N` are dropped).
    pub const fn from_bits(bits: u64) -> Self {
        Self(bits & (u64::MAX >> (u64::BITS as usize - N)))
    }

    /// Whether `index` is in the set.
    pub const fn contains(self, index: usize) -> bool {
        self.0 & Self::bit(index) != 0
    }

    /// Adds `index`; returns `false` (and changes nothing) if it is not
    /// below `N`.
    pub fn insert(&mut self, index: usize) -> bool {
        self.0 |= Self::bit(index);
        index < N
    }

    /// Removes `index` (nothing happens if it is not in the set).
    pub fn remove(&mut self, index: usize) {
        self.0 &= !Self::bit(index);
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The indexes in exactly one of `self` and `other`.
    pub const fn symmetric_difference(self, other: Self) -> Self {
        Self(self.0 ^ other.0)
    }

    /// The union of `self` and `other`.
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The members, in increasing order (each found by counting zeros, so
    /// that a sparse set costs its members, not its width).
    pub fn iter(self) -> impl Iterator<Item = usize> {
        let mut rest = self.0;
        core::iter::from_fn(move || {
            let index = rest.trailing_zeros() as usize;
            rest &= rest.wrapping_sub(1);
            (index < N).then_some(index)
        })
    }
}

impl<const N: usize> FromIterator<usize> for IndexSet<N> {
    /// Collects the indexes below `N`; any other is left out.
    fn from_iter<I: IntoIterator<Item = usize>>(indexes: I) -> Self {
        indexes.into_iter().fold(Self::EMPTY, |set, index| set.union(Self::of(index)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_past_the_width_never_alias_a_member() {
        let mut set = IndexSet::<32>::EMPTY;
        assert!(!set.insert(32), "32 does not fit a 32-index set");
        assert!(!set.insert(64));
        assert!(set.is_empty(), "a refused index changes nothing");
        assert!(set.insert(0));
        assert!(set.contains(0));
        assert!(!set.contains(32), "32 is not 0 modulo the width");
        assert!(!set.contains(usize::MAX));
    }

    #[test]
    fn set_operations() {
        let a: IndexSet<16> = [1, 3, 15, 16, 40].into_iter().collect();
        assert_eq!(a.iter().collect::<Vec<_>>(), [1, 3, 15]);
        let b: IndexSet<16> = [3, 4].into_iter().collect();
        assert_eq!(a.symmetric_difference(b).iter().collect::<Vec<_>>(), [1, 4, 15]);
        assert_eq!(a.union(b).iter().collect::<Vec<_>>(), [1, 3, 4, 15]);
        let mut c = a;
        c.remove(3);
        c.remove(99);
        assert_eq!(c.iter().collect::<Vec<_>>(), [1, 15]);
    }

    #[test]
    fn a_word_copy_holds_the_same_set() {
        let a: IndexSet<16> = [0, 7, 15].into_iter().collect();
        assert_eq!(IndexSet::<16>::from_bits(a.bits()), a);
        assert_eq!(IndexSet::<16>::from_bits(u64::MAX).iter().count(), 16, "bits past N dropped");
        assert_eq!(IndexSet::<64>::from_bits(u64::MAX).iter().count(), 64);
        assert_eq!(IndexSet::<16>::of(7).iter().collect::<Vec<_>>(), [7]);
        assert!(IndexSet::<16>::of(16).is_empty(), "an index the set cannot hold");
    }
}
