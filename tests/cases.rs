//! The hand-written cases in tests/cases/: each a realistic copy pattern or a near miss, with the
//! expected verdict. All cases are scanned together in one corpus (with the demo corpus as
//! background, so that site chrome has pages to be learned from), and each case's documents
//! must come out exactly in the expected clusters. A document listed in `may_join_any` (a page
//! carrying two stories) may join either story or stay alone, but must not glue them together.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use wirecopy::input::{parse_record, FieldMap};
use wirecopy::pipeline::{scan, Quiet, ScanConfig};
use wirecopy::Document;

struct Case {
    file: String,
    ids: BTreeSet<String>,
    expected: Vec<BTreeSet<String>>,
    flexible: BTreeSet<String>,
}

fn load() -> (Vec<Document>, Vec<Case>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/cases exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut docs = Vec::new();
    let mut cases = Vec::new();
    for f in files {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&f).expect("read"))
                .expect("case is JSON");
        let mut ids = BTreeSet::new();
        for d in v["docs"].as_array().expect("docs") {
            let doc = parse_record(&d.to_string(), &FieldMap::default())
                .expect("case doc is a valid record");
            ids.insert(doc.id.to_string());
            docs.push(doc);
        }
        let set = |a: &serde_json::Value| -> BTreeSet<String> {
            a.as_array()
                .map(|x| {
                    x.iter()
                        .map(|s| s.as_str().expect("id").to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        cases.push(Case {
            file: f.file_name().expect("name").to_string_lossy().into_owned(),
            expected: v["expected"]
                .as_array()
                .expect("expected")
                .iter()
                .map(set)
                .collect(),
            flexible: set(&v["may_join_any"]),
            ids,
        });
    }
    assert!(
        cases.len() >= 30,
        "at least 30 cases, found {}",
        cases.len()
    );
    let corpus = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/wire.jsonl"),
    )
    .expect("demo corpus");
    for line in corpus.lines().filter(|l| !l.trim().is_empty()) {
        docs.push(parse_record(line, &FieldMap::default()).expect("corpus record"));
    }
    (docs, cases)
}

#[test]
fn every_case_gets_its_verdict() {
    let (docs, cases) = load();
    let r = scan(docs, &ScanConfig::default(), &Quiet).expect("scan");
    let mut cluster_of: BTreeMap<String, usize> = BTreeMap::new();
    for (c, members) in r.clusters.iter().enumerate() {
        for &m in members {
            cluster_of.insert(r.docs[m as usize].id.to_string(), c);
        }
    }
    let members_of = |c: usize| -> BTreeSet<String> {
        r.clusters[c]
            .iter()
            .map(|&m| r.docs[m as usize].id.to_string())
            .collect()
    };
    let mut failures = Vec::new();
    for case in &cases {
        // Every cluster touching the case must stay inside it (flexible pages included).
        let mut got: Vec<BTreeSet<String>> = Vec::new();
        let touched: BTreeSet<usize> = case
            .ids
            .iter()
            .filter_map(|id| cluster_of.get(id).copied())
            .collect();
        for c in touched {
            let m = members_of(c);
            if !m.is_subset(&case.ids) {
                failures.push(format!(
                    "{}: cluster reaches outside the case: {m:?}",
                    case.file
                ));
            }
            let m: BTreeSet<String> = m.difference(&case.flexible).cloned().collect();
            if m.len() >= 2 {
                got.push(m);
            }
        }
        let mut want: Vec<BTreeSet<String>> = case
            .expected
            .iter()
            .map(|e| {
                e.difference(&case.flexible)
                    .cloned()
                    .collect::<BTreeSet<_>>()
            })
            .filter(|e| e.len() >= 2)
            .collect();
        got.sort();
        want.sort();
        if got != want {
            failures.push(format!("{}: expected {want:?}, got {got:?}", case.file));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
