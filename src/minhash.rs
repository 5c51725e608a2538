//! minhash.rs: how do we summarize a shingle set in a fixed, comparable size?
//!
//! A [`MinHasher`] maps a shingle set to `num_perm` minima of hash functions over 32 bits,
//! `h_i(x) = (fold(x) ^ s_i) * m_i mod 2^32` with `fold(x) = lo32(x) ^ hi32(x)` and `m_i` odd:
//! each `h_i` is a bijection of u32, and shingle hashes are already uniform (xxh3), so the
//! minima behave as those of independent random permutations (a property test checks the
//! estimate against exact Jaccard at five standard deviations). 32-bit lanes let the kernel run
//! 16 functions per AVX-512 instruction. The share of equal positions of two signatures estimates
//! the Jaccard similarity of the sets. The `s_i, m_i` come from the seed through SplitMix64, so a
//! signature is reproducible from its [`SignatureParams`] alone.
//!
//! Invariant: a signature always travels with the parameters that made it, and comparing two
//! signatures with different parameters is an [`Error`], never a number. The kernel is compiled
//! for AVX-512, AVX2 and baseline x86-64 and picked at run time (`multiversion`); all give the
//! same bits.

use crate::error::{Error, Result};
use crate::normalize::NORMALIZER_VERSION;
use crate::shingle::ShingleKind;
use serde::Serialize;

/// Everything that determines a signature besides the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct SignatureParams {
    /// Shingle kind and size.
    pub shingle: ShingleKind,
    /// Number of hash functions (signature length).
    pub num_perm: usize,
    /// Seed of the hash functions.
    pub seed: u64,
    /// Version of the normalization rules (`normalize::NORMALIZER_VERSION`).
    pub normalizer_version: u32,
}

impl SignatureParams {
    /// Parameters with the current normalizer version.
    pub fn new(shingle: ShingleKind, num_perm: usize, seed: u64) -> SignatureParams {
        SignatureParams {
            shingle,
            num_perm,
            seed,
            normalizer_version: NORMALIZER_VERSION,
        }
    }

    /// `Ok` when signatures made with `self` and `other` can be compared.
    pub fn check_compatible(&self, other: &SignatureParams) -> Result<()> {
        if self.num_perm != other.num_perm {
            return Err(Error::MismatchNumPerm {
                left: self.num_perm,
                right: other.num_perm,
            });
        }
        if self.seed != other.seed {
            return Err(Error::MismatchSeed {
                left: self.seed,
                right: other.seed,
            });
        }
        if self.shingle != other.shingle {
            return Err(Error::MismatchShingle {
                left: self.shingle.to_string(),
                right: other.shingle.to_string(),
            });
        }
        if self.normalizer_version != other.normalizer_version {
            return Err(Error::MismatchNormalizer {
                left: self.normalizer_version,
                right: other.normalizer_version,
            });
        }
        Ok(())
    }
}

/// A MinHash signature with the parameters that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// What made this signature.
    pub params: SignatureParams,
    /// One minimum per hash function; `u32::MAX` everywhere for an empty set.
    pub values: Vec<u32>,
}

impl Signature {
    /// Estimated Jaccard similarity: the share of equal positions.
    pub fn jaccard(&self, other: &Signature) -> Result<f64> {
        self.params.check_compatible(&other.params)?;
        Ok(estimate(&self.values, &other.values))
    }
}

/// Share of equal positions of two equally long value slices (0 for empty slices). Private:
/// only [`Signature::jaccard`], which checks the parameters (and so the lengths) first, calls it.
fn estimate(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() {
        return 0.0;
    }
    let eq = a.iter().zip(b).filter(|(x, y)| x == y).count();
    eq as f64 / a.len() as f64
}

/// Makes signatures for one set of parameters. Immutable once built; cheap to share.
#[derive(Debug, Clone)]
pub struct MinHasher {
    params: SignatureParams,
    /// Odd multipliers.
    a: Vec<u32>,
    /// Xor masks.
    b: Vec<u32>,
}

/// SplitMix64 (Steele, Lea and Flood): the next value of a tiny, fixed, seedable generator. The
/// permutation constants come from it, so it is part of the signature spec; tests and benches
/// use it for reproducible random data.
#[doc(hidden)]
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl MinHasher {
    /// A hasher for `params`; `num_perm` must be at least 1 and at most 4096.
    pub fn new(params: SignatureParams) -> Result<MinHasher> {
        if params.num_perm == 0 || params.num_perm > 4096 {
            return Err(Error::InvalidParameter {
                name: "num-perm",
                message: format!("must be between 1 and 4096, got {}", params.num_perm),
            });
        }
        let mut state = params.seed;
        let mut a = Vec::with_capacity(params.num_perm);
        let mut b = Vec::with_capacity(params.num_perm);
        for _ in 0..params.num_perm {
            a.push((splitmix64(&mut state) >> 32) as u32 | 1);
            b.push((splitmix64(&mut state) >> 32) as u32);
        }
        Ok(MinHasher { params, a, b })
    }

    /// The parameters signatures from this hasher carry.
    pub fn params(&self) -> &SignatureParams {
        &self.params
    }

    /// Write the signature of `shingles` (any order, duplicates allowed) into `out`, which must
    /// hold `num_perm` values.
    pub fn sign_into(&self, shingles: &[u64], out: &mut [u32]) {
        debug_assert_eq!(out.len(), self.a.len());
        self.sign_range_into(shingles, 0..self.a.len(), out);
    }

    /// Write values `perms` of the signature of `shingles` into `out`, which must hold
    /// `perms.len()` values: the same values [`MinHasher::sign_into`] writes at those places (a
    /// permutation's constants do not depend on the others), so that a signature can be made a
    /// few bands at a time. Panics when `perms` reaches past this hasher's `num_perm`.
    pub fn sign_range_into(
        &self,
        shingles: &[u64],
        perms: std::ops::Range<usize>,
        out: &mut [u32],
    ) {
        debug_assert_eq!(out.len(), perms.len());
        let (a, b) = (&self.a[perms.clone()], &self.b[perms]);
        out.fill(u32::MAX);
        // Folding once per shingle, outside the permutation loop.
        let mut folded = [0u32; 256];
        for chunk in shingles.chunks(folded.len()) {
            for (f, &x) in folded.iter_mut().zip(chunk) {
                *f = (x ^ (x >> 32)) as u32;
            }
            kernel(a, b, &folded[..chunk.len()], out);
        }
    }

    /// The signature of `shingles`.
    pub fn sign(&self, shingles: &[u64]) -> Signature {
        let mut values = vec![0; self.params.num_perm];
        self.sign_into(shingles, &mut values);
        Signature {
            params: self.params,
            values,
        }
    }
}

#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512dq+avx512vl+avx512bw",
    "x86_64+avx2",
    "aarch64+neon"
))]
fn kernel(a: &[u32], b: &[u32], shingles: &[u32], out: &mut [u32]) {
    // Blocks of 32 functions keep the minima in registers across the shingle loop; a signature
    // made a few bands at a time (16 values at the defaults) goes in blocks of 8.
    let mut done = block::<32>(a, b, shingles, out, 0);
    done = block::<8>(a, b, shingles, out, done);
    for i in done..out.len() {
        let mut m = out[i];
        for &x in shingles {
            m = m.min((x ^ b[i]).wrapping_mul(a[i]));
        }
        out[i] = m;
    }
}

/// [`kernel`]'s functions from `from` on, `W` at a time, as far as whole blocks go; returns
/// where they stop.
#[inline(always)]
fn block<const W: usize>(
    a: &[u32],
    b: &[u32],
    shingles: &[u32],
    out: &mut [u32],
    from: usize,
) -> usize {
    let full = from + (out.len() - from) / W * W;
    for base in (from..full).step_by(W) {
        let aa: [u32; W] = a[base..base + W].try_into().unwrap_or([1; W]);
        let bb: [u32; W] = b[base..base + W].try_into().unwrap_or([0; W]);
        let mut m: [u32; W] = out[base..base + W].try_into().unwrap_or([u32::MAX; W]);
        for &x in shingles {
            for j in 0..W {
                m[j] = m[j].min((x ^ bb[j]).wrapping_mul(aa[j]));
            }
        }
        out[base..base + W].copy_from_slice(&m);
    }
    full
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hasher(n: usize) -> MinHasher {
        MinHasher::new(SignatureParams::new(ShingleKind::Word(3), n, 7)).expect("valid")
    }

    #[test]
    fn incompatible_signatures_are_an_error() {
        let a = hasher(64).sign(&[1, 2, 3]);
        let b = hasher(32).sign(&[1, 2, 3]);
        assert!(matches!(
            a.jaccard(&b),
            Err(Error::MismatchNumPerm {
                left: 64,
                right: 32
            })
        ));
        let mut c = a.clone();
        c.params.seed = 8;
        assert!(matches!(a.jaccard(&c), Err(Error::MismatchSeed { .. })));
        let mut d = a.clone();
        d.params.shingle = ShingleKind::Char(5);
        assert!(matches!(a.jaccard(&d), Err(Error::MismatchShingle { .. })));
        let mut e = a.clone();
        e.params.normalizer_version += 1;
        assert!(matches!(
            a.jaccard(&e),
            Err(Error::MismatchNormalizer { .. })
        ));
    }

    #[test]
    fn order_and_duplicates_do_not_matter() {
        let h = hasher(37);
        assert_eq!(h.sign(&[5, 1, 9, 1]).values, h.sign(&[1, 5, 9]).values);
    }

    #[test]
    fn a_signature_made_a_few_values_at_a_time_is_the_whole_signature() {
        let h = hasher(128);
        let mut state = 3;
        // More shingles than one fold of 256, so that the minima carry across folds.
        let shingles: Vec<u64> = (0..700).map(|_| splitmix64(&mut state)).collect();
        let whole = h.sign(&shingles).values;
        for (from, to) in [
            (0, 128),
            (0, 16),
            (16, 32),
            (80, 88),
            (3, 44),
            (40, 41),
            (96, 128),
            (5, 5),
        ] {
            let mut part = vec![0; to - from];
            h.sign_range_into(&shingles, from..to, &mut part);
            assert_eq!(part, whole[from..to], "values {from}..{to}");
        }
        // A narrower hasher's values are the wider one's first values.
        assert_eq!(hasher(88).sign(&shingles).values, whole[..88]);
    }

    #[test]
    fn zero_perms_rejected() {
        assert!(MinHasher::new(SignatureParams::new(ShingleKind::Word(3), 0, 1)).is_err());
    }

    proptest! {
        // With 256 permutations the estimate's standard deviation is at most 1/32; five sigma
        // keeps the test from ever flaking while still catching a broken hash family.
        #[test]
        fn estimate_tracks_exact_jaccard(common in 0usize..200, only_a in 0usize..200, only_b in 0usize..200, salt in any::<u64>()) {
            prop_assume!(common + only_a + only_b > 0);
            let mk = |tag: u64, n: usize| (0..n as u64).map(move |i| xxhash_rust::xxh3::xxh3_64_with_seed(&i.to_le_bytes(), tag ^ salt));
            let c: Vec<u64> = mk(1, common).collect();
            let a: Vec<u64> = c.iter().copied().chain(mk(2, only_a)).collect();
            let b: Vec<u64> = c.iter().copied().chain(mk(3, only_b)).collect();
            let h = hasher(256);
            let exact = common as f64 / (common + only_a + only_b) as f64;
            let est = h.sign(&a).jaccard(&h.sign(&b)).expect("same params");
            let sd = (exact * (1.0 - exact) / 256.0).sqrt();
            prop_assert!((est - exact).abs() <= 5.0 * sd + 0.02, "est {est} exact {exact}");
        }
    }
}
