//! eval.rs: how good are the clusters?
//!
//! Scores predicted clusters against labels: pairwise precision, recall and F1 over the pairs of
//! documents put together, and the adjusted Rand index over all labelled documents (Hubert and
//! Arabie). Documents absent from the prediction are singletons; predicted documents without a
//! label are an error, since they make the scores meaningless.

use crate::error::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;

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
    fn unknown_predicted_document_is_an_error() {
        assert!(score(&map(&[("a", "1")]), &map(&[("z", "1")])).is_err());
    }
}
