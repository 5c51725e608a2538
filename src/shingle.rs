//! shingle.rs: which pieces of text stand for a document?
//!
//! A shingle is `k` consecutive units (see `normalize`), hashed with xxh3-64 over the units'
//! little-endian hashes; with character units (unspaced scripts, or [`ShingleKind::Char`]) the
//! same code yields character k-grams. A document's shingle *set* is sorted and deduplicated.
//!
//! Invariant: shingle hashes depend only on the normalized text and `k`, never on the process,
//! the platform or the seed, so they can be persisted and compared across runs.

use serde::Serialize;
use std::fmt;
use xxhash_rust::xxh3::xxh3_64;

/// What a shingle is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "size", rename_all = "lowercase")]
pub enum ShingleKind {
    /// `k` consecutive word units (unspaced scripts contribute one unit per character).
    Word(u8),
    /// `k` consecutive characters of the normalized words joined by single spaces.
    Char(u8),
}

impl ShingleKind {
    /// The default shingling ([`crate::pipeline::ScanConfig`]'s default): word 3-grams.
    pub const DEFAULT_WORD: ShingleKind = ShingleKind::Word(3);
    /// The default character shingling (`--shingle char` without `--shingle-size`): 5-grams,
    /// about the length of an English word with its space.
    pub const DEFAULT_CHAR: ShingleKind = ShingleKind::Char(5);

    /// The number of units per shingle.
    pub fn size(self) -> usize {
        match self {
            ShingleKind::Word(k) | ShingleKind::Char(k) => usize::from(k),
        }
    }
}

impl fmt::Display for ShingleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShingleKind::Word(k) => write!(f, "word-{k}"),
            ShingleKind::Char(k) => write!(f, "char-{k}"),
        }
    }
}

/// Push the hashes of all `k`-grams of `units` onto `out` (unsorted). A sequence shorter than
/// `k` but not empty yields one shingle of the whole sequence, so that a one-line brief still has
/// something to match on.
pub fn shingles_into(units: &[u64], k: usize, out: &mut Vec<u64>) {
    let k = k.max(1);
    if units.is_empty() {
        return;
    }
    if units.len() < k {
        out.push(xxh3_64(bytemuck::cast_slice(units)));
        return;
    }
    // The bytes hashed are the units' little-endian encodings, fixed by spec on every platform.
    #[cfg(target_endian = "little")]
    let bytes: &[u8] = bytemuck::cast_slice(units);
    #[cfg(not(target_endian = "little"))]
    let le: Vec<[u8; 8]> = units.iter().map(|u| u.to_le_bytes()).collect();
    #[cfg(not(target_endian = "little"))]
    let bytes: &[u8] = le.as_flattened();
    out.extend(bytes.windows(8 * k).step_by(8).map(xxh3_64));
}

/// Sort and deduplicate a shingle vector into a set.
pub fn into_set(mut v: Vec<u64>) -> Vec<u64> {
    v.sort_unstable();
    v.dedup();
    v
}

/// Character units of already-normalized words: every character, with one space between words,
/// hashed alone with `normalize::unit_hash`; `Char(k)` shingles are k-grams over these.
pub fn char_units(words: &[String], out: &mut Vec<u64>) {
    let mut buf = [0u8; 4];
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(crate::normalize::unit_hash(" "));
        }
        for c in w.chars() {
            out.push(crate::normalize::unit_hash(c.encode_utf8(&mut buf)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kgram_counts() {
        let mut v = Vec::new();
        shingles_into(&[1, 2, 3, 4], 3, &mut v);
        assert_eq!(v.len(), 2);
        v.clear();
        shingles_into(&[1, 2], 3, &mut v);
        assert_eq!(v.len(), 1);
        v.clear();
        shingles_into(&[], 3, &mut v);
        assert!(v.is_empty());
    }

    #[test]
    fn shingles_are_stable_by_spec() {
        // The hash itself: xxh3-64 of the empty input, from the xxHash specification's test
        // vectors. A dependency that changed its output would fail here first.
        assert_eq!(xxh3_64(b""), 0x2d06_8005_38d3_94c2);
        // Golden values, literal, produced by normalizer version 2 and unchanged in version 3
        // (which folds only non-ASCII digits and letters; this text is ASCII). Persisted
        // indexes hold these numbers: a change to the scheme (byte order, windowing, the
        // short-sequence rule, unit hashing) fails here, and may only land with a new
        // normalizer version and new golden values, never silently.
        let mut v = Vec::new();
        shingles_into(&[1, 2, 3], 2, &mut v);
        assert_eq!(v, [GOLDEN_1_2, GOLDEN_2_3]);
        v.clear();
        shingles_into(&[1, 2], 3, &mut v);
        assert_eq!(
            v,
            [GOLDEN_1_2],
            "a short sequence is one shingle of all its units"
        );
        // Real text through the normalizer: word 3-grams of four words.
        let u = crate::normalize::units(
            "The QUICK brown fox",
            crate::normalize::UnspacedScripts::Characters,
        );
        v.clear();
        shingles_into(&u.units, 3, &mut v);
        assert_eq!(v, GOLDEN_TEXT);
    }

    const GOLDEN_1_2: u64 = 0x07ee_86c2_8144_6bef;
    const GOLDEN_2_3: u64 = 0x90ea_ca64_a601_9570;
    const GOLDEN_TEXT: [u64; 2] = [0x1609_39b0_83d9_ec9b, 0xe067_714b_7db7_7a97];
}
