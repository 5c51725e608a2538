//! figures.rs: which figures does a story state?
//!
//! Templated reports (exchange closings, Treasury bill sales, crop reports, earnings tables)
//! share almost every word with the other reports of their family and differ in their figures,
//! names and dates: there the figures *are* the story. A copy of one report keeps its figures,
//! a report of another day does not. This module extracts a page's *figures* (every run of
//! decimal digits in its content, in any script, folded to ASCII, with the separators inside it
//! kept: `1,234.5`, `١٢٣`, `１２` and `12` are figures) and compares two pages' figure sets; the
//! verifier uses the verdict to refuse a pair whose words agree and whose figures do not.
//!
//! Invariant: a figure's hash depends only on its folded text (xxh3), never on the process.

use xxhash_rust::xxh3::xxh3_64;

/// The value of a Unicode decimal digit of any script (normalize's, so that figures fold digits
/// exactly as similarity does).
pub use crate::normalize::decimal_digit;

/// Hashes of the specific figures in `lines`, sorted and deduplicated. A figure is a run of
/// decimal digits, with `.`, `,`, `:` or `/` kept where a digit follows them (`1,234.5`,
/// `10:30`, `5/3`); digits are folded to ASCII. Only specific figures are kept (see
/// `specific`), and none from date or time lines (see [`is_time_line`]).
pub fn figures<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<u64> {
    let mut out = Vec::new();
    let mut buf = String::new();
    for line in lines {
        line_figures(line, &mut buf, &mut out);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The figures of every line of `text`: `(line number in text.lines(), figure hash)` in line
/// order, so that the figures of any selection of lines are found without reading the text
/// again (see [`select`]).
pub fn figures_by_line(text: &str) -> Vec<(u32, u64)> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut line_out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        line_figures(line, &mut buf, &mut line_out);
        out.extend(line_out.drain(..).map(|h| (i as u32, h)));
    }
    out
}

/// The sorted, deduplicated figures of the lines `rows` (sorted line numbers) from a
/// [`figures_by_line`] table.
pub fn select(by_line: &[(u32, u64)], rows: &[u32]) -> Vec<u64> {
    let mut out: Vec<u64> = by_line
        .iter()
        .filter(|(r, _)| rows.binary_search(r).is_ok())
        .map(|&(_, h)| h)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Append the specific figures of one line to `out`.
fn line_figures(line: &str, buf: &mut String, out: &mut Vec<u64>) {
    let before = out.len();
    specific_figures(line, buf, out);
    // Time stamps, and counters such as "399 Comments" (a short line with a word), are page
    // furniture; a short line of figures alone ("4/01 4/02") is a table row of the report.
    let counter =
        || line.split_whitespace().nth(2).is_none() && line.chars().any(char::is_alphabetic);
    if out.len() > before && (counter() || is_time_line(line)) {
        out.truncate(before);
    }
}

/// Append every specific figure of a line to `out` ([`unicode_figures`]'s, by the cheapest path
/// that gives them), page furniture included.
fn specific_figures(line: &str, buf: &mut String, out: &mut Vec<u64>) {
    // Most lines state no figure: a byte scan finds that without decoding (a non-ASCII byte may
    // start a digit of another script, so those lines take the full path).
    if !line.bytes().any(|b| b.is_ascii_digit() || b >= 0x80) {
        return;
    }
    // Digits and separators of other scripts need the full path; a line whose other characters
    // are letters, quotes or dashes gives the same figures from its bytes.
    let other_digits = || {
        line.chars()
            .any(|c| !c.is_ascii() && (matches!(c, '٫' | '٬') || decimal_digit(c).is_some()))
    };
    if line.is_ascii() || !other_digits() {
        ascii_figures(line.as_bytes(), out);
    } else {
        unicode_figures(line, buf, out);
    }
}

/// The figures of an ASCII line: the rule of [`unicode_figures`] on bytes, jumping from digit
/// to digit.
fn ascii_figures(b: &[u8], out: &mut Vec<u64>) {
    let mut i = 0;
    while let Some(p) = b[i..].iter().position(u8::is_ascii_digit) {
        let start = i + p;
        let mut j = start;
        loop {
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j + 1 < b.len()
                && matches!(b[j], b'.' | b',' | b':' | b'/')
                && b[j + 1].is_ascii_digit()
            {
                j += 1;
                continue;
            }
            break;
        }
        if let Some(h) = specific(&b[start..j]) {
            out.push(h);
        }
        i = j;
    }
}

/// The figures of a line in any script: digits folded to ASCII, separators kept where a digit
/// follows them.
fn unicode_figures(line: &str, buf: &mut String, out: &mut Vec<u64>) {
    let mut chars = line.chars().peekable();
    let mut flush = |buf: &mut String| {
        if let Some(h) = specific(buf.as_bytes()) {
            out.push(h);
        }
        buf.clear();
    };
    while let Some(c) = chars.next() {
        if let Some(d) = decimal_digit(c) {
            buf.push(char::from(b'0' + d));
            continue;
        }
        if !buf.is_empty() && matches!(c, '.' | ',' | ':' | '/' | '٫' | '٬') {
            if let Some(d) = chars.peek().and_then(|&n| decimal_digit(n)) {
                buf.push(if matches!(c, '٫') {
                    '.'
                } else if c == '٬' {
                    ','
                } else {
                    c
                });
                buf.push(char::from(b'0' + d));
                chars.next();
                continue;
            }
        }
        flush(buf);
    }
    flush(buf);
}

/// The hash of a figure (ASCII digits and separators) if it is specific: two or more digits
/// or a separator (`125,000`, `23.0`, `480`, `15`), but not a year (1900-2099). Single digits
/// and years recur across unrelated reports and tell nothing about which report a page is.
fn specific(fig: &[u8]) -> Option<u64> {
    if fig.is_empty() {
        return None;
    }
    let digits = fig.iter().filter(|b| b.is_ascii_digit()).count();
    let separated = digits < fig.len();
    let year = !separated && digits == 4 && (fig.starts_with(b"19") || fig.starts_with(b"20"));
    ((separated || digits >= 2) && !year).then(|| xxh3_64(fig))
}

/// Whether a line is a short date or time stamp in any language ("Publié le 27 mai 2020 à
/// 3h19", "2009年03月04日 15:52", "13/12/2017 15h49"): at most eight words and a clock time or
/// a numeric date. Such lines are page metadata whose figures differ between copies of one
/// story, so they give no figures.
pub fn is_time_line(line: &str) -> bool {
    // 80 characters are at most 320 bytes.
    if line.len() > 320 || line.chars().count() > 80 || line.split_whitespace().nth(8).is_some() {
        return false;
    }
    let chars: Vec<char> = line.chars().collect();
    let digit = |i: usize| chars.get(i).is_some_and(|&c| decimal_digit(c).is_some());
    (0..chars.len()).any(|i| {
        let sep = chars[i];
        let before = i > 0 && digit(i - 1);
        let after = digit(i + 1) && digit(i + 2);
        match sep {
            // 10:30, 19h31, 20時05分
            ':' | 'h' | 'H' | '時' => before && after,
            // 26/11/2016, 26.11.2016, 2024-03-05: two separators around digits
            '/' | '.' | '-' => {
                before
                    && digit(i + 1)
                    && chars[i + 1..]
                        .iter()
                        .take(3)
                        .position(|&c| c == sep)
                        .is_some_and(|p| digit(i + 2 + p))
            }
            '年' | '月' => before && digit(i + 1),
            _ => false,
        }
    })
}

/// When two pages' figures may veto their match.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FigureConfig {
    /// Both pages must state at least this many distinct figures for the check to apply: pages
    /// with fewer are prose, whose figures are too few to tell anything.
    pub min_figures: usize,
    /// Share of the smaller figure set found in the other, below which the figures disagree.
    pub min_overlap: f64,
}

impl Default for FigureConfig {
    fn default() -> Self {
        FigureConfig {
            min_figures: 2,
            min_overlap: 0.7,
        }
    }
}

impl FigureConfig {
    /// The check switched off.
    pub fn disabled() -> Self {
        FigureConfig {
            min_figures: usize::MAX,
            min_overlap: 0.0,
        }
    }

    /// Whether the figures of two pages (sorted sets) are compatible with one story: true when
    /// either states too few figures to judge, when fewer than [`MIN_DISAGREEING`] figures of
    /// the smaller set are missing from the other (a story's version that updates one figure,
    /// a copy that drops one), or when the smaller set is mostly found in the other.
    pub fn agree(&self, a: &[u64], b: &[u64]) -> bool {
        let small = a.len().min(b.len());
        if small < self.min_figures {
            return true;
        }
        let shared = crate::verify::intersection_size(a, b);
        small - shared < MIN_DISAGREEING || shared as f64 >= self.min_overlap * small as f64
    }
}

/// Figures of the smaller page that must be missing from the other before the figures can veto
/// a match: one updated figure is a new version of a story (a death toll, a price), while a
/// report of another day changes most of its figures.
pub const MIN_DISAGREEING: usize = 2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_of_every_script_fold_to_ascii() {
        assert_eq!(figures(["rose 125 pct"]), figures(["سجل ١٢٥ نقطة"]));
        assert!(figures(["rose 1 pct in 1987"]).is_empty());
        assert!(figures(["399 Comments"]).is_empty());
        assert_eq!(figures(["4/01 4/02"]).len(), 2);
        assert_eq!(figures(["rose １２ pct"]), figures(["rose 12 pct"]));
        assert_eq!(
            figures(["sold 1,234.5 tonnes in the week, up 10:30 on the year before"]).len(),
            2
        );
        assert_eq!(
            figures(["sold 1,234.5 tonnes"]),
            figures(["sold (1,234.5) tonnes"])
        );
        assert_ne!(
            figures(["sold 1,234.5 tonnes"]),
            figures(["sold 1234.5 tonnes"])
        );
        assert!(figures(["no figures here."]).is_empty());
        // A separator not followed by a digit ends the figure.
        assert_eq!(figures(["in 1987. Then 15"]), figures(["and then 15"]));
    }

    #[test]
    fn time_lines_give_no_figures() {
        for l in [
            "Publié le mercredi 27 mai 2020 à 3h19",
            "Publicado em 26/11/2016 19h31",
            "2007年6月29日(金) 20時05分 配信",
            "Mittwoch, 26. August 2015, 15:33 Uhr",
            "19 апреля 2020, 12:25",
            "13.06.2015",
            "Published June 10, 1987 16:35",
        ] {
            assert!(is_time_line(l), "{l}");
            assert!(figures([l]).is_empty(), "{l}");
        }
        for l in [
            "Shr 15 cts vs 11 cts",
            "Revs 3,206,000 vs 2,650,000",
            "The Treasury sold 6.0 billion dlrs of 13-week bills at an average rate of 5.53 pct.",
        ] {
            assert!(!is_time_line(l), "{l}");
        }
    }

    #[test]
    fn figures_veto_only_with_enough_figures() {
        let cfg = FigureConfig::default();
        let a = figures(["Sold 5,000 at 97.5, yield 6.12 pct, bids 12,400 on March 3"]);
        let copy = figures(["Sold 5,000 at 97.5, yield 6.12 pct, bids 12,400 on March 3"]);
        let other_day = figures(["Sold 6,000 at 97.2, yield 6.20 pct, bids 11,900 on March 10"]);
        assert!(cfg.agree(&a, &copy));
        assert!(!cfg.agree(&a, &other_day));
        assert!(cfg.agree(
            &figures(["sold 1.5 in 1987"]),
            &figures(["sold 2.5 in 1988"])
        ));
        assert!(FigureConfig::disabled().agree(&a, &other_day));
        // A version of a story that updates one figure of three is still the story.
        let first = figures(["The toll rose to 45, with 120 hurt and 3,000 displaced"]);
        let update = figures(["The toll rose to 52, with 120 hurt and 3,000 displaced"]);
        assert!(cfg.agree(&first, &update));
        // Two figures of three changed: another report.
        let other = figures(["The toll rose to 52, with 160 hurt and 3,000 displaced"]);
        assert!(!cfg.agree(&first, &other));
    }

    #[test]
    fn ascii_and_unicode_paths_agree() {
        for line in [
            "Sold 5,000 at 97.5, yield 6.12 pct, bids 12,400 on March 3",
            "in 1987. Then 15 and 1,2,3 or 4/5/6 at 10:30, 7. 8, 99",
            "trailing 12, and 3.",
            "1999 2000 2100 19 7",
            "a,1 b.2 c:33 ,44 55,",
        ] {
            let mut a = Vec::new();
            ascii_figures(line.as_bytes(), &mut a);
            let mut u = Vec::new();
            unicode_figures(line, &mut String::new(), &mut u);
            assert_eq!(a, u, "{line}");
        }
    }

    proptest::proptest! {
        // A line whose other characters are letters, quotes or dashes gives the same figures
        // from its bytes (the path `specific_figures` takes for it) as from its characters;
        // with a digit or separator of another script it takes the Unicode path.
        #[test]
        fn byte_path_equals_the_unicode_path_without_other_digits(line in "[0-9a-z .,:/\u{2019}\u{201C}\u{2014}\u{00E9}\u{0430}\u{4E00}\u{0661}\u{066B}]{0,40}") {
            let mut a = Vec::new();
            specific_figures(&line, &mut String::new(), &mut a);
            let mut u = Vec::new();
            unicode_figures(&line, &mut String::new(), &mut u);
            proptest::prop_assert_eq!(a, u, "{:?}", line);
        }
    }

    #[test]
    fn figures_by_line_select_the_same_as_reading_the_lines() {
        let text = "Sold 5,000 at 97.5\nno figures here at all\nbids 12,400 on March 3\n10:30\nup 1.5 to 7.25 pct";
        let table = figures_by_line(text);
        let lines: Vec<&str> = text.lines().collect();
        for rows in [vec![0u32, 2, 4], vec![1, 3], vec![2], vec![]] {
            let by_reading = figures(rows.iter().map(|&r| lines[r as usize]));
            assert_eq!(select(&table, &rows), by_reading, "{rows:?}");
        }
        assert!(!select(&table, &[0, 2, 4]).is_empty());
    }
}
