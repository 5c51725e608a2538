//! wire.rs: which news agency does a page come from, and does a copy still say so?
//!
//! One data table, `data/agencies.txt` (compiled in, read into [`AGENCIES`]), lists each agency
//! with the marks it leaves on a page, in its languages:
//! - `datelines`: the agency tag of a dateline, `SEOUL, South Korea (AP) —`, `LONDON, March 5
//!   (Reuters) -`, `МОСКВА, 5 марта. /ТАСС/.`, `【北京共同】`, `新华社长沙3月8日电`;
//! - `credits`: credit and copyright lines, `The Associated Press`, `© 2024 Reuters`, `واس`;
//! - `bylines`: byline and photo-credit phrases, `Associated Press writer`, `AP Photo`;
//! - `domains`: the agency's own sites (registrable domains), `apnews.com`.
//!
//! To add an agency, add one block to the file. Marks are case-sensitive literal text with one
//! wildcard: `*` stands for up to 24 characters on the same line (`© * Reuters` matches
//! `© 2024 Reuters`, `【*共同】` matches `【北京共同】`). A mark only matches at word boundaries, so
//! `(AP)` does not match inside `(APA)` and `UPI` not inside `UPIs`; scripts written without
//! spaces have a boundary between any two characters, so `新华社` matches in `新华社长沙3月8日电`.
//! Phrases any paper prints (`Reporting by`, `Editing by`) are evidence for no agency.
//!
//! Invariant: detection is a pure function of the text and the site; ties between agencies go to
//! the one listed first, so the answer never depends on anything but the table.

use crate::normalize::is_unspaced;
use serde::Serialize;

/// A news agency and the marks it leaves on a page. See the module doc for the mark syntax.
#[derive(Debug, PartialEq, Eq)]
pub struct Agency {
    /// Short code used in reports: `AP`.
    pub code: &'static str,
    /// Full name: `The Associated Press`.
    pub name: &'static str,
    /// Dateline agency tags.
    pub datelines: Vec<&'static str>,
    /// Credit and copyright lines.
    pub credits: Vec<&'static str>,
    /// Byline and photo-credit phrases.
    pub bylines: Vec<&'static str>,
    /// The agency's own sites, as registrable domains.
    pub domains: Vec<&'static str>,
}

impl Serialize for Agency {
    /// An agency serializes as `{"code": .., "name": ..}`; the marks are configuration.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Agency", 2)?;
        st.serialize_field("code", self.code)?;
        st.serialize_field("name", self.name)?;
        st.end()
    }
}

/// The agency table, `data/agencies.txt`.
const AGENCY_TABLE: &str = include_str!("../data/agencies.txt");

/// The agencies wirecopy knows, in tie-break order (the order of `data/agencies.txt`).
pub static AGENCIES: std::sync::LazyLock<Vec<Agency>> = std::sync::LazyLock::new(|| {
    // The file is compiled in and a unit test parses it: an error cannot reach here.
    parse_agencies(AGENCY_TABLE).unwrap_or_default()
});

/// Read an agency table (see `data/agencies.txt` for the format), or say what is wrong with it.
fn parse_agencies(text: &'static str) -> Result<Vec<Agency>, String> {
    let mut out: Vec<Agency> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        let value = value.trim();
        if value.is_empty() {
            return Err(format!("line {}: {key} without a value", n + 1));
        }
        if key == "agency" {
            out.push(Agency {
                code: value,
                name: value,
                datelines: Vec::new(),
                credits: Vec::new(),
                bylines: Vec::new(),
                domains: Vec::new(),
            });
            continue;
        }
        let Some(a) = out.last_mut() else {
            return Err(format!("line {}: {key} before any agency", n + 1));
        };
        match key {
            "name" => a.name = value,
            "dateline" => a.datelines.push(value),
            "credit" => a.credits.push(value),
            "byline" => a.bylines.push(value),
            "domain" => a.domains.push(value),
            _ => return Err(format!("line {}: unknown key {key}", n + 1)),
        }
    }
    Ok(out)
}

/// How much each kind of evidence weighs when agencies compete for a page.
const WEIGHT_DOMAIN: u32 = 4;
const WEIGHT_DATELINE: u32 = 3;
const WEIGHT_CREDIT: u32 = 2;
const WEIGHT_BYLINE: u32 = 1;

/// Widest gap a `*` in a mark may span, in characters.
const WILDCARD_MAX: usize = 24;

/// The agency whose own site `site` (a registrable domain or host) is.
pub fn agency_of_site(site: &str) -> Option<&'static Agency> {
    let site = site.trim_end_matches('.').to_ascii_lowercase();
    AGENCIES.iter().find(|a| {
        a.domains.iter().any(|d| {
            site == *d || (site.ends_with(d) && site[..site.len() - d.len()].ends_with('.'))
        })
    })
}

/// Kinds of mark, as bits of [`MarkSet`].
const DATELINE: u8 = 1;
const CREDIT: u8 = 2;
const BYLINE: u8 = 4;

/// Which kinds of mark of each agency (indexed like [`AGENCIES`]) a text carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkSet(Vec<u8>);

impl MarkSet {
    fn has(&self, agency: usize, kind: u8) -> bool {
        self.0.get(agency).is_some_and(|k| k & kind != 0)
    }

    fn union(mut self, other: &MarkSet) -> MarkSet {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
        self
    }
}

/// Every mark of the table: `(agency index, kind, pieces split at '*')`, and one Aho-Corasick
/// automaton over the marks' first pieces, so that a text is scanned once for all agencies.
struct Marks {
    marks: Vec<(usize, u8, Vec<&'static str>)>,
    automaton: aho_corasick::AhoCorasick,
}

fn marks() -> &'static Marks {
    static MARKS: std::sync::OnceLock<Marks> = std::sync::OnceLock::new();
    MARKS.get_or_init(|| {
        let mut marks = Vec::new();
        for (i, a) in AGENCIES.iter().enumerate() {
            for (kind, list) in [
                (DATELINE, &a.datelines),
                (CREDIT, &a.credits),
                (BYLINE, &a.bylines),
            ] {
                for m in list {
                    let pieces: Vec<&'static str> = m.split('*').map(str::trim).collect();
                    if pieces.first().is_some_and(|p| !p.is_empty()) {
                        marks.push((i, kind, pieces));
                    }
                }
            }
        }
        // A DFA: built once for the process (the table is static), and the fastest to search
        // (every kept line of every story member is scanned).
        let automaton = aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(marks.iter().map(|m| m.2[0]))
            .unwrap_or_else(|e| unreachable!("the static mark table builds an automaton: {e}"));
        Marks { marks, automaton }
    })
}

/// The marks `text` carries, found in one pass (see the module doc for the mark syntax).
pub fn marks_in(text: &str) -> MarkSet {
    let m = marks();
    let mut set = MarkSet(vec![0; AGENCIES.len()]);
    for hit in m.automaton.find_overlapping_iter(text) {
        let (agency, kind, pieces) = &m.marks[hit.pattern().as_usize()];
        if set.has(*agency, *kind) || !boundary_before(text, hit.start()) {
            continue;
        }
        if let Some(end) = rest_matches(text, hit.end(), &pieces[1..]) {
            if boundary_after(text, end) {
                set.0[*agency] |= kind;
            }
        }
    }
    set
}

fn position(agency: &Agency) -> Option<usize> {
    AGENCIES
        .iter()
        .position(|a| std::ptr::eq(a, agency) || a.code == agency.code)
}

/// Does the text carry any of the agency's marks (dateline, credit line or byline)?
pub fn credits(agency: &Agency, text: &str) -> bool {
    match position(agency) {
        Some(i) => marks_in(text).has(i, DATELINE | CREDIT | BYLINE),
        None => agency
            .datelines
            .iter()
            .chain(&agency.credits)
            .chain(&agency.bylines)
            .any(|m| contains_mark(text, m)),
    }
}

/// The agency a page comes from, if any: the one with the most weighty evidence among its site
/// and its texts (a page's full text, its paragraphs, ...). Ties go to the agency listed first.
pub fn detect(site: Option<&str>, texts: &[&str]) -> Option<&'static Agency> {
    let own = site.and_then(agency_of_site);
    let found = texts
        .iter()
        .fold(MarkSet(vec![0; AGENCIES.len()]), |acc, t| {
            acc.union(&marks_in(t))
        });
    let mut best: Option<(&'static Agency, u32)> = None;
    for (i, agency) in AGENCIES.iter().enumerate() {
        let mut score = 0;
        if own == Some(agency) {
            score += WEIGHT_DOMAIN;
        }
        if found.has(i, DATELINE) {
            score += WEIGHT_DATELINE;
        }
        if found.has(i, CREDIT) {
            score += WEIGHT_CREDIT;
        }
        if found.has(i, BYLINE) {
            score += WEIGHT_BYLINE;
        }
        if score > 0 && best.is_none_or(|(_, b)| score > b) {
            best = Some((agency, score));
        }
    }
    best.map(|(a, _)| a)
}

/// Does `text` contain `mark` (see the module doc for the syntax) at word boundaries?
pub fn contains_mark(text: &str, mark: &str) -> bool {
    let pieces: Vec<&str> = mark.split('*').map(str::trim).collect();
    let Some(first) = pieces.first().filter(|p| !p.is_empty()) else {
        return false;
    };
    let mut from = 0;
    while let Some(pos) = text[from..].find(first) {
        let start = from + pos;
        if boundary_before(text, start) {
            if let Some(end) = rest_matches(text, start + first.len(), &pieces[1..]) {
                if boundary_after(text, end) {
                    return true;
                }
            }
        }
        // Advance by one character, staying on a char boundary.
        from = start + text[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// Match the pieces after a wildcard, each within `WILDCARD_MAX` characters on the same line;
/// returns the end of the match.
fn rest_matches(text: &str, at: usize, pieces: &[&str]) -> Option<usize> {
    let Some((piece, rest)) = pieces.split_first() else {
        return Some(at);
    };
    let window_end = text[at..]
        .char_indices()
        .take_while(|(_, c)| *c != '\n')
        .nth(WILDCARD_MAX + piece.chars().count())
        .map_or(text.len(), |(i, _)| at + i);
    let line = text[at..window_end].split('\n').next().unwrap_or("");
    let mut from = 0;
    while let Some(pos) = line[from..].find(piece) {
        let end = at + from + pos + piece.len();
        if let Some(e) = rest_matches(text, end, rest) {
            return Some(e);
        }
        from += pos + line[from + pos..].chars().next().map_or(1, char::len_utf8);
    }
    None
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Is there a word boundary at byte `i`? Not between two word characters of scripts written
/// with spaces; always elsewhere, and between any two characters of scripts written without
/// spaces (Chinese, Japanese, Thai), where words are not marked.
fn boundary(text: &str, i: usize) -> bool {
    match (text[..i].chars().next_back(), text[i..].chars().next()) {
        (Some(p), Some(n)) if is_word(p) && is_word(n) => is_unspaced(p) || is_unspaced(n),
        _ => true,
    }
}

/// A mark starting with a word character must not continue a word.
fn boundary_before(text: &str, i: usize) -> bool {
    boundary(text, i)
}

/// A mark ending with a word character must not run into a word.
fn boundary_after(text: &str, i: usize) -> bool {
    boundary(text, i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(a: Option<&Agency>) -> Option<&str> {
        a.map(|a| a.code)
    }

    #[test]
    fn datelines_credit_lines_and_sites_are_recognised() {
        let ap = "SEOUL, South Korea (AP) — North Korea fired a missile.";
        assert_eq!(code(detect(None, &[ap])), Some("AP"));
        let reuters = "LONDON, March 5 (Reuters) - Shares fell.";
        assert_eq!(code(detect(None, &[reuters])), Some("Reuters"));
        assert_eq!(
            code(detect(None, &["© 2024 Reuters. All rights"])),
            Some("Reuters")
        );
        assert_eq!(code(detect(None, &["PARIS (AFP) - Strikes"])), Some("AFP"));
        assert_eq!(
            code(detect(Some("en.yna.co.kr"), &["no marks"])),
            Some("Yonhap")
        );
        assert_eq!(code(detect(Some("apnews.com"), &[])), Some("AP"));
        assert_eq!(code(detect(Some("example.com"), &["plain text"])), None);
    }

    #[test]
    fn site_outweighs_a_quoted_other_agency() {
        // An AP page quoting a Reuters report is still AP's.
        let t = "The figures were first reported by Reuters (Reuters) earlier.";
        assert_eq!(code(detect(Some("apnews.com"), &[t])), Some("AP"));
    }

    #[test]
    fn marks_respect_word_boundaries_and_lines() {
        assert!(contains_mark("x (AP) — y", "(AP)"));
        assert!(!contains_mark("x (APA) — y", "(AP)"));
        assert!(contains_mark(
            "Copyright 2024 The Associated Press.",
            "The Associated Press"
        ));
        assert!(!contains_mark("UPIs", "UPI"));
        assert!(contains_mark("© 2024 Reuters", "© * Reuters"));
        assert!(!contains_mark("© 2024\nReuters", "© * Reuters"));
        assert!(!contains_mark(
            "© 2024 this is a very long line of text Reuters",
            "© * Reuters"
        ));
        assert!(!contains_mark("", "(AP)"));
        assert!(!contains_mark("ünïcödé (A", "(AP)"));
    }

    proptest::proptest! {
        /// Any text, including multi-byte characters next to a partial mark, is searched
        /// without panicking, and a mark found is really there.
        #[test]
        fn marks_never_panic(text in "[(A-Pé© \n2024Reuters)]{0,40}") {
            for m in ["(AP)", "© * Reuters", "Reuters"] {
                if contains_mark(&text, m) {
                    let first = m.split('*').next().unwrap_or(m).trim();
                    proptest::prop_assert!(text.contains(first));
                }
            }
        }
    }

    #[test]
    fn credit_check_uses_any_mark() {
        let ap = &AGENCIES[0];
        assert!(credits(ap, "By Jane Doe, Associated Press writer"));
        assert!(credits(ap, "Follow AP's coverage of Asia"));
        assert!(!credits(
            ap,
            "SEOUL, South Korea — North Korea fired a missile."
        ));
    }

    #[test]
    fn agencies_of_every_language() {
        for (text, want) in [
            ("Wien (APA) – Die Regierung hat am Montag", "APA"),
            (
                "Die Regierung hat am Montag beraten. (APA, 13.6.2015)",
                "APA",
            ),
            ("Berlin (dpa) – Die Koalition streitet", "dpa"),
            // The regional services: most datelines on German local sites.
            ("Kiel (dpa/lno) - Eine Fähre ist", "dpa"),
            ("München (dpa/lby) - Der Landtag", "dpa"),
            ("Bonn (KNA) Die Bischöfe", "KNA"),
            ("МОСКВА, 5 марта. /ТАСС/. Президент провел", "TASS"),
            ("МОСКВА, 5 мар — РИА Новости. Президент провел", "RIA"),
            ("Москва. 5 марта. INTERFAX.RU - Президент", "Interfax"),
            ("【北京共同】中国外務省は5日", "Kyodo"),
            ("【東京時事】政府は5日", "Jiji"),
            ("新华社长沙3月8日电 记者从湖南省获悉", "Xinhua"),
            ("新华网北京6月3日电 国务院", "Xinhua"),
            ("中新网10月10日电 据报道", "CNS"),
            ("الرياض 26 شوال 1436 هـ الموافق 11 اغسطس 2015 م واس", "SPA"),
            ("القاهرة (أ ش أ) قال", "MENA"),
            ("أبوظبي في 5 مارس / وام / أعلنت", "WAM"),
            ("ANKARA (AA) - Turkish officials", "Anadolu"),
            ("MADRID, 5 (EUROPA PRESS) El Gobierno", "Europa Press"),
            ("Madrid, 25 may (EFE).- El Gobierno", "EFE"),
            ("PARIS (AFP) - Le gouvernement", "AFP"),
            ("서울 (연합뉴스) 정부는", "Yonhap"),
            ("Com informações do Estadão Conteúdo.", "Estadão Conteúdo"),
        ] {
            assert_eq!(code(detect(None, &[text])), Some(want), "{text}");
        }
        // The marks respect word boundaries in spaced scripts.
        assert_eq!(
            code(detect(None, &["Die Tassen (TASSEN) im Schrank"])),
            None
        );
        assert_eq!(code(detect(None, &["الواسع"])), None);
    }

    #[test]
    fn generic_english_phrases_are_no_agency() {
        let t = "(Reporting by Jane Doe; Editing by John Smith)";
        assert_eq!(code(detect(None, &[t])), None);
        assert_eq!(
            code(detect(Some("example.com"), &["Reporting by our staff"])),
            None
        );
    }

    #[test]
    fn cjk_marks_match_next_to_characters() {
        assert!(contains_mark("新华社长沙3月8日电", "新华社"));
        assert!(contains_mark("据Reuters报道", "Reuters"));
        assert!(contains_mark("【大阪共同】", "【*共同】"));
        assert!(!contains_mark("【速報】共同声明", "【*共同】"));
        assert!(!contains_mark("xReuters", "Reuters"));
    }

    #[test]
    fn the_table_file_is_checked() {
        assert!(parse_agencies(AGENCY_TABLE).is_ok_and(|a| a.len() == AGENCIES.len()));
        assert_eq!(
            parse_agencies("dateline (X)").err(),
            Some("line 1: dateline before any agency".into())
        );
        assert_eq!(
            parse_agencies("agency X\nslogan Y").err(),
            Some("line 2: unknown key slogan".into())
        );
        assert_eq!(
            parse_agencies("agency X\ncredit").err(),
            Some("line 2: credit without a value".into())
        );
    }

    #[test]
    fn table_is_well_formed() {
        let mut codes: Vec<_> = AGENCIES.iter().map(|a| a.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), AGENCIES.len(), "agency codes are unique");
        for a in AGENCIES.iter() {
            assert!(
                !a.datelines.is_empty() && !a.domains.is_empty(),
                "{}",
                a.code
            );
            for m in a.datelines.iter().chain(&a.credits).chain(&a.bylines) {
                assert!(!m.starts_with('*') && !m.ends_with('*'), "{m}");
            }
        }
    }
}
