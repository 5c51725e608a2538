//! lines.rs: what is each line of a page: a sentence, a list item, a list header, a date or a byline?
//!
//! [`features`] looks at one raw line (and the number of units `normalize` made of it) and says:
//! - [`LineFeatures::marker`]: the symbol it opens with, if that symbol is a list marker (`- `,
//!   `• `, `・`, `▶`, `› `, `— `). The marker is not looked up in a bullet alphabet: any symbol
//!   that is not a letter, a digit or an opening quote or bracket counts, and `chrome` decides
//!   from the run of lines around it whether the lines are a list (a run of lines with one marker,
//!   most of them without a sentence end) or dialogue (`— Вы давно здесь работаете?`);
//! - [`LineFeatures::sentence_end`]: it ends like a sentence, in any script (`.`, `。`, `؟`, `।`,
//!   then any closing quotes and brackets: `.“`, `。」`, `. »`);
//! - [`LineFeatures::metadata`]: a short date or time line (`Published March 5, 2024 10:00`,
//!   `05.03.2024, 10:30 Uhr`, `jeudi 2 juillet 2020 à 19h19`, `2009年03月04日 15:52`,
//!   `١ أغسطس ٢٠١٥ - ٠٨:١٣`) or a byline (`By Jane Doe`, `Von …`, `Автор: …`, `… 記者`).
//!
//! What a language contributes (month names, byline words, clock words, the characters CJK dates
//! are written with, sentence-end and quote punctuation) is data: `data/lines/*.txt`, compiled
//! in, one file per language, read together. A line is a date line if it is one in any
//! language, so the page's language is never guessed. Digits of every script count as digits.
//!
//! Invariant: the features of a line depend on that line's text alone (and its unit count);
//! any change to a table or a rule bumps [`LINE_RULES_VERSION`], which indexes record beside
//! the normalizer version, because the rules decide what is content.

use crate::normalize::{decimal_digit, is_unspaced};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// Version of the line rules and their tables (`data/lines/`). Bumped whenever a table entry or
/// a rule changes: the rules decide which lines are content, so shingles made under other rules
/// are not comparable.
pub const LINE_RULES_VERSION: u32 = 3;

/// The tables, one file per language (`data/lines/README.md` has the format).
const FILES: [(&str, &str); 12] = [
    ("common", include_str!("../data/lines/common.txt")),
    ("en", include_str!("../data/lines/en.txt")),
    ("de", include_str!("../data/lines/de.txt")),
    ("fr", include_str!("../data/lines/fr.txt")),
    ("es", include_str!("../data/lines/es.txt")),
    ("pt", include_str!("../data/lines/pt.txt")),
    ("it", include_str!("../data/lines/it.txt")),
    ("ru", include_str!("../data/lines/ru.txt")),
    ("ar", include_str!("../data/lines/ar.txt")),
    ("zh", include_str!("../data/lines/zh.txt")),
    ("ja", include_str!("../data/lines/ja.txt")),
    ("ko", include_str!("../data/lines/ko.txt")),
];

/// Sections a table file may have.
const SECTIONS: [&str; 8] = [
    "months",
    "bylines",
    "byline_ends",
    "clock_words",
    "date_chars",
    "sentence_ends",
    "closers",
    "openers",
];

/// Sections whose entries are single characters.
const CHAR_SECTIONS: [&str; 4] = ["date_chars", "sentence_ends", "closers", "openers"];

/// What [`features`] says about one line, packed into 32 bits (a corpus holds one per line of
/// every page until its shingles are made): four flags in the low byte, the marker's scalar
/// value above them.
#[derive(Clone, Copy, PartialEq, Eq, Default, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct LineFeatures(u32);

const HAS_MARKER: u32 = 1;
const SENTENCE_END: u32 = 1 << 1;
const METADATA: u32 = 1 << 2;
const HEADER: u32 = 1 << 3;

impl LineFeatures {
    /// Features with these values.
    pub fn new(marker: Option<char>, sentence_end: bool, metadata: bool, header: bool) -> Self {
        let flag = |on: bool, bit: u32| if on { bit } else { 0 };
        LineFeatures(
            marker.map_or(0, |m| (m as u32) << 8 | HAS_MARKER)
                | flag(sentence_end, SENTENCE_END)
                | flag(metadata, METADATA)
                | flag(header, HEADER),
        )
    }

    /// The symbol the line opens with when it may mark a list item (see the module doc).
    pub fn marker(self) -> Option<char> {
        if self.0 & HAS_MARKER == 0 {
            return None;
        }
        char::from_u32(self.0 >> 8)
    }

    /// The line ends like a sentence (see [`ends_like_sentence`]).
    pub fn sentence_end(self) -> bool {
        self.0 & SENTENCE_END != 0
    }

    /// A short line that is page metadata rather than story: a date or time line or a byline.
    pub fn metadata(self) -> bool {
        self.0 & METADATA != 0
    }

    /// The line may head a list: no sentence end, no digit (a figure line such as `12 mths`
    /// heads a table, not a list), and not page metadata.
    pub fn header(self) -> bool {
        self.0 & HEADER != 0
    }
}

impl std::fmt::Debug for LineFeatures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineFeatures")
            .field("marker", &self.marker())
            .field("sentence_end", &self.sentence_end())
            .field("metadata", &self.metadata())
            .field("header", &self.header())
            .finish()
    }
}

/// The features of one raw line made of `units` units.
pub fn features(raw: &str, units: usize) -> LineFeatures {
    let sentence_end = ends_like_sentence(raw);
    let metadata = !sentence_end && is_metadata(raw, units);
    LineFeatures::new(
        list_marker(raw),
        sentence_end,
        metadata,
        !sentence_end && !metadata && !has_numeric(raw),
    )
}

/// Whether `raw` holds a numeric character (`char::is_numeric`: digits of any script, `½`, `Ⅻ`).
fn has_numeric(raw: &str) -> bool {
    if raw.is_ascii() {
        // The only numeric ASCII characters are the digits.
        raw.bytes().any(|b| b.is_ascii_digit())
    } else {
        raw.chars().any(char::is_numeric)
    }
}

/// The tables of `data/lines/`, all languages merged.
#[derive(Debug, Default)]
struct Tables {
    months: BTreeSet<String>,
    bylines: BTreeSet<String>,
    byline_ends: BTreeSet<String>,
    /// The entries of `bylines` and `byline_ends` written in unspaced scripts (they match
    /// glued to a name), in table order.
    unspaced_bylines: Vec<String>,
    unspaced_byline_ends: Vec<String>,
    clock_words: BTreeSet<String>,
    date_chars: CharSet,
    sentence_ends: CharSet,
    closers: CharSet,
    openers: CharSet,
}

/// A set of characters, with the ASCII ones as bits: every line asks about its last characters
/// (and most lines are ASCII), so the common lookups cost a shift instead of a tree search.
#[derive(Debug, Default)]
struct CharSet {
    ascii: u128,
    other: BTreeSet<char>,
}

impl CharSet {
    fn insert(&mut self, c: char) -> bool {
        if c.is_ascii() {
            let had = self.ascii >> (c as u32) & 1 == 1;
            self.ascii |= 1 << (c as u32);
            !had
        } else {
            self.other.insert(c)
        }
    }

    #[inline]
    fn contains(&self, c: char) -> bool {
        if c.is_ascii() {
            self.ascii >> (c as u32) & 1 == 1
        } else {
            self.other.contains(&c)
        }
    }
}

/// `(section, entry)` of every entry of a table file, or what is wrong with the file.
fn parse(text: &'static str) -> Result<Vec<(&'static str, &'static str)>, String> {
    let mut section: Option<&'static str> = None;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        // `#` starts a comment; no entry holds one.
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            if !SECTIONS.contains(&name) {
                return Err(format!("line {}: unknown section [{name}]", n + 1));
            }
            section = SECTIONS.iter().copied().find(|s| *s == name);
            continue;
        }
        let Some(s) = section else {
            return Err(format!("line {}: entry before any section", n + 1));
        };
        for entry in line.split_whitespace() {
            if CHAR_SECTIONS.contains(&s) && entry.chars().count() != 1 {
                return Err(format!(
                    "line {}: [{s}] takes single characters: {entry}",
                    n + 1
                ));
            }
            out.push((s, entry));
        }
    }
    Ok(out)
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut t = Tables::default();
        for (_, text) in FILES {
            // The files are compiled in and a unit test parses each: an error cannot reach here.
            for (section, entry) in parse(text).unwrap_or_default() {
                let word = entry.to_lowercase();
                let c = entry.chars().next().unwrap_or(' ');
                match section {
                    "months" => t.months.insert(word),
                    "bylines" => t.bylines.insert(word),
                    "byline_ends" => t.byline_ends.insert(word),
                    "clock_words" => t.clock_words.insert(word),
                    "date_chars" => t.date_chars.insert(c),
                    "sentence_ends" => t.sentence_ends.insert(c),
                    "closers" => t.closers.insert(c),
                    _ => t.openers.insert(c),
                };
            }
        }
        let unspaced = |set: &BTreeSet<String>| -> Vec<String> {
            set.iter()
                .filter(|b| b.chars().all(is_unspaced))
                .cloned()
                .collect()
        };
        t.unspaced_bylines = unspaced(&t.bylines);
        t.unspaced_byline_ends = unspaced(&t.byline_ends);
        t
    })
}

/// The symbol a line opens with, if it may mark a list item: not a letter, digit, mark or
/// opening quote or bracket, and followed by text on the line. An ASCII symbol must be followed
/// by white space (`- item`, `* item`, `> item`): glued to a word it is text (`-5 °C`, `*Note`,
/// `--`). Other symbols may be glued (`・見出し`, `▶Titel`, `•Item`).
pub fn list_marker(raw: &str) -> Option<char> {
    let t = raw.trim_start();
    let mut it = t.chars();
    let c = it.next()?;
    if c.is_alphanumeric() || is_mark(c) || tables().openers.contains(c) {
        return None;
    }
    let rest = it.as_str();
    if c.is_ascii() && !rest.starts_with(char::is_whitespace) {
        return None;
    }
    rest.chars().any(char::is_alphanumeric).then_some(c)
}

/// Combining marks (which belong to the character before them, not to a list).
fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A
        | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED | 0x0900..=0x0903 | 0x093A..=0x094F
        | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0x3099..=0x309A | 0xFE20..=0xFE2F)
}

/// Does a raw line end like a sentence: a sentence end of any script (`.`, `!`, `?`, `:`, `。`,
/// `！`, `？`, `؟`, `।`, ...), then any closing quotes and brackets (`."`, `.“`, `。」`, `. »`)?
/// The [`LineFeatures::sentence_end`] feature.
pub fn ends_like_sentence(raw: &str) -> bool {
    let t = tables();
    let trimmed = raw.trim_end_matches(|c: char| c.is_whitespace() || t.closers.contains(c));
    trimmed
        .chars()
        .next_back()
        .is_some_and(|c| t.sentence_ends.contains(c))
}

/// The most units a date line or byline may have (in scripts written with spaces).
const MAX_METADATA_UNITS: usize = 10;
/// The most whitespace-separated words a date line may have.
const MAX_METADATA_WORDS: usize = 10;
/// The most words a byline may have.
const MAX_BYLINE_WORDS: usize = 6;
/// The most characters of unspaced scripts, beyond those dates are written with, that a date
/// line may hold (`发布时间：`, `配信`, a weekday).
const MAX_UNSPACED_OTHER: usize = 8;

/// Short date/time lines and bylines, in any language of the tables. The caller has checked
/// that the line does not end like a sentence.
fn is_metadata(raw: &str, units: usize) -> bool {
    let unspaced = !raw.is_ascii() && raw.chars().any(is_unspaced);
    if units > MAX_METADATA_UNITS && !unspaced {
        return false;
    }
    let words = word_count(raw);
    if words > MAX_METADATA_WORDS {
        return false;
    }
    let t = tables();
    if words <= MAX_BYLINE_WORDS && is_byline(raw, t) {
        return true;
    }
    is_date_line(raw, units, t)
}

/// The ASCII white space of `char::is_whitespace`: tab to carriage return, and space.
fn is_space_byte(b: u8) -> bool {
    matches!(b, 0x09..=0x0D | b' ')
}

/// `raw.split_whitespace().count()`, a byte at a time on ASCII: a word starts at a byte other
/// than tab to carriage return and space that follows one of them.
fn word_count(raw: &str) -> usize {
    if !raw.is_ascii() {
        return raw.split_whitespace().count();
    }
    let b = raw.as_bytes();
    usize::from(b.first().is_some_and(|&c| !is_space_byte(c)))
        + b.windows(2)
            .filter(|w| is_space_byte(w[0]) && !is_space_byte(w[1]))
            .count()
}

/// A word as the tables hold it: lower-cased, without the trailing `.`, `:` or `：` of an
/// abbreviation or a label (`Sept.`, `Автор:`). A short ASCII word is lowered in `buf`.
fn table_word<'a>(w: &'a str, buf: &'a mut [u8; 32]) -> Cow<'a, str> {
    let w = w.trim_end_matches(['.', ':', '：', ',', '،']);
    if !w.is_ascii() {
        return Cow::Owned(w.to_lowercase());
    }
    let Some(lowered) = buf.get_mut(..w.len()) else {
        return Cow::Owned(w.to_ascii_lowercase());
    };
    lowered.copy_from_slice(w.as_bytes());
    lowered.make_ascii_lowercase();
    // ASCII bytes lowered are ASCII: always UTF-8.
    Cow::Borrowed(std::str::from_utf8(lowered).unwrap_or_default())
}

/// `By Jane Doe`, `Автор: …`, `记者王伟`, `山田太郎 記者`: a line opened by a byline word or
/// closed by a byline ending. Entries of unspaced scripts match as a prefix or suffix of the
/// first or last word, since those scripts put no space after them.
fn is_byline(raw: &str, t: &Tables) -> bool {
    let mut words = raw.split_whitespace();
    let (Some(first), Some(last)) = (words.next(), raw.split_whitespace().next_back()) else {
        return false;
    };
    // A byline names someone: the byline word alone is not one.
    let named = words.next().is_some();
    // An ASCII line holds no unspaced entry (they are all written in unspaced scripts).
    let short_unspaced = !raw.is_ascii() && raw.chars().filter(|&c| is_unspaced(c)).count() <= 12;
    if !named && !short_unspaced {
        return false;
    }
    let (mut fb, mut lb) = ([0u8; 32], [0u8; 32]);
    let (f, l) = (table_word(first, &mut fb), table_word(last, &mut lb));
    (named && (t.bylines.contains(f.as_ref()) || t.byline_ends.contains(l.as_ref())))
        || (short_unspaced
            && t.unspaced_bylines
                .iter()
                .any(|b| f.starts_with(b.as_str()) && f.len() > b.len()))
        || (short_unspaced
            && t.unspaced_byline_ends
                .iter()
                .any(|b| l.ends_with(b.as_str()) && l.len() > b.len()))
}

/// A piece of a line, for date patterns.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Piece {
    /// A run of digits (of any script): its length and first digit.
    Number(usize, u8),
    /// A run of letters of spaced scripts (and combining marks): its byte range in the line.
    Word(usize, usize),
    /// One character of an unspaced script.
    Unspaced(char),
    /// Punctuation or a symbol.
    Symbol(char),
    /// White space.
    Space,
}

fn pieces(raw: &str) -> Vec<Piece> {
    if raw.is_ascii() {
        ascii_pieces(raw.as_bytes())
    } else {
        unicode_pieces(raw)
    }
}

fn unicode_pieces(raw: &str) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    for (i, c) in raw.char_indices() {
        let piece = if let Some(v) = decimal_digit(c) {
            if let Some(Piece::Number(n, _)) = out.last_mut() {
                *n += 1;
                continue;
            }
            Piece::Number(1, v)
        } else if is_unspaced(c) {
            Piece::Unspaced(c)
        } else if c.is_alphabetic() || is_mark(c) {
            if let Some(Piece::Word(_, end)) = out.last_mut() {
                *end = i + c.len_utf8();
                continue;
            }
            Piece::Word(i, i + c.len_utf8())
        } else if c.is_whitespace() {
            if matches!(out.last(), Some(Piece::Space)) {
                continue;
            }
            Piece::Space
        } else {
            Piece::Symbol(c)
        };
        out.push(piece);
    }
    out
}

/// [`pieces`] of an ASCII line, a byte at a time: the same classes, as ASCII has no unspaced
/// characters or marks and its only digits, letters and white space are `0-9`, `A-Za-z` and
/// tab to carriage return and space.
fn ascii_pieces(raw: &[u8]) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::with_capacity(raw.len() / 2);
    for (i, &b) in raw.iter().enumerate() {
        let piece = if b.is_ascii_digit() {
            if let Some(Piece::Number(n, _)) = out.last_mut() {
                *n += 1;
                continue;
            }
            Piece::Number(1, b - b'0')
        } else if b.is_ascii_alphabetic() {
            if let Some(Piece::Word(_, end)) = out.last_mut() {
                *end = i + 1;
                continue;
            }
            Piece::Word(i, i + 1)
        } else if is_space_byte(b) {
            if matches!(out.last(), Some(Piece::Space)) {
                continue;
            }
            Piece::Space
        } else {
            Piece::Symbol(char::from(b))
        };
        out.push(piece);
    }
    out
}

/// A word lower-cased one character at a time (as the tables are matched), into `buf`.
fn lower_into<'a>(word: &str, buf: &'a mut String) -> &'a str {
    buf.clear();
    if word.is_ascii() {
        buf.push_str(word);
        buf.make_ascii_lowercase();
    } else {
        buf.extend(word.chars().flat_map(char::to_lowercase));
    }
    buf
}

/// Whether a line is a date or time line: a numeric date (`2024-03-05`, `05.03.2024`,
/// `13/12/2017`, `2024年3月5日`, `3月5日`), or two of: a year (a four-digit number from 1000 to
/// 2999), a clock time (`10:30`, `10h30`, `10.30 Uhr`, `10時30分`), a month name of any
/// language in the tables. A line of more than
/// [`MAX_METADATA_UNITS`] units may hold at most [`MAX_UNSPACED_OTHER`] characters of unspaced
/// scripts beyond the tables' date characters.
///
/// The month names and the unspaced characters are only looked at when the numbers alone do
/// not decide: most lines with a number hold no year and no clock.
fn is_date_line(raw: &str, units: usize, t: &Tables) -> bool {
    let digits = if raw.is_ascii() {
        raw.bytes().any(|b| b.is_ascii_digit())
    } else {
        raw.chars().any(|c| decimal_digit(c).is_some())
    };
    if !digits {
        return false;
    }
    let p = pieces(raw);
    let mut lower = String::new();
    let num = |i: usize| match p.get(i) {
        Some(Piece::Number(n, _)) => Some(*n),
        _ => None,
    };
    let (mut year, mut clock, mut numeric_date) = (false, false, false);
    for (i, piece) in p.iter().enumerate() {
        let Piece::Number(n, first) = *piece else {
            continue;
        };
        // A year is 1000-2999 (digits of any script).
        year |= n == 4 && matches!(first, 1 | 2);
        if (1..=2).contains(&n) {
            // 10:30, 10h30, 10時30分, 10.30 Uhr, 15 Uhr.
            let joined = match p.get(i + 1) {
                Some(Piece::Symbol(':' | '：')) => true,
                Some(&Piece::Word(a, b)) => {
                    raw[a..b].chars().flat_map(char::to_lowercase).eq(['h'])
                }
                Some(Piece::Unspaced('時' | '时' | '点')) => true,
                _ => false,
            };
            clock |= joined && num(i + 2) == Some(2);
            let mut word_after = |j: usize| match (p.get(j), p.get(j + 1)) {
                (Some(Piece::Space), Some(&Piece::Word(a, b))) => {
                    t.clock_words.contains(lower_into(&raw[a..b], &mut lower))
                }
                _ => false,
            };
            clock |= word_after(i + 1)
                || (matches!(p.get(i + 1), Some(Piece::Symbol('.')))
                    && num(i + 2) == Some(2)
                    && word_after(i + 3));
        }
        // 2024-03-05, 05.03.2024, 13/12/2017, 5.3.24.
        if let (Some(Piece::Symbol(s)), Some(b), Some(Piece::Symbol(s2)), Some(c)) =
            (p.get(i + 1), num(i + 2), p.get(i + 3), num(i + 4))
        {
            let sep = matches!(s, '.' | '/' | '-') && s == s2;
            let ymd = n == 4 && b <= 2 && c <= 2;
            let dmy = n <= 2 && b <= 2 && (c == 4 || c == 2);
            numeric_date |= sep && (ymd || dmy);
        }
        // 2024年3月5日, 3月5日.
        let cjk = |j: usize, a: char| matches!(p.get(j), Some(Piece::Unspaced(x)) if *x == a);
        numeric_date |= (cjk(i + 1, '年') && num(i + 2).is_some() && cjk(i + 3, '月'))
            || (cjk(i + 1, '月') && num(i + 2).is_some() && (cjk(i + 3, '日') || cjk(i + 3, '号')));
    }
    let date = numeric_date
        || (clock && year)
        || ((year || clock)
            && p.iter().any(|piece| match *piece {
                Piece::Word(a, b) => t.months.contains(lower_into(&raw[a..b], &mut lower)),
                _ => false,
            }));
    if !date || units <= MAX_METADATA_UNITS {
        return date;
    }
    let unspaced_other = p
        .iter()
        .filter(|piece| matches!(piece, Piece::Unspaced(c) if !t.date_chars.contains(*c)))
        .count();
    unspaced_other <= MAX_UNSPACED_OTHER
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_unpack_as_packed() {
        for marker in [None, Some('-'), Some('•'), Some('\u{10FFFF}'), Some('\0')] {
            for bits in 0..8u8 {
                let (s, m, h) = (bits & 1 != 0, bits & 2 != 0, bits & 4 != 0);
                let f = LineFeatures::new(marker, s, m, h);
                assert_eq!(
                    (f.marker(), f.sentence_end(), f.metadata(), f.header()),
                    (marker, s, m, h)
                );
            }
        }
        assert_eq!(std::mem::size_of::<crate::normalize::Line>(), 24);
    }

    fn meta(line: &str) -> bool {
        let n = crate::normalize::units(line, crate::normalize::UnspacedScripts::Characters)
            .units
            .len();
        features(line, n).metadata()
    }

    #[test]
    fn every_table_parses_without_duplicates() {
        for (name, text) in FILES {
            let entries = parse(text).unwrap_or_else(|e| panic!("data/lines/{name}.txt: {e}"));
            assert!(!entries.is_empty(), "{name}");
            let mut seen = BTreeSet::new();
            for (s, e) in &entries {
                assert!(
                    seen.insert((*s, e.to_lowercase())),
                    "{name}: [{s}] {e} twice"
                );
            }
        }
        assert_eq!(
            parse("[months]\njan\n[weekdays]\nmon"),
            Err("line 3: unknown section [weekdays]".into())
        );
        assert_eq!(parse("jan"), Err("line 1: entry before any section".into()));
        assert!(parse("[closers]\n»»").is_err());
    }

    proptest::proptest! {
        /// The byte-at-a-time pieces and word count of an ASCII line are the general paths' answers.
        #[test]
        fn ascii_paths_agree_with_the_general_ones(line in "[ -~\t\x0b\x0c\r]{0,80}") {
            proptest::prop_assert_eq!(ascii_pieces(line.as_bytes()), unicode_pieces(&line));
            proptest::prop_assert_eq!(word_count(&line), line.split_whitespace().count());
        }
    }

    #[test]
    fn date_lines_in_every_language() {
        for line in [
            "Published March 28, 1987 00:37",
            "Updated 5:00 PM UTC, March 10, 2024",
            "Updated 2024-03-05",
            "Mittwoch, 26. August 2015, 15:33 Uhr",
            "05.03.2024, 10:30 Uhr",
            "Veröffentlicht am Freitag, 25. März 2016, 01:22 Uhr",
            "Publié le jeudi 18 juin 2020 à 20h01",
            "5 mars 2024 à 10h30",
            "13/12/2017 15h49",
            "jueves, 25 de mayo de 2000, 14:44",
            "Publicado em 05/01/2018 10h59",
            "19 апреля 2020, 12:25",
            "Опубликовано: 6 февраля 2011, 17:10",
            "نشر في: 22 يوليو 2015 - 04:34",
            "١ أغسطس ٢٠١٥ - ٠٨:١٣",
            "2009年03月04日 15:52",
            "发布时间：2009年12月13日 20:29",
            "2007年6月29日(金) 20時05分 配信",
            "２００７年６月２９日（金） ２０時０５分 配信",
            "2024년 3월 5일 10:30",
        ] {
            assert!(meta(line), "{line}");
        }
    }

    #[test]
    fn story_lines_with_dates_are_not_metadata() {
        for line in [
            "LONDON, March 5 (Reuters) - Shares rose sharply on Monday in early trade.",
            "May",
            "Der Nationalrat tagt am 5. März 2024 wieder in Wien, sagte der Sprecher",
            "МОСКВА, 5 марта. /ТАСС/. Президент провел совещание с членами правительства",
            "2009年3月4日国务院召开常务会议研究部署深化医药卫生体制改革工作",
            "Retrouvailles à la portière dans une maison de retraite anglaise",
            "Shr loss 15 cts vs loss 11 cts",
            "Net loss 632,000 vs loss 437,000",
        ] {
            assert!(!meta(line), "{line}");
        }
    }

    #[test]
    fn bylines_in_every_language() {
        for line in [
            "By Jane Doe",
            "Von Florian Fischer",
            "Par Marie Laurent",
            "Por Juan Pérez",
            "Автор: Наталья Бондаренко",
            "بقلم: فهد الشمري",
            "记者 王伟",
            "记者王伟",
            "山田太郎 記者",
            "山田太郎記者",
            "홍길동 기자",
        ] {
            assert!(meta(line), "{line}");
        }
        for line in [
            "By",
            "Von Wien nach Berlin und zurück in den Süden des Landes",
            "记者",
            "Por que o Brasil perdeu?",
            "記者会見で首相は増税の方針を改めて説明し、理解を求めた",
        ] {
            assert!(!meta(line), "{line}");
        }
    }

    #[test]
    fn sentence_ends_of_every_script() {
        for line in [
            "He said: \"It rained.\"",
            "Er sagte: „Es regnet.“",
            "« Paris ne se vide pas. »",
            "«Не знаю», — сказал он.",
            "首相は「増税はしない。」",
            "会议在北京举行。",
            "هل سيتغير شيء؟",
            "यह खबर सही है।",
            "Where next?)",
            "Они ответили:",
        ] {
            assert!(ends_like_sentence(line), "{line}");
        }
        for line in [
            "Port Strike Enters Third Week",
            "Die Regierung Valls will einen niedrigen Kündigungsschutz …",
            "ピストでの公道走行に罰金、日本で初適用",
            "",
        ] {
            assert!(!ends_like_sentence(line), "{line}");
        }
    }

    #[test]
    fn list_markers_are_any_leading_symbol() {
        for (line, marker) in [
            ("- Port Strike Enters Third Week", '-'),
            ("* Mayor Wins Vote", '*'),
            ("• Canicule : 45 départements en vigilance orange", '•'),
            ("· 大解密：基金震荡市投资直击", '·'),
            ("・愛知長久手で立てこもり", '・'),
            ("▶Neue Regierung vereidigt", '▶'),
            ("› Weitere Meldungen", '›'),
            ("→ Mehr zum Thema", '→'),
            ("— Вы давно здесь работаете?", '—'),
            ("– Oui, depuis vingt ans.", '–'),
            ("> Quoted headline", '>'),
        ] {
            assert_eq!(list_marker(line), Some(marker), "{line}");
        }
        for line in [
            "Plain text",
            "-5 °C in Moskau",
            "*Note: times are local",
            "--",
            "« Paris ne se vide pas »",
            "„Es regnet“, sagte er.",
            "「増税はしない」と首相",
            "【東京共同】毎日新聞によると",
            "(AP) — text",
            "• ",
            "١٢ شخصا",
        ] {
            assert_eq!(list_marker(line), None, "{line}");
        }
    }
}
