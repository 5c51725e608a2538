//! input/warc/framing: where does each record start and end? Splits a WARC (or ARC) stream,
//! plain, one gzip member per record or one gzip member for the whole file, into [`Record`]s:
//! header fields and a block no larger than the record size limit, with resynchronisation at the
//! next gzip member or `WARC/` line after a broken record.

use crate::error::{Error, Location};
use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

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
            location: Location::ByteOffset(offset),
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
                "Content-Length {len} runs into the next record (at byte {next})"
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
                return Some(Err(self.bad(at, "data outside any record".into())));
            }
            return Some(self.record_at(start));
        }
        garbage_at.map(|at| Err(self.bad(at, "data outside any record".into())))
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
            self.bad(offset, format!("broken record: {msg}"))
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
            return Err(self.bad(at, format!("broken gzip member: {e}")));
        }
        self.done = true;
        Err(Error::Io {
            path: self.path.clone(),
            source: e,
        })
    }
}
