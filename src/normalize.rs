//! normalize.rs: what text do we compare?
//!
//! Turns a document's text into *units*: hashed, normalized word tokens, line by line. The
//! normalization is, in order: typographic folding (curly quotes, primes, the dash family and
//! exotic spaces become their ASCII forms), Unicode NFKC, Unicode default case folding, then
//! UAX#29 word segmentation keeping words that hold a letter or digit. Words of unspaced scripts
//! (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) are split into one unit per character when
//! [`UnspacedScripts::Characters`] is chosen (the default), so that word shingles over them become
//! character shingles automatically.
//!
//! Lines are kept because pages are made of lines: navigation, headline lists and footers are
//! whole lines, and `chrome` recognises them line by line.
//!
//! Invariant: ASCII lines take a fast path that gives exactly the units the Unicode path gives
//! (a property test checks this); any change to what a unit is bumps [`NORMALIZER_VERSION`].

use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;
use xxhash_rust::xxh3::xxh3_64;

/// Version of the normalization rules; recorded in every signature.
pub const NORMALIZER_VERSION: u32 = 1;

/// How words of scripts written without spaces are cut into units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UnspacedScripts {
    /// One unit per character (default): word shingles over them are character shingles.
    Characters,
    /// Keep UAX#29 words as they come (Thai runs stay whole).
    Words,
}

/// One line of a document after normalization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    /// First unit of the line in [`Units::units`].
    pub start: u32,
    /// One past the last unit.
    pub end: u32,
    /// Hash of the line's units: equal for lines that normalize to the same words.
    pub hash: u64,
    /// 0-based index of the line in `text.lines()`.
    pub raw: u32,
    /// The raw line starts with a list bullet (`-`, `*`, `•`, `·`, `–`, `—`, `►`).
    pub bullet: bool,
    /// The raw line ends like a sentence (`.`, `!`, `?`, `:` or a closing quote after one).
    pub sentence_end: bool,
    /// Most of the raw line's words (at least three) start with a capital: a headline.
    pub title_case: bool,
    /// A short line that is page metadata rather than story: a date or time line
    /// ("Published March 5, 2024 10:00", "Updated 2024-03-05") or a byline ("By Jane Doe").
    pub metadata: bool,
}

impl Line {
    /// Number of units on the line.
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    /// Whether the line has no units.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// A document as units and lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Units {
    /// xxh3-64 of each unit's normalized UTF-8 text, in text order.
    pub units: Vec<u64>,
    /// Lines with at least one unit, in text order.
    pub lines: Vec<Line>,
}

/// Hash of one unit's normalized text.
#[inline]
pub fn unit_hash(text: &str) -> u64 {
    xxh3_64(text.as_bytes())
}

/// Normalize `text` into units and lines.
pub fn units(text: &str, unspaced: UnspacedScripts) -> Units {
    let mut out = Units {
        units: Vec::with_capacity(text.len() / 5),
        lines: Vec::new(),
    };
    let mut scratch = String::new();
    let mut folded = Vec::new();
    for (raw_index, raw) in text.lines().enumerate() {
        let start = out.units.len() as u32;
        if raw.is_ascii() {
            ascii_units(raw.as_bytes(), &mut scratch, &mut out.units);
        } else if fold_to_ascii(raw, &mut folded) {
            ascii_units(&folded, &mut scratch, &mut out.units);
        } else {
            unicode_units(raw, unspaced, &mut scratch, &mut out.units);
        }
        let end = out.units.len() as u32;
        if end > start {
            let hash = xxh3_64(bytemuck::cast_slice(&out.units[start as usize..]));
            out.lines.push(Line {
                start,
                end,
                hash,
                raw: raw_index as u32,
                bullet: starts_with_bullet(raw),
                sentence_end: ends_like_sentence(raw),
                title_case: is_title_case(raw),
                metadata: is_metadata(raw, (end - start) as usize),
            });
        }
    }
    out
}

/// The normalized words of `text`, for display and for callers that want text, not hashes.
pub fn words(text: &str) -> Vec<String> {
    let folded = fold(text);
    let mut v = Vec::new();
    for w in folded.unicode_words() {
        v.push(w.to_string());
    }
    v
}

/// Typographic folding, NFKC and case folding of a whole string.
pub fn fold(text: &str) -> String {
    let typo: String = text.chars().map(fold_char).collect();
    let nfkc: String = typo.nfkc().collect();
    caseless::default_case_fold_str(&nfkc)
}

fn fold_char(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{02BC}'
        | '\u{FF07}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' => '"',
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => '-',
        '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
        '\u{00AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => '\u{200B}',
        _ => c,
    }
}

/// Symbols that every normalization step leaves alone and that UAX#29 treats as word
/// separators: in a line they may be replaced by a space.
fn is_separator_symbol(c: char) -> bool {
    matches!(
        c,
        '\u{00A3}'
            | '\u{00A2}'
            | '\u{00A5}'
            | '\u{20AC}'
            | '\u{00A9}'
            | '\u{00AE}'
            | '\u{00B0}'
            | '\u{00A7}'
            | '\u{00B6}'
            | '\u{2022}'
            | '\u{2020}'
            | '\u{2021}'
    )
}

/// Fold a mostly-ASCII line to the ASCII text the Unicode path would see, when every non-ASCII
/// character is typographic (quotes, dashes, spaces, invisible marks), an ellipsis (NFKC makes
/// it "...") or a separator symbol. Returns false (and the caller takes the Unicode path) for
/// anything else, such as letters with accents.
fn fold_to_ascii(raw: &str, out: &mut Vec<u8>) -> bool {
    out.clear();
    for c in raw.chars() {
        if c.is_ascii() {
            out.push(c as u8);
            continue;
        }
        let f = fold_char(c);
        if f == '\u{200B}' {
            continue;
        }
        if f.is_ascii() {
            out.push(f as u8);
        } else if c == '\u{2026}' {
            out.extend_from_slice(b"...");
        } else if is_separator_symbol(c) {
            out.push(b' ');
        } else {
            return false;
        }
    }
    true
}

fn unicode_units(raw: &str, unspaced: UnspacedScripts, scratch: &mut String, out: &mut Vec<u64>) {
    // Zero-width characters and soft hyphens are dropped so that "co\u{AD}operate" is one word.
    let typo: String = raw
        .chars()
        .map(fold_char)
        .filter(|&c| c != '\u{200B}')
        .collect();
    // NFKC is skipped when the quick check proves the text already normalized (most Latin
    // text); case folding is per character, so ASCII is lowered inline and only the rest goes
    // through the folding tables.
    let nfkc: std::borrow::Cow<'_, str> = match unicode_normalization::is_nfkc_quick(typo.chars()) {
        unicode_normalization::IsNormalized::Yes => std::borrow::Cow::Borrowed(&typo),
        _ => std::borrow::Cow::Owned(typo.nfkc().collect()),
    };
    let mut folded = String::with_capacity(nfkc.len());
    for c in nfkc.chars() {
        if c.is_ascii() {
            folded.push(c.to_ascii_lowercase());
        } else {
            folded.extend(caseless::Caseless::default_case_fold(std::iter::once(c)));
        }
    }
    if folded.is_ascii() {
        ascii_units(folded.as_bytes(), scratch, out);
        return;
    }
    for w in folded.unicode_words() {
        if unspaced == UnspacedScripts::Characters && w.chars().any(is_unspaced) {
            // Split into runs: unspaced characters one by one, other runs whole.
            scratch.clear();
            for c in w.chars() {
                if is_unspaced(c) {
                    if !scratch.is_empty() {
                        out.push(unit_hash(scratch));
                        scratch.clear();
                    }
                    let mut buf = [0u8; 4];
                    out.push(unit_hash(c.encode_utf8(&mut buf)));
                } else {
                    scratch.push(c);
                }
            }
            if !scratch.is_empty() {
                out.push(unit_hash(scratch));
            }
        } else {
            out.push(unit_hash(w));
        }
    }
}

/// Characters of scripts written without spaces between words.
pub fn is_unspaced(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF   // Thai, Lao
        | 0x1000..=0x109F // Myanmar
        | 0x1780..=0x17FF // Khmer
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x31F0..=0x31FF
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF
        | 0xFF66..=0xFF9F // halfwidth Katakana
        | 0x20000..=0x3FFFF)
}

// ASCII character classes of UAX#29 word boundaries.
const OTHER: u8 = 0;
const LETTER: u8 = 1;
const NUMERIC: u8 = 2;
const MID_LETTER: u8 = 3; // ':'
const MID_NUM_LET: u8 = 4; // '.' and '\''
const MID_NUM: u8 = 5; // ',' and ';'
const EXTEND_NUM_LET: u8 = 6; // '_'

const fn ascii_classes() -> [u8; 128] {
    let mut t = [OTHER; 128];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        t[i] = if c.is_ascii_alphabetic() {
            LETTER
        } else if c.is_ascii_digit() {
            NUMERIC
        } else if c == b':' {
            MID_LETTER
        } else if c == b'.' || c == b'\'' {
            MID_NUM_LET
        } else if c == b',' || c == b';' {
            MID_NUM
        } else if c == b'_' {
            EXTEND_NUM_LET
        } else {
            OTHER
        };
        i += 1;
    }
    t
}

static CLASS: [u8; 128] = ascii_classes();

/// UAX#29 words of an ASCII line, lowercased, without allocating per word. Implements the rules
/// that apply to ASCII: letters, digits and `_` join (WB5, WB8-10, WB13a/b); a letter, `:`/`.`/`'`,
/// letter sequence joins (WB6/7); a digit, `,`/`;`/`.`/`'`, digit sequence joins (WB11/12). Words
/// without a letter or digit (a lone `_`) are dropped, as `unicode_words` does.
fn ascii_units(line: &[u8], buf: &mut String, out: &mut Vec<u64>) {
    let n = line.len();
    let class = |i: usize| CLASS[line[i] as usize];
    let mut i = 0;
    let mut lower = [0u8; 64];
    while i < n {
        let c = class(i);
        if !matches!(c, LETTER | NUMERIC | EXTEND_NUM_LET) {
            i += 1;
            continue;
        }
        let start = i;
        let mut has_alnum = c != EXTEND_NUM_LET;
        let mut prev = c;
        i += 1;
        while i < n {
            let c = class(i);
            match c {
                LETTER | NUMERIC | EXTEND_NUM_LET => {
                    has_alnum |= c != EXTEND_NUM_LET;
                    prev = c;
                    i += 1;
                }
                MID_LETTER | MID_NUM_LET | MID_NUM if i + 1 < n => {
                    let next = class(i + 1);
                    let joins =
                        (prev == LETTER && next == LETTER && matches!(c, MID_LETTER | MID_NUM_LET))
                            || (prev == NUMERIC
                                && next == NUMERIC
                                && matches!(c, MID_NUM | MID_NUM_LET));
                    if joins {
                        i += 1;
                    } else {
                        break;
                    }
                }
                _ => break,
            }
        }
        if has_alnum {
            let word = &line[start..i];
            if word.len() <= lower.len() {
                for (d, s) in lower.iter_mut().zip(word) {
                    *d = s.to_ascii_lowercase();
                }
                out.push(xxh3_64(&lower[..word.len()]));
            } else {
                buf.clear();
                buf.extend(word.iter().map(|b| b.to_ascii_lowercase() as char));
                out.push(xxh3_64(buf.as_bytes()));
            }
        }
    }
}

fn starts_with_bullet(raw: &str) -> bool {
    let t = raw.trim_start();
    let mut it = t.chars();
    match it.next() {
        Some(
            '-' | '*' | '\u{2022}' | '\u{00B7}' | '\u{2013}' | '\u{2014}' | '\u{25BA}' | '\u{25B8}',
        ) => it.next().is_some_and(char::is_whitespace),
        _ => false,
    }
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Short date/time lines and bylines. English month names, ISO dates and clock times are
/// recognised; a dateline that opens a story paragraph is long and stays content.
fn is_metadata(raw: &str, units: usize) -> bool {
    if units > 10 || ends_like_sentence(raw) {
        return false;
    }
    let words: Vec<&str> = raw.split_whitespace().collect();
    if words.first().is_some_and(|w| w.eq_ignore_ascii_case("by")) && words.len() <= 6 {
        return true;
    }
    let has_month = words.iter().any(|w| {
        let w = w
            .trim_matches(|c: char| !c.is_alphabetic())
            .to_ascii_lowercase();
        w.len() >= 3
            && MONTHS
                .iter()
                .any(|m| m.starts_with(&w) && (w.len() == 3 || w.len() == m.len()))
    });
    let has_year = words.iter().any(|w| {
        let d = w.trim_matches(|c: char| !c.is_ascii_digit());
        d.len() == 4 && d.starts_with(['1', '2'])
    });
    let bytes = raw.as_bytes();
    let has_clock = bytes.windows(4).any(|w| {
        w[0].is_ascii_digit() && w[1] == b':' && w[2].is_ascii_digit() && w[3].is_ascii_digit()
    });
    let has_iso = bytes.windows(10).any(|w| {
        w[..4].iter().all(u8::is_ascii_digit)
            && w[4] == b'-'
            && w[5..7].iter().all(u8::is_ascii_digit)
            && w[7] == b'-'
    });
    (has_month && (has_year || has_clock)) || has_iso || (has_clock && has_year)
}

fn is_title_case(raw: &str) -> bool {
    let (mut words, mut caps) = (0usize, 0usize);
    if raw.is_ascii() {
        for w in raw.as_bytes().split(|b| b.is_ascii_whitespace()) {
            if let Some(c) = w.iter().find(|c| c.is_ascii_alphanumeric()) {
                words += 1;
                caps += usize::from(c.is_ascii_uppercase() || c.is_ascii_digit());
            }
        }
        return words >= 3 && caps * 10 >= words * 8;
    }
    for w in raw.split_whitespace() {
        let Some(c) = w.chars().find(|c| c.is_alphanumeric()) else {
            continue;
        };
        words += 1;
        caps += usize::from(c.is_uppercase() || c.is_numeric());
    }
    words >= 3 && caps * 10 >= words * 8
}

fn ends_like_sentence(raw: &str) -> bool {
    let t = raw
        .trim_end()
        .trim_end_matches(['"', '\'', '\u{201D}', '\u{2019}', ')']);
    t.ends_with(['.', '!', '?', ':', '\u{3002}', '\u{FF01}', '\u{FF1F}'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn slow(line: &str) -> Vec<u64> {
        let mut v = Vec::new();
        unicode_units(
            line,
            UnspacedScripts::Characters,
            &mut String::new(),
            &mut v,
        );
        v
    }

    /// The definition, step by step on whole strings, without any fast path.
    fn reference(line: &str) -> Vec<u64> {
        let typo: String = line
            .chars()
            .map(fold_char)
            .filter(|&c| c != '\u{200B}')
            .collect();
        let nfkc: String = typo.nfkc().collect();
        let folded = caseless::default_case_fold_str(&nfkc);
        let mut v = Vec::new();
        for w in folded.unicode_words() {
            if w.chars().any(is_unspaced) {
                let mut run = String::new();
                for c in w.chars() {
                    if is_unspaced(c) {
                        if !run.is_empty() {
                            v.push(unit_hash(&run));
                            run.clear();
                        }
                        v.push(unit_hash(&c.to_string()));
                    } else {
                        run.push(c);
                    }
                }
                if !run.is_empty() {
                    v.push(unit_hash(&run));
                }
            } else {
                v.push(unit_hash(w));
            }
        }
        v
    }

    fn fast(line: &str) -> Vec<u64> {
        let mut v = Vec::new();
        ascii_units(line.as_bytes(), &mut String::new(), &mut v);
        v
    }

    #[test]
    fn typography_and_case_fold_away() {
        let a = units(
            "\u{201C}Don\u{2019}t\u{201D} \u{2014} STRASSE 1,000.5",
            UnspacedScripts::Characters,
        );
        let b = units(
            "\"don't\" - stra\u{00DF}e 1,000.5",
            UnspacedScripts::Characters,
        );
        assert_eq!(a.units, b.units);
        assert_eq!(a.units.len(), 3);
    }

    #[test]
    fn unspaced_scripts_become_characters() {
        let u = units("新华社北京电", UnspacedScripts::Characters);
        assert_eq!(u.units.len(), 6);
        let w = units("新华社北京电", UnspacedScripts::Words);
        assert!(!w.units.is_empty());
    }

    #[test]
    fn line_features() {
        let u = units(
            "- Port Strike Enters Third Week\nHe said: \"It rained.\"\n\n  ",
            UnspacedScripts::Characters,
        );
        assert_eq!(u.lines.len(), 2);
        assert!(u.lines[0].bullet && !u.lines[0].sentence_end);
        assert!(!u.lines[1].bullet && u.lines[1].sentence_end);
        assert!(u.lines[0].title_case && !u.lines[1].title_case);
        let m = units("Published March 28, 1987 00:37\nBy Jane Doe\nUpdated 2024-03-05\nLONDON, March 5 (Reuters) - Shares rose sharply on Monday in early trade.\nMay", UnspacedScripts::Characters);
        let meta: Vec<bool> = m.lines.iter().map(|l| l.metadata).collect();
        assert_eq!(meta, vec![true, true, true, false, false]);
    }

    #[test]
    fn ascii_fast_path_examples() {
        for s in [
            "U.S. shares fell 1.5 pct, or 1,000.25 dlrs; e.g. it's 3:30",
            "a_b __ _ x'y 'q' 1'2 a:b: a..b 1.,2",
        ] {
            assert_eq!(fast(s), slow(s), "{s}");
        }
    }

    proptest! {
        #[test]
        fn folded_fast_path_equals_unicode_path(s in "[ -~\u{2018}\u{2019}\u{201C}\u{201D}\u{2013}\u{2014}\u{00A0}\u{00AD}\u{200B}\u{2026}\u{00A3}\u{20AC}\u{00A9}\u{2022}]{0,60}") {
            let mut folded = Vec::new();
            prop_assert!(fold_to_ascii(&s, &mut folded));
            let mut fast = Vec::new();
            ascii_units(&folded, &mut String::new(), &mut fast);
            prop_assert_eq!(fast, slow(&s));
        }

        #[test]
        fn unicode_path_equals_the_reference(s in "[ -~\u{00C0}-\u{00FF}\u{0100}-\u{017F}\u{2018}\u{201C}\u{2014}\u{FB01}\u{2460}\u{3000}-\u{30FF}\u{4E00}-\u{4E20}\u{0E00}-\u{0E3F}\u{00AD}\u{2126}]{0,40}") {
            prop_assert_eq!(slow(&s), reference(&s));
        }

        #[test]
        fn ascii_fast_path_equals_unicode_path(s in "[ -~]{0,60}") {
            prop_assert_eq!(fast(&s), slow(&s));
        }
    }
}
