//! Saved indexes (issue 3): a scan saved and opened again gives back every array it had;
//! damaged, truncated or foreign files are typed errors; the CLI saves and checks them.

mod common;

use assert_cmd::Command;
use std::path::Path;
use wirecopy::chrome;
use wirecopy::input::{parse_record, FieldMap};
use wirecopy::minhash::SignatureParams;
use wirecopy::normalize::NORMALIZER_VERSION;
use wirecopy::pipeline::{scan, Quiet, ScanConfig, ScanResult};
use wirecopy::store::{save, to_words, Index, FORMAT_VERSION, MAGIC};
use wirecopy::{Document, Error};

fn small_scan() -> ScanResult {
    let docs: Vec<Document> = common::small_corpus()
        .iter()
        .map(|v| parse_record(&v.to_string(), &FieldMap::default()).expect("valid record"))
        .collect();
    scan(docs, &ScanConfig::default(), &Quiet).expect("valid configuration")
}

fn saved() -> (tempfile::TempDir, std::path::PathBuf, ScanResult) {
    let result = small_scan();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("small.idx");
    save(&path, &result).expect("saved");
    (dir, path, result)
}

#[test]
fn round_trip_gives_back_every_section() {
    let (_dir, path, r) = saved();
    let ix = Index::open(&path).expect("opens");
    assert_eq!(ix.len(), r.docs.len());
    assert!(!r.clusters.is_empty(), "the corpus has copies");
    assert_eq!(ix.params(), &r.config.signature_params());
    assert_eq!(ix.config(), &r.config);
    assert_eq!(ix.banding(), r.banding);
    assert_eq!(ix.signatures(), r.signatures.as_slice());
    let flags: Vec<bool> = ix.near_empty().iter().map(|&f| f == 1).collect();
    assert_eq!(flags, r.near_empty);
    assert_eq!(ix.line_pages(), r.line_stats.pages);
    assert_eq!(ix.line_stats_global().to_vec(), r.line_stats.global);
    assert_eq!(ix.line_stats_per_site().to_vec(), r.line_stats.per_site);
    // Story groups are counted, not pages: never more than the pages holding a shingle.
    let df = r.shingle_df.clone();
    assert_eq!(ix.shingle_df().to_vec(), df);
    let pages = chrome::shingle_df(&r.sets);
    assert!(df.iter().all(|&(h, n)| {
        pages
            .binary_search_by_key(&h, |&(k, _)| k)
            .map_or(true, |i| n <= pages[i].1)
    }));
    if let Some(&(h, n)) = df.first() {
        assert_eq!(ix.shingle_df().get(h), n);
    }
    assert_eq!(ix.stop_shingles(), r.stop_shingles as u64);
    for i in 0..r.docs.len() {
        assert_eq!(ix.shingle_set(i), Some(r.sets[i].as_slice()));
        let d = &ix.documents()[i];
        assert_eq!(d.doc_id(), r.docs[i].id);
        assert_eq!(d.url, r.docs[i].url);
        assert_eq!(d.title, r.docs[i].title);
        assert_eq!(d.published(), r.docs[i].published);
    }
    // Verification works from the index alone: the stored sets give the scan's similarities.
    for e in &r.edges {
        let (a, b) = (e.a as usize, e.b as usize);
        let sim = wirecopy::verify::similarity(
            ix.shingle_set(a).expect("in range"),
            ix.shingle_set(b).expect("in range"),
        );
        assert_eq!(sim, e.sim);
    }
}

#[test]
fn a_changed_byte_in_a_section_fails_its_checksum() {
    let (_dir, path, _) = saved();
    let mut bytes = std::fs::read(&path).expect("read");
    let ix = Index::open(&path).expect("opens");
    let sig = ix
        .sections()
        .iter()
        .find(|s| s.kind.name() == "signatures")
        .copied()
        .expect("signature section");
    drop(ix);
    bytes[sig.offset as usize + 5] ^= 1;
    std::fs::write(&path, &bytes).expect("write");
    match Index::open(&path) {
        Err(Error::IndexChecksum {
            section, path: p, ..
        }) => {
            assert_eq!(section, "signatures");
            assert_eq!(p, path);
        }
        other => panic!("expected a checksum error, got {other:?}"),
    }
}

#[test]
fn truncated_files_are_errors() {
    let (_dir, path, _) = saved();
    let bytes = std::fs::read(&path).expect("read");
    for len in [0, 7, 31, 100, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(&path, &bytes[..len]).expect("write");
        let e = Index::open(&path).expect_err("truncated");
        assert!(
            matches!(e, Error::CorruptIndex { .. } | Error::IndexChecksum { .. }),
            "{len}: {e}"
        );
        assert!(e.to_string().contains("small.idx"), "{e}");
    }
}

#[test]
fn wrong_magic_and_version_are_refused() {
    let (_dir, path, _) = saved();
    let good = std::fs::read(&path).expect("read");
    let mut bad = good.clone();
    bad[..8].copy_from_slice(b"NOTWIREC");
    std::fs::write(&path, &bad).expect("write");
    let e = Index::open(&path).expect_err("bad magic");
    assert!(e.to_string().contains("not a wirecopy index"), "{e}");
    let mut bad = good;
    assert_eq!(bad[..8], MAGIC);
    bad[8] = 99;
    std::fs::write(&path, &bad).expect("write");
    let e = Index::open(&path).expect_err("bad version");
    assert!(matches!(e, Error::UnsupportedIndex { .. }), "{e}");
}

#[test]
fn incompatible_parameters_are_a_typed_error() {
    let (_dir, path, r) = saved();
    let ix = Index::open(&path).expect("opens");
    assert!(ix.check_compatible(&r.config.signature_params()).is_ok());
    let other = SignatureParams::new(r.config.shingle, 64, r.config.seed);
    match ix.check_compatible(&other) {
        Err(Error::MismatchNumPerm { left, right }) => assert_eq!((left, right), (128, 64)),
        x => panic!("expected MismatchNumPerm, got {x:?}"),
    }
}

/// `wirecopy index-info FILE`, run.
fn index_info(idx: &std::path::Path) -> std::process::Output {
    Command::cargo_bin("wirecopy")
        .expect("binary")
        .arg("index-info")
        .arg(idx)
        .output()
        .expect("runs")
}

#[test]
fn cli_saves_and_checks_an_index() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("corpus.jsonl");
    std::fs::write(&input, common::to_jsonl(&common::small_corpus())).expect("write");
    let idx = dir.path().join("corpus.idx");
    let out = Command::cargo_bin("wirecopy")
        .expect("binary")
        .args(["scan", "--quiet", "--format", "jsonl", "--save-index"])
        .arg(&idx)
        .arg(&input)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let info = index_info(&idx);
    assert_eq!(info.status.code(), Some(0));
    let text = String::from_utf8(info.stdout).expect("utf8");
    assert!(text.contains("all checksums ok"), "{text}");
    assert!(text.contains("documents     13"), "{text}");

    let mut bytes = std::fs::read(&idx).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&idx, &bytes).expect("write");
    let info = index_info(&idx);
    assert_eq!(info.status.code(), Some(1));
    let err = String::from_utf8(info.stderr).expect("utf8");
    assert!(err.contains("fails its checksum"), "{err}");
}

// ---- Compatibility: an index written by an earlier build (tests/fixtures/README.md) ----

/// The fixtures with the format and normalizer versions they were written with; these never
/// change with the code (a new format version adds a fixture).
const FIXTURES: [(u32, u32, &str); 5] = [
    (2, 2, "index-v2.idx"),
    (3, 3, "index-v3.idx"),
    (4, 3, "index-v4.idx"),
    (5, 4, "index-v5.idx"),
    (6, 4, "index-v6.idx"),
];

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/compat")
        .join(name)
}

fn fixture_docs() -> Vec<Document> {
    let text = std::fs::read_to_string(fixture("corpus.jsonl")).expect("fixture corpus");
    text.lines()
        .map(|l| parse_record(l, &FieldMap::default()).expect("valid record"))
        .collect()
}

#[test]
fn every_fixture_opens_or_is_refused_by_version() {
    for (version, normalizer, name) in FIXTURES {
        check_fixture(version, normalizer, name);
    }
}

#[allow(non_snake_case)] // FIXTURE_VERSION and FIXTURE_NORMALIZER read as the constants they were.
fn check_fixture(FIXTURE_VERSION: u32, FIXTURE_NORMALIZER: u32, name: &str) {
    let path = fixture(name);
    match Index::open(&path) {
        Ok(ix) => {
            assert_eq!(
                FORMAT_VERSION, FIXTURE_VERSION,
                "a file of another version opened"
            );
            assert_eq!(ix.format_version(), FIXTURE_VERSION);
            // Scanned again with the configuration the file records, the corpus gives back
            // every array the file holds: the format and its reader agree with the writer.
            let r = scan(fixture_docs(), ix.config(), &Quiet).expect("stored config is valid");
            assert_eq!(ix.len(), 5);
            assert_eq!(ix.len(), r.docs.len());
            for (i, d) in ix.documents().iter().enumerate() {
                assert_eq!(d.doc_id(), r.docs[i].id);
                assert_eq!(d.url, r.docs[i].url);
                assert_eq!(d.published(), r.docs[i].published);
            }
            // The fixture was written under normalizer FIXTURE_NORMALIZER; a build with a later
            // normalizer must refuse to compare with it, typed, naming both versions.
            match ix.check_compatible(&r.config.signature_params()) {
                Ok(()) => assert_eq!(NORMALIZER_VERSION, FIXTURE_NORMALIZER),
                Err(e) => assert!(
                    matches!(e, Error::MismatchNormalizer { left: FIXTURE_NORMALIZER, right }
                        if right == NORMALIZER_VERSION && right != FIXTURE_NORMALIZER),
                    "{e}"
                ),
            }
            // The reader gives back what the writer wrote: the fixture corpus is ASCII English,
            // which normalizer versions 2 to 4 cut into the same units and line rules 1 to 3 into
            // the same content, so a scan by this build gives the same arrays. A later change
            // that alters ASCII units or English content lines fails here, and must then
            // compare only what it left alone.
            assert_eq!(ix.signatures(), r.signatures.as_slice());
            for i in 0..r.docs.len() {
                assert_eq!(ix.shingle_set(i), Some(r.sets[i].as_slice()), "doc {i}");
            }
            let flags: Vec<bool> = ix.near_empty().iter().map(|&f| f == 1).collect();
            assert_eq!(flags, r.near_empty);
            assert_eq!(ix.line_stats_global().to_vec(), r.line_stats.global);
            assert_eq!(ix.line_stats_per_site().to_vec(), r.line_stats.per_site);
            assert_eq!(ix.shingle_df().to_vec(), r.shingle_df);
            // The live index's lookup tables (format 4) are what this build derives.
            let fresh =
                Index::from_words(to_words(&r).expect("saves"), Path::new("fresh")).expect("opens");
            assert_eq!(ix.groups(), fresh.groups());
            assert_eq!(ix.group_order(), fresh.group_order());
            assert_eq!(ix.id_order(), fresh.id_order());
            assert_eq!(ix.sites(), fresh.sites());
            assert_eq!(ix.published(), fresh.published());
            assert_eq!(ix.band_table(), fresh.band_table());
            assert_eq!(ix.window_table(), fresh.window_table());
            // A batch scan's segment starts at entry 0 and holds no tombstones (format 5).
            assert_eq!((ix.base(), ix.dead()), (0, &[][..]));
            // The fixture holds a story of three pages: one group, named by its first member.
            let groups = ix.groups();
            assert!(
                (0..groups.len()).any(|g| groups.iter().filter(|&&x| x as usize == g).count() == 3),
                "{groups:?}"
            );
        }
        Err(e) => {
            assert_ne!(FORMAT_VERSION, FIXTURE_VERSION, "this build wrote it: {e}");
            assert!(matches!(e, Error::UnsupportedIndex { .. }), "{e}");
            let msg = e.to_string();
            assert!(msg.contains(name), "{msg}");
            assert!(
                msg.contains(&format!("format version {FIXTURE_VERSION}")),
                "{msg}"
            );
        }
    }
}

#[test]
fn an_index_of_another_format_version_is_refused_with_both_versions() {
    let good = std::fs::read(fixture("index-v2.idx")).expect("fixture");
    let dir = tempfile::tempdir().expect("temp dir");
    for other in [0, 1, FORMAT_VERSION + 1, u32::MAX] {
        if other == FORMAT_VERSION {
            continue;
        }
        let mut bytes = good.clone();
        bytes[8..12].copy_from_slice(&other.to_le_bytes());
        let path = dir.path().join(format!("v{other}.idx"));
        std::fs::write(&path, &bytes).expect("write");
        let e = Index::open(&path).expect_err("another version");
        assert!(matches!(e, Error::UnsupportedIndex { .. }), "{e}");
        assert_eq!(
            e.to_string(),
            format!(
                "index {}: format version {other}, this build reads version {FORMAT_VERSION} only: save the index again",
                path.display()
            )
        );
        // The command line says the same and exits 1.
        let info = index_info(&path);
        assert_eq!(info.status.code(), Some(1));
        let err = String::from_utf8(info.stderr).expect("utf8");
        assert!(
            err.contains(&format!(
                "format version {other}, this build reads version {FORMAT_VERSION} only"
            )),
            "{err}"
        );
    }
}
