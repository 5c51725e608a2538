//! The library's one error type. Every variant carries the values involved so that a message can
//! be acted on without a debugger; messages are lowercase and have no trailing period.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in an input a record is: what a reader can say about it. A JSON Lines record has a
/// line; a WARC or ARC record has a byte offset (it may span many lines, and a gzip file has
/// no lines at all); an HTML page, a text file or a folder entry is a whole file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Location {
    /// A 1-based line (JSON Lines).
    Line(u64),
    /// The byte offset of a record (WARC, ARC): in the file as stored, so of the record's gzip
    /// member in a gzip file with one member per record, where a tool can seek to it; in the
    /// decompressed stream otherwise.
    ByteOffset(u64),
    /// The whole file.
    WholeFile,
}

impl Location {
    /// The location in `path`, for messages: `x.jsonl line 51`, `x.warc at byte 1234`,
    /// `page.html`.
    pub fn in_file(self, path: &Path) -> InFile<'_> {
        InFile {
            path,
            location: self,
        }
    }
}

/// A [`Location`] in a named file, displayed for messages (see [`Location::in_file`]).
#[derive(Debug, Clone, Copy)]
pub struct InFile<'a> {
    path: &'a Path,
    location: Location,
}

impl fmt::Display for InFile<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match self.location {
            Location::Line(n) => write!(f, "{path} line {n}"),
            Location::ByteOffset(n) => write!(f, "{path} at byte {n}"),
            Location::WholeFile => write!(f, "{path}"),
        }
    }
}

/// Everything the library can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two signatures made with different permutation counts were compared.
    #[error("signatures have different permutation counts: {left} vs {right}")]
    MismatchNumPerm {
        /// Permutations of the left signature.
        left: usize,
        /// Permutations of the right signature.
        right: usize,
    },
    /// Two signatures made with different seeds were compared.
    #[error("signatures have different seeds: {left} vs {right}")]
    MismatchSeed {
        /// Seed of the left signature.
        left: u64,
        /// Seed of the right signature.
        right: u64,
    },
    /// Two signatures made from different shingle kinds or sizes were compared.
    #[error("signatures have different shingling: {left} vs {right}")]
    MismatchShingle {
        /// Shingling of the left signature.
        left: String,
        /// Shingling of the right signature.
        right: String,
    },
    /// Two signatures made by different normalizer versions were compared.
    #[error("signatures have different normalizer versions: {left} vs {right}")]
    MismatchNormalizer {
        /// Normalizer version of the left signature.
        left: u32,
        /// Normalizer version of the right signature.
        right: u32,
    },
    /// A parameter is out of its valid range.
    #[error("invalid parameter {name}: {message}")]
    InvalidParameter {
        /// The parameter's name as the CLI spells it.
        name: &'static str,
        /// What is wrong with the value.
        message: String,
    },
    /// A record of an input could not be used; the reader skips it and goes on.
    #[error("reading {}: {message}", .location.in_file(path))]
    BadRecord {
        /// The input file or folder entry (`-` for stdin).
        path: PathBuf,
        /// Where in it the bad record is.
        location: Location,
        /// What is wrong with it.
        message: String,
    },
    /// A problem with an input that loses no record: an unusable optional field dropped from a
    /// document that is kept, a symlink loop in a folder. Reported, counted as a warning, and
    /// not a reason for exit code 2.
    #[error("reading {}: {message}", .location.in_file(path))]
    Warning {
        /// The input file or folder entry (`-` for stdin).
        path: PathBuf,
        /// Where in it the problem is.
        location: Location,
        /// What was dropped or passed over, and why.
        message: String,
    },
    /// An input could not be opened or read at all.
    #[error("reading {path}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A web payload (HTML page, WARC record body) that cannot be used: binary, undecodable, or
    /// without text. Readers wrap it in [`Error::BadRecord`] with the file and offset.
    #[error("unusable payload: {0}")]
    BadPayload(String),
    /// An output file could not be written.
    #[error("writing {path}: {source}")]
    Write {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A saved index is damaged: truncated, inconsistent, or not an index at all.
    #[error("index {path}: {message}")]
    CorruptIndex {
        /// The index file.
        path: PathBuf,
        /// What is wrong, with the offsets and lengths involved.
        message: String,
    },
    /// A section of a saved index does not match the checksum its table records.
    #[error("index {path}: section {section} fails its checksum: stored {stored:016x}, computed {computed:016x}")]
    IndexChecksum {
        /// The index file.
        path: PathBuf,
        /// The section's name (`table` for the section table itself).
        section: &'static str,
        /// The xxh3-64 checksum the file records.
        stored: u64,
        /// The xxh3-64 checksum of the bytes found.
        computed: u64,
    },
    /// A saved index is intact but in a format this build cannot read (another format version,
    /// or a big-endian host).
    #[error("index {path}: {message}")]
    UnsupportedIndex {
        /// The index file.
        path: PathBuf,
        /// Why it cannot be read and what to do.
        message: String,
    },
    /// A truth or cluster file given to `eval` is inconsistent.
    #[error("evaluation input: {0}")]
    Eval(String),
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_named_by_the_location_their_format_has() {
        let bad = |path: &str, location| {
            Error::BadRecord {
                path: path.into(),
                location,
                message: "what is wrong".into(),
            }
            .to_string()
        };
        assert_eq!(
            bad("corpus/wire.jsonl", Location::Line(51)),
            "reading corpus/wire.jsonl line 51: what is wrong"
        );
        assert_eq!(
            bad("crawl.warc.gz", Location::ByteOffset(1234)),
            "reading crawl.warc.gz at byte 1234: what is wrong"
        );
        assert_eq!(
            bad("page.html", Location::WholeFile),
            "reading page.html: what is wrong"
        );
        let warning = Error::Warning {
            path: "-".into(),
            location: Location::Line(2),
            message: "field dropped".into(),
        };
        assert_eq!(warning.to_string(), "reading - line 2: field dropped");
    }
}
