//! Folders of `.html` files and single pages, through the library's public entry points.

use wirecopy::html::{self, Format};
use wirecopy::DocId;

const STORY: &str = "<html><head><title>Ferry service resumes</title>\
    <link rel='canonical' href='https://www.coastnews.example.co.uk/ferry'></head><body>\
    <nav><a href='/'>Home</a></nav><article><h1>Ferry service resumes</h1>\
    <p>The island ferry resumed its normal timetable on Monday after three days of cancellations \
    caused by high winds, the operator said in a statement to passengers.</p>\
    <ul><li>First sailing at six</li><li>Last sailing at ten</li></ul>\
    <p>Travellers with cancelled tickets can rebook free of charge until the end of the month, \
    and the operator apologised for the disruption to island businesses.</p></article>\
    <footer>All rights reserved</footer></body></html>";

#[test]
fn folder_of_pages_in_path_order_with_bad_pages_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("sub")).unwrap();
    std::fs::write(tmp.path().join("sub/b.html"), STORY).unwrap();
    std::fs::write(tmp.path().join("a.htm"), STORY.replace("Monday", "Tuesday")).unwrap();
    std::fs::write(tmp.path().join("broken.html"), b"\0\x01\x02\x03binary").unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "not a page").unwrap();
    let mut docs = Vec::new();
    let mut skips = Vec::new();
    let n = html::read_html_dir(tmp.path(), &mut |d| docs.push(d), &mut |e| {
        skips.push(e.to_string())
    })
    .unwrap();
    assert_eq!(n, 2);
    assert_eq!(docs[0].id, DocId::Str("a.htm".into()));
    assert_eq!(
        docs[1].id,
        DocId::Str(format!("sub{}b.html", std::path::MAIN_SEPARATOR))
    );
    assert_eq!(
        docs[1].url.as_deref(),
        Some("https://www.coastnews.example.co.uk/ferry")
    );
    assert_eq!(docs[1].site.as_deref(), Some("example.co.uk"));
    assert!(docs[0].text.contains("Tuesday"));
    assert_eq!(skips.len(), 1);
    assert!(
        skips[0].contains("broken.html") && skips[0].contains("binary"),
        "{skips:?}"
    );
}

#[test]
fn one_item_per_line_and_json_rendering() {
    let e = html::extract(
        STORY.as_bytes(),
        Some("https://m.coastnews.example.co.uk/x"),
        None,
    )
    .unwrap();
    let lines: Vec<&str> = e.text.lines().collect();
    assert!(lines.contains(&"First sailing at six"), "{lines:?}");
    assert!(lines.contains(&"Last sailing at ten"), "{lines:?}");
    assert!(!e.text.contains("All rights reserved"));
    let text = html::render(&e, Format::Text);
    assert!(text.ends_with('\n') && text.starts_with(&lines[0][..5]));
    let j: serde_json::Value = serde_json::from_str(&html::render(&e, Format::Json)).unwrap();
    assert_eq!(j["url"], "https://m.coastnews.example.co.uk/x");
    assert_eq!(j["site"], "example.co.uk");
    assert_eq!(j["title"], "Ferry service resumes");
    assert_eq!(j["published"], serde_json::Value::Null);
}

#[test]
fn document_from_html_for_jsonl_lines() {
    let d = html::document_from_html(
        DocId::Num("7".into()),
        STORY.as_bytes(),
        Some("http://amp.coastnews.example.co.uk/f"),
    )
    .unwrap();
    assert_eq!(d.id, DocId::Num("7".into()));
    assert_eq!(d.site.as_deref(), Some("example.co.uk"));
    assert_eq!(d.title.as_deref(), Some("Ferry service resumes"));
}
