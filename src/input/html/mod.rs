//! What is the article in a web page? Bytes of an HTML page in, the main text (one paragraph,
//! heading or list item per line) and its metadata out.
//!
//! Three steps, each replaceable on its own:
//! 1. **Charset.** The WHATWG order: a byte-order mark, then the HTTP `Content-Type` charset, then
//!    `<meta charset>` / `<meta http-equiv="Content-Type">` in the first bytes, then detection by
//!    `chardetng` (valid UTF-8 is taken as UTF-8 before guessing). Decoding is `encoding_rs`.
//!    One deliberate difference from a browser: a declared legacy charset loses to UTF-8 when the
//!    bytes are valid UTF-8 with non-ASCII text, since that is a mislabelled UTF-8 page.
//! 2. **Boilerplate removal.** Reader comments and what the page's stylesheet hides
//!    (`class=hidden`) go first. `dom_smoothie` (a port of Mozilla's readability.js) picks the
//!    article subtree; we then render that subtree ourselves as lines, because the duplicate
//!    detector compares lines. Readability runs twice (its own threshold, and a strict run
//!    whose short first pick stands against a retry into a sidebar), link-heavy boxes after the
//!    story are dropped from the pick (module `furniture`), and the headline gives a second
//!    opinion (module `headline`). When it finds no article, the body minus navigation,
//!    header, footer, aside and forms is used instead. README ("Main-text extraction") has the
//!    measurement behind the choice.
//! 3. **Metadata.** Title, byline and site name from readability's metadata; the publication date
//!    from `article:published_time`, `itemprop=datePublished`, JSON-LD `datePublished`, then the
//!    first `<time datetime>`; the canonical URL from `<link rel=canonical>` or `og:url`.
//!
//! Invariant: this module does no I/O except in [`read_html_file`]; a page that cannot be used
//! (binary, empty, no text) is an [`Error::BadPayload`], never a panic, and the readers turn it
//! into a skipped record that names the file and offset.

mod furniture;
mod headline;
mod nesting;
mod render;

pub use nesting::{bound_markup, Bounded, MAX_DEPTH};

use crate::document::{site_of_url, DocId, Document, Published};
use crate::error::Error;
use dom_query::{Document as Dom, NodeRef};
use encoding_rs::Encoding;
use render::{collapse, join, lines_of, Block};
use std::path::Path;

/// What wirecopy sees in one page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Extracted {
    /// The page's URL: the one given by the caller, else the page's canonical URL.
    pub url: Option<String>,
    /// The canonical URL the page declares (`<link rel=canonical>`, else `og:url`), absolute.
    pub canonical: Option<String>,
    /// Headline.
    pub title: Option<String>,
    /// Publication time from the page's metadata.
    pub published: Option<Published>,
    /// Author line.
    pub byline: Option<String>,
    /// The site: registrable domain of `url` (www., m. and amp. hosts collapse).
    pub site: Option<String>,
    /// The name the site gives itself (`og:site_name`), when declared.
    pub site_name: Option<String>,
    /// The story's header as the page shows it above the main text, one line each: the
    /// headline, and what sits between it and the main text (standfirst, byline, dateline).
    /// Empty when the main text already starts with the headline or no headline was found.
    pub header: Vec<String>,
    /// The main text: one paragraph, heading or list item per line, no empty lines.
    pub text: String,
    /// The encoding the page was decoded with (WHATWG name).
    pub encoding: &'static str,
    /// What the nesting bounds did to a hostile page ([`Bounded::degraded`] when anything).
    pub bounded: Bounded,
}

/// How `wirecopy extract` prints a page (`--format` takes its values from here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Format {
    /// The story's header (headline, byline, dateline as the page shows them above the story),
    /// then the main text, one paragraph per line.
    #[default]
    Text,
    /// One JSON object `{"url","title","published","byline","site","header","text"}`; absent
    /// values are `null`, `published` is the page's own spelling, `header` is a list of lines
    /// (empty when the main text starts with the headline).
    #[cfg_attr(
        feature = "cli",
        value(help = "{\"url\",\"title\",\"published\",\"byline\",\"site\",\"header\",\"text\"}")
    )]
    Json,
}

/// Render an extraction for `wirecopy extract`. Text ends with a newline when non-empty.
pub fn render(e: &Extracted, format: Format) -> String {
    match format {
        Format::Text => {
            let mut s = String::new();
            for h in &e.header {
                s.push_str(h);
                s.push('\n');
            }
            s.push_str(&e.text);
            if !s.is_empty() {
                s.push('\n');
            }
            s
        }
        Format::Json => {
            let v = serde_json::json!({
                "url": e.url,
                "title": e.title,
                "published": e.published.as_ref().map(|p| p.raw.clone()),
                "byline": e.byline,
                "site": e.site,
                "header": e.header,
                "text": e.text,
            });
            format!("{v}\n")
        }
    }
}

/// Extract the main text and metadata of one HTML page.
///
/// `url` is where the page was found (used for the site and to resolve relative canonical URLs);
/// `content_type` is the HTTP `Content-Type` header, whose charset outranks the page's own.
pub fn extract(
    html: &[u8],
    url: Option<&str>,
    content_type: Option<&str>,
) -> Result<Extracted, Error> {
    if looks_binary(html) {
        return Err(Error::BadPayload("binary payload, not html".into()));
    }
    let (text, enc) = decode(html, content_type, url);
    let (dom, mut bounded) = parse(&text);
    let meta = page_metadata(&dom, url);

    drop_comment_sections(&dom);
    drop_hidden(&dom);
    drop_site_boxes(&dom);
    let headline = headline::headline(&dom);
    let story = headline.as_ref().and_then(|h| h.story.as_deref());
    // A URL that is not absolute only loses relative-link fixing, which we do not need.
    let base = url.filter(|u| url::Url::parse(u).is_ok());
    let story_text = story.map(join);
    // The page's text, for the order of a short post and readability's pick
    // (`headline::short_post`); rendered only when the headline heads a short post.
    let page_text = headline
        .as_ref()
        .filter(|h| h.short.is_some())
        .map(|_| collapse(&dom.select("body").text()))
        .unwrap_or_default();
    let opening = headline.as_ref().and_then(headline::opening);
    let opening = opening.as_deref();
    let strict = readability(dom.clone(), base, STRICT_PICK_CHARS, opening);
    let article = match (readability(dom, base, READABILITY_CHARS, opening), strict) {
        // Readability retries a pick shorter than its threshold with looser rules and keeps
        // the longest attempt, which on a short blog post is often a wordy sidebar or profile
        // box. The strict run keeps its first pick: when the two are unrelated and the
        // headline does not vouch for the retry, the strict pick is the post.
        (Some(retry), Some(strict))
            if !strict.lines.is_empty()
                && headline::disjoint(&retry.lines, &strict.lines)
                && story_text
                    .as_deref()
                    .is_none_or(|t| headline::disjoint(&retry.lines, t)) =>
        {
            Some(Pick {
                title: retry.title.or(strict.title),
                byline: retry.byline.or(strict.byline),
                site_name: retry.site_name.or(strict.site_name),
                ..strict
            })
        }
        (retry, strict) => retry.or(strict),
    };
    let (mut body, title, byline, site_name) = match article {
        Some(a) => (a.lines, a.title, a.byline, a.site_name),
        None => (String::new(), None, None, None),
    };
    if let Some(story) = story_text {
        // Readability chose text that is neither under the headline nor around it (a profile
        // box, a sidebar): the page's own headline knows better.
        if body.is_empty() || headline::disjoint(&body, &story) {
            body = story;
        } else if let Some(proper) = headline
            .as_ref()
            .and_then(|h| headline::proper_before_tail(h, &body))
        {
            body = proper;
        }
    } else if let Some(short) = headline
        .as_ref()
        .and_then(|h| headline::short_post(h, &body, &page_text))
    {
        body = short;
    }
    if body.is_empty() {
        // Readability found no article (short pages, link lists): keep the body without chrome.
        let (dom, again) = parse(&text);
        bounded = again;
        body = dom.body().map(|b| lines_of(&b, true)).unwrap_or_default();
    }
    if body.is_empty() {
        return Err(Error::BadPayload("no text in page".into()));
    }
    let header = headline
        .as_ref()
        .map(|h| header_of(h, &body))
        .unwrap_or_default();
    let title = title.or(meta.title);
    let page_url = url.map(str::to_string).or_else(|| meta.canonical.clone());
    let site = page_url.as_deref().and_then(site_of_url);
    Ok(Extracted {
        url: page_url,
        canonical: meta.canonical,
        title,
        published: meta.published,
        byline,
        site,
        site_name: site_name.or(meta.site_name),
        header,
        text: body,
        encoding: enc.name(),
        bounded,
    })
}

/// Blocks between the headline and the main text that the header may hold.
const MAX_HEADER_BLOCKS: usize = 8;

/// Non-whitespace characters the header's lines after the headline may have together: a
/// standfirst, a byline and a dateline, not an author's biography or a reprint notice.
const MAX_HEADER_CHARS: usize = 200;

/// A header line after the first one below the headline that has at most this many
/// non-whitespace characters, half or more of them link text, is a share button or a comment
/// counter and is left out. Measured on the dragnet pages: F1 0.9448 -> 0.9456 (12 characters
/// 0.9454, 20 0.9455); a rule on word counts gains the same but counts words differently in
/// every script.
const MAX_HEADER_LINK_CHARS: usize = 30;

/// Non-whitespace characters of one header line after the headline.
const MAX_HEADER_LINE_CHARS: usize = 150;

/// The story's header ([`Extracted::header`]): the headline and the blocks after it up to the
/// main text's first line, when that line is among the first [`MAX_HEADER_BLOCKS`] blocks after
/// the headline and those blocks are short ([`MAX_HEADER_CHARS`], [`MAX_HEADER_LINE_CHARS`]),
/// less the short link lines after the first of them ([`MAX_HEADER_LINK_CHARS`]); the headline
/// alone otherwise. Nothing when one of the main text's first five lines starts or ends with
/// the headline (the text repeats it, or a breadcrumb trail ends with it); a line that only
/// quotes it ("Do you know why ...?") does not count.
fn header_of(h: &headline::Headline, body: &str) -> Vec<String> {
    let fold = |s: &str| collapse(s).to_lowercase();
    let head = fold(&h.text);
    let first: Vec<String> = body.lines().take(5).map(fold).collect();
    if head.is_empty()
        || first
            .iter()
            .any(|l| l.starts_with(&head) || l.ends_with(&head))
    {
        return Vec::new();
    }
    let mut out = vec![h.text.clone()];
    if let Some(i) = h
        .next
        .iter()
        .take(MAX_HEADER_BLOCKS + 1)
        .position(|b| first.iter().any(|l| *l == fold(&b.text)))
    {
        let blocks = &h.next[..i];
        let chars: usize = blocks.iter().map(|b| b.chars).sum();
        if chars <= MAX_HEADER_CHARS && blocks.iter().all(|b| b.chars <= MAX_HEADER_LINE_CHARS) {
            // The first line after the headline stays whatever it is (often a linked byline);
            // a short line of links after it is a button or a counter ("Tweet", "10 Comments").
            let label = |b: &Block| b.chars <= MAX_HEADER_LINK_CHARS && b.link_density() >= 0.5;
            out.extend(
                blocks
                    .iter()
                    .enumerate()
                    .filter(|(i, b)| *i == 0 || !label(b))
                    .map(|(_, b)| b.text.clone()),
            );
        }
    }
    out
}

/// Readability's character threshold (readability.js's default): a pick with less text makes
/// it retry with looser rules and keep the longest attempt.
const READABILITY_CHARS: usize = 500;

/// The threshold of the strict second run, low enough that a short post's first pick stands.
const STRICT_PICK_CHARS: usize = 100;

/// What one readability run picked, rendered as lines, with its metadata.
struct Pick {
    lines: String,
    title: Option<String>,
    byline: Option<String>,
    site_name: Option<String>,
}

/// Run readability on a page with the given character threshold.
fn readability(
    dom: Dom,
    base: Option<&str>,
    char_threshold: usize,
    opening: Option<&str>,
) -> Option<Pick> {
    let cfg = dom_smoothie::Config {
        // Bounds the work on pathological pages; real articles stay far below.
        max_elements_to_parse: 200_000,
        char_threshold,
        // The pick keeps its classes: they name furniture boxes inside it (module `furniture`).
        keep_classes: true,
        ..Default::default()
    };
    let a = dom_smoothie::Readability::with_document(dom, base, Some(cfg))
        .ok()
        .and_then(|mut r| r.parse().ok())?;
    let (frag, _) = parse(a.content.as_ref());
    furniture::drop_named_boxes(&frag, opening);
    furniture::drop_furniture_after_story(&frag, opening);
    Some(Pick {
        lines: lines_of(&frag.root(), false),
        title: nonempty(a.title.as_str()),
        byline: a.byline.as_deref().and_then(nonempty),
        site_name: a.site_name.as_deref().and_then(nonempty),
    })
}

/// Words that name a reader-comment section in an `id` or `class` (whole words of it, split at
/// `-`, `_` and spaces; case-insensitive), besides any word containing `comment` (`comments`,
/// `commentlist`, `commentbody`, `postcomment`) but not `commentary` / `commentator`, which
/// name opinion articles.
const COMMENT_WORDS: [&str; 5] = ["disqus", "dsq", "respond", "livefyre", "replies"];

/// Remove reader-comment sections before readability scores the page: their paragraphs look like
/// article text to it. A section is an element whose `id` or `class` has a comment word, or
/// `itemprop=comment`; `html`, `body`, `main` and `article` and anything holding the headline
/// (`h1`) are never removed, whatever their classes say. A section marked only by its heading
/// (`<h2 id=comments>`) or by a named anchor (`<a name=comments>`, alone or in a heading) is the
/// marker and everything after it in the same parent, since blog engines often give the
/// comments themselves no class at all; that tail is kept when it holds an `h1`.
fn drop_comment_sections(dom: &Dom) -> usize {
    let is_comment_word = |v: &str| {
        v.split(|c: char| c == '-' || c == '_' || c.is_whitespace())
            .any(|w| {
                let w = w.to_ascii_lowercase();
                (w.contains("comment") && !w.contains("commentar") && !w.contains("commentat"))
                    || COMMENT_WORDS.contains(&w.as_str())
            })
    };
    let mut removed = 0;
    for n in dom.select("[id], [class], [itemprop], a[name]").nodes() {
        let named_anchor = n.node_name().is_some_and(|t| t.eq_ignore_ascii_case("a"))
            && !n.has_attr("href")
            && n.attr("name").is_some_and(|v| is_comment_word(&v));
        let hit = named_anchor
            || n.attr("id").is_some_and(|v| is_comment_word(&v))
            || n.attr("class").is_some_and(|v| is_comment_word(&v))
            || n.attr("itemprop")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("comment"));
        if !hit {
            continue;
        }
        let name = n
            .node_name()
            .map(|t| t.to_ascii_lowercase())
            .unwrap_or_default();
        if matches!(name.as_str(), "html" | "body" | "main" | "article") {
            continue;
        }
        if n.parent().is_none() || !n.find(&["h1"]).is_empty() {
            continue;
        }
        // A heading or a named anchor (`<h2 id=comments>`, `<a name=comments>`) is where the
        // comment section starts, whatever follows it in the same parent is comments too.
        let heading = |t: &str| matches!(t, "h1" | "h2" | "h3" | "h4" | "h5" | "h6");
        let anchor = name == "a" && !n.has_attr("href");
        let start = if heading(&name) {
            Some(*n)
        } else if anchor {
            n.parent()
                .filter(|p| {
                    p.node_name()
                        .is_some_and(|t| heading(&t.to_ascii_lowercase()))
                })
                .or(Some(*n))
        } else {
            None
        };
        if let Some(start) = start {
            let mut tail = Vec::new();
            let mut next = start.next_sibling();
            while let Some(s) = next {
                next = s.next_sibling();
                tail.push(s);
            }
            if tail.iter().all(|s| s.find(&["h1"]).is_empty()) {
                for s in tail {
                    s.remove_from_parent();
                }
            }
            if start.id != n.id {
                start.remove_from_parent();
            }
        }
        n.remove_from_parent();
        removed += 1;
    }
    removed
}

/// Remove what the page's own stylesheet hides until a script shows it: elements whose `class`
/// has the word `hidden` (the utility class of Bootstrap, HTML5 Boilerplate and many site
/// stylesheets, `display: none`). Paywalled pages keep a hidden copy of the story's opening
/// for another subscription offer, and the copy doubles the article. A class list with a
/// responsive variant (`hidden md:block`, Tailwind's "hidden on small screens") shows the
/// element on a desktop and is kept, and so are `html`, `body`, `main`, `article` and anything
/// holding the headline (`h1`). Readability itself already skips `display: none` styles, the
/// `hidden` attribute and `aria-hidden`.
fn drop_hidden(dom: &Dom) -> usize {
    let mut removed = 0;
    for n in dom.select("[class]").nodes() {
        let Some(class) = n.attr("class") else {
            continue;
        };
        let mut words = class.split_whitespace();
        let hidden = words.clone().any(|w| w.eq_ignore_ascii_case("hidden"));
        if !hidden || words.any(|w| w.contains(':')) {
            continue;
        }
        let name = n
            .node_name()
            .map(|t| t.to_ascii_lowercase())
            .unwrap_or_default();
        if matches!(name.as_str(), "html" | "body" | "main" | "article")
            || n.parent().is_none()
            || !n.find(&["h1"]).is_empty()
        {
            continue;
        }
        n.remove_from_parent();
        removed += 1;
    }
    removed
}

/// Whole words of a `class` attribute that mark a box as the site's, not the story's, before
/// readability scores the page: promotions (newsletter sign-ups, "also on this site"
/// slideshows, most-popular lists), footers, mastheads, toolbars and overlays. Readability
/// only weighs such names, and a promotion with more paragraphs than a short story wins its
/// pick. Measured on the dragnet pages: F1 0.9420 -> 0.9439 with `promo` and `footer`, 0.9448
/// with the rest; the readability pages lose one newsletter box that readability keeps
/// (0.9990 -> 0.9989). Measured and left out: `slideshow`, `sidebar`, `related`, `widget`,
/// `sponsor`, `byline`, `author`, `tools`, `print` (they cost one of the two sets), `gallery`
/// and `teaser` (a gallery's photos and an article's teaser are often the story).
const SITE_BOX_CLASS_WORDS: [&str; 10] = [
    "footer",
    "masthead",
    "modal",
    "overlay",
    "popular",
    "promo",
    "signup",
    "subscribe",
    "toolbar",
    "utility",
];

/// Does a `class` attribute have one of `words` as a whole word (split at anything not an
/// ASCII letter or digit, so `promo_holder` and `c-newsletter--promo` have `promo`),
/// ASCII-case-insensitive?
fn class_has_word(class: &str, words: &[&str]) -> bool {
    class
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| words.iter().any(|x| x.eq_ignore_ascii_case(w)))
}

/// Remove the site's own boxes ([`SITE_BOX_CLASS_WORDS`]) before readability runs. `html`,
/// `body`, `main`, `article` and anything holding an `h1` or the headline
/// ([`headline::headline_node`]) stay; on a page with no headline, so does a box holding more
/// than half of the page's text (a page wrapper named `has-toolbar`). At most
/// [`furniture::MAX_NAMED_BOXES`] boxes are measured.
fn drop_site_boxes(dom: &Dom) -> usize {
    let Some(body) = dom.body() else {
        return 0;
    };
    // The headline and its ancestors: the boxes that hold it.
    let headline: Vec<_> = headline::headline_node(dom)
        .map(|h| {
            let mut ids = vec![h.id];
            ids.extend(h.ancestors(None).iter().map(|a| a.id));
            ids
        })
        .unwrap_or_default();
    let total = if headline.is_empty() {
        render::text_chars(&body)
    } else {
        0
    };
    let with_class = dom.select("[class]");
    let named = with_class.nodes().iter().copied().filter(|n| {
        n.attr("class")
            .is_some_and(|c| class_has_word(&c, &SITE_BOX_CLASS_WORDS))
    });
    let mut removed = 0;
    for n in named.take(furniture::MAX_NAMED_BOXES) {
        let name = n
            .node_name()
            .map(|t| t.to_ascii_lowercase())
            .unwrap_or_default();
        // A box inside one removed before is gone already.
        if matches!(name.as_str(), "html" | "body" | "main" | "article")
            || !n.ancestors(None).iter().any(|a| a.id == body.id)
            || !n.find(&["h1"]).is_empty()
            || headline.contains(&n.id)
            || (headline.is_empty() && 2 * render::text_chars(&n) > total)
        {
            continue;
        }
        n.remove_from_parent();
        removed += 1;
    }
    removed
}

/// Parse a page within the nesting bounds (module `nesting`): whatever the markup, the tree is
/// at most [`MAX_DEPTH`] deep and was built in near-linear time.
fn parse(html: &str) -> (Dom, Bounded) {
    let (markup, dropped_tags) = nesting::bound_markup(html);
    let dom = Dom::from(markup.as_ref());
    let flattened_nodes = nesting::flatten_deep(&dom);
    (
        dom,
        Bounded {
            dropped_tags,
            flattened_nodes,
        },
    )
}

/// All the text of an HTML document, one block per line, nothing removed but scripts and
/// styles: the reference side of extraction scoring (tests/scoring), and a baseline extractor.
pub fn text_of_html(html: &str) -> String {
    let (dom, _) = parse(html);
    lines_of(&dom.root(), false)
}

/// A [`Document`] from an HTML page: the JSONL reader calls this for lines with an `html` field.
/// The page's published date and title fill what the input does not give.
pub fn document_from_html(id: DocId, html: &[u8], url: Option<&str>) -> Result<Document, Error> {
    let e = extract(html, url, None)?;
    Ok(into_document(id, e))
}

/// Turn an extraction into a document with the given id.
pub fn into_document(id: DocId, e: Extracted) -> Document {
    Document {
        id,
        url: e.url,
        site: e.site,
        title: e.title,
        published: e.published,
        text: e.text,
    }
}

/// Read one `.html` file as a document (for folders of pages). Its URL is the page's canonical
/// URL when it declares one.
pub fn read_html_file(path: &Path, id: String) -> Result<Document, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    document_from_html(DocId::Str(id), &bytes, None).map_err(|e| Error::BadRecord {
        path: path.to_path_buf(),
        location: crate::error::Location::WholeFile,
        message: e.to_string(),
    })
}

/// Read a page from a file (`-` for stdin) and extract it: what `wirecopy extract` prints.
pub fn extract_file(path: &Path, url: Option<&str>) -> Result<Extracted, Error> {
    use std::io::Read;
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let raw: Box<dyn Read> = if path == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(path).map_err(io)?)
    };
    // A page saved compressed (`page.html.gz`, as crawlers and the dragnet set keep them) is
    // read through the decompressor its first bytes announce, up to the record size limit.
    let max = super::DEFAULT_MAX_RECORD_SIZE;
    let mut bytes = Vec::new();
    super::open_sniffed(raw, path)?
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > max {
        return Err(Error::BadPayload(format!(
            "{}: more than {max} bytes of page",
            path.display()
        )));
    }
    extract(&bytes, url, None)
}

/// A payload is binary when its first KiB has NUL bytes or many control characters. UTF-16
/// pages start with a BOM and are let through.
fn looks_binary(b: &[u8]) -> bool {
    if Encoding::for_bom(b).is_some() {
        return false;
    }
    let head = &b[..b.len().min(1024)];
    let ctrl = head
        .iter()
        .filter(|&&c| c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r' | 0x0c))
        .count();
    head.contains(&0) || ctrl * 10 > head.len()
}

/// Decode a page: BOM, then the Content-Type charset, then `<meta>`, then detection.
pub fn decode(
    html: &[u8],
    content_type: Option<&str>,
    url: Option<&str>,
) -> (String, &'static Encoding) {
    let enc = sniff_charset(html, content_type, url);
    // decode() strips a BOM that matches, and replaces malformed sequences with U+FFFD.
    let (text, used, _) = enc.decode(html);
    (text.into_owned(), used)
}

/// The encoding of a page, in the WHATWG order of precedence.
pub fn sniff_charset(
    html: &[u8],
    content_type: Option<&str>,
    url: Option<&str>,
) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(html) {
        return enc;
    }
    let declared = content_type
        .and_then(charset_param)
        .and_then(label)
        .or_else(|| meta_charset(&html[..html.len().min(4096)]));
    // Deliberately unlike a browser: a page that declares a legacy charset but whose bytes are
    // valid UTF-8 with non-ASCII text is UTF-8 mislabelled (server defaults, transcoded
    // archives); legacy text with accents is practically never valid UTF-8.
    let utf8 = std::str::from_utf8(html).is_ok();
    if let Some(enc) = declared {
        if enc != encoding_rs::UTF_8 && utf8 && !html.is_ascii() {
            return encoding_rs::UTF_8;
        }
        return enc;
    }
    if utf8 {
        return encoding_rs::UTF_8;
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(html, true);
    let tld = url
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_string))
        .and_then(|h| h.rsplit('.').next().map(str::to_ascii_lowercase))
        // chardetng asserts on anything but a lowercase ASCII label.
        .filter(|t| {
            !t.is_empty()
                && t.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    det.guess(
        tld.as_deref().map(str::as_bytes),
        chardetng::Utf8Detection::Allow,
    )
}

/// An encoding label as a page may use it; UTF-16 declared in-band means UTF-8 (WHATWG).
fn label(l: &str) -> Option<&'static Encoding> {
    let enc = Encoding::for_label(l.trim().trim_matches(['"', '\'']).as_bytes())?;
    Some(enc.output_encoding())
}

/// The `charset=` parameter of a Content-Type value.
fn charset_param(ct: &str) -> Option<&str> {
    ct.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']))
    })
}

/// `<meta charset=X>` or `<meta http-equiv=content-type content="...; charset=X">` in the head
/// bytes. A byte scan, before any decoding, as the HTML prescan does.
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(i) = find(&lower[from..], b"<meta") {
        let start = from + i;
        let end = lower[start..]
            .iter()
            .position(|&c| c == b'>')
            .map_or(lower.len(), |e| start + e);
        let tag = String::from_utf8_lossy(&lower[start..end]);
        if let Some(p) = tag.find("charset") {
            let rest = tag[p + 7..].trim_start();
            if let Some(v) = rest.strip_prefix('=') {
                let v = v.trim_start().trim_start_matches(['"', '\'']);
                let name: String = v
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
                    .collect();
                if let Some(enc) = label(&name) {
                    return Some(enc);
                }
            }
        }
        from = end;
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

fn nonempty(s: &str) -> Option<String> {
    let t = collapse(s);
    (!t.is_empty()).then_some(t)
}

/// Metadata read from the page before readability rewrites it.
#[derive(Default)]
struct PageMeta {
    title: Option<String>,
    published: Option<Published>,
    canonical: Option<String>,
    site_name: Option<String>,
}

fn page_metadata(dom: &Dom, url: Option<&str>) -> PageMeta {
    // One traversal for every tag the metadata comes from; the rules below pick from it.
    let sel = dom.select(
        "meta, link, title, time, script[type='application/ld+json'], [itemprop='datePublished']",
    );
    let nodes = sel.nodes();
    let is = |n: &NodeRef, tag: &str| n.node_name().is_some_and(|t| t.eq_ignore_ascii_case(tag));
    let has = |n: &NodeRef, attr: &str, value: &str| {
        n.attr(attr)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(value))
    };
    let first = |pick: &dyn Fn(&NodeRef) -> bool, attr: &str| -> Option<String> {
        nodes
            .iter()
            .filter(|n| pick(n))
            .find_map(|n| n.attr(attr).and_then(|v| nonempty(&v)))
    };
    let meta = |key: &str, value: &str| -> Option<String> {
        first(&|n| is(n, "meta") && has(n, key, value), "content")
    };
    let published = [
        meta("property", "article:published_time"),
        meta("name", "article:published_time"),
        meta("itemprop", "datePublished"),
        nodes
            .iter()
            .filter(|n| is(n, "script"))
            .find_map(|n| json_ld_date(&n.text())),
        first(&|n| has(n, "itemprop", "datePublished"), "datetime"),
        first(&|n| is(n, "time"), "datetime"),
    ]
    .into_iter()
    .flatten()
    .find_map(|d| parse_date(&d));
    let canonical = first(&|n| is(n, "link") && has(n, "rel", "canonical"), "href")
        .or_else(|| meta("property", "og:url"))
        .and_then(|c| absolute(&c, url));
    PageMeta {
        title: meta("property", "og:title").or_else(|| {
            nodes
                .iter()
                .filter(|n| is(n, "title"))
                .find_map(|t| nonempty(&t.text()))
        }),
        published,
        canonical,
        site_name: meta("property", "og:site_name"),
    }
}

/// Resolve a possibly relative URL against the page's; keep it only when absolute http(s).
fn absolute(href: &str, base: Option<&str>) -> Option<String> {
    let u = match url::Url::parse(href) {
        Ok(u) => u,
        Err(_) => url::Url::parse(base?).ok()?.join(href).ok()?,
    };
    matches!(u.scheme(), "http" | "https").then(|| u.to_string())
}

/// `datePublished` from one JSON-LD block (an object, an array, or a `@graph`).
fn json_ld_date(block: &str) -> Option<String> {
    fn walk(v: &serde_json::Value) -> Option<String> {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(serde_json::Value::String(d)) = m.get("datePublished") {
                    return Some(d.clone());
                }
                m.get("@graph").and_then(walk)
            }
            serde_json::Value::Array(a) => a.iter().find_map(walk),
            _ => None,
        }
    }
    walk(&serde_json::from_str(block.trim()).ok()?)
}

/// A publication date as pages write it: RFC 3339, RFC 3339 without an offset (read as UTC),
/// `+0000` offsets, or anything that starts with a `YYYY-MM-DD` date.
pub fn parse_date(raw: &str) -> Option<Published> {
    let t = raw.trim();
    if let Some(p) = Published::parse(t) {
        return Some(p);
    }
    let mut fixed = t.replacen(' ', "T", 1);
    // "+0000" -> "+00:00"
    let n = fixed.len();
    if n > 5 {
        let tail = &fixed.as_bytes()[n - 5..];
        if matches!(tail[0], b'+' | b'-') && tail[1..].iter().all(u8::is_ascii_digit) {
            fixed.insert(n - 2, ':');
        }
    }
    if fixed.contains('T') && !fixed.ends_with('Z') && Published::parse(&fixed).is_none() {
        let with_z = format!("{fixed}Z");
        if let Some(p) = Published::parse(&with_z) {
            return Some(Published {
                raw: t.to_string(),
                ..p
            });
        }
    }
    let p = Published::parse(&fixed).or_else(|| Published::parse(t.get(..10)?))?;
    // A date cut from a longer value is still only known to the day (`date_only` says so).
    Some(Published {
        raw: t.to_string(),
        ..p
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTICLE: &str = "<p>The central bank raised its key interest rate by a quarter point on \
        Tuesday, the third increase this year, citing persistent inflation in services.</p>\
        <p>Officials said further moves would depend on data, and markets had largely expected \
        the decision after strong wage figures last month surprised economists.</p>\
        <p>The currency rose half a percent against the dollar after the announcement, while \
        government bond yields climbed to their highest level since the spring.</p>";

    fn page(head: &str, body: &str) -> String {
        format!(
            "<!DOCTYPE html><html><head>{head}<title>Rates up | Daily</title></head><body>\
             <nav><a href='/'>Home</a> <a href='/world'>World</a></nav>\
             <article><h1>Rates up again</h1>{body}</article>\
             <footer>Copyright Daily News</footer></body></html>"
        )
    }

    #[test]
    fn bom_outranks_everything() {
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice(b"<meta charset=windows-1252>caf\xC3\xA9");
        assert_eq!(
            sniff_charset(&b, Some("text/html; charset=iso-8859-2"), None),
            encoding_rs::UTF_8
        );
        let (t, _) = decode(&b, None, None);
        assert!(t.ends_with("café"));
    }

    #[test]
    fn content_type_outranks_meta() {
        let b = b"<meta charset=utf-8><p>caf\xE9</p>";
        let e = sniff_charset(b, Some("text/html; charset=ISO-8859-1"), None);
        assert_eq!(e, encoding_rs::WINDOWS_1252);
        assert!(decode(b, Some("text/html; charset=\"latin1\""), None)
            .0
            .contains("café"));
    }

    #[test]
    fn meta_charset_and_http_equiv() {
        let b = b"<html><head><meta charset=\"windows-1252\"></head><p>na\xEFve \x93quote\x94</p>";
        assert_eq!(
            sniff_charset(b, Some("text/html"), None),
            encoding_rs::WINDOWS_1252
        );
        assert!(decode(b, None, None)
            .0
            .contains("naïve \u{201c}quote\u{201d}"));
        let h = b"<META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=koi8-r'>\xF0\xD2";
        assert_eq!(sniff_charset(h, None, None), encoding_rs::KOI8_R);
        // A legacy label on bytes that are valid UTF-8 with non-ASCII text is a mislabel.
        let mislabelled = "<meta charset=gb2312><p>新闻 café</p>".as_bytes();
        assert_eq!(
            sniff_charset(mislabelled, Some("text/html; charset=iso-8859-1"), None),
            encoding_rs::UTF_8
        );
        // UTF-16 declared in-band is read as UTF-8.
        assert_eq!(
            sniff_charset(b"<meta charset=utf-16>", None, None),
            encoding_rs::UTF_8
        );
    }

    #[test]
    fn detection_when_nothing_declared() {
        assert_eq!(
            sniff_charset("<p>café</p>".as_bytes(), None, None),
            encoding_rs::UTF_8
        );
        let latin =
            b"<p>Le caf\xE9 de la gare \xE9tait ferm\xE9 pendant l'\xE9t\xE9, d\xE9j\xE0.</p>";
        let enc = sniff_charset(latin, None, Some("http://example.fr/"));
        assert_eq!(enc, encoding_rs::WINDOWS_1252);
    }

    #[test]
    fn windows_1252_page_extracts_as_text() {
        let body = ARTICLE.replace("Tuesday", "Tuesday \u{2014} caf\u{e9}");
        let html = page("<meta charset=windows-1252>", &body);
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&html);
        let e = extract(&bytes, Some("https://www.daily.example.com/a"), None).unwrap();
        assert!(e.text.contains("Tuesday \u{2014} café"), "{}", e.text);
        assert_eq!(e.encoding, "windows-1252");
        assert_eq!(e.site.as_deref(), Some("example.com"));
    }

    #[test]
    fn main_text_drops_chrome_and_keeps_paragraph_lines() {
        let e = extract(page("", ARTICLE).as_bytes(), None, None).unwrap();
        assert!(!e.text.contains("Copyright"), "{}", e.text);
        assert!(!e.text.contains("Home"), "{}", e.text);
        assert!(e.text.lines().count() >= 3, "{}", e.text);
        assert!(e.text.lines().any(|l| l.starts_with("The central bank")));
    }

    #[test]
    fn comments_after_a_marked_heading_or_anchor_are_dropped() {
        let comments = "<div id='c1'><p>First! I completely disagree with every word of this \
            post and I will say so at length, because that is what comment boxes are for.</p>\
            <p class='posted'>Posted by: Reader | March 5</p></div>\
            <div id='c2'><p>Another reader with a long opinion about interest rates and the \
            central bank, which goes on for quite a while to look like an article.</p></div>";
        for marker in [
            "<h2 id='comments'>Comments</h2>",
            "<h3><a id='comments'></a>Comments</h3>",
            "<a name='comments'></a>",
        ] {
            let html = page("", &format!("{ARTICLE}{marker}{comments}"));
            let e = extract(html.as_bytes(), None, None).unwrap();
            assert!(e.text.contains("The central bank raised"), "{}", e.text);
            assert!(!e.text.contains("disagree"), "{marker}: {}", e.text);
            assert!(!e.text.contains("Another reader"), "{marker}: {}", e.text);
        }
        // A comment link elsewhere (with an href) marks nothing.
        let html = page("", &format!("<a href='#comments'>3 comments</a>{ARTICLE}"));
        let e = extract(html.as_bytes(), None, None).unwrap();
        assert!(e.text.contains("wage figures"), "{}", e.text);
    }

    #[test]
    fn a_short_post_under_its_headline_beats_a_wordy_profile_box() {
        let profile = "<p>I have written about food, travel and the small pleasures of \
            life for twenty years, in newspapers, magazines and on this blog, which I started \
            when my children were small and the internet was young.</p>";
        let html = format!(
            "<html><head><title>My Blog: Apple cake for a rainy Sunday</title></head><body>\
             <h1><a href='http://blog.example.com/'>My Blog</a></h1>\
             <div id='a'><div><h3>Apple cake for a rainy Sunday</h3>\
             <div><p>The rain came down all Sunday, so we baked the apple cake my grandmother \
             made every autumn, with cinnamon, brown sugar and far too much butter.</p>\
             <p>It takes an hour in the oven and fills the whole house with its smell, which \
             is most of the point of baking on a grey afternoon.</p>\
             <p>Serve it warm with thick cream, and keep a slice back for Monday morning, when \
             it tastes even better.</p></div></div></div>\
             <div id='b'><h2>About me</h2>{profile}{profile}{profile}{profile}</div>\
             </body></html>"
        );
        let e = extract(html.as_bytes(), None, None).unwrap();
        assert!(e.text.contains("grandmother"), "{}", e.text);
        assert!(!e.text.contains("twenty years"), "{}", e.text);
    }

    #[test]
    fn a_short_post_beats_the_disclaimer_after_its_link_lists() {
        // Both readability runs pick the disclaimer at the foot of the page. The climb from the
        // headline reaches it too, but only after the post and a dozen category links.
        let disclaimer = "<p>Disclaimer: this site has no affiliation with any of the makers, \
            shops or agents whose products, prices, offers or services are mentioned here, and \
            all trademarks, names and logos belong to their owners, who have not reviewed, \
            approved, endorsed or paid for anything written on these pages, ever, anywhere.</p>";
        let categories: String = (1..=12)
            .map(|i| format!("<li><a href='/category/c{i}/'>Category {i}</a></li>"))
            .collect();
        let html = format!(
            "<html><head><title>New zoom in stock | Lens news</title></head><body>\
             <div id='wrap'><div id='main'><div id='post'><h2>New zoom in stock</h2>\
             <div class='entry'><p>The new zoom lens is in stock at our shop at last, and only \
             two of them are left on the shelf.</p><p>Order one today if you want one: they \
             sold out within a few hours last time.</p></div></div></div>\
             <div id='side'><div class='box'><h4>Categories</h4><ul>{categories}</ul></div>\
             <div class='box'><div class='text'>{disclaimer}</div></div></div></body></html>"
        );
        let e = extract(html.as_bytes(), None, None).unwrap();
        assert!(e.text.contains("only two of them are left"), "{}", e.text);
        assert!(!e.text.contains("trademarks"), "{}", e.text);
        assert!(!e.text.contains("Category"), "{}", e.text);
    }

    /// A page whose `headline` (and what follows it, `under`) sits seven wrappers deep, so that
    /// the climb from it runs out before it gathers a story's worth of text; `before` and
    /// `after` come outside the wrappers.
    fn deep_headline(before: &str, headline: &str, under: &str, after: &str) -> String {
        let (open, close): (String, String) = (0..7)
            .map(|i| (format!("<div class='w{i}'>"), "</div>"))
            .unzip();
        format!(
            "<html><head><title>New zoom in stock | Lens news</title></head><body>{before}\
             {open}{headline}{under}{close}{after}</body></html>"
        )
    }

    #[test]
    fn a_short_post_beats_a_disclaimer_its_headline_never_reaches() {
        // Readability picks the two notices in the sidebar, which the climb from the
        // headline never reaches.
        let html = deep_headline(
            "",
            "<h3>New zoom in stock</h3>",
            "<div class='entry'><p>The new zoom lens is in stock at our shop at last, and only \
             two of them are left on the shelf.</p><p>Order one today if you want one: they \
             sold out within a few hours last time.</p></div>",
            "<div id='side'><div class='box'><div class='text'><p>Disclaimer: this site has no \
             affiliation with any of the makers, shops or agents whose products, prices, offers \
             or services are mentioned here, and all trademarks, names and logos belong to their \
             owners, who have not reviewed, approved, endorsed or paid for anything written on \
             these pages, ever, anywhere.</p><p>Copyright: if you want to use any image from \
             this website you have to ask for permission first, you cannot copy more than twenty \
             words from any of our posts, and you have to name the source with a working \
             link.</p></div></div></div>",
        );
        let e = extract(html.as_bytes(), None, None).unwrap();
        assert!(e.text.contains("only two of them are left"), "{}", e.text);
        assert!(!e.text.contains("trademarks"), "{}", e.text);
    }

    #[test]
    fn a_teaser_under_the_title_after_the_story_does_not_replace_it() {
        // The story's title is no heading; a list after the story links it under an `h2` that
        // is the title, with a teaser unrelated to the story's words.
        let story = "<p>Today we are launching a faster app for phones. It is now quicker and \
            easier to view photos, read messages and move around.</p><p>Photos and albums open \
            up to two times faster than before, and sharing them, reading comments and editing \
            captions take fewer taps.</p><p>Messages and notifications now sit at the top of the \
            screen, so you can answer friends without leaving the page you are on.</p>";
        let html = deep_headline(
            &format!("<div id='story'><div class='title'>New zoom in stock</div>{story}</div>"),
            "<h2><a href='/post/77'>New zoom in stock</a></h2>",
            "<p>Our new release of this week, explained by the team that built it, with \
             pictures and some tips.</p>",
            "",
        );
        let e = extract(html.as_bytes(), None, None).unwrap();
        assert!(e.text.contains("two times faster"), "{}", e.text);
        assert!(!e.text.contains("some tips"), "{}", e.text);
    }

    #[test]
    fn a_sidebar_longer_than_the_post_before_it_is_still_furniture() {
        // A post under its headline and a sidebar of two notes after it, in one wrapper that
        // readability picks whole. The sidebar holds most of the pick's text, but not the
        // story under the headline.
        let html = "<html><head><title>New documentary follows conflict photographers | Photo \
             Editor</title></head><body><div id='wrap'><div class='post'><h2>New \
             documentary follows conflict photographers</h2><p>This four-part documentary \
             series follows three combat photographers at work in Juarez, South Sudan and \
             Libya, and it starts on the network next Monday night at nine.</p></div>\
             <div class='sidebar'><h2>About:</h2><p>Photo Editor is edited by a former \
             director of photography for two magazines, who writes about the business of \
             photography, its people, its money and its future, and answers readers' questions \
             about working with editors, agents and clients.</p><p>All emails are \
             confidential. I may answer your question on the blog but will not reveal your \
             identity, your client's name, your fee or anything else that could tell a reader \
             who you are.</p></div></div></body></html>";
        let e = extract(html.as_bytes(), None, None).unwrap();
        assert!(e.text.contains("three combat photographers"), "{}", e.text);
        assert!(!e.text.contains("emails are confidential"), "{}", e.text);
    }

    #[test]
    fn a_short_post_beats_the_sidebar_readability_retries_into() {
        // The post is too short for readability's threshold, so it retries without skipping
        // the sidebar and keeps the longer sidebar; its strict first pick is the post.
        let disclaimer = "<p>This site has no affiliation with any of the makers whose \
            products are mentioned here, and all trademarks belong to their owners, who have \
            not reviewed, approved or paid for anything written on these pages, ever.</p>";
        let html = format!(
            "<html><head><title>Lens news</title></head><body>\
             <div id='main'><div class='post'><h2>New zoom in stock</h2>\
             <p>The new zoom lens is in stock at last, and only two of them are left, so \
             anyone who waited for it should order one today, before they sell out again.</p>\
             </div></div>\
             <div class='sidebar'>{disclaimer}{disclaimer}{disclaimer}{disclaimer}</div>\
             </body></html>"
        );
        let e = extract(html.as_bytes(), None, None).unwrap();
        assert!(e.text.contains("only two of them are left"), "{}", e.text);
        assert!(!e.text.contains("trademarks"), "{}", e.text);
    }

    #[test]
    fn a_hidden_copy_of_the_story_is_not_read_twice() {
        let opening = "<p>The central bank raised its key interest rate by a quarter point on \
            Tuesday, the third increase this year, citing persistent inflation in services.</p>";
        let html = page(
            "",
            &format!(
                "<div class='story teaser hidden'>{opening}</div>\
                 <div class='story'>{ARTICLE}</div>\
                 <div class='hidden md:block'><p>Desktop readers also see this note.</p></div>"
            ),
        );
        let e = extract(html.as_bytes(), None, None).unwrap();
        assert_eq!(
            e.text.matches("The central bank raised").count(),
            1,
            "{}",
            e.text
        );
        assert!(e.text.contains("wage figures"), "{}", e.text);
        let dom = Dom::from(html.as_str());
        assert_eq!(drop_hidden(&dom), 1);
        assert!(dom.select("body").text().contains("Desktop readers"));
    }

    #[test]
    fn link_rows_after_the_story_go_and_its_own_links_stay() {
        let html = page(
            "",
            &format!(
                "<div class='post'><div class='entry'>{ARTICLE}\
                 <ul><li><a href='/rates'>Our rates explainer</a></li>\
                 <li><a href='/bank'>How the bank decides</a></li></ul></div>\
                 <div class='post-more'><p>Posted on Tuesday 5 March by the economics \
                 desk, in:</p><ul><li><a href='/t/economy'>Economy</a></li>\
                 <li><a href='/t/banks'>Central banks</a></li>\
                 <li><a href='/t/markets'>Markets</a></li></ul></div>\
                 <div class='note'>Jane Roe covers central banks for the paper.</div></div>"
            ),
        );
        let e = extract(html.as_bytes(), None, None).unwrap();
        assert!(e.text.contains("wage figures"), "{}", e.text);
        assert!(e.text.contains("Our rates explainer"), "{}", e.text);
        assert!(e.text.contains("Jane Roe covers"), "{}", e.text);
        assert!(!e.text.contains("economics desk"), "{}", e.text);
    }

    #[test]
    fn short_page_falls_back_to_body_without_chrome() {
        let html =
            "<html><body><nav>Menu</nav><div>Short note.</div><footer>f</footer></body></html>";
        let e = extract(html.as_bytes(), None, None).unwrap();
        assert!(e.text.ends_with("Short note."), "{}", e.text);
    }

    #[test]
    fn binary_and_empty_payloads_are_errors() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0";
        assert!(matches!(
            extract(png, None, None),
            Err(Error::BadPayload(_))
        ));
        assert!(matches!(
            extract(b"<html></html>", None, None),
            Err(Error::BadPayload(_))
        ));
    }

    #[test]
    fn published_from_meta_json_ld_and_time() {
        let og = page(
            "<meta property='article:published_time' content='2024-03-05T10:00:00+00:00'>",
            ARTICLE,
        );
        let e = extract(og.as_bytes(), None, None).unwrap();
        assert_eq!(e.published.map(|p| p.unix), Some(1_709_632_800));

        let ld = page(
            r#"<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebPage"},{"@type":"NewsArticle","datePublished":"2024-03-05T11:00:00Z"}]}</script>"#,
            ARTICLE,
        );
        let e = extract(ld.as_bytes(), None, None).unwrap();
        assert_eq!(e.published.map(|p| p.unix), Some(1_709_636_400));

        let body = format!("<time datetime='2024-03-05'>March 5</time>{ARTICLE}");
        let e = extract(page("", &body).as_bytes(), None, None).unwrap();
        assert_eq!(e.published.map(|p| p.raw), Some("2024-03-05".to_string()));
    }

    #[test]
    fn dates_in_the_wild() {
        assert_eq!(
            parse_date("2024-03-05T10:00:00").map(|p| p.unix),
            Some(1_709_632_800)
        );
        assert_eq!(
            parse_date("2024-03-05T12:00:00+0200").map(|p| p.unix),
            Some(1_709_632_800)
        );
        assert_eq!(
            parse_date("2024-03-05 10:00:00Z").map(|p| p.unix),
            Some(1_709_632_800)
        );
        assert_eq!(
            parse_date("2024-03-05T10:00:00.123Z").map(|p| p.unix),
            Some(1_709_632_800)
        );
        assert_eq!(
            parse_date("2024-03-05 (Tue)").map(|p| p.date_only),
            Some(true)
        );
        assert_eq!(
            parse_date("2024-03-05T10:00:00").map(|p| p.date_only),
            Some(false)
        );
        assert_eq!(parse_date("March 5"), None);
    }

    #[test]
    fn boxes_whose_class_names_furniture_leave_the_story() {
        const BIO: &str =
            "Jane Marsh has covered central banks and the bond markets for the paper \
            since 2009 and writes a weekly column about money and the people who manage it.";
        let text = |body: &str| extract(page("", body).as_bytes(), None, None).unwrap().text;
        // Named as an info box: removed, the story stays whole. (Readability replaces a box
        // holding a single paragraph by the paragraph, name and all; real boxes hold more.)
        let named = text(&format!(
            "{ARTICLE}<div class='author-info'><h4>Jane Marsh</h4><p>{BIO}</p></div>"
        ));
        assert!(!named.contains("Jane Marsh"), "{named}");
        assert!(named.contains("third increase") && named.contains("highest level"));
        // Whole words only: `information` is not `info`, and the same box stays.
        let kept = text(&format!(
            "{ARTICLE}<div class='information'><h4>Jane Marsh</h4><p>{BIO}</p></div>"
        ));
        assert!(kept.contains("Jane Marsh"), "{kept}");
        // A furniture word on the story's own container (most of the pick) is not a box.
        let container = text(&format!(
            "<div class='post tags-economy share'>{ARTICLE}</div>"
        ));
        assert!(container.contains("third increase") && container.contains("highest level"));
    }

    #[test]
    fn promotions_are_gone_before_readability_picks() {
        // An "also on this site" slideshow with more paragraphs than the story itself.
        let slide = |n: usize| {
            format!(
                "<li><h4>Also on the site, part {n}</h4><p>Health care costs rose again in the \
                 year to March, and insurers warned that premiums would follow, while hospitals \
                 said staff shortages kept waiting lists long in every region of the country.</p>\
                 <p>Ministers promised a review, and the opposition called for an inquiry into \
                 how the money had been spent, pointing to reports from auditors and doctors.</p>\
                 </li>"
            )
        };
        let slides: String = (1..=5).map(slide).collect();
        // The page's title names its headline, which the slideshow does not hold.
        let text = |class: &str| {
            let body = format!("{ARTICLE}<div class='{class}'><ul>{slides}</ul></div>");
            let html = page("", &body).replace("<title>Rates up |", "<title>Rates up again |");
            extract(html.as_bytes(), None, None).unwrap().text
        };
        let promo = text("promo_holder clearfix");
        assert!(promo.contains("third increase"), "{promo}");
        assert!(!promo.contains("Ministers promised"), "{promo}");
        // The same box under another name is readability's to judge, and it takes the slides.
        let plain = text("holder clearfix");
        assert!(plain.contains("Ministers promised"), "{plain}");
    }

    #[test]
    fn a_site_box_that_holds_the_headline_or_most_of_the_page_stays() {
        let story = |h1: &str| {
            let html = format!(
                "<!DOCTYPE html><html><head><title>Banks lift rates as inflation bites | Daily\
                 </title></head><body><div class='site has-toolbar'>{h1}{ARTICLE}</div>\
                 <div class='promo'><p>Subscribe to the Daily for a year and get a tote bag.</p>\
                 </div></body></html>"
            );
            extract(html.as_bytes(), None, None).unwrap().text
        };
        // The headline is an `h2` inside the wrapper named as a toolbar.
        let t = story("<h2>Banks lift rates as inflation bites</h2>");
        assert!(
            t.contains("third increase") && !t.contains("tote bag"),
            "{t}"
        );
        // No headline at all: the wrapper holds most of the page.
        let t = story("");
        assert!(
            t.contains("third increase") && !t.contains("tote bag"),
            "{t}"
        );
    }

    /// A page whose headline, byline and dateline sit above the story, outside its container.
    fn headed_page(between: &str) -> String {
        format!(
            "<!DOCTYPE html><html><head><title>Banks lift rates as inflation bites | Daily</title>\
             </head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>\
             <div class=top><h1>Banks lift rates as inflation bites</h1>{between}</div>\
             <div class=story>{ARTICLE}</div><footer>Copyright Daily News</footer></body></html>"
        )
    }

    /// The header of `headed_page` with a byline and a date line between headline and story.
    const BYLINED_HEADER: [&str; 3] = [
        "Banks lift rates as inflation bites",
        "By Jane Roe",
        "March 5, 2024, 10:02",
    ];

    #[test]
    fn header_holds_the_headline_and_the_short_lines_before_the_story() {
        let html = headed_page("<p>By Jane Roe</p><p>March 5, 2024, 10:02</p>");
        let e = extract(html.as_bytes(), Some("https://daily.example/x"), None).unwrap();
        assert_eq!(e.header, BYLINED_HEADER);
        assert!(e.text.starts_with("The central bank raised"), "{}", e.text);
        let text = render(&e, Format::Text);
        assert!(
            text.starts_with("Banks lift rates as inflation bites\nBy Jane Roe\n"),
            "{text}"
        );
        assert!(text.ends_with(&format!("{}\n", e.text)), "{text}");
        let j: serde_json::Value = serde_json::from_str(&render(&e, Format::Json)).unwrap();
        assert_eq!(j["header"][1], "By Jane Roe");
    }

    /// The header `extract` finds in `headed_page` with a byline after each `(from, to)` edit
    /// of the page (each `from` must occur in it).
    fn bylined_header(edits: &[(&str, &str)]) -> Vec<String> {
        let mut html = headed_page("<p>By Jane Roe</p>");
        for (from, to) in edits {
            assert!(html.contains(from), "{from}");
            html = html.replace(from, to);
        }
        extract(html.as_bytes(), None, None).unwrap().header
    }

    #[test]
    fn the_headline_matches_a_title_typed_with_other_punctuation() {
        // The title has straight quotes and a hyphen, the headline curly quotes and a dash.
        let header = bylined_header(&[
            (
                "<title>Banks lift rates as inflation bites",
                "<title>Banks' lift: rates as \"inflation\" bites - Daily",
            ),
            (
                "<h1>Banks lift rates as inflation bites",
                "<h1>Banks\u{2019} lift \u{2013} rates as \u{201c}inflation\u{201d} bites",
            ),
        ]);
        assert_eq!(
            header,
            [
                "Banks\u{2019} lift \u{2013} rates as \u{201c}inflation\u{201d} bites",
                "By Jane Roe"
            ]
        );
    }

    #[test]
    fn a_title_cut_short_still_names_its_headline() {
        let title = "<title>Banks lift rates as inflation bites | Daily";
        // Four leading words of the six-word headline, then the site's name.
        let header = bylined_header(&[(title, "<title>Banks lift rates as - Daily News")]);
        assert_eq!(header, BYLINED_HEADER[..2]);
        // Three shared words are too few to tell a cut title from a section's name.
        let header = bylined_header(&[(title, "<title>Banks lift rates - Daily News")]);
        assert!(header.is_empty(), "{header:?}");
    }

    #[test]
    fn a_headline_linked_nowhere_is_no_site_name() {
        let linked = |href: &str| {
            bylined_header(&[(
                "<h1>Banks lift rates as inflation bites</h1>",
                &format!("<h1><a href='{href}'>Banks lift rates as inflation bites</a></h1>"),
            )])
        };
        // `<h1><a href="">` is a template's empty link, not a link to the front page.
        assert_eq!(linked(""), BYLINED_HEADER[..2]);
        // Nor is a link to the story's own permalink, made from the headline's words.
        assert_eq!(linked("/banks-lift-rates/"), BYLINED_HEADER[..2]);
        // A link to the front page or a section front is the site's name in its banner.
        for front in ["/", "/economy/"] {
            let header = linked(front);
            assert!(header.is_empty(), "{front}: {header:?}");
        }
    }

    #[test]
    fn the_headline_quoted_inside_the_story_still_heads_it() {
        // The story's fourth line asks the headline's question: it does not start with it.
        let header = bylined_header(&[(
            "government bond yields climbed to their highest level since the spring.",
            "government bond yields climbed. Why do banks lift rates as inflation bites?",
        )]);
        assert_eq!(header, BYLINED_HEADER[..2]);
        // A line that ends with the headline (a breadcrumb trail) is the headline shown again.
        let header = bylined_header(&[(
            "<div class=story>",
            "<div class=story><p>Home / Economy / Banks lift rates as inflation bites</p>",
        )]);
        assert!(header.is_empty(), "{header:?}");
    }

    #[test]
    fn short_link_lines_after_the_byline_stay_out_of_the_header() {
        let html = headed_page(
            "<p>By <a href='/jane-roe'>Jane Roe</a></p><p><a href='#comments'>10 Comments</a></p>\
             <p>March 5, 2024, 10:02</p><p><a href='/share'>Tweet</a></p>",
        );
        let e = extract(html.as_bytes(), Some("https://daily.example/x"), None).unwrap();
        // The linked byline is the first line below the headline and stays.
        assert_eq!(e.header, BYLINED_HEADER);
    }

    #[test]
    fn a_long_box_between_headline_and_story_stays_out_of_the_header() {
        let bio = "Jane Roe covers central banks and the bond markets for the Daily. She has \
                   written about monetary policy for twenty years, for papers in three countries, \
                   and lives by the sea with two cats and a great many books about money.";
        let html = headed_page(&format!("<p>By Jane Roe</p><p class=bio>{bio}</p>"));
        let e = extract(html.as_bytes(), Some("https://daily.example/x"), None).unwrap();
        assert_eq!(e.header, ["Banks lift rates as inflation bites"]);
    }

    #[test]
    fn no_header_when_the_story_starts_with_its_headline_or_there_is_none() {
        // `page` puts the headline inside the article, where readability keeps it.
        let e = extract(page("", ARTICLE).as_bytes(), None, None).unwrap();
        assert!(e.text.contains("Rates up again"), "{}", e.text);
        assert!(e.header.is_empty(), "{:?}", e.header);
        // No heading is the page's title.
        let html = headed_page("").replace("<h1>Banks lift", "<h1>Markets: banks lift");
        let html = html.replace("<title>Banks lift rates as inflation bites", "<title>Daily");
        let e = extract(html.as_bytes(), None, None).unwrap();
        assert!(e.header.is_empty(), "{:?}", e.header);
    }

    #[test]
    fn metadata_title_byline_site_canonical() {
        let head = "<meta property='og:site_name' content='The Daily'>\
                    <meta name='author' content='Jane Roe'>\
                    <link rel='canonical' href='/news/rates'>";
        let html = page(head, ARTICLE);
        let e = extract(html.as_bytes(), Some("https://amp.daily.co.uk/x"), None).unwrap();
        assert_eq!(
            e.canonical.as_deref(),
            Some("https://amp.daily.co.uk/news/rates")
        );
        assert_eq!(e.site.as_deref(), Some("daily.co.uk"));
        assert_eq!(e.site_name.as_deref(), Some("The Daily"));
        assert_eq!(e.byline.as_deref(), Some("Jane Roe"));
        assert!(e.title.is_some());
        let j: serde_json::Value = serde_json::from_str(&render(&e, Format::Json)).unwrap();
        for k in [
            "url",
            "title",
            "published",
            "byline",
            "site",
            "header",
            "text",
        ] {
            assert!(j.get(k).is_some(), "{k}");
        }
        // Without a URL, the canonical one stands in.
        let html = page(
            "<link rel='canonical' href='https://www.daily.co.uk/n'>",
            ARTICLE,
        );
        let e = extract(html.as_bytes(), None, None).unwrap();
        assert_eq!(e.url.as_deref(), Some("https://www.daily.co.uk/n"));
        assert_eq!(e.site.as_deref(), Some("daily.co.uk"));
    }
}
