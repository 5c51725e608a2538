//! Benchmarks: signing throughput (text -> signature, with and without the sorted shingle set,
//! one core), the normalizer alone, the MinHash kernel alone, every stage of a scan on its own
//! (`stage/*`, on the generated corpus, each from the inputs a reference scan gave it), and
//! end-to-end scans of the dev sets (when ../shared is present) and of a generated corpus.
//! Each bench asserts the counts it processes, so a broken pipeline fails instead of getting
//! faster.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rayon::prelude::*;
use std::hint::black_box;
use std::path::PathBuf;
use wirecopy::chrome::LineStats;
use wirecopy::cluster;
use wirecopy::fingerprint::{content_mask_of, content_sequence, Fingerprinter, Page};
use wirecopy::input::ReadCounts;
use wirecopy::input::{parse_record, FieldMap};
use wirecopy::lsh::{self, LshConfig};
use wirecopy::minhash::{MinHasher, SignatureParams};
use wirecopy::normalize::Line;
use wirecopy::normalize::{forget_line_features, units, UnspacedScripts};
use wirecopy::output;
use wirecopy::pipeline::{scan, Quiet, ScanConfig, ScanResult};
use wirecopy::report::ReportConfig;
use wirecopy::shingle::{into_set, shingles_into, ShingleKind};
use wirecopy::verify;
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
            // Each pass starts with no line remembered, as a scan meets each page once.
            forget_line_features();
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
            forget_line_features();
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
            forget_line_features();
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

/// Every stage of a scan on its own, on the generated corpus: each bench starts from what a
/// reference scan gave the stage and checks that it gives the same again (the same units, line
/// statistics, shingle sets, signatures, candidates, matches, clusters and report), so a broken
/// stage fails instead of getting faster. The sums of these are not a scan: the pipeline runs
/// the matching stages twice (see `scan --timings`, "story groups").
fn stages(c: &mut Criterion) {
    let docs = generated(8_000, 60);
    let cfg = ScanConfig::default();
    let r = scan(docs, &cfg, &Quiet).expect("scan");
    let n = r.docs.len();
    let bytes: usize = r.docs.iter().map(|d| d.text.len()).sum();
    let mut g = c.benchmark_group("stage");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));

    let fp = Fingerprinter::new(&cfg).expect("fingerprinter");
    let normalize = || -> Vec<Page> { r.docs.par_iter().map(|d| fp.page(d)).collect() };
    let pages = normalize();
    let unit_count = |p: &[Page]| p.iter().map(|p| p.units.units.len()).sum::<usize>();
    let expected_units = unit_count(&pages);
    assert!(
        expected_units > n,
        "{expected_units} units in {n} documents"
    );
    g.bench_function("normalize", |b| {
        b.iter(|| {
            // Every worker starts with no line features remembered, as in a scan.
            rayon::broadcast(|_| forget_line_features());
            let p = normalize();
            assert_eq!(
                unit_count(&p),
                expected_units,
                "every page normalized as before"
            );
            black_box(p.len())
        })
    });

    // Chrome statistics grouped by the scan's own stories (the pipeline groups by its
    // provisional pass's, which are close to them).
    let pairs: Vec<(u64, &[Line])> = pages
        .iter()
        .map(|p| (p.site, p.units.lines.as_slice()))
        .collect();
    let mut groups: Vec<u32> = (0..n as u32).collect();
    for c in &r.clusters {
        for &d in c {
            groups[d as usize] = c[0];
        }
    }
    let stats = LineStats::build_grouped(&pairs, &groups);
    let expected_lines = (stats.pages, stats.global.len());
    g.bench_function("chrome_stats", |b| {
        b.iter(|| {
            let s = LineStats::build_grouped(&pairs, &groups);
            assert_eq!(
                (s.pages, s.global.len()),
                expected_lines,
                "the same line statistics"
            );
            black_box(s.pages)
        })
    });

    let masks: Vec<Vec<bool>> = pages
        .par_iter()
        .map(|p| {
            content_mask_of(
                &p.units.lines,
                p.site,
                &cfg.chrome,
                |site, line| stats.is_template(&cfg.chrome, site, line),
                |line| stats.is_recurring(line),
            )
        })
        .collect();
    let chunker = fp.chunker();
    let shingle = || -> Vec<(Vec<u64>, Vec<u32>)> {
        pages
            .par_iter()
            .zip(&masks)
            .map(|(p, m)| {
                let seq = content_sequence(&p.units, m, cfg.shingle);
                let windows = chunker.sign(&seq);
                (wirecopy::shingle::into_set(seq), windows)
            })
            .collect()
    };
    let shingle_count =
        |s: &[(Vec<u64>, Vec<u32>)]| s.iter().map(|(set, w)| set.len() + w.len()).sum::<usize>();
    let expected_shingles = shingle_count(&shingle());
    assert!(expected_shingles > n, "{expected_shingles} shingles");
    g.bench_function("shingle", |b| {
        b.iter(|| {
            let s = shingle();
            assert_eq!(
                shingle_count(&s),
                expected_shingles,
                "the same shingle sets"
            );
            black_box(s.len())
        })
    });

    let hasher = fp.hasher();
    let k = cfg.num_perm;
    g.bench_function("sign", |b| {
        let mut sigs = vec![0u32; n * k];
        b.iter(|| {
            sigs.par_chunks_mut(k)
                .zip(&r.sets)
                .for_each(|(out, set)| hasher.sign_into(set, out));
            assert!(sigs == r.signatures, "the scan's signatures");
            black_box(sigs[0])
        })
    });

    let indexed: Vec<bool> = r.near_empty.iter().map(|e| !e).collect();
    let lsh_cfg = LshConfig {
        banding: r.banding,
        max_run_pairs: cfg.max_run_pairs,
    };
    let cands = lsh::candidates(&r.signatures, k, &indexed, &lsh_cfg).expect("candidates");
    assert!(
        cands.len() <= r.candidates && cands.len() >= r.edges.len() / 2,
        "{} signature candidates, {} in the scan with window candidates, {} edges",
        cands.len(),
        r.candidates,
        r.edges.len()
    );
    g.bench_function("lsh_candidates", |b| {
        b.iter(|| {
            let c = lsh::candidates(&r.signatures, k, &indexed, &lsh_cfg).expect("candidates");
            assert_eq!(c.len(), cands.len(), "the same candidates");
            black_box(c.len())
        })
    });

    // Exact similarity of the scan's own candidates (signature and window ones), without the
    // figures veto, which is a lookup.
    let matches = |pairs: &[(u32, u32)]| {
        pairs
            .par_iter()
            .filter(|&&(a, b)| cfg.matches(&r.similarity(a as usize, b as usize)))
            .count()
    };
    let mut all: Vec<(u32, u32)> = cands.clone();
    all.extend(r.edges.iter().map(|e| (e.a, e.b)));
    all.sort_unstable();
    all.dedup();
    let expected_matches = matches(&all);
    assert!(expected_matches >= r.edges.len(), "every edge matches");
    g.throughput(Throughput::Elements(all.len() as u64));
    g.bench_function("verify", |b| {
        b.iter(|| {
            let m = matches(&all);
            assert_eq!(m, expected_matches, "the same matches");
            black_box(m)
        })
    });

    // The pipeline's guard closures, as match_sets builds them.
    let f = cfg.cluster.guard_factor;
    let passes = |a: u32, b: u32| {
        let s = r.similarity(a as usize, b as usize);
        !r.near_empty[a as usize]
            && !r.near_empty[b as usize]
            && (s.jaccard >= cfg.threshold * f || s.overlap() >= cfg.containment * f)
    };
    let within = |a: u32, b: u32| {
        !r.near_empty[a as usize]
            && verify::similarity(&r.sets[a as usize], &r.sets[b as usize]).containment_a
                >= cfg.containment
    };
    g.throughput(Throughput::Elements(r.edges.len() as u64));
    g.bench_function("cluster", |b| {
        b.iter(|| {
            let c = cluster::cluster(n, &r.edges, &cfg.cluster, passes, within);
            assert!(c == r.clusters, "the scan's clusters");
            black_box(c.len())
        })
    });

    let mut released: ScanResult = r.clone();
    output::release_unreported(&mut released);
    let report_cfg = ReportConfig::default();
    let stories = output::report(&released, ReadCounts::default(), &report_cfg)
        .expect("report")
        .clusters
        .len();
    assert_eq!(stories, r.clusters.len(), "one story per cluster");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("report", |b| {
        b.iter(|| {
            let rep =
                output::report(&released, ReadCounts::default(), &report_cfg).expect("report");
            assert_eq!(rep.clusters.len(), stories, "every story reported");
            black_box(rep.counts.clustered_documents)
        })
    });
    g.finish();
}

// criterion_group! generates an undocumented function.
#[allow(missing_docs)]
mod group {
    use super::*;
    criterion_group!(benches, signing, stages, scans);
}
use group::benches;
criterion_main!(benches);
