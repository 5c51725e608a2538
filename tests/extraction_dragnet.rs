//! Extraction quality guard on the dragnet pages (`../shared/data/dragnet`: 1,353 news and blog
//! pages of 2012 with hand-corrected article text, reader comments excluded). The metric is the
//! set's own `score.py`: word 4-gram precision and recall per page, averaged, F1 of the two
//! averages. The floor sits a little under the measured figure (README, "Dragnet").
//!
//! Without the data the test writes `SKIPPED` to the process's real stderr (libtest captures
//! `eprintln!` of passing tests, so a skip would otherwise be invisible) and passes; under
//! `CI=true` it fails instead.

mod common;

use rayon::prelude::*;
use std::collections::HashMap;
use std::io::Read;

fn grams(text: &str) -> HashMap<Vec<&str>, u32> {
    let t: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|t| !t.is_empty())
        .collect();
    let mut m = HashMap::new();
    for i in 0..t.len().saturating_sub(3).max(1) {
        let g = &t[i.min(t.len())..(i + 4).min(t.len())];
        if !g.is_empty() {
            *m.entry(g.to_vec()).or_insert(0) += 1;
        }
    }
    m
}

/// `(tp, fp, fn)` 4-gram counts of one page.
fn counts(truth: &str, pred: &str) -> (f64, f64, f64) {
    let (a, b) = (grams(truth), grams(pred));
    let (mut tp, mut fp) = (0u32, 0u32);
    for (g, &c) in &b {
        let t = a.get(g).copied().unwrap_or(0);
        tp += c.min(t);
        fp += c.saturating_sub(t);
    }
    let fneg: u32 = a
        .iter()
        .map(|(g, &c)| c.saturating_sub(b.get(g).copied().unwrap_or(0)))
        .sum();
    (f64::from(tp), f64::from(fp), f64::from(fneg))
}

#[test]
fn dragnet_f1_floor() {
    let Some(dir) = common::shared_data("dragnet") else {
        return;
    };
    let truth = std::fs::read_to_string(dir.join("truth.json")).expect("dragnet truth.json");
    let truth: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&truth).expect("truth.json is an object");
    assert!(truth.len() >= 1_300, "only {} pages", truth.len());
    let keys: Vec<&String> = truth.keys().collect();
    let scores: Vec<(f64, f64, f64)> = keys
        .par_iter()
        .map(|k| {
            let mut html = Vec::new();
            let f = std::fs::File::open(dir.join("html").join(format!("{k}.html.gz")))
                .expect("page of truth.json");
            flate2::read::MultiGzDecoder::new(f)
                .read_to_end(&mut html)
                .expect("gzip page");
            // What `wirecopy extract --format text` prints (the set's README runs score.py on
            // it): the story's header, then the main text.
            let text = wirecopy::input::html::extract(&html, Some("http://example.com/"), None)
                .map(|e| wirecopy::input::html::render(&e, wirecopy::input::html::Format::Text))
                .unwrap_or_default();
            counts(truth[*k]["articleBody"].as_str().unwrap_or_default(), &text)
        })
        .collect();
    let (mut ps, mut rs) = (Vec::new(), Vec::new());
    for (tp, fp, fneg) in scores {
        if fp == 0.0 && fneg == 0.0 {
            ps.push(1.0);
            rs.push(1.0);
            continue;
        }
        if tp + fp > 0.0 {
            ps.push(tp / (tp + fp));
        }
        if tp + fneg > 0.0 {
            rs.push(tp / (tp + fneg));
        }
    }
    let p = ps.iter().sum::<f64>() / ps.len() as f64;
    let r = rs.iter().sum::<f64>() / rs.len() as f64;
    let f1 = 2.0 * p * r / (p + r);
    // Measured P 0.9399, R 0.9603, F1 0.9500 (P 0.9393, R 0.9604, F1 0.9497 before the
    // story's opening found its container; P 0.9389, R 0.9604, F1 0.9495 before a named
    // box without the story's opening was furniture whatever its share; P 0.9382, R 0.9600, F1 0.9489 before a short
    // post beat a pick further down the page; P 0.9376, R 0.9556, F1 0.9465 before the
    // headline steps: story proper, word-by-word titles, header rule, site-name links, cut
    // titles; P 0.9361, R 0.9551, F1 0.9456 before `count`,
    // `links`, `sidebar` and `stories` joined the furniture words, P 0.9348, R 0.9552, F1 0.9448 before short link
    // lines left the header, P 0.9312, R 0.9529, F1 0.9420 before the site's
    // own boxes, such as promotions and footers, were dropped ahead of readability, P 0.9235, R 0.9530, F1 0.9380 before boxes
    // named as furniture were dropped, P 0.9292, R 0.9299, F1 0.9295 before the story's header
    // was printed, 0.9283 before hidden-class elements were dropped, 0.9202 before the strict
    // second readability run and the furniture rule, 0.9083 before comment sections were
    // dropped).
    assert!(f1 >= 0.95, "dragnet F1 {f1:.4} (P {p:.4}, R {r:.4})");
    assert!(p >= 0.939, "dragnet precision {p:.4}");
    assert!(r >= 0.96, "dragnet recall {r:.4}");
}
