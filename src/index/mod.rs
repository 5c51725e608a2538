//! index/: is this page a copy of one we already have, as pages keep arriving?
//!
//! An [`Index`] holds documents, their fingerprints and the verified pairs between them, and
//! answers for a new page: which stored pages it copies, of which story, who published it first
//! ([`Index::query`]); [`Index::add`] also stores it. A directory index persists as a stack of
//! immutable *segments* ([`crate::store`] format): the last compaction's (a saved batch scan),
//! then batches of added pages, each written by [`Index::flush`] every
//! [`IndexOptions::flush_pages`] adds with the pages' fingerprints as judged and merged with the
//! newest segments no larger than it; plus an append-only *log* of the adds and removals since
//! the newest segment ([`log`]). [`Index::compact`] scans every live document again into one
//! segment, which re-learns chrome from everything the index holds and drops removed pages.
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
//!    footer), or makes it recur in a second group (a headline that another page lists), the
//!    added pages holding that line are fingerprinted again and re-matched: early pages of a
//!    site, judged before its chrome or its related lists were known, are corrected as soon as
//!    they are.
//!    Pages already in a segment keep their fingerprints until the next compaction.
//!
//! The decision returned is the one made in step 2, exactly what [`Index::query`] gives for the
//! page before the add. The stories read off the index ([`Index::story_ids`]) cluster all verified
//! pairs, re-checked ones included, with the batch scan's guarded clustering.
//!
//! Invariant: the state after a sequence of adds and removals depends only on that sequence (no
//! hash-map order reaches a decision or a story); replaying the log reproduces it.

pub mod log;
pub(crate) mod segment;
pub mod stats;
mod story;

use crate::chrome::site_line_key;
use crate::cluster::Edge;
use crate::document::{DocId, Document};
use crate::error::{Error, Result};
use crate::fingerprint::{Fingerprint, Fingerprinter, Page, Verdicts, CHUNK_BANDS};
use crate::lsh::Banding;
use crate::pipeline::{self, ScanConfig, ScanResult};
use crate::verify::{self, Similarity};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use segment::{Parts, Segment};
use serde::Serialize;
use stats::LiveCounts;
use std::path::{Path, PathBuf};

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

/// Pages added between two segments unless [`IndexOptions::flush_pages`] says otherwise.
pub const DEFAULT_FLUSH_PAGES: usize = 1000;

/// When an index writes segments and compacts on its own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndexOptions {
    /// Write the pages added since the last segment as a new segment once they are this many
    /// ([`Index::flush`]): what is held in memory and replayed from the log at open is at most
    /// this many pages.
    pub flush_pages: usize,
    /// Compact once the removed pages still held (by removals, `expire` or a stream's window)
    /// reach this many ...
    pub compact_min: usize,
    /// ... and this share of the live pages (geometric growth keeps the total work of all
    /// compactions linear in the documents added). Adds alone never compact: they go into
    /// segments, merged in tiers.
    pub compact_ratio: f64,
    /// Never write a segment or compact on its own (only [`Index::flush`] and
    /// [`Index::compact`] do).
    pub manual: bool,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            flush_pages: DEFAULT_FLUSH_PAGES,
            compact_min: 1000,
            compact_ratio: 1.0,
            manual: false,
        }
    }
}

/// Counts an index reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexStats {
    /// Live documents.
    pub documents: usize,
    /// Segments (the last compaction's, then the written batches of added pages).
    pub segments: usize,
    /// Live documents in the segments.
    pub segment_documents: usize,
    /// Live documents added since the last segment was written (held in memory and the log).
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

/// A page added since the segment.
#[derive(Debug, Clone)]
struct Added {
    doc: Document,
    site: u64,
    fp: Fingerprint,
    /// The story group: the entry number of the group's first page.
    group: u32,
    live: bool,
    /// Distinct line hashes (their counts are undone on removal, and re-checks find the page
    /// by them).
    lines: Vec<u64>,
}

/// The directory an index lives in, its open log, and the writer's lock on it.
#[derive(Debug)]
struct Storage {
    dir: PathBuf,
    generation: u64,
    /// The generation that wrote each segment file (`segment-G.wci`), oldest first.
    segments: Vec<u64>,
    log: log::Log,
    /// `LOCK`, held exclusively while this index may write (released when dropped).
    lock: std::fs::File,
}

const LOCK: &str = "LOCK";

/// Take the one writer's lock on an index directory: an advisory exclusive lock on `DIR/LOCK`
/// (`flock` on Unix), released by the operating system when the process ends however it ends.
fn lock_dir(dir: &Path) -> Result<std::fs::File> {
    let path = dir.join(LOCK);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_err(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::InvalidParameter {
            name: "index",
            message: format!(
                "{} is open for writing by another process (it holds {}); one writer at a time, readers can open it read-only",
                dir.display(),
                path.display()
            ),
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(Error::Io { path, source }),
    }
}

/// A live index of documents (see the module documentation).
///
/// Documents are numbered by *entry*: the segment's documents first (`0..seg_len`, read from the
/// segment file in place), then the pages added since, in order.
#[derive(Debug)]
pub struct Index {
    fp: Fingerprinter,
    banding: Banding,
    options: IndexOptions,
    /// The segments, oldest first: the last compaction's (a batch scan), then the pages added
    /// since, written in batches and merged in tiers.
    segs: Vec<Segment>,
    /// Entries in the segments (`0..seg_len`).
    seg_len: usize,
    /// Segment entries removed (written with the newest segment, plus those removed since).
    seg_dead: HashSet<u32>,
    /// The pages added since the newest segment, held in memory (and in the log).
    pending: Pending,
    storage: Option<Storage>,
    /// Opened with [`Index::open_read_only`]: adds, removals and compaction are refused.
    read_only: bool,
    /// A flush or compaction failed after giving up the log: every later write is refused
    /// (what was acknowledged is on disk; the index must be opened again).
    poisoned: bool,
}

/// The pages added since the newest segment and what they added: entries `seg_len..`, their
/// counts, tables and pairs. A flush writes them as a segment and starts a new one.
#[derive(Debug)]
struct Pending {
    added: Vec<Added>,
    live_added: usize,
    global: LiveCounts,
    per_site: LiveCounts,
    shingles: LiveCounts,
    new_groups: u64,
    /// Pages added since the segment, by line hash (for re-checks).
    line_docs: HashMap<u64, Vec<u32>>,
    /// The added members of each group (segment members are in the segment).
    members: HashMap<u32, Vec<u32>>,
    /// Band and window tables of the added pages (the segment's are in the segment).
    bands: Vec<HashMap<u64, Vec<u32>>>,
    windows: Vec<HashMap<u64, Vec<u32>>>,
    /// Verified pairs with an added page (the segment's own pairs are in the segment).
    edges: HashMap<(u32, u32), Similarity>,
    adj: HashMap<u32, Vec<u32>>,
    /// Added pages by id (segment pages are found in the segment).
    by_id: HashMap<String, u32>,
    /// Line hashes of the segment members of the groups these pages joined, computed when
    /// first needed (kept until the next segment, so it holds at most these groups' members).
    seg_lines: HashMap<u32, Vec<u64>>,
}

impl Pending {
    fn new(bands: usize) -> Pending {
        Pending {
            added: Vec::new(),
            live_added: 0,
            global: LiveCounts::default(),
            per_site: LiveCounts::default(),
            shingles: LiveCounts::default(),
            new_groups: 0,
            line_docs: HashMap::default(),
            members: HashMap::default(),
            bands: vec![HashMap::default(); bands],
            windows: vec![HashMap::default(); CHUNK_BANDS],
            edges: HashMap::default(),
            adj: HashMap::default(),
            by_id: HashMap::default(),
            seg_lines: HashMap::default(),
        }
    }
}

/// The chrome verdicts an index applies now: segment statistics plus live counts.
struct Current<'a>(&'a Index);

impl Current<'_> {
    /// What decides a line's part in a page's content: template on `site`, recurring.
    fn line_state(&self, site: u64, line: u64) -> (bool, bool) {
        (self.is_template(site, line), self.is_recurring(line))
    }
}

impl Verdicts for Current<'_> {
    fn is_template(&self, site: u64, line: u64) -> bool {
        let ix = self.0;
        let cfg = &ix.fp.config().chrome;
        let pages = ix.seg_sum(|s| s.line_pages()) + ix.pending.new_groups;
        let cap = f64::from(cfg.global_max_pages).max(cfg.global_max_share * pages as f64);
        let global = ix.seg_count(|s| s.line_global(line)) + ix.pending.global.get(line);
        if f64::from(global) > cap {
            return true;
        }
        if site == 0 {
            return false;
        }
        let key = site_line_key(site, line);
        let n = ix.seg_count(|s| s.line_site(key)) + ix.pending.per_site.get(key);
        let min = if cfg.story_groups {
            cfg.site_min_groups
        } else {
            cfg.site_min_pages
        };
        n >= min
    }

    fn is_recurring(&self, line: u64) -> bool {
        let ix = self.0;
        ix.seg_count(|s| s.line_global(line)) + ix.pending.global.get(line) >= 2
    }

    fn is_stop(&self, shingle: u64) -> bool {
        let ix = self.0;
        let cfg = &ix.fp.config().chrome;
        let pages = ix.seg_sum(|s| s.line_pages()) + ix.pending.new_groups;
        let cap = f64::from(cfg.shingle_max_df).max(cfg.shingle_max_share * pages as f64);
        f64::from(ix.seg_count(|s| s.shingle_df(shingle)) + ix.pending.shingles.get(shingle)) > cap
    }
}

const CURRENT: &str = "CURRENT";

/// The largest segment a tier merge writes, in batches of [`IndexOptions::flush_pages`]
/// (65,536 pages by default): a merge holds its segments in memory while it rewrites them.
/// Beyond that, segments accumulate (one per this many pages) until a compaction.
pub const MERGE_MAX_FLUSHES: usize = 64;

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
        let words = crate::store::to_words(result)?;
        Index::with_segment(crate::store::Index::from_words(
            words,
            Path::new("(in-memory segment)"),
        )?)
    }

    fn with_segment(store: crate::store::Index) -> Result<Index> {
        Index::with_segments(vec![store])
    }

    /// An index over segments written in order (each one's entries follow the previous one's),
    /// with the tombstones of the newest.
    fn with_segments(stores: Vec<crate::store::Index>) -> Result<Index> {
        let Some(first) = stores.first() else {
            return Err(Error::InvalidParameter {
                name: "index",
                message: "an index needs at least one segment".into(),
            });
        };
        let (cfg, banding) = (*first.config(), first.banding());
        let mut end = 0u32;
        for s in &stores {
            if *s.config() != cfg || s.banding() != banding || s.base() != end {
                return Err(Error::CorruptIndex {
                    path: s.path().to_path_buf(),
                    message: format!(
                        "segment does not follow the one before it (it starts at entry {}, expected {end}, or was written with other parameters)",
                        s.base()
                    ),
                });
            }
            end += s.len() as u32;
        }
        let fp = Fingerprinter::new(&cfg)?;
        let segs: Vec<Segment> = stores.into_iter().map(Segment::new).collect();
        let seg_dead: HashSet<u32> = segs
            .last()
            .map_or(&[][..], |s| s.dead())
            .iter()
            .copied()
            .filter(|&d| d < end)
            .collect();
        Ok(Index {
            fp,
            banding,
            options: IndexOptions::default(),
            segs,
            seg_len: end as usize,
            seg_dead,
            pending: Pending::new(banding.bands),
            storage: None,
            read_only: false,
            poisoned: false,
        })
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
        self.seg_len - self.seg_dead.len() + self.pending.live_added
    }

    /// Whether the index holds no live document.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The live document with this id (read from the segment or the added pages).
    pub fn get(&self, id: &str) -> Result<Option<Document>> {
        let doc = self.lookup(id).and_then(|d| self.document(d));
        self.healthy().map(|()| doc)
    }

    /// The live documents, in the order they entered the index (segment first).
    pub fn documents(&self) -> Result<Vec<Document>> {
        let docs = (0..self.entries())
            .filter(|&d| self.live(d))
            .filter_map(|d| self.document(d))
            .collect();
        self.healthy().map(|()| docs)
    }

    /// `Err` once a read of the segment has met damage: every answer since may rest on bytes
    /// that failed their checksum, so none is given (the index must be opened again, or
    /// rebuilt).
    fn healthy(&self) -> Result<()> {
        match self.segs.iter().find_map(Segment::failure) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// `Err` for a read-only index or a damaged one.
    fn writable(&self) -> Result<()> {
        if self.read_only {
            return Err(Error::InvalidParameter {
                name: "index",
                message: "opened read-only: adds, removals and compaction need Index::open".into(),
            });
        }
        if self.poisoned {
            return Err(Error::InvalidParameter {
                name: "index",
                message: "a flush or compaction failed before it completed: open the index again"
                    .into(),
            });
        }
        self.healthy()
    }

    // ---- Entries: the segment's in the mapping, the added ones in memory ----

    fn entries(&self) -> u32 {
        (self.seg_len + self.pending.added.len()) as u32
    }

    fn in_segment(&self, d: u32) -> bool {
        (d as usize) < self.seg_len
    }

    /// The segment holding segment entry `d`.
    fn seg(&self, d: u32) -> &Segment {
        &self.segs[self.segs.partition_point(|s| s.base() <= d) - 1]
    }

    /// A count summed over the segments.
    fn seg_count(&self, f: impl Fn(&Segment) -> u32) -> u32 {
        self.segs.iter().map(f).fold(0, u32::saturating_add)
    }

    fn seg_sum(&self, f: impl Fn(&Segment) -> u64) -> u64 {
        self.segs.iter().map(f).sum()
    }

    fn added(&self, d: u32) -> &Added {
        &self.pending.added[d as usize - self.seg_len]
    }

    fn added_mut(&mut self, d: u32) -> &mut Added {
        &mut self.pending.added[d as usize - self.seg_len]
    }

    fn live(&self, d: u32) -> bool {
        if self.in_segment(d) {
            !self.seg_dead.contains(&d)
        } else {
            self.added(d).live
        }
    }

    fn set(&self, d: u32) -> &[u64] {
        if self.in_segment(d) {
            self.seg(d).set(d)
        } else {
            &self.added(d).fp.set
        }
    }

    fn near_empty(&self, d: u32) -> bool {
        if self.in_segment(d) {
            self.seg(d).near_empty(d)
        } else {
            self.added(d).fp.near_empty
        }
    }

    fn figures(&self, d: u32) -> &[u64] {
        if self.in_segment(d) {
            self.seg(d).figures(d)
        } else {
            &self.added(d).fp.figures
        }
    }

    fn site(&self, d: u32) -> u64 {
        if self.in_segment(d) {
            self.seg(d).site(d)
        } else {
            self.added(d).site
        }
    }

    fn group(&self, d: u32) -> u32 {
        if self.in_segment(d) {
            self.seg(d).group(d)
        } else {
            self.added(d).group
        }
    }

    fn published(&self, d: u32) -> Option<i64> {
        if self.in_segment(d) {
            self.seg(d).published(d)
        } else {
            self.added(d).doc.published.as_ref().map(|p| p.unix)
        }
    }

    fn doc_id(&self, d: u32) -> Option<DocId> {
        if self.in_segment(d) {
            self.seg(d).stored(d).map(|s| s.doc_id())
        } else {
            Some(self.added(d).doc.id.clone())
        }
    }

    fn document(&self, d: u32) -> Option<Document> {
        if self.in_segment(d) {
            self.seg(d).document(d)
        } else {
            Some(self.added(d).doc.clone())
        }
    }

    fn doc_ref(&self, d: u32) -> DocRef {
        let of = |doc: &Document| DocRef {
            id: doc.id.clone(),
            url: doc.url.clone(),
            site: doc.site_or_domain(),
            published: doc.published.as_ref().map(|p| p.raw.clone()),
        };
        if !self.in_segment(d) {
            return of(&self.added(d).doc);
        }
        match self.seg(d).stored(d) {
            // The metadata alone, without copying the text.
            Some(s) => of(&Document {
                id: s.doc_id(),
                published: s.published(),
                url: s.url,
                site: s.site,
                title: None,
                text: String::new(),
            }),
            None => DocRef {
                id: DocId::Str(String::new()),
                url: None,
                site: None,
                published: None,
            },
        }
    }

    /// The live entry with this id: an added page, else the segment's.
    fn lookup(&self, id: &str) -> Option<u32> {
        match self.pending.by_id.get(id) {
            Some(&d) => Some(d),
            None => self
                .segs
                .iter()
                .rev()
                .filter_map(|s| s.find_id(id))
                .find(|d| !self.seg_dead.contains(d)),
        }
    }

    fn similarity(&self, a: u32, b: u32) -> Similarity {
        verify::similarity(self.set(a), self.set(b))
    }

    fn link(&mut self, a: u32, b: u32, sim: Similarity) {
        let (a, b, sim) = if a < b {
            (a, b, sim)
        } else {
            (b, a, sim.swapped())
        };
        if self.pending.edges.insert((a, b), sim).is_none() {
            self.pending.adj.entry(a).or_default().push(b);
            self.pending.adj.entry(b).or_default().push(a);
        }
    }

    fn unlink_all(&mut self, d: u32) {
        for o in self.pending.adj.remove(&d).unwrap_or_default() {
            self.pending.edges.remove(&(d.min(o), d.max(o)));
            if let Some(v) = self.pending.adj.get_mut(&o) {
                v.retain(|&x| x != d);
            }
        }
    }

    /// Put an added page into the band and window tables.
    fn index_entry(&mut self, d: u32) {
        let a = self.added(d);
        if !a.live || a.fp.near_empty {
            return;
        }
        let bands = segment::band_keys(&a.fp.signature.values, self.banding);
        let windows = segment::window_keys(&a.fp.windows);
        for (b, k) in bands {
            self.pending.bands[b].entry(k).or_default().push(d);
        }
        for (b, k) in windows {
            self.pending.windows[b].entry(k).or_default().push(d);
        }
    }

    /// Take an added page out of the band and window tables (a segment page stays in the
    /// segment's tables; lookups skip it once it is removed).
    fn unindex_entry(&mut self, d: u32) {
        if self.in_segment(d) {
            return;
        }
        let a = self.added(d);
        if a.fp.near_empty {
            return;
        }
        let bands = segment::band_keys(&a.fp.signature.values, self.banding);
        let windows = segment::window_keys(&a.fp.windows);
        for (tables, keys) in [
            (&mut self.pending.bands, bands),
            (&mut self.pending.windows, windows),
        ] {
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
        // Newest first: the added pages, then the segments from the newest.
        let mut take = |bucket: &mut dyn Iterator<Item = u32>| {
            out.extend(
                bucket
                    .filter(|&d| Some(d) != exclude && self.live(d))
                    .take(cap),
            );
        };
        for (b, k) in segment::band_keys(&fp.signature.values, self.banding) {
            let added = self.pending.bands[b]
                .get(&k)
                .into_iter()
                .flatten()
                .rev()
                .copied();
            take(
                &mut added.chain(
                    self.segs
                        .iter()
                        .rev()
                        .flat_map(|s| s.band_bucket(b, k).rev()),
                ),
            );
        }
        for (b, k) in segment::window_keys(&fp.windows) {
            let added = self.pending.windows[b]
                .get(&k)
                .into_iter()
                .flatten()
                .rev()
                .copied();
            take(
                &mut added.chain(
                    self.segs
                        .iter()
                        .rev()
                        .flat_map(|s| s.window_bucket(b, k).rev()),
                ),
            );
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
                let sim = verify::similarity(&fp.set, self.set(d));
                ((sim.jaccard >= threshold || sim.overlap() >= containment)
                    && cfg.figures.agree(&fp.figures, self.figures(d)))
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

    /// Every member of a group: its segment members, then the pages added to it.
    fn group_members(&self, group: u32) -> impl Iterator<Item = u32> + '_ {
        let added: &[u32] = self.pending.members.get(&group).map_or(&[], Vec::as_slice);
        self.segment_group(group).chain(added.iter().copied())
    }

    /// The segment members of `group`, in entry order (a group's members never precede it).
    fn segment_group(&self, group: u32) -> impl Iterator<Item = u32> + '_ {
        self.segs
            .iter()
            .filter(move |s| s.end() > group)
            .flat_map(move |s| s.members(group))
    }

    /// The origin of a group: its earliest published live member, ties and undated pages by
    /// entry order.
    fn origin_of(&self, group: u32) -> Option<u32> {
        self.group_members(group)
            .filter(|&d| self.live(d))
            .min_by_key(|&d| (self.published(d).unwrap_or(i64::MAX), d))
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
            .and_then(|&(d, _)| self.origin_of(self.group(d)));
        Decision {
            id: doc.id.clone(),
            decision: if fp.near_empty {
                DecisionKind::NearEmpty
            } else if matches.is_empty() {
                DecisionKind::New
            } else {
                DecisionKind::Copy
            },
            story: origin.and_then(|o| self.doc_id(o)),
            origin: origin.map(|o| self.doc_ref(o)),
            matches,
        }
    }

    /// What the index says about `doc`, adding nothing. An error only when the segment file
    /// turns out damaged where the answer had to read it.
    pub fn query(&self, doc: &Document) -> Result<Decision> {
        let cfg = self.config();
        self.query_with(doc, cfg.threshold, cfg.containment)
    }

    /// [`Index::query`] with thresholds tightened: a pair matches when its Jaccard reaches
    /// `threshold` or its smaller-side containment reaches `containment`. Values below the
    /// index's own thresholds are raised to them (the banding was chosen for those).
    pub fn query_with(&self, doc: &Document, threshold: f64, containment: f64) -> Result<Decision> {
        let cfg = self.config();
        let (t, c) = (
            threshold.max(cfg.threshold),
            containment.max(cfg.containment),
        );
        let page = self.fp.page(doc);
        let fp = self.fp.fingerprint(&page, &Current(self));
        let found = self.matches_of(&fp, None, t, c);
        let decision = self.decision(doc, &fp, &found);
        self.healthy().map(|()| decision)
    }

    /// [`Index::query`] by a linear scan: every live page is verified, no LSH. The oracle the LSH
    /// path is tested against; it costs one exact comparison per stored page.
    pub fn query_linear(&self, doc: &Document) -> Result<Decision> {
        let cfg = self.config();
        let page = self.fp.page(doc);
        let fp = self.fp.fingerprint(&page, &Current(self));
        let all: Vec<u32> = (0..self.entries())
            .filter(|&d| self.live(d) && !self.near_empty(d))
            .collect();
        let found = self.verify(&fp, all, cfg.threshold, cfg.containment);
        let decision = self.decision(doc, &fp, &found);
        self.healthy().map(|()| decision)
    }

    /// Add `doc` (replacing a document with the same id) and say what it is. In a directory
    /// index the add is durable once [`Index::sync`] returns.
    pub fn add(&mut self, doc: Document) -> Result<Decision> {
        self.writable()?;
        if let Some(s) = &mut self.storage {
            s.log.push(&log::Record::Add(log::LoggedDoc::of(&doc)))?;
        }
        let d = self.apply_add(doc);
        self.healthy()?;
        self.maybe_compact()?;
        Ok(d)
    }

    /// Remove the document with this id; `false` when there is none.
    pub fn remove(&mut self, id: &str) -> Result<bool> {
        self.writable()?;
        if self.lookup(id).is_none() {
            return self.healthy().map(|()| false);
        }
        if let Some(s) = &mut self.storage {
            s.log.push(&log::Record::Remove(id.to_string()))?;
        }
        let removed = self.apply_remove(id);
        self.healthy().map(|()| removed)
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

        let d = self.entries();
        let group = found.first().map_or(d, |&(m, _)| self.group(m));
        let lines = page.line_hashes();
        self.pending.by_id.insert(doc.id.as_str().to_string(), d);
        self.pending.added.push(Added {
            doc,
            site: page.site,
            fp,
            group,
            live: true,
            lines: lines.clone(),
        });
        self.pending.live_added += 1;
        self.pending.members.entry(group).or_default().push(d);
        if group == d {
            self.pending.new_groups += 1;
        }
        for &(m, sim) in &found {
            self.link(d, m, sim);
        }
        self.index_entry(d);
        for &h in &lines {
            self.pending.line_docs.entry(h).or_default().push(d);
        }
        // Count the page once per group, and re-check pages whose lines turned into template
        // or began to recur in another group (a list item's verdict).
        let before: Vec<(bool, bool)> = lines
            .iter()
            .map(|&h| Current(self).line_state(page.site, h))
            .collect();
        self.count(d, true);
        let flipped: Vec<u64> = lines
            .iter()
            .zip(&before)
            .filter(|(&h, &b)| b != Current(self).line_state(page.site, h))
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
        if !self.in_segment(group) {
            return Vec::new();
        }
        let members: Vec<u32> = self.segment_group(group).collect();
        for &m in &members {
            if !self.pending.seg_lines.contains_key(&m) {
                let lines = self
                    .seg(m)
                    .document(m)
                    .map(|doc| self.fp.page(&doc).line_hashes())
                    .unwrap_or_default();
                self.pending.seg_lines.insert(m, lines);
            }
        }
        members
    }

    /// Whether the segment already counted a key for the group whose segment members are
    /// `members` (from [`Index::segment_members`]): one of them, on the same site for a site
    /// line, holds the line (or, for a shingle, the shingle).
    fn segment_holds(&self, members: &[u32], what: Held) -> bool {
        members.iter().any(|&m| match what {
            Held::Shingle(h) => self.set(m).binary_search(&h).is_ok(),
            Held::Line(site, h) => {
                site.is_none_or(|s| s == self.site(m))
                    && self
                        .pending
                        .seg_lines
                        .get(&m)
                        .is_some_and(|l| l.binary_search(&h).is_ok())
            }
        })
    }

    /// Add (`add`) or undo the counts of added page `d`'s lines and shingles under its group.
    fn count(&mut self, d: u32, add: bool) {
        let (group, site) = (self.added(d).group, self.added(d).site);
        let seg = self.segment_members(group);
        let lines = self.added(d).lines.clone();
        let set = self.added(d).fp.set.clone();
        for h in lines {
            let known = self.segment_holds(&seg, Held::Line(None, h));
            if add {
                self.pending.global.add(h, group, known);
            } else {
                self.pending.global.remove(h, group, known);
            }
            if site != 0 {
                let known = self.segment_holds(&seg, Held::Line(Some(site), h));
                let key = site_line_key(site, h);
                if add {
                    self.pending.per_site.add(key, group, known);
                } else {
                    self.pending.per_site.remove(key, group, known);
                }
            }
        }
        for h in set {
            let known = self.segment_holds(&seg, Held::Shingle(h));
            if add {
                self.pending.shingles.add(h, group, known);
            } else {
                self.pending.shingles.remove(h, group, known);
            }
        }
    }

    /// Fingerprint again the added pages holding any of `lines`, and match them again when
    /// their content changed.
    fn recheck_lines(&mut self, lines: &[u64]) {
        let mut docs: Vec<u32> = lines
            .iter()
            .filter_map(|h| self.pending.line_docs.get(h))
            .flatten()
            .copied()
            .filter(|&d| self.live(d))
            .collect();
        docs.sort_unstable();
        docs.dedup();
        for d in docs {
            let page: Page = self.fp.page(&self.added(d).doc);
            let fp = self.fp.fingerprint(&page, &Current(self));
            let old = &self.added(d).fp;
            if fp.set == old.set && fp.content_lines == old.content_lines {
                continue;
            }
            self.unindex_entry(d);
            self.unlink_all(d);
            self.added_mut(d).fp = fp;
            self.index_entry(d);
            let cfg = *self.config();
            let fp = self.added(d).fp.clone();
            for (m, sim) in self.matches_of(&fp, Some(d), cfg.threshold, cfg.containment) {
                self.link(d, m, sim);
            }
        }
    }

    fn apply_remove(&mut self, id: &str) -> bool {
        let Some(d) = self.lookup(id) else {
            return false;
        };
        self.pending.by_id.remove(id);
        self.unlink_all(d);
        if self.in_segment(d) {
            self.seg_dead.insert(d);
            return true;
        }
        self.unindex_entry(d);
        let lines = self.added(d).lines.clone();
        let site = self.added(d).site;
        let before: Vec<(bool, bool)> = lines
            .iter()
            .map(|&h| Current(self).line_state(site, h))
            .collect();
        self.count(d, false);
        for &h in &lines {
            if let Some(v) = self.pending.line_docs.get_mut(&h) {
                v.retain(|&x| x != d);
            }
        }
        // A removed page is never read again (every lookup skips it): free what it held, so
        // that a windowed stream's memory follows the live pages until the next compaction.
        let a = self.added_mut(d);
        a.live = false;
        a.lines = Vec::new();
        a.doc.text = String::new();
        a.fp.set = Vec::new();
        a.fp.windows = Vec::new();
        a.fp.figures = Vec::new();
        a.fp.content_lines = Vec::new();
        a.fp.signature.values = Vec::new();
        self.pending.live_added -= 1;
        let flipped: Vec<u64> = lines
            .iter()
            .zip(&before)
            .filter(|(&h, &b)| b != Current(self).line_state(site, h))
            .map(|(&h, _)| h)
            .collect();
        self.recheck_lines(&flipped);
        true
    }

    /// Remove every document published before `unix` (seconds); undated documents stay.
    /// Returns how many were removed.
    pub fn expire_before(&mut self, unix: i64) -> Result<usize> {
        let ids: Vec<String> = (0..self.entries())
            .filter(|&d| self.live(d) && self.published(d).is_some_and(|p| p < unix))
            .filter_map(|d| self.doc_id(d))
            .map(|id| id.as_str().to_string())
            .collect();
        for id in &ids {
            self.remove(id)?;
        }
        Ok(ids.len())
    }

    /// Stories read off the index: clusters of two or more live documents (entry numbers),
    /// by the batch scan's guarded clustering of every verified pair.
    fn stories(&self) -> Vec<Vec<u32>> {
        let mut edges: Vec<Edge> = self
            .segs
            .iter()
            .flat_map(Segment::edges)
            .filter(|&(a, b)| self.live(a) && self.live(b))
            .map(|(a, b)| Edge {
                a,
                b,
                sim: self.similarity(a, b),
            })
            .chain(
                self.pending
                    .edges
                    .iter()
                    .map(|(&(a, b), &sim)| Edge { a, b, sim }),
            )
            .collect();
        crate::cluster::guarded_stories(
            self.entries() as usize,
            &mut edges,
            self.config(),
            |d| self.set(d),
            |d| self.near_empty(d),
        )
    }

    /// The stories of the index as document ids: each sorted, largest story first.
    pub fn story_ids(&self) -> Result<Vec<Vec<DocId>>> {
        let mut out: Vec<Vec<DocId>> = self
            .stories()
            .into_iter()
            .map(|c| {
                let mut ids: Vec<DocId> = c.iter().filter_map(|&d| self.doc_id(d)).collect();
                ids.sort();
                ids
            })
            .collect();
        out.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        self.healthy().map(|()| out)
    }

    /// Counts for `index stats`.
    pub fn stats(&self) -> Result<IndexStats> {
        let live: Vec<u32> = (0..self.entries()).filter(|&d| self.live(d)).collect();
        let stories = self.stories();
        let mut sites: Vec<u64> = live
            .iter()
            .map(|&d| self.site(d))
            .filter(|&s| s != 0)
            .collect();
        sites.sort_unstable();
        sites.dedup();
        let segment_pairs = self
            .segs
            .iter()
            .flat_map(Segment::edges)
            .filter(|&(a, b)| self.live(a) && self.live(b))
            .count();
        let stats = IndexStats {
            documents: live.len(),
            segments: self.segs.len(),
            segment_documents: self.seg_len - self.seg_dead.len(),
            added_documents: self.pending.live_added,
            near_empty: live.iter().filter(|&&d| self.near_empty(d)).count(),
            pairs: segment_pairs + self.pending.edges.len(),
            documents_in_stories: stories.iter().map(Vec::len).sum(),
            stories: stories.len(),
            sites: sites.len(),
        };
        self.healthy().map(|()| stats)
    }

    fn maybe_compact(&mut self) -> Result<()> {
        if self.options.manual {
            return Ok(());
        }
        if self.pending.added.len() >= self.options.flush_pages.max(1) {
            self.flush()?;
        }
        let dead = self.seg_dead.len() + (self.pending.added.len() - self.pending.live_added);
        if dead >= self.options.compact_min
            && dead as f64 >= self.options.compact_ratio * self.len() as f64
        {
            self.compact()?;
        }
        Ok(())
    }

    /// The pages added since the last segment, as a segment's parts: their fingerprints as
    /// judged, groups, pairs and the counts they added; removed pages keep their entry with
    /// nothing else.
    fn added_parts(&self) -> Parts {
        let mut p = Parts::empty(*self.config(), self.banding);
        let num_perm = self.config().num_perm;
        let mut dead: Vec<u32> = self.seg_dead.iter().copied().collect();
        for (i, a) in self.pending.added.iter().enumerate() {
            let r = &mut p.result;
            r.docs.push(a.doc.clone());
            r.content_lines.push(a.fp.content_lines.clone());
            r.sets.push(a.fp.set.clone());
            if a.live {
                r.signatures.extend_from_slice(&a.fp.signature.values);
            } else {
                r.signatures.extend(std::iter::repeat_n(0, num_perm));
                dead.push((self.seg_len + i) as u32);
            }
            r.near_empty.push(!a.live || a.fp.near_empty);
            r.windows.push(a.fp.windows.clone());
            r.figures.push(a.fp.figures.clone());
            p.groups.push(a.group);
        }
        dead.sort_unstable();
        p.dead = dead;
        p.result.line_stats = crate::chrome::LineStats {
            pages: self.pending.new_groups,
            global: self.pending.global.table(),
            per_site: self.pending.per_site.table(),
        };
        p.result.shingle_df = self.pending.shingles.table();
        let mut edges: Vec<(u32, u32)> = self.pending.edges.keys().copied().collect();
        edges.sort_unstable();
        p.result.edges = edges
            .into_iter()
            .map(|(a, b)| segment::edge(a, b))
            .collect();
        p
    }

    /// Write the pages added since the last segment as a new segment, merged with the newest
    /// segments no larger than it (tiers: a page is rewritten about log2(pages / flush_pages)
    /// times) up to [`MERGE_MAX_FLUSHES`] batches, which bounds what a merge holds in memory;
    /// the compaction's segment is never merged here. Nothing is fingerprinted or
    /// matched again: the index answers exactly as before, and the log starts empty. A crash
    /// leaves the previous generation (its log included) or the new one, never a mix.
    pub fn flush(&mut self) -> Result<()> {
        self.writable()?;
        if self.pending.added.is_empty() {
            return Ok(());
        }
        let fresh = self.added_parts();
        let mut size = fresh.result.docs.len();
        let cap = MERGE_MAX_FLUSHES * self.options.flush_pages.max(size);
        let mut keep = self.segs.len();
        while keep > 1
            && self.segs[keep - 1].len() <= size
            && size + self.segs[keep - 1].len() <= cap
        {
            size += self.segs[keep - 1].len();
            keep -= 1;
        }
        let mut parts: Option<Parts> = None;
        for s in &self.segs[keep..] {
            let Some(next) = s.parts() else {
                return Err(self.healthy().err().unwrap_or_else(|| Error::CorruptIndex {
                    path: PathBuf::from("(segment)"),
                    message: "a segment could not be read back".into(),
                }));
            };
            match &mut parts {
                None => parts = Some(next),
                Some(p) => p.append(next),
            }
        }
        let mut parts = match parts {
            None => fresh,
            Some(mut p) => {
                p.append(fresh);
                p
            }
        };
        let base = self
            .segs
            .get(keep)
            .map_or(self.seg_len, |s| s.base() as usize) as u32;
        parts.forget_dead(base);
        let extra = crate::store::SegmentExtra {
            base,
            groups: Some(std::mem::take(&mut parts.groups)),
            dead: std::mem::take(&mut parts.dead),
        };
        let store = match self.storage.take() {
            Some(s) => {
                let generation = s.generation + 1;
                let path = s.dir.join(segment_name(generation));
                let written = crate::store::save_segment(
                    &path,
                    &parts.result,
                    crate::store::RuleVersions::current(),
                    &extra,
                )
                .and_then(|()| crate::store::Index::open_lazy(&path));
                let store = match written {
                    Ok(store) => store,
                    Err(e) => {
                        self.storage = Some(s);
                        return Err(e);
                    }
                };
                let mut names = s.segments[..keep].to_vec();
                names.push(generation);
                let dropped = s.segments[keep..].to_vec();
                let old = s.generation;
                drop(s.log);
                self.poisoned = true;
                let storage =
                    switch_generation(&s.dir, generation, names, store.table_checksum(), s.lock)?;
                self.poisoned = false;
                let _ = std::fs::remove_file(s.dir.join(log_name(old)));
                for g in dropped {
                    let _ = std::fs::remove_file(s.dir.join(segment_name(g)));
                }
                self.storage = Some(storage);
                store
            }
            None => crate::store::Index::from_words(
                crate::store::segment_words(&parts.result, &extra)?,
                Path::new("(in-memory segment)"),
            )?,
        };
        self.segs.truncate(keep);
        self.segs.push(Segment::new(store));
        self.seg_len = self.segs.last().map_or(0, |s| s.end() as usize);
        self.seg_dead = extra.dead.iter().copied().collect();
        self.pending = Pending::new(self.banding.bands);
        self.healthy()
    }

    /// Scan every live document again into one new segment: chrome and stop shingles are
    /// learned from everything the index holds, every page is fingerprinted and matched with
    /// them, removed pages are gone, and the log starts empty. In a directory index the new
    /// segment replaces the old ones atomically (a crash leaves one or the other, never a mix).
    pub fn compact(&mut self) -> Result<()> {
        self.writable()?;
        let docs = self.documents()?;
        let cfg = *self.config();
        let result = pipeline::scan(docs, &cfg, &pipeline::Quiet)?;
        let mut fresh = match self.storage.take() {
            Some(s) => {
                let generation = s.generation + 1;
                drop(s.log);
                self.poisoned = true;
                let (storage, seg) = write_generation(&s.dir, generation, &result, s.lock)?;
                let _ = std::fs::remove_file(s.dir.join(log_name(s.generation)));
                for g in s.segments {
                    let _ = std::fs::remove_file(s.dir.join(segment_name(g)));
                }
                let mut ix = Index::with_segment(seg)?;
                ix.storage = Some(storage);
                ix
            }
            None => Index::from_scan(&result)?,
        };
        fresh.options = self.options;
        *self = fresh;
        Ok(())
    }

    /// Create a directory index from a batch scan (the directory must not hold an index). The
    /// index holds the directory's writer lock until it is dropped.
    pub fn create(dir: &Path, result: &ScanResult) -> Result<Index> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let lock = lock_dir(dir)?;
        if dir.join(CURRENT).exists() {
            return Err(Error::InvalidParameter {
                name: "index",
                message: format!("{} already holds an index", dir.display()),
            });
        }
        let (storage, seg) = write_generation(dir, 1, result, lock)?;
        let mut ix = Index::with_segment(seg)?;
        ix.storage = Some(storage);
        Ok(ix)
    }

    /// Open a directory index for writing: take its writer lock (one writer per directory; a
    /// second is refused, naming the directory), map its segments (their lookup tables are
    /// used in place), replay the adds and removals of its log. A torn last log record (an add
    /// interrupted before it was acknowledged) is cut off.
    pub fn open(dir: &Path) -> Result<Index> {
        let lock = lock_dir(dir)?;
        let (mut ix, current, valid_len) = Index::load(dir, true)?;
        let log_path = dir.join(log_name(current.generation));
        ix.storage = Some(Storage {
            dir: dir.to_path_buf(),
            generation: current.generation,
            segments: current.segments,
            log: log::Log::append_to(&log_path, valid_len)?,
            lock,
        });
        Ok(ix)
    }

    /// Open a directory index to read it, beside its writer if it has one: the state as of now
    /// (segments and log), without the lock; [`Index::add`], [`Index::remove`],
    /// [`Index::flush`] and [`Index::compact`] are refused. Nothing in the directory is
    /// written, not even a torn log tail.
    pub fn open_read_only(dir: &Path) -> Result<Index> {
        let (mut ix, _, _) = Index::load(dir, false)?;
        ix.read_only = true;
        Ok(ix)
    }

    /// The state of a directory index: its generation's segments with the log replayed;
    /// returns the index, the generation and the length of the log's valid records.
    fn load(dir: &Path, warn_torn: bool) -> Result<(Index, Generation, u64)> {
        let current = read_current(dir)?;
        let mut stores = Vec::with_capacity(current.segments.len());
        for &g in &current.segments {
            let seg_path = dir.join(segment_name(g));
            let seg = crate::store::Index::open_lazy(&seg_path)?;
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
            stores.push(seg);
        }
        let mut ix = Index::with_segments(stores)?;
        let checksum = ix.segs.last().map_or(0, Segment::table_checksum);
        let log_path = dir.join(log_name(current.generation));
        let replay = log::read(&log_path, checksum)?;
        if replay.torn_bytes > 0 && warn_torn {
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
        ix.healthy()?;
        ix.options = options;
        Ok((ix, current, replay.valid_len))
    }
}

/// What `CURRENT` names: the generation (its log is `log-G.wcl`) and its segment files, oldest
/// first.
#[derive(Debug)]
struct Generation {
    generation: u64,
    segments: Vec<u64>,
}

/// Read `CURRENT`: `generation G`, then optionally `segments A B ... G` (without that line
/// the generation's own segment is the only one).
fn read_current(dir: &Path) -> Result<Generation> {
    let path = dir.join(CURRENT);
    let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
    let bad = || Error::CorruptIndex {
        path: path.clone(),
        message: format!(
            "expected \"generation N\" and optionally \"segments A B ...\", found {:?}",
            text.trim()
        ),
    };
    let mut lines = text.lines();
    let generation: u64 = lines
        .next()
        .and_then(|l| l.trim().strip_prefix("generation "))
        .and_then(|g| g.parse().ok())
        .ok_or_else(bad)?;
    let segments = match lines.next() {
        None => vec![generation],
        Some(l) => {
            let list = l.trim().strip_prefix("segments ").ok_or_else(bad)?;
            let segments: Vec<u64> = list
                .split_whitespace()
                .map(|g| g.parse().map_err(|_| bad()))
                .collect::<Result<_>>()?;
            if segments.is_empty()
                || !segments.windows(2).all(|w| w[0] < w[1])
                || segments.last().is_some_and(|&g| g > generation)
            {
                return Err(bad());
            }
            segments
        }
    };
    if lines.next().is_some() {
        return Err(bad());
    }
    Ok(Generation {
        generation,
        segments,
    })
}

#[derive(Debug, Clone, Copy)]
enum Held {
    Line(Option<u64>, u64),
    Shingle(u64),
}

/// Write generation `g` of a directory index from a batch scan: its one segment, then switch to
/// it. Returns the storage and the segment, mapped and checked.
fn write_generation(
    dir: &Path,
    g: u64,
    result: &ScanResult,
    lock: std::fs::File,
) -> Result<(Storage, crate::store::Index)> {
    let seg_path = dir.join(segment_name(g));
    crate::store::save(&seg_path, result)?;
    let seg = crate::store::Index::open(&seg_path)?;
    let storage = switch_generation(dir, g, vec![g], seg.table_checksum(), lock)?;
    Ok((storage, seg))
}

/// Make generation `g` over the segment files `segments` (written) the one in force: an empty
/// log bound to the newest segment (`checksum`), then `CURRENT` naming them (atomically
/// replaced, so a crash leaves the previous generation in force).
fn switch_generation(
    dir: &Path,
    g: u64,
    segments: Vec<u64>,
    checksum: u64,
    lock: std::fs::File,
) -> Result<Storage> {
    let log_path = dir.join(log_name(g));
    if log_path.exists() {
        // Left by a flush or compaction that died before switching `CURRENT`: never
        // acknowledged.
        std::fs::remove_file(&log_path).map_err(io_err(&log_path))?;
    }
    let log = log::Log::create(&log_path, checksum)?;
    let current = dir.join(CURRENT);
    let list: Vec<String> = segments.iter().map(u64::to_string).collect();
    crate::atomic_write::write(&current, true, |f| {
        use std::io::Write;
        writeln!(f, "generation {g}")?;
        if segments != [g] {
            writeln!(f, "segments {}", list.join(" "))?;
        }
        Ok(())
    })
    .map_err(|source| Error::Write {
        path: current.clone(),
        source,
    })?;
    sync_dir(dir)?;
    Ok(Storage {
        dir: dir.to_path_buf(),
        generation: g,
        segments,
        log,
        lock,
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
