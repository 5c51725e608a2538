//! store/writer.rs: how is an index file written? Sections one after another with their
//! checksums, then the header and section table in front, through `atomic_write`.

use super::filter::{Builder, Table};
use super::format::*;
use super::metadata::*;
use crate::error::{Error, Result};
use crate::pipeline::ScanResult;
use bytemuck::Pod;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use xxhash_rust::xxh3::{xxh3_64, Xxh3Default};

// ---- Writing ----

/// Writes sections one after another, then the header and table in front of them.
pub(super) struct SectionWriter<W: Write + Seek> {
    w: W,
    pos: u64,
    table: Vec<Section>,
    blocks: BlockHasher,
}

/// xxh3-64 of each [`BLOCK`]-byte block of a byte stream.
struct BlockHasher {
    h: Xxh3Default,
    filled: usize,
    sums: Vec<u64>,
}

impl BlockHasher {
    fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let take = (BLOCK - self.filled).min(bytes.len());
            self.h.update(&bytes[..take]);
            self.filled += take;
            bytes = &bytes[take..];
            if self.filled == BLOCK {
                self.sums.push(self.h.digest());
                self.h = Xxh3Default::new();
                self.filled = 0;
            }
        }
    }

    fn finish(mut self) -> Vec<u64> {
        if self.filled > 0 {
            self.sums.push(self.h.digest());
        }
        self.sums
    }
}

impl<W: Write + Seek> SectionWriter<W> {
    fn new(mut w: W) -> io::Result<Self> {
        let start = HEADER_LEN + ENTRY_LEN * SectionKind::ALL.len();
        w.write_all(&vec![0; start])?;
        Ok(SectionWriter {
            w,
            pos: start as u64,
            table: Vec::with_capacity(SectionKind::ALL.len()),
            blocks: BlockHasher {
                h: Xxh3Default::new(),
                filled: 0,
                sums: Vec::new(),
            },
        })
    }

    fn put(&mut self, bytes: &[u8], blocks: bool) -> io::Result<()> {
        self.w.write_all(bytes)?;
        self.pos += bytes.len() as u64;
        if blocks {
            self.blocks.update(bytes);
        }
        Ok(())
    }

    fn section<'a>(
        &mut self,
        kind: SectionKind,
        parts: impl IntoIterator<Item = &'a [u8]>,
    ) -> io::Result<()> {
        // Every section but the block checksums themselves is covered by them.
        let blocks = kind != SectionKind::BlockSums;
        let pad = (ALIGN - self.pos as usize % ALIGN) % ALIGN;
        self.put(&[0; ALIGN][..pad], blocks)?;
        let offset = self.pos;
        let mut h = Xxh3Default::new();
        for p in parts {
            h.update(p);
            self.put(p, blocks)?;
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
        let sums = std::mem::replace(
            &mut self.blocks,
            BlockHasher {
                h: Xxh3Default::new(),
                filled: 0,
                sums: Vec::new(),
            },
        )
        .finish();
        self.section(
            SectionKind::BlockSums,
            [bytemuck::cast_slice::<u64, u8>(&sums)],
        )?;
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

pub(super) fn split(table: &[(u64, u32)]) -> (Vec<u64>, Vec<u32>) {
    table.iter().copied().unzip()
}

/// What a live index's segment adds to a scan: where its entries start, the story group of each
/// document by entry number (groups may lie in earlier segments), and the tombstones.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SegmentExtra {
    /// Entry number of the first document.
    pub(crate) base: u32,
    /// Each document's group as an entry number; `None`: the scan's clusters.
    pub(crate) groups: Option<Vec<u32>>,
    /// Removed entries, strictly increasing, each below `base` plus the documents.
    pub(crate) dead: Vec<u32>,
}

pub(super) fn write_sections<W: Write + Seek>(
    w: &mut SectionWriter<W>,
    result: &ScanResult,
    rules: RuleVersions,
    extra: &SegmentExtra,
) -> io::Result<()> {
    let mut meta = meta_of(result);
    meta.rules = rules;
    meta.base = u64::from(extra.base);
    let meta = postcard::to_stdvec(&meta).map_err(io::Error::other)?;
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
    )?;
    let t = crate::index::segment::tables(result, extra.base, extra.groups.as_deref());
    w.section(
        SectionKind::Groups,
        [bytemuck::cast_slice::<u32, u8>(&t.groups)],
    )?;
    w.section(
        SectionKind::GroupOrder,
        [bytemuck::cast_slice::<u32, u8>(&t.group_order)],
    )?;
    w.section(
        SectionKind::IdOrder,
        [bytemuck::cast_slice::<u32, u8>(&t.id_order)],
    )?;
    w.section(
        SectionKind::Sites,
        [bytemuck::cast_slice::<u64, u8>(&t.sites)],
    )?;
    w.section(
        SectionKind::Published,
        [bytemuck::cast_slice::<i64, u8>(&t.published)],
    )?;
    for (b, kinds) in [
        (
            &t.bands,
            [
                SectionKind::BandOffsets,
                SectionKind::BandKeys,
                SectionKind::BandDocs,
            ],
        ),
        (
            &t.windows,
            [
                SectionKind::WindowBandOffsets,
                SectionKind::WindowBandKeys,
                SectionKind::WindowBandDocs,
            ],
        ),
    ] {
        w.section(kinds[0], [bytemuck::cast_slice::<u64, u8>(&b.offsets)])?;
        w.section(kinds[1], [bytemuck::cast_slice::<u64, u8>(&b.keys)])?;
        w.section(kinds[2], [bytemuck::cast_slice::<u32, u8>(&b.docs)])?;
    }
    let filter = key_filter(result, &t);
    w.section(
        SectionKind::KeyFilter,
        [bytemuck::cast_slice::<u32, u8>(&filter)],
    )?;
    w.section(
        SectionKind::Dead,
        [bytemuck::cast_slice::<u32, u8>(&extra.dead)],
    )?;
    let records: Vec<Vec<u8>> = result
        .docs
        .iter()
        .map(|d| postcard::to_stdvec(&stored_doc(d)).map_err(io::Error::other))
        .collect::<io::Result<_>>()?;
    csr(
        w,
        SectionKind::DocOffsets,
        SectionKind::DocRecords,
        &records,
    )
}

/// The filter over every key the lookups search: line and shingle counts, band and window
/// buckets, sized by their number of entries (which the reader checks).
fn key_filter(result: &ScanResult, t: &crate::index::segment::Tables) -> Vec<u32> {
    let mut f = Builder::new(
        result.line_stats.global.len()
            + result.line_stats.per_site.len()
            + result.shingle_df.len()
            + t.bands.keys.len()
            + t.windows.keys.len(),
    );
    for (table, keys) in [
        (Table::LineGlobal, &result.line_stats.global),
        (Table::LineSite, &result.line_stats.per_site),
        (Table::Df, &result.shingle_df),
    ] {
        for &(k, _) in keys {
            f.insert(table, k);
        }
    }
    for (buckets, table) in [
        (&t.bands, Table::Band as fn(usize) -> Table),
        (&t.windows, Table::Window as fn(usize) -> Table),
    ] {
        for (b, run) in buckets.offsets.windows(2).enumerate() {
            for &k in &buckets.keys[run[0] as usize..run[1] as usize] {
                f.insert(table(b), k);
            }
        }
    }
    f.words
}

/// Write `lists` as an offsets section (`lists.len() + 1` element offsets from 0) and a values
/// section (the lists concatenated).
pub(super) fn csr<W: Write + Seek, T: Pod, L: AsRef<[T]>>(
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

/// A scan saved into memory: the bytes [`save`] would write, as 8-byte words so that the arrays
/// can be viewed in place ([`Index::from_words`](super::Index::from_words)).
pub fn to_words(result: &ScanResult) -> Result<Vec<u64>> {
    segment_words(result, &SegmentExtra::default())
}

/// [`to_words`] for a live index's segment (see [`save_segment`]).
pub(crate) fn segment_words(result: &ScanResult, extra: &SegmentExtra) -> Result<Vec<u64>> {
    check_lengths(Path::new("(memory)"), result)?;
    let mut cursor = io::Cursor::new(Vec::new());
    let mut sw =
        SectionWriter::new(&mut cursor).map_err(|e| write_error(Path::new("(memory)"), e))?;
    write_sections(&mut sw, result, RuleVersions::current(), extra)
        .and_then(|()| sw.finish())
        .map_err(|e| write_error(Path::new("(memory)"), e))?;
    let bytes = cursor.into_inner();
    let mut words = vec![0u64; bytes.len().div_ceil(8)];
    bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..bytes.len()].copy_from_slice(&bytes);
    // The length in bytes is recovered from the section table; trailing padding is zero.
    Ok(words)
}

fn write_error(path: &Path, source: io::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Save a scan's signatures, statistics and shingle sets to `path` (layout in the module
/// documentation). The file is written to a temporary file in the same folder, synced, and
/// renamed into place, so `path` holds either the old file or the complete new one.
pub fn save(path: &Path, result: &ScanResult) -> Result<()> {
    save_with_rules(path, result, RuleVersions::current())
}

/// [`save`], recording `rules` as the line-rule and Unicode table versions: how the tests make a
/// file that an earlier or later build would have written.
#[doc(hidden)]
pub fn save_with_rules(path: &Path, result: &ScanResult, rules: RuleVersions) -> Result<()> {
    save_segment(path, result, rules, &SegmentExtra::default())
}

/// [`save`] for a live index's segment: `extra` gives its base entry, groups and tombstones.
pub(crate) fn save_segment(
    path: &Path,
    result: &ScanResult,
    rules: RuleVersions,
    extra: &SegmentExtra,
) -> Result<()> {
    check_lengths(path, result)?;
    let write_err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    // Temporary file, synced, renamed into place (see `atomic_write`).
    crate::atomic_write::write(path, true, |file| {
        let w = BufWriter::with_capacity(1 << 20, file);
        let mut sw = SectionWriter::new(w)?;
        write_sections(&mut sw, result, rules, extra)?;
        sw.finish()
    })
    .map_err(write_err)
}

fn check_lengths(path: &Path, result: &ScanResult) -> Result<()> {
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
    Ok(())
}
