//! A saved index (`store::Index::open`) on arbitrary bytes: opening never panics, and an index
//! that opens answers every accessor without panicking. Opened lazily (as a live index opens its
//! segments: blocks checked when first read), every lookup, key filter included, answers
//! without panicking, and damage it meets is kept as the index's failure.
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
    if let Ok(ix) = Index::open_lazy(&path) {
        // Keys the file holds (when its arrays can be read) and keys taken from the input.
        let mut keys: Vec<u64> = data
            .chunks_exact(8)
            .take(16)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect();
        keys.extend(ix.shingle_df().iter().take(16).map(|(k, _)| k));
        for &k in &keys {
            let _ = (ix.line_global_count(k), ix.line_site_count(k), ix.df_count(k));
            for band in [0, 1, usize::MAX] {
                let _ = (ix.band_bucket(band, k).len(), ix.window_bucket(band, k).len());
            }
            let _ = ix.group_members(k as u32).len();
        }
        let _ = ix.find_id("a");
        let _ = ix.failure();
    }
});
