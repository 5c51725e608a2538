//! wire.rs: which news agency does a page come from, and does a copy still say so?
//!
//! One static data table, [`AGENCIES`], lists each agency with the marks it leaves on a page:
//! - `datelines`: the agency tag of a dateline, `SEOUL, South Korea (AP) —`, `LONDON, March 5
//!   (Reuters) -`;
//! - `credits`: credit and copyright lines, `The Associated Press`, `© 2024 Reuters`;
//! - `bylines`: byline and photo-credit phrases, `Associated Press writer`, `AP Photo`;
//! - `domains`: the agency's own sites (registrable domains), `apnews.com`.
//!
//! To add an agency, add one entry. Marks are case-sensitive literal text with one wildcard:
//! `*` stands for up to 24 characters on the same line (`© * Reuters` matches
//! `© 2024 Reuters`). A mark only matches at word boundaries, so `(AP)` does not match inside
//! `(APA)` and `UPI` not inside `UPIs`.
//!
//! Invariant: detection is a pure function of the text and the site; ties between agencies go to
//! the one listed first, so the answer never depends on anything but the table.

use serde::Serialize;

/// A news agency and the marks it leaves on a page. See the module doc for the mark syntax.
#[derive(Debug, PartialEq, Eq)]
pub struct Agency {
    /// Short code used in reports: `AP`.
    pub code: &'static str,
    /// Full name: `The Associated Press`.
    pub name: &'static str,
    /// Dateline agency tags.
    pub datelines: &'static [&'static str],
    /// Credit and copyright lines.
    pub credits: &'static [&'static str],
    /// Byline and photo-credit phrases.
    pub bylines: &'static [&'static str],
    /// The agency's own sites, as registrable domains.
    pub domains: &'static [&'static str],
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

/// The agencies wirecopy knows, in tie-break order.
pub static AGENCIES: &[Agency] = &[
    Agency {
        code: "AP",
        name: "The Associated Press",
        datelines: &["(AP)"],
        credits: &[
            "The Associated Press",
            "Follow AP's",
            "Copyright * Associated Press",
        ],
        bylines: &[
            "Associated Press writer",
            "Associated Press Writer",
            "AP Photo",
        ],
        domains: &["apnews.com", "ap.org"],
    },
    Agency {
        code: "Reuters",
        name: "Reuters",
        datelines: &["(Reuters)"],
        credits: &["© * Reuters", "Thomson Reuters", "Copyright * Reuters"],
        bylines: &["Editing by", "Reporting by"],
        domains: &["reuters.com"],
    },
    Agency {
        code: "AFP",
        name: "Agence France-Presse",
        datelines: &["(AFP)"],
        credits: &["Agence France-Presse", "Agence France Presse", "© * AFP"],
        bylines: &["AFP Photo", "AFP via Getty"],
        domains: &["afp.com"],
    },
    Agency {
        code: "UPI",
        name: "United Press International",
        datelines: &["(UPI)"],
        credits: &["United Press International", "© * UPI"],
        bylines: &["UPI Photo"],
        domains: &["upi.com"],
    },
    Agency {
        code: "dpa",
        name: "Deutsche Presse-Agentur",
        datelines: &["(dpa)"],
        credits: &["Deutsche Presse-Agentur", "dpa-AFX", "© * dpa"],
        bylines: &["Photo: dpa"],
        domains: &["dpa.com", "dpa-international.com"],
    },
    Agency {
        code: "PA",
        name: "PA Media",
        datelines: &["(PA)"],
        credits: &["PA Media", "Press Association"],
        bylines: &["PA Wire"],
        domains: &["pa.media"],
    },
    Agency {
        code: "Bloomberg",
        name: "Bloomberg News",
        datelines: &["(Bloomberg)"],
        credits: &["Bloomberg L.P.", "©* Bloomberg"],
        bylines: &["Bloomberg News"],
        domains: &["bloomberg.com"],
    },
    Agency {
        code: "Xinhua",
        name: "Xinhua News Agency",
        datelines: &["(Xinhua)"],
        credits: &["Xinhua News Agency"],
        bylines: &["Xinhua/"],
        domains: &["xinhuanet.com", "news.cn"],
    },
    Agency {
        code: "Kyodo",
        name: "Kyodo News",
        datelines: &["(Kyodo)"],
        credits: &["Kyodo News"],
        bylines: &[],
        domains: &["kyodonews.net"],
    },
    Agency {
        code: "Yonhap",
        name: "Yonhap News Agency",
        datelines: &["(Yonhap)"],
        credits: &["Yonhap News Agency"],
        bylines: &[],
        domains: &["yna.co.kr"],
    },
    Agency {
        code: "ANSA",
        name: "ANSA",
        datelines: &["(ANSA)"],
        credits: &["© * ANSA"],
        bylines: &[],
        domains: &["ansa.it"],
    },
    Agency {
        code: "EFE",
        name: "Agencia EFE",
        datelines: &["(EFE)"],
        credits: &["Agencia EFE", "© * EFE"],
        bylines: &[],
        domains: &["efe.com"],
    },
    Agency {
        code: "CP",
        name: "The Canadian Press",
        datelines: &["(CP)"],
        credits: &["The Canadian Press"],
        bylines: &[],
        domains: &["thecanadianpress.com"],
    },
    Agency {
        code: "AAP",
        name: "Australian Associated Press",
        datelines: &["(AAP)"],
        credits: &["Australian Associated Press"],
        bylines: &[],
        domains: &["aap.com.au"],
    },
    Agency {
        code: "PTI",
        name: "Press Trust of India",
        datelines: &["(PTI)"],
        credits: &["Press Trust of India"],
        bylines: &[],
        domains: &["ptinews.com"],
    },
    Agency {
        code: "Business Wire",
        name: "Business Wire",
        datelines: &["(BUSINESS WIRE)"],
        credits: &["Business Wire"],
        bylines: &[],
        domains: &["businesswire.com"],
    },
    Agency {
        code: "PR Newswire",
        name: "PR Newswire",
        datelines: &["/PRNewswire/"],
        credits: &["PR Newswire"],
        bylines: &[],
        domains: &["prnewswire.com"],
    },
    Agency {
        code: "GlobeNewswire",
        name: "GlobeNewswire",
        datelines: &["(GLOBE NEWSWIRE)"],
        credits: &["GlobeNewswire", "Globe Newswire"],
        bylines: &[],
        domains: &["globenewswire.com"],
    },
];

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
                (DATELINE, a.datelines),
                (CREDIT, a.credits),
                (BYLINE, a.bylines),
            ] {
                for m in list {
                    let pieces: Vec<&'static str> = m.split('*').map(str::trim).collect();
                    if pieces.first().is_some_and(|p| !p.is_empty()) {
                        marks.push((i, kind, pieces));
                    }
                }
            }
        }
        let automaton = aho_corasick::AhoCorasick::new(marks.iter().map(|m| m.2[0]))
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
            .chain(agency.credits)
            .chain(agency.bylines)
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

/// A mark starting with a word character must not continue a word.
fn boundary_before(text: &str, i: usize) -> bool {
    let next_is_word = text[i..].chars().next().is_some_and(is_word);
    !next_is_word || !text[..i].chars().next_back().is_some_and(is_word)
}

/// A mark ending with a word character must not run into a word.
fn boundary_after(text: &str, i: usize) -> bool {
    let prev_is_word = text[..i].chars().next_back().is_some_and(is_word);
    !prev_is_word || !text[i..].chars().next().is_some_and(is_word)
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
    fn table_is_well_formed() {
        let mut codes: Vec<_> = AGENCIES.iter().map(|a| a.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), AGENCIES.len(), "agency codes are unique");
        for a in AGENCIES {
            assert!(
                !a.datelines.is_empty() && !a.domains.is_empty(),
                "{}",
                a.code
            );
            for m in a.datelines.iter().chain(a.credits).chain(a.bylines) {
                assert!(!m.starts_with('*') && !m.ends_with('*'), "{m}");
            }
        }
    }
}
