//! input: where do documents come from?
//!
//! Readers for JSON Lines (plain, `.gz`, `.zst`), WARC and ARC files (plain or gzip), HTML pages,
//! folders (walked recursively: `.txt` files become one document each with the path relative to
//! the folder as id; `.jsonl*`, `.warc*`, `.wet*`, `.arc*`, `.html`, `.htm` files inside are read
//! as inputs) and single `.txt` files; `-` is stdin. Every input but a `.txt` file is sniffed
//! from its first bytes after decompression: `{` is JSON Lines (after an optional UTF-8 BOM and
//! whitespace), `WARC/` a WARC file, `filedesc://` an ARC file, `<` an HTML page; anything else
//! is one error naming the file. Readers are the only part of the library that touches files
//! besides the CLI, and all of them also take bytes or any `Read` (the fuzz targets use that).
//!
//! Invariants:
//! - A record that cannot be used (malformed JSON, invalid UTF-8, a missing or mistyped id or
//!   text, an empty text, a text that is mostly replacement or control characters, a line or
//!   record over the record size limit, a truncated compressed stream) is reported to the
//!   caller's `on_skip` as [`Error::BadRecord`] naming the file and the record's [`Location`]
//!   (line for JSON Lines, byte offset for WARC and ARC, the whole file for a page, a text file
//!   or an input that cannot be read), counted, and skipped; reading goes on with the next record (or, for a broken
//!   compressed stream, the next input).
//! - An optional field that cannot be used (`published` that is not a real date, a `title` that
//!   is not a string) is dropped from a document that is kept, and reported as
//!   [`Error::Warning`]: counted as a warning, not as a skip.
//! - No line, record or decoded body larger than the record size limit is held in memory.
//! - [`read_documents`] keeps one document per id whatever the input order: among documents
//!   sharing an id, the one with the smallest (text hash, text, url, site, title, published,
//!   file, line); the others are reported with both locations and counted as skipped.

pub mod arc;
pub mod html;
pub mod warc;

use crate::corpus::{read_text, Corpus, SpilledTexts, TextSpill};
use crate::document::{DocId, Document, Published};
use crate::error::{Error, Location, Result};
use crate::spill::SpilledSlices;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Default record size limit (`--max-record-size`): 64 MiB. A JSONL line, a WARC or ARC record
/// header or block, a decoded HTTP body, a page or a text file larger than this is reported and
/// skipped rather than held in memory.
pub const DEFAULT_MAX_RECORD_SIZE: u64 = 64 << 20;

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

/// How inputs are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// Names of the JSONL fields.
    pub fields: FieldMap,
    /// The record size limit in bytes [default: [`DEFAULT_MAX_RECORD_SIZE`]].
    pub max_record_size: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            fields: FieldMap::default(),
            max_record_size: DEFAULT_MAX_RECORD_SIZE,
        }
    }
}

/// Counts of what reading produced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReadCounts {
    /// Documents read (after duplicate ids are dropped, by [`read_documents`]).
    pub documents: u64,
    /// Records skipped (each reported), duplicate ids included.
    pub skipped: u64,
    /// WARC records that are not HTML pages (images, scripts, non-2xx responses): skipped and
    /// counted, not reported one by one, and not a reason for exit code 2.
    pub non_html: u64,
    /// Problems that lost no record (each reported as [`Error::Warning`]): not a reason for
    /// exit code 2.
    pub warnings: u64,
    /// Documents dropped because another document has their id (also in `skipped`).
    pub duplicates: u64,
}

/// Where a document was read: the input file and the record's place in it (1-based line for
/// JSON Lines, byte offset for WARC and ARC, the whole file for a page or a text file).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    /// The input file (`-` for stdin).
    pub path: Arc<Path>,
    /// Where in it.
    pub location: Location,
}

impl std::fmt::Display for Origin {
    /// `x.jsonl line 3`, `x.warc at byte 1234`, `page.html`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.location.in_file(&self.path))
    }
}

/// Receives documents and skipped records as a reader produces them.
pub struct Sink<'a> {
    /// Called for every good document, with where it was read.
    pub on_doc: &'a mut dyn FnMut(Document, Origin),
    /// Called for every skipped record ([`Error::BadRecord`]) or warning ([`Error::Warning`]).
    pub on_skip: &'a mut dyn FnMut(Error),
    /// What has been read so far.
    pub counts: ReadCounts,
}

impl Sink<'_> {
    /// A document read at `location` in `path`, unless its text is unreadable (then it is
    /// skipped).
    fn doc(&mut self, d: Document, path: &Arc<Path>, location: Location) {
        if let Some(why) = crate::document::unreadable(&d.text) {
            self.skip(path, location, format!("id {}: {why}", d.id));
            return;
        }
        self.counts.documents += 1;
        (self.on_doc)(
            d,
            Origin {
                path: path.clone(),
                location,
            },
        );
    }

    fn skip(&mut self, path: &Path, location: Location, message: impl Into<String>) {
        self.counts.skipped += 1;
        (self.on_skip)(Error::BadRecord {
            path: path.to_path_buf(),
            location,
            message: message.into(),
        });
    }

    fn warn(&mut self, path: &Path, location: Location, message: impl Into<String>) {
        self.counts.warnings += 1;
        (self.on_skip)(Error::Warning {
            path: path.to_path_buf(),
            location,
            message: message.into(),
        });
    }

    /// A broken record or warning from a library reader, counted by its kind.
    fn report(&mut self, e: Error) {
        match e {
            Error::Warning { .. } => self.counts.warnings += 1,
            _ => self.counts.skipped += 1,
        }
        (self.on_skip)(e);
    }
}

/// Read every input into memory with one document per id (see the module's invariants for the
/// rule), reporting bad records, warnings and dropped duplicates to `on_problem`. Documents come
/// out in id order. Fails only when an input cannot be opened at all.
pub fn read_documents(
    inputs: &[PathBuf],
    options: &ReadOptions,
    on_problem: &mut dyn FnMut(Error),
) -> Result<(Vec<Document>, ReadCounts)> {
    // A corpus whose texts never go to disk.
    let (corpus, counts) = read_corpus(inputs, options, on_problem, &TextSpill::default())?;
    Ok((corpus.docs, counts))
}

/// [`read_documents`], with the texts written to disk as they are read once `spill` says so
/// (see [`TextSpill`]): then only the documents' other fields are held, and a corpus larger
/// than memory can be read. The documents and counts are those [`read_documents`] gives.
/// Fails when an input cannot be opened at all or a text cannot be written.
pub fn read_corpus(
    inputs: &[PathBuf],
    options: &ReadOptions,
    on_problem: &mut dyn FnMut(Error),
    spill: &TextSpill,
) -> Result<(Corpus, ReadCounts)> {
    // Every document read, with its text hash and its place in reading order (which, once the
    // texts go to disk, is its text's slice there).
    let mut read: Vec<(u64, Document, Origin, u32)> = Vec::new();
    let mut store: Option<SpilledSlices<u8>> = None;
    let mut held: u64 = 0;
    let mut failed: Option<Error> = None;
    let mut on_doc = |mut d: Document, o: Origin| {
        if failed.is_some() {
            return;
        }
        let Ok(slot) = u32::try_from(read.len()) else {
            failed = Some(Error::InvalidParameter {
                name: "inputs",
                message: format!("more than {} documents", u32::MAX),
            });
            return;
        };
        held += d.text.len() as u64;
        if store.is_none() && spill.after.is_some_and(|after| held >= after) {
            match spill_held(&mut read, spill) {
                Ok(s) => store = Some(s),
                Err(e) => {
                    failed = Some(e);
                    return;
                }
            }
        }
        // The hash the scan orders by (`Document::order_key`), before the text goes to disk.
        let hash = d.order_key().1;
        if let Some(s) = store.as_mut() {
            if let Err(e) = s.push(d.text.as_bytes()) {
                failed = Some(e);
                return;
            }
            d.text = String::new();
        }
        read.push((hash, d, o, slot));
    };
    let mut sink = Sink {
        on_doc: &mut on_doc,
        on_skip: on_problem,
        counts: ReadCounts::default(),
    };
    read_inputs(inputs, options, &mut sink)?;
    let mut counts = sink.counts;
    if let Some(e) = failed {
        return Err(e);
    }
    let Some(mut store) = store else {
        let (kept, dropped) = dedup_hashed(read);
        report_dropped(dropped, &mut counts, on_problem);
        let docs = kept.into_iter().map(|(d, _)| d).collect::<Vec<_>>();
        return Ok((Corpus::from(docs), counts));
    };
    store.finish_writing()?;
    // Documents that share an id and a text hash are told apart by their texts (as
    // `read_documents` does): those few are read back for the comparison.
    read.sort_by(|(ha, a, ..), (hb, b, ..)| a.id.cmp(&b.id).then(ha.cmp(hb)));
    let mut start = 0;
    while start < read.len() {
        let (h, id) = (read[start].0, &read[start].1.id);
        let end = start
            + read[start..]
                .iter()
                .take_while(|(hb, b, ..)| *hb == h && &b.id == id)
                .count();
        if end - start > 1 {
            for (_, d, _, slot) in &mut read[start..end] {
                d.text = read_text(&store, *slot as usize)?;
            }
        }
        start = end;
    }
    let (kept, dropped) = dedup_hashed(read);
    report_dropped(dropped, &mut counts, on_problem);
    let (docs, slots): (Vec<Document>, Vec<u32>) = kept
        .into_iter()
        .map(|(mut d, slot)| {
            d.text = String::new();
            (d, slot)
        })
        .unzip();
    Ok((
        Corpus::spilled(docs, SpilledTexts::by_slot(store, slots)),
        counts,
    ))
}

/// The texts of the documents read so far, written to a new store in reading order (each
/// document's slice is its place in `read`) and dropped from memory.
fn spill_held(
    read: &mut [(u64, Document, Origin, u32)],
    spill: &TextSpill,
) -> Result<SpilledSlices<u8>> {
    let mut store = SpilledSlices::<u8>::create(spill.dir.as_deref())?;
    for (_, d, ..) in read.iter_mut() {
        store.push(d.text.as_bytes())?;
        d.text = String::new();
    }
    Ok(store)
}

/// Count and report the documents [`dedup_hashed`] dropped.
fn report_dropped(dropped: Dropped, counts: &mut ReadCounts, on_problem: &mut dyn FnMut(Error)) {
    for (id, dropped, kept) in dropped {
        counts.documents -= 1;
        counts.skipped += 1;
        counts.duplicates += 1;
        on_problem(Error::BadRecord {
            path: dropped.path.to_path_buf(),
            location: dropped.location,
            message: if dropped == kept {
                format!("duplicate id {id}: the same record as {kept} (an input given twice?)")
            } else {
                format!(
                    "duplicate id {id}: the document in {kept} is kept (ids must be unique; of \
                     documents sharing one, the one with the smallest text hash is kept)"
                )
            },
        });
    }
}

/// One document per id, whatever the input order: among documents sharing an id, the smallest
/// by (text hash, text, url, site, title, published, origin). Returns the documents in id order
/// and, in that order too, each dropped document's id and origin with the kept one's origin.
pub fn dedup_ids(read: Vec<(Document, Origin)>) -> (Vec<Document>, Vec<(DocId, Origin, Origin)>) {
    // The text hash is computed once per document, not once per comparison.
    let read = read
        .into_iter()
        .map(|(d, o)| (d.order_key().1, d, o, ()))
        .collect();
    let (kept, dropped) = dedup_hashed(read);
    (kept.into_iter().map(|(d, ())| d).collect(), dropped)
}

/// Each dropped document's id and origin, with the kept one's origin.
type Dropped = Vec<(DocId, Origin, Origin)>;

/// [`dedup_ids`] of documents whose text hashes are given, each carrying an `X` along.
fn dedup_hashed<X>(mut read: Vec<(u64, Document, Origin, X)>) -> (Vec<(Document, X)>, Dropped) {
    read.sort_by(|(ha, a, oa, _), (hb, b, ob, _)| {
        a.id.cmp(&b.id)
            .then_with(|| ha.cmp(hb))
            .then_with(|| a.text.cmp(&b.text))
            .then_with(|| a.url.cmp(&b.url))
            .then_with(|| a.site.cmp(&b.site))
            .then_with(|| a.title.cmp(&b.title))
            .then_with(|| {
                let raw = |d: &Document| d.published.as_ref().map(|p| p.raw.clone());
                raw(a).cmp(&raw(b))
            })
            .then_with(|| oa.cmp(ob))
    });
    let mut docs: Vec<(Document, X)> = Vec::with_capacity(read.len());
    let mut kept_at: Option<Origin> = None;
    let mut dropped = Vec::new();
    for (_, d, o, x) in read {
        match (docs.last(), &kept_at) {
            (Some((last, _)), Some(k)) if last.id == d.id => dropped.push((d.id, o, k.clone())),
            _ => {
                docs.push((d, x));
                kept_at = Some(o);
            }
        }
    }
    (docs, dropped)
}

/// Read every input (`-` is stdin) into the sink. Fails only when an input cannot be opened at
/// all; bad records are reported through the sink and skipped. Duplicate ids are not looked
/// for here (see [`read_documents`]).
pub fn read_inputs(inputs: &[PathBuf], options: &ReadOptions, sink: &mut Sink<'_>) -> Result<()> {
    for input in inputs {
        if input.as_os_str() == "-" {
            let stdin = io::stdin();
            read_stream(Box::new(stdin.lock()), input, input, options, sink)?;
        } else if input.is_dir() {
            read_dir(input, options, sink)?;
        } else {
            read_file(input, input, options, sink)?;
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

/// What an input holds, from its first bytes after decompression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON Lines: `{` after an optional BOM and whitespace.
    Jsonl,
    /// WARC: `WARC/`.
    Warc,
    /// ARC: `filedesc://`.
    Arc,
    /// An HTML page: `<` (a tag, a doctype or a comment).
    Html,
    /// Nothing but whitespace.
    Empty,
    /// None of these.
    Unknown,
}

/// The format of an input from its first (decompressed) bytes.
pub fn sniff(head: &[u8]) -> Format {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head.iter().position(|c| !c.is_ascii_whitespace());
    let Some(start) = start else {
        return Format::Empty;
    };
    let h = &head[start..];
    if h.starts_with(b"{") {
        Format::Jsonl
    } else if h.starts_with(b"WARC/") {
        Format::Warc
    } else if h.starts_with(b"filedesc://") {
        Format::Arc
    } else if h.starts_with(b"<") {
        Format::Html
    } else {
        Format::Unknown
    }
}

/// Compression announced by the first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
    Zstd,
}

fn compression(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// Wrap a byte stream in the decompressor its first bytes announce (gzip, zstd, or none).
fn open_sniffed<'a>(inner: Box<dyn Read + 'a>, path: &Path) -> Result<Box<dyn BufRead + 'a>> {
    let mut br = BufReader::with_capacity(1 << 16, inner);
    let head = br.fill_buf().map_err(|e| io_err(path, e))?;
    match compression(head) {
        Compression::Gzip => Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(br),
        ))),
        Compression::Zstd => {
            let z = zstd::stream::read::Decoder::with_buffer(br).map_err(|e| io_err(path, e))?;
            Ok(Box::new(BufReader::with_capacity(1 << 16, z)))
        }
        Compression::None => Ok(Box::new(br)),
    }
}

/// Bytes looked at to tell an input's format (raw, then decompressed).
const HEAD: usize = 64 << 10;

/// Up to `n` bytes from the start of `r`, fewer only at its end.
fn read_head(r: &mut dyn Read, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// The first bytes of a stream after decompression, from its first raw bytes; decoding errors
/// leave what was decoded before them.
fn decompressed_head(raw: &[u8]) -> Vec<u8> {
    const N: u64 = HEAD as u64;
    let mut out = Vec::new();
    match compression(raw) {
        Compression::None => return raw.to_vec(),
        Compression::Gzip => {
            let _ = flate2::read::MultiGzDecoder::new(raw)
                .take(N)
                .read_to_end(&mut out);
        }
        Compression::Zstd => {
            if let Ok(z) = zstd::stream::read::Decoder::new(raw) {
                let _ = z.take(N).read_to_end(&mut out);
            }
        }
    }
    out
}

/// Read one input from a byte stream, whatever its format (sniffed from its first bytes).
/// `path` names it in messages; `shown` is its id when it is an HTML page.
pub fn read_stream(
    mut inner: Box<dyn Read + '_>,
    path: &Path,
    shown: &Path,
    options: &ReadOptions,
    sink: &mut Sink<'_>,
) -> Result<()> {
    let raw = read_head(&mut inner, HEAD).map_err(|e| io_err(path, e))?;
    let head = decompressed_head(&raw);
    let mut format = sniff(&head);
    if format == Format::Empty && head.len() >= HEAD {
        // Blank as far as we looked, but there is more: let the JSONL reader see it all.
        format = Format::Jsonl;
    }
    let comp = compression(&raw);
    let stream: Box<dyn Read + '_> = Box::new(io::Cursor::new(raw).chain(inner));
    let arc_path: Arc<Path> = Arc::from(path);
    match format {
        Format::Empty if head.is_empty() && comp != Compression::None => {
            // A compressed stream that yields nothing: say why.
            read_jsonl(open_sniffed(stream, path)?, path, options, sink);
        }
        Format::Empty => {}
        Format::Jsonl => read_jsonl_batched(
            open_sniffed(stream, path)?,
            path,
            options,
            sink,
            PARSE_BATCH_BYTES,
        ),
        Format::Warc | Format::Arc => {
            // The archive reader undoes gzip itself (it needs member offsets); zstd is undone
            // here.
            let stream = match comp {
                Compression::Zstd => Box::new(open_sniffed(stream, path)?) as Box<dyn Read>,
                _ => stream,
            };
            let dialect = if format == Format::Warc {
                crate::input::warc::Dialect::Warc
            } else {
                crate::input::warc::Dialect::Arc
            };
            let mut docs = Vec::new();
            let mut problems = Vec::new();
            let r = crate::input::warc::read_archive(
                stream,
                path,
                dialect,
                options.max_record_size,
                &mut |d, at| docs.push((d, at)),
                &mut |e| problems.push(e),
            );
            // Reports come before the documents of the same file; both in file order.
            for e in problems {
                sink.report(e);
            }
            for (d, at) in docs {
                sink.doc(d, &arc_path, Location::ByteOffset(at));
            }
            let c = r?;
            sink.counts.non_html += c.skipped_non_html;
        }
        Format::Html => {
            let mut bytes = Vec::new();
            let max = options.max_record_size;
            let got = open_sniffed(stream, path)?
                .take(max.saturating_add(1))
                .read_to_end(&mut bytes);
            match got {
                Err(e) => sink.skip(
                    path,
                    Location::WholeFile,
                    format!("truncated or corrupt input: {e}"),
                ),
                Ok(n) if n as u64 > max => sink.skip(
                    path,
                    Location::WholeFile,
                    format!("page over the record size limit of {max} bytes (--max-record-size)"),
                ),
                Ok(_) => {
                    let id = shown.to_string_lossy().replace('\\', "/");
                    match crate::input::html::document_from_html(DocId::Str(id), &bytes, None) {
                        Ok(d) => sink.doc(d, &arc_path, Location::WholeFile),
                        Err(e) => sink.skip(path, Location::WholeFile, e.to_string()),
                    }
                }
            }
        }
        Format::Unknown => sink.skip(
            path,
            Location::WholeFile,
            format!(
                "unknown input format (starts with {:?}): expected JSON Lines, WARC, ARC or HTML",
                String::from_utf8_lossy(&head[..head.len().min(16)])
            ),
        ),
    }
    Ok(())
}

fn read_file(path: &Path, shown: &Path, options: &ReadOptions, sink: &mut Sink<'_>) -> Result<()> {
    let name = lower_name(path);
    if name.ends_with(".txt") {
        let id = shown.to_string_lossy().replace('\\', "/");
        return read_txt(path, id, options.max_record_size, sink);
    }
    let f = File::open(path).map_err(|e| io_err(path, e))?;
    read_stream(Box::new(f), path, shown, options, sink)
}

fn lower_name(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// File names read inside folders (any other file there is passed over).
fn is_input_name(name: &str) -> bool {
    // Common Crawl names its text extracts `*.warc.wet.gz`.
    [
        ".txt",
        ".jsonl",
        ".jsonl.gz",
        ".jsonl.zst",
        ".warc",
        ".warc.gz",
        ".warc.zst",
        ".wet",
        ".wet.gz",
        ".arc",
        ".arc.gz",
        ".html",
        ".htm",
    ]
    .iter()
    .any(|e| name.ends_with(e))
}

/// What a folder walk found: input files in path order, and problems met on the way.
#[derive(Debug, Default)]
pub struct Walk {
    /// Regular files (or symlinks to them) with an input name, sorted by path.
    pub files: Vec<PathBuf>,
    /// Entries that could not be read (permission, vanished) or are special files (FIFOs,
    /// sockets, devices) with an input name: skipped records.
    pub skipped: Vec<Error>,
    /// Symlinks that lead back into a folder being walked: passed over.
    pub loops: Vec<Error>,
}

/// Walk `root` recursively: the one folder walk of the library. Symlinks are followed (to files
/// and to folders) except into a folder the walk is already inside, so a loop ends; special
/// files are never opened (a FIFO would block); an unreadable entry is reported, not fatal.
/// `wanted` chooses files by lowercased name.
pub fn walk_files(root: &Path, wanted: &dyn Fn(&str) -> bool) -> Walk {
    let mut w = Walk::default();
    for entry in walkdir::WalkDir::new(root).follow_links(true) {
        match entry {
            Ok(e) => {
                let ft = e.file_type();
                let name = lower_name(e.path());
                if ft.is_dir() {
                    continue;
                }
                if !wanted(&name) {
                    continue;
                }
                if ft.is_file() {
                    w.files.push(e.into_path());
                } else {
                    w.skipped.push(Error::BadRecord {
                        path: e.into_path(),
                        location: Location::WholeFile,
                        message: "not a regular file (FIFO, socket or device): not read".into(),
                    });
                }
            }
            Err(e) => {
                let path = e
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| root.to_path_buf());
                if let Some(ancestor) = e.loop_ancestor() {
                    w.loops.push(Error::Warning {
                        path,
                        location: Location::WholeFile,
                        message: format!(
                            "symlink loop back to {}: not followed",
                            ancestor.display()
                        ),
                    });
                } else {
                    let message = match e.io_error() {
                        Some(io) => format!("cannot be read: {io}"),
                        None => format!("cannot be read: {e}"),
                    };
                    w.skipped.push(Error::BadRecord {
                        path,
                        location: Location::WholeFile,
                        message,
                    });
                }
            }
        }
    }
    // Sorted so that warnings come in a stable order; documents are reordered later anyway.
    w.files.sort();
    w
}

fn read_dir(root: &Path, options: &ReadOptions, sink: &mut Sink<'_>) -> Result<()> {
    let walk = walk_files(root, &is_input_name);
    for e in walk.loops {
        sink.report(e);
    }
    for e in walk.skipped {
        sink.report(e);
    }
    for p in walk.files {
        let rel = p.strip_prefix(root).unwrap_or(&p).to_path_buf();
        let r = read_file(&p, &rel, options, sink);
        if let Err(Error::Io { path, source }) = r {
            // One unreadable file does not end the scan of a folder.
            sink.skip(
                &path,
                Location::WholeFile,
                format!("cannot be read: {source}"),
            );
        } else {
            r?;
        }
    }
    Ok(())
}

fn read_txt(path: &Path, id: String, max: u64, sink: &mut Sink<'_>) -> Result<()> {
    let f = File::open(path).map_err(|e| io_err(path, e))?;
    let mut bytes = Vec::new();
    f.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io_err(path, e))?;
    let at: Arc<Path> = Arc::from(path);
    if bytes.len() as u64 > max {
        sink.skip(
            path,
            Location::WholeFile,
            format!("file over the record size limit of {max} bytes (--max-record-size)"),
        );
        return Ok(());
    }
    match String::from_utf8(bytes) {
        Err(e) => sink.skip(
            path,
            Location::WholeFile,
            format!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to()),
        ),
        Ok(text) if text.trim().is_empty() => {
            sink.skip(path, Location::WholeFile, "empty document")
        }
        Ok(text) => {
            let text = text
                .strip_prefix('\u{feff}')
                .map(str::to_string)
                .unwrap_or(text);
            sink.doc(Document::new(id, text), &at, Location::WholeFile)
        }
    }
    Ok(())
}

/// Read a line into `buf`, keeping at most `max` bytes of it; the rest up to the newline is
/// consumed and dropped. Returns the bytes consumed (0 at the end) and whether the line was cut.
pub fn read_line_capped(
    r: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    max: u64,
) -> io::Result<(u64, bool)> {
    let cap = usize::try_from(max).unwrap_or(usize::MAX);
    let mut total = 0u64;
    let mut cut = false;
    loop {
        let (n, found) = {
            let b = match r.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if b.is_empty() {
                break;
            }
            let (n, found) = match b.iter().position(|&c| c == b'\n') {
                Some(i) => (i + 1, true),
                None => (b.len(), false),
            };
            let room = cap.saturating_sub(buf.len());
            if n > room {
                cut = true;
            }
            buf.extend_from_slice(&b[..n.min(room)]);
            (n, found)
        };
        r.consume(n);
        total += n as u64;
        if found {
            break;
        }
    }
    Ok((total, cut))
}

/// Read JSON Lines from a stream; never fails, reports bad lines through the sink. A UTF-8 BOM
/// before the first line is dropped; a line longer than the record size limit is skipped
/// (reading resumes after its newline). Each record is handed on as soon as it is read, so that
/// a filter reading a pipe answers line by line; [`read_stream`] parses in batches.
pub fn read_jsonl(
    r: Box<dyn BufRead + '_>,
    path: &Path,
    options: &ReadOptions,
    sink: &mut Sink<'_>,
) {
    read_jsonl_batched(r, path, options, sink, 0);
}

/// Bytes of records [`read_stream`] reads before it parses them, in parallel.
const PARSE_BATCH_BYTES: usize = 4 << 20;

/// A line of a batch: a record's bytes in the batch's buffer, or why the line is skipped.
enum Pending {
    Record { line: u64, start: usize, end: usize },
    Skip { line: u64, message: String },
}

/// [`read_jsonl`], reading records until `batch_bytes` of them are held and parsing those in
/// parallel (rayon); they reach the sink in input order, so the result does not depend on the
/// thread count. A `batch_bytes` of 0 hands on each record as it is read.
fn read_jsonl_batched(
    mut r: Box<dyn BufRead + '_>,
    path: &Path,
    options: &ReadOptions,
    sink: &mut Sink<'_>,
    batch_bytes: usize,
) {
    use rayon::prelude::*;
    let at: Arc<Path> = Arc::from(path);
    let max = options.max_record_size;
    let mut buf = Vec::new();
    let mut records: Vec<u8> = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut line_no = 0u64;
    let mut done = false;
    while !done {
        records.clear();
        pending.clear();
        loop {
            buf.clear();
            match read_line_capped(&mut r, &mut buf, max) {
                Ok((0, _)) => {
                    done = true;
                    break;
                }
                Ok((_, false)) => {
                    line_no += 1;
                    let mut bytes = &buf[..];
                    if line_no == 1 {
                        bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
                    }
                    match std::str::from_utf8(bytes) {
                        Ok(line) => {
                            let line = line.trim();
                            if !line.is_empty() {
                                let start = records.len();
                                records.extend_from_slice(line.as_bytes());
                                pending.push(Pending::Record {
                                    line: line_no,
                                    start,
                                    end: records.len(),
                                });
                            }
                        }
                        Err(_) => pending.push(Pending::Skip {
                            line: line_no,
                            message: "invalid UTF-8".into(),
                        }),
                    }
                }
                Ok((n, true)) => {
                    line_no += 1;
                    pending.push(Pending::Skip {
                        line: line_no,
                        message: format!(
                            "line of {n} bytes is over the record size limit of {max} bytes (--max-record-size)"
                        ),
                    });
                }
                Err(e) => {
                    pending.push(Pending::Skip {
                        line: line_no + 1,
                        message: format!("truncated or corrupt input, rest of file skipped: {e}"),
                    });
                    done = true;
                    break;
                }
            }
            if records.len() >= batch_bytes && !pending.is_empty() {
                break;
            }
        }
        let ranges: Vec<(usize, usize)> = pending
            .iter()
            .filter_map(|p| match *p {
                Pending::Record { start, end, .. } => Some((start, end)),
                Pending::Skip { .. } => None,
            })
            .collect();
        let parse = |&(start, end): &(usize, usize)| {
            // Whole lines were checked as UTF-8 above, so these are character boundaries.
            let line = std::str::from_utf8(&records[start..end]).unwrap_or_default();
            parse_record_lenient(line, &options.fields)
        };
        let parsed: Vec<_> = if ranges.len() > 1 {
            ranges.par_iter().map(parse).collect()
        } else {
            ranges.iter().map(parse).collect()
        };
        let mut parsed = parsed.into_iter();
        for p in pending.drain(..) {
            match p {
                Pending::Skip { line, message } => sink.skip(path, Location::Line(line), message),
                Pending::Record { line, .. } => match parsed.next() {
                    Some(Ok((doc, dropped))) => {
                        for msg in dropped {
                            sink.warn(path, Location::Line(line), msg);
                        }
                        sink.doc(doc, &at, Location::Line(line));
                    }
                    Some(Err(msg)) => sink.skip(path, Location::Line(line), msg),
                    // One result was made for each record.
                    None => break,
                },
            }
        }
    }
}

/// Read JSON Lines (plain, gzip or zstd) from bytes, parsed in batches as [`read_stream`]
/// parses them: what the fuzz target drives.
pub fn read_jsonl_bytes(
    bytes: &[u8],
    path: &Path,
    options: &ReadOptions,
    sink: &mut Sink<'_>,
) -> Result<()> {
    read_jsonl_batched(
        open_sniffed(Box::new(bytes), path)?,
        path,
        options,
        sink,
        PARSE_BATCH_BYTES,
    );
    Ok(())
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

/// An optional string field: a value of another type is dropped with a message in `dropped`.
fn get_optional(
    obj: &serde_json::Map<String, serde_json::Value>,
    field: &str,
    dropped: &mut Vec<String>,
) -> Option<String> {
    get_str(obj, field).unwrap_or_else(|msg| {
        dropped.push(format!("{msg}: field dropped, document kept"));
        None
    })
}

/// An optional `published` field: one that is not a real RFC 3339 time or date is dropped.
fn get_published(
    obj: &serde_json::Map<String, serde_json::Value>,
    field: &str,
    dropped: &mut Vec<String>,
) -> Option<Published> {
    let raw = get_optional(obj, field, dropped)?;
    let p = Published::parse(&raw);
    if p.is_none() {
        dropped.push(format!(
            "field \"{field}\" is not an RFC 3339 time or a real YYYY-MM-DD date: {raw:?}: field dropped, document kept"
        ));
    }
    p
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

/// Parse one JSONL record into a document, or say what is wrong with it. Unusable optional
/// fields are dropped silently; [`parse_record_lenient`] also says which.
pub fn parse_record(line: &str, fields: &FieldMap) -> std::result::Result<Document, String> {
    parse_record_lenient(line, fields).map(|(d, _)| d)
}

/// Parse one JSONL record into a document and the messages for the optional fields dropped
/// from it (mistyped, or a `published` that is not a real time), or say why there is no
/// document (malformed JSON, no usable id or text).
pub fn parse_record_lenient(
    line: &str,
    fields: &FieldMap,
) -> std::result::Result<(Document, Vec<String>), String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("malformed JSON: {e}"))?;
    let serde_json::Value::Object(obj) = value else {
        return Err(format!("expected a JSON object, got {}", kind(&value)));
    };
    let id = match obj.get(&fields.id) {
        Some(serde_json::Value::String(s)) => DocId::Str(s.clone()),
        // With serde_json's arbitrary_precision, a number's text is its literal spelling: ids
        // beyond u64 stay distinct.
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
    let mut dropped = Vec::new();
    let Some(text) = get_str(&obj, &fields.text)? else {
        let doc = html_record(&obj, id, fields, &mut dropped)?;
        return Ok((doc, dropped));
    };
    if text.trim().is_empty() {
        return Err(format!("empty document (id {id})"));
    }
    let doc = Document {
        id,
        url: get_optional(&obj, &fields.url, &mut dropped),
        site: get_optional(&obj, &fields.site, &mut dropped),
        title: get_optional(&obj, &fields.title, &mut dropped),
        published: get_published(&obj, &fields.published, &mut dropped),
        text,
    };
    Ok((doc, dropped))
}

// --- JSONL records with an `html` field (issue 4). ---

/// A JSONL record with an `html` field in place of `text`: the page's main text, its metadata
/// filling what the record does not give.
fn html_record(
    obj: &serde_json::Map<String, serde_json::Value>,
    id: DocId,
    fields: &FieldMap,
    dropped: &mut Vec<String>,
) -> std::result::Result<Document, String> {
    let html = get_str(obj, "html")?
        .ok_or_else(|| format!("missing field \"{}\" (or \"html\")", fields.text))?;
    let url = get_optional(obj, &fields.url, dropped);
    let mut doc = crate::input::html::document_from_html(id, html.as_bytes(), url.as_deref())
        .map_err(|e| e.to_string())?;
    if let Some(site) = get_optional(obj, &fields.site, dropped) {
        doc.site = Some(site);
    }
    if let Some(title) = get_optional(obj, &fields.title, dropped) {
        doc.title = Some(title);
    }
    if let Some(p) = get_published(obj, &fields.published, dropped) {
        doc.published = Some(p);
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
            let mut on_doc = |d, _| docs.push(d);
            let mut on_skip = |e: Error| errs.push(e.to_string());
            let mut sink = Sink {
                on_doc: &mut on_doc,
                on_skip: &mut on_skip,
                counts: ReadCounts::default(),
            };
            read_jsonl_bytes(
                bytes,
                Path::new("t.jsonl"),
                &ReadOptions::default(),
                &mut sink,
            )
            .expect("sniff");
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
            errs[0].starts_with("reading t.jsonl line 2: malformed JSON"),
            "{}",
            errs[0]
        );
        assert!(errs[1].starts_with("reading t.jsonl line 3: missing field \"id\""));
        assert_eq!(errs[2], "reading t.jsonl line 4: invalid UTF-8");
        assert!(errs[3].starts_with("reading t.jsonl line 5: empty document"));
    }

    /// Documents (as ids) and messages of `bytes` read in batches of `batch_bytes`.
    fn read_batched(bytes: &[u8], batch_bytes: usize) -> (Vec<String>, Vec<String>) {
        let mut docs = Vec::new();
        let mut errs = Vec::new();
        {
            let mut on_doc =
                |d: Document, o: Origin| docs.push(format!("{} {:?}", d.id, o.location));
            let mut on_skip = |e: Error| errs.push(e.to_string());
            let mut sink = Sink {
                on_doc: &mut on_doc,
                on_skip: &mut on_skip,
                counts: ReadCounts::default(),
            };
            let options = ReadOptions {
                max_record_size: 120,
                ..ReadOptions::default()
            };
            read_jsonl_batched(
                Box::new(bytes),
                Path::new("t.jsonl"),
                &options,
                &mut sink,
                batch_bytes,
            );
        }
        (docs, errs)
    }

    #[test]
    fn records_parsed_in_batches_reach_the_sink_as_read_one_by_one() {
        // A BOM, a malformed line, a line over the size limit, invalid UTF-8, a dropped field,
        // blank lines and a last line without its newline, between good records.
        let mut input = b"\xef\xbb\xbf{\"id\": 1, \"text\": \"a b c\"}\n{bad\n".to_vec();
        input.extend(format!("{{\"id\": 2, \"text\": \"{}\"}}\n", "long ".repeat(40)).bytes());
        input.extend(b"\xff\xfe\n\n{\"id\": 3, \"text\": \"d e\", \"title\": 7}\n   \n");
        for i in 4..40 {
            input.extend(format!("{{\"id\": {i}, \"text\": \"word {i}\"}}\n").bytes());
        }
        input.extend(b"{\"id\": 40, \"text\": \"last\"}");
        let one_by_one = read_batched(&input, 0);
        assert_eq!(one_by_one.0.len(), 39, "{:?}", one_by_one);
        assert_eq!(one_by_one.1.len(), 4, "{:?}", one_by_one.1);
        assert_eq!(one_by_one.0[0], "1 Line(1)");
        assert!(
            one_by_one.1[1].contains("line 3: line of"),
            "{:?}",
            one_by_one.1
        );
        for batch in [1, 30, 100, PARSE_BATCH_BYTES] {
            assert_eq!(
                read_batched(&input, batch),
                one_by_one,
                "batches of {batch} bytes"
            );
        }
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

#[cfg(test)]
mod corpus_tests {
    use super::*;

    /// Documents and problems read by `read_documents`, and by `read_corpus` with texts spilled
    /// after `after` bytes, texts read back.
    #[allow(clippy::type_complexity)]
    fn both(
        inputs: &[PathBuf],
        after: Option<u64>,
    ) -> (
        (Vec<Document>, Vec<String>),
        (Vec<Document>, Vec<String>),
        bool,
    ) {
        let options = ReadOptions::default();
        let mut held_problems = Vec::new();
        let (held, held_counts) =
            read_documents(inputs, &options, &mut |e| held_problems.push(e.to_string()))
                .expect("readable");
        let mut problems = Vec::new();
        let spill = TextSpill { after, dir: None };
        let (corpus, counts) = read_corpus(
            inputs,
            &options,
            &mut |e| problems.push(e.to_string()),
            &spill,
        )
        .expect("readable");
        assert_eq!(counts, held_counts);
        let on_disk = corpus.texts_on_disk();
        let docs = (0..corpus.len())
            .map(|i| {
                let mut d = corpus.docs()[i].clone();
                if on_disk {
                    assert!(d.text.is_empty(), "a spilled text is not also held");
                }
                d.text = corpus.text(i).expect("read back");
                d
            })
            .collect();
        ((held, held_problems), (docs, problems), on_disk)
    }

    #[test]
    fn a_corpus_spilled_as_it_is_read_has_the_documents_read_into_memory() {
        let tmp = tempfile::tempdir().expect("dir");
        let line = |id: &str, text: &str, url: &str| {
            format!("{{\"id\": \"{id}\", \"text\": \"{text}\", \"url\": \"{url}\"}}\n")
        };
        // Ids repeated with other texts, with the same text and another url (a tie on the
        // text hash that only the texts and urls break), and an input given twice.
        let one = tmp.path().join("one.jsonl");
        std::fs::write(
            &one,
            [
                line("b", "the second story", "https://b.example/1"),
                line("a", "the first story", "https://a.example/2"),
                line("a", "the first story", "https://a.example/1"),
                line("c", "a third story", "https://c.example/"),
                line("a", "another first story", "https://a.example/3"),
            ]
            .concat(),
        )
        .expect("write");
        let two = tmp.path().join("two.jsonl");
        std::fs::write(&two, line("d", "the fourth story", "https://d.example/")).expect("w");
        let inputs = [one.clone(), two, one];
        // Every text read, duplicates included: the texts go to disk once this much is read.
        let total: u64 = 2 * (16 + 15 + 15 + 13 + 19) + 16;
        for after in [
            None,
            Some(0),
            Some(1),
            Some(20),
            Some(total),
            Some(total + 1),
        ] {
            let (held, spilled, on_disk) = both(&inputs, after);
            assert_eq!(held, spilled, "spilled after {after:?}");
            assert_eq!(on_disk, after.is_some_and(|a| a <= total), "{after:?}");
        }
        let ((docs, problems), ..) = both(&inputs, Some(0));
        let ids: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c", "d"]);
        assert_eq!(docs[0].url.as_deref(), Some("https://a.example/1"));
        assert_eq!(problems.len(), 7, "{problems:?}");
    }
}
