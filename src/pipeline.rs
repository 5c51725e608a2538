//! pipeline.rs: how does a corpus become clusters?
//!
//! [`scan`] runs the stages in order on documents already read: normalize every page into units
//! and lines, learn chrome from line statistics, shingle the content, drop shingles too common to
//! be evidence, sign with MinHash, generate LSH candidates, verify them exactly and cluster. Each
//! stage is a pure function of the previous stage's output and runs in parallel with rayon where
//! it pays. A scan runs start to end in one process: no stage is sharded or resumed (what it
//! learned can be saved with [`crate::store`], but nothing resumes from a saved index yet).
//!
//! Invariant: documents are put in a canonical order (id, then text hash) first, and nothing
//! after that depends on input order or thread count.
//!
//! Every stage's wall time is recorded in [`ScanResult::timings`] (see [`Timings`]); the clock
//! is read only between stages, never reaches the clusters, and costs a few calls per scan.

use crate::chrome::{self, ChromeConfig, LineStats};
use crate::cluster::{ClusterConfig, Edge};
use crate::corpus::{Corpus, SpilledDocs, SpilledTexts};
use crate::document::Document;
use crate::error::{Error, Result};
use crate::figures::{self, FigureConfig};
use crate::fingerprint::{
    content_mask_of, content_rows, content_sequence_of, Chunker, Fingerprinter, Page, CHUNK_BANDS,
    CHUNK_PERM, CHUNK_ROWS,
};
use crate::lsh::{self, Banding, LshConfig};
use crate::minhash::{MinHasher, SignatureParams};
use crate::normalize::{Line, Units, UnspacedScripts};
use crate::shingle::{self, ShingleKind};
use crate::spill::{Gathered, MappedSlices, SortedSpill, SpilledSlices};
use crate::verify::{self, Similarity};
use rayon::prelude::*;
use serde::Serialize;
use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Every parameter of a scan, with the defaults chosen by measurement on the dev sets (see
/// README's parameter guide).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScanConfig {
    /// Shingle kind and size.
    pub shingle: ShingleKind,
    /// How unspaced scripts are cut into units.
    pub unspaced: UnspacedScripts,
    /// MinHash permutations.
    pub num_perm: usize,
    /// MinHash seed.
    pub seed: u64,
    /// A pair whose exact Jaccard reaches this is a match.
    pub threshold: f64,
    /// A pair whose smaller side is contained in the other to this share is a match.
    pub containment: f64,
    /// Jaccard level the LSH S-curve is tuned to; `None`: derived from `threshold` and
    /// `containment` (see [`ScanConfig::lsh_threshold`]).
    pub lsh_threshold: Option<f64>,
    /// Explicit banding, overriding the threshold-derived one.
    pub banding: Option<Banding>,
    /// Pages with fewer content shingles than this are near-empty and never match.
    pub min_shingles: usize,
    /// Size of an LSH bucket up to which all its pairs are candidates.
    pub max_run_pairs: usize,
    /// Chrome learning.
    pub chrome: ChromeConfig,
    /// Clustering.
    pub cluster: ClusterConfig,
    /// When disagreeing figures veto a match (templated reports).
    pub figures: FigureConfig,
    /// Shingles per window of the excerpt sketches (0: no window sketches; see `Chunker`).
    pub chunk_window: usize,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            shingle: ShingleKind::DEFAULT_WORD,
            unspaced: UnspacedScripts::Characters,
            num_perm: 128,
            seed: 1,
            threshold: 0.5,
            containment: 0.6,
            lsh_threshold: None,
            banding: None,
            min_shingles: 10,
            max_run_pairs: 64,
            chrome: ChromeConfig::default(),
            cluster: ClusterConfig::default(),
            figures: FigureConfig::default(),
            chunk_window: 40,
        }
    }
}

/// The smallest size ratio (shorter / longer) at which a contained copy is still a candidate
/// with good probability when the LSH threshold is derived.
pub const MIN_SIZE_RATIO: f64 = 0.3;

impl ScanConfig {
    /// The Jaccard level the LSH is tuned to: the explicit one, else the lower of `threshold`
    /// and the Jaccard of a pair that just passes `containment` with sizes in ratio
    /// [`MIN_SIZE_RATIO`] (`c*r / (1 + r - c*r)`), so that cut copies become candidates.
    pub fn lsh_threshold(&self) -> f64 {
        self.lsh_threshold.unwrap_or_else(|| {
            let (c, r) = (self.containment, MIN_SIZE_RATIO);
            self.threshold.min(c * r / (1.0 + r - c * r))
        })
    }

    /// The banding used: explicit, or optimal for [`ScanConfig::lsh_threshold`].
    pub fn banding(&self) -> Result<Banding> {
        match self.banding {
            Some(b) => Ok(b),
            None => lsh::optimal_bands(self.lsh_threshold(), self.num_perm, 0.5, 0.5),
        }
    }

    /// The signature parameters this configuration produces.
    pub fn signature_params(&self) -> SignatureParams {
        SignatureParams::new(self.shingle, self.num_perm, self.seed)
    }

    /// Check ranges; the error names the CLI flag.
    pub fn validate(&self) -> Result<()> {
        let unit = |name: &'static str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(Error::InvalidParameter {
                    name,
                    message: format!("must be between 0 and 1, got {v}"),
                })
            }
        };
        unit("threshold", self.threshold)?;
        unit("containment", self.containment)?;
        if self.shingle.size() == 0 {
            return Err(Error::InvalidParameter {
                name: "shingle-size",
                message: "must be at least 1".into(),
            });
        }
        let b = self.banding()?;
        if b.bands == 0 || b.rows == 0 || b.bands * b.rows > self.num_perm {
            return Err(Error::InvalidParameter {
                name: "bands",
                message: format!(
                    "{} bands x {} rows must be at least 1 x 1 and use at most {} permutations",
                    b.bands, b.rows, self.num_perm
                ),
            });
        }
        Ok(())
    }

    /// Whether two documents' exact similarity makes them a match.
    pub fn matches(&self, s: &Similarity) -> bool {
        s.jaccard >= self.threshold || s.overlap() >= self.containment
    }
}

/// What a scan keeps in its [`ScanResult`] beyond the clusters and what the report reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Retain {
    /// Everything, corpus statistics and sketches included: what saving an index
    /// ([`crate::store::save`]) or building one needs.
    #[default]
    Everything,
    /// What the report reads. [`ScanResult::signatures`], [`ScanResult::shingle_df`],
    /// [`ScanResult::windows`] and [`ScanResult::line_stats`] are left empty, and each is freed
    /// as soon as its stage is done (the shingle frequencies are never made into a table), so
    /// that the scan's peak memory holds none of them. The clusters are the same.
    Report,
}

/// How a scan may use memory and disk. None of it changes what the scan finds: the same
/// documents and configuration give the same clusters, pairs and counts with any options
/// ([`ScanOptions::retain`] only says what else the result keeps).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanOptions {
    /// What the result keeps.
    pub retain: Retain,
    /// Bytes of memory the scan should stay under. With a limit, these are held out of core
    /// ([`crate::spill`]): each page's text is written to disk as pages are normalized (the
    /// texts of a [`Corpus`] read to disk by [`crate::input::read_corpus`] stay where they
    /// are), and so are its lines (read in place from a mapping) and the documents' other
    /// fields (until the matching is done): its units are made again from its text for the
    /// shingles; past an eighth of
    /// the limit each matching pass writes its candidate pairs to sorted runs on disk and
    /// verifies them as they are merged back, and the stop shingles are counted from sorted
    /// runs of (shingle, group) pairs (unless [`Retain::Everything`] keeps every count); and at
    /// the end the result gets back the texts it needs: every text with
    /// [`Retain::Everything`], only story members' with [`Retain::Report`] (other documents'
    /// `text` is then empty). The shingle sets of both matching passes are written to disk as
    /// they are made and mapped back ([`crate::spill::MappedSlices`]): each stage reads them in
    /// place and lets their pages go as it ends a batch, and the result gets back the sets it
    /// needs as it does the texts; the final pass's window sketches go to a file beside them
    /// and are banded in place. The signatures that are kept and the verified pairs stay in
    /// memory.
    /// `None`: everything in memory.
    pub memory_limit: Option<u64>,
    /// Where spilled runs go (a temporary folder is made inside and removed after the scan);
    /// the system's temporary folder when `None`.
    pub spill_dir: Option<PathBuf>,
}

impl ScanOptions {
    /// Bytes of candidate pairs held in memory before they are written as a run.
    fn pair_budget(&self) -> Option<usize> {
        self.memory_limit
            .map(|l| usize::try_from(l / 8).unwrap_or(usize::MAX))
    }
}

/// Candidate pairs verified at a time when they are read back from disk.
const VERIFY_CHUNK: usize = 1 << 20;

/// Candidate pairs verified between two releases of mapped shingle sets' pages (each pair may
/// map a page or two of its second set, and reading them again costs a page fault each).
const RELEASE_PAIRS: usize = 1 << 16;

/// Pages normalized at a time under a memory limit or from texts on disk.
const NORMALIZE_BATCH: usize = 1 << 13;

/// Read back every text spilled under a memory limit (an index keeps them).
fn restore_texts(docs: &mut [Document], texts: &SpilledTexts) -> Result<()> {
    docs.par_iter_mut().enumerate().try_for_each(|(i, d)| {
        d.text = texts.text(i)?;
        Ok(())
    })
}

/// Every shingle set of the final pass's `store` in memory: read back when mapped from disk,
/// a batch at a time, letting the mapped pages go after each (the copies and the mapped pages
/// they came from are never all resident together).
fn restore_sets(store: SetStore) -> Vec<Vec<u64>> {
    let mapped = match store {
        SetStore::Held(sets) => return sets,
        SetStore::Mapped(m) => m,
    };
    let mut sets = Vec::with_capacity(mapped.len());
    for start in (0..mapped.len()).step_by(NORMALIZE_BATCH) {
        let end = (start + NORMALIZE_BATCH).min(mapped.len());
        sets.par_extend((start..end).into_par_iter().map(|i| mapped.get(i).to_vec()));
        mapped.release();
    }
    sets
}

/// Every page's lines, and in memory its units: held, or under a memory limit written to disk as
/// pages are normalized and read in place from a mapping (a page's units, a hash per word, are
/// then made again from its text on disk when its shingles are made).
enum PageLines<'t> {
    Held(Vec<Units>),
    Mapped {
        lines: MappedSlices<Line>,
        texts: &'t SpilledTexts,
    },
}

impl PageLines<'_> {
    /// Page `i`'s lines.
    fn lines(&self, i: usize) -> &[Line] {
        match self {
            PageLines::Held(units) => &units[i].lines,
            PageLines::Mapped { lines, .. } => lines.get(i),
        }
    }

    /// Page `i`'s units: those in memory, or made again from its text on disk exactly as
    /// normalization made them.
    fn units(&self, cfg: &ScanConfig, i: usize) -> Result<std::borrow::Cow<'_, [u64]>> {
        match self {
            PageLines::Held(units) => Ok(std::borrow::Cow::Borrowed(&units[i].units)),
            PageLines::Mapped { lines, texts } => {
                remade_units(texts, cfg, i, lines.get(i)).map(std::borrow::Cow::Owned)
            }
        }
    }

    /// Let the mapped lines' pages read so far go (nothing for lines held in memory).
    fn release(&self) {
        if let PageLines::Mapped { lines, .. } = self {
            lines.release();
        }
    }
}

/// Page `i`'s units made again from its text on disk, exactly as normalization made them.
fn remade_units(
    texts: &SpilledTexts,
    cfg: &ScanConfig,
    i: usize,
    lines: &[Line],
) -> Result<Vec<u64>> {
    let again = crate::fingerprint::units_of(&texts.text(i)?, cfg.shingle, cfg.unspaced).units;
    // A text read back passed its checksum, and normalization is a function of the text: its
    // lines' units are there. Checked all the same, so that a broken promise is an error
    // rather than a slice out of bounds.
    if lines.last().is_some_and(|l| l.end as usize > again.len()) {
        return Err(Error::Io {
            path: texts.path().to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("text {i} normalizes to fewer units than it did"),
            ),
        });
    }
    Ok(again)
}

/// Every page's shingle set of one matching pass: held in memory, or under a memory limit
/// written to disk as the sets are made and mapped back.
enum SetStore {
    Held(Vec<Vec<u64>>),
    Mapped(MappedSlices<u64>),
}

impl SetStore {
    /// Make page `i`'s set and its other part with `make(i, items[i])`, consuming `items`:
    /// all at once in memory, or with `spill` (under a memory limit) [`NORMALIZE_BATCH`] pages
    /// at a time, each batch's sets written to disk before the next is made and `after_batch`
    /// called.
    fn build<T: Send, X: Send>(
        items: Vec<T>,
        spill: Option<Option<&std::path::Path>>,
        after_batch: &dyn Fn(),
        make: impl Fn(usize, T) -> Result<(Vec<u64>, X)> + Sync,
    ) -> Result<(SetStore, Vec<X>)> {
        let mut other = Vec::with_capacity(items.len());
        let store = SetStore::build_into(items, spill, after_batch, make, &mut |x| {
            other.push(x);
            Ok(())
        })?;
        Ok((store, other))
    }

    /// [`SetStore::build`], handing each page's other part to `take`, in page order, as it is
    /// made.
    fn build_into<T: Send, X: Send>(
        items: Vec<T>,
        spill: Option<Option<&std::path::Path>>,
        after_batch: &dyn Fn(),
        make: impl Fn(usize, T) -> Result<(Vec<u64>, X)> + Sync,
        take: &mut dyn FnMut(X) -> Result<()>,
    ) -> Result<SetStore> {
        let make = |(i, t)| make(i, t);
        let Some(dir) = spill else {
            let made: Vec<(Vec<u64>, X)> = items
                .into_par_iter()
                .enumerate()
                .map(make)
                .collect::<Result<_>>()?;
            let mut sets = Vec::with_capacity(made.len());
            for (set, x) in made {
                sets.push(set);
                take(x)?;
            }
            return Ok(SetStore::Held(sets));
        };
        let mut store = SpilledSlices::<u64>::create(dir)?;
        let mut rest = items.into_iter().enumerate();
        loop {
            let batch: Vec<(usize, T)> = rest.by_ref().take(NORMALIZE_BATCH).collect();
            if batch.is_empty() {
                break;
            }
            let made: Vec<(Vec<u64>, X)> =
                batch.into_par_iter().map(make).collect::<Result<_>>()?;
            for (set, x) in made {
                store.push(&set)?;
                take(x)?;
            }
            after_batch();
        }
        Ok(SetStore::Mapped(store.into_mapped()?))
    }

    /// Remove `stop` (sorted) from every set: in place in memory, or into a new file read
    /// [`NORMALIZE_BATCH`] sets at a time.
    fn remove_stop(self, stop: &[u64], dir: Option<&std::path::Path>) -> Result<SetStore> {
        match self {
            SetStore::Held(mut sets) => {
                sets.par_iter_mut()
                    .for_each(|s| chrome::remove_sorted(s, stop));
                Ok(SetStore::Held(sets))
            }
            SetStore::Mapped(raw) => {
                let items: Vec<&[u64]> = (0..raw.len()).map(|i| raw.get(i)).collect();
                let (store, _) = SetStore::build(items, Some(dir), &|| raw.release(), |_, set| {
                    let mut set = set.to_vec();
                    chrome::remove_sorted(&mut set, stop);
                    Ok((set, ()))
                })?;
                Ok(store)
            }
        }
    }

    /// Every set as a slice, in page order.
    fn view(&self) -> Vec<&[u64]> {
        match self {
            SetStore::Held(sets) => sets.iter().map(Vec::as_slice).collect(),
            SetStore::Mapped(m) => (0..m.len()).map(|i| m.get(i)).collect(),
        }
    }

    /// Let the pages of mapped sets read so far go (nothing for sets held in memory).
    fn release(&self) {
        if let SetStore::Mapped(m) = self {
            m.release();
        }
    }

    /// See [`MappedSlices::advise_random`]; nothing for sets held in memory.
    fn advise_random(&self, random: bool) {
        if let SetStore::Mapped(m) = self {
            m.advise_random(random);
        }
    }
}

/// Observes the stages of a scan (progress bars); all methods may be called from any thread.
pub trait Observer: Sync {
    /// A stage starts with `len` steps.
    fn stage(&self, _name: &'static str, _len: u64) {}
    /// `n` steps of the current stage are done.
    fn advance(&self, _n: u64) {}
}

/// An observer that does nothing.
pub struct Quiet;
impl Observer for Quiet {}

/// A stage of a scan whose wall time [`Timings`] records, in the order the stages run. The
/// pipeline records the stages from [`Stage::Normalize`] to [`Stage::Cluster`]; the edges of a
/// program (reading, saving, the report, writing) record theirs with [`Timings::add`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Reading and parsing the inputs (HTML extraction included).
    Read,
    /// Canonical order, then normalizing every page into units, lines and figures.
    Normalize,
    /// The provisional matching pass that finds story groups for the chrome statistics (a whole
    /// pass of its own: core-template masks, shingling, signing, candidates, verification,
    /// clustering).
    StoryGroups,
    /// Corpus line statistics and each page's content mask.
    Chrome,
    /// Content shingle sets, window sketches, shingle frequencies, stop shingles and figures.
    Shingle,
    /// MinHash signatures of the content shingle sets.
    Sign,
    /// LSH candidate pairs, from the signatures and from the window sketches.
    Candidates,
    /// Exact similarity of every candidate pair.
    Verify,
    /// Clustering the verified pairs (with the chaining guard).
    Cluster,
    /// Saving the index (`--save-index`).
    SaveIndex,
    /// Building the report model: alignment, wire detection, attribution.
    Report,
    /// Rendering the report and writing it out.
    Write,
}

impl Stage {
    /// Every stage, in the order a scan runs them.
    pub const ALL: [Stage; 12] = [
        Stage::Read,
        Stage::Normalize,
        Stage::StoryGroups,
        Stage::Chrome,
        Stage::Shingle,
        Stage::Sign,
        Stage::Candidates,
        Stage::Verify,
        Stage::Cluster,
        Stage::SaveIndex,
        Stage::Report,
        Stage::Write,
    ];

    /// The stage's name as `scan --timings` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Read => "read",
            Stage::Normalize => "normalize",
            Stage::StoryGroups => "story groups",
            Stage::Chrome => "chrome stats",
            Stage::Shingle => "shingle",
            Stage::Sign => "sign",
            Stage::Candidates => "lsh candidates",
            Stage::Verify => "verify",
            Stage::Cluster => "cluster",
            Stage::SaveIndex => "save index",
            Stage::Report => "report",
            Stage::Write => "write",
        }
    }
}

/// Wall time spent in each stage of one scan; a stage that did not run has none (not zero).
/// Shares are of the sum of the recorded stages, so they add up to 100 %.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timings {
    wall: [Option<Duration>; Stage::ALL.len()],
}

impl Timings {
    /// Add `d` to `stage` (a stage may run in several pieces).
    pub fn add(&mut self, stage: Stage, d: Duration) {
        let w = &mut self.wall[stage as usize];
        *w = Some(w.unwrap_or_default() + d);
    }

    /// Run `f`, adding its wall time to `stage`.
    pub fn time<T>(&mut self, stage: Stage, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        self.add(stage, start.elapsed());
        out
    }

    /// The recorded stages with their wall time, in [`Stage::ALL`] order.
    pub fn stages(&self) -> impl Iterator<Item = (Stage, Duration)> + '_ {
        Stage::ALL
            .iter()
            .filter_map(|&s| self.wall[s as usize].map(|d| (s, d)))
    }

    /// The sum of the recorded stages.
    pub fn total(&self) -> Duration {
        self.stages().map(|(_, d)| d).sum()
    }
}

/// One line per recorded stage (name, seconds, share of the total), then the total.
impl fmt::Display for Timings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.total().as_secs_f64();
        let share = |d: f64| if total > 0.0 { 100.0 * d / total } else { 0.0 };
        for (s, d) in self.stages() {
            let d = d.as_secs_f64();
            writeln!(f, "{:<16}{:>10.3} s{:>7.1} %", s.name(), d, share(d))?;
        }
        writeln!(f, "{:<16}{:>10.3} s{:>7.1} %", "total", total, share(total))
    }
}

/// Laps of one clock: each lap's time goes to the stage that just ended.
struct Stopwatch {
    timings: Timings,
    last: Instant,
    /// Whether each lap hands the memory the stage freed back to the system
    /// ([`give_back_freed_memory`]; under a memory limit).
    trim: bool,
}

impl Stopwatch {
    fn start() -> Stopwatch {
        Stopwatch {
            timings: Timings::default(),
            last: Instant::now(),
            trim: false,
        }
    }

    /// Two stages that ran interleaved end now: `first` took `d` of the time since the last
    /// lap, `then` the rest.
    fn lap_split(&mut self, first: Stage, d: Duration, then: Stage) {
        let since = self.last.elapsed();
        let d = d.min(since);
        self.timings.add(first, d);
        self.last += d;
        self.lap(then);
    }

    /// The stage `stage` ends now.
    fn lap(&mut self, stage: Stage) {
        if self.trim {
            give_back_freed_memory();
        }
        let now = Instant::now();
        self.timings.add(stage, now.duration_since(self.last));
        self.last = now;
    }
}

/// Hand the memory freed so far back to the system. glibc's allocator keeps freed memory in
/// its arenas for reuse (only what is at the top of an arena, or was a separate mapping, goes
/// back by itself), so a stage's large temporary tables stay resident after they are freed;
/// `malloc_trim` gives back every free page. Elsewhere this does nothing, and under another
/// allocator it finds little to give back (the `wirecopy` binary uses mimalloc, which gives
/// freed pages back by itself: `src/cli/allocator.rs`); it is for programs that link the
/// library with glibc's.
#[allow(unsafe_code)] // an FFI call; the safety argument is below.
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` takes no pointer and only releases pages glibc holds free; it is
    // thread-safe (it locks each arena), and the memory Rust holds is untouched.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// What a scan found.
#[derive(Debug, Clone)]
pub struct ScanResult {
    /// The configuration used.
    pub config: ScanConfig,
    /// The banding used.
    pub banding: Banding,
    /// Documents in canonical order; indices below refer to this order.
    pub docs: Vec<Document>,
    /// Per document, the raw line numbers (in `text.lines()`) of its content lines.
    pub content_lines: Vec<Vec<u32>>,
    /// Per document, its sorted content shingle set after stop shingles are removed.
    pub sets: Vec<Vec<u64>>,
    /// Flat MinHash values, `num_perm` per document.
    pub signatures: Vec<u32>,
    /// Documents too short to match (fewer than `min_shingles` content shingles).
    pub near_empty: Vec<bool>,
    /// Line statistics learned from the corpus.
    pub line_stats: LineStats,
    /// Number of distinct shingles dropped as too common.
    pub stop_shingles: usize,
    /// Frequency of every content shingle counted over story groups (a group of near-duplicate
    /// pages counts once), before stop shingles were removed: sorted `(shingle, groups)`. With `line_stats` this is what an incremental index needs to
    /// treat new pages as the scan did.
    pub shingle_df: Vec<(u64, u32)>,
    /// Per document, its window sketches (see [`Chunker`]), `CHUNK_PERM` values per window.
    pub windows: Vec<Vec<u32>>,
    /// Per document, the sorted figures of its content lines (see [`figures`]).
    pub figures: Vec<Vec<u64>>,
    /// Candidate pairs the LSH index produced.
    pub candidates: usize,
    /// Verified pairs.
    pub edges: Vec<Edge>,
    /// Clusters of two or more documents (indices into `docs`), sorted.
    pub clusters: Vec<Vec<u32>>,
    /// Bytes of candidate pairs and shingle statistics written to disk as sorted runs under
    /// [`ScanOptions::memory_limit`] (0 when they fitted in memory). Like the timings, it says
    /// how the scan ran, not what it found.
    pub spilled_bytes: u64,
    /// Wall time of each stage the pipeline ran (with `spilled_bytes`, the only field that
    /// differs between two scans of the same input).
    pub timings: Timings,
    /// Under a memory limit with [`Retain::Report`]: every document's text and shingle set,
    /// left on disk for the report to read a story at a time (`docs[i].text` and `sets[i]`
    /// are then empty; [`OnDisk::text`] reads a text, [`ScanResult::set`] either set). `None` when
    /// they are in `docs` and `sets`.
    pub on_disk: Option<std::sync::Arc<OnDisk>>,
}

/// The texts and final shingle sets of a scan under a memory limit, on disk: see
/// [`ScanResult::on_disk`].
#[derive(Debug)]
pub struct OnDisk {
    texts: SpilledTexts,
    sets: MappedSlices<u64>,
}

impl OnDisk {
    /// Document `i`'s text, read from disk (checked against its checksum).
    pub fn text(&self, i: usize) -> Result<String> {
        self.texts.text(i)
    }

    /// Document `i`'s shingle set, read in place from the mapping.
    pub fn set(&self, i: usize) -> &[u64] {
        self.sets.get(i)
    }

    /// Let the pages of the sets read so far go (see [`MappedSlices::release`]).
    pub fn release(&self) {
        self.sets.release();
    }

    /// Start reading documents `docs`' texts and sets from disk into the page cache, all at
    /// once, before they are read one by one: scattered reads with many requests in flight,
    /// and no read-around (advice only; see [`MappedSlices::will_need`]).
    pub fn will_need(&self, docs: &[usize]) {
        for &d in docs {
            self.texts.will_need(d);
            self.sets.will_need(d);
        }
    }
}

impl ScanResult {
    /// Exact similarity of two documents' content.
    pub fn similarity(&self, a: usize, b: usize) -> Similarity {
        verify::similarity(self.set(a), self.set(b))
    }

    /// Document `i`'s final shingle set: from [`ScanResult::on_disk`] when the scan left it
    /// there, else `sets[i]`.
    pub fn set(&self, i: usize) -> &[u64] {
        match &self.on_disk {
            Some(d) => d.set(i),
            None => self.sets.get(i).map_or(&[], Vec::as_slice),
        }
    }

    /// The content paragraphs (chrome and headline lists removed) of document `i`.
    pub fn paragraphs(&self, i: usize) -> Vec<String> {
        self.paragraph_strs(i)
            .into_iter()
            .map(String::from)
            .collect()
    }

    /// [`ScanResult::paragraphs`] as slices of the document's text: no copy of it.
    pub fn paragraph_strs(&self, i: usize) -> Vec<&str> {
        paragraph_strs(&self.docs[i].text, &self.content_lines[i])
    }

    /// The cluster number (position in `clusters`) of every document, `None` for singletons.
    pub fn membership(&self) -> Vec<Option<usize>> {
        let mut m = vec![None; self.docs.len()];
        for (c, members) in self.clusters.iter().enumerate() {
            for &d in members {
                m[d as usize] = Some(c);
            }
        }
        m
    }
}

/// The content paragraphs of `text` (trimmed lines) at raw line numbers `content_lines`.
pub fn paragraph_strs<'t>(text: &'t str, content_lines: &[u32]) -> Vec<&'t str> {
    let lines: Vec<&str> = text.lines().collect();
    content_lines
        .iter()
        .filter_map(|&r| lines.get(r as usize).map(|l| l.trim()))
        .collect()
}

/// Scan documents (any order) into clusters, keeping everything ([`Retain::Everything`]).
pub fn scan(docs: Vec<Document>, cfg: &ScanConfig, obs: &dyn Observer) -> Result<ScanResult> {
    scan_retaining(docs, cfg, obs, Retain::Everything)
}

/// Scan documents (any order) into clusters, keeping what `retain` says.
pub fn scan_retaining(
    docs: Vec<Document>,
    cfg: &ScanConfig,
    obs: &dyn Observer,
    retain: Retain,
) -> Result<ScanResult> {
    let opts = ScanOptions {
        retain,
        ..ScanOptions::default()
    };
    scan_with(docs, cfg, obs, &opts)
}

/// Scan documents (any order) into clusters, with the memory and disk use `opts` says.
pub fn scan_with(
    docs: Vec<Document>,
    cfg: &ScanConfig,
    obs: &dyn Observer,
    opts: &ScanOptions,
) -> Result<ScanResult> {
    scan_corpus(Corpus::from(docs), cfg, obs, opts)
}

/// [`scan_with`] of a corpus whose texts may be on disk (see [`crate::input::read_corpus`]):
/// each text is read back when its page is normalized and, under a memory limit, left there
/// for the report. The result is the one the same documents with their texts give.
pub fn scan_corpus(
    corpus: Corpus,
    cfg: &ScanConfig,
    obs: &dyn Observer,
    opts: &ScanOptions,
) -> Result<ScanResult> {
    let keep = opts.retain == Retain::Everything;
    cfg.validate()?;
    let banding = cfg.banding()?;
    let mut clock = Stopwatch::start();
    clock.trim = opts.memory_limit.is_some();
    let (mut docs, spilled) = match corpus.texts {
        None => {
            let mut docs = corpus.docs;
            docs.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
            (docs, None)
        }
        Some(texts) => {
            // The canonical order, with each text's hash read from where it was written.
            let mut order: Vec<usize> = (0..corpus.docs.len()).collect();
            order.sort_by(|&a, &b| {
                (&corpus.docs[a].id, texts.text_hash(a))
                    .cmp(&(&corpus.docs[b].id, texts.text_hash(b)))
            });
            let texts = texts.reordered(&order);
            let mut docs: Vec<Option<Document>> = corpus.docs.into_iter().map(Some).collect();
            let docs = order.iter().filter_map(|&i| docs[i].take()).collect();
            (docs, Some(texts))
        }
    };
    let n = docs.len();

    obs.stage("normalizing", n as u64);
    let fingerprinter = Fingerprinter::new(cfg)?;
    let mut sites: Vec<u64> = Vec::with_capacity(n);
    let limited = opts.memory_limit.is_some();
    let mut units: Vec<Units> = Vec::with_capacity(if limited { 0 } else { n });
    let mut fig_lines: Vec<Vec<(u32, u64)>> = Vec::with_capacity(n);
    // Under a memory limit each page's text goes to disk a batch of pages at a time (unless it
    // is there already: then it is read a batch at a time and dropped once normalized), and so
    // do its lines: its units (a hash per word, more bytes than its text) are made again from
    // its text when its shingles are made. The texts the result needs are read back at the end.
    let mut line_store = match limited {
        true => Some(SpilledSlices::<Line>::create(opts.spill_dir.as_deref())?),
        false => None,
    };
    let mut text_store = match (limited, &spilled) {
        (true, None) => Some(SpilledSlices::<u8>::create(opts.spill_dir.as_deref())?),
        _ => None,
    };
    // Under a memory limit the documents' other fields go to disk as well, until the matching
    // is done: nothing reads them before the result is made.
    let mut doc_store = match limited {
        true => Some(SpilledDocs::create(opts.spill_dir.as_deref())?),
        false => None,
    };
    let batch = if limited || spilled.is_some() {
        NORMALIZE_BATCH
    } else {
        n.max(1)
    };
    for (b, part) in docs.chunks_mut(batch).enumerate() {
        if let Some(texts) = &spilled {
            part.par_iter_mut()
                .enumerate()
                .try_for_each(|(k, d)| -> Result<()> {
                    d.text = texts.text(b * batch + k)?;
                    Ok(())
                })?;
        }
        let normalized: Vec<Page> = part
            .par_iter()
            .map(|d| {
                let p = fingerprinter.page(d);
                obs.advance(1);
                p
            })
            .collect();
        if let Some(store) = text_store.as_mut() {
            for d in part.iter_mut() {
                store.push(d.text.as_bytes())?;
                d.text = String::new();
            }
        } else if spilled.is_some() {
            for d in part.iter_mut() {
                d.text = String::new();
            }
        }
        if let Some(store) = doc_store.as_mut() {
            for d in part.iter_mut() {
                store.push(d)?;
                *d = Document::new(String::new(), String::new());
            }
        }
        for p in normalized {
            sites.push(p.site);
            match line_store.as_mut() {
                Some(store) => store.push(&p.units.lines)?,
                None => units.push(p.units),
            }
            fig_lines.push(p.figure_lines);
        }
    }
    if doc_store.is_some() {
        docs = Vec::new();
    }
    let text_store = match text_store {
        Some(mut store) => {
            store.finish_writing()?;
            Some(SpilledTexts::in_order(store))
        }
        None => spilled,
    };
    // Under a limit the texts are on disk (written above, or read from there): lines written to
    // disk always come with texts to make their units from.
    let page_lines = match (line_store, text_store.as_ref().filter(|_| limited)) {
        (Some(lines), Some(texts)) => PageLines::Mapped {
            lines: lines.into_mapped()?,
            texts,
        },
        _ => PageLines::Held(units),
    };
    let pages: Vec<(u64, &[Line])> = (sites.iter().copied().enumerate())
        .map(|(i, site)| (site, page_lines.lines(i)))
        .collect();
    clock.lap(Stage::Normalize);

    let mut spilled_bytes = 0;
    let groups: Vec<u32> = if !cfg.chrome.story_groups {
        (0..n as u32).collect()
    } else {
        let (g, spilled) = provisional_groups(&fig_lines, &page_lines, &pages, cfg, opts, obs)?;
        page_lines.release();
        spilled_bytes += spilled;
        clock.lap(Stage::StoryGroups);
        g
    };

    obs.stage("learning chrome", n as u64);
    let mut line_stats = LineStats::build_grouped(&pages, &groups);
    let mut chrome_cfg = cfg.chrome;
    if cfg.chrome.story_groups {
        chrome_cfg.site_min_pages = cfg.chrome.site_min_groups;
    }
    let lookup = line_stats.lookup();
    let masks: Vec<Vec<bool>> = pages
        .par_iter()
        .map(|&(site, lines)| {
            content_mask_of(
                lines,
                site,
                &cfg.chrome,
                |site, line| lookup.is_template(&chrome_cfg, site, line),
                |line| lookup.is_recurring(line),
            )
        })
        .collect();
    drop(lookup);
    let content_lines: Vec<Vec<u32>> = pages
        .iter()
        .zip(&masks)
        .map(|(&(_, lines), m)| content_rows(lines, m))
        .collect();
    page_lines.release();
    let group_count = line_stats.pages as usize;
    if !keep {
        line_stats = LineStats::default();
    }
    clock.lap(Stage::Chrome);

    obs.stage("shingling", n as u64);
    let chunker = fingerprinter.chunker();
    drop(pages);
    // Each page's units are freed as soon as its shingles are made, so the units of the whole
    // corpus and its shingle sets are never all held at once; under a memory limit the sets go
    // to disk a batch at a time.
    let spill_sets = opts.memory_limit.map(|_| opts.spill_dir.as_deref());
    // Window sketches go to disk beside the sets under a memory limit.
    let mut windows = match spill_sets {
        Some(dir) => Windows::Spilled(SpilledSlices::create(dir)?),
        None => Windows::Held(Vec::with_capacity(n)),
    };
    let shingle_page = |units: &[u64], lines: &[Line], mask: &[bool]| {
        let seq = content_sequence_of(units, lines, mask, cfg.shingle);
        let chunks = chunker.sign(&seq);
        obs.advance(1);
        (shingle::into_set(seq), chunks)
    };
    let raw = match page_lines {
        PageLines::Held(units) => {
            let items: Vec<(Units, &Vec<bool>)> = units.into_iter().zip(&masks).collect();
            SetStore::build_into(
                items,
                spill_sets,
                &|| (),
                |_, (u, m)| Ok(shingle_page(&u.units, &u.lines, m)),
                &mut |chunks| windows.push(chunks),
            )?
        }
        mapped => SetStore::build_into(
            masks.iter().collect(),
            spill_sets,
            &|| mapped.release(),
            |i, m| Ok(shingle_page(&mapped.units(cfg, i)?, mapped.lines(i), m)),
            &mut |chunks| windows.push(chunks),
        )?,
    };
    let (df, stop) = {
        let sets = raw.view();
        let found = if keep {
            let df = chrome::shingle_df_grouped(&sets, &groups);
            let stop = chrome::stop_shingles(&df, group_count, &cfg.chrome);
            (df, stop)
        } else if let Some(budget) = opts
            .pair_budget()
            .filter(|&b| sets.iter().map(|s| s.len()).sum::<usize>() * 8 > b)
        {
            // More (shingle, group) pairs than the budget holds (at the 8 bytes a key the count
            // in memory takes): they go to sorted runs on disk, a budget's worth at a time.
            let spill = SortedSpill::with_budget(Some(budget), opts.spill_dir.as_deref());
            let batch = budget / std::mem::size_of::<[u32; 3]>() + 1;
            let (stop, written) = chrome::stop_shingles_spilled(
                &sets,
                &groups,
                group_count,
                &cfg.chrome,
                spill,
                batch,
                &|| raw.release(),
            )?;
            spilled_bytes += written;
            (Vec::new(), stop)
        } else {
            let stop = chrome::stop_shingles_grouped(&sets, &groups, group_count, &cfg.chrome);
            (Vec::new(), stop)
        };
        raw.release();
        found
    };
    let store = raw.remove_stop(&stop, opts.spill_dir.as_deref())?;
    let sets = store.view();
    let figs = figures_of(&fig_lines, &content_lines);
    clock.lap(Stage::Shingle);
    let (extra, chunk_sigs) = window_candidates(chunker, windows, keep, &sets, cfg)?;
    clock.lap(Stage::Candidates);
    let m = match_sets(&store, &figs, cfg, &extra, keep, opts, obs, &mut clock)?;
    let (signatures, near_empty, candidates, edges, clusters) = (
        m.signatures,
        m.near_empty,
        m.candidates,
        m.edges,
        m.clusters,
    );
    spilled_bytes += m.spilled_bytes;
    drop(sets);
    if let Some(store) = doc_store {
        docs = store.read_all()?;
    }
    // An index keeps every text and set: they are read back. A report reads only story
    // members', a story at a time: they stay on disk.
    let (sets, on_disk) = match (text_store, store) {
        (Some(texts), SetStore::Mapped(sets)) if !keep => (
            vec![Vec::new(); n],
            Some(std::sync::Arc::new(OnDisk { texts, sets })),
        ),
        (texts, store) => {
            if let Some(texts) = texts {
                restore_texts(&mut docs, &texts)?;
            }
            (restore_sets(store), None)
        }
    };

    Ok(ScanResult {
        config: *cfg,
        banding,
        docs,
        content_lines,
        sets,
        signatures,
        near_empty,
        line_stats,
        stop_shingles: stop.len(),
        shingle_df: df,
        windows: chunk_sigs,
        figures: figs,
        candidates,
        edges,
        clusters,
        spilled_bytes,
        timings: clock.timings,
        on_disk,
    })
}

/// The figures of every document's content lines, from each document's figures by line.
fn figures_of(by_line: &[Vec<(u32, u64)>], content_lines: &[Vec<u32>]) -> Vec<Vec<u64>> {
    by_line
        .par_iter()
        .zip(content_lines)
        .map(|(t, c)| figures::select(t, c))
        .collect()
}

/// Every page's window sketches, [`CHUNK_PERM`] values per window.
type Sketches = Vec<Vec<u32>>;

/// Every page's window sketches: held in memory, or under a memory limit written to disk as
/// they are made.
enum Windows {
    Held(Sketches),
    Spilled(SpilledSlices<u32>),
}

impl Windows {
    /// The next page's sketches.
    fn push(&mut self, sketches: Vec<u32>) -> Result<()> {
        match self {
            Windows::Held(all) => all.push(sketches),
            Windows::Spilled(file) => file.push(&sketches)?,
        }
        Ok(())
    }
}

/// Document pairs whose window sketches (see [`Chunker`]) collide in some band; pages below
/// `min_shingles` take no part. Returns the pairs, and unless `keep` no sketches (else every
/// page's). Sketches held in memory are freed as they are copied into the flat array the
/// banding reads; sketches on disk are read in place, mapped.
fn window_candidates(
    chunker: &Chunker,
    windows: Windows,
    keep: bool,
    sets: &[&[u64]],
    cfg: &ScanConfig,
) -> Result<(Vec<(u32, u32)>, Sketches)> {
    let min = cfg.min_shingles.max(1);
    let lsh_cfg = LshConfig {
        banding: Banding {
            bands: CHUNK_BANDS,
            rows: CHUNK_ROWS,
        },
        max_run_pairs: cfg.max_run_pairs,
    };
    // Band the flat array of every page's sketches, page by page in order; the sketches of
    // pages below `min_shingles` are in it but not indexed.
    let band = |flat: &[u32], counts: &mut dyn Iterator<Item = usize>| {
        let mut owner: Vec<u32> = Vec::with_capacity(flat.len() / CHUNK_PERM);
        let mut indexed: Vec<bool> = Vec::with_capacity(owner.capacity());
        for (d, (count, set)) in counts.zip(sets).enumerate() {
            owner.resize(owner.len() + count, d as u32);
            indexed.resize(indexed.len() + count, set.len() >= min);
        }
        lsh::candidates_of_owners(flat, CHUNK_PERM, &indexed, Some(&owner), &lsh_cfg)
    };
    match windows {
        Windows::Held(mut sigs) => {
            if !chunker.enabled() {
                return Ok((Vec::new(), if keep { sigs } else { Vec::new() }));
            }
            let counts: Vec<usize> = sigs.iter().map(|s| s.len() / CHUNK_PERM).collect();
            let mut flat: Vec<u32> = Vec::with_capacity(counts.iter().sum::<usize>() * CHUNK_PERM);
            for s in sigs.iter_mut() {
                flat.extend_from_slice(s);
                if !keep {
                    *s = Vec::new();
                }
            }
            let kept = if keep { sigs } else { Vec::new() };
            let pairs = band(&flat, &mut counts.into_iter())?;
            Ok((pairs, kept))
        }
        Windows::Spilled(file) => {
            let mapped = file.into_mapped()?;
            let kept = if keep {
                let all = (0..mapped.len()).map(|d| mapped.get(d).to_vec()).collect();
                mapped.release();
                all
            } else {
                Vec::new()
            };
            if !chunker.enabled() {
                return Ok((Vec::new(), kept));
            }
            // The file is the flat array.
            let pairs = band(
                mapped.all(),
                &mut (0..mapped.len()).map(|d| mapped.get(d).len() / CHUNK_PERM),
            );
            mapped.release();
            Ok((pairs?, kept))
        }
    }
}

/// What matching a corpus's shingle sets gives.
struct Matched {
    signatures: Vec<u32>,
    near_empty: Vec<bool>,
    candidates: usize,
    edges: Vec<Edge>,
    clusters: Vec<Vec<u32>>,
    spilled_bytes: u64,
}

/// Sign, index, verify and cluster shingle sets. Unless `keep_signatures`, the signatures are
/// freed once the candidates are found (and [`Matched::signatures`] is empty). The candidate
/// pairs are spilled to disk past the budget of `opts`, and verified as they are read back.
#[allow(clippy::too_many_arguments)]
fn match_sets(
    store: &SetStore,
    figs: &[Vec<u64>],
    cfg: &ScanConfig,
    extra: &[(u32, u32)],
    keep_signatures: bool,
    opts: &ScanOptions,
    obs: &dyn Observer,
    clock: &mut Stopwatch,
) -> Result<Matched> {
    let sets = store.view();
    let n = sets.len();
    let near_empty: Vec<bool> = sets
        .iter()
        .map(|s| s.len() < cfg.min_shingles.max(1))
        .collect();

    let banding = cfg.banding()?;
    let indexed: Vec<bool> = near_empty.iter().map(|e| !e).collect();
    let lsh_cfg = LshConfig {
        banding,
        max_run_pairs: cfg.max_run_pairs,
    };
    let mut spill = SortedSpill::with_budget(opts.pair_budget(), opts.spill_dir.as_deref());
    // Sign a batch of pages at a time, so that mapped sets' pages are let go as signing goes.
    let sign = |hasher: &MinHasher, perms: std::ops::Range<usize>, signatures: &mut [u32]| {
        let width = perms.len();
        for (out, sets) in signatures
            .chunks_mut(NORMALIZE_BATCH * width)
            .zip(sets.chunks(NORMALIZE_BATCH))
        {
            out.par_chunks_mut(width).zip(sets).for_each(|(out, set)| {
                hasher.sign_range_into(set, perms.clone(), out);
                obs.advance(1);
            });
            store.release();
        }
    };
    let signatures = if keep_signatures {
        obs.stage("signing", n as u64);
        let hasher = MinHasher::new(cfg.signature_params())?;
        let mut signatures = vec![0u32; n * cfg.num_perm];
        sign(&hasher, 0..cfg.num_perm, &mut signatures);
        clock.lap(Stage::Sign);
        obs.stage("indexing", banding.bands as u64);
        lsh::candidates_into(
            &signatures,
            cfg.num_perm,
            &indexed,
            None,
            &lsh_cfg,
            &mut spill,
        )?;
        signatures
    } else {
        // Signatures that are not kept are only banded, a batch of bands at a time: only the
        // batch's values are made, and held (16 of the 88 values a page at the defaults). A
        // permutation's constants do not depend on how many follow it, so they are the values
        // the whole signature has.
        let batches = banding.bands.div_ceil(lsh::BANDS_AT_ONCE);
        obs.stage("signing and indexing", (n * batches) as u64);
        let hasher = MinHasher::new(SignatureParams {
            num_perm: banding.bands * banding.rows,
            ..cfg.signature_params()
        })?;
        let mut signing = Duration::ZERO;
        lsh::candidates_signed_by_batches(&indexed, &lsh_cfg, &mut spill, |perms, out| {
            let start = Instant::now();
            sign(&hasher, perms, out);
            signing += start.elapsed();
            Ok(())
        })?;
        clock.lap_split(Stage::Sign, signing, Stage::Candidates);
        Vec::new()
    };
    if !extra.is_empty() {
        let packed: Vec<u64> = extra.iter().map(|&(a, b)| lsh::pack(a, b)).collect();
        spill.add(&packed)?;
    }
    clock.lap(Stage::Candidates);

    let verify_in_order = |pairs: &[(u32, u32)], edges: &mut Vec<Edge>| {
        edges.par_extend(pairs.par_iter().filter_map(|&(a, b)| {
            let sim = verify::similarity(sets[a as usize], sets[b as usize]);
            obs.advance(1);
            (cfg.matches(&sim) && cfg.figures.agree(&figs[a as usize], &figs[b as usize]))
                .then_some(Edge { a, b, sim })
        }));
    };
    // Pairs come in order of their first page, their second pages anywhere. Sets held in memory
    // are verified in that order. Mapped sets are verified a chunk at a time in order of the
    // second page, so that the pages of the file are mapped front to back (a fault maps the
    // pages around it too, which hold the next sets wanted) rather than a page or two per pair
    // anywhere; their pages are let go every RELEASE_PAIRS pairs, and the chunk's edges are put
    // back in pair order (pairs are distinct, so that order is the order without the detour).
    let verify = |pairs: &[(u32, u32)], edges: &mut Vec<Edge>| {
        if !matches!(store, SetStore::Mapped(_)) {
            verify_in_order(pairs, edges);
            return;
        }
        for chunk in pairs.chunks(VERIFY_CHUNK) {
            let mut by_second = chunk.to_vec();
            by_second.par_sort_unstable_by_key(|&(a, b)| (b, a));
            let mut found = Vec::new();
            for part in by_second.chunks(RELEASE_PAIRS) {
                verify_in_order(part, &mut found);
                store.release();
            }
            found.par_sort_unstable_by_key(|e| (e.a, e.b));
            edges.append(&mut found);
        }
    };
    let mut edges: Vec<Edge> = Vec::new();
    let spilled_bytes = spill.spilled_bytes();
    let upper_bound = spill.records_upper_bound();
    let candidates = match spill.finish()? {
        Gathered::InMemory(held) => {
            let cands: Vec<(u32, u32)> = held.into_iter().map(lsh::unpack).collect();
            obs.stage("verifying", cands.len() as u64);
            verify(&cands, &mut edges);
            cands.len()
        }
        Gathered::OnDisk(mut merged) => {
            obs.stage("verifying", upper_bound);
            let mut chunk: Vec<(u32, u32)> = Vec::with_capacity(VERIFY_CHUNK);
            let mut count = 0;
            loop {
                chunk.clear();
                for p in merged.by_ref().take(VERIFY_CHUNK) {
                    chunk.push(lsh::unpack(p?));
                }
                if chunk.is_empty() {
                    break;
                }
                count += chunk.len();
                verify(&chunk, &mut edges);
            }
            count
        }
    };
    clock.lap(Stage::Verify);

    obs.stage("clustering", edges.len() as u64);
    // The cluster guard reads mapped sets of pairs anywhere in the corpus, one at a time: a
    // fault reads only its page, no read-around, which (when the page cache cannot hold the
    // sets) evicts the sets the guard reads next.
    store.advise_random(true);
    let read = std::cell::Cell::new(0usize);
    let clusters = crate::cluster::guarded_stories(
        n,
        &mut edges,
        cfg,
        |d| {
            read.set(read.get() + 1);
            if read.get().is_multiple_of(2 * RELEASE_PAIRS) {
                store.release();
            }
            sets[d as usize]
        },
        |d| near_empty[d as usize],
    );
    store.release();
    store.advise_random(false);
    clock.lap(Stage::Cluster);
    Ok(Matched {
        signatures,
        near_empty,
        candidates,
        edges,
        clusters,
        spilled_bytes,
    })
}

/// Provisional story groups: pages matched on their content once only each site's *core*
/// template (lines on nearly every page of the site) and structural chrome are removed.
fn provisional_groups(
    fig_lines: &[Vec<(u32, u64)>],
    page_lines: &PageLines,
    pages: &[(u64, &[Line])],
    cfg: &ScanConfig,
    opts: &ScanOptions,
    obs: &dyn Observer,
) -> Result<(Vec<u32>, u64)> {
    let n = pages.len();
    let core_share = cfg.chrome.core_share;
    let counts = LineStats::build(pages);
    let stats = counts.lookup();
    let mut site_pages: Vec<(u64, u32)> = Vec::new();
    {
        let mut s: Vec<u64> = pages.iter().map(|&(site, _)| site).collect();
        s.sort_unstable();
        for k in s {
            match site_pages.last_mut() {
                Some((last, c)) if *last == k => *c += 1,
                _ => site_pages.push((k, 1)),
            }
        }
    }
    let items: Vec<&(u64, &[Line])> = pages.iter().collect();
    let spill_sets = opts.memory_limit.map(|_| opts.spill_dir.as_deref());
    let release = || page_lines.release();
    let (sets, content) = SetStore::build(items, spill_sets, &release, |i, &(site, lines)| {
        let sp = site_pages
            .binary_search_by_key(&site, |&(k, _)| k)
            .map_or(0, |i| site_pages[i].1);
        // Pages, not groups, are counted here: a story's copies would recur in each other.
        let m = content_mask_of(
            lines,
            site,
            &cfg.chrome,
            |site, line| {
                let c = stats.site_count(site, line);
                c >= cfg.chrome.site_min_pages && f64::from(c) >= core_share * f64::from(sp)
            },
            |_| false,
        );
        let raw = content_rows(lines, &m);
        let seq = content_sequence_of(&page_lines.units(cfg, i)?, lines, &m, cfg.shingle);
        Ok((shingle::into_set(seq), raw))
    })?;
    // The line counts and content rows are done with: the pass's matching needs neither.
    drop(stats);
    drop(counts);
    let figs = figures_of(fig_lines, &content);
    drop(content);
    // This whole pass is timed as one stage by the caller: its own laps are dropped.
    let m = match_sets(
        &sets,
        &figs,
        cfg,
        &[],
        false,
        opts,
        obs,
        &mut Stopwatch {
            trim: opts.memory_limit.is_some(),
            ..Stopwatch::start()
        },
    )?;
    let mut groups: Vec<u32> = (0..n as u32).collect();
    for c in &m.clusters {
        for &d in c {
            groups[d as usize] = c[0];
        }
    }
    Ok((groups, m.spilled_bytes))
}

/// Similarity of every pair of documents, computed the slow, obvious way: for tests that check
/// the fast path against brute force.
#[doc(hidden)]
pub fn brute_force_pairs(result: &ScanResult) -> Vec<(u32, u32)> {
    let n = result.docs.len();
    let mut out = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            if result.near_empty[a] || result.near_empty[b] {
                continue;
            }
            if result.config.matches(&result.similarity(a, b)) {
                out.push((a as u32, b as u32));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timings_accumulate_keep_stage_order_and_shares_sum_to_100() {
        let mut t = Timings::default();
        assert_eq!(t.stages().count(), 0);
        assert_eq!(t.total(), Duration::ZERO);
        t.add(Stage::Verify, Duration::from_millis(300));
        t.add(Stage::Read, Duration::from_millis(100));
        t.add(Stage::Verify, Duration::from_millis(100));
        // A stage that ran in no time is still a stage that ran.
        t.add(Stage::Cluster, Duration::ZERO);
        let stages: Vec<(Stage, Duration)> = t.stages().collect();
        assert_eq!(
            stages,
            [
                (Stage::Read, Duration::from_millis(100)),
                (Stage::Verify, Duration::from_millis(400)),
                (Stage::Cluster, Duration::ZERO),
            ]
        );
        assert_eq!(t.total(), Duration::from_millis(500));
        let text = t.to_string();
        assert_eq!(
            text,
            "read                 0.100 s   20.0 %\n\
             verify               0.400 s   80.0 %\n\
             cluster              0.000 s    0.0 %\n\
             total                0.500 s  100.0 %\n"
        );
        assert_eq!(
            Timings::default().to_string(),
            format!("{:<16}{:>10.3} s{:>7.1} %\n", "total", 0.0, 0.0)
        );
    }

    #[test]
    fn a_scan_for_the_report_finds_the_same_stories_and_keeps_no_statistics() {
        let story = "Storm closes the harbor for two days as waves reach the pier and boats stay \
                     moored while the port authority counts the damage to the cranes";
        let other = "Council votes to rebuild the old library with a new reading room and a \
                     garden that the school children will plant next spring";
        let mut docs = Vec::new();
        for i in 0..6 {
            let mut d = Document::new(
                format!("p{i}"),
                format!(
                    "Home | News\n{}\nShare",
                    if i % 2 == 0 { story } else { other }
                ),
            );
            d.site = Some(format!("site{}.example", i % 3));
            docs.push(d);
        }
        let cfg = ScanConfig::default();
        let all = scan_retaining(docs.clone(), &cfg, &Quiet, Retain::Everything).expect("scan");
        let docs_again = docs.clone();
        let report = scan_retaining(docs, &cfg, &Quiet, Retain::Report).expect("scan");
        assert_eq!(all.clusters, [vec![0, 2, 4], vec![1, 3, 5]]);
        assert_eq!(report.clusters, all.clusters);
        assert_eq!(report.edges, all.edges);
        assert_eq!(report.sets, all.sets);
        assert_eq!(report.content_lines, all.content_lines);
        assert_eq!(report.stop_shingles, all.stop_shingles);
        assert!(!all.signatures.is_empty() && !all.shingle_df.is_empty());
        assert!(all.windows.iter().any(|w| !w.is_empty()));
        assert!(report.signatures.is_empty() && report.shingle_df.is_empty());
        assert!(report.windows.is_empty());
        assert_eq!(report.line_stats.pages, 0);
        // With window sketches off too, nothing is kept.
        let no_windows = ScanConfig {
            chunk_window: 0,
            ..cfg
        };
        let bare = scan_retaining(docs_again, &no_windows, &Quiet, Retain::Report).expect("scan");
        assert_eq!(bare.clusters, all.clusters);
        assert!(bare.windows.is_empty());
    }

    #[test]
    fn a_scan_with_its_pairs_spilled_to_disk_finds_what_the_scan_in_memory_finds() {
        let stories = [
            "Storm closes the harbor for two days as waves reach the pier and boats stay moored \
             while the port authority counts the damage to the cranes and the fish market",
            "Council votes to rebuild the old library with a new reading room and a garden that \
             the school children will plant next spring beside the river path",
            "The regional rail line reopens after a landslide buried the tracks near the tunnel \
             and engineers spent three weeks clearing rock and mud from the cutting",
        ];
        let mut docs = Vec::new();
        for i in 0..36 {
            let story = stories[i % 3];
            // Copies cut at different words, so the pairs differ in similarity.
            let words: Vec<&str> = story.split(' ').collect();
            let cut = words.len() - (i / 3) % 5;
            let mut d = Document::new(
                format!("p{i}"),
                format!("Home | News\n{}\nShare", words[..cut].join(" ")),
            );
            d.site = Some(format!("site{}.example", i % 7));
            docs.push(d);
        }
        let lone = "A lone page about the chess club, whose members meet on Thursday evenings \
                    in the back room of the bakery to play quick games and drink cocoa";
        docs.push(Document::new("lone", lone));
        let cfg = ScanConfig::default();
        let memory = scan_retaining(docs.clone(), &cfg, &Quiet, Retain::Report).expect("scan");
        let everything = scan_with(
            docs.clone(),
            &cfg,
            &Quiet,
            &ScanOptions {
                memory_limit: Some(64),
                ..ScanOptions::default()
            },
        )
        .expect("scan");
        // An index needs every text, set and window sketch: all are read back from disk.
        assert_eq!(everything.docs, memory.docs);
        assert_eq!(everything.sets, memory.sets);
        let all = scan(docs.clone(), &cfg, &Quiet).expect("scan");
        assert!(all.windows.iter().all(|w| !w.is_empty()));
        assert_eq!(everything.windows, all.windows);
        assert_eq!(everything.candidates, all.candidates);
        let dir = tempfile::tempdir().expect("dir");
        let opts = ScanOptions {
            retain: Retain::Report,
            memory_limit: Some(64),
            spill_dir: Some(dir.path().to_path_buf()),
        };
        let disk = scan_with(docs, &cfg, &Quiet, &opts).expect("scan");
        assert_eq!(memory.spilled_bytes, 0);
        assert!(disk.spilled_bytes > 0, "a 64-byte limit spilled nothing");
        assert_eq!(memory.clusters.len(), 3);
        assert_eq!(disk.clusters, memory.clusters);
        assert_eq!(disk.candidates, memory.candidates);
        assert_eq!(disk.edges, memory.edges);
        assert_eq!(disk.content_lines, memory.content_lines);
        // Texts and sets stay on disk, for the report to read a story at a time.
        let on_disk = disk.on_disk.as_deref().expect("on disk");
        assert!(memory.on_disk.is_none());
        assert!(disk.docs.iter().all(|d| d.text.is_empty()));
        assert!(disk.sets.iter().all(Vec::is_empty));
        for (i, d) in memory.docs.iter().enumerate() {
            assert_eq!(on_disk.text(i).expect("text"), d.text, "doc {i}");
            assert_eq!(disk.set(i), memory.sets[i].as_slice(), "doc {i}");
        }
        assert!(memory.docs.iter().any(|d| d.text == lone));
        let render = |r: &ScanResult| {
            let config = crate::report::ReportConfig {
                side_by_side: true,
                ..Default::default()
            };
            let report = crate::output::report(r, Default::default(), &config).expect("report");
            let mut out = Vec::new();
            crate::report::render(&report, crate::report::Format::Json, &mut out).expect("json");
            String::from_utf8(out).expect("utf-8")
        };
        assert_eq!(render(&disk), render(&memory));
        // Told a story at a time, or two stories and then one: the same report.
        let clusters: Vec<Vec<usize>> = disk
            .clusters
            .iter()
            .map(|c| c.iter().map(|&d| d as usize).collect())
            .collect();
        let config = crate::report::ReportConfig::default();
        let whole = crate::output::report(&memory, Default::default(), &config).expect("report");
        for batch in [1, 13, 24] {
            let told = crate::output::report_from_disk(
                &disk,
                on_disk,
                &clusters,
                Default::default(),
                &config,
                batch,
            )
            .expect("report");
            assert_eq!(
                serde_json::to_string(&told).expect("json"),
                serde_json::to_string(&whole).expect("json"),
                "batches of {batch} members"
            );
        }
        // The runs and their folder are gone once the result is.
        drop(disk);
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 0);
    }

    #[test]
    fn a_scan_times_its_own_stages_and_nothing_of_the_edges() {
        let text = "Storm closes the harbor for two days as waves reach the pier and boats stay \
                    moored while the port authority counts the damage to the cranes";
        let docs = vec![
            Document::new("a", text.to_string()),
            Document::new("b", format!("{text} today")),
            Document::new(
                "c",
                "an unrelated page about a football match and its goals".to_string(),
            ),
        ];
        let r = scan(docs, &ScanConfig::default(), &Quiet).expect("scan");
        let stages: Vec<Stage> = r.timings.stages().map(|(s, _)| s).collect();
        assert_eq!(
            stages,
            [
                Stage::Normalize,
                Stage::StoryGroups,
                Stage::Chrome,
                Stage::Shingle,
                Stage::Sign,
                Stage::Candidates,
                Stage::Verify,
                Stage::Cluster,
            ]
        );
        assert_eq!(r.clusters, [vec![0, 1]]);
        let names: Vec<&str> = Stage::ALL.iter().map(|s| s.name()).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(
            unique.len(),
            names.len(),
            "stage names are distinct: {names:?}"
        );
    }
}
