//! HTML decoding and main-text extraction on arbitrary bytes (issue #10). The first byte picks a
//! Content-Type header (none, charset-less, or one of a few charsets, some wrong on purpose); the
//! rest is the page. Extraction must return `Ok` or `Err`, never panic, overflow the stack or
//! run away; an `Ok` keeps its promises (no empty lines, the reported encoding is a real one).
//!
//! Run: `cargo +nightly fuzz run html_extract fuzz/seeds/html_extract -- -rss_limit_mb=2048`
//! (or `RUSTC_BOOTSTRAP=1 cargo fuzz run ...` on stable).
#![no_main]

use libfuzzer_sys::fuzz_target;

const CONTENT_TYPES: [Option<&str>; 8] = [
    None,
    Some("text/html"),
    Some("text/html; charset=utf-8"),
    Some("text/html; charset=windows-1252"),
    Some("text/html; charset=\"shift_jis\""),
    Some("text/html; charset=utf-16le"),
    Some("text/html; charset=x-unknown"),
    Some("application/xhtml+xml;charset=gb18030"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, page)) = data.split_first() else {
        return;
    };
    let ct = CONTENT_TYPES[usize::from(pick) % CONTENT_TYPES.len()];
    let url = (pick & 0x80 != 0).then_some("https://www.example.co.uk/news/a?x=1");
    if let Ok(e) = wirecopy::input::html::extract(page, url, ct) {
        assert!(!e.text.is_empty());
        assert!(e.text.lines().all(|l| !l.trim().is_empty()), "{:?}", e.text);
        // Header lines are single non-empty lines, so `--format text` prints one per line.
        assert!(
            e.header
                .iter()
                .all(|l| !l.trim().is_empty() && !l.contains('\n')),
            "{:?}",
            e.header
        );
        assert!(encoding_rs::Encoding::for_label(e.encoding.as_bytes()).is_some());
    }
});
