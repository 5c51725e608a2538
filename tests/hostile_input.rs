//! Hostile and broken inputs (issue 10) through the binary: bombs, bogus lengths, BOMs,
//! duplicate ids, folder traps, binary pages, bad optional fields, ARC files, unknown formats.
//! Every input is generated here, small, and the record size limit is lowered with
//! `--max-record-size` so that the bombs stay a few megabytes.

use assert_cmd::Command;
use std::io::Write;
use std::path::Path;

const STORY: &str =
    "The harbour authority said the new crane terminal would open in May after two years of work. \
    Officials expect it to double the port's container traffic by the end of the decade.";

const PAGE: &str = "<html><head><title>Crane terminal</title></head><body><nav>Home | Port</nav><article>\
    <p>The harbour authority said the new crane terminal would open in May after two years of work, \
    officials told reporters at the quay on Monday morning.</p>\
    <p>Officials expect it to double the port's container traffic by the end of the decade, and dock \
    workers' unions said they had been consulted on the staffing plan.</p></article></body></html>";

fn wirecopy() -> Command {
    Command::cargo_bin("wirecopy").expect("binary built")
}

/// Run `scan --format jsonl --quiet` with `args`; (stdout, stderr, exit code).
fn scan(args: &[&str], stdin: Option<&[u8]>) -> (String, String, i32) {
    let mut c = wirecopy();
    c.arg("scan").args(args).arg("--quiet");
    if !args.contains(&"--format") {
        c.args(["--format", "jsonl"]);
    }
    if let Some(s) = stdin {
        c.write_stdin(s.to_vec());
    }
    let out = c.output().expect("runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Documents read, from the JSON report.
fn documents(args: &[&str]) -> (u64, String, i32) {
    let mut c = wirecopy();
    c.arg("scan")
        .args(args)
        .args(["--format", "json", "--quiet"]);
    let out = c.output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("json report: {e}; stderr {stderr}"));
    (
        v["counts"]["documents"].as_u64().expect("documents count"),
        stderr,
        out.status.code().unwrap_or(-1),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).expect("gzip");
    e.finish().expect("gzip")
}

/// `n` zero bytes gzipped, streamed through the encoder (never held whole).
fn gz_zeros(prefix: &[u8], n: usize, suffix: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(prefix).expect("gzip");
    let zeros = vec![0u8; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(zeros.len());
        e.write_all(&zeros[..k]).expect("gzip");
        left -= k;
    }
    e.write_all(suffix).expect("gzip");
    e.finish().expect("gzip")
}

fn line(id: &str, text: &str) -> String {
    format!("{}\n", serde_json::json!({"id": id, "text": text}))
}

fn warc_record(id: &str, uri: &str, block: &[u8], length: Option<usize>) -> Vec<u8> {
    let mut r = format!(
        "WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{id}>\r\n\
         WARC-Target-URI: {uri}\r\nContent-Type: application/http;msgtype=response\r\n\
         Content-Length: {}\r\n\r\n",
        length.unwrap_or(block.len())
    )
    .into_bytes();
    r.extend_from_slice(block);
    r.extend_from_slice(b"\r\n\r\n");
    r
}

fn http(headers: &str, body: &[u8]) -> Vec<u8> {
    let mut h = format!(
        "HTTP/1.1 200 OK\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    h.extend_from_slice(body);
    h
}

/// A page that differs per `i`, so that documents do not all match.
fn page(i: usize) -> String {
    PAGE.replace("Monday", &format!("day {i} of the week number {}", i * 7))
}

#[test]
fn gzip_bomb_jsonl_line_is_cut_and_reading_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("bomb.jsonl.gz");
    // 8 MB of zeros on line 2 against a 1 MiB limit; line 3 is a good record.
    let first = line("a", STORY);
    let last = line("c", &STORY.replace("May", "June"));
    let mut prefix = first.into_bytes();
    prefix.extend_from_slice(b"{\"id\": \"b\", \"text\": \"");
    let bytes = gz_zeros(&prefix, 8 << 20, format!("\"}}\n{last}").as_bytes());
    std::fs::write(&p, bytes).unwrap();
    let (n, stderr, code) = documents(&[s(&p), "--max-record-size", "1048576"]);
    assert_eq!(n, 2, "{stderr}");
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "bomb.jsonl.gz line 2: line of 8388632 bytes is over the record size limit of 1048576 bytes"
        ),
        "{stderr}"
    );
}

#[test]
fn zeros_only_is_one_unknown_format_error() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("zeros.jsonl.gz");
    std::fs::write(&p, gz_zeros(b"", 4 << 20, b"")).unwrap();
    let (_, stderr, code) = scan(&[s(&p)], None);
    assert_eq!(code, 2);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("zeros.jsonl.gz: unknown input format"),
        "{stderr}"
    );
}

#[test]
fn warc_header_bomb_and_content_encoding_bomb_are_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("bomb.warc.gz");
    let good = |i: usize| {
        gz(&warc_record(
            &i.to_string(),
            &format!("http://news{i}.example.com/a"),
            &http("Content-Type: text/html\r\n", page(i).as_bytes()),
            None,
        ))
    };
    // A header line of 4 MB of zeros, in its own gzip member.
    let header_bomb = gz_zeros(
        b"WARC/1.0\r\nWARC-Type: response\r\nX-Bomb: ",
        4 << 20,
        b"\r\n\r\n",
    );
    // An HTTP body that gunzips to 4 MB.
    let body = gz_zeros(b"<html><body><p>", 4 << 20, b"</p></body></html>");
    let enc_bomb = gz(&warc_record(
        "enc",
        "http://bomb.example.com/",
        &http(
            "Content-Type: text/html\r\nContent-Encoding: gzip\r\n",
            &body,
        ),
        None,
    ));
    let bytes = [good(1), header_bomb, good(2), enc_bomb, good(3)].concat();
    std::fs::write(&p, bytes).unwrap();
    let (n, stderr, code) = documents(&[s(&p), "--max-record-size", "1048576"]);
    assert_eq!(n, 3, "{stderr}");
    assert_eq!(code, 2);
    assert!(
        stderr.contains("header over the record size limit of 1048576 bytes"),
        "{stderr}"
    );
    assert!(
        stderr.contains("gzip content encoding decodes to more than the record size limit"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
}

/// A bogus Content-Length (under and over the limit) breaks only its own record, plain or with
/// one gzip member per record.
#[test]
fn bogus_content_length_resynchronises_at_the_next_record() {
    let tmp = tempfile::tempdir().unwrap();
    let recs: Vec<Vec<u8>> = (0..12)
        .map(|i| {
            let block = http("Content-Type: text/html\r\n", page(i).as_bytes());
            let length = match i {
                3 => Some(5_000_000),
                8 => Some(250_000_000),
                _ => None,
            };
            warc_record(
                &i.to_string(),
                &format!("http://n{i}.example.com/"),
                &block,
                length,
            )
        })
        .collect();
    for (name, bytes) in [
        ("plain.warc", recs.concat()),
        ("members.warc.gz", recs.iter().flat_map(|r| gz(r)).collect()),
    ] {
        let p = tmp.path().join(name);
        std::fs::write(&p, &bytes).unwrap();
        let (n, stderr, code) = documents(&[s(&p), "--max-record-size", "100000000"]);
        assert_eq!(n, 10, "{name}: {stderr}");
        assert_eq!(code, 2);
        assert_eq!(stderr.lines().count(), 2, "{name}: {stderr}");
        assert!(
            stderr.contains("Content-Length 5000000 runs into the next record"),
            "{stderr}"
        );
        assert!(
            stderr.contains("record of 250000000 bytes is over the record size limit"),
            "{stderr}"
        );
    }
}

#[test]
fn bom_at_the_start_of_jsonl_file_and_stdin() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("bom.jsonl");
    let body = format!(
        "\u{feff}{}{}",
        line("a", STORY),
        line("b", "Another story entirely, about rain.")
    );
    std::fs::write(&p, &body).unwrap();
    let (n, stderr, code) = documents(&[s(&p)]);
    assert_eq!((n, code), (2, 0), "{stderr}");
    let (_, stderr, code) = scan(&["-"], Some(body.as_bytes()));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn duplicate_ids_keep_one_document_whatever_the_order() {
    let tmp = tempfile::tempdir().unwrap();
    let a = line("x", STORY);
    let b = line(
        "x",
        &format!("{STORY} A second version of the story with a longer ending."),
    );
    let c = line("y", &format!("{STORY} And a third copy elsewhere."));
    let p1 = tmp.path().join("one.jsonl");
    let p2 = tmp.path().join("two.jsonl");
    std::fs::write(&p1, format!("{a}{b}{c}")).unwrap();
    std::fs::write(&p2, format!("{c}{b}{a}")).unwrap();
    let (out1, err1, code1) = scan(&[s(&p1)], None);
    let (out2, err2, code2) = scan(&[s(&p2)], None);
    assert_eq!((code1, code2), (2, 2));
    assert_eq!(out1, out2, "output depends on input order");
    assert!(
        err1.contains("one.jsonl line ") && err1.contains("duplicate id x: the document in"),
        "{err1}"
    );
    assert_eq!(err1.lines().count(), 1, "{err1}");
    assert_eq!(err2.lines().count(), 1, "{err2}");
    // The same file twice: every document once, nothing reported as its own copy.
    let (n, stderr, code) = documents(&[s(&p1), s(&p1)]);
    assert_eq!((n, code), (2, 2), "{stderr}");
    assert_eq!(stderr.matches("duplicate id").count(), 4, "{stderr}");
    assert!(stderr.contains("(an input given twice?)"), "{stderr}");
    let (out, _, _) = scan(&[s(&p1), s(&p1)], None);
    assert_eq!(out, out1);
}

#[test]
fn numeric_ids_beyond_u64_stay_distinct() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("big.jsonl");
    std::fs::write(
        &p,
        format!(
            "{{\"id\": 123456789012345678901234567890, \"text\": {t:?}}}\n{{\"id\": 123456789012345678901234567891, \"text\": {t:?}}}\n",
            t = STORY
        ),
    )
    .unwrap();
    let (out, stderr, code) = scan(&[s(&p)], None);
    assert_eq!(code, 0, "{stderr}");
    assert!(out.contains("123456789012345678901234567890"), "{out}");
    assert!(out.contains("123456789012345678901234567891"), "{out}");
}

#[test]
fn eval_names_file_and_line_of_a_repeated_id() {
    let tmp = tempfile::tempdir().unwrap();
    let truth = tmp.path().join("truth.jsonl");
    let clusters = tmp.path().join("clusters.jsonl");
    std::fs::write(
        &truth,
        "{\"id\": 1, \"cluster\": 1}\n{\"id\": 2, \"cluster\": 1}\n{\"id\": 1, \"cluster\": 2}\n",
    )
    .unwrap();
    std::fs::write(
        &clusters,
        "{\"cluster\": 0, \"members\": [{\"id\": 1}, {\"id\": 2}]}\n",
    )
    .unwrap();
    let out = wirecopy()
        .args(["eval", "--truth", s(&truth), s(&clusters)])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("truth.jsonl line 3: document 1 is labelled twice (first on line 1)"),
        "{stderr}"
    );
    std::fs::write(
        &truth,
        "{\"id\": 1, \"cluster\": 1}\n{\"id\": 2, \"cluster\": 1}\n",
    )
    .unwrap();
    std::fs::write(&clusters, "{\"cluster\": 0, \"members\": [{\"id\": 1}, {\"id\": 2}]}\n{\"cluster\": 1, \"members\": [{\"id\": 2}]}\n").unwrap();
    let out = wirecopy()
        .args(["eval", "--truth", s(&truth), s(&clusters)])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("clusters.jsonl line 2: document 2 is also in the cluster on line 1"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn folder_with_symlink_loop_fifo_and_dangling_link_finishes() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("in");
    std::fs::create_dir_all(root.join("loop")).unwrap();
    std::os::unix::fs::symlink("..", root.join("loop/x")).unwrap();
    std::fs::write(root.join("a.txt"), STORY).unwrap();
    // A symlink to a file is followed.
    std::fs::write(
        tmp.path().join("outside.txt"),
        "A story kept outside the folder, linked in.",
    )
    .unwrap();
    std::os::unix::fs::symlink(tmp.path().join("outside.txt"), root.join("linked.txt")).unwrap();
    std::os::unix::fs::symlink(root.join("missing.txt"), root.join("dangling.txt")).unwrap();
    let fifo = root.join("pipe.jsonl");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let (n, stderr, code) = documents(&[s(&root)]);
    assert_eq!(n, 2, "{stderr}");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("symlink loop back to"), "{stderr}");
    assert!(
        stderr.contains("pipe.jsonl: not a regular file"),
        "{stderr}"
    );
    assert!(stderr.contains("dangling.txt: cannot be read"), "{stderr}");
}

#[test]
fn binary_pages_are_skipped_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let mut x: u64 = 99;
    let mut noise: Vec<u8> = b"\xff\xd8\xff\xe0\0\x10JFIF\0".to_vec();
    noise.extend((0..30_000).map(|_| {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (x >> 56) as u8
    }));
    let warc = tmp.path().join("img.warc");
    std::fs::write(
        &warc,
        [
            warc_record(
                "img",
                "http://img.example.com/a",
                &http("Content-Type: text/html\r\n", &noise),
                None,
            ),
            warc_record(
                "ok",
                "http://ok.example.com/a",
                &http("Content-Type: text/html\r\n", PAGE.as_bytes()),
                None,
            ),
        ]
        .concat(),
    )
    .unwrap();
    let (n, stderr, code) = documents(&[s(&warc)]);
    assert_eq!((n, code), (1, 2), "{stderr}");
    assert!(stderr.contains("img.warc at byte 0: "), "{stderr}");
    let html = tmp.path().join("img.html");
    let mut page = b"<html><body><p>".to_vec();
    page.extend_from_slice(&noise);
    std::fs::write(&html, &page).unwrap();
    let (n, stderr, code) = documents(&[s(&html)]);
    assert_eq!((n, code), (0, 2), "{stderr}");
    assert!(stderr.contains("img.html: "), "{stderr}");
}

#[test]
fn impossible_optional_field_drops_the_field_not_the_document() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("dates.jsonl");
    std::fs::write(
        &p,
        format!(
            "{}\n{}\n",
            serde_json::json!({"id": "a", "text": STORY, "published": "2014-09-31"}),
            serde_json::json!({"id": "b", "text": "Rain again.", "title": 7, "published": "2014-09-30"})
        ),
    )
    .unwrap();
    let (n, stderr, code) = documents(&[s(&p)]);
    assert_eq!((n, code), (2, 0), "{stderr}");
    assert!(
        stderr.contains("warning: reading ") && stderr.contains("dates.jsonl line 1: field \"published\" is not an RFC 3339 time or a real YYYY-MM-DD date: \"2014-09-31\": field dropped, document kept"),
        "{stderr}"
    );
    assert!(
        stderr.contains("dates.jsonl line 2: field \"title\" must be a string"),
        "{stderr}"
    );
}

fn arc_file() -> Vec<Vec<u8>> {
    let desc = b"1 0 Test Archive\nURL IP-address Archive-date Content-type Archive-length\n";
    let mut recs = vec![[
        format!(
            "filedesc://test.arc 0.0.0.0 19961104142103 text/plain {}\n",
            desc.len()
        )
        .as_bytes(),
        desc,
        b"\n",
    ]
    .concat()];
    for i in 0..3 {
        let block = [
            b"HTTP/1.0 200 OK\nContent-Type: text/html\n\n".as_slice(),
            page(i).as_bytes(),
        ]
        .concat();
        recs.push(
            [
                format!(
                    "http://www.news{i}.example.com:80/story.html 127.0.0.1 1996110414210{i} text/html {}\n",
                    block.len()
                )
                .as_bytes(),
                &block,
                b"\n",
            ]
            .concat(),
        );
    }
    // A DNS record: no HTTP, not a page.
    recs.push(
        b"dns:www.news0.example.com 127.0.0.1 19961104142109 text/dns 9\n127.0.0.1\n".to_vec(),
    );
    recs
}

#[test]
fn arc_files_plain_and_gzip_per_record() {
    let tmp = tempfile::tempdir().unwrap();
    let recs = arc_file();
    for (name, bytes) in [
        ("crawl.arc", recs.concat()),
        ("crawl.arc.gz", recs.iter().flat_map(|r| gz(r)).collect()),
    ] {
        let p = tmp.path().join(name);
        std::fs::write(&p, &bytes).unwrap();
        let (out, stderr, code) = scan(&[s(&p), "--format", "csv"], None);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert!(stderr.is_empty(), "{name}: {stderr}");
        assert!(
            out.contains("http://www.news1.example.com:80/story.html@19961104142101"),
            "{name}: {out}"
        );
        assert_eq!(out.matches("@1996110414210").count(), 3, "{name}: {out}");
    }
}

#[test]
fn unknown_format_is_one_error_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("data.jsonl");
    let mut body = String::from("id,text\n");
    for i in 0..1000 {
        body.push_str(&format!("{i},some words\n"));
    }
    std::fs::write(&p, body).unwrap();
    let ok = tmp.path().join("ok.jsonl");
    std::fs::write(&ok, line("a", STORY)).unwrap();
    let (n, stderr, code) = documents(&[s(&p), s(&ok)]);
    assert_eq!((n, code), (1, 2));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("data.jsonl: unknown input format (starts with \"id,text"),
        "{stderr}"
    );
}
