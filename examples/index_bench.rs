//! The live index's benchmark (issue 11): on a JSONL corpus, build a directory index from the
//! first `--segment` documents, then measure open time, adds and queries.
//!
//! ```text
//! cargo run --release --example gen_corpus -- --docs 120000 > /tmp/c.jsonl   # or any JSONL
//! cargo run --release --example index_bench -- --corpus /tmp/c.jsonl --segment 100000 \
//!     --adds 2000 --queries 2000 --dir /tmp/index-bench
//! ```
//!
//! Prints: build time; index size on disk per document; open time (median of 5 opens, file in
//! the page cache); per-add latency p50/p99 and adds per second, each add synced to disk as
//! `wirecopy stream` does; query latency p50/p99 (queries are the documents after the adds, so
//! copies and new stories in the corpus's proportions). Nothing here is asserted: these are
//! figures for README, measured on whatever machine runs them.

use std::path::PathBuf;
use std::time::{Duration, Instant};
use wirecopy::index::Index;
use wirecopy::input::{parse_record, FieldMap};
use wirecopy::pipeline::{scan, Quiet, ScanConfig};

struct Args {
    corpus: PathBuf,
    segment: usize,
    adds: usize,
    queries: usize,
    dir: PathBuf,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        corpus: PathBuf::new(),
        segment: 10_000,
        adds: 1000,
        queries: 1000,
        dir: std::env::temp_dir().join("wirecopy-index-bench"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--corpus" => a.corpus = PathBuf::from(&value),
            "--segment" => a.segment = number()?,
            "--adds" => a.adds = number()?,
            "--queries" => a.queries = number()?,
            "--dir" => a.dir = PathBuf::from(&value),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if a.corpus.as_os_str().is_empty() {
        return Err("--corpus FILE is required".into());
    }
    Ok(a)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = args()?;
    let text = std::fs::read_to_string(&a.corpus)?;
    let mut docs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if docs.len() == a.segment + a.adds + a.queries {
            break;
        }
        match parse_record(line, &FieldMap::default()) {
            Ok(d) => docs.push(d),
            Err(e) => eprintln!("{} line {}: {e}", a.corpus.display(), n + 1),
        }
    }
    drop(text);
    let queries = docs.split_off((a.segment + a.adds).min(docs.len()));
    let adds = docs.split_off(a.segment.min(docs.len()));
    let segment_docs = docs.len();

    if a.dir.exists() {
        std::fs::remove_dir_all(&a.dir)?;
    }
    let t = Instant::now();
    let result = scan(docs, &ScanConfig::default(), &Quiet)?;
    let index = Index::create(&a.dir, &result)?;
    drop(result);
    drop(index);
    let build = t.elapsed();
    let bytes: u64 = std::fs::read_dir(&a.dir)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "segment: {segment_docs} documents, built in {:.2} s, {:.0} bytes on disk per document",
        build.as_secs_f64(),
        bytes as f64 / segment_docs.max(1) as f64
    );

    let mut opens: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let ix = Index::open(&a.dir);
            let e = t.elapsed();
            drop(ix);
            e
        })
        .collect();
    opens.sort();
    println!(
        "open: median {:.3} ms (min {:.3}, max {:.3})",
        opens[2].as_secs_f64() * 1e3,
        opens[0].as_secs_f64() * 1e3,
        opens[4].as_secs_f64() * 1e3
    );

    let mut index = Index::open(&a.dir)?;
    index.set_options(wirecopy::IndexOptions {
        manual: true,
        ..Default::default()
    });
    let mut lat = Vec::with_capacity(adds.len());
    let mut syncs = Vec::with_capacity(adds.len());
    let n_adds = adds.len();
    let t = Instant::now();
    for d in adds {
        let s = Instant::now();
        index.add(d)?;
        let added = Instant::now();
        index.sync()?;
        lat.push(added - s);
        syncs.push(added.elapsed());
    }
    let total = t.elapsed();
    lat.sort();
    syncs.sort();
    println!(
        "add: {n_adds} in {:.2} s with a sync after each, {:.0} per second; add p50 {:.3} ms, p99 {:.3} ms; sync p50 {:.3} ms, p99 {:.3} ms",
        total.as_secs_f64(),
        n_adds as f64 / total.as_secs_f64().max(1e-9),
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        percentile(&syncs, 0.5).as_secs_f64() * 1e3,
        percentile(&syncs, 0.99).as_secs_f64() * 1e3
    );

    let mut lat = Vec::with_capacity(queries.len());
    let mut copies = 0usize;
    for d in &queries {
        let s = Instant::now();
        let decision = index.query(d)?;
        lat.push(s.elapsed());
        copies += usize::from(!decision.matches.is_empty());
    }
    lat.sort();
    println!(
        "query: {} ({copies} copies), p50 {:.3} ms, p99 {:.3} ms, index of {} documents",
        queries.len(),
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        index.len()
    );
    Ok(())
}
