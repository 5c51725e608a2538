//! index/: is this page a copy of one we already have, as pages keep arriving?
//!
//! An [`Index`] holds documents, their fingerprints and the verified pairs between them, and
//! answers for a new page: which stored pages it copies, of which story, who published it first
//! ([`Index::query`]); [`Index::add`] also stores it. A directory index persists as one immutable
//! *segment* (a saved batch scan, [`crate::store`] format) plus an append-only *log* of the adds
//! and removals since ([`log`]); [`Index::compact`] folds the log into a new segment by scanning
//! every live document again, which re-learns chrome from everything the index holds.
//!
//! # How an add is judged
//!
//! 1. The page is fingerprinted ([`crate::fingerprint`]) with the chrome verdicts of the
//!    segment's statistics plus the live counts of the pages added since ([`stats::LiveCounts`]):
//!    a new site's template becomes chrome as its pages arrive.
//! 2. Candidates come from the LSH band tables and the window sketches (excerpts), and are
//!    verified exactly; the matches are the decision.
//! 3. The page joins the story (group) of its strongest match, or founds one. Its lines and
//!    shingles are counted once per group, so copies of one story never make it chrome.
//! 4. When counting its lines turns a line into template (a site's second story carrying the same
//!    footer), the added pages holding that line are fingerprinted again and re-matched: early
//!    pages of a site, judged before its chrome was known, are corrected as soon as it is.
//!    Segment pages keep their fingerprints until the next compaction.
//!
//! The decision returned is the one made in step 2, exactly what [`Index::query`] gives for the
//! page before the add. The stories read off the index ([`Index::story_ids`]) cluster all verified
//! pairs, re-checked ones included, with the batch scan's guarded clustering.
//!
//! Invariant: the state after a sequence of adds and removals depends only on that sequence (no
//! hash-map order reaches a decision or a story); replaying the log reproduces it.

pub mod log;
pub mod stats;
mod story;

use crate::chrome::{site_line_key, LineStats};
use crate::cluster::{self, Edge};
use crate::document::{DocId, Document};
use crate::error::{Error, Result};
use crate::fingerprint::{
    Fingerprint, Fingerprinter, Page, Verdicts, CHUNK_BANDS, CHUNK_PERM, CHUNK_ROWS,
};
use crate::lsh::Banding;
use crate::minhash::Signature;
use crate::pipeline::{self, ScanConfig, ScanResult};
use crate::verify::{self, Similarity};
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;
use stats::LiveCounts;
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// What the index says about a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecisionKind {
    /// No stored page matches.
    New,
    /// At least one stored page matches.
    Copy,
    /// Too little content to judge (fewer content shingles than `min_shingles`).
    NearEmpty,
}

/// A stored document, as decisions name it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocRef {
    /// Its id.
    pub id: DocId,
    /// Where it was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Its site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// Its publication time as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
}

/// A stored page that the queried page matches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    /// The stored page.
    #[serde(flatten)]
    pub doc: DocRef,
    /// Exact Jaccard similarity of the two pages' content shingles.
    pub jaccard: f64,
    /// Share of the queried page's content found in the stored page.
    pub containment: f64,
    /// Share of the stored page's content found in the queried page.
    pub coverage: f64,
}

/// The answer for one page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The queried page's id.
    pub id: DocId,
    /// New, copy or near-empty.
    pub decision: DecisionKind,
    /// The story the page belongs to, named by its origin's id (`None` for a queried page that
    /// matches nothing; an added page that matches nothing founds its own story).
    pub story: Option<DocId>,
    /// The story's origin: its earliest published member (ties: the earliest added).
    pub origin: Option<DocRef>,
    /// Matching stored pages, strongest first.
    pub matches: Vec<Match>,
}

/// When an index compacts on its own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndexOptions {
    /// Compact once the pages added since the last compaction reach this many ...
    pub compact_min: usize,
    /// ... and this share of the segment's pages (geometric growth keeps the total work of
    /// all compactions linear in the documents added).
    pub compact_ratio: f64,
    /// Never compact on its own (only [`Index::compact`] does).
    pub manual: bool,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            compact_min: 1000,
            compact_ratio: 0.5,
            manual: false,
        }
    }
}

/// Counts an index reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexStats {
    /// Live documents.
    pub documents: usize,
    /// Of which in the segment.
    pub segment_documents: usize,
    /// Of which added since the last compaction.
    pub added_documents: usize,
    /// Near-empty documents.
    pub near_empty: usize,
    /// Verified pairs.
    pub pairs: usize,
    /// Stories of two or more documents.
    pub stories: usize,
    /// Documents in those stories.
    pub documents_in_stories: usize,
    /// Sites seen.
    pub sites: usize,
}

#[derive(Debug, Clone)]
struct Entry {
    doc: Document,
    site: u64,
    fp: Fingerprint,
    /// The story group: the entry index of the group's first page.
    group: u32,
    live: bool,
    /// Distinct line hashes, kept for pages added since the segment (their counts must be
    /// undone on removal) and computed on demand for segment pages.
    lines: Option<Vec<u64>>,
}

/// The directory an index lives in, and its open log.
#[derive(Debug)]
struct Storage {
    dir: PathBuf,
    generation: u64,
    log: log::Log,
}

/// A live index of documents (see the module documentation).
#[derive(Debug)]
pub struct Index {
    fp: Fingerprinter,
    banding: Banding,
    options: IndexOptions,
    entries: Vec<Entry>,
    seg_len: usize,
    seg_lines: LineStats,
    seg_df: Vec<(u64, u32)>,
    global: LiveCounts,
    per_site: LiveCounts,
    shingles: LiveCounts,
    new_groups: u64,
    /// Pages added since the segment, by line hash (for re-checks).
    line_docs: HashMap<u64, Vec<u32>>,
    members: HashMap<u32, Vec<u32>>,
    bands: Vec<HashMap<u64, Vec<u32>>>,
    windows: Vec<HashMap<u64, Vec<u32>>>,
    edges: HashMap<(u32, u32), Similarity>,
    adj: Vec<Vec<u32>>,
    by_id: HashMap<String, u32>,
    storage: Option<Storage>,
}

/// The chrome verdicts an index applies now: segment statistics plus live counts.
struct Current<'a>(&'a Index);

impl Verdicts for Current<'_> {
    fn is_template(&self, site: u64, line: u64) -> bool {
        let ix = self.0;
        let cfg = &ix.fp.config().chrome;
        let pages = ix.seg_lines.pages + ix.new_groups;
        let cap = f64::from(cfg.global_max_pages).max(cfg.global_max_share * pages as f64);
        let global = lookup(&ix.seg_lines.global, line) + ix.global.get(line);
        if f64::from(global) > cap {
            return true;
        }
        if site == 0 {
            return false;
        }
        let key = site_line_key(site, line);
        let n = lookup(&ix.seg_lines.per_site, key) + ix.per_site.get(key);
        let min = if cfg.story_groups {
            cfg.site_min_groups
        } else {
            cfg.site_min_pages
        };
        n >= min
    }

    fn is_stop(&self, shingle: u64) -> bool {
        let ix = self.0;
        let cfg = &ix.fp.config().chrome;
        let pages = ix.seg_lines.pages + ix.new_groups;
        let cap = f64::from(cfg.shingle_max_df).max(cfg.shingle_max_share * pages as f64);
        f64::from(lookup(&ix.seg_df, shingle) + ix.shingles.get(shingle)) > cap
    }
}

fn lookup(table: &[(u64, u32)], key: u64) -> u32 {
    table
        .binary_search_by_key(&key, |&(k, _)| k)
        .map_or(0, |i| table[i].1)
}

fn band_key(values: &[u32], band: usize) -> u64 {
    xxh3_64_with_seed(bytemuck::cast_slice(values), band as u64)
}

const CURRENT: &str = "CURRENT";

fn segment_name(generation: u64) -> String {
    format!("segment-{generation:06}.wci")
}

fn log_name(generation: u64) -> String {
    format!("log-{generation:06}.wcl")
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Index {
    /// An empty index in memory (nothing persisted).
    pub fn in_memory(cfg: &ScanConfig) -> Result<Index> {
        let result = pipeline::scan(Vec::new(), cfg, &pipeline::Quiet)?;
        Index::from_scan(&result)
    }

    /// An in-memory index holding a batch scan's documents as its segment.
    pub fn from_scan(result: &ScanResult) -> Result<Index> {
        let cfg = result.config;
        let fp = Fingerprinter::new(&cfg)?;
        let params = *fp.hasher().params();
        let n = result.docs.len();
        let mut entries = Vec::with_capacity(n);
        for i in 0..n {
            let doc = result.docs[i].clone();
            let site = crate::chrome::site_hash(doc.site_or_domain().as_deref());
            entries.push(Entry {
                site,
                fp: Fingerprint {
                    content_lines: result.content_lines[i].clone(),
                    set: result.sets[i].clone(),
                    signature: Signature {
                        params,
                        values: result.signatures[i * cfg.num_perm..(i + 1) * cfg.num_perm]
                            .to_vec(),
                    },
                    windows: result.windows[i].clone(),
                    figures: result.figures[i].clone(),
                    near_empty: result.near_empty[i],
                },
                doc,
                group: i as u32,
                live: true,
                lines: None,
            });
        }
        let pairs: Vec<(u32, u32)> = result.edges.iter().map(|e| (e.a, e.b)).collect();
        Index::assemble(
            fp,
            result.banding,
            entries,
            result.line_stats.clone(),
            result.shingle_df.clone(),
            &pairs,
        )
    }

    fn assemble(
        fp: Fingerprinter,
        banding: Banding,
        entries: Vec<Entry>,
        seg_lines: LineStats,
        seg_df: Vec<(u64, u32)>,
        pairs: &[(u32, u32)],
    ) -> Result<Index> {
        let n = entries.len();
        let mut ix = Index {
            fp,
            banding,
            options: IndexOptions::default(),
            entries,
            seg_len: n,
            seg_lines,
            seg_df,
            global: LiveCounts::default(),
            per_site: LiveCounts::default(),
            shingles: LiveCounts::default(),
            new_groups: 0,
            line_docs: HashMap::default(),
            members: HashMap::default(),
            bands: vec![HashMap::default(); banding.bands],
            windows: vec![HashMap::default(); CHUNK_BANDS],
            edges: HashMap::default(),
            adj: vec![Vec::new(); n],
            by_id: HashMap::default(),
            storage: None,
        };
        for (i, e) in ix.entries.iter().enumerate() {
            // A repeated id keeps its last document in canonical order reachable by id.
            ix.by_id.insert(e.doc.id.as_str().to_string(), i as u32);
        }
        for &(a, b) in pairs {
            let sim = ix.similarity(a, b);
            ix.link(a, b, sim);
        }
        for c in ix.stories() {
            for &d in &c {
                ix.entries[d as usize].group = c[0];
            }
            ix.members.insert(c[0], c);
        }
        for i in 0..n as u32 {
            ix.index_entry(i);
        }
        Ok(ix)
    }

    /// The configuration documents are judged with.
    pub fn config(&self) -> &ScanConfig {
        self.fp.config()
    }

    /// The fingerprinter of this index.
    pub fn fingerprinter(&self) -> &Fingerprinter {
        &self.fp
    }

    /// Set when the index compacts on its own.
    pub fn set_options(&mut self, options: IndexOptions) {
        self.options = options;
    }

    /// Number of live documents.
    pub fn len(&self) -> usize {
        self.entries.iter().filter(|e| e.live).count()
    }

    /// Whether the index holds no live document.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The live document with this id.
    pub fn get(&self, id: &str) -> Option<&Document> {
        self.by_id.get(id).map(|&i| &self.entries[i as usize].doc)
    }

    /// The live documents, in the order they entered the index (segment first).
    pub fn documents(&self) -> impl Iterator<Item = &Document> {
        self.entries.iter().filter(|e| e.live).map(|e| &e.doc)
    }

    fn similarity(&self, a: u32, b: u32) -> Similarity {
        verify::similarity(
            &self.entries[a as usize].fp.set,
            &self.entries[b as usize].fp.set,
        )
    }

    fn link(&mut self, a: u32, b: u32, sim: Similarity) {
        let (a, b, sim) = if a < b {
            (a, b, sim)
        } else {
            (b, a, sim.swapped())
        };
        if self.edges.insert((a, b), sim).is_none() {
            self.adj[a as usize].push(b);
            self.adj[b as usize].push(a);
        }
    }

    fn unlink_all(&mut self, d: u32) {
        for o in std::mem::take(&mut self.adj[d as usize]) {
            self.edges.remove(&(d.min(o), d.max(o)));
            self.adj[o as usize].retain(|&x| x != d);
        }
    }

    fn band_keys(&self, fp: &Fingerprint) -> Vec<(usize, u64)> {
        let rows = self.banding.rows;
        let mut out: Vec<(usize, u64)> = (0..self.banding.bands)
            .map(|b| {
                (
                    b,
                    band_key(&fp.signature.values[b * rows..(b + 1) * rows], b),
                )
            })
            .collect();
        out.sort_unstable();
        out
    }

    fn window_keys(fp: &Fingerprint) -> Vec<(usize, u64)> {
        let mut out: Vec<(usize, u64)> = Vec::new();
        for w in fp.windows.chunks_exact(CHUNK_PERM) {
            for b in 0..CHUNK_BANDS {
                out.push((b, band_key(&w[b * CHUNK_ROWS..(b + 1) * CHUNK_ROWS], b)));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn index_entry(&mut self, d: u32) {
        let e = &self.entries[d as usize];
        if !e.live || e.fp.near_empty {
            return;
        }
        let bands = self.band_keys(&e.fp);
        let windows = Index::window_keys(&e.fp);
        for (b, k) in bands {
            self.bands[b].entry(k).or_default().push(d);
        }
        for (b, k) in windows {
            self.windows[b].entry(k).or_default().push(d);
        }
    }

    fn unindex_entry(&mut self, d: u32) {
        let e = &self.entries[d as usize];
        if e.fp.near_empty {
            return;
        }
        let bands = self.band_keys(&e.fp);
        let windows = Index::window_keys(&e.fp);
        for (tables, keys) in [(&mut self.bands, bands), (&mut self.windows, windows)] {
            for (b, k) in keys {
                if let Some(v) = tables[b].get_mut(&k) {
                    v.retain(|&x| x != d);
                    if v.is_empty() {
                        tables[b].remove(&k);
                    }
                }
            }
        }
    }

    /// Candidate documents for a fingerprint: sharing a band of the signature or of a window.
    /// A bucket holding many documents (the copies of one popular story) contributes its most
    /// recent [`ScanConfig::max_run_pairs`] live ones.
    fn candidates(&self, fp: &Fingerprint, exclude: Option<u32>) -> Vec<u32> {
        let cap = self.config().max_run_pairs.max(2);
        let mut out: Vec<u32> = Vec::new();
        let mut take = |bucket: &Vec<u32>| {
            out.extend(
                bucket
                    .iter()
                    .rev()
                    .filter(|&&d| Some(d) != exclude && self.entries[d as usize].live)
                    .take(cap)
                    .copied(),
            );
        };
        for (b, k) in self.band_keys(fp) {
            if let Some(v) = self.bands[b].get(&k) {
                take(v);
            }
        }
        for (b, k) in Index::window_keys(fp) {
            if let Some(v) = self.windows[b].get(&k) {
                take(v);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Verified matches of a fingerprint: `(entry, similarity from the fingerprint's side)`,
    /// strongest first.
    fn matches_of(
        &self,
        fp: &Fingerprint,
        exclude: Option<u32>,
        threshold: f64,
        containment: f64,
    ) -> Vec<(u32, Similarity)> {
        let candidates = self.candidates(fp, exclude);
        self.verify(fp, candidates, threshold, containment)
    }

    fn verify(
        &self,
        fp: &Fingerprint,
        candidates: Vec<u32>,
        threshold: f64,
        containment: f64,
    ) -> Vec<(u32, Similarity)> {
        if fp.near_empty {
            return Vec::new();
        }
        let cfg = self.config();
        let mut out: Vec<(u32, Similarity)> = candidates
            .into_iter()
            .filter_map(|d| {
                let other = &self.entries[d as usize].fp;
                let sim = verify::similarity(&fp.set, &other.set);
                ((sim.jaccard >= threshold || sim.overlap() >= containment)
                    && cfg.figures.agree(&fp.figures, &other.figures))
                .then_some((d, sim))
            })
            .collect();
        out.sort_by(|(a, x), (b, y)| {
            let sx = x.jaccard.max(x.overlap());
            let sy = y.jaccard.max(y.overlap());
            sy.total_cmp(&sx).then(a.cmp(b))
        });
        out
    }

    fn doc_ref(&self, d: u32) -> DocRef {
        let doc = &self.entries[d as usize].doc;
        DocRef {
            id: doc.id.clone(),
            url: doc.url.clone(),
            site: doc.site_or_domain(),
            published: doc.published.as_ref().map(|p| p.raw.clone()),
        }
    }

    /// The origin of a group: its earliest published live member, ties and undated pages by
    /// entry order.
    fn origin_of(&self, group: u32) -> Option<u32> {
        let members = self.members.get(&group)?;
        members
            .iter()
            .copied()
            .filter(|&d| self.entries[d as usize].live)
            .min_by_key(|&d| {
                let p = self.entries[d as usize].doc.published.as_ref();
                (p.map_or(i64::MAX, |p| p.unix), d)
            })
    }

    fn decision(&self, doc: &Document, fp: &Fingerprint, found: &[(u32, Similarity)]) -> Decision {
        let matches: Vec<Match> = found
            .iter()
            .map(|&(d, sim)| Match {
                doc: self.doc_ref(d),
                jaccard: sim.jaccard,
                containment: sim.containment_a,
                coverage: sim.containment_b,
            })
            .collect();
        let origin = found
            .first()
            .and_then(|&(d, _)| self.origin_of(self.entries[d as usize].group));
        Decision {
            id: doc.id.clone(),
            decision: if fp.near_empty {
                DecisionKind::NearEmpty
            } else if matches.is_empty() {
                DecisionKind::New
            } else {
                DecisionKind::Copy
            },
            story: origin.map(|o| self.entries[o as usize].doc.id.clone()),
            origin: origin.map(|o| self.doc_ref(o)),
            matches,
        }
    }

    /// What the index says about `doc`, adding nothing.
    pub fn query(&self, doc: &Document) -> Decision {
        let cfg = self.config();
        self.query_with(doc, cfg.threshold, cfg.containment)
    }

    /// [`Index::query`] with thresholds tightened: a pair matches when its Jaccard reaches
    /// `threshold` or its smaller-side containment reaches `containment`. Values below the
    /// index's own thresholds are raised to them (the banding was chosen for those).
    pub fn query_with(&self, doc: &Document, threshold: f64, containment: f64) -> Decision {
        let cfg = self.config();
        let (t, c) = (
            threshold.max(cfg.threshold),
            containment.max(cfg.containment),
        );
        let page = self.fp.page(doc);
        let fp = self.fp.fingerprint(&page, &Current(self));
        let found = self.matches_of(&fp, None, t, c);
        self.decision(doc, &fp, &found)
    }

    /// [`Index::query`] by a linear scan: every live page is verified, no LSH. The oracle the LSH
    /// path is tested against; it costs one exact comparison per stored page.
    pub fn query_linear(&self, doc: &Document) -> Decision {
        let cfg = self.config();
        let page = self.fp.page(doc);
        let fp = self.fp.fingerprint(&page, &Current(self));
        let all: Vec<u32> = (0..self.entries.len() as u32)
            .filter(|&d| {
                let e = &self.entries[d as usize];
                e.live && !e.fp.near_empty
            })
            .collect();
        let found = self.verify(&fp, all, cfg.threshold, cfg.containment);
        self.decision(doc, &fp, &found)
    }

    /// Add `doc` (replacing a document with the same id) and say what it is. In a directory
    /// index the add is durable once [`Index::sync`] returns.
    pub fn add(&mut self, doc: Document) -> Result<Decision> {
        if let Some(s) = &mut self.storage {
            s.log.push(&log::Record::Add(log::LoggedDoc::of(&doc)))?;
        }
        let d = self.apply_add(doc);
        self.maybe_compact()?;
        Ok(d)
    }

    /// Remove the document with this id; `false` when there is none.
    pub fn remove(&mut self, id: &str) -> Result<bool> {
        if !self.by_id.contains_key(id) {
            return Ok(false);
        }
        if let Some(s) = &mut self.storage {
            s.log.push(&log::Record::Remove(id.to_string()))?;
        }
        Ok(self.apply_remove(id))
    }

    /// Make every add and removal so far durable (directory indexes; a no-op in memory).
    pub fn sync(&mut self) -> Result<()> {
        match &mut self.storage {
            Some(s) => s.log.sync(),
            None => Ok(()),
        }
    }

    fn apply_add(&mut self, doc: Document) -> Decision {
        self.apply_remove(doc.id.as_str());
        let page = self.fp.page(&doc);
        let fp = self.fp.fingerprint(&page, &Current(self));
        let cfg = *self.config();
        let found = self.matches_of(&fp, None, cfg.threshold, cfg.containment);
        let mut decision = self.decision(&doc, &fp, &found);

        let d = self.entries.len() as u32;
        let group = found
            .first()
            .map_or(d, |&(m, _)| self.entries[m as usize].group);
        let lines = page.line_hashes();
        self.by_id.insert(doc.id.as_str().to_string(), d);
        self.entries.push(Entry {
            doc,
            site: page.site,
            fp,
            group,
            live: true,
            lines: Some(lines.clone()),
        });
        self.adj.push(Vec::new());
        self.members.entry(group).or_default().push(d);
        if group == d {
            self.new_groups += 1;
        }
        for &(m, sim) in &found {
            self.link(d, m, sim);
        }
        self.index_entry(d);
        for &h in &lines {
            self.line_docs.entry(h).or_default().push(d);
        }
        // Count the page once per group, and re-check pages whose lines turned into template.
        let before: Vec<bool> = lines
            .iter()
            .map(|&h| Current(self).is_template(page.site, h))
            .collect();
        self.count(d, true);
        let flipped: Vec<u64> = lines
            .iter()
            .zip(&before)
            .filter(|(&h, &b)| !b && Current(self).is_template(page.site, h))
            .map(|(&h, _)| h)
            .collect();
        self.recheck_lines(&flipped);
        if decision.decision == DecisionKind::New {
            // It founds its own story.
            decision.story = Some(decision.id.clone());
            decision.origin = Some(self.doc_ref(d));
        }
        decision
    }

    /// The segment members of `group` (none for a group founded since the segment), with their
    /// line hashes computed once and kept.
    fn segment_members(&mut self, group: u32) -> Vec<u32> {
        if group as usize >= self.seg_len {
            return Vec::new();
        }
        let members: Vec<u32> = self
            .members
            .get(&group)
            .map(|m| {
                m.iter()
                    .copied()
                    .filter(|&x| (x as usize) < self.seg_len)
                    .collect()
            })
            .unwrap_or_default();
        for &m in &members {
            let m = m as usize;
            if self.entries[m].lines.is_none() {
                let page = self.fp.page(&self.entries[m].doc);
                self.entries[m].lines = Some(page.line_hashes());
            }
        }
        members
    }

    /// Whether the segment already counted a key for the group whose segment members are
    /// `members` (from [`Index::segment_members`]): one of them, on the same site for a site
    /// line, holds the line (or, for a shingle, the shingle).
    fn segment_holds(&self, members: &[u32], what: Held) -> bool {
        members.iter().any(|&m| {
            let e = &self.entries[m as usize];
            match what {
                Held::Shingle(h) => e.fp.set.binary_search(&h).is_ok(),
                Held::Line(site, h) => {
                    site.is_none_or(|s| s == e.site)
                        && e.lines
                            .as_ref()
                            .is_some_and(|l| l.binary_search(&h).is_ok())
                }
            }
        })
    }

    /// Add (`add`) or undo the counts of entry `d`'s lines and shingles under its group.
    fn count(&mut self, d: u32, add: bool) {
        let (group, site) = {
            let e = &self.entries[d as usize];
            (e.group, e.site)
        };
        let seg = self.segment_members(group);
        let lines = self.entries[d as usize].lines.clone().unwrap_or_default();
        let set = self.entries[d as usize].fp.set.clone();
        for h in lines {
            let known = self.segment_holds(&seg, Held::Line(None, h));
            if add {
                self.global.add(h, group, known);
            } else {
                self.global.remove(h, group, known);
            }
            if site != 0 {
                let known = self.segment_holds(&seg, Held::Line(Some(site), h));
                let key = site_line_key(site, h);
                if add {
                    self.per_site.add(key, group, known);
                } else {
                    self.per_site.remove(key, group, known);
                }
            }
        }
        for h in set {
            let known = self.segment_holds(&seg, Held::Shingle(h));
            if add {
                self.shingles.add(h, group, known);
            } else {
                self.shingles.remove(h, group, known);
            }
        }
    }

    /// Fingerprint again the added pages holding any of `lines`, and match them again when
    /// their content changed.
    fn recheck_lines(&mut self, lines: &[u64]) {
        let mut docs: Vec<u32> = lines
            .iter()
            .filter_map(|h| self.line_docs.get(h))
            .flatten()
            .copied()
            .filter(|&d| self.entries[d as usize].live)
            .collect();
        docs.sort_unstable();
        docs.dedup();
        for d in docs {
            let page: Page = self.fp.page(&self.entries[d as usize].doc);
            let fp = self.fp.fingerprint(&page, &Current(self));
            if fp.set == self.entries[d as usize].fp.set
                && fp.content_lines == self.entries[d as usize].fp.content_lines
            {
                continue;
            }
            self.unindex_entry(d);
            self.unlink_all(d);
            self.entries[d as usize].fp = fp;
            self.index_entry(d);
            let cfg = *self.config();
            let fp = self.entries[d as usize].fp.clone();
            for (m, sim) in self.matches_of(&fp, Some(d), cfg.threshold, cfg.containment) {
                self.link(d, m, sim);
            }
        }
    }

    fn apply_remove(&mut self, id: &str) -> bool {
        let Some(d) = self.by_id.remove(id) else {
            return false;
        };
        self.unindex_entry(d);
        self.unlink_all(d);
        if d as usize >= self.seg_len {
            let lines = self.entries[d as usize].lines.clone().unwrap_or_default();
            let site = self.entries[d as usize].site;
            let before: Vec<bool> = lines
                .iter()
                .map(|&h| Current(self).is_template(site, h))
                .collect();
            self.count(d, false);
            for &h in &lines {
                if let Some(v) = self.line_docs.get_mut(&h) {
                    v.retain(|&x| x != d);
                }
            }
            self.entries[d as usize].live = false;
            let flipped: Vec<u64> = lines
                .iter()
                .zip(&before)
                .filter(|(&h, &b)| b && !Current(self).is_template(site, h))
                .map(|(&h, _)| h)
                .collect();
            self.recheck_lines(&flipped);
        }
        self.entries[d as usize].live = false;
        true
    }

    /// Remove every document published before `unix` (seconds); undated documents stay.
    /// Returns how many were removed.
    pub fn expire_before(&mut self, unix: i64) -> Result<usize> {
        let ids: Vec<String> = self
            .entries
            .iter()
            .filter(|e| e.live && e.doc.published.as_ref().is_some_and(|p| p.unix < unix))
            .map(|e| e.doc.id.as_str().to_string())
            .collect();
        for id in &ids {
            self.remove(id)?;
        }
        Ok(ids.len())
    }

    /// Stories read off the index: clusters of two or more live documents (entry indices),
    /// by the batch scan's guarded clustering of every verified pair.
    fn stories(&self) -> Vec<Vec<u32>> {
        let cfg = self.config();
        let mut edges: Vec<Edge> = self
            .edges
            .iter()
            .map(|(&(a, b), &sim)| Edge { a, b, sim })
            .collect();
        edges.sort_by_key(|e| (e.a, e.b));
        let f = cfg.cluster.guard_factor;
        let near = |a: u32| self.entries[a as usize].fp.near_empty;
        let passes = |a: u32, b: u32| {
            let s = self.similarity(a, b);
            !near(a)
                && !near(b)
                && (s.jaccard >= cfg.threshold * f || s.overlap() >= cfg.containment * f)
        };
        let within =
            |a: u32, b: u32| !near(a) && self.similarity(a, b).containment_a >= cfg.containment;
        cluster::cluster(self.entries.len(), &edges, &cfg.cluster, passes, within)
    }

    /// The stories of the index as document ids: each sorted, largest story first.
    pub fn story_ids(&self) -> Vec<Vec<DocId>> {
        let mut out: Vec<Vec<DocId>> = self
            .stories()
            .into_iter()
            .map(|c| {
                let mut ids: Vec<DocId> = c
                    .iter()
                    .map(|&d| self.entries[d as usize].doc.id.clone())
                    .collect();
                ids.sort();
                ids
            })
            .collect();
        out.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        out
    }

    /// Counts for `index stats`.
    pub fn stats(&self) -> IndexStats {
        let live: Vec<&Entry> = self.entries.iter().filter(|e| e.live).collect();
        let stories = self.stories();
        let mut sites: Vec<u64> = live.iter().map(|e| e.site).filter(|&s| s != 0).collect();
        sites.sort_unstable();
        sites.dedup();
        IndexStats {
            documents: live.len(),
            segment_documents: self.entries[..self.seg_len]
                .iter()
                .filter(|e| e.live)
                .count(),
            added_documents: self.entries[self.seg_len..]
                .iter()
                .filter(|e| e.live)
                .count(),
            near_empty: live.iter().filter(|e| e.fp.near_empty).count(),
            pairs: self.edges.len(),
            documents_in_stories: stories.iter().map(Vec::len).sum(),
            stories: stories.len(),
            sites: sites.len(),
        }
    }

    fn maybe_compact(&mut self) -> Result<()> {
        if self.options.manual {
            return Ok(());
        }
        let added = self.entries.len() - self.seg_len;
        let seg_live = self.seg_len;
        if added >= self.options.compact_min
            && added as f64 >= self.options.compact_ratio * seg_live as f64
        {
            self.compact()?;
        }
        Ok(())
    }

    /// Scan every live document again into a new segment: chrome and stop shingles are learned
    /// from everything the index holds, every page is fingerprinted and matched with them, and
    /// the log starts empty. In a directory index the new segment replaces the old one
    /// atomically (a crash leaves one or the other, never a mix).
    pub fn compact(&mut self) -> Result<()> {
        let docs: Vec<Document> = self
            .entries
            .iter()
            .filter(|e| e.live)
            .map(|e| e.doc.clone())
            .collect();
        let cfg = *self.config();
        let result = pipeline::scan(docs, &cfg, &pipeline::Quiet)?;
        let storage = self.storage.take();
        let mut fresh = Index::from_scan(&result)?;
        fresh.options = self.options;
        if let Some(s) = storage {
            let generation = s.generation + 1;
            drop(s.log);
            fresh.storage = Some(write_generation(&s.dir, generation, &result)?);
            remove_generation(&s.dir, s.generation);
        }
        *self = fresh;
        Ok(())
    }

    /// Create a directory index from a batch scan (the directory must not hold an index).
    pub fn create(dir: &Path, result: &ScanResult) -> Result<Index> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        if dir.join(CURRENT).exists() {
            return Err(Error::InvalidParameter {
                name: "index",
                message: format!("{} already holds an index", dir.display()),
            });
        }
        let mut ix = Index::from_scan(result)?;
        ix.storage = Some(write_generation(dir, 1, result)?);
        Ok(ix)
    }

    /// Open a directory index: its segment, then the adds and removals of its log replayed. A
    /// torn last log record (an add interrupted before it was acknowledged) is cut off.
    pub fn open(dir: &Path) -> Result<Index> {
        let current = dir.join(CURRENT);
        let text = std::fs::read_to_string(&current).map_err(io_err(&current))?;
        let generation: u64 = text
            .trim()
            .strip_prefix("generation ")
            .and_then(|g| g.parse().ok())
            .ok_or_else(|| Error::CorruptIndex {
                path: current.clone(),
                message: format!("expected \"generation N\", found {:?}", text.trim()),
            })?;
        let seg_path = dir.join(segment_name(generation));
        let seg = crate::store::Index::open(&seg_path)?;
        let expected = crate::minhash::SignatureParams::new(
            seg.config().shingle,
            seg.config().num_perm,
            seg.config().seed,
        );
        seg.check_compatible(&expected)
            .map_err(|e| Error::UnsupportedIndex {
                path: seg_path.clone(),
                message: format!("written by another version of the rules: {e}"),
            })?;
        let (stored, ours) = (seg.rules(), crate::store::RuleVersions::current());
        if stored != ours {
            return Err(Error::UnsupportedIndex {
                path: seg_path.clone(),
                message: format!(
                    "written with {stored}, this build has {ours}: build the index again"
                ),
            });
        }
        let mut ix = Index::from_store(&seg, &seg_path)?;
        let log_path = dir.join(log_name(generation));
        let replay = log::read(&log_path, seg.table_checksum())?;
        if replay.torn_bytes > 0 {
            eprintln!(
                "warning: {}: {} bytes at the end are an interrupted, unacknowledged add; dropped",
                log_path.display(),
                replay.torn_bytes
            );
        }
        let options = ix.options;
        ix.options.manual = true;
        for r in replay.records {
            match r {
                log::Record::Add(d) => {
                    ix.apply_add(d.document());
                }
                log::Record::Remove(id) => {
                    ix.apply_remove(&id);
                }
            }
        }
        ix.options = options;
        ix.storage = Some(Storage {
            dir: dir.to_path_buf(),
            generation,
            log: log::Log::append_to(&log_path, replay.valid_len)?,
        });
        Ok(ix)
    }

    fn from_store(seg: &crate::store::Index, path: &Path) -> Result<Index> {
        let cfg = *seg.config();
        let fp = Fingerprinter::new(&cfg)?;
        let params = *fp.hasher().params();
        let corrupt = |i: usize| Error::CorruptIndex {
            path: path.to_path_buf(),
            message: format!("document {i} is incomplete"),
        };
        let mut entries = Vec::with_capacity(seg.len());
        for i in 0..seg.len() {
            let doc = seg.document(i).ok_or_else(|| corrupt(i))?;
            let site = crate::chrome::site_hash(doc.site_or_domain().as_deref());
            entries.push(Entry {
                site,
                fp: Fingerprint {
                    content_lines: seg.content_rows(i).ok_or_else(|| corrupt(i))?.to_vec(),
                    set: seg.shingle_set(i).ok_or_else(|| corrupt(i))?.to_vec(),
                    signature: Signature {
                        params,
                        values: seg.signature(i).ok_or_else(|| corrupt(i))?.to_vec(),
                    },
                    windows: seg.windows(i).ok_or_else(|| corrupt(i))?.to_vec(),
                    figures: seg.figures(i).ok_or_else(|| corrupt(i))?.to_vec(),
                    near_empty: seg.near_empty().get(i).is_some_and(|&f| f == 1),
                },
                doc,
                group: i as u32,
                live: true,
                lines: None,
            });
        }
        let pairs: Vec<(u32, u32)> = seg.edges().collect();
        Index::assemble(
            fp,
            seg.banding(),
            entries,
            seg.line_stats(),
            seg.shingle_df().to_vec(),
            &pairs,
        )
    }
}

#[derive(Debug, Clone, Copy)]
enum Held {
    Line(Option<u64>, u64),
    Shingle(u64),
}

/// Write generation `g` of a directory index: segment, empty log, then `CURRENT` pointing at
/// them (atomically replaced, so a crash leaves the previous generation in force).
fn write_generation(dir: &Path, g: u64, result: &ScanResult) -> Result<Storage> {
    let seg_path = dir.join(segment_name(g));
    crate::store::save(&seg_path, result)?;
    let seg = crate::store::Index::open(&seg_path)?;
    let log_path = dir.join(log_name(g));
    if log_path.exists() {
        // Left by a compaction that died before switching `CURRENT`: never acknowledged.
        std::fs::remove_file(&log_path).map_err(io_err(&log_path))?;
    }
    let log = log::Log::create(&log_path, seg.table_checksum())?;
    let current = dir.join(CURRENT);
    crate::atomic_write::write(&current, true, |f| {
        use std::io::Write;
        writeln!(f, "generation {g}")
    })
    .map_err(|source| Error::Write {
        path: current.clone(),
        source,
    })?;
    sync_dir(dir)?;
    Ok(Storage {
        dir: dir.to_path_buf(),
        generation: g,
        log,
    })
}

/// Make a directory's entries (a rename into it) durable.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)
            .and_then(|f| f.sync_all())
            .map_err(io_err(dir))?;
    }
    Ok(())
}

/// Delete an old generation's files (best effort: a leftover file is ignored by `open`).
fn remove_generation(dir: &Path, g: u64) {
    let _ = std::fs::remove_file(dir.join(segment_name(g)));
    let _ = std::fs::remove_file(dir.join(log_name(g)));
}
