//! A saved index (`store::Index::open`) on arbitrary bytes: opening never panics, and an index
//! that opens answers every accessor without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wirecopy::store::Index;

fuzz_target!(|data: &[u8]| {
    // Index::open takes a path (it maps the file): one scratch file per fuzzing process.
    let path = std::env::temp_dir().join(format!("wirecopy-fuzz-index-{}", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok(ix) = Index::open(&path) {
        let _ = (ix.params(), ix.config(), ix.banding(), ix.sections());
        let _ = (ix.line_pages(), ix.stop_shingles(), ix.total_shingles());
        let _ = (ix.line_stats_global().len(), ix.line_stats_per_site().len());
        let _ = ix.shingle_df().to_vec();
        for (i, d) in ix.documents().iter().enumerate().take(64) {
            let _ = (d.doc_id(), d.published());
            let _ = (ix.signature(i), ix.shingle_set(i));
        }
        let _ = ix.signature(ix.len());
        let _ = ix.near_empty().len();
        let _ = ix.line_stats();
    }
});
