//! The hand-written cases in tests/cases/: each a realistic copy pattern or a near miss, with the
//! expected verdict. All cases are scanned together in one corpus (with the demo corpus as
//! background, so that site chrome has pages to be learned from), and each case's documents
//! must come out exactly in the expected clusters. A document listed in `may_join_any` (a page
//! carrying two stories) may join either story or stay alone, but must not glue them together.
//!
//! A case may also say what the report must tell of a story: `"report": {"wire": "Xinhua",
//! "credited": {"copy-id": true, "other-id": false}}` (or a list of such objects, one per
//! story). The story is the one holding the `credited` ids; `wire` is the agency's code
//! (`null`: no wire) and each `credited` value is what the report's `credited` must be for that
//! member (`true` kept, `false` stripped, `null` not applicable, as for the origin).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use wirecopy::input::{parse_record, FieldMap, ReadCounts};
use wirecopy::pipeline::{scan, Quiet, ScanConfig};
use wirecopy::report::{Report, ReportConfig};
use wirecopy::Document;

struct Case {
    file: String,
    ids: BTreeSet<String>,
    expected: Vec<BTreeSet<String>>,
    flexible: BTreeSet<String>,
    reports: Vec<ReportWant>,
}

/// What the report must say of one story of a case.
struct ReportWant {
    /// The wire agency's code, `None` for no wire.
    wire: Option<String>,
    /// Member id -> expected `credited`.
    credited: BTreeMap<String, Option<bool>>,
}

fn report_wants(v: &serde_json::Value) -> Vec<ReportWant> {
    let one = |r: &serde_json::Value| ReportWant {
        wire: r["wire"].as_str().map(str::to_string),
        credited: r["credited"]
            .as_object()
            .expect("report.credited is an object of member ids")
            .iter()
            .map(|(id, c)| (id.clone(), c.as_bool()))
            .collect(),
    };
    match v {
        serde_json::Value::Null => Vec::new(),
        serde_json::Value::Array(a) => a.iter().map(one).collect(),
        r => vec![one(r)],
    }
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
            reports: report_wants(&v["report"]),
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
    let report = wirecopy::output::report(&r, ReadCounts::default(), &ReportConfig::default())
        .expect("report");
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
        for w in &case.reports {
            failures.extend(
                check_report(&report, w)
                    .into_iter()
                    .map(|f| format!("{}: {f}", case.file)),
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// What is wrong with the report's story holding `want`'s members, if anything.
fn check_report(report: &Report, want: &ReportWant) -> Vec<String> {
    let ids: Vec<&String> = want.credited.keys().collect();
    let Some(story) = report.clusters.iter().find(|s| {
        s.members
            .iter()
            .any(|m| ids.iter().any(|id| m.id.to_string() == **id))
    }) else {
        return vec![format!("report: no story holds {ids:?}")];
    };
    let mut out = Vec::new();
    let wire = story.wire.map(|a| a.code.to_string());
    if wire != want.wire {
        out.push(format!(
            "report: story {} names wire {wire:?}, expected {:?}",
            story.id, want.wire
        ));
    }
    for (id, credited) in &want.credited {
        match story.members.iter().find(|m| m.id.to_string() == *id) {
            None => out.push(format!("report: {id} is not in story {}", story.id)),
            Some(m) if m.credited != *credited => out.push(format!(
                "report: {id} credited {:?}, expected {credited:?}",
                m.credited
            )),
            Some(_) => {}
        }
    }
    out
}
