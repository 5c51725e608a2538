//! index/segment.rs: what does a live index read from its segment file, and how is it laid out
//! so that opening costs nothing per document?
//!
//! A segment is a saved batch scan ([`crate::store`]) plus the tables a live index looks things
//! up in: the story group of each document and each group's members, documents by id, site
//! hashes, publication times, and the LSH band and window tables as sorted `(key, document)`
//! runs. [`tables`] derives them when a scan is saved; [`Segment`] answers lookups by binary
//! search in the mapping, so an index opens without decoding, copying or hashing its documents
//! again (what `open` still reads in full is listed in [`crate::store`]).

use crate::document::Document;
use crate::fingerprint::{CHUNK_BANDS, CHUNK_PERM, CHUNK_ROWS};
use crate::lsh::Banding;
use crate::pipeline::ScanResult;
use crate::store::StoredDoc;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The LSH key of one band of MinHash values (seeded by the band number).
pub(crate) fn band_key(values: &[u32], band: usize) -> u64 {
    xxh3_64_with_seed(bytemuck::cast_slice(values), band as u64)
}

/// The band keys of a signature, `(band, key)` in band order.
pub(crate) fn band_keys(signature: &[u32], banding: Banding) -> Vec<(usize, u64)> {
    let rows = banding.rows;
    (0..banding.bands)
        .map(|b| (b, band_key(&signature[b * rows..(b + 1) * rows], b)))
        .collect()
}

/// The distinct band keys of a page's window sketches, `(band, key)` sorted.
pub(crate) fn window_keys(windows: &[u32]) -> Vec<(usize, u64)> {
    let mut out: Vec<(usize, u64)> = Vec::new();
    for w in windows.chunks_exact(CHUNK_PERM) {
        for b in 0..CHUNK_BANDS {
            out.push((b, band_key(&w[b * CHUNK_ROWS..(b + 1) * CHUNK_ROWS], b)));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// A sorted `(band, key, document)` table as offsets per band and parallel keys and documents.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Buckets {
    pub(crate) offsets: Vec<u64>,
    pub(crate) keys: Vec<u64>,
    pub(crate) docs: Vec<u32>,
}

impl Buckets {
    fn build(bands: usize, mut entries: Vec<(usize, u64, u32)>) -> Buckets {
        entries.sort_unstable();
        entries.dedup();
        let mut offsets = Vec::with_capacity(bands + 1);
        let mut at = 0usize;
        offsets.push(0);
        for b in 0..bands {
            at += entries[at..].partition_point(|e| e.0 == b);
            offsets.push(at as u64);
        }
        Buckets {
            offsets,
            keys: entries.iter().map(|e| e.1).collect(),
            docs: entries.iter().map(|e| e.2).collect(),
        }
    }
}

/// The lookup tables a segment adds to a saved scan.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tables {
    pub(crate) groups: Vec<u32>,
    pub(crate) group_order: Vec<u32>,
    pub(crate) id_order: Vec<u32>,
    pub(crate) sites: Vec<u64>,
    pub(crate) published: Vec<i64>,
    pub(crate) bands: Buckets,
    pub(crate) windows: Buckets,
}

/// Derive a scan's lookup tables: story groups (given as entry numbers for a live index's
/// segment whose entries start at `base`; else the scan's clusters, by
/// [`crate::cluster::guarded_stories`] over its verified pairs, a group named by its first
/// member), and band and window tables of every page that is not near-empty.
pub(crate) fn tables(result: &ScanResult, base: u32, given: Option<&[u32]>) -> Tables {
    let n = result.docs.len();
    let groups: Vec<u32> = match given {
        Some(g) => g.to_vec(),
        None => {
            // The scan's clusters are the guarded stories of its edges (`pipeline::scan`
            // clusters them with `guarded_stories`), so they are not clustered again here.
            let mut groups: Vec<u32> = (base..base + n as u32).collect();
            for c in &result.clusters {
                for &d in c {
                    groups[d as usize] = base + c[0];
                }
            }
            groups
        }
    };
    let mut group_order: Vec<u32> = (0..n as u32).collect();
    group_order.sort_unstable_by_key(|&d| (groups[d as usize], d));
    let mut id_order: Vec<u32> = (0..n as u32).collect();
    id_order.sort_by(|&a, &b| {
        (result.docs[a as usize].id.as_str(), a).cmp(&(result.docs[b as usize].id.as_str(), b))
    });
    let sites = result
        .docs
        .iter()
        .map(|d| crate::chrome::site_hash(d.site_or_domain().as_deref()))
        .collect();
    let published = result
        .docs
        .iter()
        .map(|d| d.published.as_ref().map_or(i64::MAX, |p| p.unix))
        .collect();
    let num_perm = result.config.num_perm;
    let mut band_entries = Vec::new();
    let mut window_entries = Vec::new();
    for d in 0..n {
        if result.near_empty[d] {
            continue;
        }
        let sig = &result.signatures[d * num_perm..(d + 1) * num_perm];
        for (b, k) in band_keys(sig, result.banding) {
            band_entries.push((b, k, d as u32));
        }
        for (b, k) in window_keys(&result.windows[d]) {
            window_entries.push((b, k, d as u32));
        }
    }
    Tables {
        groups,
        group_order,
        id_order,
        sites,
        published,
        bands: Buckets::build(result.banding.bands, band_entries),
        windows: Buckets::build(CHUNK_BANDS, window_entries),
    }
}

/// A segment file opened for a live index: every lookup is a key-filter probe and a binary
/// search (for a key the filter may hold), or a view into the mapping, each block checked the
/// first time it is read ([`crate::store::Index::open_lazy`]).
/// Its documents are the index's entries `base..base + len`; every method takes and returns
/// entry numbers.
#[derive(Debug)]
pub(crate) struct Segment {
    store: crate::store::Index,
    base: u32,
}

impl Segment {
    pub(crate) fn new(store: crate::store::Index) -> Segment {
        let base = store.base();
        Segment { store, base }
    }

    fn at(&self, d: u32) -> usize {
        (d - self.base) as usize
    }

    /// The first entry.
    pub(crate) fn base(&self) -> u32 {
        self.base
    }

    /// One past the last entry.
    pub(crate) fn end(&self) -> u32 {
        self.base + self.store.len() as u32
    }

    pub(crate) fn len(&self) -> usize {
        self.store.len()
    }

    /// The checksum of the file's section table (what binds a log to its segment).
    pub(crate) fn table_checksum(&self) -> u64 {
        self.store.table_checksum()
    }

    /// Damage found by a read so far (see [`crate::store::Index::failure`]).
    pub(crate) fn failure(&self) -> Option<crate::Error> {
        self.store.failure()
    }

    pub(crate) fn set(&self, d: u32) -> &[u64] {
        self.store.shingle_set(self.at(d)).unwrap_or(&[])
    }

    pub(crate) fn near_empty(&self, d: u32) -> bool {
        self.store.is_near_empty(self.at(d))
    }

    pub(crate) fn figures(&self, d: u32) -> &[u64] {
        self.store.figures(self.at(d)).unwrap_or(&[])
    }

    pub(crate) fn site(&self, d: u32) -> u64 {
        self.store.site_of(self.at(d)).unwrap_or(0)
    }

    pub(crate) fn group(&self, d: u32) -> u32 {
        self.store.group_of(self.at(d)).unwrap_or(d)
    }

    /// Publication time in Unix seconds, `None` when undated.
    pub(crate) fn published(&self, d: u32) -> Option<i64> {
        self.store.published_of(self.at(d))
    }

    pub(crate) fn stored(&self, d: u32) -> Option<StoredDoc> {
        self.store.stored(self.at(d))
    }

    pub(crate) fn document(&self, d: u32) -> Option<Document> {
        self.store.document(self.at(d))
    }

    /// The last entry of this segment with this id.
    pub(crate) fn find_id(&self, id: &str) -> Option<u32> {
        self.store.find_id(id).map(|i| self.base + i)
    }

    /// Entries of this segment for local document numbers read from the file (a number out
    /// of range, which only a damaged file not yet fully checked can hold, is left out).
    fn entries<'a>(&'a self, docs: &'a [u32]) -> impl DoubleEndedIterator<Item = u32> + 'a {
        let n = self.store.len() as u32;
        docs.iter()
            .filter(move |&&i| i < n)
            .map(move |&i| self.base + i)
    }

    /// Every member of `group` in this segment, in entry order.
    pub(crate) fn members(&self, group: u32) -> impl DoubleEndedIterator<Item = u32> + '_ {
        self.entries(self.store.group_members(group))
    }

    /// The entries in one bucket of the band table, in entry order.
    pub(crate) fn band_bucket(
        &self,
        band: usize,
        key: u64,
    ) -> impl DoubleEndedIterator<Item = u32> + '_ {
        self.entries(self.store.band_bucket(band, key))
    }

    /// The entries in one bucket of the window table, in entry order.
    pub(crate) fn window_bucket(
        &self,
        band: usize,
        key: u64,
    ) -> impl DoubleEndedIterator<Item = u32> + '_ {
        self.entries(self.store.window_bucket(band, key))
    }

    /// Verified pairs whose later entry is in this segment (as checked entries: see
    /// [`Segment::entries`]).
    pub(crate) fn edges(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let end = self.end();
        self.store.edges().filter(move |&(a, b)| a < b && b < end)
    }

    /// Entries removed when this segment was written (this segment's and earlier ones').
    pub(crate) fn dead(&self) -> &[u32] {
        self.store.dead()
    }

    pub(crate) fn line_pages(&self) -> u64 {
        self.store.line_pages()
    }

    pub(crate) fn line_global(&self, line: u64) -> u32 {
        self.store.line_global_count(line)
    }

    pub(crate) fn line_site(&self, key: u64) -> u32 {
        self.store.line_site_count(key)
    }

    pub(crate) fn shingle_df(&self, shingle: u64) -> u32 {
        self.store.df_count(shingle)
    }

    /// Everything the segment holds, to be written again (merged with the segments after it):
    /// its documents as a scan result whose edges and groups are entry numbers. `None` when a
    /// read met damage.
    pub(crate) fn parts(&self) -> Option<Parts> {
        let s = &self.store;
        let n = s.len();
        let mut p = Parts::empty(*s.config(), s.banding());
        for i in 0..n {
            p.result.docs.push(s.document(i)?);
            p.result.content_lines.push(s.content_rows(i)?.to_vec());
            p.result.sets.push(s.shingle_set(i)?.to_vec());
            p.result.signatures.extend_from_slice(s.signature(i)?);
            p.result.near_empty.push(s.is_near_empty(i));
            p.result.windows.push(s.windows(i)?.to_vec());
            p.result.figures.push(s.figures(i)?.to_vec());
        }
        p.result.line_stats = s.line_stats();
        p.result.shingle_df = s.shingle_df().to_vec();
        p.result.edges = self.edges().map(|(a, b)| edge(a, b)).collect();
        p.groups = s.groups().to_vec();
        p.dead = s.dead().to_vec();
        (s.failure().is_none() && p.groups.len() == n).then_some(p)
    }
}

/// A verified pair as a segment stores it (the similarity is computed again when read).
pub(crate) fn edge(a: u32, b: u32) -> crate::cluster::Edge {
    crate::cluster::Edge {
        a,
        b,
        sim: crate::verify::Similarity::default(),
    }
}

/// What a segment file is written from: a scan result over its documents (edges by entry
/// number), each document's story group (an entry number) and the tombstones.
#[derive(Debug)]
pub(crate) struct Parts {
    pub(crate) result: ScanResult,
    pub(crate) groups: Vec<u32>,
    pub(crate) dead: Vec<u32>,
}

impl Parts {
    pub(crate) fn empty(config: crate::ScanConfig, banding: Banding) -> Parts {
        Parts {
            result: ScanResult {
                config,
                banding,
                docs: Vec::new(),
                content_lines: Vec::new(),
                sets: Vec::new(),
                signatures: Vec::new(),
                near_empty: Vec::new(),
                line_stats: crate::chrome::LineStats::default(),
                stop_shingles: 0,
                shingle_df: Vec::new(),
                windows: Vec::new(),
                figures: Vec::new(),
                candidates: 0,
                edges: Vec::new(),
                clusters: Vec::new(),
                spilled_bytes: 0,
                timings: crate::pipeline::Timings::default(),
                on_disk: None,
            },
            groups: Vec::new(),
            dead: Vec::new(),
        }
    }

    /// Append the next segment's parts (its entries follow these): documents, pairs and groups
    /// are concatenated, statistics added (each segment counts the groups it added), and the
    /// tombstones are the later segment's (they include every earlier one).
    pub(crate) fn append(&mut self, next: Parts) {
        let (a, b) = (&mut self.result, next.result);
        a.docs.extend(b.docs);
        a.content_lines.extend(b.content_lines);
        a.sets.extend(b.sets);
        a.signatures.extend(b.signatures);
        a.near_empty.extend(b.near_empty);
        a.windows.extend(b.windows);
        a.figures.extend(b.figures);
        a.edges.extend(b.edges);
        a.line_stats = super::stats::merge_line_stats(&a.line_stats, &b.line_stats);
        a.shingle_df = super::stats::merge(&a.shingle_df, &b.shingle_df);
        self.groups.extend(next.groups);
        self.dead = next.dead;
    }

    /// Drop what the removed entries at or after `base` (the first entry of these parts) held:
    /// the entry stays, so that later entry numbers do not move, but is near-empty and empty.
    pub(crate) fn forget_dead(&mut self, base: u32) {
        let r = &mut self.result;
        let num_perm = r.config.num_perm;
        for &d in self.dead.iter().filter(|&&d| d >= base) {
            let i = (d - base) as usize;
            if i >= r.docs.len() {
                continue;
            }
            r.docs[i].text = String::new();
            r.content_lines[i] = Vec::new();
            r.sets[i] = Vec::new();
            r.signatures[i * num_perm..(i + 1) * num_perm].fill(0);
            r.near_empty[i] = true;
            r.windows[i] = Vec::new();
            r.figures[i] = Vec::new();
        }
    }
}
