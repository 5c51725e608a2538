//! eval.rs: how good are the clusters?
//!
//! Scores predicted clusters against labels: pairwise precision, recall and F1 over the pairs of
//! documents put together, and the adjusted Rand index over all labelled documents (Hubert and
//! Arabie). Documents absent from the prediction are singletons; predicted documents without a
//! label are an error, since they make the scores meaningless.
//!
//! It also reads the two inputs ([`read_truth`], [`read_clusters`]): any problem in them (bad
//! JSON, a missing id, an id labelled twice or put in two clusters) is an error naming the file
//! and line, and for a repeated id the line of its first occurrence too.

use crate::error::{Error, Location, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

/// Evaluation scores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    /// Labelled documents.
    pub documents: usize,
    /// Pairs put together by the prediction.
    pub predicted_pairs: u64,
    /// Pairs together in the truth.
    pub true_pairs: u64,
    /// Pairs together in both.
    pub correct_pairs: u64,
    /// correct / predicted (1 when nothing is predicted).
    pub precision: f64,
    /// correct / true (1 when the truth has no pairs).
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Adjusted Rand index.
    pub ari: f64,
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Score `predicted` (document key -> cluster label, clustered documents only) against `truth`
/// (document key -> label, every document).
pub fn score(
    truth: &BTreeMap<String, String>,
    predicted: &BTreeMap<String, String>,
) -> Result<Scores> {
    if let Some(k) = predicted.keys().find(|k| !truth.contains_key(*k)) {
        return Err(Error::Eval(format!(
            "document {k} is in the clusters but not in the truth"
        )));
    }
    // Contingency table over (true label, predicted label); unpredicted documents are their own
    // singleton clusters.
    let mut cont: BTreeMap<(&str, String), u64> = BTreeMap::new();
    let mut a_sizes: BTreeMap<&str, u64> = BTreeMap::new();
    let mut b_sizes: BTreeMap<String, u64> = BTreeMap::new();
    for (doc, t) in truth {
        // Predicted labels and document keys live in different namespaces.
        let p_key = match predicted.get(doc) {
            Some(label) => format!("c\0{label}"),
            None => format!("d\0{doc}"),
        };
        *cont.entry((t.as_str(), p_key.clone())).or_default() += 1;
        *a_sizes.entry(t.as_str()).or_default() += 1;
        *b_sizes.entry(p_key).or_default() += 1;
    }
    let n = truth.len() as u64;
    let index: u64 = cont.values().map(|&c| pairs(c)).sum();
    let sum_a: u64 = a_sizes.values().map(|&c| pairs(c)).sum();
    let sum_b: u64 = b_sizes.values().map(|&c| pairs(c)).sum();
    let total = pairs(n) as f64;
    let expected = if total > 0.0 {
        sum_a as f64 * sum_b as f64 / total
    } else {
        0.0
    };
    let max_index = (sum_a + sum_b) as f64 / 2.0;
    let ari = if (max_index - expected).abs() < f64::EPSILON {
        1.0
    } else {
        (index as f64 - expected) / (max_index - expected)
    };
    let precision = if sum_b == 0 {
        1.0
    } else {
        index as f64 / sum_b as f64
    };
    let recall = if sum_a == 0 {
        1.0
    } else {
        index as f64 / sum_a as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    Ok(Scores {
        documents: truth.len(),
        predicted_pairs: sum_b,
        true_pairs: sum_a,
        correct_pairs: index,
        precision,
        recall,
        f1,
        ari,
    })
}

/// The key a JSON id value is matched by: strings as they are, numbers in their JSON spelling.
pub fn id_key(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Call `each` with the line number and value of every non-blank line of a JSON Lines stream
/// (a UTF-8 BOM before the first line is dropped); errors name `path` and the line.
fn json_lines(
    r: impl BufRead,
    path: &Path,
    mut each: impl FnMut(u64, serde_json::Value) -> std::result::Result<(), String>,
) -> Result<()> {
    let at = |n: u64, msg: &dyn std::fmt::Display| {
        Error::Eval(format!(
            "reading {}: {msg}",
            Location::Line(n).in_file(path)
        ))
    };
    for (i, line) in r.split(b'\n').enumerate() {
        let n = i as u64 + 1;
        let line = line.map_err(|e| at(n, &e))?;
        let mut bytes = &line[..];
        if n == 1 {
            bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        }
        let line = std::str::from_utf8(bytes).map_err(|e| at(n, &e))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| at(n, &e))?;
        each(n, v).map_err(|msg| at(n, &msg))?;
    }
    Ok(())
}

/// Read labels: one `{"id", "cluster"}` object per line, ids and labels strings or numbers.
/// Returns document key -> label; an id labelled twice is an error naming both lines.
pub fn read_truth(r: impl BufRead, path: &Path) -> Result<BTreeMap<String, String>> {
    let mut truth = BTreeMap::new();
    let mut first_line: BTreeMap<String, u64> = BTreeMap::new();
    json_lines(r, path, |n, v| {
        let id = v
            .get("id")
            .and_then(id_key)
            .ok_or("missing or invalid \"id\" (a string or number)")?;
        let c = v
            .get("cluster")
            .and_then(id_key)
            .ok_or("missing or invalid \"cluster\" (a string or number)")?;
        if let Some(first) = first_line.get(&id) {
            return Err(format!(
                "document {id} is labelled twice (first on line {first}): ids must be unique"
            ));
        }
        first_line.insert(id.clone(), n);
        truth.insert(id, c);
        Ok(())
    })?;
    Ok(truth)
}

/// Read predicted clusters: JSON Lines from `scan --format jsonl`, one cluster per line with a
/// `members` array of objects with an `id`. Returns document key -> cluster label (the
/// `cluster` field, else the line); a document in two clusters is an error naming both lines.
pub fn read_clusters(r: impl BufRead, path: &Path) -> Result<BTreeMap<String, String>> {
    let mut predicted = BTreeMap::new();
    let mut first_line: BTreeMap<String, u64> = BTreeMap::new();
    json_lines(r, path, |n, v| {
        let c = v
            .get("cluster")
            .and_then(id_key)
            .unwrap_or_else(|| format!("line{n}"));
        let members = v
            .get("members")
            .and_then(|m| m.as_array())
            .ok_or("missing \"members\" array")?;
        for m in members {
            let id = m
                .get("id")
                .and_then(id_key)
                .ok_or("member without a valid \"id\" (a string or number)")?;
            if let Some(first) = first_line.get(&id) {
                return Err(if *first == n {
                    format!("document {id} is listed twice in this cluster: ids must be unique")
                } else {
                    format!(
                        "document {id} is also in the cluster on line {first}: ids must be unique"
                    )
                });
            }
            first_line.insert(id.clone(), n);
            predicted.insert(id, c.clone());
        }
        Ok(())
    })?;
    Ok(predicted)
}

/// Document key -> label, as [`read_truth`] and [`read_clusters`] return it.
pub type Labels = BTreeMap<String, String>;

/// [`read_truth`] or [`read_clusters`] on a file.
pub fn read_file(
    path: &Path,
    read: fn(std::io::BufReader<std::fs::File>, &Path) -> Result<Labels>,
) -> Result<Labels> {
    let f = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read(std::io::BufReader::new(f), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: &[(&str, &str)]) -> BTreeMap<String, String> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn perfect_and_empty_predictions() {
        let truth = map(&[("a", "1"), ("b", "1"), ("c", "2"), ("d", "3")]);
        let s = score(&truth, &map(&[("a", "x"), ("b", "x")])).expect("ok");
        assert_eq!((s.precision, s.recall, s.ari), (1.0, 1.0, 1.0));
        let s = score(&truth, &map(&[])).expect("ok");
        assert_eq!(s.recall, 0.0);
        assert!(s.ari.abs() < 1e-9);
    }

    #[test]
    fn ari_matches_sklearn() {
        // sklearn.metrics.adjusted_rand_score([0,0,0,1,1,1], [0,0,1,1,2,2]) = 0.24242424...
        let truth = map(&[
            ("a", "0"),
            ("b", "0"),
            ("c", "0"),
            ("d", "1"),
            ("e", "1"),
            ("f", "1"),
        ]);
        let pred = map(&[
            ("a", "p0"),
            ("b", "p0"),
            ("c", "p1"),
            ("d", "p1"),
            ("e", "p2"),
            ("f", "p2"),
        ]);
        let s = score(&truth, &pred).expect("ok");
        assert!((s.ari - 0.242_424_242_4).abs() < 1e-6, "{}", s.ari);
        assert!((s.precision - 2.0 / 3.0).abs() < 1e-9);
        assert!((s.recall - 2.0 / 6.0).abs() < 1e-9);
    }

    #[test]
    fn repeated_ids_name_file_and_both_lines() {
        let truth = b"\xef\xbb\xbf{\"id\": 1, \"cluster\": \"a\"}\n\n{\"id\": \"x\", \"cluster\": 2}\n{\"id\": 1, \"cluster\": \"b\"}\n";
        let e = read_truth(&truth[..], Path::new("t.jsonl")).expect_err("twice");
        assert_eq!(
            e.to_string(),
            "evaluation input: reading t.jsonl line 4: document 1 is labelled twice (first on line 1): ids must be unique"
        );
        let ok = read_truth(&truth[..truth.len() - 27], Path::new("t.jsonl")).expect("bom");
        assert_eq!(ok.len(), 2);
        let clusters = b"{\"cluster\": 0, \"members\": [{\"id\": 5}, {\"id\": 6}]}\n{\"members\": [{\"id\": 6}]}\n";
        let e = read_clusters(&clusters[..], Path::new("c.jsonl")).expect_err("two clusters");
        assert!(
            e.to_string()
                .contains("reading c.jsonl line 2: document 6 is also in the cluster on line 1"),
            "{e}"
        );
        let e = read_clusters(&b"{\"members\": 3}"[..], Path::new("c.jsonl")).expect_err("bad");
        assert!(
            e.to_string()
                .contains("reading c.jsonl line 1: missing \"members\""),
            "{e}"
        );
        // Ids beyond u64 keep their digits.
        let big = b"{\"id\": 123456789012345678901234567890, \"cluster\": 1}\n{\"id\": 123456789012345678901234567891, \"cluster\": 1}\n";
        assert_eq!(
            read_truth(&big[..], Path::new("t"))
                .expect("distinct")
                .len(),
            2
        );
    }

    #[test]
    fn unknown_predicted_document_is_an_error() {
        assert!(score(&map(&[("a", "1")]), &map(&[("z", "1")])).is_err());
    }
}
