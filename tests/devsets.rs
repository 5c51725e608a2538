//! Quality floors on the real syndication dev sets (../shared/data/syndication-dev), scanned
//! with default parameters and scored with the library's evaluator. The floors sit a little
//! under what the defaults reach (README's parameter guide has the measured figures), so a
//! regression fails here. Skipped with a message where ../shared is absent; failing under CI.

mod common;

use std::collections::BTreeMap;
use wirecopy::eval::{id_key, score, Scores};
use wirecopy::input::{parse_record, FieldMap};
use wirecopy::pipeline::{scan, scan_with, Quiet, ScanConfig, ScanOptions};

type Labels = BTreeMap<String, String>;

/// A dev set's scores, clusters, truth and predicted labels.
struct SetRun {
    scores: Scores,
    clusters: Vec<Vec<String>>,
    truth: Labels,
    predicted: Labels,
}

fn scan_set(name: &str, threads: Option<usize>) -> Option<(Scores, Vec<Vec<String>>)> {
    run_set(name, threads).map(|r| (r.scores, r.clusters))
}

fn run_set(name: &str, threads: Option<usize>) -> Option<SetRun> {
    let dir = common::shared_data(&format!("syndication-dev/{name}"))?;
    let text = std::fs::read_to_string(dir.join("docs.jsonl")).expect("docs.jsonl");
    let docs: Vec<_> = text
        .lines()
        .map(|l| parse_record(l, &FieldMap::default()).expect("valid record"))
        .collect();
    let run = || scan(docs.clone(), &ScanConfig::default(), &Quiet).expect("scan");
    let r = match threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("pool")
            .install(run),
        None => run(),
    };
    let truth = common::read_truth(&dir);
    let mut predicted = BTreeMap::new();
    let mut clusters = Vec::new();
    for (c, members) in r.clusters.iter().enumerate() {
        let ids: Vec<String> = members
            .iter()
            .map(|&m| r.docs[m as usize].id.to_string())
            .collect();
        for id in &ids {
            predicted.insert(id.clone(), c.to_string());
        }
        clusters.push(ids);
    }
    Some(SetRun {
        scores: score(&truth, &predicted).expect("scores"),
        clusters,
        truth,
        predicted,
    })
}

/// Scores over one mechanism's pages plus every page predicted in a cluster with one of them
/// (so that a false merge with an outside page counts), as the versions set's README defines.
fn mechanism_scores(run: &SetRun, ids: &[String]) -> Scores {
    let mut keep: std::collections::BTreeSet<String> = ids.iter().cloned().collect();
    for c in &run.clusters {
        if c.iter().any(|id| keep.contains(id)) {
            keep.extend(c.iter().cloned());
        }
    }
    let cut = |m: &Labels| -> Labels {
        m.iter()
            .filter(|(k, _)| keep.contains(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    score(&cut(&run.truth), &cut(&run.predicted)).expect("scores")
}

#[test]
fn fanout_dev_set_floor() {
    let Some(r) = run_set("fanout", None) else {
        return;
    };
    let s = &r.scores;
    eprintln!("fanout: {s:?}");
    // Issue 9: ARI >= 0.99 (0.161 before chrome was counted over story groups).
    assert!(s.ari >= 0.99, "fanout ARI {:.4} below the floor", s.ari);
    assert!(s.precision >= 0.995, "fanout precision {:.4}", s.precision);
}

#[test]
fn multilingual_dev_set_floor() {
    let Some(r) = run_set("multilingual", None) else {
        return;
    };
    let s = &r.scores;
    eprintln!("multilingual: {s:?}");
    // 0.991 before issue 9, 0.996 after; must not drop.
    assert!(
        s.ari >= 0.993,
        "multilingual ARI {:.4} below the floor",
        s.ari
    );
    assert!(
        s.precision >= 0.995,
        "multilingual precision {:.4}",
        s.precision
    );
}

#[test]
fn versions_dev_set_floors_per_mechanism() {
    let Some(r) = run_set("versions", None) else {
        return;
    };
    let dir = common::shared_data("syndication-dev/versions").expect("present");
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).expect("meta"))
            .expect("meta.json");
    eprintln!("versions: {:?}", r.scores);
    assert!(r.scores.ari >= 0.99, "versions ARI {:.4}", r.scores.ari);
    // Issue 9's target: 0.98 overall and in each mechanism (the defaults reach 0.986-1.000,
    // README).
    let floors = [
        ("background", 0.98),
        ("site_versions", 0.98),
        ("excerpts", 0.98),
        ("templated_reports", 0.98),
        ("dispatch_updates", 0.98),
    ];
    let mut failures = Vec::new();
    for (mechanism, floor) in floors {
        let ids: Vec<String> = meta["mechanisms"][mechanism]["ids"]
            .as_array()
            .expect("mechanism ids")
            .iter()
            .map(|v| id_key(v).expect("id"))
            .collect();
        let s = mechanism_scores(&r, &ids);
        eprintln!("versions {mechanism}: ARI {:.4}", s.ari);
        if s.ari < floor {
            failures.push(format!("{mechanism}: ARI {:.4} < {floor}", s.ari));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("; "));
}

#[test]
fn bbc_dev_set_floor() {
    let Some((s, _)) = scan_set("bbc", None) else {
        return;
    };
    eprintln!("bbc: {s:?}");
    // Measured 0.9998 with the defaults; issue 9: stays >= 0.995.
    assert!(s.ari >= 0.995, "BBC ARI {:.4} below the floor", s.ari);
    assert!(s.precision >= 0.995, "BBC precision {:.4}", s.precision);
}

#[test]
fn reuters_dev_set_floor() {
    let Some((s, _)) = scan_set("reuters", None) else {
        return;
    };
    eprintln!("reuters: {s:?}");
    // Measured 0.9985 with the defaults; issue 9: stays >= 0.995.
    assert!(s.ari >= 0.995, "Reuters ARI {:.4} below the floor", s.ari);
    assert!(s.precision >= 0.995, "Reuters precision {:.4}", s.precision);
}

#[test]
fn dev_set_result_does_not_depend_on_threads() {
    let Some((_, one)) = scan_set("reuters", Some(1)) else {
        return;
    };
    let Some((_, two)) = scan_set("reuters", Some(2)) else {
        return;
    };
    assert_eq!(one, two);
}

#[test]
fn dev_set_result_does_not_depend_on_the_memory_limit() {
    // The out-of-core path (candidate pairs in sorted runs on disk, merged back) against the
    // in-memory scan on a real set: the same clusters, pairs and counts.
    let Some(dir) = common::shared_data("syndication-dev/versions") else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("docs.jsonl")).expect("docs.jsonl");
    let docs: Vec<_> = text
        .lines()
        .map(|l| parse_record(l, &FieldMap::default()).expect("valid record"))
        .collect();
    let cfg = ScanConfig::default();
    let memory = scan(docs.clone(), &cfg, &Quiet).expect("scan");
    let spill = tempfile::tempdir().expect("dir");
    let opts = ScanOptions {
        memory_limit: Some(64 << 10),
        spill_dir: Some(spill.path().to_path_buf()),
        ..ScanOptions::default()
    };
    let disk = scan_with(docs, &cfg, &Quiet, &opts).expect("scan");
    assert!(disk.spilled_bytes > 0, "a 64 KiB limit spilled nothing");
    assert_eq!(disk.clusters, memory.clusters);
    assert_eq!(disk.edges, memory.edges);
    assert_eq!(disk.candidates, memory.candidates);
}
