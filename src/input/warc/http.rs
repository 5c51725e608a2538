//! input/warc/http: what page does a record hold? Classifies a record by type, parses the HTTP
//! head of a `response`, undoes chunked transfer and gzip/deflate content encodings (holding at
//! most the record size limit of decoded bytes) and decides whether the payload is HTML.
//!
//! Why a small hand parser and not `httparse`: a WARC holds what a server sent, as a crawler
//! recorded it, and we only need the status code, the body's start and a few fields. Measured
//! on the heads of tests/web_inputs.rs and tests/hostile_input.rs (all well formed: both agree)
//! and on the broken heads of real crawls (see `real_world_heads` below), `httparse` 1.x even
//! with every lenient response option refuses `HTTP/2 200` and `HTTP/2.0` status lines (what
//! browser-based crawlers record), a lowercase `http/1.1`, and more header fields than its
//! fixed array holds, each of which would lose a good page; strict, it also refuses a space
//! before a colon, a garbage or folded header line, a control byte in a value and two spaces
//! after the version. A fallback to this parser would keep two parsers to test for no page
//! gained. Invariant: any head whose second word is a number and that ends in a blank line is
//! read; a field line without a colon is passed over; the head ends at the first blank line,
//! whatever the line endings (`\r\n`, bare `\n`, or both mixed).

use super::framing::Record;
use std::io::Read;

/// What a record holds, once its HTTP layer is undone.
pub(super) enum Payload {
    /// An HTML page with its HTTP Content-Type, if any.
    Html {
        body: Vec<u8>,
        content_type: Option<String>,
    },
    /// Text already (WET conversion).
    Text(Vec<u8>),
    /// Not a page: counted as non-HTML.
    NotHtml,
    /// A record type that never holds a page.
    Ignored,
}

/// Classify a record and undo its HTTP layer.
pub(super) fn payload_of(rec: Record, max_decoded: u64) -> Result<Payload, String> {
    match rec.warc_type().as_str() {
        "response" => {
            let ct_warc = rec.header("Content-Type").unwrap_or_default();
            if !ct_warc.to_ascii_lowercase().contains("application/http")
                && !rec.block.starts_with(b"HTTP/")
            {
                // A response that is not HTTP (dns:, ftp:): no page.
                return Ok(Payload::NotHtml);
            }
            let HttpHead {
                status,
                headers,
                body_at,
            } = parse_http_head(&rec.block)?;
            if !(200..300).contains(&status) {
                return Ok(Payload::NotHtml);
            }
            let header = |name: &str| {
                headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
            };
            let content_type = header("Content-Type").or_else(|| {
                rec.header("WARC-Identified-Payload-Type")
                    .map(str::to_string)
            });
            let mut body = rec.block;
            body.drain(..body_at);
            if header("Transfer-Encoding")
                .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
            {
                if let Some(b) = dechunk(&body) {
                    body = b;
                }
            }
            if let Some(enc) = header("Content-Encoding") {
                body = decode_content(&enc, body, max_decoded)?;
            }
            Ok(if is_html(content_type.as_deref(), &body) {
                Payload::Html { body, content_type }
            } else {
                Payload::NotHtml
            })
        }
        "resource" => {
            let content_type = rec.header("Content-Type").map(str::to_string);
            Ok(if is_html(content_type.as_deref(), &rec.block) {
                Payload::Html {
                    body: rec.block,
                    content_type,
                }
            } else {
                Payload::NotHtml
            })
        }
        "conversion" => Ok(Payload::Text(rec.block)),
        _ => Ok(Payload::Ignored),
    }
}

/// The head of an HTTP response: status code, header fields, and where the body starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpHead {
    /// Status code.
    pub status: u16,
    /// Header fields in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// Byte offset of the body in the block.
    pub body_at: usize,
}

/// Parse the status line and headers of an HTTP response block (leniently: see the module doc).
pub fn parse_http_head(block: &[u8]) -> Result<HttpHead, String> {
    let end = end_of_head(block).ok_or("no end of HTTP headers")?;
    let head = String::from_utf8_lossy(&block[..end]);
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad HTTP status line {status_line:?}"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(HttpHead {
        status,
        headers,
        body_at: end,
    })
}

/// Where the body starts: after the first blank line, `\n\n` or `\n\r\n`. The first one,
/// not the first `\r\n\r\n`: a head with bare `\n` line endings (ARC files, old servers)
/// must not run on into a body that has a `\r\n\r\n` further down.
fn end_of_head(block: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'\n', block).find_map(|i| match block.get(i + 1..) {
        Some([b'\n', ..]) => Some(i + 2),
        Some([b'\r', b'\n', ..]) => Some(i + 3),
        _ => None,
    })
}

/// Undo chunked transfer coding; `None` when the body is not actually chunked.
fn dechunk(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    loop {
        let nl = memchr::memchr(b'\n', &b[i..])? + i;
        let size_txt = std::str::from_utf8(&b[i..nl]).ok()?.trim();
        let size_txt = size_txt.split(';').next()?.trim();
        let size = usize::from_str_radix(size_txt, 16).ok()?;
        i = nl + 1;
        if size == 0 {
            return Some(out);
        }
        let end = i.checked_add(size)?;
        out.extend_from_slice(b.get(i..end.min(b.len()))?);
        if end >= b.len() {
            // Truncated chunk: keep what arrived.
            return Some(out);
        }
        i = end;
        while b.get(i).is_some_and(|c| *c == b'\r' || *c == b'\n') {
            i += 1;
        }
    }
}

/// Undo a content encoding, holding at most `max` decoded bytes: a small compressed body can
/// decode to gigabytes (a "zip bomb"), which is reported instead.
fn decode_content(encoding: &str, body: Vec<u8>, max: u64) -> Result<Vec<u8>, String> {
    fn capped(mut r: impl Read, max: u64, what: &str) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        (&mut r)
            .take(max.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|e| format!("{what} content encoding: {e}"))?;
        if out.len() as u64 > max {
            return Err(format!(
                "{what} content encoding decodes to more than the record size limit of {max} bytes (--max-record-size)"
            ));
        }
        Ok(out)
    }
    match encoding.trim().to_ascii_lowercase().as_str() {
        "" | "identity" => Ok(body),
        "gzip" | "x-gzip" => capped(flate2::read::MultiGzDecoder::new(&body[..]), max, "gzip"),
        "deflate" => {
            capped(flate2::read::ZlibDecoder::new(&body[..]), max, "deflate").or_else(|e| {
                if e.contains("record size limit") {
                    return Err(e);
                }
                capped(flate2::read::DeflateDecoder::new(&body[..]), max, "deflate")
            })
        }
        other => Err(format!("unsupported content encoding {other:?}")),
    }
}

/// HTML by media type; with none (or a generic one), by the first bytes.
fn is_html(content_type: Option<&str>, body: &[u8]) -> bool {
    let mime = content_type
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    match mime.as_deref() {
        Some("text/html") | Some("application/xhtml+xml") => true,
        None | Some("") | Some("application/octet-stream") | Some("unknown/unknown") => {
            let head = &body[..body.len().min(512)];
            let start = head
                .iter()
                .position(|c| !c.is_ascii_whitespace())
                .unwrap_or(head.len());
            let h: Vec<u8> = head[start..].iter().map(u8::to_ascii_lowercase).collect();
            h.starts_with(b"<!doctype html") || h.starts_with(b"<html") || h.starts_with(b"<head")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Heads as real crawls hold them, each read for its status, Content-Type and body start.
    #[test]
    fn real_world_heads() {
        let many: String = (0..100).map(|i| format!("X-H{i}: v\r\n")).collect();
        let body = "<html><body><p>Story.</p>\r\n\r\n<p>More.</p></body></html>";
        let cases: Vec<(&str, Vec<u8>, u16)> = vec![
            (
                "CRLF",
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n".to_vec(),
                200,
            ),
            (
                "bare LF (ARC)",
                b"HTTP/1.0 200 OK\nContent-Type: text/html\n\n".to_vec(),
                200,
            ),
            (
                "CRLF lines, bare LF end",
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\n".to_vec(),
                200,
            ),
            (
                "HTTP/2",
                b"HTTP/2 200\r\ncontent-type: text/html\r\n\r\n".to_vec(),
                200,
            ),
            (
                "HTTP/2.0",
                b"HTTP/2.0 200 OK\r\ncontent-type: text/html\r\n\r\n".to_vec(),
                200,
            ),
            (
                "lowercase version",
                b"http/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n".to_vec(),
                200,
            ),
            (
                "no reason phrase",
                b"HTTP/1.1 200\r\nContent-Type: text/html\r\n\r\n".to_vec(),
                200,
            ),
            (
                "two spaces",
                b"HTTP/1.1  404 Not Found\r\nContent-Type: text/html\r\n\r\n".to_vec(),
                404,
            ),
            (
                "space before colon",
                b"HTTP/1.1 200 OK\r\nContent-Type : text/html\r\n\r\n".to_vec(),
                200,
            ),
            (
                "garbage line",
                b"HTTP/1.1 200 OK\r\nnot a field\r\nContent-Type: text/html\r\n\r\n".to_vec(),
                200,
            ),
            (
                "folded field",
                b"HTTP/1.1 200 OK\r\nX-Long: a\r\n b\r\nContent-Type: text/html\r\n\r\n".to_vec(),
                200,
            ),
            (
                "control byte",
                b"HTTP/1.1 200 OK\r\nX-Bad: a\x01b\r\nContent-Type: text/html\r\n\r\n".to_vec(),
                200,
            ),
            (
                "latin-1 value",
                b"HTTP/1.1 200 OK\r\nX-Name: caf\xe9\r\nContent-Type: text/html\r\n\r\n".to_vec(),
                200,
            ),
            (
                "100 fields",
                format!("HTTP/1.1 200 OK\r\n{many}Content-Type: text/html\r\n\r\n").into_bytes(),
                200,
            ),
        ];
        for (name, head, status) in cases {
            let block = [head.as_slice(), body.as_bytes()].concat();
            let h = parse_http_head(&block).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(h.status, status, "{name}");
            assert_eq!(
                h.body_at,
                head.len(),
                "{name}: the body starts after the head"
            );
            let ct = h
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-type"));
            assert_eq!(ct.map(|(_, v)| v.as_str()), Some("text/html"), "{name}");
        }
    }

    #[test]
    fn heads_that_cannot_be_read_say_why() {
        assert_eq!(
            parse_http_head(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"),
            Err("no end of HTTP headers".to_string())
        );
        assert!(parse_http_head(b"HTTP/1.1 OK\r\n\r\n").is_err_and(|e| e.contains("status line")));
        assert_eq!(end_of_head(b"\n\n"), Some(2));
        assert_eq!(end_of_head(b"a\n\r\nb"), Some(4));
        assert_eq!(end_of_head(b"a\r\nb\r"), None);
    }
}
