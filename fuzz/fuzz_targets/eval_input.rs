//! The `eval` input parsers (truth labels and predicted clusters) and the scorer on arbitrary
//! bytes: the first byte splits the rest into a truth file and a clusters file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use wirecopy::eval::{read_clusters, read_truth, score};

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    let cut = (cut as usize * rest.len() / 255).min(rest.len());
    let (t, c) = rest.split_at(cut);
    let truth = read_truth(t, Path::new("truth.jsonl"));
    let clusters = read_clusters(c, Path::new("clusters.jsonl"));
    if let (Ok(truth), Ok(clusters)) = (truth, clusters) {
        if let Ok(s) = score(&truth, &clusters) {
            assert!(s.precision.is_finite() && s.recall.is_finite() && s.f1.is_finite());
            assert!((0.0..=1.0).contains(&s.precision) && (0.0..=1.0).contains(&s.recall));
        }
    }
});
