//! Property tests of the fast path against the obvious slow one: LSH candidates plus exact
//! verification find the brute-force pairs above threshold (up to the S-curve's documented miss
//! rate), on small random corpora.

use proptest::prelude::*;
use wirecopy::pipeline::{brute_force_pairs, scan, Quiet, ScanConfig};
use wirecopy::Document;

/// A random corpus: `bases` base texts of random words, and copies of some of them with a
/// share of the words replaced (so pair similarities spread over the whole range).
fn corpus(seed: u64, bases: usize, copies: usize) -> Vec<Document> {
    let mut state = seed;
    let mut next = move || wirecopy::minhash::splitmix64(&mut state);
    let word = |x: u64| format!("w{}", x % 5000);
    let mut texts: Vec<Vec<String>> = (0..bases)
        .map(|_| (0..30 + next() % 60).map(|_| word(next())).collect())
        .collect();
    for _ in 0..copies {
        let src = texts[(next() % bases as u64) as usize].clone();
        let edit = next() % 60; // percent of words replaced
        let cut = 50 + next() % 51; // percent of words kept from the start
        let kept = (src.len() as u64 * cut / 100).max(1) as usize;
        texts.push(
            src[..kept]
                .iter()
                .map(|w| {
                    if next() % 100 < edit {
                        word(next())
                    } else {
                        w.clone()
                    }
                })
                .collect(),
        );
    }
    texts
        .into_iter()
        .enumerate()
        .map(|(i, t)| Document::new(format!("d{i:03}"), t.join(" ")))
        .collect()
}

proptest! {
    // A fixed RNG seed: the corpora are random but the same on every run, so the statistical
    // bounds below cannot flake.
    #![proptest_config(ProptestConfig { cases: 24, rng_seed: proptest::test_runner::RngSeed::Fixed(20261128), ..ProptestConfig::default() })]

    #[test]
    fn lsh_plus_verification_finds_the_brute_force_pairs(seed in any::<u64>(), bases in 5usize..25, copies in 5usize..40) {
        let docs = corpus(seed, bases, copies);
        let cfg = ScanConfig { min_shingles: 3, ..ScanConfig::default() };
        let r = scan(docs, &cfg, &Quiet).expect("scan");
        let truth = brute_force_pairs(&r);
        let found: std::collections::BTreeSet<(u32, u32)> = r.edges.iter().map(|e| (e.a, e.b)).collect();
        // Nothing found that brute force does not confirm: verification is exact.
        for p in &found {
            prop_assert!(truth.contains(p), "pair {p:?} is not a match");
        }
        // Every true pair whose Jaccard the S-curve catches with probability >= 0.9999 is found;
        // the expected share of misses overall stays within the curve's prediction plus slack.
        let mut expected_miss = 0.0;
        let mut missed = 0usize;
        for &(a, b) in &truth {
            let j = r.similarity(a as usize, b as usize).jaccard;
            let p = r.banding.probability(j);
            expected_miss += 1.0 - p;
            if !found.contains(&(a, b)) {
                missed += 1;
                prop_assert!(p < 0.9999, "pair ({a},{b}) with Jaccard {j:.3} (catch probability {p:.4}) was missed");
            }
        }
        prop_assert!((missed as f64) <= expected_miss * 3.0 + 3.0, "missed {missed}, S-curve predicts {expected_miss:.1}");
    }
}

#[test]
fn signature_estimates_track_verified_jaccard() {
    // The signatures the scan keeps agree with the exact Jaccard of the pairs it verified.
    let docs = corpus(7, 20, 40);
    let r = scan(
        docs,
        &ScanConfig {
            min_shingles: 3,
            ..ScanConfig::default()
        },
        &Quiet,
    )
    .expect("scan");
    let n = r.config.num_perm;
    assert!(!r.edges.is_empty());
    for e in &r.edges {
        let (a, b) = (e.a as usize, e.b as usize);
        let sig = |i: usize| wirecopy::minhash::Signature {
            params: r.config.signature_params(),
            values: r.signatures[i * n..(i + 1) * n].to_vec(),
        };
        let est = sig(a).jaccard(&sig(b)).expect("same parameters");
        let sd = (e.sim.jaccard * (1.0 - e.sim.jaccard) / n as f64).sqrt();
        assert!(
            (est - e.sim.jaccard).abs() <= 5.0 * sd + 0.03,
            "estimate {est} vs exact {}",
            e.sim.jaccard
        );
    }
}
