//! index/log.rs: how does an add survive a crash?
//!
//! The part of a live index that changes with every add is an append-only log of checksummed
//! records beside the immutable segment. A record is appended with one `write` and made durable
//! with `sync_data` before the add is acknowledged ([`Log::sync`]); reading the log back replays
//! the adds and removals in order.
//!
//! # Layout, log version 1
//!
//! | bytes     | content                                                              |
//! |-----------|----------------------------------------------------------------------|
//! | `0..8`    | magic `WCOPYLOG`                                                     |
//! | `8..12`   | log version, u32 little-endian ([`LOG_VERSION`])                     |
//! | `12..16`  | reserved, zero                                                       |
//! | `16..24`  | xxh3-64 of the segment file's section table: binds the log to its segment |
//! | then      | records: payload length u32, its bitwise complement u32, xxh3-64 of the payload u64, payload (postcard [`Record`]) |
//!
//! A length whose complement does not match is corruption (a flipped length would otherwise make
//! the rest of the log look like one torn record). A record that runs past the end of the file,
//! or whose payload checksum fails while it ends exactly at the end of the file, is a torn write: the process died inside the append, before the add was
//! acknowledged. It is cut off when the log is opened for writing (and reported). A checksum
//! failure anywhere else is corruption and an error naming the file and byte offset: the log is
//! never silently shortened past an acknowledged record.
//!
//! Invariant: a record is never rewritten; the log is replaced only as a whole, by compaction.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::xxh3_64;

/// The first eight bytes of a log file.
pub const LOG_MAGIC: [u8; 8] = *b"WCOPYLOG";
/// The log layout this build writes and reads.
pub const LOG_VERSION: u32 = 1;
const HEADER_LEN: usize = 24;
const RECORD_HEAD: usize = 16;
/// Largest record payload accepted (a document of up to this many bytes of text and metadata).
pub const MAX_RECORD: usize = 256 << 20;

/// A document as logged: everything needed to add it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedDoc {
    /// The id as the input spelled it.
    pub id: String,
    /// The input gave the id as a JSON number.
    pub numeric_id: bool,
    /// Where the page was found.
    pub url: Option<String>,
    /// The input's `site` field.
    pub site: Option<String>,
    /// Headline.
    pub title: Option<String>,
    /// Publication time as the input spelled it.
    pub published: Option<String>,
    /// The text.
    pub text: String,
}

impl LoggedDoc {
    /// The logged form of a document.
    pub fn of(d: &crate::Document) -> LoggedDoc {
        LoggedDoc {
            id: d.id.as_str().to_string(),
            numeric_id: matches!(d.id, crate::DocId::Num(_)),
            url: d.url.clone(),
            site: d.site.clone(),
            title: d.title.clone(),
            published: d.published.as_ref().map(|p| p.raw.clone()),
            text: d.text.clone(),
        }
    }

    /// The document again.
    pub fn document(&self) -> crate::Document {
        crate::Document {
            id: if self.numeric_id {
                crate::DocId::Num(self.id.clone())
            } else {
                crate::DocId::Str(self.id.clone())
            },
            url: self.url.clone(),
            site: self.site.clone(),
            title: self.title.clone(),
            published: self.published.as_deref().and_then(crate::Published::parse),
            text: self.text.clone(),
        }
    }
}

/// One change to the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Record {
    /// A document was added (replacing any document with the same id).
    Add(LoggedDoc),
    /// The document with this id was removed.
    Remove(String),
}

/// What reading a log found.
#[derive(Debug, Default)]
pub struct Replay {
    /// The records, in order.
    pub records: Vec<Record>,
    /// Bytes of a torn last record (0 when the log ended cleanly).
    pub torn_bytes: u64,
    /// Where the valid records end.
    pub valid_len: u64,
}

/// An open log, appending.
#[derive(Debug)]
pub struct Log {
    path: PathBuf,
    file: File,
    buf: Vec<u8>,
}

fn corrupt(path: &Path, message: String) -> Error {
    Error::CorruptIndex {
        path: path.to_path_buf(),
        message,
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Read and check a whole log; `segment` is the checksum of the segment it must belong to.
pub fn read(path: &Path, segment: u64) -> Result<Replay> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(io(path))?;
    parse(&bytes, segment, path)
}

/// Check the bytes of a log (see [`read`]).
pub fn parse(bytes: &[u8], segment: u64, path: &Path) -> Result<Replay> {
    if bytes.len() < HEADER_LEN {
        return Err(corrupt(
            path,
            format!(
                "truncated: {} bytes, the header alone is {HEADER_LEN}",
                bytes.len()
            ),
        ));
    }
    if bytes[..8] != LOG_MAGIC {
        return Err(corrupt(
            path,
            "not a wirecopy index log: it does not start with \"WCOPYLOG\"".into(),
        ));
    }
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let version = word(8);
    if version != LOG_VERSION {
        return Err(Error::UnsupportedIndex {
            path: path.to_path_buf(),
            message: format!("log version {version}, this build reads version {LOG_VERSION}"),
        });
    }
    if word(12) != 0 {
        return Err(corrupt(path, "reserved header field is not 0".into()));
    }
    let mut seg = [0u8; 8];
    seg.copy_from_slice(&bytes[16..24]);
    let seg = u64::from_le_bytes(seg);
    if seg != segment {
        return Err(corrupt(
            path,
            format!("the log belongs to segment {seg:016x}, the index's segment is {segment:016x}"),
        ));
    }
    let mut out = Replay::default();
    let mut at = HEADER_LEN;
    while at < bytes.len() {
        let torn = |out: &mut Replay, at: usize| {
            out.torn_bytes = (bytes.len() - at) as u64;
        };
        if bytes.len() - at < RECORD_HEAD {
            torn(&mut out, at);
            break;
        }
        let len = word(at) as usize;
        if word(at + 4) != !word(at) {
            return Err(corrupt(
                path,
                format!("record at byte {at}: its length field is damaged"),
            ));
        }
        let mut sum = [0u8; 8];
        sum.copy_from_slice(&bytes[at + 8..at + 16]);
        let sum = u64::from_le_bytes(sum);
        if len > MAX_RECORD {
            return Err(corrupt(
                path,
                format!(
                    "record at byte {at} claims {len} bytes, more than the {MAX_RECORD} allowed"
                ),
            ));
        }
        let end = at + RECORD_HEAD + len;
        if end > bytes.len() {
            torn(&mut out, at);
            break;
        }
        let payload = &bytes[at + RECORD_HEAD..end];
        if xxh3_64(payload) != sum {
            if end == bytes.len() {
                torn(&mut out, at);
                break;
            }
            return Err(corrupt(
                path,
                format!("record at byte {at}: checksum mismatch"),
            ));
        }
        let record: Record = postcard::from_bytes(payload)
            .map_err(|e| corrupt(path, format!("record at byte {at} cannot be decoded: {e}")))?;
        out.records.push(record);
        at = end;
    }
    out.valid_len = (bytes.len() as u64) - out.torn_bytes;
    Ok(out)
}

impl Log {
    /// Create a new, empty log for `segment` (replacing nothing: the file must not exist).
    pub fn create(path: &Path, segment: u64) -> Result<Log> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(io(path))?;
        let mut head = Vec::with_capacity(HEADER_LEN);
        head.extend_from_slice(&LOG_MAGIC);
        head.extend_from_slice(&LOG_VERSION.to_le_bytes());
        head.extend_from_slice(&0u32.to_le_bytes());
        head.extend_from_slice(&segment.to_le_bytes());
        file.write_all(&head).map_err(io(path))?;
        file.sync_all().map_err(io(path))?;
        Ok(Log {
            path: path.to_path_buf(),
            file,
            buf: Vec::new(),
        })
    }

    /// Open an existing log for appending after `valid_len` bytes (a torn tail is cut off).
    pub fn append_to(path: &Path, valid_len: u64) -> Result<Log> {
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(io(path))?;
        let len = file.metadata().map_err(io(path))?.len();
        if len != valid_len {
            file.set_len(valid_len).map_err(io(path))?;
            file.sync_all().map_err(io(path))?;
        }
        let mut file = file;
        use std::io::Seek;
        file.seek(std::io::SeekFrom::Start(valid_len))
            .map_err(io(path))?;
        Ok(Log {
            path: path.to_path_buf(),
            file,
            buf: Vec::new(),
        })
    }

    /// Queue a record; it is written by [`Log::sync`].
    pub fn push(&mut self, record: &Record) -> Result<()> {
        let payload = postcard::to_stdvec(record).map_err(|e| Error::Write {
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        if payload.len() > MAX_RECORD {
            return Err(Error::InvalidParameter {
                name: "document",
                message: format!(
                    "a record of {} bytes is larger than the {MAX_RECORD} a log accepts",
                    payload.len()
                ),
            });
        }
        let len = payload.len() as u32;
        self.buf.extend_from_slice(&len.to_le_bytes());
        self.buf.extend_from_slice(&(!len).to_le_bytes());
        self.buf.extend_from_slice(&xxh3_64(&payload).to_le_bytes());
        self.buf.extend_from_slice(&payload);
        Ok(())
    }

    /// Write the queued records and make them durable: once this returns, they survive a crash.
    pub fn sync(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let w = |source| Error::Write {
            path: self.path.clone(),
            source,
        };
        self.file.write_all(&self.buf).map_err(w)?;
        self.file.sync_data().map_err(w)?;
        self.buf.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str) -> Record {
        Record::Add(LoggedDoc {
            id: id.into(),
            numeric_id: false,
            url: None,
            site: Some("a.example".into()),
            title: None,
            published: Some("2024-03-05".into()),
            text: format!("text of {id}"),
        })
    }

    #[test]
    fn every_truncation_is_a_torn_tail_or_a_clean_end_and_every_flip_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let mut log = Log::create(&path, 7).unwrap();
        let records = vec![doc("a"), Record::Remove("a".into()), doc("b")];
        let mut ends = vec![HEADER_LEN as u64];
        for r in &records {
            log.push(r).unwrap();
            log.sync().unwrap();
            ends.push(std::fs::metadata(&path).unwrap().len());
        }
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(parse(&bytes, 7, &path).unwrap().records, records);
        assert!(parse(&bytes, 8, &path).is_err(), "another segment's log");
        for cut in 0..bytes.len() {
            match parse(&bytes[..cut], 7, &path) {
                Err(_) => assert!(cut < HEADER_LEN, "cut at {cut}"),
                Ok(r) => {
                    // Every complete record before the cut is kept; the rest is a torn tail.
                    let kept = ends.iter().filter(|&&e| e <= cut as u64).count() - 1;
                    assert_eq!(r.records, records[..kept], "cut at {cut}");
                    assert_eq!(r.valid_len, ends[kept], "cut at {cut}");
                }
            }
        }
        for at in 0..bytes.len() {
            let mut b = bytes.clone();
            b[at] ^= 0x10;
            match parse(&b, 7, &path) {
                Err(_) => {}
                // A flip inside the last record looks like a torn write: the record is dropped,
                // never misread.
                Ok(r) => {
                    assert!(at as u64 >= ends[2], "flip at {at} accepted");
                    assert_eq!(r.records, records[..2], "flip at {at}");
                }
            }
        }
    }

    #[test]
    fn appending_after_a_torn_tail_cuts_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let mut log = Log::create(&path, 1).unwrap();
        log.push(&doc("a")).unwrap();
        log.sync().unwrap();
        drop(log);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[9, 0, 0, 0, !9, 255, 255, 255, 1, 2]).unwrap();
        drop(f);
        let r = read(&path, 1).unwrap();
        assert_eq!((r.records.len(), r.torn_bytes), (1, 10));
        let mut log = Log::append_to(&path, r.valid_len).unwrap();
        log.push(&doc("b")).unwrap();
        log.sync().unwrap();
        let r = read(&path, 1).unwrap();
        assert_eq!((r.records.len(), r.torn_bytes), (2, 0));
    }
}
