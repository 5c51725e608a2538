//! output.rs: how are clusters written out?
//!
//! One model ([`ClusterReport`]) built from a [`ScanResult`], several renderers. The machine
//! formats carry `schema_version`:
//!
//! - `jsonl`: one object per cluster of two or more documents, in cluster order:
//!   `{"cluster": <int, from 1>, "size": <n>, "representative": <id>, "similarity_min": <f>,
//!   "similarity_median": <f>, "members": [{"id": <as given>, "url": <when known>, "site",
//!   "title", "published", "similarity": <to the representative>, "jaccard": <to the
//!   representative>}, ...]}`. Members are in canonical document order (id).
//! - `json`: `{"schema_version", "parameters", "counts", "clusters": [<as in jsonl>]}`.
//! - `csv`: one row per document, singletons included: `id,cluster,similarity,jaccard,url,site,
//!   published` (cluster and scores empty for singletons).
//! - `text`: a readable summary.
//!
//! Similarity is the containment of the smaller side (`Similarity::overlap`); the representative
//! is the member with the highest summed similarity to the others (ties: first in order).
//! `similarity_min`/`_median` are over all member pairs (an evenly spaced sample of 64 members for
//! larger clusters).

use crate::document::Document;
use crate::pipeline::ScanResult;
use crate::source::ReadCounts;
use serde::Serialize;
use std::io::{self, Write};

/// Version of the machine formats.
pub const SCHEMA_VERSION: u32 = 1;

/// One member of a cluster.
#[derive(Debug, Clone, Serialize)]
pub struct Member<'a> {
    /// Id as given.
    pub id: &'a crate::document::DocId,
    /// URL, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<&'a str>,
    /// Site (registrable domain or `site` field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// Title, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<&'a str>,
    /// Publication time as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<&'a str>,
    /// Containment of the smaller side with the representative (1 for the representative).
    pub similarity: f64,
    /// Jaccard with the representative.
    pub jaccard: f64,
}

/// One cluster.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterReport<'a> {
    /// Cluster number, from 1.
    pub cluster: usize,
    /// Number of members.
    pub size: usize,
    /// Id of the representative member.
    pub representative: &'a crate::document::DocId,
    /// Lowest pairwise similarity.
    pub similarity_min: f64,
    /// Median pairwise similarity.
    pub similarity_median: f64,
    /// Members in canonical order.
    pub members: Vec<Member<'a>>,
}

/// Counts reported with the clusters.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Counts {
    /// Documents read.
    pub documents: u64,
    /// Records skipped while reading.
    pub skipped: u64,
    /// Documents too short to match.
    pub near_empty: usize,
    /// Candidate pairs from the LSH index.
    pub candidates: usize,
    /// Verified pairs.
    pub verified_pairs: usize,
    /// Clusters of two or more documents.
    pub clusters: usize,
    /// Documents in such clusters.
    pub clustered_documents: usize,
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn sample(members: &[u32], k: usize) -> Vec<u32> {
    let step = members.len().div_ceil(k).max(1);
    members.iter().step_by(step).copied().collect()
}

/// Build the cluster models of a scan.
pub fn clusters(r: &ScanResult) -> Vec<ClusterReport<'_>> {
    r.clusters
        .iter()
        .enumerate()
        .map(|(ci, members)| {
            let s = sample(members, 64);
            let mut sims = Vec::new();
            let mut sums = vec![0.0; s.len()];
            for i in 0..s.len() {
                for j in i + 1..s.len() {
                    let v = r.similarity(s[i] as usize, s[j] as usize).overlap();
                    sims.push(v);
                    sums[i] += v;
                    sums[j] += v;
                }
            }
            sims.sort_by(f64::total_cmp);
            let rep_pos = (0..s.len()).fold(0, |best, i| if sums[i] > sums[best] { i } else { best });
            let rep = s[rep_pos] as usize;
            let median = if sims.is_empty() {
                1.0
            } else if sims.len() % 2 == 1 {
                sims[sims.len() / 2]
            } else {
                (sims[sims.len() / 2 - 1] + sims[sims.len() / 2]) / 2.0
            };
            let members = members
                .iter()
                .map(|&m| {
                    let m = m as usize;
                    let d: &Document = &r.docs[m];
                    let sim = if m == rep { None } else { Some(r.similarity(m, rep)) };
                    Member {
                        id: &d.id,
                        url: d.url.as_deref(),
                        site: d.site_or_domain(),
                        title: d.title.as_deref(),
                        published: d.published.as_ref().map(|p| p.raw.as_str()),
                        similarity: round(sim.map_or(1.0, |s| s.overlap())),
                        jaccard: round(sim.map_or(1.0, |s| s.jaccard)),
                    }
                })
                .collect();
            ClusterReport {
                cluster: ci + 1,
                size: r.clusters[ci].len(),
                representative: &r.docs[rep].id,
                similarity_min: round(sims.first().copied().unwrap_or(1.0)),
                similarity_median: round(median),
                members,
            }
        })
        .collect()
}

/// Counts of a scan.
pub fn counts(r: &ScanResult, read: ReadCounts) -> Counts {
    Counts {
        documents: read.documents,
        skipped: read.skipped,
        near_empty: r.near_empty.iter().filter(|&&e| e).count(),
        candidates: r.candidates,
        verified_pairs: r.edges.len(),
        clusters: r.clusters.len(),
        clustered_documents: r.clusters.iter().map(Vec::len).sum(),
    }
}

/// Write JSON Lines: one cluster per line.
pub fn write_jsonl(r: &ScanResult, w: &mut dyn Write) -> io::Result<()> {
    for c in clusters(r) {
        serde_json::to_writer(&mut *w, &c)?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// Write one JSON document with parameters, counts and clusters.
pub fn write_json(r: &ScanResult, read: ReadCounts, w: &mut dyn Write) -> io::Result<()> {
    #[derive(Serialize)]
    struct Whole<'a> {
        schema_version: u32,
        parameters: serde_json::Value,
        counts: Counts,
        clusters: Vec<ClusterReport<'a>>,
    }
    let whole = Whole {
        schema_version: SCHEMA_VERSION,
        parameters: parameters(r),
        counts: counts(r, read),
        clusters: clusters(r),
    };
    serde_json::to_writer_pretty(&mut *w, &whole)?;
    w.write_all(b"\n")
}

/// The parameters of a scan as JSON.
pub fn parameters(r: &ScanResult) -> serde_json::Value {
    serde_json::json!({
        "signature": r.config.signature_params(),
        "threshold": r.config.threshold,
        "containment": r.config.containment,
        "lsh_threshold": round(r.config.lsh_threshold()),
        "bands": r.banding.bands,
        "rows": r.banding.rows,
        "min_shingles": r.config.min_shingles,
        "chrome": r.config.chrome,
        "cluster": r.config.cluster,
    })
}

/// Write CSV: one row per document.
pub fn write_csv(r: &ScanResult, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(["id", "cluster", "similarity", "jaccard", "url", "site", "published"])?;
    let mut rows: Vec<Option<(usize, f64, f64)>> = vec![None; r.docs.len()];
    for c in clusters(r) {
        for (m, &d) in c.members.iter().zip(&r.clusters[c.cluster - 1]) {
            rows[d as usize] = Some((c.cluster, m.similarity, m.jaccard));
        }
    }
    for (d, row) in r.docs.iter().zip(rows) {
        let (c, s, j) = row.map_or((String::new(), String::new(), String::new()), |(c, s, j)| {
            (c.to_string(), s.to_string(), j.to_string())
        });
        out.write_record([
            d.id.as_str(),
            &c,
            &s,
            &j,
            d.url.as_deref().unwrap_or(""),
            d.site_or_domain().as_deref().unwrap_or(""),
            d.published.as_ref().map_or("", |p| p.raw.as_str()),
        ])?;
    }
    out.flush()
}

/// Write a readable summary.
pub fn write_text(r: &ScanResult, read: ReadCounts, w: &mut dyn Write) -> io::Result<()> {
    let c = counts(r, read);
    writeln!(
        w,
        "{} documents, {} clusters covering {} documents ({} skipped, {} too short to match)",
        c.documents, c.clusters, c.clustered_documents, c.skipped, c.near_empty
    )?;
    for cl in clusters(r) {
        writeln!(
            w,
            "\ncluster {}: {} documents, similarity min {:.2} median {:.2}",
            cl.cluster, cl.size, cl.similarity_min, cl.similarity_median
        )?;
        for m in &cl.members {
            let mark = if m.id == cl.representative { "*" } else { " " };
            writeln!(
                w,
                " {mark} {:<28} {:>5.2}  {}  {}",
                m.id.to_string(),
                m.similarity,
                m.published.unwrap_or("-"),
                m.url.or(m.title).unwrap_or("")
            )?;
        }
    }
    Ok(())
}
