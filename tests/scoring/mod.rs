//! Token-level scoring of an extraction against a reference text, shared by
//! tests/extraction_quality.rs and examples/score_extraction.rs (included there with `#[path]`),
//! so that the guard and the measuring tool score the same way. Not part of the library: the
//! library extracts, it does not grade itself.

/// Token-level precision, recall and F1 of an extraction against a reference text, as the Zyte
/// article-extraction benchmark scores them: word tokens (`\w+`), counted as multisets. Two
/// empty texts agree perfectly.
pub fn token_scores(reference: &str, predicted: &str) -> (f64, f64, f64) {
    fn tokens(text: &str) -> std::collections::HashMap<&str, u32> {
        let mut m = std::collections::HashMap::new();
        for t in text
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|t| !t.is_empty())
        {
            *m.entry(t).or_insert(0) += 1;
        }
        m
    }
    let (t, p) = (tokens(reference), tokens(predicted));
    let nt: u32 = t.values().sum();
    let np: u32 = p.values().sum();
    if nt == 0 && np == 0 {
        return (1.0, 1.0, 1.0);
    }
    let tp: u32 = p
        .iter()
        .map(|(k, c)| (*c).min(t.get(k).copied().unwrap_or(0)))
        .sum();
    let prec = if np == 0 {
        0.0
    } else {
        f64::from(tp) / f64::from(np)
    };
    let rec = if nt == 0 {
        0.0
    } else {
        f64::from(tp) / f64::from(nt)
    };
    let f1 = if prec + rec == 0.0 {
        0.0
    } else {
        2.0 * prec * rec / (prec + rec)
    };
    (prec, rec, f1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_scores_count_multisets() {
        assert_eq!(token_scores("", ""), (1.0, 1.0, 1.0));
        assert_eq!(token_scores("a b", ""), (0.0, 0.0, 0.0));
        let (p, r, f) = token_scores("the cat sat on the mat", "the cat, the dog");
        assert!((p - 0.75).abs() < 1e-9 && (r - 0.5).abs() < 1e-9 && (f - 0.6).abs() < 1e-9);
    }
}
