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

/// Derive a scan's lookup tables: story groups (the scan's clusters, by
/// [`crate::cluster::guarded_stories`] over
/// its verified pairs; a group is named by its first member), and band and window tables of every page that
/// is not near-empty.
pub(crate) fn tables(result: &ScanResult) -> Tables {
    let n = result.docs.len();
    // The scan's clusters are the guarded stories of its edges (`pipeline::scan` clusters them
    // with `guarded_stories`), so they are not clustered again here.
    let stories = &result.clusters;
    let mut groups: Vec<u32> = (0..n as u32).collect();
    for c in stories {
        for &d in c {
            groups[d as usize] = c[0];
        }
    }
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

/// A segment file opened for a live index: every lookup is a binary search or a view into the
/// mapping, each block checked the first time it is read ([`crate::store::Index::open_lazy`]).
#[derive(Debug)]
pub(crate) struct Segment {
    store: crate::store::Index,
}

impl Segment {
    pub(crate) fn new(store: crate::store::Index) -> Segment {
        Segment { store }
    }

    /// Damage found by a read so far (see [`crate::store::Index::failure`]).
    pub(crate) fn failure(&self) -> Option<crate::Error> {
        self.store.failure()
    }

    pub(crate) fn set(&self, d: u32) -> &[u64] {
        self.store.shingle_set(d as usize).unwrap_or(&[])
    }

    pub(crate) fn near_empty(&self, d: u32) -> bool {
        self.store.is_near_empty(d as usize)
    }

    pub(crate) fn figures(&self, d: u32) -> &[u64] {
        self.store.figures(d as usize).unwrap_or(&[])
    }

    pub(crate) fn site(&self, d: u32) -> u64 {
        self.store.site_of(d as usize).unwrap_or(0)
    }

    pub(crate) fn group(&self, d: u32) -> u32 {
        self.store.group_of(d as usize).unwrap_or(d)
    }

    /// Publication time in Unix seconds, `None` when undated.
    pub(crate) fn published(&self, d: u32) -> Option<i64> {
        self.store.published_of(d as usize)
    }

    pub(crate) fn stored(&self, d: u32) -> Option<StoredDoc> {
        self.store.stored(d as usize)
    }

    pub(crate) fn document(&self, d: u32) -> Option<Document> {
        self.store.document(d as usize)
    }

    /// The last document (in canonical order) with this id.
    pub(crate) fn find_id(&self, id: &str) -> Option<u32> {
        self.store.find_id(id)
    }

    /// Every segment member of `group` (the group's own document included), in document order.
    pub(crate) fn members(&self, group: u32) -> &[u32] {
        self.store.group_members(group)
    }

    pub(crate) fn band_bucket(&self, band: usize, key: u64) -> &[u32] {
        self.store.band_bucket(band, key)
    }

    pub(crate) fn window_bucket(&self, band: usize, key: u64) -> &[u32] {
        self.store.window_bucket(band, key)
    }

    pub(crate) fn edges(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.store.edges()
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
}
