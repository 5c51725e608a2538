//! verify.rs: how similar are two documents, exactly?
//!
//! Candidates from the LSH index are only likely matches; this module scores them exactly from
//! their sorted, deduplicated shingle sets: Jaccard |A∩B|/|A∪B| and both containments |A∩B|/|A|
//! and |A∩B|/|B|. Pure functions, no allocation.

use serde::Serialize;

/// Exact similarity of two shingle sets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Similarity {
    /// |A∩B| / |A∪B|.
    pub jaccard: f64,
    /// |A∩B| / |A|: how much of A is found in B.
    pub containment_a: f64,
    /// |A∩B| / |B|: how much of B is found in A.
    pub containment_b: f64,
}

impl Similarity {
    /// Containment of the smaller side (the overlap coefficient |A∩B| / min(|A|,|B|)): how much
    /// of the shorter text is found in the longer one. This is what a cut or wrapped copy keeps.
    pub fn overlap(&self) -> f64 {
        self.containment_a.max(self.containment_b)
    }

    /// The similarity with the two sides swapped.
    pub fn swapped(self) -> Similarity {
        Similarity {
            jaccard: self.jaccard,
            containment_a: self.containment_b,
            containment_b: self.containment_a,
        }
    }
}

/// Size of the intersection of two sorted, deduplicated slices.
///
/// With AVX2 (checked at run time), blocks of four are compared all against all (four vector
/// compares against the rotations of the other block) and the block with the smaller last
/// element moves on, as in Schlegel, Willhalm and Lehner's SIMD intersection (ADMS 2011); the
/// tails, and CPUs without AVX2, take the branch-free merge. Each equal pair is seen in exactly
/// one compared pair of blocks: a block is left only once the other side has passed its last
/// element. A plain-Rust form of the same blocks (sixteen scalar compares, auto-vectorized) gained
/// 6 % on the `stage/verify` bench; the intrinsics gain 30 %.
pub fn intersection_size(a: &[u64], b: &[u64]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        #[allow(unsafe_code)]
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { blocks_avx2(a, b) };
    }
    merge_size(a, b)
}

/// [`intersection_size`] in blocks of four with AVX2 compares.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn blocks_avx2(a: &[u64], b: &[u64]) -> usize {
    use std::arch::x86_64::*;
    let (mut i, mut j, mut n) = (0, 0, 0);
    while let (Some(x), Some(y)) = (a.get(i..i + 4), b.get(j..j + 4)) {
        let (x, y): ([u64; 4], [u64; 4]) = match (x.try_into(), y.try_into()) {
            (Ok(x), Ok(y)) => (x, y),
            _ => break,
        };
        let (vx, vy): (__m256i, __m256i) = (bytemuck::cast(x), bytemuck::cast(y));
        let r1 = _mm256_permute4x64_epi64::<0b00_11_10_01>(vy);
        let r2 = _mm256_permute4x64_epi64::<0b01_00_11_10>(vy);
        let r3 = _mm256_permute4x64_epi64::<0b10_01_00_11>(vy);
        let m = _mm256_or_si256(
            _mm256_or_si256(_mm256_cmpeq_epi64(vx, vy), _mm256_cmpeq_epi64(vx, r1)),
            _mm256_or_si256(_mm256_cmpeq_epi64(vx, r2), _mm256_cmpeq_epi64(vx, r3)),
        );
        n += _mm256_movemask_pd(_mm256_castsi256_pd(m)).count_ones() as usize;
        i += 4 * usize::from(x[3] <= y[3]);
        j += 4 * usize::from(y[3] <= x[3]);
    }
    n + merge_size(&a[i..], &b[j..])
}

/// [`intersection_size`] by a plain merge, one element at a time.
fn merge_size(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        n += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    n
}

/// Exact similarity of two sorted, deduplicated shingle sets. Empty sets have similarity zero
/// with everything, including each other.
pub fn similarity(a: &[u64], b: &[u64]) -> Similarity {
    if a.is_empty() || b.is_empty() {
        return Similarity::default();
    }
    let inter = intersection_size(a, b) as f64;
    let union = (a.len() + b.len()) as f64 - inter;
    Similarity {
        jaccard: inter / union,
        containment_a: inter / a.len() as f64,
        containment_b: inter / b.len() as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_match_definitions() {
        let s = similarity(&[1, 2, 3, 4], &[3, 4, 5]);
        assert!((s.jaccard - 2.0 / 5.0).abs() < 1e-12);
        assert!((s.containment_a - 0.5).abs() < 1e-12);
        assert!((s.containment_b - 2.0 / 3.0).abs() < 1e-12);
        assert!((s.overlap() - 2.0 / 3.0).abs() < 1e-12);
    }

    proptest::proptest! {
        /// The block intersection counts what the plain merge counts, for sets of any sizes
        /// and overlaps (values from a small range, so that many are shared).
        #[test]
        fn blocks_count_what_the_merge_counts(
            a in proptest::collection::btree_set(0u64..200, 0..120),
            b in proptest::collection::btree_set(0u64..200, 0..120),
        ) {
            let (a, b): (Vec<u64>, Vec<u64>) = (a.into_iter().collect(), b.into_iter().collect());
            proptest::prop_assert_eq!(intersection_size(&a, &b), merge_size(&a, &b));
            proptest::prop_assert_eq!(intersection_size(&b, &a), merge_size(&a, &b));
        }
    }

    #[test]
    fn empty_sets_never_match() {
        assert_eq!(similarity(&[], &[]).jaccard, 0.0);
        assert_eq!(similarity(&[1], &[]).overlap(), 0.0);
    }
}
