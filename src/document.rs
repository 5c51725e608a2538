//! What a document is once read: its identity as the input gave it, its text and the metadata the
//! report needs. Readers (see `source`) make documents; every later stage only reads them.
//!
//! Invariant: a document's identity is its `id` exactly as given (string or number) plus, to tell
//! apart inputs that repeat an id, a hash of its text; nothing depends on input order.

use serde::{Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;

/// A document identifier as the input spelled it: a string or a JSON number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DocId {
    /// A string id.
    Str(String),
    /// A numeric id, kept in its textual form so that it round-trips unchanged.
    Num(String),
}

impl DocId {
    /// The id as text (numbers in their input spelling).
    pub fn as_str(&self) -> &str {
        match self {
            DocId::Str(s) | DocId::Num(s) => s,
        }
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for DocId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            DocId::Str(v) => s.serialize_str(v),
            DocId::Num(v) => match v.parse::<serde_json::Number>() {
                Ok(n) => n.serialize(s),
                Err(_) => s.serialize_str(v),
            },
        }
    }
}

impl Ord for DocId {
    /// Numbers sort numerically when both are integers, otherwise ids sort by text; numbers
    /// before strings. A total, input-order-independent order.
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (DocId::Num(a), DocId::Num(b)) => match (a.parse::<i128>(), b.parse::<i128>()) {
                (Ok(x), Ok(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
                _ => a.cmp(b),
            },
            (DocId::Num(_), DocId::Str(_)) => Ordering::Less,
            (DocId::Str(_), DocId::Num(_)) => Ordering::Greater,
            (DocId::Str(a), DocId::Str(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for DocId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A publication time: the text the input gave and the instant it denotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The input's spelling, echoed in outputs.
    pub raw: String,
    /// Seconds since the Unix epoch (UTC); a bare date is midnight UTC.
    pub unix: i64,
    /// The input gave a bare date: the instant is only known to the day.
    pub date_only: bool,
}

impl Published {
    /// The earliest and latest instant this time may denote (a bare date spans its whole day).
    pub fn span(&self) -> (i64, i64) {
        if self.date_only {
            (self.unix, self.unix + 86_399)
        } else {
            (self.unix, self.unix)
        }
    }
}

impl Published {
    /// Parse RFC 3339 (`2024-03-05T10:00:00Z`) or a bare date (`2024-03-05`).
    pub fn parse(raw: &str) -> Option<Published> {
        use time::format_description::well_known::Rfc3339;
        let t = raw.trim();
        if let Ok(dt) = time::OffsetDateTime::parse(t, &Rfc3339) {
            return Some(Published {
                raw: t.to_string(),
                unix: dt.unix_timestamp(),
                date_only: false,
            });
        }
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        if let Ok(d) = time::Date::parse(t, &fmt) {
            return Some(Published {
                raw: t.to_string(),
                unix: d.midnight().assume_utc().unix_timestamp(),
                date_only: true,
            });
        }
        None
    }
}

/// One input document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Identity as given by the input.
    pub id: DocId,
    /// Where the page was found, when known.
    pub url: Option<String>,
    /// The publishing site: the input's `site` field, else the registrable domain of `url`.
    pub site: Option<String>,
    /// Headline, when known.
    pub title: Option<String>,
    /// Publication time, when known and parseable.
    pub published: Option<Published>,
    /// The text as a plain-text scrape sees it (lines = paragraphs or page blocks).
    pub text: String,
}

impl Document {
    /// A document with only an id and a text.
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Document {
        Document {
            id: DocId::Str(id.into()),
            url: None,
            site: None,
            title: None,
            published: None,
            text: text.into(),
        }
    }

    /// The key that orders documents independently of input order: id, then text hash.
    pub fn order_key(&self) -> (&DocId, u64) {
        (&self.id, xxhash_rust::xxh3::xxh3_64(self.text.as_bytes()))
    }

    /// The site this document belongs to: `site`, else the registrable domain of `url`.
    pub fn site_or_domain(&self) -> Option<String> {
        if let Some(s) = &self.site {
            return Some(s.to_ascii_lowercase());
        }
        self.url.as_deref().and_then(site_of_url)
    }
}

/// Share of a text's non-whitespace characters above which it is not text but a decoded binary
/// (an image served as `text/html`) or a page in an encoding that could not be decoded.
pub const MAX_UNREADABLE_SHARE: f64 = 0.1;

/// Why a text is unusable, or `None` when it is text: more than [`MAX_UNREADABLE_SHARE`] of its
/// non-whitespace characters are U+FFFD replacement characters, control characters other than
/// tab and line ends, or noncharacters. Real text in any script has next to none of these; a
/// binary file decoded as UTF-8 is mostly U+FFFD, decoded as a single-byte charset about one in
/// seven characters is a control.
pub fn unreadable(text: &str) -> Option<String> {
    let mut total = 0usize;
    let mut bad = 0usize;
    // A quick verdict for ordinary text, in loops that vectorize: every bad character starts
    // with a suspicious byte (an ASCII control other than tab and line ends, DEL, or a lead byte
    // of U+0080-U+00BF, U+F000-U+FFFF or the supplementary planes), and every ASCII byte that is
    // not a space, tab or line end is a counted character. Few suspicious bytes among many
    // such characters cannot reach the share.
    let bytes = text.as_bytes();
    let suspicious = count_bytes(bytes, |x| {
        (x < 0x20 && !matches!(x, b'\t' | b'\n' | b'\r'))
            || x == 0x7f
            || x == 0xc2
            || x == 0xef
            || x >= 0xf0
    });
    let ascii_chars = count_bytes(bytes, |x| {
        x < 0x80 && !matches!(x, b' ' | b'\t' | b'\n' | b'\r')
    });
    if suspicious as f64 <= MAX_UNREADABLE_SHARE * ascii_chars as f64 {
        return None;
    }
    // ASCII bytes are classified by table without decoding: 0 skipped (space, tab, line ends),
    // 1 a character, 2 a bad one (the other controls, U+000B, U+000C and DEL too).
    const ASCII: [u8; 128] = {
        let mut t = [1u8; 128];
        let mut b = 0;
        while b < 0x20 {
            t[b] = 2;
            b += 1;
        }
        t[0x7f] = 2;
        t[b' ' as usize] = 0;
        t[b'\t' as usize] = 0;
        t[b'\n' as usize] = 0;
        t[b'\r' as usize] = 0;
        t
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            let class = ASCII[usize::from(b)];
            total += usize::from(class != 0);
            bad += usize::from(class == 2);
            i += 1;
            continue;
        }
        let Some(c) = text.get(i..).and_then(|t| t.chars().next()) else {
            break;
        };
        i += c.len_utf8();
        if c.is_whitespace() && !c.is_control() {
            continue;
        }
        total += 1;
        let u = c as u32;
        if c == '\u{fffd}'
            || c.is_control()
            || (0xfdd0..=0xfdef).contains(&u)
            || u & 0xfffe == 0xfffe
        {
            bad += 1;
        }
    }
    if total > 0 && bad as f64 > MAX_UNREADABLE_SHARE * total as f64 {
        Some(format!(
            "not text: {bad} of {total} characters are replacement or control characters (binary or undecodable content)"
        ))
    } else {
        None
    }
}

/// How many bytes satisfy `pred`, counted in byte-wide lanes (blocks of 255) so that the loop
/// vectorizes.
fn count_bytes(bytes: &[u8], pred: impl Fn(u8) -> bool) -> usize {
    bytes
        .chunks(255)
        .map(|c| {
            usize::from(
                c.iter()
                    .fold(0u8, |n, &x| n.wrapping_add(u8::from(pred(x)))),
            )
        })
        .sum()
}

/// The registrable domain (eTLD+1) of a URL's host: `https://www.m.example.co.uk/x` ->
/// `example.co.uk`. Hosts that are IP addresses or have no public suffix are returned whole,
/// lowercased, without a leading `www.`, `m.` or `amp.`.
pub fn site_of_url(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let host = match parsed.host()? {
        url::Host::Domain(d) => d.trim_end_matches('.').to_ascii_lowercase(),
        ip => return Some(ip.to_string()),
    };
    if host.is_empty() {
        return None;
    }
    if let Some(d) = psl::domain_str(&host) {
        return Some(d.to_string());
    }
    let mut h = host.as_str();
    for p in ["www.", "m.", "amp."] {
        if let Some(rest) = h.strip_prefix(p) {
            h = rest;
        }
    }
    Some(h.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_texts_are_told_from_text() {
        assert_eq!(unreadable("Plain text.\nÜber 10 % — 東京 ok\t"), None);
        assert_eq!(unreadable(""), None);
        let binary = "\u{fffd}\u{fffd}PNG\u{fffd}\u{1a}\u{0}\u{0}IHDR\u{fffd}";
        assert!(unreadable(binary).is_some_and(|m| m.contains("not text")));
        // Near the share, both sides of it: the quick verdict must not decide these.
        let at =
            |bad: usize, good: usize| format!("{}{}", "\u{fffd}".repeat(bad), "a".repeat(good));
        assert_eq!(unreadable(&at(10, 90)), None);
        assert!(unreadable(&at(11, 89)).is_some());
        assert!(unreadable(&format!("{}{}", "\u{80}".repeat(11), "é".repeat(89))).is_some());
        assert_eq!(
            unreadable(&format!("{}{}", "©".repeat(10), "a".repeat(10))),
            None
        );
        // One stray replacement character in a paragraph is still text.
        let mostly = format!("{}\u{fffd}", "word ".repeat(20));
        assert_eq!(unreadable(&mostly), None);
        // Windows-1252 decoding of binary: controls among Latin-1 letters.
        let latin: String = (0u8..=255).map(char::from).collect();
        assert!(unreadable(&latin).is_some());
        // The byte path for ASCII agrees with the character rule on every ASCII character.
        for b in 0u8..0x80 {
            let c = char::from(b);
            let skipped = c.is_whitespace() && !c.is_control() || matches!(c, '\t' | '\n' | '\r');
            let text = format!("{c}{c}{c}");
            assert_eq!(
                unreadable(&text).is_some(),
                !skipped && c.is_control(),
                "{b:#x}"
            );
        }
    }

    #[test]
    fn site_collapses_subdomains() {
        assert_eq!(
            site_of_url("https://www.bbc.co.uk/news/1").as_deref(),
            Some("bbc.co.uk")
        );
        assert_eq!(
            site_of_url("https://m.example.com/a").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            site_of_url("http://127.0.0.1:8080/a").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(site_of_url("not a url"), None);
    }

    #[test]
    fn published_parses_both_forms() {
        assert_eq!(Published::parse("1970-01-02").map(|p| p.unix), Some(86400));
        assert_eq!(
            Published::parse("1970-01-01T00:01:00Z").map(|p| p.unix),
            Some(60)
        );
        assert_eq!(Published::parse("yesterday"), None);
    }

    #[test]
    fn numeric_ids_sort_numerically_and_serialize_as_numbers() {
        let mut v = [
            DocId::Num("10".into()),
            DocId::Str("a".into()),
            DocId::Num("9".into()),
        ];
        v.sort();
        assert_eq!(v[0], DocId::Num("9".into()));
        assert_eq!(serde_json::to_string(&v[1]).unwrap(), "10");
        assert_eq!(serde_json::to_string(&v[2]).unwrap(), "\"a\"");
    }
}
