//! input/arc: what is an ARC record? The header line of the ARC format (version 1, and version 2
//! which adds fields), the format the Internet Archive and early Common Crawl crawls were written
//! in before WARC.
//!
//! An ARC file is a version block whose header line starts with `filedesc://`, then records: a
//! header line `URL IP-address Archive-date Content-type [...] Archive-length`, a block of
//! `Archive-length` bytes (for HTTP fetches, the whole response with its headers), and a
//! newline. Files are plain or gzip with one member per record (`.arc.gz`). The streaming, the
//! resynchronisation after broken records and the HTTP layer are the WARC reader's
//! ([`crate::input::warc::Dialect::Arc`]); this module only turns a header line into the WARC fields
//! that reader understands.
//!
//! Invariant: an ARC record has no identifier of its own; its document id is
//! `URL@Archive-date` (the same page fetched twice in one second is the same capture).

use std::io::Read;
use std::path::Path;

use crate::document::Document;
use crate::error::Error;
use crate::input::warc::{Dialect, WarcCounts};

/// The fields of an ARC record header line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArcHeader {
    /// The URL fetched (`filedesc://...` for the version block).
    pub url: String,
    /// The server's IP address as the crawler wrote it.
    pub ip: String,
    /// Fetch time, `YYYYMMDDhhmmss`.
    pub date: String,
    /// The media type the server gave.
    pub content_type: String,
    /// Length of the block that follows the header line.
    pub length: u64,
}

/// Parse an ARC header line (without its newline): at least five space-separated fields, a URL
/// with a scheme first, a 14-digit (or shorter, in old files) date third, the length last.
pub fn parse_header(line: &[u8]) -> Option<ArcHeader> {
    let line = std::str::from_utf8(line).ok()?;
    let fields: Vec<&str> = line.split(' ').filter(|f| !f.is_empty()).collect();
    if fields.len() < 5 {
        return None;
    }
    let url = fields[0];
    let scheme = url.split_once(':')?.0;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return None;
    }
    let date = fields[2];
    if date.len() < 8 || date.len() > 17 || !date.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let length = fields[fields.len() - 1];
    if length.is_empty() || !length.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(ArcHeader {
        url: url.to_string(),
        ip: fields[1].to_string(),
        date: date.to_string(),
        content_type: fields[3].to_string(),
        length: length.parse().ok()?,
    })
}

impl ArcHeader {
    /// The WARC fields of this record: the version block is `warcinfo`, every other record a
    /// `response` (the reader makes it a `resource` when its block has no HTTP status line).
    pub fn into_headers(self) -> Vec<(String, String)> {
        let kind = if self.url.starts_with("filedesc:") {
            "warcinfo"
        } else {
            "response"
        };
        vec![
            ("WARC-Type".into(), kind.into()),
            (
                "WARC-Record-ID".into(),
                format!("{}@{}", self.url, self.date),
            ),
            ("WARC-Target-URI".into(), self.url),
            ("WARC-Date".into(), self.date),
            ("Content-Type".into(), self.content_type.clone()),
            ("WARC-Identified-Payload-Type".into(), self.content_type),
            ("Content-Length".into(), self.length.to_string()),
        ]
    }
}

/// Read the pages of an ARC stream (plain or gzip) as documents, in file order; see
/// [`crate::input::warc::read_archive`].
pub fn read_arc_from<R: Read>(
    inner: R,
    path: &Path,
    max_record: u64,
    on_doc: &mut dyn FnMut(Document, u64),
    on_skip: &mut dyn FnMut(Error),
) -> Result<WarcCounts, Error> {
    crate::input::warc::read_archive(inner, path, Dialect::Arc, max_record, on_doc, on_skip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lines_of_both_versions() {
        let v1 = parse_header(
            b"http://www.dryswamp.edu:80/index.html 127.10.100.2 19961104142103 text/html 202",
        )
        .expect("v1");
        assert_eq!(v1.url, "http://www.dryswamp.edu:80/index.html");
        assert_eq!((v1.date.as_str(), v1.length), ("19961104142103", 202));
        let v2 = parse_header(
            b"http://a.example.com/ 1.2.3.4 20080430204825 text/html 200 ABCD - 1234 x.arc 99",
        )
        .expect("v2");
        assert_eq!((v2.content_type.as_str(), v2.length), ("text/html", 99));
        assert!(parse_header(b"filedesc://x.arc 0.0.0.0 19961104142103 text/plain 76").is_some());
        for bad in [
            &b"HTTP/1.0 200 OK"[..],
            b"just some words in a line",
            b"http://a/ 1.2.3.4 notadate text/html 5",
            b"http://a/ 1.2.3.4 19961104142103 text/html -5",
            b"",
        ] {
            assert_eq!(parse_header(bad), None, "{bad:?}");
        }
    }
}
