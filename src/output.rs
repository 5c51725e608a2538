//! output.rs: what does a scan hand to the report?
//!
//! Glue between the pipeline and the report model: the content paragraphs of every document,
//! the clusters, exact similarity on demand, and the parameters and counts the machine formats
//! echo. The report module ([`crate::report`]) owns the formats and their specification.

use crate::input::ReadCounts;
use crate::pipeline::ScanResult;
use crate::report::{Report, ReportConfig, ReportInput, ScanCounts, ScanParameters};

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Counts of a scan, as the report echoes them.
pub fn counts(r: &ScanResult, read: ReadCounts) -> ScanCounts {
    ScanCounts {
        documents: read.documents,
        skipped: read.skipped,
        non_html_skipped: read.non_html,
        near_empty: r.near_empty.iter().filter(|&&e| e).count(),
        candidates: r.candidates,
        verified_pairs: r.edges.len(),
        clusters: r.clusters.len(),
    }
}

/// The parameters of a scan, as the report echoes them.
pub fn parameters(r: &ScanResult) -> ScanParameters {
    ScanParameters {
        signature: r.config.signature_params(),
        threshold: r.config.threshold,
        containment: r.config.containment,
        lsh_threshold: round4(r.config.lsh_threshold()),
        bands: r.banding.bands,
        rows: r.banding.rows,
        min_shingles: r.config.min_shingles,
        chrome: r.config.chrome,
        cluster: r.config.cluster,
        figures: r.config.figures,
        chunk_window: r.config.chunk_window,
    }
}

/// Release what the report does not read, before it is built: the MinHash signatures
/// (`num_perm` x 4 bytes per document), the corpus statistics (shingle document frequencies,
/// line counts) and the shingle sets of documents in no story. Call it after the index, if any,
/// has been saved; counts and parameters are unchanged.
pub fn release_unreported(r: &mut ScanResult) {
    r.signatures = Vec::new();
    r.shingle_df = Vec::new();
    r.line_stats = Default::default();
    let mut member = vec![false; r.docs.len()];
    for &d in r.clusters.iter().flatten() {
        member[d as usize] = true;
    }
    for (set, keep) in r.sets.iter_mut().zip(member) {
        if !keep {
            *set = Vec::new();
        }
    }
}

/// Build the syndication report of a scan.
pub fn report(r: &ScanResult, read: ReadCounts, config: &ReportConfig) -> Report {
    // Only story members are shown paragraph by paragraph: a singleton's paragraphs would be a
    // second copy of its text held for nothing (a million tiny documents held the corpus twice).
    // Slices of the documents' texts, not copies: owned strings were a fifth of a scan's peak.
    let mut paragraphs: Vec<Vec<&str>> = vec![Vec::new(); r.docs.len()];
    let mut lines: Vec<Vec<u32>> = vec![Vec::new(); r.docs.len()];
    for &d in r.clusters.iter().flatten() {
        paragraphs[d as usize] = r.paragraph_strs(d as usize);
        lines[d as usize] = r.content_lines[d as usize].clone();
    }
    let clusters: Vec<Vec<usize>> = r
        .clusters
        .iter()
        .map(|c| c.iter().map(|&d| d as usize).collect())
        .collect();
    let similarity = |a: usize, b: usize| r.similarity(a, b);
    let input = ReportInput {
        docs: &r.docs,
        paragraphs: &paragraphs,
        lines: &lines,
        clusters: &clusters,
        similarity: &similarity,
        parameters: Some(parameters(r)),
        counts: Some(counts(r, read)),
    };
    Report::build(&input, config)
}
