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
pub fn intersection_size(a: &[u64], b: &[u64]) -> usize {
    // Galloping would help for very different sizes; news pages differ by at most ~10x, where
    // the plain merge is faster.
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

    #[test]
    fn empty_sets_never_match() {
        assert_eq!(similarity(&[], &[]).jaccard, 0.0);
        assert_eq!(similarity(&[1], &[]).overlap(), 0.0);
    }
}
