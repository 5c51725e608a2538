//! align.rs: which paragraphs of its origin does a copy carry, in what order, and what does it add?
//!
//! Paragraph-level alignment of a copy against the story it was taken from. Pure functions on
//! paragraphs (`&[S]` with `S: AsRef<str>`); nothing here allocates more than the paragraphs'
//! words.
//!
//! How it works:
//! - Every paragraph becomes a sequence of *words*: Unicode-lowercased runs of alphanumeric
//!   characters, so that typography (curly quotes, dashes, case, spacing) does not matter.
//! - Two paragraphs *match* when the overlap coefficient of their word-bigram sets (shared
//!   bigrams over the smaller set) reaches [`AlignConfig::min_containment`] (0.6) and they share
//!   at least two bigrams. A paragraph with a few words edited still matches; a paragraph cut to
//!   its first sentence matches; two unrelated paragraphs sharing a stock phrase do not.
//! - The alignment is the heaviest order-preserving chain of matches (dynamic programming over
//!   the match matrix); a copy paragraph that matches the story but out of order is `moved`.
//! - [`Alignment::coverage`] is the share of the origin's words that the copy carries: words of
//!   origin paragraphs that some copy paragraph matched and that occur in a matching copy
//!   paragraph. [`Alignment::added`] is the share of the copy's words that are not the story's:
//!   all words of unmatched copy paragraphs plus the words of matched ones that their origin
//!   paragraphs lack.
//!
//! Invariant: the result depends only on the paragraph texts and the config; ties are broken
//! towards the lower paragraph index, so output is deterministic.

use std::collections::BTreeSet;

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
}

impl Alignment {
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

/// Word bigrams of a word sequence; a one-word paragraph is its own single "bigram".
fn bigrams(w: &[String]) -> BTreeSet<(&str, &str)> {
    match w.len() {
        0 => BTreeSet::new(),
        1 => std::iter::once((w[0].as_str(), "")).collect(),
        _ => w
            .windows(2)
            .map(|p| (p[0].as_str(), p[1].as_str()))
            .collect(),
    }
}

/// Overlap coefficient of two bigram sets and their intersection size.
fn overlap(a: &BTreeSet<(&str, &str)>, b: &BTreeSet<(&str, &str)>) -> (f64, usize) {
    if a.is_empty() || b.is_empty() {
        return (0.0, 0);
    }
    let inter = a.intersection(b).count();
    (inter as f64 / a.len().min(b.len()) as f64, inter)
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
    let ow: Vec<Vec<String>> = origin.iter().map(|p| words(p.as_ref())).collect();
    let cw: Vec<Vec<String>> = copy.iter().map(|p| words(p.as_ref())).collect();
    let ob: Vec<_> = ow.iter().map(|w| bigrams(w)).collect();
    let cb: Vec<_> = cw.iter().map(|w| bigrams(w)).collect();

    // score[c][o]: the match score, or 0 when below the threshold.
    let score: Vec<Vec<f64>> = cb
        .iter()
        .map(|c| {
            ob.iter()
                .map(|o| {
                    let (s, inter) = overlap(c, o);
                    let enough = inter >= 2 || (inter == 1 && c.len().min(o.len()) == 1);
                    if enough && s >= config.min_containment {
                        s
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();

    let chain = heaviest_chain(&score, origin.len());

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
    let mut carried = vec![false; origin.len()];
    for o in copy_to_origin.iter().flatten() {
        carried[*o] = true;
    }

    // Words: coverage counts origin tokens found in a matching copy paragraph.
    let mut carried_words: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); origin.len()];
    let mut story_words: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); copy.len()];
    for (c, o) in copy_to_origin.iter().enumerate() {
        if let Some(o) = o {
            carried_words[*o].extend(cw[c].iter().map(String::as_str));
            story_words[c].extend(ow[*o].iter().map(String::as_str));
        }
    }
    let origin_total: usize = ow.iter().map(Vec::len).sum();
    let origin_carried: usize = ow
        .iter()
        .zip(&carried_words)
        .map(|(w, set)| w.iter().filter(|x| set.contains(x.as_str())).count())
        .sum();
    let copy_total: usize = cw.iter().map(Vec::len).sum();
    let copy_added: usize = cw
        .iter()
        .zip(&story_words)
        .map(|(w, set)| w.iter().filter(|x| !set.contains(x.as_str())).count())
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
    }
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

/// The best-scoring origin paragraph of a copy paragraph's score row (lowest index on ties).
fn best(row: &[f64]) -> Option<usize> {
    let mut pick: Option<(usize, f64)> = None;
    for (o, &s) in row.iter().enumerate() {
        if s > 0.0 && pick.map_or(true, |(_, b)| s > b) {
            pick = Some((o, s));
        }
    }
    pick.map(|(o, _)| o)
}

/// The heaviest chain of matches (c, o) increasing in both c and o: a weighted longest common
/// subsequence. O(copy × origin), which is small for news paragraphs.
fn heaviest_chain(score: &[Vec<f64>], n_origin: usize) -> Vec<(usize, usize)> {
    let n_copy = score.len();
    // dp[c][o]: best weight using copy[c..] and origin[o..].
    let mut dp = vec![vec![0.0f64; n_origin + 1]; n_copy + 1];
    for c in (0..n_copy).rev() {
        for o in (0..n_origin).rev() {
            let skip = dp[c + 1][o].max(dp[c][o + 1]);
            let s = score[c][o];
            let take = if s > 0.0 { s + dp[c + 1][o + 1] } else { 0.0 };
            dp[c][o] = skip.max(take);
        }
    }
    let mut chain = Vec::new();
    let (mut c, mut o) = (0, 0);
    while c < n_copy && o < n_origin {
        let s = score[c][o];
        if s > 0.0 && (s + dp[c + 1][o + 1] - dp[c][o]).abs() < 1e-12 {
            chain.push((c, o));
            c += 1;
            o += 1;
        } else if (dp[c + 1][o] - dp[c][o]).abs() < 1e-12 {
            c += 1;
        } else {
            o += 1;
        }
    }
    chain
}

/// The side-by-side rows: copy paragraphs in copy order, each cut origin paragraph placed just
/// before the next chain pair that follows it in the origin.
fn rows(
    chain: &[(usize, usize)],
    copy_to_origin: &[Option<usize>],
    score: &[Vec<f64>],
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
                    score: score[c][*o],
                    moved: false,
                });
                if chain_iter.peek().is_none() {
                    // The story ends here: its remaining cut paragraphs go before any trailer.
                    flush_cuts(&mut out, &mut next_origin, carried.len(), carried);
                }
            }
            (Some(o), false) => {
                // In order when it sits between its chain neighbours (a split paragraph).
                let after_prev = last_chain_origin.map_or(true, |p| *o >= p);
                let before_next = chain_iter.peek().map_or(true, |&&(_, no)| *o <= no);
                out.push(Row::Both {
                    origin: *o,
                    copy: c,
                    score: score[c][*o],
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

/// One token of a word-level diff between two paragraphs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WordOp {
    /// A word both paragraphs have at this point (the copy's spelling).
    Same(String),
    /// A word only the origin has: the copy cut it.
    Cut(String),
    /// A word only the copy has: the copy added it.
    Added(String),
}

/// Word-level diff of an origin paragraph against a copy paragraph (longest common subsequence
/// of whitespace-separated tokens compared by their [`words`]). Tokens keep their spelling, so
/// the view shows the text as published.
pub fn diff_words(origin: &str, copy: &str) -> Vec<WordOp> {
    let a: Vec<&str> = origin.split_whitespace().collect();
    let b: Vec<&str> = copy.split_whitespace().collect();
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
            proptest::prop_assert_eq!(origin, a.split_whitespace().collect::<Vec<_>>());
            proptest::prop_assert_eq!(copy, b.split_whitespace().collect::<Vec<_>>());
        }
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
