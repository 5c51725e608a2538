//! store/: how does a scan outlive the process?
//!
//! [`save`] writes what a scan learned — MinHash signatures, near-empty flags, line statistics,
//! shingle document frequencies and the shingle sets — with the parameters that made them to one
//! file; [`Index::open`] maps that file and hands out the arrays as slices of the mapping, without
//! copying or decoding them. An incremental index can thus start from a saved scan with the same
//! chrome verdicts and signatures (issue 3), and verify candidates exactly against the stored
//! sets.
//!
//! # Layout, format version 6
//!
//! All integers are little-endian; offsets count from the start of the file.
//!
//! | bytes            | content                                                              |
//! |------------------|----------------------------------------------------------------------|
//! | `0..8`           | magic `WIRECOPY`                                                     |
//! | `8..12`          | format version, u32 ([`FORMAT_VERSION`])                             |
//! | `12..16`         | endianness mark, u32 `0x01020304` (the bytes `04 03 02 01`)          |
//! | `16..20`         | section count `s`, u32 (36 in version 6)                             |
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
//! | 4, 5 | `line_global_keys`, `line_global_counts` | u64, u32 | [`LineStats::global`](crate::chrome::LineStats::global) as parallel arrays, keys strictly increasing |
//! | 6, 7 | `line_site_keys`, `line_site_counts`     | u64, u32 | [`LineStats::per_site`](crate::chrome::LineStats::per_site), likewise |
//! | 8, 9 | `df_keys`, `df_counts` | u64, u32 | shingle document frequencies of the stored sets, likewise |
//! | 10   | `set_offsets`        | u64     | `n + 1` offsets into `set_hashes`, starting at 0     |
//! | 11   | `set_hashes`         | u64     | document `i`'s shingle set is `set_hashes[set_offsets[i]..set_offsets[i + 1]]`, each strictly increasing |
//! | 12, 13 | `text_offsets`, `text_bytes` | u64, u8 | the documents' texts, UTF-8, in the same offsets-and-values form |
//! | 14, 15 | `content_offsets`, `content_rows` | u64, u32 | raw line numbers of each document's content lines |
//! | 16, 17 | `figure_offsets`, `figure_hashes` | u64, u64 | each document's content figures, strictly increasing |
//! | 18, 19 | `window_offsets`, `window_values` | u64, u32 | each document's window sketches, whole windows of `CHUNK_PERM` values |
//! | 20   | `edges`              | u64     | verified pairs `a << 32 | b` of entry numbers (below), `a < b`, `base <= b < base + n`, strictly increasing |
//! | 21   | `groups`             | u32     | each document's story group as an entry number: the first member of its story (guarded clustering of the pairs), or itself; a group at or after `base` is a document of this file that is its own group |
//! | 22   | `group_order`        | u32     | the documents ordered by `(group, document)`: a group's members are one run |
//! | 23   | `id_order`           | u32     | the documents ordered by `(id, document)` |
//! | 24   | `sites`              | u64     | each document's site hash (0 without a site) |
//! | 25   | `published`          | i64     | each document's publication time, Unix seconds, `i64::MAX` when undated |
//! | 26-28 | `band_offsets`, `band_keys`, `band_docs` | u64, u64, u32 | the LSH band table: `bands + 1` offsets, then `(key, document)` pairs as parallel arrays, each band's run ordered by `(key, document)`; near-empty documents are left out |
//! | 29-31 | `window_band_offsets`, `window_band_keys`, `window_band_docs` | u64, u64, u32 | the window sketches' band table, likewise (`CHUNK_BANDS` bands, each document's keys once) |
//! | 32   | `key_filter`         | u32     | a split-block Bloom filter (Parquet's SBBF: 256-bit blocks, eight salts) over every key of the line, shingle, band and window tables, each hashed as xxh3-64 of its eight bytes seeded by its table (1 line global, 2 line site, 3 shingle, `1 << 32 \| band`, `2 << 32 \| band`); `ceil(12 k / 256)` blocks (at least one) for `k` table entries; a lookup whose key it lacks skips its binary search |
//! | 33   | `dead`               | u32     | entry numbers removed when the file was written, strictly increasing, below `base + n` (empty for a batch scan) |
//! | 34, 35 | `doc_offsets`, `doc_records` | u64, u8 | each document's [`StoredDoc`], postcard, in the offsets-and-values form |
//! | 36   | `block_sums`         | u64     | xxh3-64 of each [`BLOCK`] (64 KiB) of the bytes from the end of the section table to the end of `doc_records` |
//!
//! Entry numbers: a live index numbers its documents across its segments, oldest first, and a
//! segment's document `i` is entry `base + i` (`base` is in the metadata; 0 for a batch scan,
//! whose entry numbers are its document numbers). Band and window tables and `group_order`
//! hold document numbers of the file; `edges`, `groups` and `dead` hold entry numbers, since a
//! segment of added pages links them to stories and pages of earlier segments.
//!
//! The metadata is postcard (varint integers, f64 as 8 bytes, `Option` as a 0/1 tag, strings and
//! vectors length-prefixed, enums by variant index) of, in field order: signature parameters
//! (shingle kind and size, `num_perm`, seed, normalizer version), the rule versions
//! ([`RuleVersions`]: line rules, Unicode tables of normalization and segmentation), the rest of the scan
//! configuration (unspaced scripts, threshold, containment, LSH threshold, explicit banding,
//! `min_shingles`, `max_run_pairs`, chrome and cluster settings), the banding used, the document
//! count, the page count of the line statistics, the number of stop shingles dropped, and
//! `base`. It does not grow with the documents: their records are in `doc_records`.
//!
//! The shingle sets are those *after* stop-shingle removal (what verification compares); the
//! shingle document frequencies are counted *before* it, over every content shingle, so the stop
//! shingles can be derived again from the stored counts and the configuration. Line statistics
//! are stored whole, so chrome verdicts reproduce exactly.
//!
//! [`Index::open`] checks every byte when a file is opened: header fields, the table's checksum,
//! each section's checksum, every block checksum, alignment, zero padding, no trailing bytes,
//! and the consistency of the arrays (lengths, sorted keys and sets, offsets, documents in range,
//! the orders the lookups rely on, every key held by the key filter). [`Index::open_lazy`], which a live index uses for its
//! segment, checks at open only what does not grow with the file (header, table, metadata,
//! block checksums, array lengths) and checks each 64 KiB block against its checksum the first
//! time anything in it is read; a block that fails makes that read come back empty and is kept
//! as [`Index::failure`], which the live index turns into an error instead of an answer. Every
//! accessor bounds-checks, so even a file crafted with valid checksums cannot make a read panic.
//! A damaged file is an [`Error`](crate::Error) naming the file and what is wrong, never a panic
//! or a wrong answer.
//!
//! Invariant: any change to what is written — a section, a metadata field, the meaning of a value
//! — bumps [`FORMAT_VERSION`]; a file of another version is refused, not guessed at. The metadata
//! is written from mirror structs declared once, in `store/metadata.rs`, filled by exhaustive destructuring of the
//! configuration types, so a field added to [`ScanConfig`](crate::ScanConfig), [`ChromeConfig`](crate::chrome::ChromeConfig) or [`ClusterConfig`](crate::cluster::ClusterConfig)
//! fails to compile here until the format (and its version) follows. Hashes stored are xxh3,
//! whose output is fixed by its specification.

mod filter;
mod format;
mod metadata;
mod reader;
mod writer;

pub use format::{Section, SectionKind, BLOCK, FORMAT_VERSION, MAGIC};
pub use metadata::{RuleVersions, StoredDoc};
pub use reader::{Counts, Index};
pub use writer::{save, save_with_rules, to_words};
pub(crate) use writer::{save_segment, segment_words, SegmentExtra};

#[cfg(test)]
mod tests {
    use super::format::{ENDIAN_MARK, ENTRY_LEN, HEADER_LEN};
    use super::reader::Layout;
    use super::*;
    use crate::document::{DocId, Published};
    use crate::error::{Error, Result};
    use crate::pipeline::{scan, Quiet, ScanConfig, ScanResult};
    use crate::Document;
    use proptest::prelude::*;
    use std::path::{Path, PathBuf};
    use xxhash_rust::xxh3::xxh3_64;

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

    /// `check` (a layout parser) on `bytes` copied to an 8-byte aligned buffer, as a mapping
    /// would be.
    fn aligned(bytes: &[u8], check: fn(&[u8], &Path) -> Result<Layout>) -> Result<Layout> {
        let mut buf = vec![0u64; bytes.len().div_ceil(8)];
        let b: &mut [u8] = bytemuck::cast_slice_mut(&mut buf);
        b[..bytes.len()].copy_from_slice(bytes);
        check(&b[..bytes.len()], Path::new("test.idx"))
    }

    fn parse(bytes: &[u8]) -> Result<Layout> {
        aligned(bytes, Layout::parse)
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

    /// `bytes` with every checksum computed again over what they now hold: a crafted file that
    /// only the array checks can refuse.
    fn resealed(mut bytes: Vec<u8>) -> Vec<u8> {
        let layout = aligned(&bytes, Layout::parse_lazy).expect("the header and table still parse");
        let region = layout.region.clone();
        let sums: Vec<u64> = bytes[region].chunks(BLOCK).map(xxh3_64).collect();
        bytes[layout.sums.clone()].copy_from_slice(bytemuck::cast_slice(&sums));
        let table_start = HEADER_LEN;
        for (i, range) in layout.ranges.iter().enumerate() {
            let at = table_start + i * ENTRY_LEN + 24;
            let sum = xxh3_64(&bytes[range.clone()]);
            bytes[at..at + 8].copy_from_slice(&sum.to_le_bytes());
        }
        let table_end = table_start + layout.ranges.len() * ENTRY_LEN;
        let sum = xxh3_64(&bytes[table_start..table_end]);
        bytes[24..32].copy_from_slice(&sum.to_le_bytes());
        bytes
    }

    #[test]
    fn a_key_filter_that_lacks_a_key_is_refused_even_with_good_checksums() {
        let (_dir, path, _) = saved();
        let good = std::fs::read(&path).expect("read");
        assert!(
            parse(&resealed(good.clone())).is_ok(),
            "resealing alone changes nothing"
        );
        let layout = parse(&good).expect("parses");
        let filter = layout.ranges[SectionKind::KeyFilter as usize].clone();
        assert!(!filter.is_empty());
        let mut bad = good;
        bad[filter].fill(0);
        let e = parse(&resealed(bad)).expect_err("an empty filter would answer 'absent'");
        assert!(e.to_string().contains("key_filter lacks key"), "{e}");
    }

    #[test]
    fn lookups_find_every_key_through_the_filter() {
        let (_dir, path, r) = saved();
        let ix = Index::open_lazy(&path).expect("opens");
        for &(k, c) in &r.shingle_df {
            assert_eq!(ix.df_count(k), c);
        }
        for &(k, c) in &r.line_stats.global {
            assert_eq!(ix.line_global_count(k), c);
        }
        for &(k, c) in &r.line_stats.per_site {
            assert_eq!(ix.line_site_count(k), c);
        }
        // Absent keys count 0 whether the filter or the search answers.
        for k in 0..1000u64 {
            if r.shingle_df.binary_search_by_key(&k, |e| e.0).is_err() {
                assert_eq!(ix.df_count(k), 0);
            }
        }
        // A band past the table (even one whose end overflows) is an empty bucket.
        for band in [r.banding.bands, usize::MAX] {
            assert!(ix.band_bucket(band, 1).is_empty());
            assert!(ix.window_bucket(band, 1).is_empty());
        }
        assert!(ix.failure().is_none());
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
