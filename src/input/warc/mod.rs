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
//!   payload) is reported through `on_skip` as [`Error::BadRecord`] whose `line` is the byte
//!   offset of the record in the file (of its gzip member, for compressed files), counted, and
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

use crate::document::{DocId, Document};
use crate::error::Error;
use crate::input::html;
use rayon::prelude::*;
use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

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

/// One WARC record: its offset, named fields and block (payload).
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// Byte offset of the record in the file; for gzip files, of the member that holds it.
    pub offset: u64,
    /// Header fields in file order, names as written.
    pub headers: Vec<(String, String)>,
    /// The record block (for `response`, the whole HTTP response).
    pub block: Vec<u8>,
}

impl Record {
    /// A header field's value by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `WARC-Type`, lowercased; empty when absent.
    pub fn warc_type(&self) -> String {
        self.header("WARC-Type")
            .unwrap_or_default()
            .to_ascii_lowercase()
    }
}

/// A buffered reader that can always look a few bytes ahead and counts what was consumed.
struct Input<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    consumed: u64,
}

impl<R: Read> Input<R> {
    fn new(inner: R) -> Self {
        Input {
            inner,
            buf: vec![0; 256 << 10],
            pos: 0,
            end: 0,
            consumed: 0,
        }
    }

    /// At least `n` buffered bytes, fewer only at end of input.
    fn ensure(&mut self, n: usize) -> io::Result<&[u8]> {
        if self.end - self.pos < n {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
            while self.end < n {
                let got = self.inner.read(&mut self.buf[self.end..])?;
                if got == 0 {
                    break;
                }
                self.end += got;
            }
        }
        Ok(&self.buf[self.pos..self.end])
    }
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let b = self.fill_buf()?;
            let n = b.len().min(out.len());
            out[..n].copy_from_slice(&b[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Input<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.end {
            self.pos = 0;
            self.end = self.inner.read(&mut self.buf)?;
        }
        Ok(&self.buf[self.pos..self.end])
    }

    fn consume(&mut self, n: usize) {
        self.pos += n;
        self.consumed += n as u64;
    }
}

const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

/// Concatenated gzip members as one stream. A `read` never returns bytes of two members, so the
/// member that a record starts in is known; after a decoding error the next `read` resumes at
/// the next gzip header.
struct Members<R: Read> {
    state: Option<MemberState<R>>,
    member_start: u64,
    resync: bool,
    /// Decompressed bytes handed out so far.
    out: u64,
    /// Where recent members start: (decompressed position, compressed offset), oldest first.
    /// Pruned as records are read, so it holds the members of the records in flight.
    starts: VecDeque<(u64, u64)>,
}

enum MemberState<R: Read> {
    Between(Input<R>),
    In(Box<flate2::bufread::GzDecoder<Input<R>>>),
}

impl<R: Read> Members<R> {
    fn skip_to_next_member(input: &mut Input<R>, member_start: u64) -> io::Result<()> {
        if input.consumed <= member_start {
            let n = input.ensure(1)?.len().min(1);
            input.consume(n);
        }
        loop {
            let b = input.ensure(3)?;
            if b.len() < 3 {
                let n = b.len();
                input.consume(n);
                return Ok(());
            }
            match b.windows(3).position(|w| w == GZIP_MAGIC) {
                Some(i) => {
                    input.consume(i);
                    return Ok(());
                }
                None => {
                    let n = b.len() - 2;
                    input.consume(n);
                }
            }
        }
    }

    /// The compressed offset of the member holding decompressed position `pos`; forgets the
    /// members before it (positions asked for only grow).
    fn member_of(&mut self, pos: u64) -> u64 {
        while self.starts.len() >= 2 && self.starts[1].0 <= pos {
            self.starts.pop_front();
        }
        match self.starts.front() {
            Some(&(at, offset)) if at <= pos => offset,
            _ => self.member_start,
        }
    }

    /// Decompressed positions in `(from, to)` where a member starts.
    fn boundaries(&self, from: u64, to: u64) -> impl Iterator<Item = u64> + '_ {
        self.starts
            .iter()
            .map(|&(at, _)| at)
            .filter(move |&at| at > from && at < to)
    }
}

impl<R: Read> Read for Members<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.state.take() {
                None => return Ok(0),
                Some(MemberState::Between(mut input)) => {
                    if self.resync {
                        self.resync = false;
                        Self::skip_to_next_member(&mut input, self.member_start)?;
                    }
                    if input.fill_buf()?.is_empty() {
                        self.state = Some(MemberState::Between(input));
                        return Ok(0);
                    }
                    self.member_start = input.consumed;
                    self.starts.push_back((self.out, self.member_start));
                    self.state = Some(MemberState::In(Box::new(flate2::bufread::GzDecoder::new(
                        input,
                    ))));
                }
                Some(MemberState::In(mut dec)) => match dec.read(out) {
                    Ok(0) => self.state = Some(MemberState::Between(dec.into_inner())),
                    Ok(n) => {
                        self.state = Some(MemberState::In(dec));
                        self.out += n as u64;
                        return Ok(n);
                    }
                    Err(e) => {
                        self.state = Some(MemberState::Between(dec.into_inner()));
                        self.resync = true;
                        return Err(e);
                    }
                },
            }
        }
    }
}

enum Stream<R: Read> {
    Plain(Input<R>),
    Gzip(Box<BufReader<Members<R>>>),
}

impl<R: Read> Stream<R> {
    fn buf(&mut self) -> &mut dyn BufRead {
        match self {
            Stream::Plain(i) => i,
            Stream::Gzip(b) => b.as_mut(),
        }
    }

    /// Forget decompressed bytes of a broken member.
    fn discard_buffer(&mut self) {
        if let Stream::Gzip(b) = self {
            let n = b.buffer().len();
            b.consume(n);
        }
    }
}

/// The two archive formats this reader knows: WARC, and ARC v1/v2 (its predecessor, used by
/// older Internet Archive and Common Crawl crawls; see [`crate::input::arc`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// WARC/1.0 and 1.1: a `WARC/` version line, named header fields, a block.
    Warc,
    /// ARC: one header line `URL IP date content-type ... length`, a block.
    Arc,
}

/// Streams the records of one WARC (or ARC) file. Yields `Err(Error::BadRecord)` for a broken
/// record and goes on; yields `Err(Error::Io)` once and stops when the file itself cannot be
/// read.
///
/// Memory is bounded by the record size limit: a header line, a header and a block are each
/// held whole only up to it; larger ones are reported and skipped.
pub struct WarcReader<R: Read> {
    stream: Stream<R>,
    path: PathBuf,
    dialect: Dialect,
    max_record: u64,
    /// Bytes of the uncompressed stream consumed so far.
    pos: u64,
    /// Bytes given back to the stream (the rest of a block that ran into the next record),
    /// read again before the stream.
    back: Vec<u8>,
    back_at: usize,
    /// A read error met while looking past a block: it belongs to what follows, and is
    /// returned by the next read.
    deferred: Option<io::Error>,
    line: Vec<u8>,
    done: bool,
    /// A version line already read (at this uncompressed position) while skipping garbage.
    pending: Option<u64>,
    /// After a broken record: skip to the next version line without reporting the gap again.
    quiet: bool,
    /// A read error (not a format error) broke the last record.
    io_broken: bool,
}

impl<R: Read> WarcReader<R> {
    /// A WARC reader over `inner` with the default record size limit; gzip is recognised by its
    /// magic bytes. `path` names the input in errors.
    pub fn new(inner: R, path: &Path) -> Result<Self, Error> {
        Self::with_options(
            inner,
            path,
            Dialect::Warc,
            crate::input::DEFAULT_MAX_RECORD_SIZE,
        )
    }

    /// A reader of `dialect` records over `inner` that holds no header line, header or block
    /// larger than `max_record` bytes.
    pub fn with_options(
        inner: R,
        path: &Path,
        dialect: Dialect,
        max_record: u64,
    ) -> Result<Self, Error> {
        let mut input = Input::new(inner);
        let head = input.ensure(2).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let stream = if head.starts_with(&GZIP_MAGIC[..2]) {
            Stream::Gzip(Box::new(BufReader::with_capacity(
                256 << 10,
                Members {
                    state: Some(MemberState::Between(input)),
                    member_start: 0,
                    resync: false,
                    out: 0,
                    starts: VecDeque::new(),
                },
            )))
        } else {
            Stream::Plain(input)
        };
        Ok(WarcReader {
            stream,
            path: path.to_path_buf(),
            dialect,
            max_record: max_record.max(1),
            pos: 0,
            back: Vec::new(),
            back_at: 0,
            deferred: None,
            line: Vec::new(),
            done: false,
            pending: None,
            quiet: false,
            io_broken: false,
        })
    }

    /// Whether the file is gzip-compressed.
    pub fn is_gzip(&self) -> bool {
        matches!(self.stream, Stream::Gzip(_))
    }

    fn bad(&self, offset: u64, message: String) -> Error {
        Error::BadRecord {
            path: self.path.clone(),
            line: offset,
            message,
        }
    }

    fn offset_of_record(&mut self, uncompressed: u64) -> u64 {
        match &mut self.stream {
            Stream::Plain(_) => uncompressed,
            Stream::Gzip(b) => b.get_mut().member_of(uncompressed),
        }
    }

    /// Buffered bytes: first those given back, then the stream's.
    fn fill(&mut self) -> io::Result<&[u8]> {
        if self.back_at < self.back.len() {
            return Ok(&self.back[self.back_at..]);
        }
        if let Some(e) = self.deferred.take() {
            return Err(e);
        }
        self.stream.buf().fill_buf()
    }

    fn consume(&mut self, n: usize) {
        if self.back_at < self.back.len() {
            self.back_at += n;
            if self.back_at >= self.back.len() {
                self.back.clear();
                self.back_at = 0;
            }
        } else {
            self.stream.buf().consume(n);
        }
        self.pos += n as u64;
    }

    /// Give bytes just read back to the stream: they are read again next.
    fn unread(&mut self, bytes: &[u8]) {
        let rest = self.back.split_off(self.back_at);
        self.back.clear();
        self.back.extend_from_slice(bytes);
        self.back.extend_from_slice(&rest);
        self.back_at = 0;
        self.pos -= bytes.len() as u64;
    }

    /// Read a line into `self.line`, keeping at most `max_record` bytes of it (the rest is
    /// consumed and dropped). Returns the bytes consumed and whether the line was cut.
    fn read_line(&mut self) -> io::Result<(u64, bool)> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        let max = self.max_record;
        let r = crate::input::read_line_capped(&mut Buffered(self), &mut line, max);
        self.line = line;
        r
    }

    /// Read up to `len` bytes (fewer only at the end of the input).
    fn read_block(&mut self, len: u64) -> io::Result<Vec<u8>> {
        // Reserve little: a bogus length must not allocate what the input does not hold.
        let mut block = Vec::with_capacity(usize::try_from(len.min(1 << 20)).unwrap_or(0));
        let mut left = len;
        while left > 0 {
            let n = {
                let b = self.fill()?;
                if b.is_empty() {
                    break;
                }
                let n = b.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                block.extend_from_slice(&b[..n]);
                n
            };
            self.consume(n);
            left -= n as u64;
        }
        Ok(block)
    }

    /// Whether a line (without its end) starts a record of this dialect.
    fn is_record_start(&self, l: &[u8]) -> bool {
        match self.dialect {
            Dialect::Warc => l.starts_with(b"WARC/"),
            Dialect::Arc => crate::input::arc::parse_header(l).is_some(),
        }
    }

    /// Where in `block` (read from uncompressed position `start`, `len` bytes declared) the
    /// next record starts, when the declared length ran into it: at a gzip member that starts
    /// with a record, or, when the block is short or not followed by an end of record, at a
    /// line that starts one.
    fn resync_point(&mut self, start: u64, len: u64, block: &[u8]) -> io::Result<Option<usize>> {
        let end = start + block.len() as u64;
        if let Stream::Gzip(b) = &self.stream {
            let at: Vec<u64> = b.get_ref().boundaries(start, end).collect();
            for s in at {
                let i = (s - start) as usize;
                if self.is_record_start(first_line(&block[i..])) {
                    return Ok(Some(i));
                }
            }
        }
        let sound_end = if (block.len() as u64) < len {
            false
        } else {
            let mut next = Vec::new();
            while next.len() < 8 {
                let n = {
                    let b = match self.fill() {
                        Ok(b) => b,
                        Err(e) => {
                            self.deferred = Some(e);
                            break;
                        }
                    };
                    if b.is_empty() {
                        break;
                    }
                    let n = b.len().min(8 - next.len());
                    next.extend_from_slice(&b[..n]);
                    n
                };
                self.consume(n);
            }
            self.unread(&next);
            next.is_empty()
                || next.starts_with(b"\r\n")
                || next.starts_with(b"\n")
                || self.is_record_start(&next)
        };
        if sound_end {
            return Ok(None);
        }
        let mut i = 0;
        while let Some(nl) = block[i..].iter().position(|&c| c == b'\n') {
            i += nl + 1;
            if i < block.len() && self.is_record_start(first_line(&block[i..])) {
                return Ok(Some(i));
            }
        }
        Ok(None)
    }

    /// Read one record after its version line; errors are broken-record messages.
    fn read_record(&mut self, offset: u64) -> Result<Record, String> {
        let mut rec = Record {
            offset,
            ..Record::default()
        };
        let len = match self.dialect {
            Dialect::Warc => {
                self.read_warc_header(&mut rec)?;
                rec.header("Content-Length")
                    .ok_or("no Content-Length")?
                    .parse::<u64>()
                    .map_err(|_| "bad Content-Length")?
            }
            Dialect::Arc => {
                let h = crate::input::arc::parse_header(trim_eol(&self.line))
                    .ok_or("malformed ARC header line")?;
                let len = h.length;
                rec.headers = h.into_headers();
                len
            }
        };
        if len > self.max_record {
            // The block is not read: reading resumes at the next line that starts a record.
            return Err(format!(
                "record of {len} bytes is over the record size limit of {} bytes (--max-record-size)",
                self.max_record
            ));
        }
        let start = self.pos;
        let block = self.read_block(len).map_err(|e| {
            self.io_broken = true;
            format!("reading block: {e}")
        })?;
        let got = block.len() as u64;
        let resync = self.resync_point(start, len, &block).map_err(|e| {
            self.io_broken = true;
            format!("reading block: {e}")
        })?;
        if let Some(i) = resync {
            self.unread(&block[i..]);
            let next = self.offset_of_record(start + i as u64);
            return Err(format!(
                "Content-Length {len} runs into the next record (at offset {next})"
            ));
        }
        if got < len {
            return Err(format!("truncated block: {got} of {len} bytes"));
        }
        if self.dialect == Dialect::Arc
            && rec.warc_type() == "response"
            && !block.starts_with(b"HTTP/")
        {
            // An ARC capture without an HTTP layer: the block is the payload itself.
            if let Some((_, v)) = rec.headers.iter_mut().find(|(k, _)| k == "WARC-Type") {
                *v = "resource".into();
            }
        }
        rec.block = block;
        Ok(rec)
    }

    /// The named fields of a WARC record, up to the blank line; at most `max_record` bytes.
    fn read_warc_header(&mut self, rec: &mut Record) -> Result<(), String> {
        let mut size = 0u64;
        loop {
            let (n, cut) = self.read_line().map_err(|e| {
                self.io_broken = true;
                format!("reading header: {e}")
            })?;
            size += n;
            if cut || size > self.max_record {
                return Err(format!(
                    "header over the record size limit of {} bytes (--max-record-size)",
                    self.max_record
                ));
            }
            if n == 0 {
                return Err("truncated header".into());
            }
            let l = trim_eol(&self.line);
            if l.is_empty() {
                return Ok(());
            }
            let l = String::from_utf8_lossy(l);
            if l.starts_with([' ', '\t']) {
                if let Some((_, v)) = rec.headers.last_mut() {
                    v.push(' ');
                    v.push_str(l.trim());
                }
                continue;
            }
            match l.split_once(':') {
                Some((k, v)) => rec
                    .headers
                    .push((k.trim().to_string(), v.trim().to_string())),
                None => return Err(format!("malformed header line {l:?}")),
            }
        }
    }
}

/// A reader's stream (given-back bytes first) as a `BufRead`, for the shared line reader.
struct Buffered<'a, R: Read>(&'a mut WarcReader<R>);

impl<R: Read> Read for Buffered<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let b = self.0.fill()?;
            let n = b.len().min(out.len());
            out[..n].copy_from_slice(&b[..n]);
            n
        };
        self.0.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Buffered<'_, R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.0.fill()
    }

    fn consume(&mut self, n: usize) {
        self.0.consume(n);
    }
}

/// The first line of `b` without its end.
fn first_line(b: &[u8]) -> &[u8] {
    let end = b.iter().position(|&c| c == b'\n').unwrap_or(b.len());
    trim_eol(&b[..end])
}

fn trim_eol(l: &[u8]) -> &[u8] {
    let l = l.strip_suffix(b"\n").unwrap_or(l);
    l.strip_suffix(b"\r").unwrap_or(l)
}

impl<R: Read> Iterator for WarcReader<R> {
    type Item = Result<Record, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(start) = self.pending.take() {
            return Some(self.record_at(start));
        }
        let mut garbage_at = None;
        while !self.done {
            let start = self.pos;
            let n = match self.read_line() {
                Ok((n, _)) => n,
                Err(e) => return Some(self.recover(start, e)),
            };
            if n == 0 {
                self.done = true;
                break;
            }
            let l = trim_eol(&self.line);
            if l.is_empty() {
                continue;
            }
            if !self.is_record_start(l) {
                // Not at a record: skip to the next version line, reporting the gap once.
                if !self.quiet && garbage_at.is_none() {
                    garbage_at = Some(self.offset_of_record(start));
                }
                continue;
            }
            if let Some(at) = garbage_at {
                // Report the gap first; the record at hand is read on the next call (its
                // header line is still in `self.line`).
                self.pending = Some(start);
                return Some(Err(
                    self.bad(at, format!("offset {at}: data outside any record"))
                ));
            }
            return Some(self.record_at(start));
        }
        garbage_at.map(|at| Err(self.bad(at, format!("offset {at}: data outside any record"))))
    }
}

impl<R: Read> WarcReader<R> {
    /// The record whose version line started at uncompressed position `start`.
    fn record_at(&mut self, start: u64) -> Result<Record, Error> {
        let offset = self.offset_of_record(start);
        self.quiet = false;
        self.io_broken = false;
        self.read_record(offset).map_err(|msg| {
            // Decompressed bytes of a damaged member are garbage; after a format error the
            // stream is sound (and, in a whole-file gzip, holds the next records).
            if self.io_broken {
                self.stream.discard_buffer();
                self.back.clear();
                self.back_at = 0;
            }
            self.quiet = true;
            self.bad(offset, format!("offset {offset}: broken record: {msg}"))
        })
    }

    /// After an I/O error: gzip damage is a broken record and reading resumes; anything else
    /// ends the read.
    fn recover(&mut self, start: u64, e: io::Error) -> Result<Record, Error> {
        let gz = self.is_gzip();
        if gz
            && matches!(
                e.kind(),
                io::ErrorKind::InvalidInput
                    | io::ErrorKind::InvalidData
                    | io::ErrorKind::UnexpectedEof
            )
        {
            self.stream.discard_buffer();
            self.quiet = true;
            let at = self.offset_of_record(start);
            return Err(self.bad(at, format!("offset {at}: broken gzip member: {e}")));
        }
        self.done = true;
        Err(Error::Io {
            path: self.path.clone(),
            source: e,
        })
    }
}

/// What a record holds, once its HTTP layer is undone.
enum Payload {
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
fn payload_of(rec: Record, max_decoded: u64) -> Result<Payload, String> {
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

/// Parse the status line and headers of an HTTP response block.
pub fn parse_http_head(block: &[u8]) -> Result<HttpHead, String> {
    let end = find(block, b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| find(block, b"\n\n").map(|i| i + 2))
        .ok_or("no end of HTTP headers")?;
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

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Undo chunked transfer coding; `None` when the body is not actually chunked.
fn dechunk(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    loop {
        let nl = find(&b[i..], b"\n")? + i;
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
                    line: offset,
                    message: format!("offset {offset}: {e}"),
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
                    line: offset,
                    message: format!("offset {offset}: {msg}"),
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
            skips[0].starts_with(&format!("t.warc:{last_at}: offset {last_at}")),
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
                .any(|s| s.contains(&format!("offset {bad_at}"))),
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
                .any(|s| s.contains("t.warc:0: offset 0: broken record: no Content-Length")),
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
            skips[0].contains("t.warc:0: offset 0: unusable payload"),
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
