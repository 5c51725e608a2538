//! Benchmarks: signing throughput (text -> signature, with and without the sorted shingle set,
//! one core), the normalizer alone, the MinHash kernel alone, and
//! end-to-end scans of the dev sets (when ../shared is present) and of a generated corpus.
//! Each bench asserts the counts it processes, so a broken pipeline fails instead of getting
//! faster.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::path::PathBuf;
use wirecopy::input::{parse_record, FieldMap};
use wirecopy::minhash::{MinHasher, SignatureParams};
use wirecopy::normalize::{units, UnspacedScripts};
use wirecopy::pipeline::{scan, Quiet, ScanConfig};
use wirecopy::shingle::{into_set, shingles_into, ShingleKind};
use wirecopy::Document;

fn dev_docs(set: &str) -> Option<Vec<Document>> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/syndication-dev")
        .join(set)
        .join("docs.jsonl");
    let text = std::fs::read_to_string(&p).ok()?;
    Some(
        text.lines()
            .filter_map(|l| parse_record(l, &FieldMap::default()).ok())
            .collect(),
    )
}

fn demo_docs() -> Vec<Document> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/wire.jsonl");
    let text = std::fs::read_to_string(p).expect("demo corpus");
    text.lines()
        .filter_map(|l| parse_record(l, &FieldMap::default()).ok())
        .collect()
}

/// A deterministic synthetic corpus: `stories` stories of 4-9 paragraphs on `sites` sites with
/// chrome, each copied 0-3 times (full, cut, edited).
fn generated(stories: usize, sites: usize) -> Vec<Document> {
    let mut state = 42u64;
    let mut next = move || wirecopy::minhash::splitmix64(&mut state);
    let syll = [
        "ka", "lo", "mi", "ter", "an", "vo", "si", "ru", "pel", "dan", "o", "e", "bri", "sta",
        "nu", "gor",
    ];
    let vocab: Vec<String> = (0..20_000)
        .map(|i| {
            let mut w = String::new();
            let mut x = i as u64 * 2_654_435_761 + 17;
            for _ in 0..(2 + x % 3) {
                w.push_str(syll[(x % 16) as usize]);
                x /= 16;
            }
            w
        })
        .collect();
    let word = |next: &mut dyn FnMut() -> u64| -> String {
        // Zipf-like: small indices far more often.
        let r = (next() % 1_000_000) as f64 / 1_000_000.0;
        vocab[((r * r * r) * vocab.len() as f64) as usize].clone()
    };
    let chrome: Vec<(String, String)> = (0..sites)
        .map(|s| {
            (
                format!("Site{s}  Home  World  Business  Sports  Opinion"),
                format!(
                    "Copyright 2024 Site{s} Media. All rights reserved.\nPrivacy | Terms | Contact"
                ),
            )
        })
        .collect();
    let mut docs = Vec::new();
    for st in 0..stories {
        let paras: Vec<String> = (0..4 + next() % 6)
            .map(|_| {
                let mut p: Vec<String> = (0..20 + next() % 25).map(|_| word(&mut next)).collect();
                p[0] = p[0].to_uppercase();
                p.join(" ") + "."
            })
            .collect();
        let copies = next() % 4;
        for c in 0..=copies {
            let site = (next() % sites as u64) as usize;
            let body: Vec<String> = match c % 3 {
                1 => paras[..2.min(paras.len())].to_vec(),
                2 => paras.iter().map(|p| p.replacen(' ', " very ", 1)).collect(),
                _ => paras.clone(),
            };
            let text = format!(
                "{}\nStory {st}\n{}\nRelated\n- Other story {}\n- Other story {}\n{}",
                chrome[site].0,
                body.join("\n"),
                next() % 1000,
                next() % 1000,
                chrome[site].1
            );
            let mut d = Document::new(format!("s{st}-c{c}"), text);
            d.url = Some(format!("https://site{site}.example/{st}/{c}"));
            docs.push(d);
        }
    }
    docs
}

fn signing(c: &mut Criterion) {
    let docs = dev_docs("bbc").unwrap_or_else(demo_docs);
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let hasher =
        MinHasher::new(SignatureParams::new(ShingleKind::Word(3), 128, 1)).expect("hasher");
    let mut g = c.benchmark_group("signing");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    // Text -> signature: normalize, shingle hashes, MinHash over them (order and repeats do
    // not change a MinHash).
    g.bench_function("text_to_signature_128perm_1core", |b| {
        let mut out = vec![0u32; 128];
        let mut sh = Vec::new();
        b.iter(|| {
            let mut n = 0usize;
            for d in &docs {
                let u = units(&d.text, UnspacedScripts::Characters);
                sh.clear();
                shingles_into(&u.units, 3, &mut sh);
                hasher.sign_into(&sh, &mut out);
                n += usize::from(out[0] != u32::MAX);
            }
            assert_eq!(n, docs.len(), "every document signed");
            black_box(n)
        })
    });
    // The same plus the sorted shingle set that a scan keeps for exact verification, signed
    // from the set: the per-document work of a scan before chrome and stop shingles.
    g.bench_function("text_to_signature_and_set_128perm_1core", |b| {
        let mut out = vec![0u32; 128];
        b.iter(|| {
            let mut n = 0usize;
            let mut sh = Vec::new();
            for d in &docs {
                let u = units(&d.text, UnspacedScripts::Characters);
                sh.clear();
                shingles_into(&u.units, 3, &mut sh);
                let set = into_set(std::mem::take(&mut sh));
                hasher.sign_into(&set, &mut out);
                n += usize::from(out[0] != u32::MAX);
                sh = set;
            }
            assert_eq!(n, docs.len(), "every document signed");
            black_box(n)
        })
    });
    // The normalizer alone and the MinHash kernel alone, to see where the time goes. Each
    // checks its output against one reference pass made before timing: the same number of
    // units, the same signatures.
    let unit_count = |docs: &[Document]| -> usize {
        docs.iter()
            .map(|d| units(&d.text, UnspacedScripts::Characters).units.len())
            .sum()
    };
    let expected_units = unit_count(&docs);
    assert!(
        expected_units > docs.len(),
        "{expected_units} units in {} documents",
        docs.len()
    );
    g.bench_function("normalize_only", |b| {
        b.iter(|| {
            let n = unit_count(&docs);
            assert_eq!(n, expected_units, "every document normalized as before");
            black_box(n)
        })
    });
    let sets: Vec<Vec<u64>> = docs
        .iter()
        .map(|d| {
            let mut v = Vec::new();
            shingles_into(
                &units(&d.text, UnspacedScripts::Characters).units,
                3,
                &mut v,
            );
            into_set(v)
        })
        .collect();
    // A digest of every signature: each value is folded in, so a kernel that skips a set or a
    // permutation fails the check below.
    let digest = |out: &[u32], acc: u64| {
        out.iter().fold(acc, |h, &v| {
            (h ^ u64::from(v)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    let mut out = vec![0u32; 128];
    let (mut expected_signed, mut expected_digest) = (0usize, 0u64);
    for s in sets.iter().filter(|s| !s.is_empty()) {
        hasher.sign_into(s, &mut out);
        expected_digest = digest(&out, expected_digest);
        expected_signed += 1;
    }
    assert!(expected_signed > 0, "no document has shingles");
    g.bench_function("minhash_kernel_only", |b| {
        let mut out = vec![0u32; 128];
        b.iter(|| {
            let (mut signed, mut d) = (0usize, 0u64);
            for s in sets.iter().filter(|s| !s.is_empty()) {
                hasher.sign_into(s, &mut out);
                d = digest(&out, d);
                signed += 1;
            }
            assert_eq!(signed, expected_signed, "every non-empty set signed");
            assert_eq!(d, expected_digest, "the signatures of the reference pass");
            black_box(d)
        })
    });
    g.finish();
}

fn scans(c: &mut Criterion) {
    let mut g = c.benchmark_group("scan");
    g.sample_size(10);
    let mut sets: Vec<(String, Vec<Document>, usize)> = Vec::new();
    for (name, min_clusters) in [("reuters", 800), ("bbc", 800)] {
        match dev_docs(name) {
            Some(d) => sets.push((name.to_string(), d, min_clusters)),
            None => eprintln!("SKIPPED: dev set {name} not found"),
        }
    }
    let gen = generated(8_000, 60);
    sets.push((format!("generated_{}", gen.len()), gen, 4_000));
    for (name, docs, min_clusters) in sets {
        let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        // One reference scan before timing: every timed scan must read every document and find
        // the same stories (and at least the floor this corpus is known to hold).
        let reference = scan(docs.clone(), &ScanConfig::default(), &Quiet).expect("scan");
        let shape = |r: &wirecopy::pipeline::ScanResult| {
            (
                r.docs.len(),
                r.clusters.len(),
                r.clusters.iter().map(Vec::len).sum::<usize>(),
            )
        };
        let expected = shape(&reference);
        drop(reference);
        assert_eq!(expected.0, docs.len(), "{name}: every document scanned");
        assert!(
            expected.1 >= min_clusters,
            "{name}: {} clusters",
            expected.1
        );
        g.bench_with_input(BenchmarkId::new("end_to_end", &name), &docs, |b, docs| {
            b.iter(|| {
                let r = scan(docs.clone(), &ScanConfig::default(), &Quiet).expect("scan");
                assert_eq!(shape(&r), expected, "{name}: documents, clusters, members");
                black_box(r.clusters.len())
            })
        });
    }
    g.finish();
}

// criterion_group! generates an undocumented function.
#[allow(missing_docs)]
mod group {
    use super::*;
    criterion_group!(benches, signing, scans);
}
use group::benches;
criterion_main!(benches);
