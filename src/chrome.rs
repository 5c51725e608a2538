//! chrome.rs: which text is site chrome rather than story?
//!
//! Learned from the corpus itself, by structure rather than by frequency alone. Corpus
//! statistics count, for every normalized line, the *story groups* holding it overall and on
//! each site (site = the `site` field or the registrable domain of the URL), where a story group
//! is a set of near-duplicate pages found in a provisional pass with each site's core template
//! removed ([`ChromeConfig::story_groups`]). A line is *template* when it is in
//! [`ChromeConfig::site_min_groups`] groups of one site (navigation, bylines, footers under
//! different stories) or in more groups than the global cap anywhere (cookie notices, promo
//! lines). A story copied onto a thousand sites, or kept in four versions on one site, is one
//! group, so its text never becomes chrome however popular it is.
//!
//! Lists are dropped by their shape, in any script, never by their wording: a run of lines that
//! open with one symbol, most of them without a sentence end (`- headline`, `・見出し`,
//! `▶ Titel`), or a run of three or more short lines without sentence ends or figures under a
//! short header line, most of which recur in other story groups (other pages' headlines). The
//! header line above a dropped list goes with it. A run of marked lines most of which end like
//! sentences is dialogue and stays. The rest of a page is its *content*; shingles are made from
//! content only.
//!
//! Shingles in more groups than [`ChromeConfig::shingle_max_df`] allows carry no evidence
//! (templated briefs, datelines, boilerplate sentences) and are removed from every set.
//!
//! Invariant: statistics are plain counts keyed by xxh3 hashes, so they can be persisted (the
//! store saves them with an index) and merged (`index::stats`); the verdict for a line depends
//! only on the counts and the configuration.

use crate::normalize::Line;
use rayon::prelude::*;
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Chrome learning settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChromeConfig {
    /// A line on at least this many pages of one site is that site's chrome.
    pub site_min_pages: u32,
    /// A line on more pages than this, counted over all sites, is chrome everywhere ...
    pub global_max_pages: u32,
    /// ... or on more than this share of all pages, whichever is larger.
    pub global_max_share: f64,
    /// A shingle on more pages than this carries no evidence ...
    pub shingle_max_df: u32,
    /// ... or on more than this share of all pages, whichever is larger.
    pub shingle_max_share: f64,
    /// Drop headline lists (runs of marked lines; unmarked runs of recurring short lines).
    pub drop_headline_lists: bool,
    /// Drop short date/time lines and bylines (see `normalize::Line::metadata`).
    pub drop_metadata_lines: bool,
    /// Count lines and shingles over provisional story groups (pages matched once each site's
    /// core template is removed) instead of over pages, so that a story copied onto many pages
    /// or kept in several versions on one site is not taken for chrome.
    pub story_groups: bool,
    /// With story groups: a line in at least this many groups of one site (two different
    /// stories) is that site's chrome; replaces [`ChromeConfig::site_min_pages`], which counts
    /// pages, so that a site's copies of one story (one group) never make its text chrome.
    pub site_min_groups: u32,
    /// For the provisional groups: a line on at least this share of a site's pages (and on at
    /// least [`ChromeConfig::site_min_pages`]) is that site's core template.
    pub core_share: f64,
}

impl Default for ChromeConfig {
    fn default() -> Self {
        ChromeConfig {
            site_min_pages: 3,
            global_max_pages: 30,
            global_max_share: 0.002,
            shingle_max_df: 30,
            shingle_max_share: 0.002,
            drop_headline_lists: true,
            drop_metadata_lines: true,
            story_groups: true,
            site_min_groups: 2,
            core_share: 0.9,
        }
    }
}

impl ChromeConfig {
    /// No chrome learning (`wirecopy scan --keep-chrome`): every line of a page is content, headline
    /// lists, dates and bylines included, and no provisional story groups are formed. The line
    /// thresholds are set to `u32::MAX` pages and a share of 1, which no count exceeds, rather than
    /// to a switch of their own, so that the persisted and echoed configuration keeps its shape.
    ///
    /// The stop-shingle caps ([`ChromeConfig::shingle_max_df`], [`ChromeConfig::shingle_max_share`])
    /// keep their defaults: they decide what counts as evidence for matching, not what is chrome,
    /// and without them a site's repeated lines would make every pair of its pages a candidate.
    /// A line kept as content therefore still stops adding evidence once its shingles are on more
    /// pages than the cap.
    pub fn disabled() -> ChromeConfig {
        ChromeConfig {
            site_min_pages: u32::MAX,
            global_max_pages: u32::MAX,
            global_max_share: 1.0,
            drop_headline_lists: false,
            drop_metadata_lines: false,
            story_groups: false,
            ..ChromeConfig::default()
        }
    }
}

/// Line counts over a corpus: sorted `(key, pages)` arrays, persisted by the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineStats {
    /// Total pages counted.
    pub pages: u64,
    /// `(line hash, pages containing it)`, sorted by hash.
    pub global: Vec<(u64, u32)>,
    /// `(site-line key, pages of that site containing the line)`, sorted by key.
    pub per_site: Vec<(u64, u32)>,
}

/// The key of a line on a site.
pub fn site_line_key(site: u64, line: u64) -> u64 {
    xxh3_64_with_seed(&line.to_le_bytes(), site)
}

/// Hash of a site name (0 when the site is unknown: such pages share no site chrome).
pub fn site_hash(site: Option<&str>) -> u64 {
    site.map_or(0, |s| xxhash_rust::xxh3::xxh3_64(s.as_bytes()))
}

fn count_sorted(mut keys: Vec<u64>) -> Vec<(u64, u32)> {
    keys.par_sort_unstable();
    let mut out = Vec::with_capacity(distinct_sorted(&keys));
    for_each_run(&keys, |k, n| out.push((k, n)));
    out
}

fn lookup(table: &[(u64, u32)], key: u64) -> u32 {
    table
        .binary_search_by_key(&key, |&(k, _)| k)
        .map_or(0, |i| table[i].1)
}

/// Each page's distinct keys, by page number: held (a set per page) or made on demand.
trait PageKeys: Sync {
    /// Pages.
    fn pages(&self) -> usize;
    /// Page `i`'s distinct keys: borrowed, or made in `buf`.
    fn keys<'a>(&'a self, i: usize, buf: &'a mut Vec<u64>) -> &'a [u64];
}

impl<K: AsRef<[u64]> + Sync> PageKeys for [K] {
    fn pages(&self) -> usize {
        self.len()
    }
    fn keys<'a>(&'a self, i: usize, _buf: &'a mut Vec<u64>) -> &'a [u64] {
        self[i].as_ref()
    }
}

/// Pages' distinct line hashes (`site: false`) or site-line keys (`site: true`; none for a
/// page of no known site), made from their lines when asked for, so that a corpus's line
/// statistics never hold a copy of every page's keys beside the one vector they are counted in.
struct LineKeys<'p> {
    pages: &'p [(u64, &'p [Line])],
    site: bool,
}

impl PageKeys for LineKeys<'_> {
    fn pages(&self) -> usize {
        self.pages.len()
    }
    fn keys<'a>(&'a self, i: usize, buf: &'a mut Vec<u64>) -> &'a [u64] {
        let (site, lines) = self.pages[i];
        buf.clear();
        if self.site && site == 0 {
            return buf;
        }
        buf.extend(lines.iter().map(|l| l.hash));
        buf.sort_unstable();
        buf.dedup();
        if self.site {
            for k in buf.iter_mut() {
                *k = site_line_key(site, *k);
            }
            buf.sort_unstable();
        }
        buf
    }
}

/// Every key of page `i` (`keys.keys(i)`, distinct) once per group: the union of each group's
/// pages' keys, concatenated and sorted, so that a key's run length is the number of groups
/// holding it. The vector is allocated once at its final size (a rayon `collect` of a flat map
/// of unknown length holds the pieces and the whole at once); a page alone in its group has its
/// keys asked for twice, once for their count and once to copy them, so that keys made on
/// demand are never all held besides.
fn keys_over_groups<P: PageKeys + ?Sized>(keys: &P, groups: &[u32]) -> Vec<u64> {
    debug_assert_eq!(keys.pages(), groups.len());
    let mut order: Vec<u32> = (0..groups.len() as u32).collect();
    order.sort_unstable_by_key(|&i| (groups[i as usize], i));
    let runs: Vec<&[u32]> = order
        .chunk_by(|&a, &b| groups[a as usize] == groups[b as usize])
        .collect();
    // A group of several pages is deduplicated in place (its pages' keys copied, sorted and
    // made distinct), so each run's length is known only once that is done: first the merged
    // groups and every run's length, then one exact allocation for everything.
    let (mut merged, lens): (Vec<Option<Vec<u64>>>, Vec<usize>) = runs
        .par_iter()
        .map_init(Vec::new, |buf, run| match run {
            [i] => (None, keys.keys(*i as usize, buf).len()),
            _ => {
                let mut v: Vec<u64> = Vec::new();
                for &i in *run {
                    v.extend_from_slice(keys.keys(i as usize, buf));
                }
                v.sort_unstable();
                v.dedup();
                // Copies of one story share most keys: keep only the distinct ones' room.
                v.shrink_to_fit();
                let len = v.len();
                (Some(v), len)
            }
        })
        .unzip();
    // Filled a block of runs per task; each merged group is freed as it is copied.
    const BLOCK: usize = 1 << 12;
    let mut flat: Vec<u64> = vec![0; lens.iter().sum()];
    let mut pieces: Vec<&mut [u64]> = Vec::with_capacity(runs.len().div_ceil(BLOCK));
    let mut rest = flat.as_mut_slice();
    for block in lens.chunks(BLOCK) {
        let (piece, tail) = rest.split_at_mut(block.iter().sum());
        pieces.push(piece);
        rest = tail;
    }
    drop(lens);
    pieces
        .into_par_iter()
        .zip(merged.par_chunks_mut(BLOCK))
        .zip(runs.par_chunks(BLOCK))
        .for_each(|((out, merged), runs)| {
            let mut buf = Vec::new();
            let mut at = 0;
            for (m, run) in merged.iter_mut().zip(runs) {
                let held = m.take();
                let page: &[u64] = match &held {
                    Some(v) => v,
                    None => keys.keys(run[0] as usize, &mut buf),
                };
                out[at..at + page.len()].copy_from_slice(page);
                at += page.len();
            }
        });
    drop(merged);
    flat.par_sort_unstable();
    flat
}

/// Count, for every key, the groups holding it: page `i`'s keys are `keys.keys(i)`, pages with
/// the same `groups[i]` count once. A group's keys are the union of its pages' keys, so the sort
/// that counts them handles one `u64` per (key, group) and no group ids.
fn count_over_groups<P: PageKeys + ?Sized>(keys: &P, groups: &[u32]) -> Vec<(u64, u32)> {
    let flat = keys_over_groups(keys, groups);
    let mut out = Vec::with_capacity(distinct_sorted(&flat));
    for_each_run(&flat, |k, n| out.push((k, n)));
    out
}

/// The number of distinct values of sorted `keys`.
fn distinct_sorted(keys: &[u64]) -> usize {
    keys.chunk_by(|a, b| a == b).count()
}

/// Call `f(key, run length)` for each run of equal sorted keys, in order.
fn for_each_run(keys: &[u64], mut f: impl FnMut(u64, u32)) {
    for run in keys.chunk_by(|a, b| a == b) {
        f(run[0], run.len() as u32);
    }
}

impl LineStats {
    /// Count the distinct lines of each page. `pages` yields `(site hash, units)`.
    pub fn build(pages: &[(u64, &[Line])]) -> LineStats {
        let groups: Vec<u32> = (0..pages.len() as u32).collect();
        Self::build_grouped(pages, &groups)
    }

    /// Count, for every line, the *groups* of pages that hold it rather than the pages: pages
    /// with the same `groups[i]` count once. Groups are near-duplicate pages (one story), so a
    /// story copied onto many pages counts once, while chrome that recurs under different
    /// stories counts once per story.
    pub fn build_grouped(pages: &[(u64, &[Line])], groups: &[u32]) -> LineStats {
        let mut distinct: Vec<u32> = groups.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        LineStats {
            pages: distinct.len() as u64,
            global: count_over_groups(&LineKeys { pages, site: false }, groups),
            per_site: count_over_groups(&LineKeys { pages, site: true }, groups),
        }
    }

    /// Pages (or groups) of `site` holding `line`.
    pub fn site_count(&self, site: u64, line: u64) -> u32 {
        if site == 0 {
            return 0;
        }
        lookup(&self.per_site, site_line_key(site, line))
    }

    /// Whether a line is in two or more story groups (pages, for page counts): a headline that
    /// other pages carry too, a recurring list item.
    pub fn is_recurring(&self, line: u64) -> bool {
        lookup(&self.global, line) >= 2
    }

    /// Whether a line is template on `site` under `cfg`.
    pub fn is_template(&self, cfg: &ChromeConfig, site: u64, line: u64) -> bool {
        let global_cap =
            f64::from(cfg.global_max_pages).max(cfg.global_max_share * self.pages as f64);
        if f64::from(lookup(&self.global, line)) > global_cap {
            return true;
        }
        site != 0 && lookup(&self.per_site, site_line_key(site, line)) >= cfg.site_min_pages
    }
}

impl LineStats {
    /// A view of these statistics for many lookups: each table gets a directory of its keys'
    /// top bits, so that a lookup reads the directory and a bucket of about two entries
    /// instead of binary-searching the whole table (about 25 probes, most of them cache misses,
    /// on the tables of a million pages). Same answers as the methods of `LineStats`.
    pub fn lookup(&self) -> LineLookup<'_> {
        LineLookup {
            pages: self.pages,
            global: Directory::new(&self.global),
            per_site: Directory::new(&self.per_site),
        }
    }
}

/// [`LineStats`] indexed for lookups (see [`LineStats::lookup`]).
#[derive(Debug)]
pub struct LineLookup<'a> {
    pages: u64,
    global: Directory<'a>,
    per_site: Directory<'a>,
}

impl LineLookup<'_> {
    /// [`LineStats::site_count`].
    pub fn site_count(&self, site: u64, line: u64) -> u32 {
        if site == 0 {
            return 0;
        }
        self.per_site.get(site_line_key(site, line))
    }

    /// [`LineStats::is_recurring`].
    pub fn is_recurring(&self, line: u64) -> bool {
        self.global.get(line) >= 2
    }

    /// [`LineStats::is_template`].
    pub fn is_template(&self, cfg: &ChromeConfig, site: u64, line: u64) -> bool {
        let global_cap =
            f64::from(cfg.global_max_pages).max(cfg.global_max_share * self.pages as f64);
        if f64::from(self.global.get(line)) > global_cap {
            return true;
        }
        site != 0 && self.site_count(site, line) >= cfg.site_min_pages
    }
}

/// A sorted `(key, count)` table with the start of every bucket of keys sharing their top
/// `bits` bits. Keys are xxh3 hashes, so buckets hold about two entries each.
#[derive(Debug)]
struct Directory<'a> {
    table: &'a [(u64, u32)],
    bits: u32,
    starts: Vec<u32>,
}

impl<'a> Directory<'a> {
    fn new(table: &'a [(u64, u32)]) -> Directory<'a> {
        // About two entries a bucket; at most 2^28 buckets. A table too long for u32 offsets
        // keeps one bucket (a plain binary search).
        let bits = if u32::try_from(table.len()).is_ok() {
            (table.len() / 2).max(1).ilog2().min(28)
        } else {
            0
        };
        let mut starts = Vec::new();
        if bits > 0 {
            let buckets = 1usize << bits;
            starts.reserve_exact(buckets + 1);
            let mut i = 0usize;
            for b in 0..buckets as u64 {
                while i < table.len() && Self::bucket(bits, table[i].0) < b {
                    i += 1;
                }
                starts.push(i as u32);
            }
            starts.push(table.len() as u32);
        }
        Directory {
            table,
            bits,
            starts,
        }
    }

    fn bucket(bits: u32, key: u64) -> u64 {
        if bits == 0 {
            0
        } else {
            key >> (64 - bits)
        }
    }

    fn get(&self, key: u64) -> u32 {
        let run = if self.starts.is_empty() {
            self.table
        } else {
            let b = Self::bucket(self.bits, key) as usize;
            &self.table[self.starts[b] as usize..self.starts[b + 1] as usize]
        };
        lookup(run, key)
    }
}

/// A list item is short: a line longer than this (a paragraph, a table row of a report) is not
/// part of an unmarked headline list.
pub const MAX_HEADLINE_UNITS: usize = 24;

/// A header over an unmarked list ("Related", "関連記事", "اقرأ أيضا") is at most this long.
pub const MAX_LIST_HEADER_UNITS: usize = 6;

/// Which lines of a page are content, given the template verdict of each line and whether each
/// line recurs in other story groups of the corpus (see [`LineStats::is_recurring`]).
pub fn content_mask(
    lines: &[Line],
    template: &[bool],
    recurring: &[bool],
    cfg: &ChromeConfig,
) -> Vec<bool> {
    let mut keep: Vec<bool> = template
        .iter()
        .zip(lines)
        .map(|(&t, l)| !(t || (cfg.drop_metadata_lines && l.features.metadata())))
        .collect();
    if !cfg.drop_headline_lists {
        return keep;
    }
    // Lines from each line on that are kept, short and without a sentence end (computed once,
    // from the end, so that long pages of short lines stay linear).
    let mut short_run = vec![0u32; lines.len() + 1];
    for j in (0..lines.len()).rev() {
        let l = &lines[j];
        if keep[j] && !l.features.sentence_end() && l.len() <= MAX_HEADLINE_UNITS {
            short_run[j] = short_run[j + 1] + 1;
        }
    }
    // Headline lists: maximal runs of non-template lines that open with one marker (two or
    // more, most of them without a sentence end). Capitalisation is no evidence: German
    // capitalises every noun, so a fact box (`Mindestlohn: 12,82 Euro pro Stunde`) looks
    // headline-cased, and most scripts have no case at all. A run of marked lines most of which end like sentences is dialogue
    // (`— Вы давно здесь работаете?` / `— Двадцать лет.`) or a list of points, and is content.
    let mut i = 0;
    while i < lines.len() {
        if !keep[i] {
            i += 1;
            continue;
        }
        if let Some(marker) = lines[i].features.marker() {
            let run = run_len(lines, &keep, i, |l| l.features.marker() == Some(marker));
            if run >= 2 {
                let sentences = lines[i..i + run]
                    .iter()
                    .filter(|l| l.features.sentence_end())
                    .count();
                if sentences * 2 <= run {
                    drop_list(&mut keep, lines, i, run);
                }
                i += run;
                continue;
            }
        }
        // Unmarked lists in any script: a run of three or more short lines without sentence
        // ends under a short header line, at least two thirds of which recur in other story
        // groups and hold no figure (the titles of other pages, headlines other pages list). A story's own
        // lines are one group however often it is copied, so they never recur this way.
        // (Lines from `i` on are as the first pass left them, so `short_run` still holds.)
        let run = short_run[i] as usize;
        if run >= 3 && i > 0 && is_list_header(&lines[i - 1]) {
            // Items with digits do not count: figure lines (`Shr 46 cts vs 58 cts`) recur in
            // every copy and every brief of a template.
            let recurs = (i..i + run)
                .filter(|&j| recurring[j] && lines[j].features.header())
                .count();
            if recurs * 3 >= run * 2 {
                drop_list(&mut keep, lines, i, run);
                i += run;
                continue;
            }
        }
        i += 1;
    }
    keep
}

/// Drop the list `lines[at..at + len]` and the short header line right above it ("Related",
/// "関連ニュース", "اقرأ أيضاً"), which no site statistics name on a site's only page.
fn drop_list(keep: &mut [bool], lines: &[Line], at: usize, len: usize) {
    keep[at..at + len].iter_mut().for_each(|k| *k = false);
    if at > 0 && is_list_header(&lines[at - 1]) {
        keep[at - 1] = false;
    }
}

/// A short line that may head a list (see [`crate::lines::LineFeatures::header`]).
fn is_list_header(l: &Line) -> bool {
    l.features.header() && l.len() <= MAX_LIST_HEADER_UNITS
}

fn run_len(lines: &[Line], keep: &[bool], from: usize, pred: impl Fn(&Line) -> bool) -> usize {
    lines[from..]
        .iter()
        .zip(&keep[from..])
        .take_while(|(l, k)| **k && pred(l))
        .count()
}

/// Document frequencies of shingles: sorted `(shingle, pages)`.
pub fn shingle_df(sets: &[Vec<u64>]) -> Vec<(u64, u32)> {
    count_sorted(sets.par_iter().flatten().copied().collect())
}

/// Group frequencies of shingles: sorted `(shingle, groups holding it)`.
pub fn shingle_df_grouped<S: AsRef<[u64]> + Sync>(sets: &[S], groups: &[u32]) -> Vec<(u64, u32)> {
    count_over_groups(sets, groups)
}

/// The shingles that carry no evidence: on more pages than the configured cap.
pub fn stop_shingles(df: &[(u64, u32)], pages: usize, cfg: &ChromeConfig) -> Vec<u64> {
    let cap = stop_cap(pages, cfg);
    df.iter()
        .filter(|&&(_, n)| f64::from(n) > cap)
        .map(|&(h, _)| h)
        .collect()
}

/// [`stop_shingles`] of [`shingle_df_grouped`]`(sets, groups)`, without the frequency table:
/// the counts are runs of one sorted vector and only the stop shingles are kept (a scan that
/// saves no index needs no table of every distinct shingle).
pub fn stop_shingles_grouped<S: AsRef<[u64]> + Sync>(
    sets: &[S],
    groups: &[u32],
    pages: usize,
    cfg: &ChromeConfig,
) -> Vec<u64> {
    let cap = stop_cap(pages, cfg);
    let flat = keys_over_groups(sets, groups);
    let mut stop = Vec::new();
    for_each_run(&flat, |k, n| {
        if f64::from(n) > cap {
            stop.push(k);
        }
    });
    stop
}

/// [`stop_shingles_grouped`] with the (shingle, group) pairs in `spill`, a sorted set that
/// goes to disk past its budget (`spill::SortedSpill`): the corpus's shingle statistics never
/// need to be held at once. Each group's distinct keys are made in memory (one story's pages
/// at a time) and collected, `batch` pairs at most, before they are sorted and added; the
/// pairs come back ascending by shingle, so a shingle's groups are one run. A pair is 12
/// bytes (`[key high, key low, group]`). Same result as [`stop_shingles_grouped`]; also
/// returns the bytes the spill wrote to disk. `release` is called every so many sets read
/// (sets mapped from disk let their pages go there).
#[allow(clippy::too_many_arguments)]
pub fn stop_shingles_spilled<S: AsRef<[u64]> + Sync>(
    sets: &[S],
    groups: &[u32],
    pages: usize,
    cfg: &ChromeConfig,
    mut spill: crate::spill::SortedSpill<[u32; 3]>,
    batch: usize,
    release: &dyn Fn(),
) -> crate::error::Result<(Vec<u64>, u64)> {
    let cap = stop_cap(pages, cfg);
    let mut order: Vec<u32> = (0..groups.len() as u32).collect();
    order.sort_unstable_by_key(|&i| (groups[i as usize], i));
    let mut pending: Vec<[u32; 3]> = Vec::new();
    let mut keys: Vec<u64> = Vec::new();
    // Groups are in no order of pages: each set read may map pages of its own. They are let go
    // every RELEASE_SETS sets.
    const RELEASE_SETS: usize = 1 << 14;
    let mut read: usize = 0;
    for run in order.chunk_by(|&a, &b| groups[a as usize] == groups[b as usize]) {
        let group = groups[run[0] as usize];
        keys.clear();
        for &i in run {
            keys.extend_from_slice(sets[i as usize].as_ref());
            read += 1;
            if read.is_multiple_of(RELEASE_SETS) {
                release();
            }
        }
        if run.len() > 1 {
            keys.sort_unstable();
            keys.dedup();
        }
        pending.extend(keys.iter().map(|&k| [(k >> 32) as u32, k as u32, group]));
        if pending.len() >= batch.max(1) {
            pending.par_sort_unstable();
            spill.add_owned(std::mem::take(&mut pending))?;
        }
    }
    pending.par_sort_unstable();
    spill.add_owned(pending)?;
    let written = spill.spilled_bytes();
    let stop = match spill.finish()? {
        crate::spill::Gathered::InMemory(held) => keys_over_cap(held.into_iter().map(Ok), cap),
        crate::spill::Gathered::OnDisk(merged) => keys_over_cap(*merged, cap),
    }?;
    Ok((stop, written))
}

/// The keys of ascending `[key high, key low, group]` pairs that more than `cap` groups hold.
fn keys_over_cap(
    pairs: impl Iterator<Item = crate::error::Result<[u32; 3]>>,
    cap: f64,
) -> crate::error::Result<Vec<u64>> {
    let mut stop = Vec::new();
    let mut run: Option<(u64, u32)> = None;
    for pair in pairs {
        let [hi, lo, _] = pair?;
        let key = (u64::from(hi) << 32) | u64::from(lo);
        match run.as_mut() {
            Some((k, n)) if *k == key => *n += 1,
            _ => {
                if let Some((k, n)) = run.replace((key, 1)) {
                    if f64::from(n) > cap {
                        stop.push(k);
                    }
                }
            }
        }
    }
    if let Some((k, n)) = run {
        if f64::from(n) > cap {
            stop.push(k);
        }
    }
    Ok(stop)
}

/// More groups than this make a shingle a stop shingle.
fn stop_cap(pages: usize, cfg: &ChromeConfig) -> f64 {
    f64::from(cfg.shingle_max_df).max(cfg.shingle_max_share * pages as f64)
}

/// Remove `stop` (sorted) from `set` (sorted) in place.
pub fn remove_sorted(set: &mut Vec<u64>, stop: &[u64]) {
    if stop.is_empty() {
        return;
    }
    set.retain(|h| stop.binary_search(h).is_err());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{units, Units, UnspacedScripts};

    #[test]
    fn stop_shingles_from_spilled_runs_equal_the_in_memory_count() {
        // 600 pages in 150 groups of 1 to 7 pages; keys from a small range so that many recur
        // across groups, and a group's pages share keys (counted once for the group).
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let groups: Vec<u32> = (0..600u32).map(|i| (i * 7 + i / 3) % 150).collect();
        let sets: Vec<Vec<u64>> = (0..600)
            .map(|_| {
                let mut s: Vec<u64> = (0..40).map(|_| next() % 900).collect();
                s.sort_unstable();
                s.dedup();
                s
            })
            .collect();
        // About 26 groups hold each key: a cap there makes some keys stop shingles, not all.
        let cfg = ChromeConfig {
            shingle_max_df: 26,
            ..ChromeConfig::default()
        };
        let want = stop_shingles_grouped(&sets, &groups, 150, &cfg);
        assert!(!want.is_empty() && want.len() < 900, "{}", want.len());
        let dir = tempfile::tempdir().unwrap();
        // A budget of 4 KiB of pairs: runs on disk, merged back.
        let spill = crate::spill::SortedSpill::with_budget(Some(4096), Some(dir.path()));
        let (got, written) =
            stop_shingles_spilled(&sets, &groups, 150, &cfg, spill, 64, &|| ()).unwrap();
        assert!(written > 0);
        assert_eq!(got, want);
        // Everything held in memory: the same.
        let spill = crate::spill::SortedSpill::in_memory();
        let (got, written) =
            stop_shingles_spilled(&sets, &groups, 150, &cfg, spill, 64, &|| ()).unwrap();
        assert_eq!(written, 0);
        assert_eq!(got, want);
    }

    #[test]
    fn directory_lookups_equal_binary_search() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for len in [0usize, 1, 2, 3, 5, 64, 1000, 4099] {
            let mut table: Vec<(u64, u32)> = (0..len)
                .map(|i| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (xxh3_64_with_seed(&seed.to_le_bytes(), 0), i as u32 + 1)
                })
                .collect();
            // Keys at the ends of the range, in buckets 0 and the last.
            table.extend([(0, 7), (u64::MAX, 9), (1, 3)]);
            table.sort_unstable();
            table.dedup_by_key(|e| e.0);
            let dir = Directory::new(&table);
            for &(k, c) in &table {
                assert_eq!(dir.get(k), c, "len {len} key {k}");
                for probe in [k.wrapping_add(1), k.wrapping_sub(1), k ^ (1 << 63)] {
                    assert_eq!(
                        dir.get(probe),
                        lookup(&table, probe),
                        "len {len} probe {probe}"
                    );
                }
            }
        }
    }

    #[test]
    fn line_statistics_made_from_lines_on_demand_equal_a_naive_count() {
        use std::collections::{BTreeMap, BTreeSet};
        // 9,000 pages (more than two blocks of runs) of 3 to 9 lines from 60, on 5 sites and
        // none; grouped one to a page, and in groups of 1 to 4 pages.
        let texts: Vec<String> = (0..9000u32)
            .map(|i| {
                let mut lines: Vec<String> = (0..3 + i % 6)
                    .map(|k| format!("line {} of the story", (i * 31 + k * 17 + i / 7) % 60))
                    .collect();
                // A page that repeats a line counts it once.
                if i % 5 == 0 {
                    lines.push(lines[0].clone());
                }
                lines.join("\n")
            })
            .collect();
        let u: Vec<Units> = texts
            .iter()
            .map(|t| units(t, UnspacedScripts::Characters))
            .collect();
        let sites: Vec<u64> = (0..9000u64)
            .map(|i| match i % 6 {
                0 => 0,
                s => site_hash(Some(&format!("site{s}.example"))),
            })
            .collect();
        let pages: Vec<(u64, &[Line])> = sites
            .iter()
            .copied()
            .zip(u.iter().map(|x| x.lines.as_slice()))
            .collect();
        for groups in [
            (0..9000u32).collect::<Vec<_>>(),
            (0..9000u32)
                .map(|i| i / 4 * 4 + u32::from(i % 8 == 3))
                .collect(),
        ] {
            let mut global: BTreeSet<(u64, u32)> = BTreeSet::new();
            let mut per_site: BTreeSet<(u64, u32)> = BTreeSet::new();
            for ((site, lines), &g) in pages.iter().zip(&groups) {
                for l in lines.iter() {
                    global.insert((l.hash, g));
                    if *site != 0 {
                        per_site.insert((site_line_key(*site, l.hash), g));
                    }
                }
            }
            let count = |pairs: BTreeSet<(u64, u32)>| -> Vec<(u64, u32)> {
                let mut c: BTreeMap<u64, u32> = BTreeMap::new();
                for (k, _) in pairs {
                    *c.entry(k).or_default() += 1;
                }
                c.into_iter().collect()
            };
            let stats = LineStats::build_grouped(&pages, &groups);
            let distinct: BTreeSet<u32> = groups.iter().copied().collect();
            assert_eq!(stats.pages, distinct.len() as u64);
            assert_eq!(stats.global, count(global));
            assert_eq!(stats.per_site, count(per_site));
            assert!(stats.global.iter().any(|&(_, n)| n > 1));
        }
    }

    #[test]
    fn group_counts_equal_distinct_key_group_pairs() {
        use std::collections::{BTreeMap, BTreeSet};
        let keys: Vec<Vec<u64>> = vec![
            vec![1, 2, 3],
            vec![2, 3, 4],
            vec![],
            vec![3, 9],
            vec![1, 9],
            vec![4],
        ];
        for groups in [
            vec![0u32, 1, 2, 3, 4, 5],
            vec![0, 0, 2, 3, 3, 0],
            vec![7, 7, 7, 7, 7, 7],
            vec![5, 1, 5, 1, 5, 1],
        ] {
            let mut pairs = BTreeSet::new();
            for (k, g) in keys.iter().zip(&groups) {
                for &h in k {
                    pairs.insert((h, *g));
                }
            }
            let mut naive: BTreeMap<u64, u32> = BTreeMap::new();
            for (h, _) in pairs {
                *naive.entry(h).or_default() += 1;
            }
            let naive: Vec<(u64, u32)> = naive.into_iter().collect();
            assert_eq!(count_over_groups(&keys[..], &groups), naive, "{groups:?}");
            // The stop shingles taken from runs, with no table, are the table's.
            for max_df in [0, 1, 2, 3] {
                let cfg = ChromeConfig {
                    shingle_max_df: max_df,
                    shingle_max_share: 0.0,
                    ..ChromeConfig::default()
                };
                let want: Vec<u64> = naive
                    .iter()
                    .filter(|&&(_, n)| n > max_df)
                    .map(|&(h, _)| h)
                    .collect();
                assert_eq!(stop_shingles(&naive, 6, &cfg), want);
                assert_eq!(stop_shingles_grouped(&keys, &groups, 6, &cfg), want);
            }
        }
    }

    /// `pages` of one site: their units, the site's key and their line statistics.
    fn one_site(pages: &[String]) -> (Vec<Units>, u64, LineStats) {
        let u: Vec<Units> = pages
            .iter()
            .map(|p| units(p, UnspacedScripts::Characters))
            .collect();
        let site = site_hash(Some("lywire.info"));
        let refs: Vec<(u64, &[Line])> = u.iter().map(|x| (site, x.lines.as_slice())).collect();
        let stats = LineStats::build(&refs);
        (u, site, stats)
    }

    #[test]
    fn site_chrome_and_lists_are_dropped() {
        let pages: Vec<String> = (0..4)
            .map(|i| format!("Lywire  Home  World\nStory number {i} begins here with words.\nIt goes on {i} and on.\nRelated\n- Port Strike Enters Week {i}\n- Mayor Wins Vote {i}\nAbout Us  Contact"))
            .collect();
        let (u, site, stats) = one_site(&pages);
        let cfg = ChromeConfig::default();
        let t: Vec<bool> = u[0]
            .lines
            .iter()
            .map(|l| stats.is_template(&cfg, site, l.hash))
            .collect();
        assert_eq!(t, vec![true, false, false, true, false, false, true]);
        let keep = content_mask(&u[0].lines, &t, &vec![false; t.len()], &cfg);
        assert_eq!(keep, vec![false, true, true, false, false, false, false]);
        // On another site nothing is template yet.
        assert!(!stats.is_template(&cfg, site_hash(Some("other.com")), u[0].lines[0].hash));
    }

    #[test]
    fn disabled_keeps_every_line_and_the_stop_shingle_caps() {
        let pages: Vec<String> = (0..40)
            .map(|i| format!("Lywire  Home  World\nStory number {i} begins here with words.\nRelated\n- Port Strike Enters Week {i}\n- Mayor Wins Vote {i}\nPublished 3 May 2024"))
            .collect();
        let (u, site, stats) = one_site(&pages);
        let (off, on) = (ChromeConfig::disabled(), ChromeConfig::default());
        let template = |cfg: &ChromeConfig| -> Vec<bool> {
            u[0].lines
                .iter()
                .map(|l| stats.is_template(cfg, site, l.hash))
                .collect()
        };
        assert!(
            template(&on)[0],
            "the navigation is chrome when learning is on"
        );
        assert!(template(&off).iter().all(|&t| !t));
        let keep = content_mask(
            &u[0].lines,
            &template(&off),
            &vec![true; u[0].lines.len()],
            &off,
        );
        assert!(
            keep.iter().all(|&k| k),
            "lists and dates are content too: {keep:?}"
        );
        assert_eq!(
            (off.shingle_max_df, off.shingle_max_share),
            (on.shingle_max_df, on.shingle_max_share)
        );
    }

    #[test]
    fn dialogue_is_content_and_lists_of_any_marker_are_not() {
        let text = "Интервью\n— Вы давно здесь работаете?\n— Двадцать лет. Пришёл после армии.\n— Что изменилось?\n— Всё.\nЧитайте также\n・見出し一つ目\n・見出し二つ目\n▶ Titel eins\n▶ Titel zwei\n– Oui.\n– Non, jamais !";
        let keep = mask_with_recurring(text, &[]);
        // The dialogue stays; both lists go, with the header above the first (`Читайте также`).
        let want = [
            true, true, true, true, true, false, false, false, false, false, true, true,
        ];
        assert_eq!(keep, want);
    }

    #[test]
    fn brief_tables_are_content() {
        let keep = mask_with_recurring(
            "Shr loss 15 cts vs loss 11 cts\nNet loss 632,000 vs loss 437,000\nRevs 3,206,000 vs 2,650,000\nYear",
            &[],
        );
        assert!(keep.iter().all(|&k| k));
    }

    #[test]
    fn capitalised_fact_boxes_and_name_lists_are_content() {
        // German capitalises nouns, English names: neither makes a list of other pages.
        for text in [
            "Die wichtigsten Zahlen\nMindestlohn: 12,82 Euro pro Stunde\nBürgergeld: Regelsatz 563 Euro\nKindergeld: 255 Euro je Kind\nRentenbeitrag: 18,6 Prozent",
            "Das Kabinett\nBundeskanzler Olaf Scholz (SPD)\nVizekanzler Robert Habeck (Grüne)\nFinanzminister Christian Lindner (FDP)",
            "The Line-Up\nPrime Minister Keir Starmer\nChancellor Rachel Reeves\nHome Secretary Yvette Cooper",
        ] {
            let keep = mask_with_recurring(text, &[]);
            assert!(keep.iter().all(|&k| k), "{text}: {keep:?}");
        }
    }

    /// The mask of `text` with no template lines and the lines of `recurring` recurring (by
    /// the lines' text; none for a page judged alone).
    fn mask_with_recurring(text: &str, recurring: &[&str]) -> Vec<bool> {
        let u = units(text, UnspacedScripts::Characters);
        let raw: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let r: Vec<bool> = raw.iter().map(|l| recurring.contains(l)).collect();
        assert_eq!(r.len(), u.lines.len());
        content_mask(
            &u.lines,
            &vec![false; u.lines.len()],
            &r,
            &ChromeConfig::default(),
        )
    }

    #[test]
    fn unmarked_lists_of_recurring_lines_under_a_header_are_not_content_in_any_script() {
        let story =
            "警方表示，事故发生在周二凌晨，一辆货车与两辆轿车相撞。\n目前事故原因仍在调查之中。";
        for (header, items) in [
            (
                "相关新闻",
                [
                    "北方多地迎来降雪天气",
                    "新型火箭发射成功",
                    "老字号餐馆迎来百年店庆",
                ],
            ),
            (
                "اقرأ أيضا",
                [
                    "افتتاح معرض الكتاب في الرياض",
                    "ارتفاع أسعار النفط",
                    "فوز المنتخب في المباراة",
                ],
            ),
            (
                "Mehr zum Thema",
                [
                    "Bahnstreik legt Verkehr lahm",
                    "neue regeln für mieter",
                    "Wetter bleibt mild",
                ],
            ),
        ] {
            let text = format!(
                "{story}\n{header}\n{}\n{}\n{}",
                items[0], items[1], items[2]
            );
            // Two of three items are other pages' titles: the header and the list go.
            let keep = mask_with_recurring(&text, &items[..2]);
            assert_eq!(keep, [true, true, false, false, false, false], "{header}");
            // One of three is not enough: short lines of the story's own stay content.
            let keep = mask_with_recurring(&text, &items[..1]);
            assert!(keep.iter().all(|&k| k), "{header}: {keep:?}");
        }
    }

    #[test]
    fn recurring_short_lines_without_a_short_header_stay_content() {
        // A sentence before the run is no list header.
        let text = "The ministry published the figures on Tuesday.\nexports up 4 pct\nimports down 2 pct\nbalance in surplus";
        let recurring = [
            "exports up 4 pct",
            "imports down 2 pct",
            "balance in surplus",
        ];
        assert!(mask_with_recurring(text, &recurring).iter().all(|&k| k));
    }

    #[test]
    fn a_long_page_of_short_lines_is_linear() {
        // 200,000 short lines with a header every line: each line is looked at a bounded number
        // of times (the test would take minutes if runs were measured again from each line).
        let text: String = (0..200_000).map(|i| format!("item {i}\n")).collect();
        let keep = mask_with_recurring(&text, &[]);
        assert!(keep.iter().all(|&k| k));
    }
}
