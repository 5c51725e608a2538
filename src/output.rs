//! output.rs: what does a scan hand to the report?
//!
//! Glue between the pipeline and the report model: the content paragraphs of every document,
//! the clusters, exact similarity on demand, and the parameters and counts the machine formats
//! echo. The report module ([`crate::report`]) owns the formats and their specification.

use crate::document::Document;
use crate::error::Result;
use crate::input::ReadCounts;
use crate::pipeline::{paragraph_strs, OnDisk, ScanResult};
use crate::report::{Report, ReportConfig, ReportInput, ScanCounts, ScanParameters};
use rayon::prelude::*;

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

/// Build the syndication report of a scan. A scan that left its texts and sets on disk
/// ([`ScanResult::on_disk`]) is told a batch of stories at a time, only that batch's members'
/// texts and sets read: the error is a text that cannot be read back.
pub fn report(r: &ScanResult, read: ReadCounts, config: &ReportConfig) -> Result<Report> {
    let clusters: Vec<Vec<usize>> = r
        .clusters
        .iter()
        .map(|c| c.iter().map(|&d| d as usize).collect())
        .collect();
    if let Some(disk) = &r.on_disk {
        return report_from_disk(r, disk, &clusters, read, config, REPORT_BATCH_MEMBERS);
    }
    // Only story members are shown paragraph by paragraph: a singleton's paragraphs would be a
    // second copy of its text held for nothing (a million tiny documents held the corpus twice).
    // Slices of the documents' texts, not copies: owned strings were a fifth of a scan's peak.
    let mut paragraphs: Vec<Vec<&str>> = vec![Vec::new(); r.docs.len()];
    let mut lines: Vec<Vec<u32>> = vec![Vec::new(); r.docs.len()];
    for &d in r.clusters.iter().flatten() {
        paragraphs[d as usize] = r.paragraph_strs(d as usize);
        lines[d as usize] = r.content_lines[d as usize].clone();
    }
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
    Ok(Report::build(&input, config))
}

/// Members whose texts are read from disk at a time by [`report`] (a batch holds whole
/// stories: a story larger than this is a batch of its own).
const REPORT_BATCH_MEMBERS: usize = 1 << 13;

/// [`report`] of a scan whose texts and sets are on disk: each batch of stories (of at most
/// `batch_members` members, or one story) gets its members' documents, texts, paragraphs and
/// sets under local numbers (in the same order as the scan's, so every tie breaks the same
/// way), its stories are told, and all of it is dropped before the next batch (the sets'
/// mapped pages let go).
pub(crate) fn report_from_disk(
    r: &ScanResult,
    disk: &OnDisk,
    clusters: &[Vec<usize>],
    read: ReadCounts,
    config: &ReportConfig,
    batch_members: usize,
) -> Result<Report> {
    let valid = Report::valid_clusters(clusters, r.docs.len());
    let mut stories = Vec::with_capacity(valid.len());
    let mut batches = Vec::new();
    let mut start = 0;
    while start < valid.len() {
        let mut end = start;
        let mut size = 0;
        while end < valid.len() && (end == start || size + valid[end].1.len() <= batch_members) {
            size += valid[end].1.len();
            end += 1;
        }
        batches.push(&valid[start..end]);
        start = end;
    }
    let members_of = |batch: &[(usize, Vec<usize>)]| {
        let mut members: Vec<usize> = batch.iter().flat_map(|(_, m)| m.iter().copied()).collect();
        members.sort_unstable();
        members.dedup();
        members
    };
    // A batch's members are anywhere on disk: their reads are asked for all at once, the next
    // batch's while this one is told (a read one at a time, with the kernel's read-around, read
    // a window for every member: ten million pages' report read hundreds of GB).
    let mut next = batches.first().map(|b| members_of(b));
    if let Some(m) = &next {
        disk.will_need(m);
    }
    for (k, batch) in batches.iter().enumerate() {
        let members = next.take().unwrap_or_default();
        let docs: Vec<Document> = members
            .par_iter()
            .map(|&d| {
                let mut doc = r.docs[d].clone();
                doc.text = disk.text(d)?;
                Ok(doc)
            })
            .collect::<Result<_>>()?;
        let sets: Vec<&[u64]> = members.iter().map(|&d| disk.set(d)).collect();
        next = batches.get(k + 1).map(|b| members_of(b));
        if let Some(m) = &next {
            disk.will_need(m);
        }
        let paragraphs: Vec<Vec<&str>> = members
            .iter()
            .zip(&docs)
            .map(|(&d, doc)| paragraph_strs(&doc.text, &r.content_lines[d]))
            .collect();
        let lines: Vec<Vec<u32>> = members
            .iter()
            .map(|&d| r.content_lines[d].clone())
            .collect();
        let local_valid: Vec<(usize, Vec<usize>)> = batch
            .iter()
            .map(|(pos, m)| {
                (
                    *pos,
                    m.iter()
                        .map(|&d| members.partition_point(|&x| x < d))
                        .collect(),
                )
            })
            .collect();
        let similarity = |a: usize, b: usize| crate::verify::similarity(sets[a], sets[b]);
        let input = ReportInput {
            docs: &docs,
            paragraphs: &paragraphs,
            lines: &lines,
            clusters: &[],
            similarity: &similarity,
            parameters: None,
            counts: None,
        };
        for mut story in Report::stories(&input, &local_valid, config) {
            for m in &mut story.members {
                m.doc = members[m.doc];
            }
            stories.push(story);
        }
        disk.release();
    }
    let similarity = |a: usize, b: usize| r.similarity(a, b);
    let input = ReportInput {
        docs: &r.docs,
        paragraphs: &[],
        lines: &[],
        clusters,
        similarity: &similarity,
        parameters: Some(parameters(r)),
        counts: Some(counts(r, read)),
    };
    Ok(Report::assemble(&input, &valid, stories, config))
}
