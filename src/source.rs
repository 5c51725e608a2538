//! source.rs: where do documents come from?
//!
//! Readers for JSON Lines (plain, `.gz`, `.zst`; stdin as `-`, compression sniffed from the first
//! bytes), folders (recursively: `.txt` files become one document each with the path relative to
//! the folder as id; `.jsonl*` files inside are read as JSONL) and single `.txt` files. Web
//! inputs (`.warc`, `.warc.gz`, `.html`, `.htm` files, also inside folders, and JSONL records
//! with an `html` field instead of `text`) go through `warc` and `html`. Readers
//! are the only part of the library that touches files besides the CLI.
//!
//! A record that cannot be used (malformed JSON, invalid UTF-8, a missing or mistyped field, an
//! empty text, a truncated compressed stream) is reported to the caller's `on_skip` as
//! [`Error::BadRecord`] naming file and line, counted, and skipped; reading goes on with the next
//! record (or, for a broken compressed stream, the next input).

use crate::document::{DocId, Document, Published};
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Names of the JSONL fields, remappable from the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldMap {
    /// Identifier field (string or number; required).
    pub id: String,
    /// Text field (required unless `html` is present).
    pub text: String,
    /// URL field.
    pub url: String,
    /// Site field.
    pub site: String,
    /// Title field.
    pub title: String,
    /// Publication time field (RFC 3339 or YYYY-MM-DD).
    pub published: String,
}

impl Default for FieldMap {
    fn default() -> Self {
        FieldMap {
            id: "id".into(),
            text: "text".into(),
            url: "url".into(),
            site: "site".into(),
            title: "title".into(),
            published: "published".into(),
        }
    }
}

/// Counts of what reading produced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReadCounts {
    /// Documents read.
    pub documents: u64,
    /// Records skipped (each reported).
    pub skipped: u64,
    /// WARC records that are not HTML pages (images, scripts, non-2xx responses): skipped and
    /// counted, not reported one by one, and not a reason for exit code 2.
    pub non_html: u64,
}

/// Receives documents and skipped records as a reader produces them.
pub struct Sink<'a> {
    /// Called for every good document.
    pub on_doc: &'a mut dyn FnMut(Document),
    /// Called for every skipped record or non-fatal problem.
    pub on_skip: &'a mut dyn FnMut(Error),
    /// What has been read so far.
    pub counts: ReadCounts,
}

impl Sink<'_> {
    fn doc(&mut self, d: Document) {
        self.counts.documents += 1;
        (self.on_doc)(d);
    }

    fn skip(&mut self, path: &Path, line: u64, message: impl Into<String>) {
        self.counts.skipped += 1;
        (self.on_skip)(Error::BadRecord {
            path: path.to_path_buf(),
            line,
            message: message.into(),
        });
    }
}

/// Read every input (`-` is stdin) into the sink. Fails only when an input cannot be opened at
/// all; bad records are reported through the sink and skipped.
pub fn read_inputs(inputs: &[PathBuf], fields: &FieldMap, sink: &mut Sink<'_>) -> Result<()> {
    for input in inputs {
        if input.as_os_str() == "-" {
            let stdin = io::stdin();
            read_jsonl(
                open_sniffed(Box::new(stdin.lock()), input)?,
                input,
                fields,
                sink,
            );
        } else if input.is_dir() {
            read_dir(input, fields, sink)?;
        } else {
            read_file(input, input, fields, sink)?;
        }
    }
    Ok(())
}

fn io_err(path: &Path, source: io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Wrap a byte stream in the decompressor its first bytes announce (gzip, zstd, or none).
fn open_sniffed<'a>(inner: Box<dyn Read + 'a>, path: &Path) -> Result<Box<dyn BufRead + 'a>> {
    let mut br = BufReader::with_capacity(1 << 16, inner);
    let head = br.fill_buf().map_err(|e| io_err(path, e))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(br),
        )))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let z = zstd::stream::read::Decoder::with_buffer(br).map_err(|e| io_err(path, e))?;
        Ok(Box::new(BufReader::with_capacity(1 << 16, z)))
    } else {
        Ok(Box::new(br))
    }
}

fn read_file(path: &Path, shown: &Path, fields: &FieldMap, sink: &mut Sink<'_>) -> Result<()> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if let Some(r) = read_web(path, shown, &name, sink) {
        return r;
    }
    if name.ends_with(".txt") {
        let id = shown.to_string_lossy().replace('\\', "/");
        read_txt(path, id, sink)
    } else {
        let f = File::open(path).map_err(|e| io_err(path, e))?;
        read_jsonl(open_sniffed(Box::new(f), path)?, path, fields, sink);
        Ok(())
    }
}

fn read_dir(root: &Path, fields: &FieldMap, sink: &mut Sink<'_>) -> Result<()> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| io_err(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_err(&dir, e))?;
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    // Sorted so that warnings come in a stable order; documents are reordered later anyway.
    files.sort();
    for p in files {
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let rel = p.strip_prefix(root).unwrap_or(&p).to_path_buf();
        if name.ends_with(".txt") {
            read_txt(&p, rel.to_string_lossy().replace('\\', "/"), sink)?;
        } else if name.ends_with(".jsonl")
            || name.ends_with(".jsonl.gz")
            || name.ends_with(".jsonl.zst")
            || is_web(&name)
        {
            read_file(&p, &rel, fields, sink)?;
        }
    }
    Ok(())
}

fn read_txt(path: &Path, id: String, sink: &mut Sink<'_>) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
    match String::from_utf8(bytes) {
        Err(e) => sink.skip(
            path,
            0,
            format!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to()),
        ),
        Ok(text) if text.trim().is_empty() => sink.skip(path, 0, "empty document"),
        Ok(text) => sink.doc(Document::new(id, text)),
    }
    Ok(())
}

/// Read JSON Lines from a stream; never fails, reports bad lines through the sink.
pub fn read_jsonl(
    mut r: Box<dyn BufRead + '_>,
    path: &Path,
    fields: &FieldMap,
    sink: &mut Sink<'_>,
) {
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        match r.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                sink.skip(
                    path,
                    line_no + 1,
                    format!("truncated or corrupt input, rest of file skipped: {e}"),
                );
                break;
            }
        }
        line_no += 1;
        let Ok(line) = std::str::from_utf8(&buf) else {
            sink.skip(path, line_no, "invalid UTF-8");
            continue;
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match parse_record(line, fields) {
            Ok(doc) => sink.doc(doc),
            Err(msg) => sink.skip(path, line_no, msg),
        }
    }
}

fn get_str(
    obj: &serde_json::Map<String, serde_json::Value>,
    field: &str,
) -> std::result::Result<Option<String>, String> {
    match obj.get(field) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!(
            "field \"{field}\" must be a string, got {}",
            kind(other)
        )),
    }
}

fn kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Parse one JSONL record into a document, or say what is wrong with it.
pub fn parse_record(line: &str, fields: &FieldMap) -> std::result::Result<Document, String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("malformed JSON: {e}"))?;
    let serde_json::Value::Object(obj) = value else {
        return Err(format!("expected a JSON object, got {}", kind(&value)));
    };
    let id = match obj.get(&fields.id) {
        Some(serde_json::Value::String(s)) => DocId::Str(s.clone()),
        Some(serde_json::Value::Number(n)) => DocId::Num(n.to_string()),
        Some(other) => {
            return Err(format!(
                "field \"{}\" must be a string or number, got {}",
                fields.id,
                kind(other)
            ))
        }
        None => return Err(format!("missing field \"{}\"", fields.id)),
    };
    let Some(text) = get_str(&obj, &fields.text)? else {
        return html_record(&obj, id, fields);
    };
    if text.trim().is_empty() {
        return Err(format!("empty document (id {id})"));
    }
    let published = match get_str(&obj, &fields.published)? {
        None => None,
        Some(raw) => Some(Published::parse(&raw).ok_or_else(|| {
            format!(
                "field \"{}\" is not RFC 3339 or YYYY-MM-DD: {raw:?}",
                fields.published
            )
        })?),
    };
    Ok(Document {
        id,
        url: get_str(&obj, &fields.url)?,
        site: get_str(&obj, &fields.site)?,
        title: get_str(&obj, &fields.title)?,
        published,
        text,
    })
}

// --- Web inputs (issue 4): WARC files, .html pages, JSONL records with an `html` field. ---

/// File names read as web inputs rather than JSONL.
fn is_web(name: &str) -> bool {
    // Common Crawl names its text extracts `*.warc.wet.gz`.
    [".warc", ".warc.gz", ".wet", ".wet.gz", ".html", ".htm"]
        .iter()
        .any(|e| name.ends_with(e))
}

/// Read a WARC file or an HTML page; `None` when `name` is not a web input.
fn read_web(path: &Path, shown: &Path, name: &str, sink: &mut Sink<'_>) -> Option<Result<()>> {
    if name.ends_with(".html") || name.ends_with(".htm") {
        let id = shown.to_string_lossy().replace('\\', "/");
        return Some(match crate::html::read_html_file(path, id) {
            Ok(d) => {
                sink.doc(d);
                Ok(())
            }
            Err(Error::Io { path, source }) => Err(Error::Io { path, source }),
            Err(e) => {
                sink.counts.skipped += 1;
                (sink.on_skip)(e);
                Ok(())
            }
        });
    }
    if !is_web(name) {
        return None;
    }
    let mut docs = 0;
    let mut skipped = 0;
    let r = crate::warc::read_warc(
        path,
        &mut |d| {
            docs += 1;
            (sink.on_doc)(d);
        },
        &mut |e| {
            skipped += 1;
            (sink.on_skip)(e);
        },
    );
    sink.counts.documents += docs;
    sink.counts.skipped += skipped;
    Some(r.map(|c| sink.counts.non_html += c.skipped_non_html))
}

/// A JSONL record with an `html` field in place of `text`: the page's main text, its metadata
/// filling what the record does not give.
fn html_record(
    obj: &serde_json::Map<String, serde_json::Value>,
    id: DocId,
    fields: &FieldMap,
) -> std::result::Result<Document, String> {
    let html = get_str(obj, "html")?
        .ok_or_else(|| format!("missing field \"{}\" (or \"html\")", fields.text))?;
    let url = get_str(obj, &fields.url)?;
    let mut doc = crate::html::document_from_html(id, html.as_bytes(), url.as_deref())
        .map_err(|e| e.to_string())?;
    if let Some(site) = get_str(obj, &fields.site)? {
        doc.site = Some(site);
    }
    if let Some(title) = get_str(obj, &fields.title)? {
        doc.title = Some(title);
    }
    if let Some(raw) = get_str(obj, &fields.published)? {
        doc.published = Some(Published::parse(&raw).ok_or_else(|| {
            format!(
                "field \"{}\" is not RFC 3339 or YYYY-MM-DD: {raw:?}",
                fields.published
            )
        })?);
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> (Vec<Document>, Vec<String>) {
        let mut docs = Vec::new();
        let mut errs = Vec::new();
        {
            let mut on_doc = |d| docs.push(d);
            let mut on_skip = |e: Error| errs.push(e.to_string());
            let mut sink = Sink {
                on_doc: &mut on_doc,
                on_skip: &mut on_skip,
                counts: ReadCounts::default(),
            };
            let r = open_sniffed(Box::new(bytes), Path::new("t.jsonl")).expect("sniff");
            read_jsonl(r, Path::new("t.jsonl"), &FieldMap::default(), &mut sink);
        }
        (docs, errs)
    }

    #[test]
    fn bad_lines_are_reported_with_line_numbers() {
        let input = b"{\"id\": 1, \"text\": \"a b c\"}\n{bad\n{\"text\": \"x\"}\n\xff\xfe\n{\"id\": \"e\", \"text\": \"  \"}\n\n{\"id\": \"z\", \"text\": \"ok\", \"published\": \"2024-01-02\"}\n";
        let (docs, errs) = read(input);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].id, DocId::Num("1".into()));
        assert_eq!(
            docs[1].published.as_ref().map(|p| p.raw.as_str()),
            Some("2024-01-02")
        );
        assert_eq!(errs.len(), 4, "{errs:?}");
        assert!(
            errs[0].starts_with("t.jsonl:2: malformed JSON"),
            "{}",
            errs[0]
        );
        assert!(errs[1].contains(":3: missing field \"id\""));
        assert!(errs[2].contains(":4: invalid UTF-8"));
        assert!(errs[3].contains(":5: empty document"));
    }

    #[test]
    fn html_field_in_place_of_text() {
        let page = "<html><head><meta property='article:published_time' content='2024-02-03'></head><body><article><p>Wheat prices rose sharply on Monday after heavy rain delayed the harvest across the northern plains, traders said.</p></article></body></html>";
        let line =
            serde_json::json!({"id": "h1", "url": "https://www.grain.example.com/a", "html": page})
                .to_string();
        let d = parse_record(&line, &FieldMap::default()).expect("html record");
        assert!(d.text.starts_with("Wheat prices rose"), "{}", d.text);
        assert_eq!(d.site.as_deref(), Some("example.com"));
        assert_eq!(d.published.map(|p| p.raw), Some("2024-02-03".to_string()));
        let bare = parse_record(r#"{"id": 1}"#, &FieldMap::default()).expect_err("no text");
        assert!(
            bare.contains("missing field \"text\" (or \"html\")"),
            "{bare}"
        );
    }

    #[test]
    fn truncated_gzip_is_reported() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        for i in 0..200 {
            writeln!(
                enc,
                "{{\"id\": {i}, \"text\": \"document number {i} with some words\"}}"
            )
            .expect("write");
        }
        let gz = enc.finish().expect("finish");
        let (docs, errs) = read(&gz[..gz.len() / 2]);
        assert!(docs.len() < 200);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].contains("truncated or corrupt"), "{}", errs[0]);
    }
}
