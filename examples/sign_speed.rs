//! Quick signing-throughput probe (min of repeated runs, one thread) over the documents of a
//! JSONL file: each stage alone, then text -> signature (normalize, shingle hashes, MinHash from
//! them) and text -> signature plus the sorted shingle set that verification needs.
//! `cargo run --release --example sign_speed -- FILE`. The criterion bench in benches/pipeline.rs
//! is the reference; this is for quick checks.

use std::time::Instant;
use wirecopy::input::{parse_record, FieldMap};
use wirecopy::minhash::{MinHasher, SignatureParams};
use wirecopy::normalize::{units, UnspacedScripts};
use wirecopy::shingle::{into_set, shingles_into, ShingleKind};

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "corpus/wire.jsonl".into());
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("reading {path}: {e}");
            std::process::exit(1);
        }
    };
    let docs: Vec<_> = text
        .lines()
        .filter_map(|l| parse_record(l, &FieldMap::default()).ok())
        .collect();
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let hasher =
        MinHasher::new(SignatureParams::new(ShingleKind::Word(3), 128, 1)).expect("params");
    // normalize, shingle hashes, sorted set, MinHash from the set, MinHash from the hashes.
    let mut best = [f64::INFINITY; 5];
    let mut out = vec![0u32; 128];
    for _ in 0..7 {
        // Each run starts with no line remembered, as a scan meets each page once.
        wirecopy::normalize::forget_line_features();
        let t = Instant::now();
        let all: Vec<_> = docs
            .iter()
            .map(|d| units(&d.text, UnspacedScripts::Characters))
            .collect();
        let t_norm = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let hashes: Vec<Vec<u64>> = all
            .iter()
            .map(|u| {
                let mut v = Vec::with_capacity(u.units.len());
                shingles_into(&u.units, 3, &mut v);
                v
            })
            .collect();
        let t_shingle = t.elapsed().as_secs_f64();
        let t = Instant::now();
        for h in &hashes {
            hasher.sign_into(h, &mut out);
        }
        let t_sign_list = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let sets: Vec<Vec<u64>> = hashes.into_iter().map(into_set).collect();
        let t_set = t.elapsed().as_secs_f64();
        let t = Instant::now();
        for s in &sets {
            hasher.sign_into(s, &mut out);
        }
        let t_sign_set = t.elapsed().as_secs_f64();
        let times = [t_norm, t_shingle, t_set, t_sign_set, t_sign_list];
        for (b, v) in best.iter_mut().zip(times) {
            *b = b.min(v);
        }
    }
    let mb = bytes as f64 / 1e6;
    let [norm, shingle, set, sign_set, sign_list] = best;
    println!(
        "{} docs, {:.1} MB, MB/s per core: normalize {:.0}, shingle hashes {:.0}, sorted set {:.0}, \
         minhash {:.0}; text -> signature {:.0}; text -> signature + set {:.0}",
        docs.len(),
        mb,
        mb / norm,
        mb / shingle,
        mb / set,
        mb / sign_set,
        mb / (norm + shingle + sign_list),
        mb / (norm + shingle + set + sign_set),
    );
}
