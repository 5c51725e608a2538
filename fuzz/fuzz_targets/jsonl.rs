//! The JSON Lines reader on arbitrary bytes (plain, gzip or zstd), through format sniffing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use wirecopy::input::{read_stream, ReadCounts, ReadOptions, Sink};

fuzz_target!(|data: &[u8]| {
    // A small limit, so that the over-limit paths are reached by small inputs.
    let options = ReadOptions {
        max_record_size: 4096,
        ..ReadOptions::default()
    };
    let mut docs = 0u64;
    let mut skips = 0u64;
    let mut sink = Sink {
        on_doc: &mut |d, _| {
            assert!(!d.text.trim().is_empty());
            docs += 1;
        },
        on_skip: &mut |_| skips += 1,
        counts: ReadCounts::default(),
    };
    let p = Path::new("fuzz.jsonl");
    let _ = read_stream(Box::new(data), p, p, &options, &mut sink);
    let c = sink.counts;
    drop(sink);
    assert_eq!(c.documents, docs);
    assert_eq!(c.skipped + c.warnings, skips);
});
