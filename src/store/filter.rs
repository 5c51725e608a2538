//! store/filter.rs: can a segment hold this key at all? A split-block Bloom filter over every
//! key the per-key lookups search (line counts, shingle frequencies, band and window buckets),
//! so that a key the segment lacks costs one 32-byte block instead of a binary search.
//!
//! The filter is Apache Parquet's split-block Bloom filter (SBBF, `BloomFilter.md` of
//! parquet-format): blocks of eight 32-bit words; a 64-bit hash picks the block with its upper
//! half (`(hash >> 32) * blocks >> 32`) and one bit in each word with its lower half times
//! eight fixed salts (`(low * salt[i]) >> 27`). A key's hash is xxh3-64 of its eight
//! little-endian bytes seeded by the table it belongs to, so the same key in two tables sets
//! different bits, and the bits written are fixed by the two specifications. Written here, not
//! taken from a crate: the crates that implement the spec either own their buffer (a segment
//! would have to copy its filter out of the mapping at open, so open time would grow with the
//! index) or probe through raw pointers, which this crate's `unsafe_code = "deny"` rules out.
//!
//! Sizing: [`BITS_PER_KEY`] bits per key, about 0.5 % false positives (a false positive only
//! costs the binary search the filter would have spared; there are no false negatives).

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Parquet's salts, one per word of a block.
const SALT: [u32; 8] = [
    0x47b6_137b,
    0x4497_4d91,
    0x8824_ad5b,
    0xa2b7_289d,
    0x7054_95c7,
    0x2df1_424b,
    0x9efc_4947,
    0x5c6b_fb31,
];

/// 32-bit words per block (256 bits).
pub(super) const BLOCK_WORDS: usize = 8;

/// Filter bits per key: 12 gives about 0.5 % false positives for an SBBF (10 would give
/// 1.3 %, 16 0.13 %: simulated with random hashes).
pub(super) const BITS_PER_KEY: usize = 12;

/// The table a key is looked up in (its hash seed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Table {
    LineGlobal,
    LineSite,
    Df,
    /// A band of the LSH table.
    Band(usize),
    /// A band of the window table.
    Window(usize),
}

impl Table {
    fn seed(self) -> u64 {
        match self {
            Table::LineGlobal => 1,
            Table::LineSite => 2,
            Table::Df => 3,
            Table::Band(b) => 1 << 32 | b as u64,
            Table::Window(b) => 2 << 32 | b as u64,
        }
    }
}

/// The filter hash of `key` in `table`.
pub(super) fn hash(table: Table, key: u64) -> u64 {
    xxh3_64_with_seed(&key.to_le_bytes(), table.seed())
}

/// Blocks of a filter for `keys` keys: never none, at most `u32::MAX` (the block choice
/// multiplies by the count in 64 bits).
pub(super) fn blocks_for(keys: usize) -> usize {
    keys.saturating_mul(BITS_PER_KEY)
        .div_ceil(BLOCK_WORDS * 32)
        .clamp(1, u32::MAX as usize)
}

/// The block `hash` falls in, of `blocks` (at most `u32::MAX`).
pub(super) fn block_of(hash: u64, blocks: usize) -> usize {
    (((hash >> 32) * blocks as u64) >> 32) as usize
}

fn mask(hash: u64) -> [u32; BLOCK_WORDS] {
    let low = hash as u32;
    SALT.map(|s| 1u32 << (low.wrapping_mul(s) >> 27))
}

/// A filter being written: `blocks_for(keys) * BLOCK_WORDS` words.
pub(super) struct Builder {
    pub(super) words: Vec<u32>,
}

impl Builder {
    pub(super) fn new(keys: usize) -> Builder {
        Builder {
            words: vec![0; blocks_for(keys) * BLOCK_WORDS],
        }
    }

    pub(super) fn insert(&mut self, table: Table, key: u64) {
        let h = hash(table, key);
        let b = block_of(h, self.words.len() / BLOCK_WORDS) * BLOCK_WORDS;
        for (w, m) in self.words[b..b + BLOCK_WORDS].iter_mut().zip(mask(h)) {
            *w |= m;
        }
    }
}

/// Whether `block` (the block [`block_of`] picked) has every bit of `hash`: false means the key
/// was never inserted.
pub(super) fn block_holds(block: &[u32], hash: u64) -> bool {
    block.len() == BLOCK_WORDS && block.iter().zip(mask(hash)).all(|(w, m)| w & m != 0)
}

/// Whether a whole filter, held as `words`, may hold `key` of `table`.
pub(super) fn holds(words: &[u32], table: Table, key: u64) -> bool {
    let h = hash(table, key);
    let b = block_of(h, words.len() / BLOCK_WORDS) * BLOCK_WORDS;
    words
        .get(b..b + BLOCK_WORDS)
        .is_some_and(|block| block_holds(block, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_inserted_key_is_held_and_few_others_are() {
        let keys: Vec<u64> = (0..20_000u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        let mut f = Builder::new(keys.len());
        for &k in &keys {
            f.insert(Table::Df, k);
        }
        assert!(keys.iter().all(|&k| holds(&f.words, Table::Df, k)));
        // The same keys in another table, and other keys, are false positives only.
        let others = keys
            .iter()
            .filter(|&&k| holds(&f.words, Table::Band(3), k))
            .count()
            + (1..=20_000u64)
                .filter(|&k| holds(&f.words, Table::Df, k))
                .count();
        assert!(others < 40_000 / 100, "{others} false positives of 40,000");
    }

    #[test]
    fn the_bits_follow_the_parquet_spec() {
        // One key in a one-block filter sets exactly one bit per word, the one the spec's salt
        // picks from the hash's lower half.
        let mut f = Builder::new(1);
        f.insert(Table::LineGlobal, 42);
        let low = hash(Table::LineGlobal, 42) as u32;
        for (i, w) in f.words.iter().enumerate() {
            assert_eq!(*w, 1 << (low.wrapping_mul(SALT[i]) >> 27), "word {i}");
        }
        assert_eq!(blocks_for(0), 1);
        assert_eq!(blocks_for(1000), 47);
        assert_eq!(block_of(u64::MAX, 10), 9);
        assert_eq!(block_of(0, 10), 0);
    }
}
