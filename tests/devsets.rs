//! Quality floors on the real syndication dev sets (../shared/data/syndication-dev), scanned
//! with default parameters and scored with the library's evaluator. The floors sit a little
//! under what the defaults reach (README's parameter guide has the measured figures), so a
//! regression fails here. Skipped with a message where ../shared is absent; failing under CI.

mod common;

use std::collections::BTreeMap;
use wirecopy::eval::{id_key, score, Scores};
use wirecopy::pipeline::{scan, Quiet, ScanConfig};
use wirecopy::source::{parse_record, FieldMap};

fn scan_set(name: &str, threads: Option<usize>) -> Option<(Scores, Vec<Vec<String>>)> {
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
    let mut truth = BTreeMap::new();
    for l in std::fs::read_to_string(dir.join("truth.jsonl"))
        .expect("truth")
        .lines()
    {
        let v: serde_json::Value = serde_json::from_str(l).expect("truth line");
        truth.insert(
            id_key(&v["id"]).expect("id"),
            id_key(&v["cluster"]).expect("cluster"),
        );
    }
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
    Some((score(&truth, &predicted).expect("scores"), clusters))
}

#[test]
fn bbc_dev_set_floor() {
    let Some((s, _)) = scan_set("bbc", None) else {
        return;
    };
    eprintln!("bbc: {s:?}");
    // Measured 0.998 with the defaults; issue targets 0.95 (core) and 0.98 (accuracy).
    assert!(s.ari >= 0.99, "BBC ARI {:.4} below the floor", s.ari);
    assert!(s.precision >= 0.995, "BBC precision {:.4}", s.precision);
}

#[test]
fn reuters_dev_set_floor() {
    let Some((s, _)) = scan_set("reuters", None) else {
        return;
    };
    eprintln!("reuters: {s:?}");
    // Measured 0.999 with the defaults; issue targets 0.90 (core) and 0.97 (accuracy).
    assert!(s.ari >= 0.99, "Reuters ARI {:.4} below the floor", s.ari);
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
