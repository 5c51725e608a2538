//! What did the crawler fetch? A streaming reader of WARC files (WARC/1.0 and 1.1, plain, gzip
//! with one member per record as wget, Heritrix and Common Crawl write them, or one gzip member
//! for the whole file), and their conversion to [`Document`]s.
//!
//! Records of type `response` (an HTTP response: status line and headers are parsed, chunked
//! transfer and gzip/deflate content encodings undone) and `resource` become documents when their
//! payload is HTML, through [`crate::input::html::extract`]; WET `conversion` records are text already.
//! A document's `id` is the record's `WARC-Record-ID` and its `url` the `WARC-Target-URI`, both
//! without the angle brackets WARC/1.0 writers put around them.
//!
//! Invariants:
//! - A broken record (truncated or corrupt gzip member, missing `Content-Length`, unusable
//!   payload) is reported through `on_skip` as [`Error::BadRecord`] whose location is the byte
//!   offset of the record in the file ([`Location::ByteOffset`]; of its gzip member, for
//!   compressed files), counted, and
//!   skipped; reading resumes at the next gzip member or `WARC/` line. Only an I/O error of the
//!   file itself ends a read with `Err`.
//! - A `Content-Length` that runs past the end of its gzip member into one that starts a record,
//!   or past the record's end into a `WARC/` line, breaks only its own record: reading
//!   resynchronises at the next record (a bogus length must not swallow the rest of the file).
//! - Memory is bounded by the record size limit (`--max-record-size`): no header line, header,
//!   block or decoded HTTP body larger than it is held; such a record is reported and skipped.
//! - The same reader reads ARC files (`Dialect::Arc`, see [`crate::input::arc`]).
//! - Records that are not HTML (images, scripts, redirects, errors) are counted, not reported.
//! - Documents come out in file order whatever the parallelism of extraction.

mod framing;
mod http;

pub use framing::{Dialect, Record, WarcReader};
pub use http::{parse_http_head, HttpHead};

use crate::document::{DocId, Document};
use crate::error::{Error, Location};
use crate::input::html;
use http::{payload_of, Payload};
use rayon::prelude::*;
use std::io::{self, Read};
use std::path::Path;

/// What one read of a WARC file saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WarcCounts {
    /// Every record, whatever its type, including broken ones.
    pub records: u64,
    /// Documents handed to `on_doc`.
    pub documents: u64,
    /// `response`/`resource` records that are not an HTML page: other media types and HTTP
    /// statuses other than 2xx. Counted, not reported.
    pub skipped_non_html: u64,
    /// Records skipped as broken and reported through `on_skip`.
    pub skipped_broken: u64,
    /// Records that never hold a page: `warcinfo`, `request`, `metadata`, `revisit`, ...
    pub ignored: u64,
}

fn strip_angle(s: &str) -> &str {
    s.strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(s)
}

/// A record waiting for extraction.
struct Job {
    offset: u64,
    id: String,
    url: Option<String>,
    payload: Payload,
}

fn to_document(job: Job) -> Option<Result<Document, Error>> {
    let id = DocId::Str(job.id);
    match job.payload {
        Payload::Html { body, content_type } => Some(
            html::extract(&body, job.url.as_deref(), content_type.as_deref()).map(|mut e| {
                // The crawl's URL is the document's, even when the page names a canonical one.
                if job.url.is_some() {
                    e.url.clone_from(&job.url);
                }
                html::into_document(id, e)
            }),
        ),
        Payload::Text(t) => {
            let text = String::from_utf8_lossy(&t);
            let text: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            if text.is_empty() {
                return Some(Err(Error::BadPayload("empty conversion record".into())));
            }
            let site = job.url.as_deref().and_then(crate::document::site_of_url);
            Some(Ok(Document {
                id,
                url: job.url,
                site,
                title: None,
                published: None,
                text: text.join("\n"),
            }))
        }
        Payload::NotHtml | Payload::Ignored => None,
    }
}

/// Extract a batch in parallel and hand out its results in order.
fn flush(
    batch: &mut Vec<Job>,
    counts: &mut WarcCounts,
    path: &Path,
    on_doc: &mut dyn FnMut(Document, u64),
    on_skip: &mut dyn FnMut(Error),
) {
    let jobs = std::mem::take(batch);
    let offsets: Vec<u64> = jobs.iter().map(|j| j.offset).collect();
    let results: Vec<_> = jobs.into_par_iter().map(to_document).collect();
    for (r, offset) in results.into_iter().zip(offsets) {
        match r {
            Some(Ok(d)) => {
                counts.documents += 1;
                on_doc(d, offset);
            }
            Some(Err(e)) => {
                counts.skipped_broken += 1;
                on_skip(Error::BadRecord {
                    path: path.to_path_buf(),
                    location: Location::ByteOffset(offset),
                    message: e.to_string(),
                });
            }
            None => {}
        }
    }
}

/// Read every page of a WARC file (`-` for stdin) as documents, in file order. Broken records
/// go to `on_skip` as [`Error::BadRecord`] naming the file and offset; the counts say what was
/// seen. Extraction runs on the rayon pool, in batches.
pub fn read_warc(
    path: &Path,
    on_doc: &mut dyn FnMut(Document),
    on_skip: &mut dyn FnMut(Error),
) -> Result<WarcCounts, Error> {
    let io_err = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    if path == Path::new("-") {
        let stdin = io::stdin();
        read_warc_from(stdin.lock(), path, on_doc, on_skip)
    } else {
        let f = std::fs::File::open(path).map_err(io_err)?;
        read_warc_from(f, path, on_doc, on_skip)
    }
}

/// [`read_warc`] over any reader; `path` names it in errors.
pub fn read_warc_from<R: Read>(
    inner: R,
    path: &Path,
    on_doc: &mut dyn FnMut(Document),
    on_skip: &mut dyn FnMut(Error),
) -> Result<WarcCounts, Error> {
    read_archive(
        inner,
        path,
        Dialect::Warc,
        crate::input::DEFAULT_MAX_RECORD_SIZE,
        &mut |d, _| on_doc(d),
        on_skip,
    )
}

/// Read the pages of a WARC or ARC stream (`dialect`), plain or gzip, as documents in file
/// order; `on_doc` also gets each document's record offset (of its gzip member, for gzip
/// files). No record, header line or decoded HTTP body larger than `max_record` bytes is held:
/// such records are reported and skipped.
pub fn read_archive<R: Read>(
    inner: R,
    path: &Path,
    dialect: Dialect,
    max_record: u64,
    on_doc: &mut dyn FnMut(Document, u64),
    on_skip: &mut dyn FnMut(Error),
) -> Result<WarcCounts, Error> {
    const BATCH_BYTES: usize = 8 << 20;
    const BATCH_LEN: usize = 512;
    let mut counts = WarcCounts::default();
    let mut batch: Vec<Job> = Vec::new();
    let mut batch_bytes = 0;

    for item in WarcReader::with_options(inner, path, dialect, max_record)? {
        let rec = match item {
            Ok(r) => r,
            Err(e @ Error::BadRecord { .. }) => {
                counts.records += 1;
                counts.skipped_broken += 1;
                on_skip(e);
                continue;
            }
            Err(e) => {
                flush(&mut batch, &mut counts, path, on_doc, on_skip);
                return Err(e);
            }
        };
        counts.records += 1;
        let offset = rec.offset;
        let id = rec
            .header("WARC-Record-ID")
            .map(|s| strip_angle(s).to_string())
            .unwrap_or_else(|| format!("{}@{offset}", path.display()));
        let url = rec
            .header("WARC-Target-URI")
            .map(|s| strip_angle(s).to_string());
        match payload_of(rec, max_record) {
            Ok(Payload::Ignored) => counts.ignored += 1,
            Ok(Payload::NotHtml) => counts.skipped_non_html += 1,
            Ok(payload) => {
                batch_bytes += match &payload {
                    Payload::Html { body, .. } | Payload::Text(body) => body.len(),
                    _ => 0,
                };
                batch.push(Job {
                    offset,
                    id,
                    url,
                    payload,
                });
                if batch.len() >= BATCH_LEN || batch_bytes >= BATCH_BYTES {
                    flush(&mut batch, &mut counts, path, on_doc, on_skip);
                    batch_bytes = 0;
                }
            }
            Err(msg) => {
                counts.skipped_broken += 1;
                on_skip(Error::BadRecord {
                    path: path.to_path_buf(),
                    location: Location::ByteOffset(offset),
                    message: msg,
                });
            }
        }
    }
    flush(&mut batch, &mut counts, path, on_doc, on_skip);
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const PAGE: &str = "<html><head><title>Storm hits coast</title>\
        <meta property='article:published_time' content='2024-05-01T08:00:00Z'></head><body>\
        <nav>Home | World</nav><article><p>A powerful storm hit the northern coast overnight, \
        cutting power to thousands of homes and closing the main highway for several hours.</p>\
        <p>Emergency services said no one was seriously hurt, though several fishing boats were \
        damaged in the harbour as waves topped the sea wall before dawn.</p></article></body></html>";

    fn record(version: &str, kind: &str, id: &str, uri: &str, ct: &str, block: &[u8]) -> Vec<u8> {
        let mut r = format!(
            "{version}\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{id}>\r\n\
             WARC-Target-URI: {uri}\r\nWARC-Date: 2024-05-01T09:00:00Z\r\n\
             Content-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
            block.len()
        )
        .into_bytes();
        r.extend_from_slice(block);
        r.extend_from_slice(b"\r\n\r\n");
        r
    }

    fn http(ct: &str, body: &[u8]) -> Vec<u8> {
        let mut h = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        h.extend_from_slice(body);
        h
    }

    fn gz(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    fn sample(version: &str) -> Vec<Vec<u8>> {
        vec![
            record(
                version,
                "warcinfo",
                "0",
                "",
                "application/warc-fields",
                b"software: test\r\n",
            ),
            record(
                version,
                "request",
                "1",
                "http://a.example.com/s",
                "application/http;msgtype=request",
                b"GET /s HTTP/1.1\r\n\r\n",
            ),
            record(
                version,
                "response",
                "2",
                "http://www.a.example.com/s",
                "application/http;msgtype=response",
                &http("text/html; charset=utf-8", PAGE.as_bytes()),
            ),
            record(
                version,
                "response",
                "3",
                "http://a.example.com/logo.png",
                "application/http;msgtype=response",
                &http("image/png", b"\x89PNG\r\n\x1a\n\0\0"),
            ),
            record(
                version,
                "resource",
                "4",
                "<http://b.example.org/t>",
                "text/html",
                PAGE.as_bytes(),
            ),
            record(
                version,
                "conversion",
                "5",
                "http://c.example.net/u",
                "text/plain",
                b"Line one\n\n  Line two  \n",
            ),
        ]
    }

    fn run(bytes: &[u8]) -> (Vec<Document>, Vec<String>, WarcCounts) {
        let mut docs = Vec::new();
        let mut skips = Vec::new();
        let counts = read_warc_from(
            bytes,
            Path::new("t.warc"),
            &mut |d| docs.push(d),
            &mut |e| skips.push(e.to_string()),
        )
        .unwrap();
        (docs, skips, counts)
    }

    fn check_sample(docs: &[Document], counts: WarcCounts) {
        assert_eq!(
            counts,
            WarcCounts {
                records: 6,
                documents: 3,
                skipped_non_html: 1,
                skipped_broken: 0,
                ignored: 2
            }
        );
        assert_eq!(docs[0].id, DocId::Str("urn:uuid:2".into()));
        assert_eq!(docs[0].url.as_deref(), Some("http://www.a.example.com/s"));
        assert_eq!(docs[0].site.as_deref(), Some("example.com"));
        assert!(
            docs[0].text.starts_with("A powerful storm"),
            "{}",
            docs[0].text
        );
        assert!(!docs[0].text.contains("Home"));
        assert_eq!(
            docs[0].published.as_ref().map(|p| p.unix),
            Some(1_714_550_400)
        );
        assert_eq!(docs[1].url.as_deref(), Some("http://b.example.org/t"));
        assert_eq!(docs[2].text, "Line one\nLine two");
    }

    #[test]
    fn plain_warc_1_0_and_1_1() {
        for v in ["WARC/1.0", "WARC/1.1"] {
            let (docs, skips, counts) = run(&sample(v).concat());
            assert!(skips.is_empty(), "{skips:?}");
            check_sample(&docs, counts);
        }
    }

    #[test]
    fn gzip_per_record_and_whole_file() {
        let recs = sample("WARC/1.0");
        let per_record: Vec<u8> = recs.iter().flat_map(|r| gz(r)).collect();
        let (docs, skips, counts) = run(&per_record);
        assert!(skips.is_empty(), "{skips:?}");
        check_sample(&docs, counts);
        let (docs, skips, counts) = run(&gz(&recs.concat()));
        assert!(skips.is_empty(), "{skips:?}");
        check_sample(&docs, counts);
    }

    #[test]
    fn truncated_gzip_member_is_skipped_with_its_offset() {
        let recs = sample("WARC/1.1");
        let members: Vec<Vec<u8>> = recs.iter().map(|r| gz(r)).collect();
        let last_at: usize = members[..5].iter().map(Vec::len).sum();
        let mut bytes = members.concat();
        bytes.truncate(last_at + members[5].len() / 2);
        let (docs, skips, counts) = run(&bytes);
        assert_eq!(docs.len(), 2);
        assert_eq!(counts.skipped_broken, 1);
        assert_eq!(skips.len(), 1);
        assert!(
            skips[0].starts_with(&format!("reading t.warc at byte {last_at}: ")),
            "{skips:?}"
        );
    }

    #[test]
    fn corrupt_member_in_the_middle_resumes_at_the_next() {
        let recs = sample("WARC/1.0");
        let mut members: Vec<Vec<u8>> = recs.iter().map(|r| gz(r)).collect();
        let bad_at: usize = members[..2].iter().map(Vec::len).sum();
        let m = &mut members[2];
        let mid = m.len() / 2;
        m[mid..mid + 8].copy_from_slice(b"garbage!");
        let (docs, skips, counts) = run(&members.concat());
        assert_eq!(counts.documents, 2, "{skips:?} {counts:?} {docs:?}");
        assert!(
            skips
                .iter()
                .any(|s| s.starts_with(&format!("reading t.warc at byte {bad_at}: "))),
            "{skips:?}"
        );
        assert_eq!(docs[0].id, DocId::Str("urn:uuid:4".into()));
    }

    #[test]
    fn truncated_plain_record_and_missing_length() {
        let mut bytes = sample("WARC/1.0").concat();
        bytes.truncate(bytes.len() - 15);
        let (docs, skips, _) = run(&bytes);
        assert_eq!(docs.len(), 2);
        assert_eq!(skips.len(), 1, "{skips:?}");
        assert!(skips[0].contains("truncated block"), "{skips:?}");

        let bad = b"WARC/1.0\r\nWARC-Type: response\r\n\r\nxx\r\n\r\n".to_vec();
        let bytes = [bad, sample("WARC/1.0").concat()].concat();
        let (docs, skips, _) = run(&bytes);
        assert_eq!(docs.len(), 3);
        assert!(
            skips
                .iter()
                .any(|s| s == "reading t.warc at byte 0: broken record: no Content-Length"),
            "{skips:?}"
        );
    }

    /// Cut a file at every byte: never a panic, every record either read or reported, and
    /// each damaged record reported once.
    #[test]
    fn truncation_anywhere_is_never_a_crash() {
        let recs = sample("WARC/1.1");
        for bytes in [recs.concat(), recs.iter().flat_map(|r| gz(r)).collect()] {
            for cut in 0..bytes.len() {
                let mut docs = 0;
                let mut skips = Vec::new();
                let r = read_warc_from(
                    &bytes[..cut],
                    Path::new("t"),
                    &mut |_| docs += 1,
                    &mut |e| skips.push(e.to_string()),
                );
                let counts = r.unwrap_or_else(|e| panic!("cut {cut}: {e}"));
                assert!(docs <= 3 && skips.len() <= 1, "cut {cut}: {skips:?}");
                assert_eq!(counts.documents, docs);
            }
        }
    }

    #[test]
    fn garbage_input_is_reported_not_fatal() {
        let mut x: u64 = 7;
        let noise: Vec<u8> = (0..20_000)
            .map(|_| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                (x >> 56) as u8
            })
            .collect();
        for bytes in [noise.clone(), [&[0x1f, 0x8b, 0x08][..], &noise].concat()] {
            let (docs, skips, _) = run(&bytes);
            assert!(docs.is_empty());
            assert!(!skips.is_empty());
        }
        // A record missing its length inside a whole-file gzip: one report, later records kept.
        let bad = b"WARC/1.0\r\nWARC-Type: response\r\n\r\nxx\r\n\r\n".to_vec();
        let (docs, skips, _) = run(&gz(&[bad, sample("WARC/1.0").concat()].concat()));
        assert_eq!((docs.len(), skips.len()), (3, 1), "{skips:?}");
    }

    #[test]
    fn binary_html_payload_is_broken_not_a_crash() {
        let body = http("text/html", b"\0\0\0\x01\x02garbage\0\0");
        let bytes = record(
            "WARC/1.0",
            "response",
            "9",
            "http://x.example.com/",
            "application/http",
            &body,
        );
        let (docs, skips, counts) = run(&bytes);
        assert!(docs.is_empty());
        assert_eq!(counts.skipped_broken, 1);
        assert!(
            skips[0].starts_with("reading t.warc at byte 0: unusable payload"),
            "{skips:?}"
        );
    }

    #[test]
    fn http_layer_chunked_gzip_and_redirects() {
        let chunked = {
            let z = gz(PAGE.as_bytes());
            let mut b = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n".to_vec();
            for c in z.chunks(100) {
                b.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
                b.extend_from_slice(c);
                b.extend_from_slice(b"\r\n");
            }
            b.extend_from_slice(b"0\r\n\r\n");
            b
        };
        let redirect = b"HTTP/1.1 301 Moved Permanently\r\nLocation: /x\r\nContent-Type: text/html\r\n\r\n<html>moved</html>";
        let bytes = [
            record(
                "WARC/1.1",
                "response",
                "a",
                "http://x.example.com/a",
                "application/http",
                &chunked,
            ),
            record(
                "WARC/1.1",
                "response",
                "b",
                "http://x.example.com/b",
                "application/http",
                redirect,
            ),
        ]
        .concat();
        let (docs, skips, counts) = run(&bytes);
        assert!(skips.is_empty(), "{skips:?}");
        assert_eq!(docs.len(), 1);
        assert!(docs[0].text.contains("powerful storm"));
        assert_eq!(counts.skipped_non_html, 1);
    }
}
