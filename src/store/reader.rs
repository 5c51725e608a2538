//! store/reader.rs: how is an index file checked and read? Every byte is checked when the
//! file is opened; the arrays are then viewed in place in the memory mapping.

use super::filter::{self, Table};
use super::format::Section;
use super::format::*;
use super::metadata::*;
use crate::chrome::LineStats;
use crate::error::{Error, Result};
use crate::lsh::Banding;
use crate::minhash::SignatureParams;
use crate::pipeline::ScanConfig;
use bytemuck::Pod;
use memmap2::Mmap;
use std::fs::File;
use std::io::{self};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use xxhash_rust::xxh3::xxh3_64;

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

// ---- Reading ----

/// Everything `open` learns from the bytes; the arrays stay in the mapping as byte ranges.
#[derive(Debug, Clone)]
pub(super) struct Layout {
    pub(super) sections: Vec<Section>,
    pub(super) ranges: Vec<Range<usize>>,
    pub(super) params: SignatureParams,
    pub(super) rules: RuleVersions,
    pub(super) config: ScanConfig,
    pub(super) banding: Banding,
    pub(super) line_pages: u64,
    pub(super) stop_shingles: u64,
    pub(super) documents: usize,
    /// The live index's entry number of the first document (0 for a batch scan).
    pub(super) base: usize,
    /// The bytes the block checksums cover: from the end of the section table to the end of
    /// the section before them.
    pub(super) region: Range<usize>,
    /// Where the block checksums are.
    pub(super) sums: Range<usize>,
}

/// Check one section's bytes against its checksum.
fn check_section(bytes: &[u8], section: &Section, range: &Range<usize>, path: &Path) -> Result<()> {
    let computed = xxh3_64(&bytes[range.clone()]);
    if computed != section.checksum {
        return Err(Error::IndexChecksum {
            path: path.to_path_buf(),
            section: section.kind.name(),
            stored: section.checksum,
            computed,
        });
    }
    Ok(())
}

/// A document record, decoded; `None` unless the bytes are exactly one record.
pub(super) fn decode_doc(bytes: &[u8]) -> Option<StoredDoc> {
    match postcard::take_from_bytes::<StoredDoc>(bytes) {
        Ok((doc, [])) => Some(doc),
        _ => None,
    }
}

pub(super) fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0; 4];
    if let Some(s) = b.get(at..at + 4) {
        a.copy_from_slice(s);
    }
    u32::from_le_bytes(a)
}

pub(super) fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0; 8];
    if let Some(s) = b.get(at..at + 8) {
        a.copy_from_slice(s);
    }
    u64::from_le_bytes(a)
}

pub(super) fn strictly_increasing<T: PartialOrd>(v: &[T]) -> bool {
    v.windows(2).all(|w| w[0] < w[1])
}

impl Layout {
    /// Check what can be checked without reading the arrays, in an index file held in `bytes`
    /// (which must start 8-byte aligned for the arrays to be viewable): header, section table,
    /// the metadata and block checksums whole, and the arrays' lengths. Time and memory do not
    /// grow with the documents; the arrays are checked block by block as they are read.
    pub(super) fn parse_lazy(bytes: &[u8], path: &Path) -> Result<Layout> {
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
            if !len.is_multiple_of(width as u64) {
                return Err(corrupt(format!(
                    "section {name} has {len} bytes, not a multiple of its element width {width}"
                )));
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
        // Checked now, whole: the metadata and the block checksums (both small). Everything
        // else is checked block by block as it is read, or all at once by `verify_all`.
        for kind in [SectionKind::Meta, SectionKind::BlockSums] {
            check_section(
                bytes,
                &sections[kind as usize],
                &ranges[kind as usize],
                path,
            )?;
        }

        let section_bytes = |k: SectionKind| &bytes[ranges[k as usize].clone()];
        let (meta, rest) = postcard::take_from_bytes::<Meta>(section_bytes(SectionKind::Meta))
            .map_err(|e| corrupt(format!("metadata cannot be decoded: {e}")))?;
        if !rest.is_empty() {
            return Err(corrupt(format!("{} bytes after the metadata", rest.len())));
        }
        let (params, config, banding) = decode_config(&meta, path)?;
        let documents = usize::try_from(meta.documents)
            .map_err(|_| corrupt(format!("{} documents do not fit this host", meta.documents)))?;
        // Entry numbers are u32: the segment's last entry must be one.
        let base = usize::try_from(meta.base)
            .ok()
            .filter(|&b| (b as u64).saturating_add(documents as u64) <= u64::from(u32::MAX))
            .ok_or_else(|| {
                corrupt(format!(
                    "entries {} to {} do not fit 32 bits",
                    meta.base,
                    meta.base.saturating_add(meta.documents)
                ))
            })?;
        let region = table_end..ranges[SectionKind::BlockSums as usize - 1].end;
        let blocks = region.len().div_ceil(BLOCK);
        let sums = ranges[SectionKind::BlockSums as usize].clone();
        if sums.len() != blocks * 8 {
            return Err(corrupt(format!(
                "{} block checksums for {} bytes of sections, expected {blocks}",
                sums.len() / 8,
                region.len()
            )));
        }
        let layout = Layout {
            sections,
            ranges,
            params,
            rules: meta.rules,
            config,
            banding,
            line_pages: meta.line_pages,
            stop_shingles: meta.stop_shingles,
            documents,
            base,
            region,
            sums,
        };
        layout.check_lengths(path)?;
        Ok(layout)
    }

    /// Check what opening checks and then every byte: padding, each section's checksum, every
    /// block checksum, and the contents of the arrays (sorted keys and sets, UTF-8 texts,
    /// documents in range, the orders the lookups rely on).
    pub(super) fn parse(bytes: &[u8], path: &Path) -> Result<Layout> {
        let layout = Layout::parse_lazy(bytes, path)?;
        let mut prev_end = HEADER_LEN + layout.sections.len() * ENTRY_LEN;
        for (section, range) in layout.sections.iter().zip(&layout.ranges) {
            if bytes[prev_end..range.start].iter().any(|&b| b != 0) {
                return Err(Error::CorruptIndex {
                    path: path.to_path_buf(),
                    message: format!(
                        "padding before section {} (bytes {prev_end}..{}) is not zero",
                        section.kind.name(),
                        range.start
                    ),
                });
            }
            check_section(bytes, section, range, path)?;
            prev_end = range.end;
        }
        for k in 0..layout.blocks() {
            layout.check_block(bytes, k, path)?;
        }
        layout.check_arrays(bytes, path)?;
        Ok(layout)
    }

    /// Number of checksummed blocks.
    pub(super) fn blocks(&self) -> usize {
        self.sums.len() / 8
    }

    /// Check block `k` against its stored checksum.
    pub(super) fn check_block(&self, bytes: &[u8], k: usize, path: &Path) -> Result<()> {
        let start = self.region.start + k * BLOCK;
        let end = (start + BLOCK).min(self.region.end);
        let stored = u64_at(bytes, self.sums.start + 8 * k);
        let computed = xxh3_64(&bytes[start..end]);
        if stored == computed {
            return Ok(());
        }
        let names: Vec<&str> = self
            .sections
            .iter()
            .zip(&self.ranges)
            .filter(|(_, r)| r.start < end && start < r.end.max(r.start + 1))
            .map(|(s, _)| s.kind.name())
            .collect();
        Err(Error::CorruptIndex {
            path: path.to_path_buf(),
            message: format!(
                "bytes {start}..{end} (section {}) fail their block checksum: stored {stored:016x}, computed {computed:016x}",
                names.join(", ")
            ),
        })
    }

    /// The lengths of the arrays against each other and the metadata (no array is read).
    fn check_lengths(&self, path: &Path) -> Result<()> {
        let corrupt = |message: String| Error::CorruptIndex {
            path: path.to_path_buf(),
            message,
        };
        let n = self.documents;
        let len = |k: SectionKind| self.ranges[k as usize].len() / k.width();
        let expected = n.checked_mul(self.params.num_perm);
        if expected != Some(len(SectionKind::Signatures)) {
            return Err(corrupt(format!(
                "{} signature values for {n} documents of {} permutations",
                len(SectionKind::Signatures),
                self.params.num_perm
            )));
        }
        for (keys, counts) in [
            (SectionKind::LineGlobalKeys, SectionKind::LineGlobalCounts),
            (SectionKind::LineSiteKeys, SectionKind::LineSiteCounts),
            (SectionKind::DfKeys, SectionKind::DfCounts),
            (SectionKind::BandKeys, SectionKind::BandDocs),
            (SectionKind::WindowBandKeys, SectionKind::WindowBandDocs),
        ] {
            if len(keys) != len(counts) {
                return Err(corrupt(format!(
                    "{} has {} keys but {} has {} values",
                    keys.name(),
                    len(keys),
                    counts.name(),
                    len(counts)
                )));
            }
        }
        let keys = [
            SectionKind::LineGlobalKeys,
            SectionKind::LineSiteKeys,
            SectionKind::DfKeys,
            SectionKind::BandKeys,
            SectionKind::WindowBandKeys,
        ]
        .into_iter()
        .map(len)
        .sum();
        let words = filter::blocks_for(keys) * filter::BLOCK_WORDS;
        if len(SectionKind::KeyFilter) != words {
            return Err(corrupt(format!(
                "key_filter has {} words, {keys} keys need {words}",
                len(SectionKind::KeyFilter)
            )));
        }
        let per_doc = [
            (SectionKind::NearEmpty, n),
            (SectionKind::SetOffsets, n + 1),
            (SectionKind::TextOffsets, n + 1),
            (SectionKind::ContentOffsets, n + 1),
            (SectionKind::FigureOffsets, n + 1),
            (SectionKind::WindowOffsets, n + 1),
            (SectionKind::DocOffsets, n + 1),
            (SectionKind::Groups, n),
            (SectionKind::GroupOrder, n),
            (SectionKind::IdOrder, n),
            (SectionKind::Sites, n),
            (SectionKind::Published, n),
            (SectionKind::BandOffsets, self.banding.bands + 1),
            (
                SectionKind::WindowBandOffsets,
                crate::fingerprint::CHUNK_BANDS + 1,
            ),
        ];
        for (kind, want) in per_doc {
            if len(kind) != want {
                return Err(corrupt(format!(
                    "{} has {} entries, {n} documents need {want}",
                    kind.name(),
                    len(kind)
                )));
            }
        }
        Ok(())
    }

    /// Every document's record, decoded (checked: each decodes, exactly).
    pub(super) fn doc_records(&self, bytes: &[u8], path: &Path) -> Result<Vec<StoredDoc>> {
        let (offsets, records) = csr_view::<u8>(
            bytes,
            self,
            SectionKind::DocOffsets,
            SectionKind::DocRecords,
            self.documents,
            path,
        )?;
        offsets
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                decode_doc(&records[w[0] as usize..w[1] as usize]).ok_or_else(|| {
                    Error::CorruptIndex {
                        path: path.to_path_buf(),
                        message: format!("the record of document {i} cannot be decoded"),
                    }
                })
            })
            .collect()
    }

    /// Check that the arrays' contents agree with each other and with the metadata.
    fn check_arrays(&self, bytes: &[u8], path: &Path) -> Result<()> {
        let corrupt = |message: String| Error::CorruptIndex {
            path: path.to_path_buf(),
            message,
        };
        let n = self.documents;
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
        let (lo, end) = (self.base as u64, (self.base + n) as u64);
        if !strictly_increasing(edges)
            || edges.iter().any(|&e| {
                let (a, b) = (e >> 32, e & 0xffff_ffff);
                a >= b || b < lo || b >= end
            })
        {
            return Err(corrupt(format!(
                "edges must be strictly increasing pairs a < b with {lo} <= b < {end}"
            )));
        }
        let docs = self.doc_records(bytes, path)?;
        self.check_tables(bytes, &docs, path)
    }

    /// Check the live index's lookup tables (format 4; entry numbers and tombstones since 5):
    /// lengths, documents and entries in range, and the orders each lookup's binary search
    /// relies on.
    fn check_tables(&self, bytes: &[u8], docs: &[StoredDoc], path: &Path) -> Result<()> {
        let corrupt = |message: String| Error::CorruptIndex {
            path: path.to_path_buf(),
            message,
        };
        let n = self.documents;
        let base = self.base;
        let groups: &[u32] = view(bytes, self, SectionKind::Groups, path)?;
        if groups.len() != n
            || groups.iter().any(|&g| {
                let g = g as usize;
                g >= base + n || (g >= base && groups[g - base] as usize != g)
            })
        {
            return Err(corrupt(format!(
                "groups must be {n} entries below {}, each naming a member of its own group",
                base + n
            )));
        }
        let dead: &[u32] = view(bytes, self, SectionKind::Dead, path)?;
        if !strictly_increasing(dead) || dead.last().is_some_and(|&d| d as usize >= base + n) {
            return Err(corrupt(format!(
                "dead must be strictly increasing entries below {}",
                base + n
            )));
        }
        let order: &[u32] = view(bytes, self, SectionKind::GroupOrder, path)?;
        if order.len() != n
            || order.iter().any(|&d| d as usize >= n)
            || !order
                .windows(2)
                .all(|w| (groups[w[0] as usize], w[0]) < (groups[w[1] as usize], w[1]))
        {
            return Err(corrupt(format!(
                "group_order must be the {n} documents by (group, document)"
            )));
        }
        let ids: &[u32] = view(bytes, self, SectionKind::IdOrder, path)?;
        let key = |d: u32| (docs[d as usize].id.as_str(), d);
        if ids.len() != n
            || ids.iter().any(|&d| d as usize >= n)
            || !ids.windows(2).all(|w| key(w[0]) < key(w[1]))
        {
            return Err(corrupt(format!(
                "id_order must be the {n} documents by (id, document)"
            )));
        }
        let sites: &[u64] = view(bytes, self, SectionKind::Sites, path)?;
        let published: &[i64] = view(bytes, self, SectionKind::Published, path)?;
        if sites.len() != n || published.len() != n {
            return Err(corrupt(format!(
                "sites and published must have {n} entries, have {} and {}",
                sites.len(),
                published.len()
            )));
        }
        let filter: &[u32] = view(bytes, self, SectionKind::KeyFilter, path)?;
        for (kinds, bands) in [
            (
                [
                    SectionKind::BandOffsets,
                    SectionKind::BandKeys,
                    SectionKind::BandDocs,
                ],
                self.banding.bands,
            ),
            (
                [
                    SectionKind::WindowBandOffsets,
                    SectionKind::WindowBandKeys,
                    SectionKind::WindowBandDocs,
                ],
                crate::fingerprint::CHUNK_BANDS,
            ),
        ] {
            let offsets: &[u64] = view(bytes, self, kinds[0], path)?;
            let keys: &[u64] = view(bytes, self, kinds[1], path)?;
            let docs: &[u32] = view(bytes, self, kinds[2], path)?;
            let name = kinds[0].name();
            if offsets.len() != bands + 1
                || offsets.first() != Some(&0)
                || offsets.last() != Some(&(keys.len() as u64))
                || offsets.windows(2).any(|w| w[0] > w[1])
                || keys.len() != docs.len()
                || docs.iter().any(|&d| d as usize >= n)
            {
                return Err(corrupt(format!(
                    "{name} must be {} non-decreasing offsets from 0 to {} keys, with as many documents below {n}",
                    bands + 1,
                    keys.len()
                )));
            }
            for (band, w) in offsets.windows(2).enumerate() {
                let (a, b) = (w[0] as usize, w[1] as usize);
                let sorted = (a + 1..b).all(|i| (keys[i - 1], docs[i - 1]) < (keys[i], docs[i]));
                if !sorted {
                    return Err(corrupt(format!(
                        "{} is not ordered by (key, document) within a band",
                        kinds[1].name()
                    )));
                }
                let table = bucket_table(kinds[0], band);
                check_filter(filter, table, kinds[1], &keys[a..b], path)?;
            }
        }
        for (table, kind) in [
            (Table::LineGlobal, SectionKind::LineGlobalKeys),
            (Table::LineSite, SectionKind::LineSiteKeys),
            (Table::Df, SectionKind::DfKeys),
        ] {
            check_filter(filter, table, kind, view(bytes, self, kind, path)?, path)?;
        }
        Ok(())
    }
}

/// The key-filter table of band `band` of the run table whose offsets are `offsets_kind`.
fn bucket_table(offsets_kind: SectionKind, band: usize) -> Table {
    if offsets_kind == SectionKind::BandOffsets {
        Table::Band(band)
    } else {
        Table::Window(band)
    }
}

/// Check that the key filter holds every key of a table: a filter that lacked one would
/// answer "absent" for a key the file holds.
fn check_filter(
    filter: &[u32],
    table: Table,
    kind: SectionKind,
    keys: &[u64],
    path: &Path,
) -> Result<()> {
    match keys.iter().find(|&&k| !filter::holds(filter, table, k)) {
        None => Ok(()),
        Some(k) => Err(Error::CorruptIndex {
            path: path.to_path_buf(),
            message: format!("key_filter lacks key {k:016x} of {}", kind.name()),
        }),
    }
}

/// The offsets and values of a CSR pair of sections, checked: `n + 1` non-decreasing offsets
/// from 0 to the number of values.
pub(super) fn csr_view<'a, T: Pod>(
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
pub(super) fn view<'a, T: Pod>(
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

/// A saved scan, memory-mapped and checked; arrays are views into the mapping.
///
/// Opened with [`Index::open`], every byte is checked first. Opened with [`Index::open_lazy`]
/// (a live index's segment), each [`BLOCK`] of the file is checked against its stored checksum
/// the first time anything in it is read; a block that fails makes the read come back empty and
/// is kept as [`Index::failure`], which the caller must consult before trusting an answer.
#[derive(Debug)]
pub struct Index {
    path: PathBuf,
    mmap: Backing,
    layout: Layout,
    /// One bit per block: checked and good.
    checked: Vec<AtomicU64>,
    failure: OnceLock<String>,
}

/// Where an index's bytes live: a file mapping, or words in memory (8-byte aligned, so the
/// arrays can be viewed in place as in a mapping).
#[derive(Debug)]
enum Backing {
    Map(Mmap),
    Words(Vec<u64>, usize),
}

impl std::ops::Deref for Backing {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Backing::Map(m) => m,
            Backing::Words(w, len) => &bytemuck::cast_slice::<u64, u8>(w)[..*len],
        }
    }
}

/// Map `file` read-only.
#[allow(unsafe_code)] // memmap2's constructor is unsafe; the safety argument is below.
pub(super) fn map(file: &File) -> io::Result<Mmap> {
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
        Index::open_with(path, true)
    }

    /// Map the index at `path` and check what does not grow with it (header, section table,
    /// metadata, the lengths of the arrays); the rest is checked block by block as it is read.
    /// Opening takes the same time for ten thousand documents or ten million.
    pub fn open_lazy(path: &Path) -> Result<Index> {
        Index::open_with(path, false)
    }

    fn open_with(path: &Path, full: bool) -> Result<Index> {
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
        let mmap = Backing::Map(map(&file).map_err(io_err)?);
        Index::with_backing(mmap, path, full)
    }

    fn with_backing(mmap: Backing, path: &Path, full: bool) -> Result<Index> {
        let layout = if full {
            Layout::parse(&mmap, path)?
        } else {
            Layout::parse_lazy(&mmap, path)?
        };
        let words = layout.blocks().div_ceil(64);
        let all = if full { u64::MAX } else { 0 };
        Ok(Index {
            path: path.to_path_buf(),
            mmap,
            layout,
            checked: (0..words).map(|_| AtomicU64::new(all)).collect(),
            failure: OnceLock::new(),
        })
    }

    /// An index held in memory, as [`to_words`](super::to_words) wrote it; checked as
    /// [`Index::open`] checks a file. `name` stands for the file in messages.
    pub fn from_words(words: Vec<u64>, name: &Path) -> Result<Index> {
        // The byte length: the end of the last section (the words' tail is padding).
        let bytes: &[u8] = bytemuck::cast_slice(&words);
        let count = u32_at(bytes, 16) as usize;
        let len = bytes
            .get(HEADER_LEN..HEADER_LEN + count.min(SectionKind::ALL.len()) * ENTRY_LEN)
            .and_then(|t| t.chunks_exact(ENTRY_LEN).last())
            .map_or(bytes.len(), |e| {
                (u64_at(e, 8).saturating_add(u64_at(e, 16)) as usize).min(bytes.len())
            });
        Index::with_backing(Backing::Words(words, len), name, true)
    }

    /// The first damage found by a read since a lazy open, as an error naming the file and the
    /// bytes; `None` while everything read was good (always `None` after [`Index::open`]).
    pub fn failure(&self) -> Option<Error> {
        self.failure.get().map(|message| Error::CorruptIndex {
            path: self.path.clone(),
            message: message.clone(),
        })
    }

    /// Check every block not checked yet (what [`Index::open`] does at once).
    pub fn verify_all(&self) -> Result<()> {
        let layout = Layout::parse(&self.mmap, &self.path)?;
        drop(layout);
        for w in &self.checked {
            w.store(u64::MAX, Ordering::Relaxed);
        }
        Ok(())
    }

    /// `bytes[range]` once every block it touches has passed its checksum.
    fn checked_bytes(&self, range: Range<usize>) -> Option<&[u8]> {
        let bytes = self.mmap.get(range.clone())?;
        let region = &self.layout.region;
        let (start, end) = (range.start.max(region.start), range.end.min(region.end));
        if start < end {
            let first = (start - region.start) / BLOCK;
            let last = (end - 1 - region.start) / BLOCK;
            for k in first..=last {
                let (word, bit) = (&self.checked[k / 64], 1u64 << (k % 64));
                if word.load(Ordering::Relaxed) & bit != 0 {
                    continue;
                }
                if let Err(e) = self.layout.check_block(&self.mmap, k, &self.path) {
                    let message = match e {
                        Error::CorruptIndex { message, .. } => message,
                        other => other.to_string(),
                    };
                    let _ = self.failure.set(message);
                    return None;
                }
                word.fetch_or(bit, Ordering::Relaxed);
            }
        }
        Some(bytes)
    }

    /// Elements `range` of a section, checked.
    fn elems<T: Pod>(&self, kind: SectionKind, range: Range<usize>) -> Option<&[T]> {
        let section = &self.layout.ranges[kind as usize];
        let w = std::mem::size_of::<T>();
        let start = section.start.checked_add(range.start.checked_mul(w)?)?;
        let end = section.start.checked_add(range.end.checked_mul(w)?)?;
        if start > end || end > section.end {
            return None;
        }
        bytemuck::try_cast_slice(self.checked_bytes(start..end)?).ok()
    }

    /// Element `i` of a section, checked.
    fn elem<T: Pod>(&self, kind: SectionKind, i: usize) -> Option<T> {
        self.elems::<T>(kind, i..i.checked_add(1)?)
            .and_then(|s| s.first().copied())
    }

    /// Number of elements of a section.
    fn count(&self, kind: SectionKind) -> usize {
        self.layout.ranges[kind as usize].len() / kind.width()
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

    /// A whole section, checked (empty when it fails; see [`Index::failure`]).
    fn slice<T: Pod>(&self, kind: SectionKind) -> &[T] {
        self.elems(kind, 0..self.count(kind)).unwrap_or(&[])
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.layout.documents
    }

    /// Whether the index holds no documents.
    pub fn is_empty(&self) -> bool {
        self.layout.documents == 0
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

    /// All signatures, `num_perm` values per document, without copying.
    pub fn signatures(&self) -> &[u32] {
        self.slice(SectionKind::Signatures)
    }

    /// The signature of document `i`, `None` when `i` is out of range.
    pub fn signature(&self, i: usize) -> Option<&[u32]> {
        let k = self.params().num_perm;
        if i >= self.len() {
            return None;
        }
        self.elems(SectionKind::Signatures, i * k..(i + 1) * k)
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
        self.list(SectionKind::SetOffsets, SectionKind::SetHashes, i)
    }

    /// Total number of stored shingles over all sets.
    pub fn total_shingles(&self) -> usize {
        self.slice::<u64>(SectionKind::SetHashes).len()
    }

    /// Entry `i` of a CSR pair of sections.
    fn list<T: Pod>(&self, offsets: SectionKind, values: SectionKind, i: usize) -> Option<&[T]> {
        let o: &[u64] = self.elems(offsets, i..i.checked_add(2)?)?;
        let (a, b) = (usize::try_from(o[0]).ok()?, usize::try_from(o[1]).ok()?);
        self.elems(values, a..b)
    }

    /// The text of document `i` (`None` when it is not UTF-8).
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

    /// The live index's entry number of the first document (0 for a batch scan).
    pub fn base(&self) -> u32 {
        self.layout.base as u32
    }

    /// The entries removed when this segment was written (see [`SectionKind::Dead`]).
    pub fn dead(&self) -> &[u32] {
        self.slice(SectionKind::Dead)
    }

    /// The story group of each document (the first member of its story, or itself), as an
    /// entry number: see [`Index::base`].
    pub fn groups(&self) -> &[u32] {
        self.slice(SectionKind::Groups)
    }

    /// The documents ordered by `(group, document)`.
    pub fn group_order(&self) -> &[u32] {
        self.slice(SectionKind::GroupOrder)
    }

    /// The documents ordered by `(id, document)`.
    pub fn id_order(&self) -> &[u32] {
        self.slice(SectionKind::IdOrder)
    }

    /// The site hash of each document (0 without a site).
    pub fn sites(&self) -> &[u64] {
        self.slice(SectionKind::Sites)
    }

    /// The publication time of each document in Unix seconds, `i64::MAX` when undated.
    pub fn published(&self) -> &[i64] {
        self.slice(SectionKind::Published)
    }

    /// The LSH band table: offsets per band, keys and documents (each band's run ordered by
    /// `(key, document)`).
    pub fn band_table(&self) -> (&[u64], &[u64], &[u32]) {
        (
            self.slice(SectionKind::BandOffsets),
            self.slice(SectionKind::BandKeys),
            self.slice(SectionKind::BandDocs),
        )
    }

    /// The window band table, in the form of [`Index::band_table`].
    pub fn window_table(&self) -> (&[u64], &[u64], &[u32]) {
        (
            self.slice(SectionKind::WindowBandOffsets),
            self.slice(SectionKind::WindowBandKeys),
            self.slice(SectionKind::WindowBandDocs),
        )
    }

    /// Whether document `i` has too few shingles to match.
    pub fn is_near_empty(&self, i: usize) -> bool {
        self.elem::<u8>(SectionKind::NearEmpty, i) == Some(1)
    }

    /// The story group of document `i`.
    pub fn group_of(&self, i: usize) -> Option<u32> {
        self.elem(SectionKind::Groups, i)
    }

    /// The site hash of document `i` (0 without a site).
    pub fn site_of(&self, i: usize) -> Option<u64> {
        self.elem(SectionKind::Sites, i)
    }

    /// The publication time of document `i`, Unix seconds; `None` when undated.
    pub fn published_of(&self, i: usize) -> Option<i64> {
        self.elem::<i64>(SectionKind::Published, i)
            .filter(|&p| p != i64::MAX)
    }

    /// The first position in `lo..hi` where `pred` is false, `pred` being true then false
    /// over the range (a binary search that reads only the elements it probes).
    fn partition(&self, mut lo: usize, mut hi: usize, pred: impl Fn(usize) -> bool) -> usize {
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(mid) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Whether the file may hold `key` in `table`: false is certain (the key filter has no
    /// false negatives), so the lookup's binary search is skipped. A damaged filter block
    /// answers false and is kept as the [`failure`](Index::failure).
    fn may_hold(&self, table: Table, key: u64) -> bool {
        let h = filter::hash(table, key);
        let blocks = self.count(SectionKind::KeyFilter) / filter::BLOCK_WORDS;
        let b = filter::block_of(h, blocks) * filter::BLOCK_WORDS;
        self.elems::<u32>(SectionKind::KeyFilter, b..b + filter::BLOCK_WORDS)
            .is_some_and(|block| filter::block_holds(block, h))
    }

    /// The count of `key` in a `(key, count)` table (0 when absent).
    fn count_of(&self, table: Table, keys: SectionKind, counts: SectionKind, key: u64) -> u32 {
        if !self.may_hold(table, key) {
            return 0;
        }
        let n = self.count(keys);
        let at = self.partition(0, n, |i| self.elem::<u64>(keys, i).is_some_and(|k| k < key));
        match self.elem::<u64>(keys, at) {
            Some(k) if k == key => self.elem(counts, at).unwrap_or(0),
            _ => 0,
        }
    }

    /// Pages holding line `key` over the whole corpus (reads only the probed entries).
    pub fn line_global_count(&self, key: u64) -> u32 {
        self.count_of(
            Table::LineGlobal,
            SectionKind::LineGlobalKeys,
            SectionKind::LineGlobalCounts,
            key,
        )
    }

    /// Pages of a site holding a line, by site-line key.
    pub fn line_site_count(&self, key: u64) -> u32 {
        self.count_of(
            Table::LineSite,
            SectionKind::LineSiteKeys,
            SectionKind::LineSiteCounts,
            key,
        )
    }

    /// Documents holding shingle `key` (before stop-shingle removal).
    pub fn df_count(&self, key: u64) -> u32 {
        self.count_of(Table::Df, SectionKind::DfKeys, SectionKind::DfCounts, key)
    }

    /// The documents under `key` in band `band` of a `(key, document)` run table.
    fn bucket(&self, kinds: [SectionKind; 3], band: usize, key: u64) -> &[u32] {
        if !self.may_hold(bucket_table(kinds[0], band), key) {
            return &[];
        }
        let Some(o) = band
            .checked_add(2)
            .and_then(|end| self.elems::<u64>(kinds[0], band..end))
        else {
            return &[];
        };
        let (Ok(a), Ok(b)) = (usize::try_from(o[0]), usize::try_from(o[1])) else {
            return &[];
        };
        let keys = kinds[1];
        let lo = self.partition(a, b, |i| self.elem::<u64>(keys, i).is_some_and(|k| k < key));
        let hi = self.partition(lo, b, |i| self.elem::<u64>(keys, i) == Some(key));
        self.elems(kinds[2], lo..hi).unwrap_or(&[])
    }

    /// The documents sharing band `band` of their signature under `key`, in document order.
    pub fn band_bucket(&self, band: usize, key: u64) -> &[u32] {
        self.bucket(
            [
                SectionKind::BandOffsets,
                SectionKind::BandKeys,
                SectionKind::BandDocs,
            ],
            band,
            key,
        )
    }

    /// The documents with a window sketch sharing band `band` under `key`, in document order.
    pub fn window_bucket(&self, band: usize, key: u64) -> &[u32] {
        self.bucket(
            [
                SectionKind::WindowBandOffsets,
                SectionKind::WindowBandKeys,
                SectionKind::WindowBandDocs,
            ],
            band,
            key,
        )
    }

    /// The members of story group `group`, in document order.
    pub fn group_members(&self, group: u32) -> &[u32] {
        let n = self.len();
        let group_at = |i: usize| {
            self.elem::<u32>(SectionKind::GroupOrder, i)
                .and_then(|d| self.group_of(d as usize))
        };
        let lo = self.partition(0, n, |i| group_at(i).is_some_and(|g| g < group));
        let hi = self.partition(lo, n, |i| group_at(i) == Some(group));
        self.elems(SectionKind::GroupOrder, lo..hi).unwrap_or(&[])
    }

    /// The last document (in canonical order) whose id is `id`.
    pub fn find_id(&self, id: &str) -> Option<u32> {
        let n = self.len();
        let doc_at = |i: usize| self.elem::<u32>(SectionKind::IdOrder, i);
        let end = self.partition(0, n, |i| {
            doc_at(i)
                .and_then(|d| self.stored(d as usize))
                .is_some_and(|s| s.id.as_str() <= id)
        });
        let last = doc_at(end.checked_sub(1)?)?;
        (self.stored(last as usize)?.id == id).then_some(last)
    }

    /// The record (identity and metadata) of document `i`.
    pub fn stored(&self, i: usize) -> Option<StoredDoc> {
        let b: &[u8] = self.list(SectionKind::DocOffsets, SectionKind::DocRecords, i)?;
        decode_doc(b)
    }

    /// Every document's record, in the scan's canonical order (decoded on each call).
    pub fn documents(&self) -> Vec<StoredDoc> {
        (0..self.len()).filter_map(|i| self.stored(i)).collect()
    }

    /// Document `i` as read: identity, metadata and text.
    pub fn document(&self, i: usize) -> Option<crate::Document> {
        let d = self.stored(i)?;
        Some(crate::Document {
            id: d.doc_id(),
            published: d.published(),
            text: self.text(i)?.to_string(),
            url: d.url,
            site: d.site,
            title: d.title,
        })
    }
}
