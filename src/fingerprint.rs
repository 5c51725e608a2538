//! fingerprint.rs: what does one page look like to the matcher?
//!
//! The per-document path every consumer shares: a [`Fingerprinter`] turns a [`Document`] into a
//! [`Page`] (normalized units and lines, its site, the figures of each line), then, given the
//! chrome verdicts of corpus statistics ([`Verdicts`]), into a [`Fingerprint`]: the content
//! lines, the content shingle set without stop shingles, its MinHash [`Signature`], the window
//! sketches that make excerpts candidates, and the figures of the content. [`crate::pipeline::scan`]
//! runs the same steps over a whole corpus in bulk (the statistics come from the corpus itself);
//! [`crate::index::Index`] runs them one page at a time against statistics it keeps up to date.
//!
//! Invariant: a fingerprint depends only on the document, the configuration and the verdicts it
//! is given; no global state, no I/O.

use crate::chrome::{self, ChromeConfig};
use crate::document::Document;
use crate::error::Result;
use crate::figures;
use crate::minhash::{MinHasher, Signature, SignatureParams};
use crate::normalize::{self, Units, UnspacedScripts};
use crate::pipeline::ScanConfig;
use crate::shingle::{self, ShingleKind};

/// A normalized page: what the statistics count and the fingerprint is cut from.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// xxh3 of the page's site (0 when unknown: such pages share no site chrome).
    pub site: u64,
    /// Units and lines of the text.
    pub units: Units,
    /// `(raw line, figure hash)` of every line (see [`figures::figures_by_line`]).
    pub figure_lines: Vec<(u32, u64)>,
}

impl Page {
    /// The distinct line hashes of the page, sorted: what line statistics count once per page.
    pub fn line_hashes(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.units.lines.iter().map(|l| l.hash).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// What corpus statistics say about a page's lines and shingles.
pub trait Verdicts {
    /// Whether `line` (a line hash) is template on `site`.
    fn is_template(&self, site: u64, line: u64) -> bool;
    /// Whether a shingle is too common to be evidence.
    fn is_stop(&self, shingle: u64) -> bool;
    /// Whether `line` is in two or more story groups (see [`crate::chrome::LineStats::is_recurring`]).
    fn is_recurring(&self, line: u64) -> bool;
}

/// One page as the matcher sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fingerprint {
    /// Raw line numbers (in `text.lines()`) of the content lines.
    pub content_lines: Vec<u32>,
    /// Sorted content shingles, stop shingles removed.
    pub set: Vec<u64>,
    /// MinHash of `set`.
    pub signature: Signature,
    /// Window sketches, [`CHUNK_PERM`] values per window (empty without window sketches).
    pub windows: Vec<u32>,
    /// Sorted figures of the content lines (see [`figures`]).
    pub figures: Vec<u64>,
    /// Fewer content shingles than `min_shingles`: never matches.
    pub near_empty: bool,
}

/// MinHash permutations per window sketch.
pub const CHUNK_PERM: usize = 16;
/// Bands of the window sketches.
pub const CHUNK_BANDS: usize = 8;
/// Rows per band of the window sketches.
pub const CHUNK_ROWS: usize = 2;

/// Sketches of overlapping windows of a page's shingle sequence, so that a short excerpt of a
/// long story (its lead, a cut, a passage from the middle: a size ratio of 0.05-0.3, whose
/// Jaccard with the story is far below any whole-document LSH threshold) becomes a candidate:
/// some window of the excerpt nearly equals a window of the story.
///
/// Every page is cut into windows of [`ScanConfig::chunk_window`] shingles at a stride of half a
/// window, each signed with [`CHUNK_PERM`] MinHash permutations and banded
/// [`CHUNK_BANDS`] x [`CHUNK_ROWS`]; two pages sharing a band of any windows are a candidate pair,
/// verified exactly like any other. Any window of one page overlaps a window of another by at
/// least three quarters of a window when the text is shared, a Jaccard of 0.6 at which the
/// banding proposes the pair with probability 0.97.
#[derive(Debug, Clone)]
pub struct Chunker {
    window: usize,
    hasher: Option<MinHasher>,
}

impl Chunker {
    /// The window sketcher of a configuration (none when `chunk_window` is 0).
    pub fn new(cfg: &ScanConfig) -> Result<Chunker> {
        let hasher = if cfg.chunk_window == 0 {
            None
        } else {
            // Another seed than the document signatures', so that the two are independent.
            Some(MinHasher::new(SignatureParams::new(
                cfg.shingle,
                CHUNK_PERM,
                cfg.seed ^ 0x5bd1_e995,
            ))?)
        };
        Ok(Chunker {
            window: cfg.chunk_window,
            hasher,
        })
    }

    /// Whether window sketches are made at all.
    pub fn enabled(&self) -> bool {
        self.hasher.is_some()
    }

    /// Flat window signatures of one shingle sequence, `CHUNK_PERM` values per window.
    pub fn sign(&self, seq: &[u64]) -> Vec<u32> {
        let Some(h) = &self.hasher else {
            return Vec::new();
        };
        let stride = (self.window / 2).max(1);
        let mut out = Vec::new();
        let mut start = 0;
        loop {
            let end = (start + self.window).min(seq.len());
            let at = out.len();
            out.resize(at + CHUNK_PERM, 0);
            // MinHash takes the window as it comes: order and repeats do not change a minimum.
            h.sign_into(&seq[start..end], &mut out[at..]);
            if end == seq.len() {
                break;
            }
            start += stride;
        }
        out
    }
}

/// Turns documents into pages and pages into fingerprints for one configuration. Immutable once
/// built; cheap to share between threads.
#[derive(Debug, Clone)]
pub struct Fingerprinter {
    cfg: ScanConfig,
    hasher: MinHasher,
    chunker: Chunker,
}

impl Fingerprinter {
    /// A fingerprinter for `cfg` (checked with [`ScanConfig::validate`]).
    pub fn new(cfg: &ScanConfig) -> Result<Fingerprinter> {
        cfg.validate()?;
        Ok(Fingerprinter {
            cfg: *cfg,
            hasher: MinHasher::new(cfg.signature_params())?,
            chunker: Chunker::new(cfg)?,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ScanConfig {
        &self.cfg
    }

    /// The MinHash hasher of whole pages.
    pub fn hasher(&self) -> &MinHasher {
        &self.hasher
    }

    /// The window sketcher.
    pub fn chunker(&self) -> &Chunker {
        &self.chunker
    }

    /// Normalize a document into a page.
    pub fn page(&self, doc: &Document) -> Page {
        Page {
            site: chrome::site_hash(doc.site_or_domain().as_deref()),
            units: units_of(&doc.text, self.cfg.shingle, self.cfg.unspaced),
            figure_lines: figures::figures_by_line(&doc.text),
        }
    }

    /// Which lines of `page` are content under `verdicts`.
    pub fn content_mask(&self, page: &Page, verdicts: &dyn Verdicts) -> Vec<bool> {
        content_mask_of(
            &page.units.lines,
            page.site,
            &self.cfg.chrome,
            |site, line| verdicts.is_template(site, line),
            |line| verdicts.is_recurring(line),
        )
    }

    /// The fingerprint of `page` under `verdicts`.
    pub fn fingerprint(&self, page: &Page, verdicts: &dyn Verdicts) -> Fingerprint {
        let mask = self.content_mask(page, verdicts);
        let content_lines = content_rows(&page.units.lines, &mask);
        let seq = content_sequence(&page.units, &mask, self.cfg.shingle);
        let windows = self.chunker.sign(&seq);
        let mut set = shingle::into_set(seq);
        set.retain(|&h| !verdicts.is_stop(h));
        let signature = self.hasher.sign(&set);
        Fingerprint {
            figures: figures::select(&page.figure_lines, &content_lines),
            near_empty: set.len() < self.cfg.min_shingles.max(1),
            content_lines,
            set,
            signature,
            windows,
        }
    }
}

/// Units of a text for a shingle kind: words (unspaced scripts as configured) or characters.
pub fn units_of(text: &str, kind: ShingleKind, unspaced: UnspacedScripts) -> Units {
    match kind {
        ShingleKind::Word(_) => normalize::units(text, unspaced),
        ShingleKind::Char(_) => char_units_of(text),
    }
}

/// Which lines are content, given a template verdict per `(site, line hash)` and whether a line
/// recurs in other story groups.
pub fn content_mask_of(
    lines: &[normalize::Line],
    site: u64,
    cfg: &ChromeConfig,
    template: impl Fn(u64, u64) -> bool,
    recurring: impl Fn(u64) -> bool,
) -> Vec<bool> {
    let t: Vec<bool> = lines.iter().map(|l| template(site, l.hash)).collect();
    let r: Vec<bool> = lines.iter().map(|l| recurring(l.hash)).collect();
    chrome::content_mask(lines, &t, &r, cfg)
}

/// The raw line numbers of the lines `mask` keeps.
pub fn content_rows(lines: &[normalize::Line], mask: &[bool]) -> Vec<u32> {
    lines
        .iter()
        .zip(mask)
        .filter(|(_, &k)| k)
        .map(|(l, _)| l.raw)
        .collect()
}

/// Content shingles of one page in page order (with repeats): k-grams over the units of its
/// content lines (for character shingles the units are characters, see [`char_units_of`]).
pub fn content_sequence(u: &Units, keep: &[bool], kind: ShingleKind) -> Vec<u64> {
    content_sequence_of(&u.units, &u.lines, keep, kind)
}

/// [`content_sequence`] of a page's units and lines held apart (the units made again from
/// its text on disk).
pub fn content_sequence_of(
    units: &[u64],
    lines: &[normalize::Line],
    keep: &[bool],
    kind: ShingleKind,
) -> Vec<u64> {
    let mut stream: Vec<u64> = Vec::with_capacity(units.len());
    for (line, &k) in lines.iter().zip(keep) {
        if k {
            // A line past the units (only a damaged store could give one) adds nothing.
            if let Some(run) = units.get(line.start as usize..line.end as usize) {
                stream.extend_from_slice(run);
            }
        }
    }
    let mut out = Vec::with_capacity(stream.len());
    shingle::shingles_into(&stream, kind.size(), &mut out);
    out
}

/// Units for character shingles: every character of the normalized words, words joined by one
/// space, kept line by line so that chrome learning works the same.
pub fn char_units_of(text: &str) -> Units {
    let word_units = normalize::units(text, UnspacedScripts::Words);
    let mut out = Units::default();
    for (raw_index, raw) in text.lines().enumerate() {
        let words = normalize::words(raw);
        if words.is_empty() {
            continue;
        }
        let start = out.units.len() as u32;
        shingle::char_units(&words, &mut out.units);
        let end = out.units.len() as u32;
        // Reuse the word path's line features and hash for the same raw line.
        if let Some(l) = word_units.lines.iter().find(|l| l.raw == raw_index as u32) {
            out.lines.push(normalize::Line { start, end, ..*l });
        }
    }
    out
}
