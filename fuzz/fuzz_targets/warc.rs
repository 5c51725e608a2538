//! The WARC reader on arbitrary bytes, plain or gzip (see common.rs), with a small record size
//! limit so that the over-limit paths are reached.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use wirecopy::warc::{read_archive, Dialect};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let bytes = common::pack(data, b"WARC/");
    let mut docs = 0u64;
    let mut skips = 0u64;
    let r = read_archive(
        &bytes[..],
        Path::new("fuzz"),
        Dialect::Warc,
        4096,
        &mut |d, _| {
            assert!(!d.text.trim().is_empty());
            docs += 1;
        },
        &mut |_| skips += 1,
    );
    if let Ok(c) = r {
        assert_eq!(c.documents, docs);
        assert_eq!(c.skipped_broken, skips);
    }
});
