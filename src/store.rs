//! store.rs: how does a scan outlive the process?
//!
//! [`save`] writes what a scan learned — MinHash signatures, near-empty flags, line statistics,
//! shingle document frequencies and the shingle sets — with the parameters that made them to one
//! file; [`Index::open`] maps that file and hands out the arrays as slices of the mapping, without
//! copying or decoding them. An incremental index can thus start from a saved scan with the same
//! chrome verdicts and signatures (issue 3), and verify candidates exactly against the stored
//! sets.
//!
//! # Layout, format version 3
//!
//! All integers are little-endian; offsets count from the start of the file.
//!
//! | bytes            | content                                                              |
//! |------------------|----------------------------------------------------------------------|
//! | `0..8`           | magic `WIRECOPY`                                                     |
//! | `8..12`          | format version, u32 ([`FORMAT_VERSION`])                             |
//! | `12..16`         | endianness mark, u32 `0x01020304` (the bytes `04 03 02 01`)          |
//! | `16..20`         | section count `s`, u32 (20 in version 3)                             |
//! | `20..24`         | reserved, zero                                                       |
//! | `24..32`         | xxh3-64 of the section table, u64                                    |
//! | `32..32 + 32 s`  | section table, 32 bytes per section: kind u32, element width u32, offset u64, length in bytes u64, xxh3-64 of the section's bytes u64 |
//! | then             | the sections in table order, each at an offset that is a multiple of 8, separated by at most 7 zero bytes; the file ends where the last section ends |
//!
//! The sections, in this order (`n` documents in the scan's canonical order):
//!
//! | kind | name                 | element | content                                              |
//! |------|----------------------|---------|------------------------------------------------------|
//! | 1    | `meta`               | u8      | postcard encoding of the metadata, below              |
//! | 2    | `signatures`         | u32     | `n * num_perm` MinHash values, document by document  |
//! | 3    | `near_empty`         | u8      | `n` flags, 1 for a page too short to match, else 0   |
//! | 4, 5 | `line_global_keys`, `line_global_counts` | u64, u32 | [`LineStats::global`] as parallel arrays, keys strictly increasing |
//! | 6, 7 | `line_site_keys`, `line_site_counts`     | u64, u32 | [`LineStats::per_site`], likewise |
//! | 8, 9 | `df_keys`, `df_counts` | u64, u32 | shingle document frequencies of the stored sets, likewise |
//! | 10   | `set_offsets`        | u64     | `n + 1` offsets into `set_hashes`, starting at 0     |
//! | 11   | `set_hashes`         | u64     | document `i`'s shingle set is `set_hashes[set_offsets[i]..set_offsets[i + 1]]`, each strictly increasing |
//! | 12, 13 | `text_offsets`, `text_bytes` | u64, u8 | the documents' texts, UTF-8, in the same offsets-and-values form |
//! | 14, 15 | `content_offsets`, `content_rows` | u64, u32 | raw line numbers of each document's content lines |
//! | 16, 17 | `figure_offsets`, `figure_hashes` | u64, u64 | each document's content figures, strictly increasing |
//! | 18, 19 | `window_offsets`, `window_values` | u64, u32 | each document's window sketches, whole windows of `CHUNK_PERM` values |
//! | 20   | `edges`              | u64     | verified pairs `a << 32 | b`, `a < b < n`, strictly increasing |
//!
//! The metadata is postcard (varint integers, f64 as 8 bytes, `Option` as a 0/1 tag, strings and
//! vectors length-prefixed, enums by variant index) of, in field order: signature parameters
//! (shingle kind and size, `num_perm`, seed, normalizer version), the rule versions
//! ([`RuleVersions`]: line rules, Unicode tables of normalization and segmentation), the rest of the scan
//! configuration (unspaced scripts, threshold, containment, LSH threshold, explicit banding,
//! `min_shingles`, `max_run_pairs`, chrome and cluster settings), the banding used, the document
//! count, the page count of the line statistics, the number of stop shingles dropped, and one
//! [`StoredDoc`] per document.
//!
//! The shingle sets are those *after* stop-shingle removal (what verification compares); the
//! shingle document frequencies are counted *before* it, over every content shingle, so the stop
//! shingles can be derived again from the stored counts and the configuration. Line statistics
//! are stored whole, so chrome verdicts reproduce exactly.
//!
//! Every byte is checked when a file is opened: header fields, the table's checksum, each
//! section's checksum, alignment, zero padding, no trailing bytes, and the consistency of the
//! arrays (lengths, sorted keys and sets, offsets). A damaged file is an [`Error`] naming the file
//! and what is wrong, never a panic or a wrong answer.
//!
//! Invariant: any change to what is written — a section, a metadata field, the meaning of a value
//! — bumps [`FORMAT_VERSION`]; a file of another version is refused, not guessed at. The metadata
//! is written from mirror structs declared here, filled by exhaustive destructuring of the
//! configuration types, so a field added to [`ScanConfig`], [`ChromeConfig`] or [`ClusterConfig`]
//! fails to compile here until the format (and its version) follows. Hashes stored are xxh3,
//! whose output is fixed by its specification.

use crate::chrome::{ChromeConfig, LineStats};
use crate::cluster::ClusterConfig;
use crate::document::{DocId, Published};
use crate::error::{Error, Result};
use crate::figures::FigureConfig;
use crate::lsh::Banding;
use crate::minhash::SignatureParams;
use crate::normalize::UnspacedScripts;
use crate::pipeline::{ScanConfig, ScanResult};
use crate::shingle::ShingleKind;
use bytemuck::Pod;
use memmap2::Mmap;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::{xxh3_64, Xxh3Default};

/// The first eight bytes of every index file.
pub const MAGIC: [u8; 8] = *b"WIRECOPY";
/// The layout version this build writes and reads.
pub const FORMAT_VERSION: u32 = 3;
/// Written as a little-endian u32: a byte-swapped reading reveals a big-endian writer.
const ENDIAN_MARK: u32 = 0x0102_0304;
const HEADER_LEN: usize = 32;
const ENTRY_LEN: usize = 32;
const ALIGN: usize = 8;

/// The sections of an index file, in the order they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    /// Postcard-encoded parameters, configuration and documents.
    Meta,
    /// MinHash values, `num_perm` per document.
    Signatures,
    /// Near-empty flags, one byte per document.
    NearEmpty,
    /// Keys of the corpus-wide line counts.
    LineGlobalKeys,
    /// Counts of the corpus-wide line counts.
    LineGlobalCounts,
    /// Keys of the per-site line counts.
    LineSiteKeys,
    /// Counts of the per-site line counts.
    LineSiteCounts,
    /// Shingles of the document frequency table.
    DfKeys,
    /// Document frequencies of the shingles.
    DfCounts,
    /// CSR offsets of the shingle sets.
    SetOffsets,
    /// The shingle sets, concatenated.
    SetHashes,
    /// CSR offsets of the texts.
    TextOffsets,
    /// The documents' texts, UTF-8, concatenated.
    TextBytes,
    /// CSR offsets of the content line numbers.
    ContentOffsets,
    /// Raw line numbers of each document's content lines, concatenated.
    ContentRows,
    /// CSR offsets of the content figures.
    FigureOffsets,
    /// Sorted figures of each document's content, concatenated.
    FigureHashes,
    /// CSR offsets of the window sketches.
    WindowOffsets,
    /// Window sketches, concatenated.
    WindowValues,
    /// Verified pairs, `a << 32 | b` with `a < b`, strictly increasing.
    Edges,
}

impl SectionKind {
    /// Every kind, in file order.
    pub const ALL: [SectionKind; 20] = [
        SectionKind::Meta,
        SectionKind::Signatures,
        SectionKind::NearEmpty,
        SectionKind::LineGlobalKeys,
        SectionKind::LineGlobalCounts,
        SectionKind::LineSiteKeys,
        SectionKind::LineSiteCounts,
        SectionKind::DfKeys,
        SectionKind::DfCounts,
        SectionKind::SetOffsets,
        SectionKind::SetHashes,
        SectionKind::TextOffsets,
        SectionKind::TextBytes,
        SectionKind::ContentOffsets,
        SectionKind::ContentRows,
        SectionKind::FigureOffsets,
        SectionKind::FigureHashes,
        SectionKind::WindowOffsets,
        SectionKind::WindowValues,
        SectionKind::Edges,
    ];

    /// The kind number stored in the section table.
    pub fn code(self) -> u32 {
        self as u32 + 1
    }

    /// The name used in messages and by `wirecopy index-info`.
    pub fn name(self) -> &'static str {
        match self {
            SectionKind::Meta => "meta",
            SectionKind::Signatures => "signatures",
            SectionKind::NearEmpty => "near_empty",
            SectionKind::LineGlobalKeys => "line_global_keys",
            SectionKind::LineGlobalCounts => "line_global_counts",
            SectionKind::LineSiteKeys => "line_site_keys",
            SectionKind::LineSiteCounts => "line_site_counts",
            SectionKind::DfKeys => "df_keys",
            SectionKind::DfCounts => "df_counts",
            SectionKind::SetOffsets => "set_offsets",
            SectionKind::SetHashes => "set_hashes",
            SectionKind::TextOffsets => "text_offsets",
            SectionKind::TextBytes => "text_bytes",
            SectionKind::ContentOffsets => "content_offsets",
            SectionKind::ContentRows => "content_rows",
            SectionKind::FigureOffsets => "figure_offsets",
            SectionKind::FigureHashes => "figure_hashes",
            SectionKind::WindowOffsets => "window_offsets",
            SectionKind::WindowValues => "window_values",
            SectionKind::Edges => "edges",
        }
    }

    /// Bytes per element.
    pub fn width(self) -> usize {
        match self {
            SectionKind::Meta | SectionKind::NearEmpty | SectionKind::TextBytes => 1,
            SectionKind::Signatures
            | SectionKind::ContentRows
            | SectionKind::WindowValues
            | SectionKind::LineGlobalCounts
            | SectionKind::LineSiteCounts
            | SectionKind::DfCounts => 4,
            SectionKind::LineGlobalKeys
            | SectionKind::LineSiteKeys
            | SectionKind::DfKeys
            | SectionKind::SetOffsets
            | SectionKind::SetHashes
            | SectionKind::TextOffsets
            | SectionKind::ContentOffsets
            | SectionKind::FigureOffsets
            | SectionKind::FigureHashes
            | SectionKind::WindowOffsets
            | SectionKind::Edges => 8,
        }
    }
}

/// One entry of the section table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    /// What the section holds.
    pub kind: SectionKind,
    /// Where it starts in the file (a multiple of 8).
    pub offset: u64,
    /// Its length in bytes.
    pub len: u64,
    /// xxh3-64 of its bytes.
    pub checksum: u64,
}

/// A document as the index remembers it: identity and report metadata, not the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredDoc {
    /// The id as the input spelled it.
    pub id: String,
    /// The input gave the id as a JSON number.
    pub numeric_id: bool,
    /// xxh3-64 of the text: the second half of the canonical order key, and a cheap way to see
    /// whether a document has changed.
    pub text_hash: u64,
    /// Where the page was found, when known.
    pub url: Option<String>,
    /// The input's `site` field, when given.
    pub site: Option<String>,
    /// Headline, when known.
    pub title: Option<String>,
    /// Publication time as the input spelled it, when it parsed.
    pub published: Option<String>,
}

impl StoredDoc {
    /// The document's identity as a [`DocId`].
    pub fn doc_id(&self) -> DocId {
        if self.numeric_id {
            DocId::Num(self.id.clone())
        } else {
            DocId::Str(self.id.clone())
        }
    }

    /// The publication time, parsed again from its stored spelling.
    pub fn published(&self) -> Option<Published> {
        self.published.as_deref().and_then(Published::parse)
    }
}

/// Versions of what decides a page's content and units besides the normalizer: the line rules
/// ([`crate::lines::LINE_RULES_VERSION`]) and the Unicode tables of the normalization and
/// segmentation crates. A live index refuses a segment written under other versions: its
/// chrome verdicts and units would not be what this build computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleVersions {
    /// [`crate::lines::LINE_RULES_VERSION`].
    pub line_rules: u32,
    /// `unicode_normalization::UNICODE_VERSION`.
    pub unicode_normalization: (u8, u8, u8),
    /// `unicode_segmentation::UNICODE_VERSION`.
    pub unicode_segmentation: (u64, u64, u64),
}

impl RuleVersions {
    /// The versions of this build.
    pub fn current() -> RuleVersions {
        RuleVersions {
            line_rules: crate::lines::LINE_RULES_VERSION,
            unicode_normalization: unicode_normalization::UNICODE_VERSION,
            unicode_segmentation: unicode_segmentation::UNICODE_VERSION,
        }
    }
}

impl std::fmt::Display for RuleVersions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (a, b) = (self.unicode_normalization, self.unicode_segmentation);
        write!(
            f,
            "line rules {}, Unicode {}.{}.{} (normalization) and {}.{}.{} (segmentation)",
            self.line_rules, a.0, a.1, a.2, b.0, b.1, b.2
        )
    }
}

/// A sorted `(key, count)` table stored as two parallel arrays, viewed in place.
#[derive(Debug, Clone, Copy)]
pub struct Counts<'a> {
    keys: &'a [u64],
    counts: &'a [u32],
}

impl<'a> Counts<'a> {
    /// The keys, strictly increasing.
    pub fn keys(&self) -> &'a [u64] {
        self.keys
    }

    /// The count of each key.
    pub fn counts(&self) -> &'a [u32] {
        self.counts
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The count of `key` (0 when absent).
    pub fn get(&self, key: u64) -> u32 {
        self.keys
            .binary_search(&key)
            .ok()
            .and_then(|i| self.counts.get(i).copied())
            .unwrap_or(0)
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u32)> + 'a {
        self.keys.iter().copied().zip(self.counts.iter().copied())
    }

    /// The entries as an owned vector, the form [`LineStats`] uses.
    pub fn to_vec(&self) -> Vec<(u64, u32)> {
        self.iter().collect()
    }
}

// ---- Metadata: mirrors of the configuration types, the on-disk schema ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Meta {
    params: StoredParams,
    rules: RuleVersions,
    config: StoredConfig,
    banding: StoredBanding,
    documents: u64,
    line_pages: u64,
    stop_shingles: u64,
    docs: Vec<StoredDoc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum StoredShingle {
    Word(u8),
    Char(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct StoredParams {
    shingle: StoredShingle,
    num_perm: u64,
    seed: u64,
    normalizer_version: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum StoredUnspaced {
    Characters,
    Words,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct StoredBanding {
    bands: u64,
    rows: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct StoredChrome {
    site_min_pages: u32,
    global_max_pages: u32,
    global_max_share: f64,
    shingle_max_df: u32,
    shingle_max_share: f64,
    drop_headline_lists: bool,
    drop_metadata_lines: bool,
    story_groups: bool,
    site_min_groups: u32,
    core_share: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct StoredFigures {
    min_figures: u64,
    min_overlap: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct StoredCluster {
    guard: bool,
    guard_sample: u64,
    guard_factor: f64,
}

/// The scan configuration besides the signature parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct StoredConfig {
    unspaced: StoredUnspaced,
    threshold: f64,
    containment: f64,
    lsh_threshold: Option<f64>,
    banding: Option<StoredBanding>,
    min_shingles: u64,
    max_run_pairs: u64,
    chrome: StoredChrome,
    cluster: StoredCluster,
    figures: StoredFigures,
    chunk_window: u64,
}

fn stored_banding(b: Banding) -> StoredBanding {
    let Banding { bands, rows } = b;
    StoredBanding {
        bands: bands as u64,
        rows: rows as u64,
    }
}

fn meta_of(result: &ScanResult) -> Meta {
    // Exhaustive destructuring: a new configuration field must be given a place here.
    let ScanConfig {
        shingle,
        unspaced,
        num_perm,
        seed,
        threshold,
        containment,
        lsh_threshold,
        banding,
        min_shingles,
        max_run_pairs,
        chrome,
        cluster,
        figures,
        chunk_window,
    } = result.config;
    let ChromeConfig {
        site_min_pages,
        global_max_pages,
        global_max_share,
        shingle_max_df,
        shingle_max_share,
        drop_headline_lists,
        drop_metadata_lines,
        story_groups,
        site_min_groups,
        core_share,
    } = chrome;
    let FigureConfig {
        min_figures,
        min_overlap,
    } = figures;
    let ClusterConfig {
        guard,
        guard_sample,
        guard_factor,
    } = cluster;
    let SignatureParams {
        normalizer_version, ..
    } = result.config.signature_params();
    Meta {
        params: StoredParams {
            shingle: match shingle {
                ShingleKind::Word(k) => StoredShingle::Word(k),
                ShingleKind::Char(k) => StoredShingle::Char(k),
            },
            num_perm: num_perm as u64,
            seed,
            normalizer_version,
        },
        rules: RuleVersions::current(),
        config: StoredConfig {
            unspaced: match unspaced {
                UnspacedScripts::Characters => StoredUnspaced::Characters,
                UnspacedScripts::Words => StoredUnspaced::Words,
            },
            threshold,
            containment,
            lsh_threshold,
            banding: banding.map(stored_banding),
            min_shingles: min_shingles as u64,
            max_run_pairs: max_run_pairs as u64,
            chrome: StoredChrome {
                site_min_pages,
                global_max_pages,
                global_max_share,
                shingle_max_df,
                shingle_max_share,
                drop_headline_lists,
                drop_metadata_lines,
                story_groups,
                site_min_groups,
                core_share,
            },
            cluster: StoredCluster {
                guard,
                guard_sample: guard_sample as u64,
                guard_factor,
            },
            figures: StoredFigures {
                min_figures: min_figures as u64,
                min_overlap,
            },
            chunk_window: chunk_window as u64,
        },
        banding: stored_banding(result.banding),
        documents: result.docs.len() as u64,
        line_pages: result.line_stats.pages,
        stop_shingles: result.stop_shingles as u64,
        docs: result
            .docs
            .iter()
            .map(|d| StoredDoc {
                id: d.id.as_str().to_string(),
                numeric_id: matches!(d.id, DocId::Num(_)),
                text_hash: d.order_key().1,
                url: d.url.clone(),
                site: d.site.clone(),
                title: d.title.clone(),
                published: d.published.as_ref().map(|p| p.raw.clone()),
            })
            .collect(),
    }
}

// ---- Writing ----

/// Writes sections one after another, then the header and table in front of them.
struct SectionWriter<W: Write + Seek> {
    w: W,
    pos: u64,
    table: Vec<Section>,
}

impl<W: Write + Seek> SectionWriter<W> {
    fn new(mut w: W) -> io::Result<Self> {
        let start = HEADER_LEN + ENTRY_LEN * SectionKind::ALL.len();
        w.write_all(&vec![0; start])?;
        Ok(SectionWriter {
            w,
            pos: start as u64,
            table: Vec::with_capacity(SectionKind::ALL.len()),
        })
    }

    fn section<'a>(
        &mut self,
        kind: SectionKind,
        parts: impl IntoIterator<Item = &'a [u8]>,
    ) -> io::Result<()> {
        let pad = (ALIGN - self.pos as usize % ALIGN) % ALIGN;
        self.w.write_all(&[0; ALIGN][..pad])?;
        self.pos += pad as u64;
        let offset = self.pos;
        let mut h = Xxh3Default::new();
        for p in parts {
            h.update(p);
            self.w.write_all(p)?;
            self.pos += p.len() as u64;
        }
        self.table.push(Section {
            kind,
            offset,
            len: self.pos - offset,
            checksum: h.digest(),
        });
        Ok(())
    }

    fn finish(mut self) -> io::Result<()> {
        let mut table = Vec::with_capacity(ENTRY_LEN * self.table.len());
        for s in &self.table {
            table.extend_from_slice(&s.kind.code().to_le_bytes());
            table.extend_from_slice(&(s.kind.width() as u32).to_le_bytes());
            table.extend_from_slice(&s.offset.to_le_bytes());
            table.extend_from_slice(&s.len.to_le_bytes());
            table.extend_from_slice(&s.checksum.to_le_bytes());
        }
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(&MAGIC);
        header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        header.extend_from_slice(&ENDIAN_MARK.to_le_bytes());
        header.extend_from_slice(&(self.table.len() as u32).to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes());
        header.extend_from_slice(&xxh3_64(&table).to_le_bytes());
        self.w.seek(SeekFrom::Start(0))?;
        self.w.write_all(&header)?;
        self.w.write_all(&table)?;
        self.w.flush()
    }
}

fn split(table: &[(u64, u32)]) -> (Vec<u64>, Vec<u32>) {
    table.iter().copied().unzip()
}

fn write_sections<W: Write + Seek>(
    w: &mut SectionWriter<W>,
    result: &ScanResult,
) -> io::Result<()> {
    let meta = postcard::to_stdvec(&meta_of(result)).map_err(io::Error::other)?;
    w.section(SectionKind::Meta, [meta.as_slice()])?;
    w.section(
        SectionKind::Signatures,
        [bytemuck::cast_slice::<u32, u8>(&result.signatures)],
    )?;
    let near_empty: Vec<u8> = result.near_empty.iter().map(|&e| u8::from(e)).collect();
    w.section(SectionKind::NearEmpty, [near_empty.as_slice()])?;
    for (table, keys_kind, counts_kind) in [
        (
            &result.line_stats.global,
            SectionKind::LineGlobalKeys,
            SectionKind::LineGlobalCounts,
        ),
        (
            &result.line_stats.per_site,
            SectionKind::LineSiteKeys,
            SectionKind::LineSiteCounts,
        ),
    ] {
        let (k, c) = split(table);
        w.section(keys_kind, [bytemuck::cast_slice::<u64, u8>(&k)])?;
        w.section(counts_kind, [bytemuck::cast_slice::<u32, u8>(&c)])?;
    }
    let (k, c) = split(&result.shingle_df);
    w.section(SectionKind::DfKeys, [bytemuck::cast_slice::<u64, u8>(&k)])?;
    w.section(SectionKind::DfCounts, [bytemuck::cast_slice::<u32, u8>(&c)])?;
    csr(
        w,
        SectionKind::SetOffsets,
        SectionKind::SetHashes,
        &result.sets,
    )?;
    let texts: Vec<&[u8]> = result.docs.iter().map(|d| d.text.as_bytes()).collect();
    csr(w, SectionKind::TextOffsets, SectionKind::TextBytes, &texts)?;
    csr(
        w,
        SectionKind::ContentOffsets,
        SectionKind::ContentRows,
        &result.content_lines,
    )?;
    csr(
        w,
        SectionKind::FigureOffsets,
        SectionKind::FigureHashes,
        &result.figures,
    )?;
    csr(
        w,
        SectionKind::WindowOffsets,
        SectionKind::WindowValues,
        &result.windows,
    )?;
    let mut edges: Vec<u64> = result
        .edges
        .iter()
        .map(|e| u64::from(e.a.min(e.b)) << 32 | u64::from(e.a.max(e.b)))
        .collect();
    edges.sort_unstable();
    edges.dedup();
    w.section(
        SectionKind::Edges,
        [bytemuck::cast_slice::<u64, u8>(&edges)],
    )
}

/// Write `lists` as an offsets section (`lists.len() + 1` element offsets from 0) and a values
/// section (the lists concatenated).
fn csr<W: Write + Seek, T: Pod, L: AsRef<[T]>>(
    w: &mut SectionWriter<W>,
    offsets_kind: SectionKind,
    values_kind: SectionKind,
    lists: &[L],
) -> io::Result<()> {
    let mut offsets = Vec::with_capacity(lists.len() + 1);
    let mut at = 0u64;
    offsets.push(at);
    for l in lists {
        at += l.as_ref().len() as u64;
        offsets.push(at);
    }
    w.section(offsets_kind, [bytemuck::cast_slice::<u64, u8>(&offsets)])?;
    w.section(
        values_kind,
        lists
            .iter()
            .map(|l| bytemuck::cast_slice::<T, u8>(l.as_ref())),
    )
}

/// Save a scan's signatures, statistics and shingle sets to `path` (layout in the module
/// documentation). The file is written to a temporary file in the same folder, synced, and
/// renamed into place, so `path` holds either the old file or the complete new one.
pub fn save(path: &Path, result: &ScanResult) -> Result<()> {
    if cfg!(target_endian = "big") {
        return Err(Error::UnsupportedIndex {
            path: path.to_path_buf(),
            message: "index files are little-endian and this host is big-endian".into(),
        });
    }
    let n = result.docs.len();
    let num_perm = result.config.num_perm;
    if result.signatures.len() != n * num_perm
        || result.near_empty.len() != n
        || result.sets.len() != n
    {
        return Err(Error::InvalidParameter {
            name: "scan result",
            message: format!(
                "{n} documents need {} signature values, {n} flags and {n} sets, got {}, {} and {}",
                n * num_perm,
                result.signatures.len(),
                result.near_empty.len(),
                result.sets.len()
            ),
        });
    }
    let write_err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    // Temporary file, synced, renamed into place (see `atomic_write`).
    crate::atomic_write::write(path, true, |file| {
        let w = BufWriter::with_capacity(1 << 20, file);
        let mut sw = SectionWriter::new(w)?;
        write_sections(&mut sw, result)?;
        sw.finish()
    })
    .map_err(write_err)
}

// ---- Reading ----

/// Everything `open` learns from the bytes; the arrays stay in the mapping as byte ranges.
#[derive(Debug, Clone)]
struct Layout {
    sections: Vec<Section>,
    ranges: Vec<Range<usize>>,
    params: SignatureParams,
    rules: RuleVersions,
    config: ScanConfig,
    banding: Banding,
    line_pages: u64,
    stop_shingles: u64,
    docs: Vec<StoredDoc>,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0; 4];
    if let Some(s) = b.get(at..at + 4) {
        a.copy_from_slice(s);
    }
    u32::from_le_bytes(a)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0; 8];
    if let Some(s) = b.get(at..at + 8) {
        a.copy_from_slice(s);
    }
    u64::from_le_bytes(a)
}

fn strictly_increasing<T: PartialOrd>(v: &[T]) -> bool {
    v.windows(2).all(|w| w[0] < w[1])
}

impl Layout {
    /// Check every byte of an index file held in `bytes` (which must start 8-byte aligned for
    /// the arrays to be viewable) and decode its metadata.
    fn parse(bytes: &[u8], path: &Path) -> Result<Layout> {
        let corrupt = |message: String| Error::CorruptIndex {
            path: path.to_path_buf(),
            message,
        };
        let unsupported = |message: String| Error::UnsupportedIndex {
            path: path.to_path_buf(),
            message,
        };
        if bytes.len() < HEADER_LEN {
            return Err(corrupt(format!(
                "truncated: {} bytes, the header alone is {HEADER_LEN}",
                bytes.len()
            )));
        }
        if bytes[..8] != MAGIC {
            return Err(corrupt(format!(
                "not a wirecopy index: the file starts with {:02x?}, not \"WIRECOPY\"",
                &bytes[..8]
            )));
        }
        let version = u32_at(bytes, 8);
        if version != FORMAT_VERSION {
            return Err(unsupported(format!(
                "format version {version}, this build reads version {FORMAT_VERSION} only: save the index again"
            )));
        }
        let mark = u32_at(bytes, 12);
        if mark == ENDIAN_MARK.swap_bytes() {
            return Err(unsupported(
                "written big-endian; indexes are little-endian".into(),
            ));
        }
        if mark != ENDIAN_MARK {
            return Err(corrupt(format!("bad endianness mark {mark:08x}")));
        }
        if cfg!(target_endian = "big") {
            return Err(unsupported(
                "the index is little-endian and this host is big-endian: its arrays cannot be viewed in place".into(),
            ));
        }
        let count = u32_at(bytes, 16) as usize;
        if count != SectionKind::ALL.len() {
            return Err(corrupt(format!(
                "{count} sections, version {FORMAT_VERSION} has {}",
                SectionKind::ALL.len()
            )));
        }
        let reserved = u32_at(bytes, 20);
        if reserved != 0 {
            return Err(corrupt(format!(
                "reserved header field is {reserved:08x}, not 0"
            )));
        }
        let table_end = HEADER_LEN + count * ENTRY_LEN;
        let Some(table) = bytes.get(HEADER_LEN..table_end) else {
            return Err(corrupt(format!(
                "truncated: {} bytes, header and section table need {table_end}",
                bytes.len()
            )));
        };
        let stored = u64_at(bytes, 24);
        let computed = xxh3_64(table);
        if stored != computed {
            return Err(Error::IndexChecksum {
                path: path.to_path_buf(),
                section: "table",
                stored,
                computed,
            });
        }

        let mut sections = Vec::with_capacity(count);
        let mut ranges = Vec::with_capacity(count);
        let mut prev_end = table_end;
        for (entry, kind) in table.chunks_exact(ENTRY_LEN).zip(SectionKind::ALL) {
            let code = u32_at(entry, 0);
            let width = u32_at(entry, 4) as usize;
            let offset = u64_at(entry, 8);
            let len = u64_at(entry, 16);
            let checksum = u64_at(entry, 24);
            let name = kind.name();
            if code != kind.code() || width != kind.width() {
                return Err(corrupt(format!(
                    "section table entry {} has kind {code} width {width}, expected {name} (kind {}, width {})",
                    kind.code() - 1,
                    kind.code(),
                    kind.width()
                )));
            }
            let (start, end) = match (usize::try_from(offset), usize::try_from(len)) {
                (Ok(o), Ok(l)) => (o, o.checked_add(l)),
                _ => (usize::MAX, None),
            };
            let Some(end) = end.filter(|&e| e <= bytes.len()) else {
                return Err(corrupt(format!(
                    "section {name} at offset {offset} with {len} bytes runs past the end of the file ({} bytes): truncated",
                    bytes.len()
                )));
            };
            if start % ALIGN != 0 || start < prev_end || start - prev_end >= ALIGN {
                return Err(corrupt(format!(
                    "section {name} starts at offset {offset}; after the previous end {prev_end} the next multiple of {ALIGN} was expected"
                )));
            }
            if bytes[prev_end..start].iter().any(|&b| b != 0) {
                return Err(corrupt(format!(
                    "padding before section {name} (bytes {prev_end}..{start}) is not zero"
                )));
            }
            if !len.is_multiple_of(width as u64) {
                return Err(corrupt(format!(
                    "section {name} has {len} bytes, not a multiple of its element width {width}"
                )));
            }
            let computed = xxh3_64(&bytes[start..end]);
            if computed != checksum {
                return Err(Error::IndexChecksum {
                    path: path.to_path_buf(),
                    section: name,
                    stored: checksum,
                    computed,
                });
            }
            sections.push(Section {
                kind,
                offset,
                len,
                checksum,
            });
            ranges.push(start..end);
            prev_end = end;
        }
        if prev_end != bytes.len() {
            return Err(corrupt(format!(
                "{} bytes after the last section, which ends at {prev_end}",
                bytes.len() - prev_end
            )));
        }

        let section_bytes = |k: SectionKind| &bytes[ranges[k as usize].clone()];
        let (meta, rest) = postcard::take_from_bytes::<Meta>(section_bytes(SectionKind::Meta))
            .map_err(|e| corrupt(format!("metadata cannot be decoded: {e}")))?;
        if !rest.is_empty() {
            return Err(corrupt(format!("{} bytes after the metadata", rest.len())));
        }
        let (params, config, banding) = decode_config(&meta, path)?;
        let layout = Layout {
            sections,
            ranges,
            params,
            rules: meta.rules,
            config,
            banding,
            line_pages: meta.line_pages,
            stop_shingles: meta.stop_shingles,
            docs: meta.docs,
        };
        layout.check_arrays(bytes, meta.documents, path)?;
        Ok(layout)
    }

    /// Check that the arrays can be viewed and agree with each other and with the metadata.
    fn check_arrays(&self, bytes: &[u8], documents: u64, path: &Path) -> Result<()> {
        let corrupt = |message: String| Error::CorruptIndex {
            path: path.to_path_buf(),
            message,
        };
        let n = self.docs.len();
        if documents != n as u64 {
            return Err(corrupt(format!(
                "metadata counts {documents} documents but lists {n}"
            )));
        }
        let signatures: &[u32] = view(bytes, self, SectionKind::Signatures, path)?;
        let expected = n.checked_mul(self.params.num_perm);
        if expected != Some(signatures.len()) {
            return Err(corrupt(format!(
                "{} signature values for {n} documents of {} permutations",
                signatures.len(),
                self.params.num_perm
            )));
        }
        let near_empty: &[u8] = view(bytes, self, SectionKind::NearEmpty, path)?;
        if near_empty.len() != n || near_empty.iter().any(|&f| f > 1) {
            return Err(corrupt(format!(
                "near-empty flags must be {n} bytes of 0 or 1, got {} bytes",
                near_empty.len()
            )));
        }
        for (keys, counts) in [
            (SectionKind::LineGlobalKeys, SectionKind::LineGlobalCounts),
            (SectionKind::LineSiteKeys, SectionKind::LineSiteCounts),
            (SectionKind::DfKeys, SectionKind::DfCounts),
        ] {
            let k: &[u64] = view(bytes, self, keys, path)?;
            let c: &[u32] = view(bytes, self, counts, path)?;
            if k.len() != c.len() {
                return Err(corrupt(format!(
                    "{} has {} keys but {} has {} counts",
                    keys.name(),
                    k.len(),
                    counts.name(),
                    c.len()
                )));
            }
            if !strictly_increasing(k) {
                return Err(corrupt(format!(
                    "{} is not strictly increasing",
                    keys.name()
                )));
            }
        }
        let (offsets, hashes) = csr_view::<u64>(
            bytes,
            self,
            SectionKind::SetOffsets,
            SectionKind::SetHashes,
            n,
            path,
        )?;
        for (i, w) in offsets.windows(2).enumerate() {
            // In range: the offsets are non-decreasing and end at hashes.len().
            let set = &hashes[w[0] as usize..w[1] as usize];
            if !strictly_increasing(set) {
                return Err(corrupt(format!(
                    "shingle set of document {i} is not strictly increasing"
                )));
            }
        }
        let (offsets, text) = csr_view::<u8>(
            bytes,
            self,
            SectionKind::TextOffsets,
            SectionKind::TextBytes,
            n,
            path,
        )?;
        for (i, w) in offsets.windows(2).enumerate() {
            if std::str::from_utf8(&text[w[0] as usize..w[1] as usize]).is_err() {
                return Err(corrupt(format!("text of document {i} is not UTF-8")));
            }
        }
        csr_view::<u32>(
            bytes,
            self,
            SectionKind::ContentOffsets,
            SectionKind::ContentRows,
            n,
            path,
        )?;
        let (offsets, figures) = csr_view::<u64>(
            bytes,
            self,
            SectionKind::FigureOffsets,
            SectionKind::FigureHashes,
            n,
            path,
        )?;
        for (i, w) in offsets.windows(2).enumerate() {
            if !strictly_increasing(&figures[w[0] as usize..w[1] as usize]) {
                return Err(corrupt(format!(
                    "figures of document {i} are not strictly increasing"
                )));
            }
        }
        let (offsets, _) = csr_view::<u32>(
            bytes,
            self,
            SectionKind::WindowOffsets,
            SectionKind::WindowValues,
            n,
            path,
        )?;
        if offsets
            .windows(2)
            .any(|w| (w[1] - w[0]) % crate::fingerprint::CHUNK_PERM as u64 != 0)
        {
            return Err(corrupt(format!(
                "window sketches must be whole windows of {} values",
                crate::fingerprint::CHUNK_PERM
            )));
        }
        let edges: &[u64] = view(bytes, self, SectionKind::Edges, path)?;
        if !strictly_increasing(edges)
            || edges
                .iter()
                .any(|&e| (e >> 32) >= (e & 0xffff_ffff) || (e & 0xffff_ffff) >= n as u64)
        {
            return Err(corrupt(format!(
                "edges must be strictly increasing pairs a < b < {n}"
            )));
        }
        Ok(())
    }
}

/// The offsets and values of a CSR pair of sections, checked: `n + 1` non-decreasing offsets
/// from 0 to the number of values.
fn csr_view<'a, T: Pod>(
    bytes: &'a [u8],
    layout: &Layout,
    offsets_kind: SectionKind,
    values_kind: SectionKind,
    n: usize,
    path: &Path,
) -> Result<(&'a [u64], &'a [T])> {
    let offsets: &[u64] = view(bytes, layout, offsets_kind, path)?;
    let values: &[T] = view(bytes, layout, values_kind, path)?;
    if offsets.len() != n + 1
        || offsets.first() != Some(&0)
        || offsets.last() != Some(&(values.len() as u64))
        || offsets.windows(2).any(|w| w[0] > w[1])
    {
        return Err(Error::CorruptIndex {
            path: path.to_path_buf(),
            message: format!(
                "{} must be {} non-decreasing values from 0 to {}",
                offsets_kind.name(),
                n + 1,
                values.len()
            ),
        });
    }
    Ok((offsets, values))
}

/// A section's bytes viewed as `T`s, or an error when the bytes are misaligned or of the wrong
/// length.
fn view<'a, T: Pod>(
    bytes: &'a [u8],
    layout: &Layout,
    kind: SectionKind,
    path: &Path,
) -> Result<&'a [T]> {
    let range = layout.ranges[kind as usize].clone();
    let start = range.start;
    bytes
        .get(range)
        .ok_or_else(|| Error::CorruptIndex {
            path: path.to_path_buf(),
            message: format!("section {} is out of bounds", kind.name()),
        })
        .and_then(|b| {
            bytemuck::try_cast_slice(b).map_err(|e| Error::CorruptIndex {
                path: path.to_path_buf(),
                message: format!(
                    "section {} at offset {start} cannot be viewed as {}-byte values: {e:?}",
                    kind.name(),
                    std::mem::size_of::<T>()
                ),
            })
        })
}

fn decode_config(meta: &Meta, path: &Path) -> Result<(SignatureParams, ScanConfig, Banding)> {
    let corrupt = |message: String| Error::CorruptIndex {
        path: path.to_path_buf(),
        message,
    };
    let size = |v: u64, what: &str| {
        usize::try_from(v).map_err(|_| corrupt(format!("{what} {v} does not fit this host")))
    };
    let banding = |b: StoredBanding| -> Result<Banding> {
        Ok(Banding {
            bands: size(b.bands, "bands")?,
            rows: size(b.rows, "rows")?,
        })
    };
    let p = meta.params;
    let c = meta.config;
    let shingle = match p.shingle {
        StoredShingle::Word(k) => ShingleKind::Word(k),
        StoredShingle::Char(k) => ShingleKind::Char(k),
    };
    let params = SignatureParams {
        shingle,
        num_perm: size(p.num_perm, "num_perm")?,
        seed: p.seed,
        normalizer_version: p.normalizer_version,
    };
    let config = ScanConfig {
        shingle,
        unspaced: match c.unspaced {
            StoredUnspaced::Characters => UnspacedScripts::Characters,
            StoredUnspaced::Words => UnspacedScripts::Words,
        },
        num_perm: params.num_perm,
        seed: p.seed,
        threshold: c.threshold,
        containment: c.containment,
        lsh_threshold: c.lsh_threshold,
        banding: c.banding.map(banding).transpose()?,
        min_shingles: size(c.min_shingles, "min_shingles")?,
        max_run_pairs: size(c.max_run_pairs, "max_run_pairs")?,
        chrome: ChromeConfig {
            site_min_pages: c.chrome.site_min_pages,
            global_max_pages: c.chrome.global_max_pages,
            global_max_share: c.chrome.global_max_share,
            shingle_max_df: c.chrome.shingle_max_df,
            shingle_max_share: c.chrome.shingle_max_share,
            drop_headline_lists: c.chrome.drop_headline_lists,
            drop_metadata_lines: c.chrome.drop_metadata_lines,
            story_groups: c.chrome.story_groups,
            site_min_groups: c.chrome.site_min_groups,
            core_share: c.chrome.core_share,
        },
        cluster: ClusterConfig {
            guard: c.cluster.guard,
            guard_sample: size(c.cluster.guard_sample, "guard_sample")?,
            guard_factor: c.cluster.guard_factor,
        },
        figures: FigureConfig {
            // usize::MAX (the check switched off) is stored as u64::MAX and fits any host.
            min_figures: usize::try_from(c.figures.min_figures).unwrap_or(usize::MAX),
            min_overlap: c.figures.min_overlap,
        },
        chunk_window: size(c.chunk_window, "chunk_window")?,
    };
    if params.num_perm == 0 {
        return Err(corrupt("num_perm is 0".into()));
    }
    // Only the explicit banding is checked here: deriving one from thresholds read out of a
    // damaged file would be a long search for nothing.
    if let Some(b) = config.banding {
        if b.bands == 0 || b.rows == 0 || b.bands.saturating_mul(b.rows) > params.num_perm {
            return Err(corrupt(format!(
                "explicit banding {} x {} does not fit {} permutations",
                b.bands, b.rows, params.num_perm
            )));
        }
    }
    let used = banding(meta.banding)?;
    if used.bands == 0 || used.rows == 0 || used.bands.saturating_mul(used.rows) > params.num_perm {
        return Err(corrupt(format!(
            "banding {} x {} does not fit {} permutations",
            used.bands, used.rows, params.num_perm
        )));
    }
    Ok((params, config, used))
}

/// A saved scan, memory-mapped and checked; arrays are views into the mapping.
#[derive(Debug)]
pub struct Index {
    path: PathBuf,
    mmap: Mmap,
    layout: Layout,
}

/// Map `file` read-only.
#[allow(unsafe_code)] // memmap2's constructor is unsafe; the safety argument is below.
fn map(file: &File) -> io::Result<Mmap> {
    // SAFETY: the mapping is read-only and every byte is checked before it is used. What
    // remains is the general hazard of mappings: another process truncating or rewriting the
    // file while it is mapped. `save` never writes a file in place (it renames a new file over
    // the old one, whose inode the mapping keeps), so only outside tampering can cause that.
    unsafe { Mmap::map(file) }
}

impl Index {
    /// Map and check the index at `path`: header, every checksum, and the consistency of the
    /// arrays. Reading then copies nothing but the small metadata.
    pub fn open(path: &Path) -> Result<Index> {
        let io_err = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io_err)?;
        let len = file.metadata().map_err(io_err)?.len();
        if len < HEADER_LEN as u64 {
            // Also avoids mapping an empty file, which some platforms refuse.
            return Err(Error::CorruptIndex {
                path: path.to_path_buf(),
                message: format!("truncated: {len} bytes, the header alone is {HEADER_LEN}"),
            });
        }
        let mmap = map(&file).map_err(io_err)?;
        let layout = Layout::parse(&mmap, path)?;
        Ok(Index {
            path: path.to_path_buf(),
            mmap,
            layout,
        })
    }

    /// The file this index was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The line-rule and Unicode table versions the file was written under.
    pub fn rules(&self) -> RuleVersions {
        self.layout.rules
    }

    /// xxh3-64 of the section table, as stored in the header: it changes with any content, so
    /// it names this exact file (a live index's log is bound to its segment by it).
    pub fn table_checksum(&self) -> u64 {
        u64_at(&self.mmap, 24)
    }

    /// The file's size in bytes.
    pub fn file_len(&self) -> usize {
        self.mmap.len()
    }

    /// The format version of the file (always [`FORMAT_VERSION`] once opened).
    pub fn format_version(&self) -> u32 {
        FORMAT_VERSION
    }

    /// The section table.
    pub fn sections(&self) -> &[Section] {
        &self.layout.sections
    }

    fn slice<T: Pod>(&self, kind: SectionKind) -> &[T] {
        // `open` checked that every section is in bounds and viewable; the fallback is never
        // taken.
        self.mmap
            .get(self.layout.ranges[kind as usize].clone())
            .and_then(|b| bytemuck::try_cast_slice(b).ok())
            .unwrap_or(&[])
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.layout.docs.len()
    }

    /// Whether the index holds no documents.
    pub fn is_empty(&self) -> bool {
        self.layout.docs.is_empty()
    }

    /// The parameters the signatures were made with.
    pub fn params(&self) -> &SignatureParams {
        &self.layout.params
    }

    /// The configuration of the scan that was saved.
    pub fn config(&self) -> &ScanConfig {
        &self.layout.config
    }

    /// The banding the scan used.
    pub fn banding(&self) -> Banding {
        self.layout.banding
    }

    /// `Ok` when signatures made with `params` can be compared with this index's; the error
    /// carries the index's value on the left and `params`' on the right.
    pub fn check_compatible(&self, params: &SignatureParams) -> Result<()> {
        self.layout.params.check_compatible(params)
    }

    /// The documents in the scan's canonical order; indices everywhere refer to this order.
    pub fn documents(&self) -> &[StoredDoc] {
        &self.layout.docs
    }

    /// All signatures, `num_perm` values per document, without copying.
    pub fn signatures(&self) -> &[u32] {
        self.slice(SectionKind::Signatures)
    }

    /// The signature of document `i`, `None` when `i` is out of range.
    pub fn signature(&self, i: usize) -> Option<&[u32]> {
        self.signatures()
            .chunks_exact(self.params().num_perm)
            .nth(i)
    }

    /// One byte per document: 1 when it has too few shingles to match.
    pub fn near_empty(&self) -> &[u8] {
        self.slice(SectionKind::NearEmpty)
    }

    /// Pages counted by the line statistics.
    pub fn line_pages(&self) -> u64 {
        self.layout.line_pages
    }

    /// `(line hash, pages)` over the whole corpus.
    pub fn line_stats_global(&self) -> Counts<'_> {
        Counts {
            keys: self.slice(SectionKind::LineGlobalKeys),
            counts: self.slice(SectionKind::LineGlobalCounts),
        }
    }

    /// `(site-line key, pages of that site)`.
    pub fn line_stats_per_site(&self) -> Counts<'_> {
        Counts {
            keys: self.slice(SectionKind::LineSiteKeys),
            counts: self.slice(SectionKind::LineSiteCounts),
        }
    }

    /// The line statistics as an owned [`LineStats`] (a copy), to judge chrome as the scan did.
    pub fn line_stats(&self) -> LineStats {
        LineStats {
            pages: self.layout.line_pages,
            global: self.line_stats_global().to_vec(),
            per_site: self.line_stats_per_site().to_vec(),
        }
    }

    /// `(shingle, documents containing it)` over every content shingle, counted before stop
    /// shingles were removed (the stop shingles are the ones above the configured cap).
    pub fn shingle_df(&self) -> Counts<'_> {
        Counts {
            keys: self.slice(SectionKind::DfKeys),
            counts: self.slice(SectionKind::DfCounts),
        }
    }

    /// Number of distinct shingles the scan dropped as too common (they are not stored).
    pub fn stop_shingles(&self) -> u64 {
        self.layout.stop_shingles
    }

    /// The sorted shingle set of document `i`, `None` when `i` is out of range.
    pub fn shingle_set(&self, i: usize) -> Option<&[u64]> {
        let offsets: &[u64] = self.slice(SectionKind::SetOffsets);
        let (&a, &b) = (offsets.get(i)?, offsets.get(i + 1)?);
        self.slice(SectionKind::SetHashes)
            .get(usize::try_from(a).ok()?..usize::try_from(b).ok()?)
    }

    /// Total number of stored shingles over all sets.
    pub fn total_shingles(&self) -> usize {
        self.slice::<u64>(SectionKind::SetHashes).len()
    }

    /// Entry `i` of a CSR pair of sections.
    fn list<T: Pod>(&self, offsets: SectionKind, values: SectionKind, i: usize) -> Option<&[T]> {
        let o: &[u64] = self.slice(offsets);
        let (&a, &b) = (o.get(i)?, o.get(i + 1)?);
        self.slice(values)
            .get(usize::try_from(a).ok()?..usize::try_from(b).ok()?)
    }

    /// The text of document `i` (checked UTF-8 when the file was opened).
    pub fn text(&self, i: usize) -> Option<&str> {
        let b: &[u8] = self.list(SectionKind::TextOffsets, SectionKind::TextBytes, i)?;
        std::str::from_utf8(b).ok()
    }

    /// The raw line numbers of document `i`'s content lines.
    pub fn content_rows(&self, i: usize) -> Option<&[u32]> {
        self.list(SectionKind::ContentOffsets, SectionKind::ContentRows, i)
    }

    /// The sorted figures of document `i`'s content.
    pub fn figures(&self, i: usize) -> Option<&[u64]> {
        self.list(SectionKind::FigureOffsets, SectionKind::FigureHashes, i)
    }

    /// The window sketches of document `i`.
    pub fn windows(&self, i: usize) -> Option<&[u32]> {
        self.list(SectionKind::WindowOffsets, SectionKind::WindowValues, i)
    }

    /// The verified pairs of the scan, `(a, b)` with `a < b`, in increasing order.
    pub fn edges(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.slice::<u64>(SectionKind::Edges)
            .iter()
            .map(|&e| ((e >> 32) as u32, e as u32))
    }

    /// Document `i` as read: identity, metadata and text.
    pub fn document(&self, i: usize) -> Option<crate::Document> {
        let d = self.layout.docs.get(i)?;
        Some(crate::Document {
            id: d.doc_id(),
            url: d.url.clone(),
            site: d.site.clone(),
            title: d.title.clone(),
            published: d.published(),
            text: self.text(i)?.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{scan, Quiet};
    use crate::Document;
    use proptest::prelude::*;

    fn docs() -> Vec<Document> {
        let story = "The harbour authority said the new crane terminal would open in May after two years of work.\n\
                     Officials expect it to double the port's container traffic by the end of the decade.\n\
                     Dock workers' unions said they had been consulted on the staffing plan for the terminal.";
        let mut copy = Document::new(
            "copy",
            format!("Home | News | Sport\n{story}\nRelated: ten things to do this weekend"),
        );
        copy.url = Some("https://www.example.com/news/1".into());
        copy.title = Some("Crane terminal".into());
        copy.published = Published::parse("2024-03-05");
        vec![
            Document::new("wire", story),
            copy,
            Document {
                id: DocId::Num("7".into()),
                ..Document::new("", "Video")
            },
        ]
    }

    fn saved() -> (tempfile::TempDir, PathBuf, ScanResult) {
        let result = scan(docs(), &ScanConfig::default(), &Quiet).expect("valid configuration");
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("scan.idx");
        save(&path, &result).expect("saved");
        (dir, path, result)
    }

    /// `bytes` copied to an 8-byte aligned buffer, as a mapping would be.
    fn parse(bytes: &[u8]) -> Result<Layout> {
        let mut buf = vec![0u64; bytes.len().div_ceil(8)];
        let b: &mut [u8] = bytemuck::cast_slice_mut(&mut buf);
        b[..bytes.len()].copy_from_slice(bytes);
        Layout::parse(&b[..bytes.len()], Path::new("test.idx"))
    }

    #[test]
    fn round_trip_keeps_every_section() {
        let (_dir, path, r) = saved();
        let ix = Index::open(&path).expect("opens");
        assert_eq!(ix.len(), 3);
        assert_eq!(ix.params(), &r.config.signature_params());
        assert_eq!(ix.config(), &r.config);
        assert_eq!(ix.banding(), r.banding);
        assert_eq!(ix.signatures(), r.signatures.as_slice());
        let flags: Vec<bool> = ix.near_empty().iter().map(|&f| f == 1).collect();
        assert_eq!(flags, r.near_empty);
        assert_eq!(ix.line_stats(), r.line_stats);
        assert_eq!(ix.shingle_df().to_vec(), r.shingle_df);
        assert_eq!(ix.stop_shingles(), r.stop_shingles as u64);
        for (i, d) in r.docs.iter().enumerate() {
            assert_eq!(ix.shingle_set(i), Some(r.sets[i].as_slice()));
            assert_eq!(
                ix.signature(i),
                Some(&r.signatures[i * r.config.num_perm..(i + 1) * r.config.num_perm])
            );
            let s = &ix.documents()[i];
            assert_eq!(s.doc_id(), d.id);
            assert_eq!((&s.url, &s.site, &s.title), (&d.url, &d.site, &d.title));
            assert_eq!(s.published(), d.published);
            assert_eq!(s.text_hash, d.order_key().1);
        }
        assert_eq!(ix.shingle_set(3), None);
        assert_eq!(ix.signature(3), None);
    }

    #[test]
    fn saving_twice_gives_identical_bytes() {
        let (_dir, path, r) = saved();
        let first = std::fs::read(&path).expect("read");
        save(&path, &r).expect("saved again over the old file");
        assert_eq!(std::fs::read(&path).expect("read"), first);
    }

    #[test]
    fn damaged_header_fields_are_refused() {
        let (_dir, path, _) = saved();
        let good = std::fs::read(&path).expect("read");
        assert!(parse(&good).is_ok());
        let mut bad = good.clone();
        bad[0] = b'X';
        assert!(matches!(parse(&bad), Err(Error::CorruptIndex { .. })));
        let mut bad = good.clone();
        bad[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        let e = parse(&bad).expect_err("a later version");
        assert!(matches!(e, Error::UnsupportedIndex { .. }), "{e}");
        assert!(
            e.to_string()
                .contains(&format!("format version {}", FORMAT_VERSION + 1)),
            "{e}"
        );
        let mut bad = good.clone();
        bad[12..16].copy_from_slice(&ENDIAN_MARK.to_be_bytes());
        let e = parse(&bad).expect_err("big-endian");
        assert!(e.to_string().contains("big-endian"), "{e}");
        let mut bad = good;
        bad.push(0);
        assert!(matches!(parse(&bad), Err(Error::CorruptIndex { .. })));
    }

    #[test]
    fn misaligned_bytes_are_an_error() {
        let (_dir, path, _) = saved();
        let good = std::fs::read(&path).expect("read");
        let mut buf = vec![0u64; good.len() / 8 + 1];
        let b: &mut [u8] = bytemuck::cast_slice_mut(&mut buf);
        b[1..=good.len()].copy_from_slice(&good);
        let e = Layout::parse(&b[1..=good.len()], Path::new("x")).expect_err("misaligned");
        assert!(e.to_string().contains("cannot be viewed"), "{e}");
    }

    #[test]
    fn every_single_byte_change_and_every_truncation_is_detected() {
        let (_dir, path, _) = saved();
        let good = std::fs::read(&path).expect("read");
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x20;
            assert!(parse(&bad).is_err(), "byte {i} changed unnoticed");
            assert!(parse(&good[..i]).is_err(), "truncation to {i} unnoticed");
        }
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            prop_assert!(parse(&bytes).is_err());
        }

        #[test]
        fn random_bytes_after_a_valid_header_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..800)) {
            let mut bytes = MAGIC.to_vec();
            bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
            bytes.extend_from_slice(&ENDIAN_MARK.to_le_bytes());
            bytes.extend_from_slice(&(SectionKind::ALL.len() as u32).to_le_bytes());
            bytes.extend_from_slice(&0u32.to_le_bytes());
            let table_len = ENTRY_LEN * SectionKind::ALL.len();
            let table: Vec<u8> = tail.iter().copied().cycle().take(table_len).collect();
            bytes.extend_from_slice(&xxh3_64(&table).to_le_bytes());
            bytes.extend_from_slice(&table);
            bytes.extend_from_slice(&tail);
            let _ = parse(&bytes);
        }
    }
}
