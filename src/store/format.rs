//! store/format.rs: what are the fixed parts of an index file? The magic, the format version,
//! the header constants and the section kinds with their element widths (layout in `store/mod.rs`).

/// The first eight bytes of every index file.
pub const MAGIC: [u8; 8] = *b"WIRECOPY";
/// The layout version this build writes and reads.
pub const FORMAT_VERSION: u32 = 6;
/// Written as a little-endian u32: a byte-swapped reading reveals a big-endian writer.
pub(super) const ENDIAN_MARK: u32 = 0x0102_0304;
pub(super) const HEADER_LEN: usize = 32;
pub(super) const ENTRY_LEN: usize = 32;
pub(super) const ALIGN: usize = 8;
/// The bytes covered by one entry of the block checksums (64 KiB).
pub const BLOCK: usize = 1 << 16;

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
    /// The story group of each document: the first member of its story, or itself.
    Groups,
    /// The documents ordered by `(group, document)`: each group's members as one run.
    GroupOrder,
    /// The documents ordered by `(id, document)`: lookup by id.
    IdOrder,
    /// The site hash of each document (0 without a site).
    Sites,
    /// The publication time of each document, Unix seconds (`i64::MAX` when undated).
    Published,
    /// `bands + 1` offsets into the band table, one run per band.
    BandOffsets,
    /// The band table's keys, each band's run ordered by `(key, document)`.
    BandKeys,
    /// The band table's documents, parallel to the keys.
    BandDocs,
    /// `CHUNK_BANDS + 1` offsets into the window table, one run per window band.
    WindowBandOffsets,
    /// The window table's keys, each band's run ordered by `(key, document)`.
    WindowBandKeys,
    /// The window table's documents, parallel to the keys.
    WindowBandDocs,
    /// A split-block Bloom filter over the keys of the line, shingle, band and window tables
    /// (`store/filter.rs`): 32-bit words, eight per block.
    KeyFilter,
    /// Entries of this segment and the segments before it that were removed when it was
    /// written, strictly increasing (a live index's tombstones; empty for a batch scan).
    Dead,
    /// `n + 1` offsets into the document records.
    DocOffsets,
    /// Each document's [`StoredDoc`](super::StoredDoc), postcard, concatenated.
    DocRecords,
    /// xxh3-64 of each [`BLOCK`]-byte block of the bytes from the end of the section table to
    /// the end of the section before this one: what lets a reader check only what it reads.
    BlockSums,
}

impl SectionKind {
    /// Every kind, in file order.
    pub const ALL: [SectionKind; 36] = [
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
        SectionKind::Groups,
        SectionKind::GroupOrder,
        SectionKind::IdOrder,
        SectionKind::Sites,
        SectionKind::Published,
        SectionKind::BandOffsets,
        SectionKind::BandKeys,
        SectionKind::BandDocs,
        SectionKind::WindowBandOffsets,
        SectionKind::WindowBandKeys,
        SectionKind::WindowBandDocs,
        SectionKind::KeyFilter,
        SectionKind::Dead,
        SectionKind::DocOffsets,
        SectionKind::DocRecords,
        SectionKind::BlockSums,
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
            SectionKind::Groups => "groups",
            SectionKind::GroupOrder => "group_order",
            SectionKind::IdOrder => "id_order",
            SectionKind::Sites => "sites",
            SectionKind::Published => "published",
            SectionKind::BandOffsets => "band_offsets",
            SectionKind::BandKeys => "band_keys",
            SectionKind::BandDocs => "band_docs",
            SectionKind::WindowBandOffsets => "window_band_offsets",
            SectionKind::WindowBandKeys => "window_band_keys",
            SectionKind::WindowBandDocs => "window_band_docs",
            SectionKind::KeyFilter => "key_filter",
            SectionKind::Dead => "dead",
            SectionKind::DocOffsets => "doc_offsets",
            SectionKind::DocRecords => "doc_records",
            SectionKind::BlockSums => "block_sums",
        }
    }

    /// Bytes per element.
    pub fn width(self) -> usize {
        match self {
            SectionKind::Meta
            | SectionKind::NearEmpty
            | SectionKind::TextBytes
            | SectionKind::DocRecords => 1,
            SectionKind::Signatures
            | SectionKind::ContentRows
            | SectionKind::WindowValues
            | SectionKind::LineGlobalCounts
            | SectionKind::LineSiteCounts
            | SectionKind::DfCounts
            | SectionKind::Groups
            | SectionKind::GroupOrder
            | SectionKind::IdOrder
            | SectionKind::BandDocs
            | SectionKind::WindowBandDocs
            | SectionKind::KeyFilter
            | SectionKind::Dead => 4,
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
            | SectionKind::Edges
            | SectionKind::Sites
            | SectionKind::Published
            | SectionKind::BandOffsets
            | SectionKind::BandKeys
            | SectionKind::WindowBandOffsets
            | SectionKind::WindowBandKeys
            | SectionKind::DocOffsets
            | SectionKind::BlockSums => 8,
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
