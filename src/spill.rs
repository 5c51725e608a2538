//! spill.rs: how is a sorted set built that may not fit in memory?
//!
//! [`SortedSpill`] gathers sorted batches of fixed-size records (the candidate pairs of each LSH
//! band) into one sorted, distinct set. Batches are merged into a set held in memory; when that
//! set outgrows its budget it is written to a temporary file as a sorted *run* and memory starts
//! over. Reading back merges the runs and what is still held, smallest record first, each record
//! once: the external merge sort of big-corpus dedup pipelines. With no budget nothing is ever
//! written and the result is the in-memory set, so both paths give the same records in the same
//! order.
//!
//! Runs are raw little-endian records, checked on reading against an xxh3 of the bytes written
//! (a disk that returns other bytes than it was given is an error naming the file). They live in
//! a temporary folder removed when the spill is dropped. At most [`FAN_IN`] runs exist at once:
//! the 64th is merged with the others into one, so a tiny budget costs more passes over the
//! disk, never more open files.
//!
//! Every `wirecopy-spill-*` folder is listed in a process-wide registry while it exists, so that
//! an interrupted process can remove them ([`remove_spill_folders`], called by the binary's
//! SIGINT/SIGTERM watcher: `exit` runs no destructors, and a large scan's folder holds
//! gigabytes).

use crate::error::{Error, Result};
use bytemuck::Pod;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use xxhash_rust::xxh3::Xxh3;

/// Most runs on disk at once; reaching it merges them into one.
pub const FAN_IN: usize = 64;

/// Records read from a run at a time.
const READ_CHUNK: usize = 1 << 13;

/// A sorted, distinct set of records built from sorted batches, spilled to disk past a budget.
#[derive(Debug)]
pub struct SortedSpill<T: Pod + Ord> {
    /// Bytes of records held in memory before they are written as a run (`None`: never).
    budget: Option<usize>,
    /// Where the temporary folder of runs is made (`None`: the system's temporary folder).
    parent: Option<PathBuf>,
    dir: Option<SpillFolder>,
    runs: Vec<Run>,
    held: Vec<T>,
    written: u64,
    next_name: u64,
}

/// One sorted run on disk.
#[derive(Debug)]
struct Run {
    path: PathBuf,
    len: u64,
    checksum: u64,
}

impl<T: Pod + Ord> SortedSpill<T> {
    /// A spill that never writes: everything is held in memory.
    pub fn in_memory() -> Self {
        Self::with_budget(None, None)
    }

    /// A spill that writes a run whenever more than `budget` bytes of records are held, in a
    /// temporary folder under `parent` (the system's temporary folder when `None`).
    pub fn with_budget(budget: Option<usize>, parent: Option<&Path>) -> Self {
        SortedSpill {
            budget,
            parent: parent.map(Path::to_path_buf),
            dir: None,
            runs: Vec::new(),
            held: Vec::new(),
            written: 0,
            next_name: 0,
        }
    }

    /// Add a batch of records, sorted ascending and distinct.
    pub fn add(&mut self, batch: &[T]) -> Result<()> {
        debug_assert!(batch.windows(2).all(|w| w[0] < w[1]));
        let mut merged = crate::sorted::merge_by_key(&self.held, batch, |&x| x, |x, _| x);
        // Mostly duplicates of what is held: give back the room the union did not take.
        merged.shrink_to_fit();
        self.held = merged;
        if self
            .budget
            .is_some_and(|b| std::mem::size_of_val(self.held.as_slice()) > b)
        {
            let held = std::mem::take(&mut self.held);
            self.write_run(&held)?;
        }
        Ok(())
    }

    /// Add a batch of records, sorted ascending and distinct, taking it over: when nothing is
    /// held, the batch becomes what is held without a copy (and is written at once when it
    /// is over the budget).
    pub fn add_owned(&mut self, batch: Vec<T>) -> Result<()> {
        if !self.held.is_empty() {
            return self.add(&batch);
        }
        debug_assert!(batch.windows(2).all(|w| w[0] < w[1]));
        if self
            .budget
            .is_some_and(|b| std::mem::size_of_val(batch.as_slice()) > b)
        {
            return self.write_run(&batch);
        }
        self.held = batch;
        Ok(())
    }

    /// Bytes written to runs so far (0 when everything fitted in memory).
    pub fn spilled_bytes(&self) -> u64 {
        self.written
    }

    /// At least the number of distinct records added: what is held plus every run's length
    /// (a record in two runs counts twice).
    pub fn records_upper_bound(&self) -> u64 {
        self.held.len() as u64 + self.runs.iter().map(|r| r.len).sum::<u64>()
    }

    /// Every record added, ascending, each once: in memory when nothing was written to disk,
    /// else merged from the runs as it is read.
    pub fn finish(mut self) -> Result<Gathered<T>> {
        if self.runs.is_empty() {
            return Ok(Gathered::InMemory(std::mem::take(&mut self.held)));
        }
        let held = std::mem::take(&mut self.held);
        let mut sources = Vec::with_capacity(self.runs.len() + 1);
        for run in &self.runs {
            sources.push(Source::open(run)?);
        }
        sources.push(Source::held(held));
        Ok(Gathered::OnDisk(Box::new(Merged::new(sources, self)?)))
    }

    fn dir(&mut self) -> Result<PathBuf> {
        if let Some(d) = &self.dir {
            return Ok(d.path().to_path_buf());
        }
        let made = temp_folder(self.parent.as_deref())?;
        let path = made.path().to_path_buf();
        self.dir = Some(made);
        Ok(path)
    }

    fn write_run(&mut self, records: &[T]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        if self.runs.len() + 1 >= FAN_IN {
            // Merge every run so far and these records into one run.
            let runs = std::mem::take(&mut self.runs);
            let mut sources = Vec::with_capacity(runs.len() + 1);
            for run in &runs {
                sources.push(Source::open(run)?);
            }
            sources.push(Source::held(records.to_vec()));
            let mut merged = Merged::from_sources(sources)?;
            let path = self.next_path()?;
            let run = write_records(&path, || merged.next().transpose())?;
            for old in runs {
                // Removed now so that the disk holds each record about once; a file that
                // cannot be removed goes with the folder.
                let _ = std::fs::remove_file(&old.path);
            }
            self.written += run.len * std::mem::size_of::<T>() as u64;
            self.runs.push(run);
            return Ok(());
        }
        let path = self.next_path()?;
        let mut it = records.iter().copied();
        let run = write_records(&path, || Ok(it.next()))?;
        self.written += run.len * std::mem::size_of::<T>() as u64;
        self.runs.push(run);
        Ok(())
    }

    fn next_path(&mut self) -> Result<PathBuf> {
        let name = format!("run-{:06}.bin", self.next_name);
        self.next_name += 1;
        Ok(self.dir()?.join(name))
    }
}

/// Spill folders that exist right now (see the module doc).
static LIVE_FOLDERS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live_folders() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    LIVE_FOLDERS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Remove every spill folder of this process with what it holds, and keep the registry locked
/// so that no new one is made afterwards; for a signal handler that exits right after. Returns
/// the folders removed.
pub fn remove_spill_folders() -> Vec<PathBuf> {
    let mut g = live_folders();
    let removed: Vec<PathBuf> = g
        .drain(..)
        .filter(|p| std::fs::remove_dir_all(p).is_ok())
        .collect();
    // The process is about to exit: hold the lock so no folder is made after this.
    std::mem::forget(g);
    removed
}

/// Spill folders that exist right now (for tests and diagnostics).
pub fn spill_folders() -> Vec<PathBuf> {
    live_folders().clone()
}

/// A `wirecopy-spill-*` folder, listed in the registry while it exists and removed with what it
/// holds when dropped.
#[derive(Debug)]
struct SpillFolder(tempfile::TempDir);

impl SpillFolder {
    fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for SpillFolder {
    fn drop(&mut self) {
        // Unlisted first; the folder goes when the `TempDir` field is dropped right after.
        live_folders().retain(|p| p != self.0.path());
    }
}

/// A new `wirecopy-spill-*` folder under `parent` (the system's temporary folder when `None`),
/// removed with what it holds when the returned value is dropped.
fn temp_folder(parent: Option<&Path>) -> Result<SpillFolder> {
    let parent = parent.map_or_else(std::env::temp_dir, Path::to_path_buf);
    // Made and listed under the lock: a signal's removal sees every folder that exists.
    let mut live = live_folders();
    let dir = tempfile::Builder::new()
        .prefix("wirecopy-spill-")
        .tempdir_in(&parent)
        .map_err(|source| Error::Io {
            path: parent,
            source,
        })?;
    live.push(dir.path().to_path_buf());
    Ok(SpillFolder(dir))
}

/// A spill's records at the end: see [`SortedSpill::finish`].
pub enum Gathered<T: Pod + Ord> {
    /// Nothing was written: the records, in memory.
    InMemory(Vec<T>),
    /// The records, merged from runs on disk as they are read.
    OnDisk(Box<Merged<T>>),
}

impl<T: Pod + Ord> Gathered<T> {
    /// All the records in memory (read back from disk if they were spilled).
    pub fn into_vec(self) -> Result<Vec<T>> {
        match self {
            Gathered::InMemory(v) => Ok(v),
            Gathered::OnDisk(m) => m.collect(),
        }
    }
}

/// Write the records `next` gives, ascending, to a new file at `path`.
fn write_records<T: Pod>(path: &Path, mut next: impl FnMut() -> Result<Option<T>>) -> Result<Run> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::create(path).map_err(io)?;
    let mut out = BufWriter::with_capacity(1 << 16, file);
    let mut hash = Xxh3::new();
    let mut len = 0u64;
    while let Some(r) = next()? {
        let bytes = bytemuck::bytes_of(&r);
        hash.update(bytes);
        out.write_all(bytes).map_err(io)?;
        len += 1;
    }
    out.flush().map_err(io)?;
    Ok(Run {
        path: path.to_path_buf(),
        len,
        checksum: hash.digest(),
    })
}

/// Where merged records come from: a run on disk or the records still held.
struct Source<T: Pod> {
    buf: Vec<T>,
    pos: usize,
    file: Option<RunReader>,
}

struct RunReader {
    reader: BufReader<File>,
    path: PathBuf,
    left: u64,
    hash: Xxh3,
    checksum: u64,
}

impl<T: Pod> Source<T> {
    fn held(buf: Vec<T>) -> Self {
        Source {
            buf,
            pos: 0,
            file: None,
        }
    }

    fn open(run: &Run) -> Result<Self> {
        let file = File::open(&run.path).map_err(|source| Error::Io {
            path: run.path.clone(),
            source,
        })?;
        Ok(Source {
            buf: Vec::new(),
            pos: 0,
            file: Some(RunReader {
                reader: BufReader::with_capacity(1 << 16, file),
                path: run.path.clone(),
                left: run.len,
                hash: Xxh3::new(),
                checksum: run.checksum,
            }),
        })
    }

    /// The next record, reading the next chunk of the run when the buffer is used up.
    fn next(&mut self) -> Result<Option<T>> {
        if self.pos == self.buf.len() {
            let Some(f) = self.file.as_mut() else {
                return Ok(None);
            };
            if f.left == 0 {
                return Ok(None);
            }
            let take = f.left.min(READ_CHUNK as u64) as usize;
            self.buf.clear();
            self.buf.resize(take, T::zeroed());
            let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut self.buf);
            f.reader.read_exact(bytes).map_err(|source| Error::Io {
                path: f.path.clone(),
                source,
            })?;
            f.hash.update(bytes);
            f.left -= take as u64;
            self.pos = 0;
            if f.left == 0 && f.hash.digest() != f.checksum {
                return Err(Error::Io {
                    path: f.path.clone(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "spill run: the bytes read back differ from those written (checksum)",
                    ),
                });
            }
        }
        let r = self.buf[self.pos];
        self.pos += 1;
        Ok(Some(r))
    }
}

/// The k-way merge of sorted runs: every record once, ascending.
pub struct Merged<T: Pod + Ord> {
    sources: Vec<Source<T>>,
    heap: BinaryHeap<Reverse<(T, usize)>>,
    last: Option<T>,
    /// Keeps the runs' folder until the merge is read.
    _spill: Option<SortedSpill<T>>,
}

impl<T: Pod + Ord> Merged<T> {
    fn new(sources: Vec<Source<T>>, spill: SortedSpill<T>) -> Result<Self> {
        let mut m = Self::from_sources(sources)?;
        m._spill = Some(spill);
        Ok(m)
    }

    fn from_sources(mut sources: Vec<Source<T>>) -> Result<Self> {
        let mut heap = BinaryHeap::with_capacity(sources.len());
        for (i, s) in sources.iter_mut().enumerate() {
            if let Some(r) = s.next()? {
                heap.push(Reverse((r, i)));
            }
        }
        Ok(Merged {
            sources,
            heap,
            last: None,
            _spill: None,
        })
    }
}

impl<T: Pod + Ord> Iterator for Merged<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        while let Some(Reverse((r, i))) = self.heap.pop() {
            match self.sources[i].next() {
                Ok(Some(n)) => self.heap.push(Reverse((n, i))),
                Ok(None) => {}
                Err(e) => {
                    self.heap.clear();
                    return Some(Err(e));
                }
            }
            if self.last != Some(r) {
                self.last = Some(r);
                return Some(Ok(r));
            }
        }
        None
    }
}

/// One slice of records per item (a page's text), written once in item order to a temporary
/// file and read back by item from any thread: what a scan would otherwise hold for every page
/// at once. Each slice is checked on reading against the xxh3 of the bytes written.
#[derive(Debug)]
pub struct SpilledSlices<T: Pod> {
    _dir: SpillFolder,
    path: PathBuf,
    writer: Option<BufWriter<File>>,
    reader: Option<File>,
    /// Start of each slice in records; one more entry than slices.
    offsets: Vec<u64>,
    checksums: Vec<u64>,
    _records: std::marker::PhantomData<T>,
}

impl<T: Pod> SpilledSlices<T> {
    /// An empty file in a new temporary folder under `parent` (the system's temporary folder
    /// when `None`), removed when this is dropped.
    pub fn create(parent: Option<&Path>) -> Result<Self> {
        let dir = temp_folder(parent)?;
        let path = dir.path().join("slices.bin");
        let file = File::create(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        Ok(SpilledSlices {
            _dir: dir,
            path,
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
            reader: None,
            offsets: vec![0],
            checksums: Vec::new(),
            _records: std::marker::PhantomData,
        })
    }

    /// Append the next item's slice (only before [`SpilledSlices::finish_writing`]).
    pub fn push(&mut self, records: &[T]) -> Result<()> {
        let bytes: &[u8] = bytemuck::cast_slice(records);
        let Some(w) = self.writer.as_mut() else {
            return Err(self.io_error("written after it was closed for writing"));
        };
        w.write_all(bytes).map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })?;
        let last = self.offsets.last().copied().unwrap_or(0);
        self.offsets.push(last + records.len() as u64);
        self.checksums.push(xxhash_rust::xxh3::xxh3_64(bytes));
        Ok(())
    }

    /// Flush what was written and open the file for reading.
    pub fn finish_writing(&mut self) -> Result<()> {
        let io = |source| Error::Io {
            path: self.path.clone(),
            source,
        };
        if let Some(mut w) = self.writer.take() {
            w.flush().map_err(io)?;
        }
        self.reader = Some(File::open(&self.path).map_err(io)?);
        Ok(())
    }

    /// The file the slices are written to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Items written.
    pub fn len(&self) -> usize {
        self.checksums.len()
    }

    /// Whether no item was written.
    pub fn is_empty(&self) -> bool {
        self.checksums.is_empty()
    }

    /// Records in item `i`'s slice (`None` past the last item written).
    pub fn slice_len(&self, i: usize) -> Option<u64> {
        self.records(i).map(|(start, end)| end - start)
    }

    /// Where item `i`'s slice starts and ends in the file, in records (`None` past the last
    /// item written).
    fn records(&self, i: usize) -> Option<(u64, u64)> {
        Some((*self.offsets.get(i)?, *self.offsets.get(i + 1)?))
    }

    /// The xxh3 of item `i`'s bytes as written (`None` past the last item written): for
    /// texts, the hash that orders documents (see [`crate::Document::order_key`]).
    pub fn checksum(&self, i: usize) -> Option<u64> {
        self.checksums.get(i).copied()
    }

    /// Ask the kernel to start reading item `i`'s bytes into the page cache now, so that a
    /// later [`SpilledSlices::read`] finds them there (`POSIX_FADV_WILLNEED`): a batch of
    /// scattered items is then read with many requests in flight rather than one at a time.
    /// Advice only: refused or past the last item, nothing happens.
    pub fn will_need(&self, i: usize) {
        let (Some(file), Some((start, end))) = (self.reader.as_ref(), self.records(i)) else {
            return;
        };
        let size = std::mem::size_of::<T>() as u64;
        advise_will_need(file, start * size, (end - start) * size);
    }

    /// Item `i`'s slice, read from disk.
    pub fn read(&self, i: usize) -> Result<Vec<T>> {
        use std::os::unix::fs::FileExt;
        let (Some(file), Some((start, end))) = (self.reader.as_ref(), self.records(i)) else {
            return Err(self.io_error("read before it was written, or past its last item"));
        };
        let size = std::mem::size_of::<T>() as u64;
        let mut out = vec![T::zeroed(); (end - start) as usize];
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut out);
        file.read_exact_at(bytes, start * size)
            .map_err(|source| Error::Io {
                path: self.path.clone(),
                source,
            })?;
        if xxhash_rust::xxh3::xxh3_64(bytes) != self.checksums[i] {
            return Err(self.io_error("the bytes read back differ from those written (checksum)"));
        }
        Ok(out)
    }

    /// Map the file read-only for reading slices in place, every slice checked once against
    /// its checksum as the mapping is made: see [`MappedSlices`].
    pub fn into_mapped(mut self) -> Result<MappedSlices<T>> {
        if self.writer.is_some() {
            self.finish_writing()?;
        }
        let Some(file) = self.reader.as_ref() else {
            return Err(self.io_error("mapped before it was written"));
        };
        let total = self.offsets.last().copied().unwrap_or(0) as usize;
        let map = if total == 0 {
            // Nothing to map (and an empty file cannot be mapped everywhere).
            None
        } else {
            Some(map_read_only(file).map_err(|source| Error::Io {
                path: self.path.clone(),
                source,
            })?)
        };
        let mapped = MappedSlices { slices: self, map };
        mapped.check()?;
        Ok(mapped)
    }

    fn io_error(&self, message: &'static str) -> Error {
        Error::Io {
            path: self.path.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, message),
        }
    }
}

/// Bytes of a mapping [`MappedSlices::check`] reads before it lets their pages go: a bounded
/// share of the file is resident while it is checked.
const CHECK_RELEASE_BYTES: u64 = 16 << 20;

/// [`SpilledSlices`] mapped read-only: slices are read in place, without copies or system
/// calls, by any thread. The pages a reader touches count in the process's resident memory until
/// [`MappedSlices::release`] hands them back to the kernel (they stay in its page cache, which
/// it may reclaim under pressure; reading them again maps them again), so a reader calls it
/// between passes. Every slice is checked against its checksum once, when the mapping is made;
/// the file is this process's own, in its private temporary folder, and never written again.
#[derive(Debug)]
pub struct MappedSlices<T: Pod> {
    slices: SpilledSlices<T>,
    map: Option<memmap2::Mmap>,
}

impl<T: Pod> MappedSlices<T> {
    /// Items written.
    pub fn len(&self) -> usize {
        self.slices.len()
    }

    /// Whether no item was written.
    pub fn is_empty(&self) -> bool {
        self.slices.is_empty()
    }

    /// Records of item `i` (empty past the last item).
    pub fn get(&self, i: usize) -> &[T] {
        let (Some(map), Some((start, end))) = (self.map.as_ref(), self.slices.records(i)) else {
            return &[];
        };
        let size = std::mem::size_of::<T>();
        // Offsets are whole records from the start of a page-aligned mapping, so the slice is
        // aligned for `T`, and `check` found every one inside the file.
        bytemuck::cast_slice(&map[start as usize * size..end as usize * size])
    }

    /// Ask the kernel to start reading item `i`'s pages into the page cache now (`MADV_WILLNEED`),
    /// so that reading the slice later finds them there: a batch of scattered slices is then
    /// read with many requests in flight rather than one fault at a time, and only their pages
    /// (a fault reads a window around its page). Advice only: refused, nothing happens.
    pub fn will_need(&self, i: usize) {
        let (Some(map), Some((start, end))) = (self.map.as_ref(), self.slices.records(i)) else {
            return;
        };
        let size = std::mem::size_of::<T>();
        if end > start {
            let _ = map.advise_range(
                memmap2::Advice::WillNeed,
                start as usize * size,
                (end - start) as usize * size,
            );
        }
    }

    /// Records of every item, in order: the file as one slice.
    pub fn all(&self) -> &[T] {
        let Some(map) = self.map.as_ref() else {
            return &[];
        };
        // As in `get`: whole records from the start of a page-aligned mapping whose size
        // `check` found equal to what was written.
        bytemuck::cast_slice(&map[..])
    }

    /// Let the kernel take back the pages read so far (see the type's documentation).
    pub fn release(&self) {
        if let Some(map) = &self.map {
            release_pages(map);
        }
    }

    /// Tell the kernel how the mapping is read from now on: `random` (no read-around, a fault
    /// reads the one page it needs) for scattered reads such as verification's second pages, or
    /// the default read-ahead for front-to-back reads. Advice only: refused, nothing changes.
    pub fn advise_random(&self, random: bool) {
        if let Some(map) = &self.map {
            let advice = if random {
                memmap2::Advice::Random
            } else {
                memmap2::Advice::Normal
            };
            let _ = map.advise(advice);
        }
    }

    /// Check every slice against its checksum, releasing pages as the check goes.
    fn check(&self) -> Result<()> {
        let size = std::mem::size_of::<T>() as u64;
        let expected = self.slices.offsets.last().copied().unwrap_or(0) * size;
        let found = self.map.as_ref().map_or(0, |m| m.len() as u64);
        if found != expected {
            return Err(self
                .slices
                .io_error("the file's size differs from what was written"));
        }
        let mut since_release = 0;
        for (i, &sum) in self.slices.checksums.iter().enumerate() {
            let bytes: &[u8] = bytemuck::cast_slice(self.get(i));
            if xxhash_rust::xxh3::xxh3_64(bytes) != sum {
                return Err(self
                    .slices
                    .io_error("the bytes read back differ from those written (checksum)"));
            }
            since_release += bytes.len() as u64;
            if since_release >= CHECK_RELEASE_BYTES {
                self.release();
                since_release = 0;
            }
        }
        self.release();
        Ok(())
    }
}

/// `POSIX_FADV_WILLNEED` for `len` bytes of `file` from `offset`: the kernel starts reading
/// them into the page cache and returns. Advice only: an error changes nothing.
#[allow(unsafe_code)] // an FFI call; the safety argument is below.
fn advise_will_need(file: &File, offset: u64, len: u64) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let (Ok(offset), Ok(len)) = (libc::off_t::try_from(offset), libc::off_t::try_from(len))
        else {
            return;
        };
        if len > 0 {
            // SAFETY: `posix_fadvise` takes an open descriptor (borrowed from `file`, which
            // outlives the call) and two integers; it reads or writes no memory of ours.
            unsafe {
                libc::posix_fadvise(file.as_raw_fd(), offset, len, libc::POSIX_FADV_WILLNEED);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, offset, len);
}

/// Map `file` read-only and shared.
#[allow(unsafe_code)] // memmap2's constructor is unsafe; the safety argument is below.
fn map_read_only(file: &File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the file is a spill file this process wrote and closed, in a temporary folder it
    // made for itself and removes when done; nothing writes or truncates it while it is mapped,
    // short of outside tampering with a private temporary folder.
    unsafe { memmap2::Mmap::map(file) }
}

/// Drop a read-only shared file mapping's pages from the process (`MADV_DONTNEED`).
#[allow(unsafe_code)] // memmap2 marks MADV_DONTNEED unsafe; the safety argument is below.
fn release_pages(map: &memmap2::Mmap) {
    // SAFETY: memmap2 marks this advice unsafe because on a private or anonymous mapping it
    // replaces the pages' contents with zeros, which slices borrowed from it would then see.
    // This mapping is shared, read-only and backed by a file nobody writes: the kernel only
    // unmaps the pages from this process, and a later read maps the same bytes again from the
    // page cache or the file. It is advice: when the kernel refuses it, the pages merely stay.
    let _ = unsafe { map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batches(seed: u64, n: usize) -> Vec<Vec<u64>> {
        // Overlapping batches of a small key range: most records recur across batches.
        let mut x = seed;
        (0..n)
            .map(|_| {
                let mut b: Vec<u64> = (0..50)
                    .map(|_| {
                        x = x
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        (x >> 33) % 2_000
                    })
                    .collect();
                b.sort_unstable();
                b.dedup();
                b
            })
            .collect()
    }

    fn collect(spill: SortedSpill<u64>) -> Vec<u64> {
        let spilled = spill.spilled_bytes() > 0;
        let gathered = spill.finish().expect("merge");
        assert_eq!(matches!(gathered, Gathered::OnDisk(_)), spilled);
        gathered.into_vec().expect("read")
    }

    #[test]
    fn a_spilled_set_reads_back_as_the_in_memory_set() {
        let bs = batches(7, 300);
        let mut mem = SortedSpill::in_memory();
        for b in &bs {
            mem.add(b).expect("add");
        }
        let Gathered::InMemory(expected) = mem.finish().expect("finish") else {
            panic!("an unbounded spill wrote to disk");
        };
        let mut all: Vec<u64> = bs.concat();
        all.sort_unstable();
        all.dedup();
        assert_eq!(expected, all);
        for budget in [0, 8, 100, 4_000, 1 << 20] {
            let dir = tempfile::tempdir().expect("dir");
            let mut disk = SortedSpill::with_budget(Some(budget), Some(dir.path()));
            for b in &bs {
                disk.add(b).expect("add");
            }
            if budget < 16_000 {
                assert!(disk.spilled_bytes() > 0, "budget {budget} wrote nothing");
            }
            assert!(disk.runs.len() < FAN_IN);
            assert_eq!(collect(disk), expected, "budget {budget}");
            // The runs' folder is removed with the spill.
            assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 0);
        }
    }

    #[test]
    fn spilled_slices_read_back_as_written_and_a_changed_byte_is_an_error() {
        let dir = tempfile::tempdir().expect("dir");
        let items: Vec<Vec<u64>> = (0..50u64)
            .map(|i| (0..i % 7).map(|j| i * 100 + j).collect())
            .collect();
        let mut s = written(dir.path(), &items);
        assert!(
            s.read(0).is_err(),
            "read before the file was closed for writing"
        );
        s.finish_writing().expect("finish");
        assert!(
            s.push(&[1]).is_err(),
            "pushed after the file was closed for writing"
        );
        assert_eq!(s.len(), items.len());
        // Asking for items ahead (advice to the kernel) changes nothing read, past the last too.
        for i in 0..items.len() + 3 {
            s.will_need(i);
        }
        for i in (0..items.len()).rev() {
            assert_eq!(s.read(i).expect("read"), items[i]);
        }
        assert!(s.read(items.len()).is_err());
        let path = s.path.clone();
        let mut bytes = std::fs::read(&path).expect("read file");
        bytes[8 * 2] ^= 1; // record 2: item 2 holds records 1 and 2 (item 0 none, item 1 one)
        std::fs::write(&path, bytes).expect("write file");
        let err = s.read(2).expect_err("changed byte");
        assert!(err.to_string().contains("slices.bin"), "{err}");
        assert_eq!(s.read(3).expect("other items read"), items[3]);
        drop(s);
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 0);
    }

    fn written(dir: &Path, items: &[Vec<u64>]) -> SpilledSlices<u64> {
        let mut s = SpilledSlices::<u64>::create(Some(dir)).expect("create");
        for it in items {
            s.push(it).expect("push");
        }
        s
    }

    #[test]
    fn mapped_slices_read_as_written_and_a_changed_byte_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().expect("dir");
        let items: Vec<Vec<u64>> = (0..5_000u64)
            .map(|i| (0..i % 11).map(|j| i * 1_000 + j).collect())
            .collect();
        // Not yet closed for writing: mapping closes it.
        let m = written(dir.path(), &items).into_mapped().expect("map");
        assert_eq!(m.len(), items.len());
        m.release();
        for i in (0..items.len() + 3).step_by(3) {
            m.will_need(i);
        }
        for i in (0..items.len()).rev() {
            assert_eq!(m.get(i), items[i].as_slice(), "item {i}");
            if i % 1_000 == 0 {
                // Released pages are mapped again, with the same bytes, when read again.
                m.release();
            }
        }
        assert!(m.get(items.len()).is_empty());
        drop(m);
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 0);

        // Nothing but empty slices: nothing to map, every slice empty.
        let empty = written(dir.path(), &[Vec::new(), Vec::new()]);
        let m = empty.into_mapped().expect("map empty");
        assert_eq!((m.len(), m.get(0), m.get(1)), (2, &[][..], &[][..]));
        drop(m);

        let mut s = written(dir.path(), &items);
        s.finish_writing().expect("finish");
        let mut bytes = std::fs::read(&s.path).expect("read file");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&s.path, bytes).expect("write file");
        let err = s.into_mapped().expect_err("changed byte");
        assert!(err.to_string().contains("slices.bin"), "{err}");
        let cause = std::error::Error::source(&err).map(ToString::to_string);
        assert!(cause.is_some_and(|c| c.contains("checksum")), "{err:?}");

        let mut s = written(dir.path(), &items);
        s.finish_writing().expect("finish");
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&s.path)
            .expect("open");
        file.set_len(8).expect("truncate");
        let err = s.into_mapped().expect_err("truncated file");
        let cause = std::error::Error::source(&err).map(ToString::to_string);
        assert!(cause.is_some_and(|c| c.contains("size")), "{err:?}");
    }

    #[test]
    fn a_run_changed_on_disk_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("dir");
        let mut disk = SortedSpill::<u64>::with_budget(Some(0), Some(dir.path()));
        disk.add(&[1, 2, 3]).expect("add");
        disk.add(&[4, 5]).expect("add");
        let path = disk.runs[0].path.clone();
        let mut bytes = std::fs::read(&path).expect("read");
        bytes[3] ^= 0x40;
        std::fs::write(&path, bytes).expect("write");
        // Found when the run's last chunk is read: here at once, as the run is one chunk.
        let err = match disk.finish() {
            Err(e) => e,
            Ok(g) => g.into_vec().expect_err("damaged run"),
        };
        assert!(err.to_string().contains("run-000000.bin"), "{err}");
    }
}
