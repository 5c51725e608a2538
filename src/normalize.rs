//! normalize.rs: what text do we compare?
//!
//! Turns a document's text into *units*: hashed, normalized word tokens, line by line. The
//! normalization is, in order: typographic folding (curly quotes, primes, the dash family and
//! exotic spaces become their ASCII forms), Unicode NFKC, Unicode default case folding, then
//! UAX#29 word segmentation keeping words that hold a letter or digit. Under
//! [`UnspacedScripts::Characters`] (the default), words of Han, Hiragana and Katakana are split
//! into one unit per character, so that word shingles over them become character shingles, and
//! runs of Thai, Lao, Khmer and Myanmar (alphabets: one unit per letter would make 3-grams every
//! page shares) are cut into words by ICU4X's dictionary segmenter.
//!
//! Lines are kept because pages are made of lines: navigation, headline lists and footers are
//! whole lines, and `chrome` recognises them line by line.
//!
//! Invariant: ASCII lines take a fast path that gives exactly the units the Unicode path gives
//! (a property test checks this); any change to what a unit is bumps [`NORMALIZER_VERSION`].

pub use crate::lines::ends_like_sentence;
use crate::lines::{self, LineFeatures};
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;
use xxhash_rust::xxh3::xxh3_64;

/// Version of the normalization rules and of unit ids; recorded in every signature.
/// Version 2: Latin-1 letters and separators on the fast path, and new unit ids (a unit of up to
/// 8 bytes is its own id, longer ones are hashed zero-padded to 16 bytes: see [`unit_hash`]).
/// Version 3: decimal digits of every script fold to ASCII digits; Arabic tatweel and harakat
/// vanish, Persian yeh and keheh become the Arabic letters, Russian ё becomes е.
/// Version 4: Thai, Lao, Khmer and Myanmar are cut into dictionary words, not characters.
pub const NORMALIZER_VERSION: u32 = 4;

/// How words of scripts written without spaces are cut into units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UnspacedScripts {
    /// One unit per character (default): word shingles over them are character shingles.
    Characters,
    /// Keep UAX#29 words as they come (Thai runs stay whole).
    Words,
}

/// One line of a document after normalization. Plain data (24 bytes, no padding): a scan under
/// a memory limit writes every page's lines to disk and reads them in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct Line {
    /// First unit of the line in [`Units::units`].
    pub start: u32,
    /// One past the last unit.
    pub end: u32,
    /// Hash of the line's units: equal for lines that normalize to the same words.
    pub hash: u64,
    /// 0-based index of the line in `text.lines()`.
    pub raw: u32,
    /// What the raw line is: a list item, a sentence, a headline, a date or a byline
    /// ([`crate::lines`]).
    pub features: LineFeatures,
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

/// The 64-bit id of one unit's normalized text. A unit of up to 8 bytes is its own id: its UTF-8
/// bytes, zero-padded, read as a little-endian integer (most words of running text; no hashing
/// at all). A longer unit is hashed with xxh3-64, zero-padded to 16 bytes when shorter, so that
/// hashing takes one path through xxh3 instead of a branch on each word's length. A unit never
/// holds a NUL byte, so padding keeps distinct units distinct; shingles and line hashes are
/// xxh3 over these ids.
#[inline]
pub fn unit_hash(text: &str) -> u64 {
    let bytes = text.as_bytes();
    if bytes.len() > 16 {
        return xxh3_64(bytes);
    }
    let mut padded = [0u8; 16];
    padded[..bytes.len()].copy_from_slice(bytes);
    unit_hash_at(&padded, 0, bytes.len())
}

/// [`unit_hash`] of `bytes[start..end]`, where `bytes` has at least 16 bytes after `start` (the
/// caller pads it), without a copy for units of up to 16 bytes.
#[inline(always)]
fn unit_hash_at(bytes: &[u8], start: usize, end: usize) -> u64 {
    let len = end - start;
    match bytes.get(start..start + 16) {
        Some(window) if len <= 16 => {
            let mut w = [0u8; 16];
            w.copy_from_slice(window);
            let window = u128::from_le_bytes(w);
            if len <= 8 {
                // Keep the first `len` bytes (1 <= len <= 8), zero the rest: most words.
                return window as u64 & (u64::MAX >> (64 - 8 * len.max(1)));
            }
            // Keep the first `len` bytes (9 <= len <= 16), zero the rest.
            let kept = window & (u128::MAX >> (128 - 8 * len));
            xxh3_64(&kept.to_le_bytes())
        }
        _ => xxh3_64(bytes.get(start..end).unwrap_or_default()),
    }
}

thread_local! {
    /// Buffers reused by every call of [`units`] on a thread, so that a scan does not allocate
    /// and grow them again for each document.
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// Normalize `text` into units and lines.
pub fn units(text: &str, unspaced: UnspacedScripts) -> Units {
    with_scratch(|s| units_with(text, unspaced, true, s))
}

/// The units of `text` alone: [`units`]`(text, unspaced).units`, without describing the lines
/// (their hashes and features), for callers that compare words, such as alignment.
pub fn unit_ids(text: &str, unspaced: UnspacedScripts) -> Vec<u64> {
    with_scratch(|s| units_with(text, unspaced, false, s)).units
}

/// Forget the line features this thread remembers (see [`units`]): for benchmarks that
/// normalize the same documents again and again, which a scan never does.
#[doc(hidden)]
pub fn forget_line_features() {
    with_scratch(|s| s.features.clear());
}

fn with_scratch<T>(f: impl FnOnce(&mut Scratch) -> T) -> T {
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut s) => f(&mut s),
        // Not reached (normalizing does not call itself); a fresh set of buffers does as well.
        Err(_) => f(&mut Scratch::default()),
    })
}

/// Normalize `text`; `with_lines` says whether lines are described too (else `lines` is empty).
fn units_with(text: &str, unspaced: UnspacedScripts, with_lines: bool, s: &mut Scratch) -> Units {
    let bytes = text.as_bytes();
    // The whole text is classified at once; ASCII lines take their words from it. Lines with
    // other bytes are folded (typographic marks, Latin-1 letters) and classified on their own, or
    // take the Unicode path.
    s.doc.build(bytes);
    let lines: u32 = s.doc.blocks.iter().map(|b| b.newline.count_ones()).sum();
    let mut out = Units {
        units: Vec::with_capacity(text.len() / 5),
        lines: Vec::with_capacity(if with_lines { lines as usize + 1 } else { 0 }),
    };
    let mut line_start = 0;
    let mut raw_index = 0u32;
    while line_start < bytes.len() {
        let next = s.doc.next(|b| b.newline, line_start).unwrap_or(bytes.len());
        let mut line_end = next;
        if line_end > line_start && bytes[line_end - 1] == b'\r' {
            line_end -= 1;
        }
        // `\n` and `\r` are ASCII, so these are character boundaries.
        let raw = text.get(line_start..line_end).unwrap_or_default();
        let start = out.units.len() as u32;
        let ascii = !s.doc.any(|b| b.high, line_start, line_end);
        if ascii {
            s.doc.words(
                bytes,
                line_start,
                line_end,
                true,
                &mut s.text,
                &mut out.units,
            );
        } else if fold_line(raw, &mut s.folded) {
            s.line.build(&s.folded);
            let n = s.folded.len();
            s.line
                .words(&s.folded, 0, n, false, &mut s.text, &mut out.units);
        } else {
            unicode_units(raw, unspaced, s, &mut out.units);
        }
        let end = out.units.len() as u32;
        if end > start && with_lines {
            let hash = xxh3_64(bytemuck::cast_slice(&out.units[start as usize..]));
            let features = s.features(raw, (end - start) as usize);
            out.lines.push(Line {
                start,
                end,
                hash,
                raw: raw_index,
                features,
            });
        }
        raw_index += 1;
        line_start = next + 1;
    }
    // The capacity guessed a unit per 5 bytes of text; running text has one per 6 to 7, and a
    // corpus's units are held until its shingles are made.
    out.units.shrink_to_fit();
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
        // Arabic tatweel (a stretching stroke) and harakat (short-vowel and other diacritics,
        // which most text leaves out): dropped, as search engines fold Arabic.
        '\u{0640}' | '\u{064B}'..='\u{065F}' | '\u{0670}' => '\u{200B}',
        // Persian yeh and keheh written for the Arabic letters (and the reverse in Arabic text).
        '\u{06CC}' => '\u{064A}',
        '\u{06A9}' => '\u{0643}',
        // Russian ё, which most text writes е.
        '\u{0451}' => '\u{0435}',
        '\u{0401}' => '\u{0415}',
        // Decimal digits of every script are the ASCII digits (NFKC folds only some of them).
        _ if !c.is_ascii() => match decimal_digit(c) {
            Some(v) => char::from(b'0' + v),
            None => c,
        },
        _ => c,
    }
}

/// Symbols that every normalization step (NFKC, case folding) leaves alone, that UAX#29 treats
/// as word separators and that are not white space: in a line they may be replaced by any other
/// such byte.
fn is_separator_symbol(c: char) -> bool {
    matches!(
        c,
        '\u{00A1}'
            ..='\u{00A7}' // ¡ ¢ £ ¤ ¥ ¦ §
            | '\u{00A9}' // ©
            | '\u{00AC}' // ¬
            | '\u{00AE}' // ®
            | '\u{00B0}' // °
            | '\u{00B1}' // ±
            | '\u{00B6}' // ¶
            | '\u{00BF}' // ¿
            | '\u{00D7}' // ×
            | '\u{00F7}' // ÷
            | '\u{20AC}' // €
            | '\u{2022}' // •
            | '\u{2020}' // †
            | '\u{2021}' // ‡
    )
}

/// Latin-1 letters (U+00C0..U+00FF but × and ÷): NFKC leaves them alone (they are composed and
/// compose with nothing that precedes them), UAX#29 counts them as letters, and case folding maps
/// the capitals U+00C0..U+00DE to the small letters 0x20 above them and ß to "ss".
fn is_latin1_letter(c: char) -> bool {
    matches!(c, '\u{00C0}'..='\u{00FF}') && c != '\u{00D7}' && c != '\u{00F7}'
}

/// Fold a line that is mostly ASCII into the bytes the Unicode path would segment: typographic
/// marks become their ASCII forms (white space stays white space), invisible marks vanish, an
/// ellipsis becomes "..." (as NFKC makes it), separator symbols become `#` (a non-space
/// separator), and Latin-1 letters stay as they are (UTF-8, case kept: [`tokenize`] folds case).
/// Returns false, and the caller takes the Unicode path, for any other character: accented
/// letters beyond Latin-1, combining marks, other scripts, compatibility characters.
fn fold_line(raw: &str, out: &mut Vec<u8>) -> bool {
    out.clear();
    for c in raw.chars() {
        if c.is_ascii() {
            out.push(c as u8);
            continue;
        }
        if is_latin1_letter(c) {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
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
            out.push(b'#');
        } else {
            return false;
        }
    }
    true
}

fn unicode_units(raw: &str, unspaced: UnspacedScripts, scratch: &mut Scratch, out: &mut Vec<u64>) {
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
        tokenize(folded.as_bytes(), &mut scratch.line, &mut scratch.text, out);
        return;
    }
    if unspaced == UnspacedScripts::Characters && folded.chars().any(is_complex) {
        // Thai, Lao, Khmer and Myanmar runs are cut into words by ICU's segmenter; the text
        // between them takes the path of every other line.
        let mut rest = folded.as_str();
        while let Some(start) = rest.find(is_complex) {
            push_words(&rest[..start], unspaced, scratch, out);
            let run = &rest[start..];
            let len = run.find(|c: char| !is_complex(c)).unwrap_or(run.len());
            complex_words(&run[..len], out);
            rest = &run[len..];
        }
        push_words(rest, unspaced, scratch, out);
    } else {
        push_words(&folded, unspaced, scratch, out);
    }
}

/// Characters of the scripts written without spaces whose words ICU's segmenter finds
/// (Thai, Lao, Myanmar, Khmer): one unit per letter of an alphabet would make 3-grams that
/// every page of the language shares.
pub(crate) fn is_complex(c: char) -> bool {
    matches!(c as u32, 0x0E00..=0x0EFF | 0x1000..=0x109F | 0x1780..=0x17FF)
}

/// The segments of a run of [`is_complex`] characters by ICU4X's word segmenter with its
/// dictionaries, each with whether it is word-like. (Its LSTM models scored the same on the
/// generated Thai corpus of `benches/thai_units.sh` and normalized 25 times slower.)
pub(crate) fn complex_segments(run: &str) -> Vec<(&str, bool)> {
    use icu_segmenter::{options::WordBreakInvariantOptions, WordSegmenter};
    let segmenter = WordSegmenter::new_dictionary(WordBreakInvariantOptions::default());
    let mut from = 0;
    let mut out = Vec::new();
    for (to, kind) in segmenter.segment_str(run).iter_with_word_type() {
        if to > from {
            out.push((&run[from..to], kind.is_word_like()));
        }
        from = to;
    }
    out
}

/// The words of a run of [`is_complex`] characters, as units.
fn complex_words(run: &str, out: &mut Vec<u64>) {
    for (w, word_like) in complex_segments(run) {
        if word_like {
            out.push(unit_hash(w));
        }
    }
}

/// UAX#29 words of folded text; words of unspaced scripts one unit per character under
/// [`UnspacedScripts::Characters`].
fn push_words(folded: &str, unspaced: UnspacedScripts, scratch: &mut Scratch, out: &mut Vec<u64>) {
    for w in folded.unicode_words() {
        if unspaced == UnspacedScripts::Characters && w.chars().any(is_unspaced) {
            // Split into runs: unspaced characters one by one, other runs whole.
            let run = &mut scratch.text;
            run.clear();
            for c in w.chars() {
                if is_unspaced(c) {
                    if !run.is_empty() {
                        out.push(unit_hash(run));
                        run.clear();
                    }
                    let mut buf = [0u8; 4];
                    out.push(unit_hash(c.encode_utf8(&mut buf)));
                } else {
                    run.push(c);
                }
            }
            if !run.is_empty() {
                out.push(unit_hash(run));
            }
        } else {
            out.push(unit_hash(w));
        }
    }
}

/// The zero of every run of ten decimal digits (Unicode general category Nd), in code point
/// order: ASCII, Arabic-Indic, Extended Arabic-Indic (Persian, Urdu), NKo, the Indic scripts,
/// Thai, Lao, Tibetan, Myanmar, Khmer, Mongolian, ..., full-width, and the supplementary planes'
/// scripts and mathematical digits.
const DIGIT_ZEROS: [u32; 65] = [
    0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10, 0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0,
    0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0,
    0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950,
];

/// The value of a decimal digit of any script (`7`, `٧`, `۷`, `७`, `７`), or `None`.
pub fn decimal_digit(c: char) -> Option<u8> {
    let c = c as u32;
    if c < 0x80 {
        return c.checked_sub(0x30).filter(|&v| v < 10).map(|v| v as u8);
    }
    // No decimal digits below Arabic-Indic, from after Ol Chiki to Vai (CJK, kana, Hangul
    // Jamo) or from after Meetei Mayek to the full-width forms (Hangul syllables): most
    // letters of most scripts are answered without the search.
    if c < 0x660 || (0x1C5A..0xA620).contains(&c) || (0xABFA..0xFF10).contains(&c) {
        return None;
    }
    let i = DIGIT_ZEROS.partition_point(|&z| z <= c).checked_sub(1)?;
    let v = c - DIGIT_ZEROS[i];
    (v < 10).then_some(v as u8)
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

/// Reused buffers of [`units`].
#[derive(Default)]
struct Scratch {
    /// The whole text, classified.
    doc: Classified,
    /// A folded line, classified.
    line: Classified,
    /// A line folded by `fold_line`.
    folded: Vec<u8>,
    /// Text of a word being folded or split (Unicode path, non-ASCII words).
    text: String,
    /// Features of short lines seen before on this thread, by the raw line itself (not a hash
    /// of it: no crafted collision can give one page's line another's features): a site's
    /// navigation, footer and list lines recur on every page, and [`lines::features`] is a pure
    /// function of the line and its unit count (kept beside it: a line has other units under
    /// other [`UnspacedScripts`]). Cleared when it reaches [`FEATURE_CACHE`] lines.
    features: rustc_hash::FxHashMap<Box<str>, (usize, LineFeatures)>,
}

/// Lines of at most this many bytes have their features remembered (see [`Scratch`]).
const FEATURE_CACHE_BYTES: usize = 160;
/// The most line features a thread remembers.
const FEATURE_CACHE: usize = 1 << 14;

impl Scratch {
    /// [`lines::features`] of a raw line of `units` units, remembered for short lines.
    fn features(&mut self, raw: &str, units: usize) -> LineFeatures {
        if raw.len() > FEATURE_CACHE_BYTES {
            return lines::features(raw, units);
        }
        if let Some(&(n, f)) = self.features.get(raw) {
            if n == units {
                return f;
            }
        }
        if self.features.len() >= FEATURE_CACHE {
            self.features.clear();
        }
        let f = lines::features(raw, units);
        self.features.insert(raw.into(), (units, f));
        f
    }
}

/// Bytes classified for word segmentation.
#[derive(Default)]
struct Classified {
    /// Byte classes, 64 bytes per block.
    blocks: Vec<Block>,
    /// Bytes that belong to a word, one bit per byte.
    word: Vec<u64>,
    /// The bytes with ASCII capitals lowered.
    lower: Vec<u8>,
}

/// One bit per byte of a 64-byte block of a line, for each byte class of UAX#29 word boundaries
/// that can occur in ASCII text and in the Latin-1 letters `fold_line` lets through (every
/// non-ASCII byte counts as part of a letter).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Block {
    /// ASCII letters and every byte >= 0x80 (ALetter).
    letter: u64,
    /// ASCII digits (Numeric).
    digit: u64,
    /// `_` (ExtendNumLet).
    under: u64,
    /// `:`, `.` and `'` (MidLetter, MidNumLet): join two letters.
    mid_letter: u64,
    /// `,`, `;`, `.` and `'` (MidNum, MidNumLet): join two digits.
    mid_num: u64,
    /// ASCII white space (tab to carriage return, space).
    space: u64,
    /// `\n`.
    newline: u64,
    /// Bytes >= 0x80.
    high: u64,
}

/// Classes of one byte, in the order of [`Block`]'s fields.
#[cfg(any(test, not(target_arch = "x86_64")))]
const fn byte_flags(c: u8) -> u8 {
    let mut f = 0;
    if c.is_ascii_alphabetic() || c >= 0x80 {
        f |= 1;
    }
    if c.is_ascii_digit() {
        f |= 2;
    }
    if c == b'_' {
        f |= 4;
    }
    if matches!(c, b':' | b'.' | b'\'') {
        f |= 8;
    }
    if matches!(c, b',' | b';' | b'.' | b'\'') {
        f |= 16;
    }
    if matches!(c, 0x09..=0x0D | b' ') {
        f |= 32;
    }
    if c == b'\n' {
        f |= 64;
    }
    if c >= 0x80 {
        f |= 128;
    }
    f
}

/// Byte classes of a block, one byte at a time: the definition, and the path for targets
/// without SSE2.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn classify_scalar(block: &[u8; 64]) -> Block {
    let mut m = [0u64; 8];
    for (j, &c) in block.iter().enumerate() {
        let f = byte_flags(c);
        for (k, mask) in m.iter_mut().enumerate() {
            *mask |= u64::from((f >> k) & 1) << j;
        }
    }
    Block {
        letter: m[0],
        digit: m[1],
        under: m[2],
        mid_letter: m[3],
        mid_num: m[4],
        space: m[5],
        newline: m[6],
        high: m[7],
    }
}

/// Byte classes of a block, sixteen bytes at a time with SSE2 compares.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn classify_sse2(block: &[u8; 64]) -> Block {
    use std::arch::x86_64::*;
    let splat = |b: u8| _mm_set1_epi8(b as i8);
    // Unsigned `lo <= x <= lo + span`, as a byte mask.
    let in_range = |x: __m128i, lo: u8, span: u8| {
        let t = _mm_sub_epi8(x, splat(lo));
        _mm_cmpeq_epi8(_mm_min_epu8(t, splat(span)), t)
    };
    let eq = |x: __m128i, b: u8| _mm_cmpeq_epi8(x, splat(b));
    let bits = |m: __m128i| u64::from(_mm_movemask_epi8(m) as u16);
    let mut out = Block::default();
    for (i, chunk) in block.chunks_exact(16).enumerate() {
        let bytes: [u8; 16] = chunk.try_into().unwrap_or([0; 16]);
        let v: __m128i = bytemuck::cast(bytes);
        let shift = 16 * i;
        let alpha = in_range(_mm_or_si128(v, splat(0x20)), b'a', 25);
        out.letter |= (bits(alpha) | bits(v)) << shift;
        out.high |= bits(v) << shift;
        out.newline |= bits(eq(v, b'\n')) << shift;
        out.digit |= bits(in_range(v, b'0', 9)) << shift;
        out.under |= bits(eq(v, b'_')) << shift;
        let both = _mm_or_si128(eq(v, b'.'), eq(v, b'\''));
        out.mid_letter |= bits(_mm_or_si128(both, eq(v, b':'))) << shift;
        out.mid_num |= bits(_mm_or_si128(both, _mm_or_si128(eq(v, b','), eq(v, b';')))) << shift;
        out.space |= bits(_mm_or_si128(in_range(v, 0x09, 4), eq(v, b' '))) << shift;
    }
    out
}

fn classify(block: &[u8; 64]) -> Block {
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    // SAFETY: SSE2 is part of the x86_64 baseline: every x86_64 CPU has it.
    return unsafe { classify_sse2(block) };
    #[cfg(not(target_arch = "x86_64"))]
    return classify_scalar(block);
}

impl Classified {
    /// Classify `bytes` (ASCII, or a line `fold_line` made) and find the bytes inside words.
    fn build(&mut self, bytes: &[u8]) {
        self.blocks.clear();
        let mut chunks = bytes.chunks_exact(64);
        for chunk in &mut chunks {
            self.blocks
                .push(classify(chunk.try_into().unwrap_or(&[0; 64])));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut padded = [0u8; 64];
            padded[..rest.len()].copy_from_slice(rest);
            self.blocks.push(classify(&padded));
        }
        self.word.clear();
        let none = Block::default();
        for (b, cur) in self.blocks.iter().enumerate() {
            let prev = if b > 0 { &self.blocks[b - 1] } else { &none };
            let next = self.blocks.get(b + 1).unwrap_or(&none);
            // Bit j of `before(f)` is byte j-1's class, of `after(f)` byte j+1's.
            let before = |f: fn(&Block) -> u64| (f(cur) << 1) | (f(prev) >> 63);
            let after = |f: fn(&Block) -> u64| (f(cur) >> 1) | (f(next) << 63);
            let letter = |b: &Block| b.letter;
            let digit = |b: &Block| b.digit;
            let joins = (cur.mid_letter & before(letter) & after(letter))
                | (cur.mid_num & before(digit) & after(digit));
            self.word.push(cur.letter | cur.digit | cur.under | joins);
        }
        self.lower.clear();
        self.lower.extend(bytes.iter().map(u8::to_ascii_lowercase));
        // Padding, so that `unit_hash_at` can read 16 bytes from any word start.
        self.lower.extend_from_slice(&[0; 16]);
    }

    /// The position of the first byte at or after `from` whose class `field` selects.
    #[inline]
    fn next(&self, field: fn(&Block) -> u64, from: usize) -> Option<usize> {
        let mut b = from / 64;
        let mut m = field(self.blocks.get(b)?) & (u64::MAX << (from % 64));
        loop {
            if m != 0 {
                return Some(b * 64 + m.trailing_zeros() as usize);
            }
            b += 1;
            m = field(self.blocks.get(b)?);
        }
    }

    /// Whether any byte in `from..to` is of the class `field` selects.
    #[inline]
    fn any(&self, field: fn(&Block) -> u64, from: usize, to: usize) -> bool {
        if from >= to {
            return false;
        }
        if from / 64 == (to - 1) / 64 {
            // Within one block, the common case: one shift and mask.
            let Some(block) = self.blocks.get(from / 64) else {
                return false;
            };
            return (field(block) >> (from % 64)) & (u64::MAX >> (64 - (to - from))) != 0;
        }
        let mut pos = from;
        while pos < to {
            let Some(block) = self.blocks.get(pos / 64) else {
                return false;
            };
            let end = to.min((pos / 64 + 1) * 64);
            let width = end - pos;
            let window = if width == 64 {
                u64::MAX
            } else {
                (1u64 << width) - 1
            };
            if (field(block) >> (pos % 64)) & window != 0 {
                return true;
            }
            pos = end;
        }
        false
    }

    /// UAX#29 words of `bytes[from..to]` (the bytes `build` saw), case-folded and hashed onto
    /// `out`. The rules that apply to these bytes: letters,
    /// digits and `_` join (WB5, WB8-10, WB13a/b); a letter, `:`/`.`/`'`, letter sequence joins
    /// (WB6/7); a digit, `,`/`;`/`.`/`'`, digit sequence joins (WB11/12). Words without a letter
    /// or digit (a lone `_`) are dropped, as `unicode_words` does. `from..to` must not cut a
    /// word: a line does not. `ascii` says that the range holds ASCII bytes only.
    ///
    /// Words are found with bit scans over the masks `build` made, so that the cost per word
    /// does not hang on branches whose outcome changes at every word.
    fn words(
        &self,
        bytes: &[u8],
        from: usize,
        to: usize,
        ascii: bool,
        text: &mut String,
        out: &mut Vec<u64>,
    ) {
        if from >= to {
            return;
        }
        // Words are found from bit scans of the word mask: a start is a word byte after a
        // non-word byte, and the run of word bytes from it is counted with trailing_zeros.
        // The branches run once per word but depend only on the block's bits, so they predict
        // better than a byte loop's exit at each word's end.
        let (first_block, last_block) = (from / 64, (to - 1) / 64);
        for b in first_block..=last_block {
            let w = self.word[b];
            let prev = if b > 0 { self.word[b - 1] } else { 0 };
            let mut range = u64::MAX;
            if b == first_block {
                range &= u64::MAX << (from % 64);
            }
            if b == last_block {
                range &= u64::MAX >> (63 - (to - 1) % 64);
            }
            let mut starts = w & !((w << 1) | (prev >> 63)) & range;
            while starts != 0 {
                let j = starts.trailing_zeros() as usize;
                starts &= starts - 1;
                let start = b * 64 + j;
                // Ones of `w` from bit j; zeros come in at the top, so a run to the block's
                // end counts exactly to 64 and goes on in the next blocks.
                let mut end = start + (!(w >> j)).trailing_zeros() as usize;
                if end.is_multiple_of(64) {
                    let mut nb = b + 1;
                    while let Some(&next) = self.word.get(nb) {
                        let ones = next.trailing_ones() as usize;
                        end += ones;
                        if ones < 64 {
                            break;
                        }
                        nb += 1;
                    }
                }
                let end = end.min(to);
                let Some(word) = bytes.get(start..end) else {
                    continue;
                };
                // A word starts with a letter, a digit or `_`; only `_` runs lack a letter or
                // digit.
                if word[0] == b'_' && word.iter().all(|&c| c == b'_') {
                    continue;
                }
                if ascii || !self.any(|b| b.high, start, end) {
                    out.push(unit_hash_at(&self.lower, start, end));
                } else {
                    out.push(fold_latin1(word, text));
                }
            }
        }
    }
}

/// UAX#29 words of an ASCII line, or of a line `fold_line` made: see [`Classified::words`].
fn tokenize(line: &[u8], s: &mut Classified, text: &mut String, out: &mut Vec<u64>) {
    s.build(line);
    s.words(line, 0, line.len(), line.is_ascii(), text, out)
}

/// [`unit_hash`] of a word that holds Latin-1 letters, case-folded as the Unicode path folds
/// (capitals lowered, ß made "ss").
fn fold_latin1(word: &[u8], text: &mut String) -> u64 {
    text.clear();
    text.extend(caseless::Caseless::default_case_fold(
        String::from_utf8_lossy(word).chars(),
    ));
    unit_hash(text)
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
            &mut Scratch::default(),
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
        // Runs of Thai, Lao, Khmer and Myanmar are ICU's dictionary words; the rest UAX#29 words.
        let mut runs: Vec<(bool, String)> = Vec::new();
        for c in folded.chars() {
            match runs.last_mut() {
                Some((complex, run)) if *complex == is_complex(c) => run.push(c),
                _ => runs.push((is_complex(c), c.to_string())),
            }
        }
        for (complex, run) in runs {
            if complex {
                complex_words(&run, &mut v);
            } else {
                reference_words(&run, &mut v);
            }
        }
        v
    }

    fn reference_words(folded: &str, v: &mut Vec<u64>) {
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
    }

    /// The fast path's units, when it takes the line.
    fn fast(line: &str) -> Option<Vec<u64>> {
        let mut v = Vec::new();
        let mut folded = Vec::new();
        let bytes = if line.is_ascii() {
            line.as_bytes()
        } else if fold_line(line, &mut folded) {
            &folded
        } else {
            return None;
        };
        tokenize(
            bytes,
            &mut Classified::default(),
            &mut String::new(),
            &mut v,
        );
        Some(v)
    }

    /// The fast path agrees with the definition on units.
    fn check_fast(s: &str) -> std::result::Result<(), TestCaseError> {
        let Some(units) = fast(s) else {
            return Err(TestCaseError::fail(format!("fast path refused {s:?}")));
        };
        prop_assert_eq!(&units, &reference(s), "units of {:?}", s);
        prop_assert_eq!(&units, &slow(s), "units of {:?}", s);
        Ok(())
    }

    #[test]
    fn unit_ids_are_the_text_or_xxh3_of_the_padded_text() {
        assert_eq!(unit_hash("ab"), u64::from_le_bytes(*b"ab\0\0\0\0\0\0"));
        assert_eq!(unit_hash("abcdefgh"), u64::from_le_bytes(*b"abcdefgh"));
        let mut padded = [0u8; 16];
        padded[..9].copy_from_slice(b"abcdefghi");
        assert_eq!(unit_hash("abcdefghi"), xxh3_64(&padded));
        let long = "internationalisation";
        assert_eq!(unit_hash(long), xxh3_64(long.as_bytes()));
        // The in-place form agrees at every length, with any bytes after the word.
        let text = b"abcdefghijklmnopqrstuvwxyz0123456789 trailing bytes, then padding";
        for len in 1..=30 {
            let word = std::str::from_utf8(&text[3..3 + len]).unwrap();
            assert_eq!(unit_hash_at(text, 3, 3 + len), unit_hash(word), "{len}");
        }
    }

    #[test]
    fn decimal_digits_of_every_script() {
        for (i, &z) in DIGIT_ZEROS.iter().enumerate() {
            if let Some(&next) = DIGIT_ZEROS.get(i + 1) {
                assert!(next >= z + 10, "{z:x}");
            }
            for v in 0..10u8 {
                let c = char::from_u32(z + u32::from(v)).unwrap();
                assert!(c.is_numeric(), "{c:?}");
                assert_eq!(decimal_digit(c), Some(v), "{c:?}");
            }
        }
        assert_eq!(decimal_digit('٢'), Some(2));
        assert_eq!(decimal_digit('۵'), Some(5));
        assert_eq!(decimal_digit('９'), Some(9));
        for c in ['a', '/', ':', '½', '²', '٫', '一', '\u{0E5A}'] {
            assert_eq!(decimal_digit(c), None, "{c:?}");
        }
        // The ranges answered without the search hold no digit: every scalar value agrees with
        // the table searched whole.
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let want = DIGIT_ZEROS
                .iter()
                .find(|&&z| (z..z + 10).contains(&(c as u32)))
                .map(|&z| (c as u32 - z) as u8);
            assert_eq!(decimal_digit(c), want, "{c:?}");
        }
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
    fn digits_and_script_variants_fold() {
        let same = |a: &str, b: &str| {
            assert_eq!(
                units(a, UnspacedScripts::Characters).units,
                units(b, UnspacedScripts::Characters).units,
                "{a} / {b}"
            );
        };
        // Arabic-Indic, Persian, Devanagari and full-width digits.
        same("قتل ١٢ شخصا في ٢٠١٥", "قتل 12 شخصا في 2015");
        same("۱۴۰۲", "1402");
        same("२०२४ में", "2024 में");
        same("罰金６,０００円", "罰金6,000円");
        // In an otherwise ASCII line too (the folded fast path).
        same("Price ١٢ dlrs", "Price 12 dlrs");
        // Tatweel and harakat; Persian yeh and keheh.
        same("الـــرياض", "الرياض");
        same("مُحَمَّد", "محمد");
        same("کتاب فارسی", "كتاب فارسي");
        // Russian ё.
        same("Ёлка и всё", "Елка и все");
    }

    #[test]
    fn unspaced_scripts_become_characters() {
        let u = units("新华社北京电", UnspacedScripts::Characters);
        assert_eq!(u.units.len(), 6);
        let w = units("新华社北京电", UnspacedScripts::Words);
        assert!(!w.units.is_empty());
    }

    #[test]
    fn thai_lao_khmer_and_myanmar_become_words() {
        // ภาษา ไทย ภาษา ไทย: four words, the same two twice, with the figure and Latin word kept.
        let u = units("ภาษาไทยภาษาไทย 2024 abc", UnspacedScripts::Characters);
        assert_eq!(u.units.len(), 6);
        assert_eq!(u.units[0], u.units[2]);
        assert_eq!(u.units[1], u.units[3]);
        assert_ne!(u.units[0], u.units[1]);
        assert_eq!(&u.units[4..], &[unit_hash("2024"), unit_hash("abc")]);
        // Words, not letters, in the other three scripts (ພາສາລາວ, ភាសាខ្មែរ, မြန်မာစာ).
        for text in ["ພາສາລາວພາສາລາວ", "ភាសាខ្មែរភាសាខ្មែរ", "မြန်မာစာမြန်မာစာ"]
        {
            let n = units(text, UnspacedScripts::Characters).units.len();
            assert!(n >= 2 && n * 3 <= text.chars().count(), "{text}: {n} units");
        }
        // Han stays one unit per character beside them.
        assert_eq!(
            units("新华社ภาษา", UnspacedScripts::Characters).units.len(),
            4
        );
    }

    #[test]
    fn line_features() {
        let u = units(
            "- Port Strike Enters Third Week\nHe said: \"It rained.\"\n\n  ",
            UnspacedScripts::Characters,
        );
        assert_eq!(u.lines.len(), 2);
        let (a, b) = (u.lines[0].features, u.lines[1].features);
        assert!(a.marker() == Some('-') && !a.sentence_end());
        assert!(b.marker().is_none() && b.sentence_end());
        let m = units("Published March 28, 1987 00:37\nBy Jane Doe\nUpdated 2024-03-05\nLONDON, March 5 (Reuters) - Shares rose sharply on Monday in early trade.\nMay", UnspacedScripts::Characters);
        let meta: Vec<bool> = m.lines.iter().map(|l| l.features.metadata()).collect();
        assert_eq!(meta, vec![true, true, true, false, false]);
    }

    #[test]
    fn remembered_line_features_are_the_features_of_the_line() {
        // A dated Thai line: three dictionary words by default, a unit per letter under UAX#29
        // alone, so a date line under one count and not under the other; the remembered
        // features follow the count.
        let thai = "5/3/2024 รัฐบาลประกาศมาตรการ";
        let text = format!("{thai}\nBy Jane Doe\nBy Jane Doe\nHome | World | Business");
        let text = text.as_str();
        let meta = |mode| units(thai, mode).lines[0].features.metadata();
        assert_ne!(
            meta(UnspacedScripts::Characters),
            meta(UnspacedScripts::Words)
        );
        for _ in 0..2 {
            for mode in [UnspacedScripts::Characters, UnspacedScripts::Words] {
                let u = units(text, mode);
                for l in &u.lines {
                    let raw = text.lines().nth(l.raw as usize).unwrap_or_default();
                    assert_eq!(l.features, lines::features(raw, l.len()), "{raw} {mode:?}");
                }
            }
        }
    }

    #[test]
    fn fast_path_examples() {
        for s in [
            "U.S. shares fell 1.5 pct, or 1,000.25 dlrs; e.g. it's 3:30",
            "a_b __ _ x'y 'q' 1'2 a:b: a..b 1.,2",
            "Stra\u{00DF}e \u{00C9}t\u{00C9} l'\u{00E9}t\u{00E9} \u{00C2}\u{00A3}5 caf\u{00E9}.Zo\u{00EB} 3\u{00D7}4",
            "The Big Story \u{00C0} Venir",
            "_Alpha _beta Gamma",
        ] {
            check_fast(s).unwrap();
        }
        // Beyond Latin-1, combining marks and compatibility characters take the Unicode path.
        for s in [
            "\u{0141}\u{00F3}d\u{017A}",
            "e\u{0301}",
            "\u{00B5}s",
            "x\u{00B2}",
            "\u{00AA}",
        ] {
            assert!(fast(s).is_none(), "{s}");
        }
    }

    proptest! {
        #[test]
        fn folded_fast_path_equals_the_reference(s in "[ -~\u{2018}\u{2019}\u{201C}\u{201D}\u{2013}\u{2014}\u{00A0}\u{00AD}\u{200B}\u{2026}\u{00A1}-\u{00A7}\u{00A9}\u{00AB}\u{00AE}\u{00B0}\u{00BB}\u{00BF}\u{20AC}\u{2022}\u{00C0}-\u{00FF}]{0,200}") {
            check_fast(&s)?;
        }

        #[test]
        fn documents_equal_their_lines(lines in proptest::collection::vec("([a-zA-Z]{1,9}|[0-9]{1,3}|[ .,'_]|\u{00E9}|\u{201C}|\u{0141}|\u{4E00}|\r){0,40}", 0..6), crlf in any::<bool>()) {
            let text = lines.join(if crlf { "\r\n" } else { "\n" });
            let got = units(&text, UnspacedScripts::Characters);
            let mut want = Vec::new();
            for line in text.lines() {
                let u = reference(line);
                want.extend(u);
            }
            prop_assert_eq!(&unit_ids(&text, UnspacedScripts::Characters), &want);
            prop_assert_eq!(got.units, want);
        }

        #[test]
        fn block_classes_equal_the_definition(bytes in proptest::collection::vec(any::<u8>(), 64)) {
            let block: [u8; 64] = bytes.try_into().unwrap();
            prop_assert_eq!(classify(&block), classify_scalar(&block));
        }

        #[test]
        fn ascii_fast_path_equals_the_reference(s in "([a-zA-Z]{1,9}|[0-9]{1,4}|[ .,;:'_\t\u{0B}\u{0C}]|[ -~]){0,120}") {
            check_fast(&s)?;
        }

        #[test]
        fn unicode_path_equals_the_reference(s in "[ -~\u{00C0}-\u{00FF}\u{0100}-\u{017F}\u{2018}\u{201C}\u{2014}\u{FB01}\u{2460}\u{3000}-\u{30FF}\u{4E00}-\u{4E20}\u{0E00}-\u{0E3F}\u{00AD}\u{2126}]{0,40}") {
            prop_assert_eq!(slow(&s), reference(&s));
        }

    }
}
