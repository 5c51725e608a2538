//! Hostile pages (issue #10): deep nesting must neither overflow a stack nor take quadratic
//! time. The tests assert results and counts of work (the tags dropped and nodes moved by the
//! nesting bounds), never time. Every case runs on rayon workers, whose stacks are 2 MiB, as
//! extraction does in a scan.

use wirecopy::input::html::{extract, Bounded, MAX_DEPTH};

/// Extract on a rayon worker of a fresh two-thread pool (default worker stacks).
fn extract_on_worker(html: String) -> Result<wirecopy::input::html::Extracted, wirecopy::Error> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool")
        .install(move || extract(html.as_bytes(), Some("https://example.com/a"), None))
}

const WORDS: &str = "some words of text here";

#[test]
fn nested_inline_tags_do_not_overflow_the_stack() {
    let html = format!("{}<p>{WORDS}</p>", "<b><i><span><a>".repeat(20_000));
    let e = extract_on_worker(html).expect("a page with text");
    assert!(e.text.contains(WORDS), "{}", e.text);
    assert!(e.bounded.degraded());
}

#[test]
fn nested_inline_tags_without_text_are_an_error_not_a_crash() {
    let html = "<b><i><span><a>".repeat(20_000);
    assert!(matches!(
        extract_on_worker(html),
        Err(wirecopy::Error::BadPayload(_))
    ));
}

#[test]
fn deep_divs_are_cut_at_the_bound() {
    for n in [10_000, 100_000] {
        let html = format!("{}<p>{WORDS}</p>", "<div>".repeat(n));
        let e = extract_on_worker(html).expect("a page with text");
        assert_eq!(e.text, WORDS);
        // The work is bounded by the depth cap: every div beyond it was dropped unparsed.
        assert!(
            (n - MAX_DEPTH..=n).contains(&e.bounded.dropped_tags),
            "{n}: {:?}",
            e.bounded
        );
    }
}

#[test]
fn closed_deep_divs_keep_their_text() {
    let n = 50_000;
    let html = format!(
        "<html><body>{}<p>{WORDS}</p>{}<p>after</p></body></html>",
        "<div>".repeat(n),
        "</div>".repeat(n)
    );
    let e = extract_on_worker(html).expect("a page with text");
    assert!(e.text.contains(WORDS), "{}", e.text);
}

#[test]
fn formatting_elements_reopened_by_the_parser_are_bounded() {
    // Each `<b id=k>` closed by `</p>` is re-opened by the parser in every later paragraph: a
    // linear page that builds a quadratic, ever deeper tree without the bounds.
    let html: String = (0..20_000)
        .map(|k| format!("<p><b id={k}>{WORDS} {k}</p>"))
        .collect();
    let e = extract_on_worker(html).expect("a page with text");
    assert!(e.text.contains("some words of text here 19999"));
    assert!(e.bounded.dropped_tags > 0);
}

#[test]
fn deep_lists_and_tables_keep_their_text() {
    let html = format!(
        "{}<li>{WORDS}{}",
        "<ul><li>".repeat(30_000),
        "<table><tr><td>".repeat(10_000)
    );
    let e = extract_on_worker(html).expect("a page with text");
    assert!(e.text.contains(WORDS), "{}", e.text);
}

#[test]
fn ordinary_pages_are_not_bounded() {
    let html = format!(
        "<html><body><article><h1>Title</h1>{}</article></body></html>",
        format!("<p>{WORDS} and a few more words of the story.</p>").repeat(20)
    );
    let e = extract_on_worker(html).expect("a page with text");
    assert_eq!(e.bounded, Bounded::default());
}
