//! Folders of `.html` files and single pages, through the library's public entry points.

use wirecopy::input::html::{self, Format};
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
    std::fs::write(tmp.path().join("broken.html"), b"<\0\x01\x02\x03binary").unwrap();
    let mut skips = Vec::new();
    let (docs, counts) = wirecopy::input::read_documents(
        &[tmp.path().to_path_buf()],
        &wirecopy::input::ReadOptions::default(),
        &mut |e| skips.push(e.to_string()),
    )
    .unwrap();
    assert_eq!(counts.documents, 2);
    assert_eq!(docs[0].id, DocId::Str("a.htm".into()));
    assert_eq!(docs[1].id, DocId::Str("sub/b.html".into()));
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
    // Readability leaves the headline out of the main text; the text format prints it above.
    assert_eq!(e.header, ["Ferry service resumes"]);
    assert!(!e.text.contains("Ferry service resumes"), "{}", e.text);
    let text = html::render(&e, Format::Text);
    assert!(text.ends_with('\n'), "{text}");
    assert!(
        text.starts_with(&format!("Ferry service resumes\n{}\n", lines[0])),
        "{text}"
    );
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

#[test]
fn cli_extract_reads_stdin_and_prints_json() {
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_wirecopy"))
        .args([
            "extract",
            "-",
            "--url",
            "https://www.coastnews.example.co.uk/f",
            "--format",
            "json",
        ])
        .write_stdin(STORY)
        .output()
        .unwrap();
    assert!(out.status.success());
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["site"], "example.co.uk");
    assert!(j["text"].as_str().unwrap().contains("First sailing at six"));
    let text = assert_cmd::Command::new(env!("CARGO_BIN_EXE_wirecopy"))
        .args(["extract", "-"])
        .write_stdin(STORY)
        .output()
        .unwrap();
    assert_eq!(j["header"], serde_json::json!(["Ferry service resumes"]));
    assert!(String::from_utf8_lossy(&text.stdout)
        .starts_with("Ferry service resumes\nThe island ferry resumed"));
}

#[test]
fn a_page_saved_gzipped_is_extracted_like_the_page_and_a_bomb_is_refused() {
    use std::io::Write;
    let gz = |bytes: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    };
    let tmp = tempfile::tempdir().unwrap();
    let (plain, zipped) = (tmp.path().join("p.html"), tmp.path().join("p.html.gz"));
    std::fs::write(&plain, STORY).unwrap();
    std::fs::write(&zipped, gz(STORY.as_bytes())).unwrap();
    let a = html::extract_file(&plain, None).unwrap();
    let b = html::extract_file(&zipped, None).unwrap();
    assert_eq!((a.header, a.text), (b.header, b.text));
    // More than the record size limit once decompressed: an error naming the file, not the
    // whole bomb in memory.
    let bomb = tmp.path().join("bomb.html.gz");
    let size = wirecopy::input::DEFAULT_MAX_RECORD_SIZE as usize + 1;
    std::fs::write(&bomb, gz(&vec![b' '; size])).unwrap();
    let err = html::extract_file(&bomb, None).unwrap_err().to_string();
    assert!(err.contains("bomb.html.gz"), "{err}");
}

#[test]
fn cli_scan_folder_of_pages_finds_the_copy_and_reports_bad_pages() {
    let tmp = tempfile::tempdir().unwrap();
    let other = "<html><body><article><p>A completely different report about the regional \
        orchestra, which announced a new conductor and a season of free concerts in village halls \
        across the county, starting with a programme of folk songs in early spring.</p></article>\
        </body></html>";
    std::fs::write(tmp.path().join("a.html"), STORY).unwrap();
    std::fs::write(
        tmp.path().join("b.html"),
        STORY.replace("Ferry service resumes", "Ferries back"),
    )
    .unwrap();
    std::fs::write(tmp.path().join("c.html"), other).unwrap();
    std::fs::write(tmp.path().join("d.html"), b"\0\0\0binary").unwrap();
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_wirecopy"))
        .arg("scan")
        .arg(tmp.path())
        .args(["--format", "jsonl", "--quiet", "--min-shingles", "5"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("d.html"));
    let ids = only_cluster_ids(&out.stdout);
    assert_eq!(ids, ["a.html", "b.html"]);
}

#[test]
fn cli_scan_reads_common_crawl_wet_files() {
    use std::io::Write;
    let text = "The island ferry resumed its normal timetable on Monday after three days of \
        cancellations caused by high winds, the operator said in a statement to passengers.\n\
        Travellers with cancelled tickets can rebook free of charge until the end of the month, \
        and the operator apologised for the disruption to island businesses.\n";
    let other = "A completely different report about the regional orchestra, which announced a \
        new conductor and a season of free concerts in village halls across the county.\n";
    let mut gz = Vec::new();
    for (i, (uri, body)) in [
        ("https://www.coastnews.example.co.uk/f", text),
        ("https://islandtimes.example.org/ferry", text),
        ("https://music.example.net/o", other),
    ]
    .iter()
    .enumerate()
    {
        let rec = format!(
            "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: {uri}\r\n\
             WARC-Record-ID: <urn:uuid:{i}>\r\nContent-Type: text/plain\r\n\
             Content-Length: {}\r\n\r\n{body}\r\n\r\n",
            body.len()
        );
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(rec.as_bytes()).unwrap();
        gz.extend(e.finish().unwrap());
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("CC-MAIN-test.warc.wet.gz");
    std::fs::write(&path, gz).unwrap();
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_wirecopy"))
        .arg("scan")
        .arg(&path)
        .args(["--format", "jsonl", "--quiet", "--min-shingles", "5"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids = only_cluster_ids(&out.stdout);
    assert_eq!(ids, ["urn:uuid:0", "urn:uuid:1"]);
}

#[test]
fn cli_scan_counts_non_html_warc_records_without_failing() {
    let page = "<html><head><title>Ferry</title></head><body><article><p>The island ferry resumed \
        its normal timetable on Monday after three days of cancellations caused by high winds, \
        the operator said.</p></article></body></html>";
    let mut warc = String::new();
    for (i, (ctype, body)) in [("text/html; charset=utf-8", page), ("image/png", "PNGDATA")]
        .iter()
        .enumerate()
    {
        let http = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        warc.push_str(&format!(
            "WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: https://ferry.example.org/{i}\r\n\
             WARC-Record-ID: <urn:uuid:r{i}>\r\nContent-Type: application/http; msgtype=response\r\n\
             Content-Length: {}\r\n\r\n{http}\r\n\r\n",
            http.len()
        ));
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("crawl.warc");
    std::fs::write(&path, warc).expect("write");
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_wirecopy"))
        .arg("scan")
        .arg(&path)
        .args(["--format", "json", "--quiet"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(j["counts"]["documents"], 1);
    assert_eq!(j["counts"]["non_html_skipped"], 1);
    assert_eq!(j["counts"]["skipped"], 0);
}

/// The member ids of the only cluster in `scan --format jsonl` output.
fn only_cluster_ids(stdout: &[u8]) -> Vec<String> {
    let stdout = String::from_utf8_lossy(stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let j: serde_json::Value = serde_json::from_str(lines[0]).expect("a JSON line");
    j["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["id"].as_str().expect("string id").to_string())
        .collect()
}

/// Any input from bytes through `input::read_stream`: the format is sniffed (here an ARC file
/// gzipped one member per record, and a plain WARC), and each document comes with its origin.
#[test]
fn read_stream_sniffs_arc_and_warc_from_bytes() {
    use std::io::Write;
    use std::path::Path;
    use wirecopy::error::Location;
    use wirecopy::input::{read_stream, ReadCounts, ReadOptions, Sink};

    fn gz(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }
    fn read(bytes: Vec<u8>) -> (Vec<(String, Location)>, Vec<String>, ReadCounts) {
        let mut docs = Vec::new();
        let mut errs = Vec::new();
        let mut on_doc = |d: wirecopy::Document, o: wirecopy::input::Origin| {
            docs.push((d.id.to_string(), o.location))
        };
        let mut on_skip = |e: wirecopy::Error| errs.push(e.to_string());
        let mut sink = Sink {
            on_doc: &mut on_doc,
            on_skip: &mut on_skip,
            counts: ReadCounts::default(),
        };
        let p = Path::new("in");
        read_stream(
            Box::new(std::io::Cursor::new(bytes)),
            p,
            p,
            &ReadOptions::default(),
            &mut sink,
        )
        .unwrap();
        let counts = sink.counts;
        (docs, errs, counts)
    }

    let desc = b"1 0 Test\nURL IP-address Archive-date Content-type Archive-length\n";
    let block = [
        b"HTTP/1.0 200 OK\nContent-Type: text/html\n\n".as_slice(),
        STORY.as_bytes(),
    ]
    .concat();
    let members = [
        gz(&[
            format!(
                "filedesc://t.arc 0.0.0.0 19961104142103 text/plain {}\n",
                desc.len()
            )
            .as_bytes(),
            desc,
            b"\n",
        ]
        .concat()),
        gz(&[
            format!(
                "http://www.coastnews.example.co.uk/f 1.2.3.4 19961104142103 text/html {}\n",
                block.len()
            )
            .as_bytes(),
            &block,
            b"\n",
        ]
        .concat()),
    ];
    let second_at = members[0].len() as u64;
    let (docs, errs, counts) = read(members.concat());
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(counts.documents, 1);
    assert_eq!(
        docs,
        [(
            "http://www.coastnews.example.co.uk/f@19961104142103".to_string(),
            Location::ByteOffset(second_at)
        )]
    );

    let http = [
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n".as_slice(),
        STORY.as_bytes(),
    ]
    .concat();
    let warc = [
        format!("WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:1>\r\nWARC-Target-URI: http://x.example.com/\r\nContent-Type: application/http\r\nContent-Length: {}\r\n\r\n", http.len()).as_bytes(),
        &http,
        b"\r\n\r\n",
    ]
    .concat();
    let (docs, errs, _) = read(warc);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(docs, [("urn:uuid:1".to_string(), Location::ByteOffset(0))]);

    let (docs, errs, counts) = read(b"\x00\x01binary".to_vec());
    assert!(docs.is_empty());
    assert_eq!(counts.skipped, 1);
    assert!(
        errs[0].starts_with("reading in: unknown input format"),
        "{errs:?}"
    );
}
