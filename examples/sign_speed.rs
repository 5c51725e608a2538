//! Quick signing-throughput probe (min of repeated runs, one thread): normalize, shingle and
//! sign every document of a JSONL file. `cargo run --release --example sign_speed -- FILE`.
//! The criterion bench in benches/pipeline.rs is the reference; this is for quick checks.

use std::time::Instant;
use wirecopy::minhash::{MinHasher, SignatureParams};
use wirecopy::normalize::{units, UnspacedScripts};
use wirecopy::shingle::{into_set, shingles_into, ShingleKind};
use wirecopy::source::{parse_record, FieldMap};

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
    let mut best = [f64::INFINITY; 3];
    let mut out = vec![0u32; 128];
    for _ in 0..7 {
        let t = Instant::now();
        let all: Vec<_> = docs
            .iter()
            .map(|d| units(&d.text, UnspacedScripts::Characters))
            .collect();
        let t_norm = t.elapsed().as_secs_f64();
        let t2 = Instant::now();
        let sets: Vec<Vec<u64>> = all
            .iter()
            .map(|u| {
                let mut v = Vec::new();
                shingles_into(&u.units, 3, &mut v);
                into_set(v)
            })
            .collect();
        let t_sh = t2.elapsed().as_secs_f64();
        let t3 = Instant::now();
        for s in &sets {
            hasher.sign_into(s, &mut out);
        }
        let t_sign = t3.elapsed().as_secs_f64();
        for (b, v) in best.iter_mut().zip([t_norm, t_sh, t_sign]) {
            *b = b.min(v);
        }
    }
    let mb = bytes as f64 / 1e6;
    let total: f64 = best.iter().sum();
    println!(
        "{} docs, {:.1} MB: normalize {:.0} MB/s, shingle {:.0} MB/s, minhash {:.0} MB/s, all {:.0} MB/s per core",
        docs.len(),
        mb,
        mb / best[0],
        mb / best[1],
        mb / best[2],
        mb / total
    );
}
