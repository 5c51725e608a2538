//! align.rs: which paragraphs of its origin does a copy carry, in what order, and what does it add?
//!
//! Paragraph-level alignment of a copy against the story it was taken from. Pure functions on
//! paragraphs (`&[S]` with `S: AsRef<str>`). Memory is linear in the paragraphs' words and
//! matches: nothing here allocates a copy x origin table (two documents of 20,000 lines are
//! aligned in megabytes), and the word diff of two long paragraphs runs in linear space.
//!
//! How it works:
//! - Every paragraph becomes a sequence of *words*: normalize's units (see
//!   [`crate::normalize::units`]: case, typography and digits folded; one unit per character of
//!   an unspaced script), the units similarity is measured in, so that typography (curly quotes,
//!   dashes, case, spacing) does not matter and a Chinese paragraph is not one long "word".
//! - Two paragraphs *match* when the overlap coefficient of their word-bigram sets (shared
//!   bigrams over the smaller set) reaches [`AlignConfig::min_containment`] (0.6) and they share
//!   at least two bigrams. A paragraph with a few words edited still matches; a paragraph cut to
//!   its first sentence matches; two unrelated paragraphs sharing a stock phrase do not. Only
//!   pairs that share a bigram are scored (an inverted index of the origin's bigrams proposes
//!   them); a bigram found in more than 128 origin paragraphs proposes only the 128 nearest the
//!   copy paragraph's relative position, which bounds the work on documents of thousands of
//!   repetitive lines and never applies to a news story.
//! - The alignment is the heaviest order-preserving chain of matches (a weighted longest
//!   common subsequence over the sparse matches); a copy paragraph that matches the story but
//!   out of order is `moved`.
//! - [`Alignment::coverage`] is the share of the origin's words that the copy carries: words of
//!   origin paragraphs that some copy paragraph matched and that occur in a matching copy
//!   paragraph. [`Alignment::added`] is the share of the copy's words that are not the story's:
//!   all words of unmatched copy paragraphs plus the words of matched ones that their origin
//!   paragraphs lack.
//!
//! Invariant: the result depends only on the paragraph texts and the config; ties are broken
//! towards the lower paragraph index, so output is deterministic.

use crate::verify::intersection_size;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Tuning of the alignment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlignConfig {
    /// Smallest overlap coefficient of word-bigram sets for two paragraphs to match. Default 0.6.
    pub min_containment: f64,
}

impl Default for AlignConfig {
    fn default() -> Self {
        AlignConfig {
            min_containment: 0.6,
        }
    }
}

/// One step of a side-by-side view, in reading order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Row {
    /// A copy paragraph that carries an origin paragraph.
    Both {
        /// Index of the origin paragraph.
        origin: usize,
        /// Index of the copy paragraph.
        copy: usize,
        /// Overlap coefficient of the two paragraphs' word-bigram sets.
        score: f64,
        /// The copy carries this paragraph out of the origin's order.
        moved: bool,
    },
    /// An origin paragraph that the copy cut.
    Cut(usize),
    /// A copy paragraph that is not from the story.
    Added(usize),
}

/// How a copy relates to its origin, paragraph by paragraph.
#[derive(Debug, Clone, PartialEq)]
pub struct Alignment {
    /// Per copy paragraph: the origin paragraph it carries, if any.
    pub copy_to_origin: Vec<Option<usize>>,
    /// Per origin paragraph: whether the copy carries it.
    pub carried: Vec<bool>,
    /// The side-by-side view: every origin and copy paragraph exactly once (an origin paragraph
    /// carried by several copy paragraphs appears once per copy paragraph).
    pub rows: Vec<Row>,
    /// Share of the origin's words that the copy carries, 0..=1.
    pub coverage: f64,
    /// Share of the copy's words that are not from the story, 0..=1.
    pub added: f64,
    /// All carried paragraphs appear in the origin's order.
    pub in_order: bool,
    /// Per origin paragraph: (its words, how many of them the copy carries). `coverage` is the
    /// sum of the second over the sum of the first; [`Alignment::coverage_of`] restricts both
    /// sums to some of the paragraphs.
    pub origin_words: Vec<(usize, usize)>,
}

impl Alignment {
    /// Share of the words of the origin paragraphs `story` marks that the copy carries, 0..=1
    /// (0 when they hold no words). With every paragraph marked this is `coverage`.
    pub fn coverage_of(&self, story: &[bool]) -> f64 {
        let (total, carried) = self
            .origin_words
            .iter()
            .zip(story)
            .filter(|(_, &s)| s)
            .fold((0, 0), |(t, c), (&(w, k), _)| (t + w, c + k));
        ratio(carried, total)
    }

    /// How many origin paragraphs the copy carries.
    pub fn carried_count(&self) -> usize {
        self.carried.iter().filter(|c| **c).count()
    }
}

/// The comparison words of a text: lowercase alphanumeric runs.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The comparison units of a text: normalize's units, the ones similarity is measured in
/// (case and typography folded, digits of every script folded, one unit per character of an
/// unspaced script such as Chinese or Japanese), so that coverage and the added share count what
/// the match counted, in every language.
fn word_hashes(text: &str) -> Vec<u64> {
    crate::normalize::unit_ids(text, crate::normalize::UnspacedScripts::Characters)
}

/// Word bigrams of a word sequence as a sorted set of hashes; a one-word paragraph is its own
/// single "bigram".
fn bigrams(w: &[u64]) -> Vec<u64> {
    let mut v: Vec<u64> = match w.len() {
        0 => Vec::new(),
        1 => vec![w[0]],
        _ => w
            .windows(2)
            .map(|p| xxh3_64_with_seed(&p[1].to_le_bytes(), p[0]))
            .collect(),
    };
    v.sort_unstable();
    v.dedup();
    v
}

/// Overlap coefficient of two bigram sets and their intersection size.
fn overlap(a: &[u64], b: &[u64]) -> (f64, usize) {
    if a.is_empty() || b.is_empty() {
        return (0.0, 0);
    }
    let inter = intersection_size(a, b);
    (inter as f64 / a.len().min(b.len()) as f64, inter)
}

fn sorted_set(items: impl Iterator<Item = u64>) -> Vec<u64> {
    let mut v: Vec<u64> = items.collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Align `copy` against `origin` with the default config.
pub fn align<S: AsRef<str>, T: AsRef<str>>(origin: &[S], copy: &[T]) -> Alignment {
    align_with(origin, copy, &AlignConfig::default())
}

/// Align `copy` against `origin`: see the module doc for the definitions.
pub fn align_with<S: AsRef<str>, T: AsRef<str>>(
    origin: &[S],
    copy: &[T],
    config: &AlignConfig,
) -> Alignment {
    Aligner::new(origin, *config).align(copy)
}

/// An origin prepared once (its words, bigrams and bigram index) for aligning many copies:
/// a story's copies are all aligned against one origin.
#[derive(Debug, Clone)]
pub struct Aligner {
    config: AlignConfig,
    ow: Vec<Vec<u64>>,
    /// Each origin paragraph's distinct words, sorted (what a copy paragraph aligned to it may
    /// carry without adding).
    ow_set: Vec<Vec<u64>>,
    ob: Vec<Vec<u64>>,
    postings: Postings,
}

/// The origin paragraphs holding each bigram: `(bigram, paragraph)` sorted, and where each
/// bigram's run starts and ends in it (one hash lookup per copy bigram, not a binary search).
#[derive(Debug, Clone)]
struct Postings {
    list: Vec<(u64, u32)>,
    runs: rustc_hash::FxHashMap<u64, (u32, u32)>,
}

impl Postings {
    fn new(ob: &[Vec<u64>]) -> Postings {
        let mut list: Vec<(u64, u32)> = ob
            .iter()
            .enumerate()
            .flat_map(|(o, set)| set.iter().map(move |&g| (g, o as u32)))
            .collect();
        list.sort_unstable();
        let mut runs = rustc_hash::FxHashMap::default();
        let mut start = 0;
        for (i, &(g, _)) in list.iter().enumerate() {
            if i + 1 == list.len() || list[i + 1].0 != g {
                runs.insert(g, (start as u32, i as u32 + 1));
                start = i + 1;
            }
        }
        Postings { list, runs }
    }

    /// The `(bigram, paragraph)` entries of `g`, sorted by paragraph.
    fn of(&self, g: u64) -> &[(u64, u32)] {
        self.runs
            .get(&g)
            .map_or(&[], |&(lo, hi)| &self.list[lo as usize..hi as usize])
    }
}

impl Aligner {
    /// Prepare `origin`'s paragraphs.
    pub fn new<S: AsRef<str>>(origin: &[S], config: AlignConfig) -> Aligner {
        let ow: Vec<Vec<u64>> = origin.iter().map(|p| word_hashes(p.as_ref())).collect();
        let ow_set: Vec<Vec<u64>> = ow.iter().map(|w| sorted_set(w.iter().copied())).collect();
        let ob: Vec<Vec<u64>> = ow.iter().map(|w| bigrams(w)).collect();
        let postings = Postings::new(&ob);
        Aligner {
            config,
            ow,
            ow_set,
            ob,
            postings,
        }
    }

    /// Align `copy` against the prepared origin: see the module doc for the definitions.
    pub fn align<T: AsRef<str>>(&self, copy: &[T]) -> Alignment {
        let (ow, ob, config) = (&self.ow, &self.ob, &self.config);
        let n_origin = ow.len();
        let cw: Vec<Vec<u64>> = copy.iter().map(|p| word_hashes(p.as_ref())).collect();
        let cb: Vec<_> = cw.iter().map(|w| bigrams(w)).collect();

        // score[c]: the origin paragraphs copy paragraph c matches, with their scores. Sparse: a
        // long document pair holds about as many matches as paragraphs.
        let score = match_lists(ob, &self.postings, &cb, config);

        let chain = heaviest_chain(&score, n_origin);

        // Per copy paragraph, its origin paragraph: the chain's pick, else the best match.
        let mut copy_to_origin: Vec<Option<usize>> = vec![None; copy.len()];
        for &(c, o) in &chain {
            copy_to_origin[c] = Some(o);
        }
        for (c, row) in score.iter().enumerate() {
            if copy_to_origin[c].is_none() {
                copy_to_origin[c] = best(row);
            }
        }
        let mut carried = vec![false; n_origin];
        for o in copy_to_origin.iter().flatten() {
            carried[*o] = true;
        }

        // Words: coverage counts origin tokens found in a copy paragraph aligned to theirs; a
        // copy paragraph adds the tokens its origin paragraph lacks.
        let mut aligned_to: Vec<Vec<usize>> = vec![Vec::new(); n_origin];
        for (c, o) in copy_to_origin.iter().enumerate() {
            if let Some(o) = o {
                aligned_to[*o].push(c);
            }
        }
        let cw_set: Vec<Vec<u64>> = cw.iter().map(|w| sorted_set(w.iter().copied())).collect();
        let origin_words: Vec<(usize, usize)> = ow
            .iter()
            .zip(&aligned_to)
            .map(|(w, cs)| {
                let kept = w
                    .iter()
                    .filter(|x| cs.iter().any(|&c| cw_set[c].binary_search(x).is_ok()))
                    .count();
                (w.len(), kept)
            })
            .collect();
        let origin_total: usize = origin_words.iter().map(|p| p.0).sum();
        let origin_carried: usize = origin_words.iter().map(|p| p.1).sum();
        let copy_total: usize = cw.iter().map(Vec::len).sum();
        let copy_added: usize = cw
            .iter()
            .zip(&copy_to_origin)
            .map(|(w, o)| match o {
                Some(o) => w
                    .iter()
                    .filter(|x| self.ow_set[*o].binary_search(x).is_err())
                    .count(),
                None => w.len(),
            })
            .sum();

        let rows = rows(&chain, &copy_to_origin, &score, &carried);
        let in_order = !rows
            .iter()
            .any(|r| matches!(r, Row::Both { moved: true, .. }));
        Alignment {
            copy_to_origin,
            carried,
            rows,
            coverage: ratio(origin_carried, origin_total),
            added: ratio(copy_added, copy_total),
            in_order,
            origin_words,
        }
    }
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

/// A copy paragraph's matches: (origin paragraph, score), sorted by origin paragraph.
type Matches = Vec<(usize, f64)>;

/// The score of copy paragraph `c` against origin paragraph `o`, 0 when they do not match.
fn score_of(score: &[Matches], c: usize, o: usize) -> f64 {
    let row = &score[c];
    row.binary_search_by_key(&o, |&(oo, _)| oo)
        .map_or(0.0, |i| row[i].1)
}

/// A bigram in more origin paragraphs than this proposes only the `MAX_POSTING` of them nearest
/// to the copy paragraph's relative position as candidates. News stories (tens of paragraphs)
/// never reach it, so every pair that shares a bigram is scored; in a document of thousands of
/// lines that repeat a phrase it keeps the work and memory per copy paragraph bounded.
const MAX_POSTING: usize = 128;

/// Per copy paragraph, the origin paragraphs it matches (see the module doc). Candidates come
/// from an inverted index of origin bigrams, so memory is linear in the paragraphs' bigrams
/// and matches, not copy x origin.
fn match_lists(
    ob: &[Vec<u64>],
    postings: &Postings,
    cb: &[Vec<u64>],
    config: &AlignConfig,
) -> Vec<Matches> {
    let n_origin = ob.len();
    // stamp[o] == c + 1: origin paragraph o is already a candidate of copy paragraph c.
    let mut stamp = vec![0u32; n_origin];
    let mut candidates: Vec<usize> = Vec::new();
    cb.iter()
        .enumerate()
        .map(|(c, cset)| {
            candidates.clear();
            let expected = if cb.len() > 1 {
                c * n_origin.saturating_sub(1) / (cb.len() - 1)
            } else {
                0
            };
            for g in cset {
                let list = postings.of(*g);
                let list = if list.len() > MAX_POSTING {
                    let mid = list.partition_point(|&(_, o)| (o as usize) < expected);
                    let from = mid
                        .saturating_sub(MAX_POSTING / 2)
                        .min(list.len() - MAX_POSTING);
                    &list[from..from + MAX_POSTING]
                } else {
                    list
                };
                for &(_, o) in list {
                    if stamp[o as usize] != c as u32 + 1 {
                        stamp[o as usize] = c as u32 + 1;
                        candidates.push(o as usize);
                    }
                }
            }
            candidates.sort_unstable();
            candidates
                .iter()
                .filter_map(|&o| {
                    let (s, inter) = overlap(cset, &ob[o]);
                    let enough = inter >= 2 || (inter == 1 && cset.len().min(ob[o].len()) == 1);
                    (enough && s >= config.min_containment).then_some((o, s))
                })
                .collect()
        })
        .collect()
}

/// The best-scoring origin paragraph of a copy paragraph's matches (lowest index on ties).
fn best(row: &[(usize, f64)]) -> Option<usize> {
    let mut pick: Option<(usize, f64)> = None;
    for &(o, s) in row {
        if s > 0.0 && pick.is_none_or(|(_, b)| s > b) {
            pick = Some((o, s));
        }
    }
    pick.map(|(o, _)| o)
}

/// A match in the chain search: the weight of the heaviest chain it starts, its position, and
/// its index in the list of matches.
#[derive(Clone, Copy)]
struct Point {
    /// In units of 2^-32 ([`fixed`]): sums of integers are exact, so two chains of the same
    /// scores weigh the same whatever order they were added in (f64 sums differed by a unit in
    /// the last place, and the tie-break then depended on rounding).
    weight: u64,
    copy: usize,
    origin: usize,
    id: usize,
}

/// A score in [0, 1] as a chain weight: a whole number of 2^-32.
fn fixed(score: f64) -> u64 {
    (score.clamp(0.0, 1.0) * 4_294_967_296.0).round() as u64
}

/// Whether `a` ranks above `b` as the next match of a chain: the heavier chain, then the later
/// copy paragraph, then the earlier origin paragraph (see [`heaviest_chain`]).
fn better(a: &Point, b: &Point) -> bool {
    a.weight > b.weight
        || (a.weight == b.weight && (a.copy > b.copy || (a.copy == b.copy && a.origin < b.origin)))
}

/// The best inserted match (by [`better`]) in origin paragraphs `o..`: a Fenwick tree over
/// reversed origin indices.
struct SuffixBest {
    tree: Vec<Option<Point>>,
}

impl SuffixBest {
    fn new(n: usize) -> Self {
        SuffixBest {
            tree: vec![None; n + 1],
        }
    }

    fn insert(&mut self, p: Point) {
        let n = self.tree.len() - 1;
        let mut i = n - p.origin; // origin n-1 -> 1, origin 0 -> n
        while i <= n {
            if self.tree[i].is_none_or(|q| better(&p, &q)) {
                self.tree[i] = Some(p);
            }
            i += i & i.wrapping_neg();
        }
    }

    fn query(&self, o: usize) -> Option<Point> {
        let n = self.tree.len() - 1;
        let mut i = n.saturating_sub(o);
        let mut out: Option<Point> = None;
        while i > 0 {
            if let Some(q) = self.tree[i] {
                if out.is_none_or(|p| better(&q, &p)) {
                    out = Some(q);
                }
            }
            i -= i & i.wrapping_neg();
        }
        out
    }
}

/// The heaviest chain of matches (c, o) increasing in both c and o: a weighted longest common
/// subsequence over the sparse matches, O(m log n) time and O(m + n) memory for m matches
/// (a dense table of copy x origin cells took 6 GB for two documents of 20,000 lines).
///
/// Ties are broken as the dense dynamic program walked from (0, 0) broke them (it moved to the
/// next copy paragraph before the next origin paragraph): from position (c, o), among the
/// matches in rows >= c and columns >= o that start a heaviest chain, the chain takes the one in
/// column o with the lowest row if there is one, else the one in the highest row, lowest column.
fn heaviest_chain(score: &[Matches], n_origin: usize) -> Vec<(usize, usize)> {
    let mut points: Vec<Point> = Vec::new();
    let mut next: Vec<Option<usize>> = Vec::new();
    let mut index = SuffixBest::new(n_origin);
    // col_best[o]: the heaviest inserted match in column o, lowest row on ties.
    let mut col_best: Vec<Option<Point>> = vec![None; n_origin];
    let pick = |index: &SuffixBest, col_best: &[Option<Point>], o: usize| -> Option<Point> {
        let top = index.query(o)?;
        match col_best.get(o).copied().flatten() {
            Some(p) if p.weight == top.weight => Some(p),
            _ => Some(top),
        }
    };
    for c in (0..score.len()).rev() {
        let first = points.len();
        for &(o, s) in &score[c] {
            let succ = pick(&index, &col_best, o + 1);
            points.push(Point {
                weight: fixed(s) + succ.map_or(0, |p| p.weight),
                copy: c,
                origin: o,
                id: points.len(),
            });
            next.push(succ.map(|p| p.id));
        }
        // Row c joins only once all its matches have their successors from rows > c.
        for p in &points[first..] {
            index.insert(*p);
            let slot = &mut col_best[p.origin];
            if slot.is_none_or(|q| p.weight >= q.weight) {
                *slot = Some(*p);
            }
        }
    }
    let mut chain = Vec::new();
    let mut at = pick(&index, &col_best, 0).map(|p| p.id);
    while let Some(i) = at {
        chain.push((points[i].copy, points[i].origin));
        at = next[i];
    }
    chain
}

/// The side-by-side rows: copy paragraphs in copy order, each cut origin paragraph placed just
/// before the next chain pair that follows it in the origin.
fn rows(
    chain: &[(usize, usize)],
    copy_to_origin: &[Option<usize>],
    score: &[Matches],
    carried: &[bool],
) -> Vec<Row> {
    let mut out = Vec::new();
    let mut next_origin = 0; // origin paragraphs before this one have been placed
    let mut chain_iter = chain.iter().peekable();
    let mut last_chain_origin: Option<usize> = None;
    for (c, pick) in copy_to_origin.iter().enumerate() {
        let in_chain = chain_iter.peek().is_some_and(|&&(cc, _)| cc == c);
        match (pick, in_chain) {
            (Some(o), true) => {
                chain_iter.next();
                flush_cuts(&mut out, &mut next_origin, *o, carried);
                next_origin = next_origin.max(o + 1);
                last_chain_origin = Some(*o);
                out.push(Row::Both {
                    origin: *o,
                    copy: c,
                    score: score_of(score, c, *o),
                    moved: false,
                });
                if chain_iter.peek().is_none() {
                    // The story ends here: its remaining cut paragraphs go before any trailer.
                    flush_cuts(&mut out, &mut next_origin, carried.len(), carried);
                }
            }
            (Some(o), false) => {
                // In order when it sits between its chain neighbours (a split paragraph).
                let after_prev = last_chain_origin.is_none_or(|p| *o >= p);
                let before_next = chain_iter.peek().is_none_or(|&&(_, no)| *o <= no);
                out.push(Row::Both {
                    origin: *o,
                    copy: c,
                    score: score_of(score, c, *o),
                    moved: !(after_prev && before_next),
                });
            }
            (None, _) => out.push(Row::Added(c)),
        }
    }
    flush_cuts(&mut out, &mut next_origin, carried.len(), carried);
    out
}

/// Place the cut origin paragraphs in `*next..end` and advance `next`.
fn flush_cuts(out: &mut Vec<Row>, next: &mut usize, end: usize, carried: &[bool]) {
    while *next < end {
        if !carried[*next] {
            out.push(Row::Cut(*next));
        }
        *next += 1;
    }
}

/// One token of a word-level diff between two paragraphs (a [`display_tokens`] token without
/// its whitespace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WordOp {
    /// A word both paragraphs have at this point (the copy's spelling).
    Same(String),
    /// A word only the origin has: the copy cut it.
    Cut(String),
    /// A word only the copy has: the copy added it.
    Added(String),
}

/// The display tokens of a paragraph, in the units similarity counts: whitespace-separated
/// words, each Chinese or Japanese character on its own, Thai, Lao, Khmer and Myanmar cut at
/// their word breaks (`normalize`'s rules). Each token is a slice of `text` with the
/// whitespace that follows it, so that the tokens written one after another give the paragraph
/// back as published (without its leading whitespace).
pub fn display_tokens(text: &str) -> Vec<&str> {
    use crate::normalize::{complex_segments, is_complex, is_unspaced};
    let text = text.trim_start();
    let mut out: Vec<&str> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let word_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let chunk_len = rest[word_len..]
            .find(|c: char| !c.is_whitespace())
            .map_or(rest.len(), |n| word_len + n);
        let (word, chunk) = (&rest[..word_len], &rest[..chunk_len]);
        if !word.chars().any(is_unspaced) {
            out.push(chunk);
        } else {
            // Pieces of the word (their starts), then each piece runs to the next start, the
            // last one with the chunk's trailing whitespace.
            let mut starts: Vec<usize> = Vec::new();
            let mut i = 0;
            while i < word.len() {
                let c = word[i..].chars().next().unwrap_or(' ');
                if is_complex(c) {
                    let run_len = word[i..]
                        .find(|c: char| !is_complex(c))
                        .unwrap_or(word.len() - i);
                    let mut at = i;
                    for (seg, _) in complex_segments(&word[i..i + run_len]) {
                        starts.push(at);
                        at += seg.len();
                    }
                    i += run_len;
                } else if is_unspaced(c) {
                    starts.push(i);
                    i += c.len_utf8();
                } else {
                    let run_len = word[i..].find(is_unspaced).unwrap_or(word.len() - i);
                    starts.push(i);
                    i += run_len;
                }
            }
            for (k, &st) in starts.iter().enumerate() {
                let end = starts.get(k + 1).copied().unwrap_or(chunk.len());
                out.push(&chunk[st..end]);
            }
        }
        rest = &rest[chunk_len..];
    }
    out
}

/// Word-level diff of an origin paragraph against a copy paragraph (longest common subsequence
/// of [`display_tokens`], without their whitespace, compared by their [`words`]). Tokens keep
/// their spelling, so the view shows the text as published.
pub fn diff_words(origin: &str, copy: &str) -> Vec<WordOp> {
    let a: Vec<&str> = display_tokens(origin)
        .into_iter()
        .map(str::trim_end)
        .collect();
    let b: Vec<&str> = display_tokens(copy)
        .into_iter()
        .map(str::trim_end)
        .collect();
    let key = |t: &str| {
        let w = words(t).join(" ");
        if w.is_empty() {
            t.to_string()
        } else {
            w
        }
    };
    let ka: Vec<String> = a.iter().map(|t| key(t)).collect();
    let kb: Vec<String> = b.iter().map(|t| key(t)).collect();
    if (ka.len() + 1).saturating_mul(kb.len() + 1) > DENSE_DIFF_CELLS {
        return diff_words_linear(&a, &b, &ka, &kb);
    }
    let mut lcs = vec![vec![0u32; kb.len() + 1]; ka.len() + 1];
    for i in (0..ka.len()).rev() {
        for j in (0..kb.len()).rev() {
            lcs[i][j] = if ka[i] == kb[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && ka[i] == kb[j] {
            out.push(WordOp::Same(b[j].to_string()));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(WordOp::Added(b[j].to_string()));
            j += 1;
        } else {
            out.push(WordOp::Cut(a[i].to_string()));
            i += 1;
        }
    }
    out
}

/// Up to this many cells (16 MB) the word diff is the exact dense LCS table above; beyond, a
/// paragraph pair of thousands of words each (a 20,000-word paragraph took 1.6 GB) goes to
/// [`diff_words_linear`].
const DENSE_DIFF_CELLS: usize = 1 << 22;

/// The word diff in linear memory: Myers' algorithm with the middle-snake refinement
/// (`similar`, O(N + M) space, O((N + M) D) time, no deadline so the result is deterministic).
/// Also a shortest edit script; among equally short ones it may choose differently from the
/// dense table, so only very long paragraphs take this path.
fn diff_words_linear(a: &[&str], b: &[&str], ka: &[String], kb: &[String]) -> Vec<WordOp> {
    use similar::{capture_diff_slices, Algorithm, DiffOp};
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    for op in capture_diff_slices(Algorithm::Myers, ka, kb) {
        match op {
            DiffOp::Equal { new_index, len, .. } => out.extend(
                b[new_index..new_index + len]
                    .iter()
                    .map(|t| WordOp::Same(t.to_string())),
            ),
            DiffOp::Delete {
                old_index, old_len, ..
            } => out.extend(
                a[old_index..old_index + old_len]
                    .iter()
                    .map(|t| WordOp::Cut(t.to_string())),
            ),
            DiffOp::Insert {
                new_index, new_len, ..
            } => out.extend(
                b[new_index..new_index + new_len]
                    .iter()
                    .map(|t| WordOp::Added(t.to_string())),
            ),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                // As the dense walk does: the copy's words first, then the origin's.
                out.extend(
                    b[new_index..new_index + new_len]
                        .iter()
                        .map(|t| WordOp::Added(t.to_string())),
                );
                out.extend(
                    a[old_index..old_index + old_len]
                        .iter()
                        .map(|t| WordOp::Cut(t.to_string())),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: [&str; 4] = [
        "SEOUL, South Korea (AP) — North Korea fired a ballistic missile into the sea on Tuesday, the South's military said.",
        "The launch was the third this month and came as the allies began their annual drills.",
        "Japan's coast guard warned ships in the area to watch for falling debris.",
        "Analysts say the North is trying to pressure Washington before the U.S. election.",
    ];

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn a_chinese_copy_is_measured_in_characters() {
        // Two sentences with three characters edited and one clause dropped: as whole clauses
        // (the old words) nearly nothing matched; in characters most of the story is carried.
        let origin = [
            "湘江新城市图书馆8日正式开馆，藏书超过一百二十万册，每天最多可接待读者一万人次。",
            "图书馆设有少儿阅览区、古籍修复室和数字阅读体验区，市民可凭身份证免费借阅。",
        ];
        let copy = [
            "湘江新城市图书馆8日正式开馆，藏书超过一百二十万册，每日最多可接待读者一万人。",
            "图书馆设有少儿阅览区和数字阅读体验区，市民可凭身份证免费借书。",
        ];
        let a = align(&origin, &copy);
        assert!(a.coverage > 0.8, "coverage {}", a.coverage);
        assert!(a.added < 0.15, "added {}", a.added);
    }

    #[test]
    fn digits_of_any_script_and_width_count_as_the_same_words() {
        let origin = ["The ministry said 1,250 people were moved on 5 March from 12 villages."];
        let wide =
            ["The ministry said １,２５０ people were moved on ５ March from １２ villages."];
        let arabic = ["The ministry said ١,٢٥٠ people were moved on ٥ March from ١٢ villages."];
        for copy in [&wide, &arabic] {
            let a = align(&origin, copy);
            assert!((a.coverage - 1.0).abs() < 1e-9, "{copy:?}: {}", a.coverage);
            assert!(a.added.abs() < 1e-9, "{copy:?}: {}", a.added);
        }
    }

    #[test]
    fn identical_copy_is_fully_covered() {
        let a = align(&ORIGIN, &ORIGIN);
        assert!(close(a.coverage, 1.0));
        assert!(close(a.added, 0.0));
        assert!(a.in_order);
        assert_eq!(a.copy_to_origin, vec![Some(0), Some(1), Some(2), Some(3)]);
        assert!(a
            .rows
            .iter()
            .all(|r| matches!(r, Row::Both { moved: false, .. })));
    }

    #[test]
    fn edited_typography_still_aligns() {
        let copy = [
            "SEOUL, South Korea - North Korea fired a ballistic missile into the sea on Tuesday, the South’s military said.",
            "The launch was the THIRD this month and came as the allies started their annual drills.",
        ];
        let a = align(&ORIGIN, &copy);
        assert_eq!(a.copy_to_origin, vec![Some(0), Some(1)]);
        assert_eq!(a.carried, vec![true, true, false, false]);
        assert!(a.coverage > 0.45 && a.coverage < 0.7, "{}", a.coverage);
        assert!(a.added < 0.1, "{}", a.added);
        assert_eq!(a.rows[2], Row::Cut(2));
        assert_eq!(a.rows[3], Row::Cut(3));
    }

    #[test]
    fn chrome_counts_as_added_and_unrelated_text_does_not_align() {
        let copy = [
            "Home > World > Asia",
            ORIGIN[0],
            ORIGIN[1],
            "Related: Stocks fall as oil prices climb for a third day",
        ];
        let a = align(&ORIGIN, &copy);
        assert_eq!(a.copy_to_origin, vec![None, Some(0), Some(1), None]);
        assert_eq!(a.rows[0], Row::Added(0));
        assert_eq!(&a.rows[3..], &[Row::Cut(2), Row::Cut(3), Row::Added(3)]);
        assert!(a.added > 0.2 && a.added < 0.5, "{}", a.added);
    }

    #[test]
    fn reordered_paragraphs_are_marked_moved() {
        let copy = [ORIGIN[0], ORIGIN[3], ORIGIN[1], ORIGIN[2]];
        let a = align(&ORIGIN, &copy);
        assert!(!a.in_order);
        assert!(close(a.coverage, 1.0));
        let moved: Vec<_> = a
            .rows
            .iter()
            .filter_map(|r| match r {
                Row::Both {
                    copy, moved: true, ..
                } => Some(*copy),
                _ => None,
            })
            .collect();
        assert_eq!(moved, vec![1]);
    }

    #[test]
    fn split_paragraph_stays_in_order() {
        let copy = [
            "The launch was the third this month",
            "and came as the allies began their annual drills.",
        ];
        let a = align(&ORIGIN, &copy);
        assert_eq!(a.copy_to_origin, vec![Some(1), Some(1)]);
        assert!(a.in_order);
    }

    #[test]
    fn empty_inputs_are_zero_not_nan() {
        let none: [&str; 0] = [];
        let a = align(&none, &none);
        assert_eq!((a.coverage, a.added), (0.0, 0.0));
        let b = align(&ORIGIN, &none);
        assert_eq!(b.rows.len(), 4);
        assert_eq!(b.coverage, 0.0);
    }

    proptest::proptest! {
        /// Whatever the paragraphs, every copy paragraph appears once in the rows, every origin
        /// paragraph is carried or cut once, and the shares stay within 0..=1.
        #[test]
        fn rows_account_for_every_paragraph(
            origin in proptest::collection::vec("[a-d ]{0,30}", 0..6),
            copy in proptest::collection::vec("[a-d ]{0,30}", 0..6),
        ) {
            let a = align(&origin, &copy);
            let mut copies = vec![0; copy.len()];
            let mut cuts = vec![0; origin.len()];
            for r in &a.rows {
                match *r {
                    Row::Both { copy: c, origin: o, .. } => {
                        copies[c] += 1;
                        proptest::prop_assert!(a.carried[o]);
                    }
                    Row::Added(c) => copies[c] += 1,
                    Row::Cut(o) => cuts[o] += 1,
                }
            }
            proptest::prop_assert!(copies.iter().all(|n| *n == 1));
            for (o, n) in cuts.iter().enumerate() {
                proptest::prop_assert_eq!(*n, usize::from(!a.carried[o]));
            }
            proptest::prop_assert!((0.0..=1.0).contains(&a.coverage));
            proptest::prop_assert!((0.0..=1.0).contains(&a.added));
        }

        /// The word diff keeps every token of both sides, in order.
        #[test]
        fn word_diff_rebuilds_both_sides(a in "[a-c ]{0,20}", b in "[a-c ]{0,20}") {
            let d = diff_words(&a, &b);
            let origin: Vec<&str> = d.iter().filter_map(|op| match op {
                WordOp::Same(w) | WordOp::Cut(w) => Some(w.as_str()),
                WordOp::Added(_) => None,
            }).collect();
            let copy: Vec<&str> = d.iter().filter_map(|op| match op {
                WordOp::Same(w) | WordOp::Added(w) => Some(w.as_str()),
                WordOp::Cut(_) => None,
            }).collect();
            fn trimmed(v: Vec<&str>) -> Vec<&str> {
                v.into_iter().map(str::trim_end).collect()
            }
            proptest::prop_assert_eq!(origin, trimmed(display_tokens(&a)));
            proptest::prop_assert_eq!(copy, trimmed(display_tokens(&b)));
        }

        /// Display tokens give the paragraph back, and split where similarity's units do.
        #[test]
        fn display_tokens_rebuild_the_text(s in "[a-c 新华社ภาษาไทย,.]{0,30}") {
            proptest::prop_assert_eq!(display_tokens(&s).concat(), s.trim_start());
            for t in display_tokens(&s) {
                proptest::prop_assert!(!t.trim_end().is_empty());
            }
        }
    }

    /// The dense dynamic program the sparse chain replaced, kept as the trivially correct slow
    /// path: O(copy x origin) memory.
    fn dense_chain(score: &[Vec<f64>], n_origin: usize) -> Vec<(usize, usize)> {
        // The same fixed-point weights as the sparse chain: equal chains are equal exactly.
        let n_copy = score.len();
        let mut dp = vec![vec![0u64; n_origin + 1]; n_copy + 1];
        for c in (0..n_copy).rev() {
            for o in (0..n_origin).rev() {
                let skip = dp[c + 1][o].max(dp[c][o + 1]);
                let s = score[c][o];
                let take = if s > 0.0 {
                    fixed(s) + dp[c + 1][o + 1]
                } else {
                    0
                };
                dp[c][o] = skip.max(take);
            }
        }
        let mut chain = Vec::new();
        let (mut c, mut o) = (0, 0);
        while c < n_copy && o < n_origin {
            let s = score[c][o];
            if s > 0.0 && fixed(s) + dp[c + 1][o + 1] == dp[c][o] {
                chain.push((c, o));
                c += 1;
                o += 1;
            } else if dp[c + 1][o] == dp[c][o] {
                c += 1;
            } else {
                o += 1;
            }
        }
        chain
    }

    fn lcs_len(d: &[WordOp]) -> usize {
        d.iter().filter(|op| matches!(op, WordOp::Same(_))).count()
    }

    fn sides(d: &[WordOp]) -> (Vec<&str>, Vec<&str>) {
        let mut o = Vec::new();
        let mut c = Vec::new();
        for op in d {
            match op {
                WordOp::Same(w) => {
                    o.push(w.as_str());
                    c.push(w.as_str());
                }
                WordOp::Cut(w) => o.push(w.as_str()),
                WordOp::Added(w) => c.push(w.as_str()),
            }
        }
        (o, c)
    }

    proptest::proptest! {
        /// The sparse chain is the dense program's chain, ties included. Scores come from a
        /// few values (and 0 for no match) so that ties are common.
        #[test]
        fn sparse_chain_equals_dense_chain(
            cells in proptest::collection::vec(proptest::collection::vec(0usize..5, 0..9), 0..9),
        ) {
            let n_origin = cells.iter().map(Vec::len).max().unwrap_or(0);
            let values = [0.0, 0.6, 0.75, 1.0, 0.0];
            let dense: Vec<Vec<f64>> = cells
                .iter()
                .map(|r| (0..n_origin).map(|o| r.get(o).map_or(0.0, |&v| values[v])).collect())
                .collect();
            let sparse: Vec<Matches> = dense
                .iter()
                .map(|r| r.iter().enumerate().filter(|(_, s)| **s > 0.0).map(|(o, s)| (o, *s)).collect())
                .collect();
            proptest::prop_assert_eq!(heaviest_chain(&sparse, n_origin), dense_chain(&dense, n_origin));
        }

        /// The linear-space word diff keeps both sides and finds a longest common subsequence
        /// as long as the dense table's.
        #[test]
        fn linear_word_diff_matches_dense(a in "[a-d ]{0,40}", b in "[a-d ]{0,40}") {
            let ta: Vec<&str> = a.split_whitespace().collect();
            let tb: Vec<&str> = b.split_whitespace().collect();
            let ka: Vec<String> = ta.iter().map(|t| t.to_string()).collect();
            let kb: Vec<String> = tb.iter().map(|t| t.to_string()).collect();
            let linear = diff_words_linear(&ta, &tb, &ka, &kb);
            let dense = diff_words(&a, &b);
            proptest::prop_assert_eq!(sides(&linear), (ta.clone(), tb.clone()));
            proptest::prop_assert_eq!(lcs_len(&linear), lcs_len(&dense));
        }
    }

    #[test]
    fn long_repetitive_documents_align_line_by_line() {
        // Every line shares "words here" with every other: the posting cap applies, and the
        // nearest candidates still find each line's own twin.
        let lines: Vec<String> = (0..3000).map(|i| format!("line {i} words here")).collect();
        let a = align(&lines, &lines);
        assert!(a
            .copy_to_origin
            .iter()
            .enumerate()
            .all(|(c, o)| *o == Some(c)));
        assert!(a.in_order);
        assert!(close(a.coverage, 1.0));
    }

    #[test]
    fn long_paragraph_diff_takes_the_linear_path() {
        let a: String = (0..3000).map(|i| format!("w{} ", i % 7)).collect();
        let b: String = (0..3000).map(|i| format!("w{} ", i % 5)).collect();
        let d = diff_words(&a, &b);
        let (o, c) = sides(&d);
        assert_eq!(o, a.split_whitespace().collect::<Vec<_>>());
        assert_eq!(c, b.split_whitespace().collect::<Vec<_>>());
    }

    #[test]
    fn word_diff_marks_cuts_and_additions() {
        let d = diff_words("the cat sat on the mat", "the black cat sat on mat");
        assert_eq!(
            d,
            vec![
                WordOp::Same("the".into()),
                WordOp::Added("black".into()),
                WordOp::Same("cat".into()),
                WordOp::Same("sat".into()),
                WordOp::Same("on".into()),
                WordOp::Cut("the".into()),
                WordOp::Same("mat".into()),
            ]
        );
    }
}
