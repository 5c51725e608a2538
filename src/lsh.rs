//! lsh.rs: which pairs of documents are worth comparing?
//!
//! Banding: a signature of `bands * rows` values is cut into `bands` bands of `rows` values; two
//! documents become a candidate pair when any band is equal. The probability for a pair of
//! Jaccard `s` is `1 - (1 - s^rows)^bands`, an S-curve; [`optimal_bands`] picks `bands x rows`
//! for a threshold by minimizing the weighted false-positive and false-negative areas under that
//! curve (datasketch's method).
//!
//! Candidates come from sorted `(band key, document)` runs, never from expanding a bucket into
//! all its pairs: a run of at most [`LshConfig::max_run_pairs`] documents yields all its pairs; a
//! longer run (one huge bucket of identical boilerplate) yields each document paired with the
//! run's first documents and its neighbours only, so time and memory stay linear in its length.
//! Documents (one signature each) are paired document by document, a batch of bands at a time:
//! each document takes the later documents of its runs, each once, so no band's pairs are sorted.
//! Owners of several signatures (a page's windows) are paired band by band, where a run that
//! recurs in the band (the windows of a popular story's copies) is expanded once.
//! Everything is built in parallel with rayon and the result is sorted, so it does not depend on
//! the thread count.

use crate::error::{Error, Result};
use crate::spill::SortedSpill;
use rayon::prelude::*;
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Banding parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Banding {
    /// Number of bands.
    pub bands: usize,
    /// Values per band.
    pub rows: usize,
}

impl Banding {
    /// Probability that a pair of Jaccard similarity `s` becomes a candidate.
    pub fn probability(&self, s: f64) -> f64 {
        1.0 - (1.0 - s.powi(self.rows as i32)).powi(self.bands as i32)
    }
}

fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    // Midpoint rule; the curves are smooth and 1000 steps put the error far below what matters.
    let steps = 1000;
    let h = (b - a) / steps as f64;
    (0..steps).map(|i| f(a + (i as f64 + 0.5) * h) * h).sum()
}

/// The `bands x rows` (with `bands * rows <= num_perm`) minimizing
/// `fp_weight * FP area + fn_weight * FN area` around `threshold`.
pub fn optimal_bands(
    threshold: f64,
    num_perm: usize,
    fp_weight: f64,
    fn_weight: f64,
) -> Result<Banding> {
    if !(threshold > 0.0 && threshold < 1.0) {
        return Err(Error::InvalidParameter {
            name: "threshold",
            message: format!("must be strictly between 0 and 1, got {threshold}"),
        });
    }
    // A pure function of its arguments that costs about 10^8 instructions: remembered for the
    // process (a scan asks for the same banding several times: validation, the scan, the report).
    type Key = (u64, usize, u64, u64);
    static SEEN: std::sync::Mutex<Vec<(Key, Banding)>> = std::sync::Mutex::new(Vec::new());
    let key = (
        threshold.to_bits(),
        num_perm,
        fp_weight.to_bits(),
        fn_weight.to_bits(),
    );
    let seen = |k: &Key| {
        SEEN.lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|(s, _)| s == k)
            .map(|&(_, b)| b)
    };
    if let Some(b) = seen(&key) {
        return Ok(b);
    }
    let mut best = Banding {
        bands: 1,
        rows: num_perm.max(1),
    };
    let mut best_err = f64::INFINITY;
    for bands in 1..=num_perm {
        let max_rows = num_perm / bands;
        for rows in 1..=max_rows {
            let bd = Banding { bands, rows };
            let fp = integrate(|s| bd.probability(s), 0.0, threshold);
            let fneg = integrate(|s| 1.0 - bd.probability(s), threshold, 1.0);
            let err = fp_weight * fp + fn_weight * fneg;
            if err < best_err - 1e-12 {
                best_err = err;
                best = bd;
            }
        }
    }
    let mut cache = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    // Bounded: a process asks for a handful of thresholds (a sweep for a few dozen).
    if cache.len() >= 256 {
        cache.clear();
    }
    cache.push((key, best));
    Ok(best)
}

/// Index settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LshConfig {
    /// How the signatures are banded.
    pub banding: Banding,
    /// Runs of at most this many equal keys yield all their pairs; longer runs are linked
    /// sparsely (see the module docs).
    pub max_run_pairs: usize,
}

/// Candidate pairs `(a, b)` with `a < b`, sorted and deduplicated, from flat signatures
/// (`values.len() == n * num_perm`). Documents with `indexed[i] == false` take no part.
pub fn candidates(
    values: &[u32],
    num_perm: usize,
    indexed: &[bool],
    cfg: &LshConfig,
) -> Result<Vec<(u32, u32)>> {
    candidates_of_owners(values, num_perm, indexed, None, cfg)
}

/// Candidate pairs of *owners*: signature `i` belongs to owner `owner[i]` (nondecreasing in
/// `i`; for example the windows of one document), and two owners are a candidate when any of
/// their signatures share a band. An owner never pairs with itself, and a run of equal keys
/// counts each owner once, so a long text whose windows all collide yields one pair, not one
/// per window. `None` makes every signature its own owner.
pub fn candidates_of_owners(
    values: &[u32],
    num_perm: usize,
    indexed: &[bool],
    owner: Option<&[u32]>,
    cfg: &LshConfig,
) -> Result<Vec<(u32, u32)>> {
    let mut spill = SortedSpill::in_memory();
    candidates_into(values, num_perm, indexed, owner, cfg, &mut spill)?;
    let pairs = spill.finish()?.into_vec()?;
    Ok(pairs.into_iter().map(unpack).collect())
}

/// The candidate pairs of [`candidates_of_owners`], each packed as `a << 32 | b`, added to
/// `spill` band by band (documents: a batch of bands at a time): with a budget, a corpus's
/// pairs need not fit in memory.
pub fn candidates_into(
    values: &[u32],
    num_perm: usize,
    indexed: &[bool],
    owner: Option<&[u32]>,
    cfg: &LshConfig,
    spill: &mut SortedSpill<u64>,
) -> Result<()> {
    let Banding { bands, rows } = cfg.banding;
    if bands == 0 || rows == 0 || bands * rows > num_perm {
        return Err(Error::InvalidParameter {
            name: "bands",
            message: format!("{bands} bands x {rows} rows must be at least 1 x 1 and use at most {num_perm} permutations"),
        });
    }
    let cap = cfg.max_run_pairs.max(2);
    if owner.is_none() {
        return document_candidates_into(values, num_perm, indexed, cfg, spill);
    }
    let band_pairs = |band: usize| -> Vec<u64> {
        let mut keys = band_keys(values, num_perm, band * rows, indexed, owner, band, rows);
        keys.sort_unstable();
        keys.dedup();
        let mut pairs = Vec::new();
        // A run with the same documents as an earlier run of this band yields the same
        // pairs: the copies of a popular story collide in run after run (windows).
        let mut seen: std::collections::HashMap<u64, (usize, usize)> =
            std::collections::HashMap::new();
        let mut start = 0;
        while start < keys.len() {
            let mut end = start + 1;
            while end < keys.len() && keys[end].0 == keys[start].0 {
                end += 1;
            }
            let run = &keys[start..end];
            if run.len() > 2 {
                let docs: Vec<u32> = run.iter().map(|&(_, d)| d).collect();
                let fp = xxh3_64_with_seed(bytemuck::cast_slice(&docs), 0);
                let same = |&(s, e): &(usize, usize)| {
                    keys[s..e].iter().map(|k| k.1).eq(docs.iter().copied())
                };
                if seen.get(&fp).is_some_and(same) {
                    start = end;
                    continue;
                }
                seen.insert(fp, (start, end));
            }
            emit_run(run, cap, &mut pairs);
            start = end;
        }
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    };
    // A pair of near-duplicates collides in most bands: holding every band's pairs until one
    // final sort held up to `bands` copies of each. Bands run a thread's worth at a time and
    // each batch is merged into the distinct pairs found so far.
    let batch = rayon::current_num_threads().max(1);
    for first in (0..bands).step_by(batch) {
        let per_band: Vec<Vec<u64>> = (first..bands.min(first + batch))
            .into_par_iter()
            .map(band_pairs)
            .collect();
        for pairs in per_band {
            spill.add(&pairs)?;
        }
    }
    Ok(())
}

/// One band's key of each indexed signature, with its owner (`owner[i]`, or `i` itself):
/// xxh3 of the band's `rows` values, seeded by the band number. `values` holds `width` values a
/// signature, of which the band's start at `at` (a signature made a few bands at a time holds
/// only those bands' values).
fn band_keys(
    values: &[u32],
    width: usize,
    at: usize,
    indexed: &[bool],
    owner: Option<&[u32]>,
    band: usize,
    rows: usize,
) -> Vec<(u64, u32)> {
    (0..indexed.len())
        .filter(|&i| indexed[i])
        .map(|i| {
            let slice = &values[i * width + at..i * width + at + rows];
            (
                xxh3_64_with_seed(bytemuck::cast_slice(slice), band as u64),
                owner.map_or(i as u32, |o| o[i]),
            )
        })
        .collect()
}

/// Bands whose runs the documents' pairing holds at once ([`candidates_into`],
/// [`candidates_signed_by_batches`]): 16 bytes a document each (and 16 more while a band's keys
/// are sorted).
pub const BANDS_AT_ONCE: usize = 8;

/// Documents a worker takes at a time in [`document_candidates_into`].
const DOCUMENTS_AT_ONCE: usize = 1024;

/// One band's documents in order of their keys, and where each document's run of equal keys
/// is, for [`document_candidates_into`].
struct BandRuns {
    /// Indexed documents sorted by (key, document).
    order: Vec<u32>,
    /// Each document's position in `order` (`u32::MAX` when it is not indexed).
    position: Vec<u32>,
    /// For each position, the start and end in `order` of its run of equal keys.
    run: Vec<(u32, u32)>,
}

impl BandRuns {
    fn new(
        values: &[u32],
        width: usize,
        at: usize,
        indexed: &[bool],
        band: usize,
        rows: usize,
    ) -> Self {
        let n = indexed.len();
        let mut keys = band_keys(values, width, at, indexed, None, band, rows);
        keys.sort_unstable();
        let mut position = vec![u32::MAX; n];
        let mut run = vec![(0, 0); keys.len()];
        let mut start = 0;
        while start < keys.len() {
            let end = start + keys[start..].partition_point(|k| k.0 == keys[start].0);
            for (p, &(_, d)) in keys.iter().enumerate().take(end).skip(start) {
                position[d as usize] = p as u32;
                run[p] = (start as u32, end as u32);
            }
            start = end;
        }
        BandRuns {
            order: keys.into_iter().map(|(_, d)| d).collect(),
            position,
            run,
        }
    }

    /// The documents after `doc` in its run that [`emit_run`] pairs it with: all of them in a
    /// run of at most `cap`, else all of them for one of the run's first four documents (its
    /// hubs, paired with every other) and the next four for the rest.
    fn later_partners(&self, doc: usize, cap: usize) -> &[u32] {
        let p = self.position[doc];
        if p == u32::MAX {
            return &[];
        }
        let (p, (start, end)) = (p as usize, self.run[p as usize]);
        let (start, end) = (start as usize, end as usize);
        let end = if end - start <= cap || p - start < 4 {
            end
        } else {
            end.min(p + 5)
        };
        &self.order[p + 1..end]
    }
}

/// [`candidates_into`] for documents that own one signature each, document by document: for
/// each document, the later documents of its runs in a batch of bands, each once (a stamp per
/// document, not a sort of every band's pairs), sorted. The documents go in order, so the
/// batch's pairs come out sorted and distinct with no sort of the whole; only the batches are
/// merged. The pairs are those [`emit_run`] gives band by band.
fn document_candidates_into(
    values: &[u32],
    num_perm: usize,
    indexed: &[bool],
    cfg: &LshConfig,
    spill: &mut SortedSpill<u64>,
) -> Result<()> {
    let bands = cfg.banding.bands;
    for first in (0..bands).step_by(BANDS_AT_ONCE) {
        let batch = first..bands.min(first + BANDS_AT_ONCE);
        spill.add_owned(batch_pairs(values, num_perm, 0, batch, indexed, cfg))?;
    }
    Ok(())
}

/// The candidate pairs of [`candidates_into`] for documents that own one signature each, made
/// a batch of bands at a time without ever holding whole signatures: for each batch,
/// `sign(perms, out)` writes values `perms` of every document's signature into `out`
/// (`perms.len()` values a document, in document order), which hold only as long as the
/// batch's runs are made. A signature's value does not depend on the values beside it, so the
/// pairs are those of the whole signatures; what is saved is their memory (at the defaults, 16
/// of 88 values a document at a time).
pub fn candidates_signed_by_batches(
    indexed: &[bool],
    cfg: &LshConfig,
    spill: &mut SortedSpill<u64>,
    mut sign: impl FnMut(std::ops::Range<usize>, &mut [u32]) -> Result<()>,
) -> Result<()> {
    let Banding { bands, rows } = cfg.banding;
    if bands == 0 || rows == 0 {
        return Err(Error::InvalidParameter {
            name: "bands",
            message: format!("{bands} bands x {rows} rows must be at least 1 x 1"),
        });
    }
    let mut values = Vec::new();
    for first in (0..bands).step_by(BANDS_AT_ONCE) {
        let batch = first..bands.min(first + BANDS_AT_ONCE);
        let perms = batch.start * rows..batch.end * rows;
        values.clear();
        values.resize(indexed.len() * perms.len(), 0);
        sign(perms.clone(), &mut values)?;
        spill.add_owned(batch_pairs(
            &values,
            perms.len(),
            perms.start,
            batch,
            indexed,
            cfg,
        ))?;
    }
    Ok(())
}

/// One batch of bands' pairs for [`document_candidates_into`]: for each document, the later
/// documents of its runs in the batch, each once (a stamp per document, not a sort of every
/// band's pairs), sorted. `values` holds `width` values a document, the first of them value
/// `first_value` of its signature.
fn batch_pairs(
    values: &[u32],
    width: usize,
    first_value: usize,
    batch: std::ops::Range<usize>,
    indexed: &[bool],
    cfg: &LshConfig,
) -> Vec<u64> {
    let rows = cfg.banding.rows;
    let n = indexed.len();
    let cap = cfg.max_run_pairs.max(2);
    let batch: Vec<BandRuns> = batch
        .into_par_iter()
        .map(|band| {
            BandRuns::new(
                values,
                width,
                band * rows - first_value,
                indexed,
                band,
                rows,
            )
        })
        .collect();
    let chunks: Vec<Vec<u64>> = (0..n)
        .into_par_iter()
        .step_by(DOCUMENTS_AT_ONCE)
        .map_init(
            // The stamp of a document is the number of the document that took it last, plus one.
            || vec![0u32; n],
            |stamp, from| {
                let mut pairs = Vec::new();
                let mut partners = Vec::new();
                for doc in from..n.min(from + DOCUMENTS_AT_ONCE) {
                    partners.clear();
                    for runs in &batch {
                        for &other in runs.later_partners(doc, cap) {
                            let s = &mut stamp[other as usize];
                            if *s != doc as u32 + 1 {
                                *s = doc as u32 + 1;
                                partners.push(other);
                            }
                        }
                    }
                    partners.sort_unstable();
                    pairs.extend(partners.iter().map(|&o| pack(doc as u32, o)));
                }
                pairs
            },
        )
        .collect();
    chunks.concat()
}

/// A pair packed by [`candidates_into`], unpacked.
pub fn unpack(p: u64) -> (u32, u32) {
    ((p >> 32) as u32, p as u32)
}

/// A pair as one sortable `u64`: the smaller document in the high half.
pub fn pack(a: u32, b: u32) -> u64 {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    (u64::from(lo) << 32) | u64::from(hi)
}

/// Pairs of one run of equal band keys (documents ascending).
fn emit_run(run: &[(u64, u32)], cap: usize, out: &mut Vec<u64>) {
    if run.len() <= cap {
        for i in 0..run.len() {
            for j in i + 1..run.len() {
                out.push(pack(run[i].1, run[j].1));
            }
        }
        return;
    }
    // A huge run: link every document to the first few (hubs) and to its next neighbours. The
    // verifier and clustering see a connected, linear-size sample of the run.
    let hubs = 4.min(run.len());
    for (i, &(_, d)) in run.iter().enumerate() {
        for &(_, h) in &run[..hubs] {
            if h != d {
                out.push(pack(h, d));
            }
        }
        for &(_, e) in run.iter().skip(i + 1).take(4) {
            out.push(pack(d, e));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spill::Gathered;

    #[test]
    fn optimal_bands_match_datasketch() {
        // datasketch 1.x's _optimal_param(t, 128, 0.5, 0.5): (25, 5) at 0.5, (9, 13) at 0.8,
        // (37, 3) at 0.3.
        assert_eq!(
            optimal_bands(0.5, 128, 0.5, 0.5).expect("ok"),
            Banding { bands: 25, rows: 5 }
        );
        assert_eq!(
            optimal_bands(0.3, 128, 0.5, 0.5).expect("ok"),
            Banding { bands: 37, rows: 3 }
        );
        assert_eq!(
            optimal_bands(0.8, 128, 0.5, 0.5).expect("ok"),
            Banding { bands: 9, rows: 13 }
        );
        assert!(optimal_bands(1.5, 128, 0.5, 0.5).is_err());
    }

    #[test]
    fn merged_pairs_are_the_sorted_distinct_union() {
        let cases: [(&[u64], &[u64]); 5] = [
            (&[], &[]),
            (&[1, 5, 9], &[]),
            (&[], &[2, 3]),
            (&[1, 4, 6, 9], &[1, 2, 6, 10, 11]),
            (&[3, 4], &[3, 4]),
        ];
        for (a, b) in cases {
            let mut want: Vec<u64> = a.iter().chain(b).copied().collect();
            want.sort_unstable();
            want.dedup();
            let mut spill = SortedSpill::in_memory();
            spill.add(a).expect("add");
            spill.add(b).expect("add");
            let got = spill
                .finish()
                .and_then(Gathered::into_vec)
                .expect("in memory");
            assert_eq!(got, want, "{a:?} + {b:?}");
        }
    }

    #[test]
    fn huge_bucket_stays_linear() {
        let n = 10_000;
        let values = vec![7u32; n * 4];
        let cfg = LshConfig {
            banding: Banding { bands: 2, rows: 2 },
            max_run_pairs: 64,
        };
        let c = candidates(&values, 4, &vec![true; n], &cfg).expect("ok");
        assert!(c.len() < 9 * n, "{} pairs", c.len());
        assert!(c.len() >= n - 1);
    }

    #[test]
    fn owners_pair_once_and_never_with_themselves() {
        // Signatures 0-2 belong to owner 0, 3-4 to owner 1, 5 to owner 2; all collide.
        let values = vec![3u32; 6 * 4];
        let owner = [0u32, 0, 0, 1, 1, 2];
        let cfg = LshConfig {
            banding: Banding { bands: 2, rows: 2 },
            max_run_pairs: 64,
        };
        let c = candidates_of_owners(&values, 4, &[true; 6], Some(&owner), &cfg).expect("ok");
        assert_eq!(c, vec![(0, 1), (0, 2), (1, 2)]);
        // Owners whose signatures never collide are no pair.
        let mut values = vec![3u32; 6 * 4];
        values[5 * 4..].copy_from_slice(&[9, 9, 8, 8]);
        let c = candidates_of_owners(&values, 4, &[true; 6], Some(&owner), &cfg).expect("ok");
        assert_eq!(c, vec![(0, 1)]);
    }

    /// `len` signature values drawn from `0..alphabet`: a small alphabet makes runs of equal
    /// band keys of every length.
    fn small_alphabet_values(len: usize, alphabet: u32, seed: u64) -> Vec<u32> {
        let mut state = seed;
        (0..len)
            .map(|_| (crate::minhash::splitmix64(&mut state) % u64::from(alphabet)) as u32)
            .collect()
    }

    proptest::proptest! {
        /// Documents taken one by one give the pairs the runs give band by band (each document
        /// its own owner is the band-by-band path): values from a small alphabet make runs of
        /// every length, past `max_run_pairs` too, and a run may recur in another band.
        #[test]
        fn documents_one_by_one_pair_as_the_bands_do(
            n in 0usize..120,
            alphabet in 1u32..4,
            max_run_pairs in 2usize..12,
            seed in proptest::prelude::any::<u64>(),
        ) {
            let num_perm = 6;
            let values = small_alphabet_values(n * num_perm, alphabet, seed);
            let indexed: Vec<bool> = (0..n).map(|i| i % 7 != 3).collect();
            let cfg = LshConfig {
                banding: Banding { bands: 3, rows: 2 },
                max_run_pairs,
            };
            let by_documents = candidates(&values, num_perm, &indexed, &cfg).expect("ok");
            let owners: Vec<u32> = (0..n as u32).collect();
            let by_bands =
                candidates_of_owners(&values, num_perm, &indexed, Some(&owners), &cfg)
                    .expect("ok");
            proptest::prop_assert_eq!(by_documents, by_bands);
        }
    }

    proptest::proptest! {
        /// Signatures made a batch of bands at a time pair as the whole signatures do: more
        /// bands than a batch (the last batch short), values past the bands unused, runs of
        /// every length.
        #[test]
        fn signatures_made_a_batch_of_bands_at_a_time_pair_as_whole_ones(
            n in 0usize..90,
            alphabet in 1u32..4,
            bands in 1usize..20,
            rows in 1usize..3,
            seed in proptest::prelude::any::<u64>(),
        ) {
            let num_perm = bands * rows + 3;
            let values = small_alphabet_values(n * num_perm, alphabet, seed);
            let indexed: Vec<bool> = (0..n).map(|i| i % 5 != 2).collect();
            let cfg = LshConfig { banding: Banding { bands, rows }, max_run_pairs: 6 };
            let whole = candidates(&values, num_perm, &indexed, &cfg).expect("ok");
            let mut asked = Vec::new();
            let mut spill = SortedSpill::in_memory();
            candidates_signed_by_batches(&indexed, &cfg, &mut spill, |perms, out| {
                let w = perms.len();
                for (d, row) in out.chunks_mut(w).enumerate() {
                    row.copy_from_slice(&values[d * num_perm + perms.start..d * num_perm + perms.end]);
                }
                asked.push(perms);
                Ok(())
            })
            .expect("ok");
            let batched: Vec<(u32, u32)> =
                spill.finish().and_then(Gathered::into_vec).expect("in memory").into_iter().map(unpack).collect();
            proptest::prop_assert_eq!(batched, whole);
            // Every band's values asked for once, in order, never more than a batch at a time.
            let covered: Vec<usize> = asked.iter().flat_map(|r| r.clone()).collect();
            proptest::prop_assert_eq!(covered, (0..bands * rows).collect::<Vec<_>>());
            proptest::prop_assert!(asked.iter().all(|r| r.len() <= BANDS_AT_ONCE * rows));
        }
    }

    #[test]
    fn unindexed_documents_never_pair() {
        let values = vec![1u32; 3 * 4];
        let cfg = LshConfig {
            banding: Banding { bands: 1, rows: 4 },
            max_run_pairs: 64,
        };
        let c = candidates(&values, 4, &[true, false, true], &cfg).expect("ok");
        assert_eq!(c, vec![(0, 2)]);
    }
}
