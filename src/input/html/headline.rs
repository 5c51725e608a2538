//! Where does the story start? A second opinion on readability's choice of article, anchored
//! on the headline: the first `h1`-`h3` whose text is the page's title (or at least half of
//! it, as titles carry the site's name) and that is not a link to the site's front page, and
//! what follows it up to a story's worth of running text. Readability scores paragraphs and can
//! prefer a wordy sidebar or profile box to a short post; the headline says where the page
//! itself puts its story. The caller takes this story only when it and readability's text are
//! unrelated ([`disjoint`]): when one holds the other, readability's choice stands, unless
//! readability's text lies far after the story proper, past the sidebar's link lists
//! ([`proper_before_tail`]): then the story proper is the text. When no story's worth of text
//! follows the headline at all, the few paragraphs under it are a short post, and they replace
//! a pick that lies further down the page ([`short_post`]). Titles and headings are compared by
//! their words, whatever punctuation they are typed with.
//!
//! Invariant: at most [`MAX_HEADINGS`] headings are read, and the climb from the headline is
//! bounded ([`MAX_CLIMB`] ancestors) and renders each subtree after the headline once, so the
//! work is a small multiple of the page.

use super::render::{blocks_of_nodes, join, Block};
use dom_query::{Document as Dom, NodeRef};

/// How many headings are compared with the title: a story's headline comes early, and a
/// hostile page of nested headings must not cost a rendering per heading.
const MAX_HEADINGS: usize = 64;

/// How many ancestors of the headline are tried.
const MAX_CLIMB: usize = 6;

/// Below this share of shared word trigrams two texts are unrelated ([`disjoint`]). Measured
/// on the dragnet pages, any value from 0.1 to 0.5 switches the same pages.
const MAX_SHARED: f64 = 0.2;

/// Non-whitespace characters of running text a story needs after its headline to count as one.
const MIN_STORY_CHARS: usize = 250;

/// How many blocks after the headline are kept to find the story's header in
/// ([`Headline::next`]).
const HEADER_SCAN_BLOCKS: usize = 12;

/// The page's headline and what follows it.
pub(super) struct Headline {
    /// The headline's text, whitespace collapsed.
    pub text: String,
    /// The first blocks after the headline in document order (at most [`HEADER_SCAN_BLOCKS`]).
    pub next: Vec<Block>,
    /// The story under the headline: the blocks after it, up to the end of the smallest
    /// ancestor that has [`MIN_STORY_CHARS`] of running text ([`is_prose`]) after it. `None`
    /// when no ancestor holds enough text.
    pub story: Option<Vec<Block>>,
    /// How many of the story's first blocks are the story proper ([`story_proper`]).
    pub proper: usize,
    /// When no story was found (`story` is `None`) but running text follows the headline: the
    /// story proper of what the climb gathered, a short post's few paragraphs.
    pub short: Option<Vec<Block>>,
}

/// The page's headline element: the first `h1`-`h3` that is the page's title (or at least half
/// of it, or starts like it: [`starts_alike`]) and not a link to the site's front page; `None`
/// when no heading matches.
pub(super) fn headline_node(dom: &Dom) -> Option<NodeRef<'_>> {
    let fold = words;
    let mut titles: Vec<String> = dom
        .select("title, meta[property='og:title']")
        .nodes()
        .iter()
        .filter_map(|n| {
            let t = if n.has_attr("content") {
                n.attr("content").map(|c| c.to_string()).unwrap_or_default()
            } else {
                n.text().to_string()
            };
            let t = fold(&t);
            (!t.is_empty()).then_some(t)
        })
        .collect();
    titles.dedup();
    if titles.is_empty() {
        return None;
    }
    let headings = dom.select("h1, h2, h3");
    let found = headings.nodes().iter().take(MAX_HEADINGS).find_map(|h| {
        if names_the_site(h) {
            return None;
        }
        let t = fold(&h.text());
        let words = t.split(' ').count();
        let matches = words >= 2
            && titles.iter().any(|title| {
                (title.contains(t.as_str()) && t.len() * 2 >= title.len())
                    || (t.contains(title.as_str()) && title.contains(' '))
                    || starts_alike(&t, title)
            });
        matches.then_some(*h)
    });
    found
}

/// Leading words a heading and a title must share when the title was cut short.
const MIN_SHARED_START: usize = 4;

/// A heading whose first words, at least [`MIN_SHARED_START`] of them and half of the heading,
/// are the title's first words: a title cut short before the site's name ("Dishonored video
/// shows off plenty of creative - Video Game News") still names its headline. Both are
/// [`words`]. Measured on the dragnet pages: 18 pages change, 14 for the better, F1
/// +0.00014.
fn starts_alike(heading: &str, title: &str) -> bool {
    let shared = heading
        .split(' ')
        .zip(title.split(' '))
        .take_while(|(a, b)| a == b)
        .count();
    shared >= MIN_SHARED_START && shared * 2 >= heading.split(' ').count()
}

/// A title's or heading's words, lower-cased and joined by single spaces: what is left when
/// punctuation goes, so that a title typed with straight quotes matches its headline set with
/// curly ones (`Cat's` and `Cat’s`), in any script.
fn words(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&w.to_lowercase());
    }
    out
}

/// The page's headline ([`headline_node`]) with what follows it; `None` when no heading
/// matches.
pub(super) fn headline(dom: &Dom) -> Option<Headline> {
    let headline = headline_node(dom)?;
    let text = super::collapse(&headline.text());
    let mut node = headline;
    // What follows the headline, in document order: its later siblings, then its parent's
    // later siblings, and so on up; each subtree is rendered once.
    let mut after = Vec::new();
    let mut prose = 0;
    for _ in 0..MAX_CLIMB {
        let mut siblings = Vec::new();
        let mut next = node.next_sibling();
        while let Some(s) = next {
            next = s.next_sibling();
            siblings.push(s);
        }
        siblings.reverse();
        let blocks = blocks_of_nodes(siblings, false);
        prose += prose_of_blocks(&blocks);
        after.extend(blocks);
        if prose >= MIN_STORY_CHARS {
            break;
        }
        match node.parent() {
            Some(p) => node = p,
            None => {
                prose = 0;
                break;
            }
        }
    }
    let next = after.iter().take(HEADER_SCAN_BLOCKS).cloned().collect();
    let proper = story_proper(&after);
    let short = (prose < MIN_STORY_CHARS && after[..proper].iter().any(is_prose))
        .then(|| after[..proper].to_vec());
    let story = (prose >= MIN_STORY_CHARS).then_some(after);
    Some(Headline {
        text,
        next,
        story,
        proper,
        short,
    })
}

/// How many consecutive blocks that are not prose ([`is_prose`]) end the story proper: a
/// "Related" list, a row of share buttons, a video index. A story's own short lines (a byline,
/// a subheading, a short list) come in fewer. Measured on the dragnet pages: 4, 5 and 6 switch
/// the same pages.
const MAX_FURNITURE_RUN: usize = 5;

/// How many of `blocks` (what follows the headline) are the story proper: those before the
/// first run of [`MAX_FURNITURE_RUN`] blocks that are not prose, once a prose block has been
/// seen; all of them when there is no such run.
fn story_proper(blocks: &[Block]) -> usize {
    let mut seen_prose = false;
    let mut run = 0;
    for (i, b) in blocks.iter().enumerate() {
        if is_prose(b) {
            seen_prose = true;
            run = 0;
        } else if seen_prose {
            run += 1;
            if run == MAX_FURNITURE_RUN {
                return i + 1 - run;
            }
        }
    }
    blocks.len()
}

/// Blocks of the page's furniture that must lie between the story proper and readability's
/// pick for the pick to be the page's tail (a sidebar or footer) rather than the story's
/// continuation after a share bar. Measured on the dragnet pages: 5 switches pages whose story
/// follows a share bar (F1 0.9451), 10 gains 0.9465 -> 0.9477, 20 0.9475.
const MIN_TAIL_GAP: usize = 10;

/// How many times the story proper's running text readability's pick may have for the story
/// proper to replace it: a disclaimer or a footer is a paragraph or two, a story that the
/// headline's opening lines only introduce is many. Measured on the dragnet pages: 2 switches
/// nothing, 4 and 8 the same three pages; the stories that follow a long standfirst have 10 to
/// 70 times its text.
const MAX_TAIL_PROSE: usize = 4;

/// The story proper ([`story_proper`]) when readability's pick (`body`) starts at least
/// [`MIN_TAIL_GAP`] blocks after it in what follows the headline and has at most
/// [`MAX_TAIL_PROSE`] times its running text: the climb from a short post's headline gathers
/// the page's sidebars and footer, and readability sometimes picks one of them (a disclaimer
/// below the category list). `None` when the pick is not in what follows the story proper.
pub(super) fn proper_before_tail(h: &Headline, body: &str) -> Option<String> {
    let story = h.story.as_deref()?;
    let first = super::collapse(body.lines().next()?);
    let start = story[h.proper..]
        .iter()
        .position(|b| super::collapse(&b.text) == first)?;
    let proper = &story[..h.proper];
    (start >= MIN_TAIL_GAP && prose_of_lines(body) <= MAX_TAIL_PROSE * prose_of_blocks(proper))
        .then(|| join(proper))
}

/// Non-whitespace characters of the running text ([`is_prose`]) among `blocks`.
fn prose_of_blocks(blocks: &[Block]) -> usize {
    blocks.iter().filter(|b| is_prose(b)).map(|b| b.chars).sum()
}

/// Non-whitespace characters of the lines of `text` long enough to be running text
/// ([`PROSE_CHARS`]).
fn prose_of_lines(text: &str) -> usize {
    text.lines()
        .map(|l| l.chars().filter(|c| !c.is_whitespace()).count())
        .filter(|&n| n >= PROSE_CHARS)
        .sum()
}

/// The first [`ORDER_KEY_CHARS`] characters (whitespace collapsed) of the first running text
/// under the headline, in its story proper or short post: what a box must hold to hold the
/// story.
pub(super) fn opening(h: &Headline) -> Option<String> {
    let blocks = match (&h.story, &h.short) {
        (Some(story), _) => &story[..h.proper],
        (None, Some(short)) => short.as_slice(),
        (None, None) => return None,
    };
    blocks.iter().find(|b| is_prose(b)).map(|b| key_of(&b.text))
}

/// The first [`ORDER_KEY_CHARS`] characters of `line`, whitespace collapsed.
fn key_of(line: &str) -> String {
    super::collapse(line)
        .chars()
        .take(ORDER_KEY_CHARS)
        .collect()
}

/// Where the first line of `text` long enough to be running text starts in `page` (the page's
/// text, whitespace collapsed), found by its first [`ORDER_KEY_CHARS`] characters.
fn position_in(page: &str, text: &str) -> Option<usize> {
    let line = text
        .lines()
        .find(|l| l.chars().filter(|c| !c.is_whitespace()).count() >= PROSE_CHARS)?;
    page.find(key_of(line).as_str())
}

/// Characters of a line that [`position_in`] looks for and that [`opening`] keeps: enough to
/// be unique on a page.
const ORDER_KEY_CHARS: usize = 40;

/// A short post's text ([`Headline::short`]) in place of readability's pick (`body`): when the
/// pick is empty, or is unrelated to the post ([`disjoint`]), comes after it on the page
/// (`page`: the page's text, whitespace collapsed) and has at most [`MAX_TAIL_PROSE`] times its
/// running text. Under a headline that no story's worth of text follows, a pick further down
/// the page is a disclaimer or a sidebar box, unless it is much longer than the post; a pick
/// that comes before the "headline" is the story, and the heading a teaser of it in a list
/// further down. Measured on the dragnet pages: F1 0.9489 -> 0.9495 (one page, a short post
/// whose pick was the site's disclaimer, 0.07 -> 0.82); without the order check five pages of
/// a blog whose sidebar teases the story under its title lose their story (0.9461); with the
/// order check the ratio can be 4, 8 or left out with the same result.
pub(super) fn short_post(h: &Headline, body: &str, page: &str) -> Option<String> {
    let short = h.short.as_deref()?;
    let text = join(short);
    if body.is_empty() {
        return Some(text);
    }
    let after = matches!(
        (position_in(page, &text), position_in(page, body)),
        (Some(post), Some(pick)) if post < pick
    );
    (after
        && disjoint(body, &text)
        && prose_of_lines(body) <= MAX_TAIL_PROSE * prose_of_blocks(short))
    .then_some(text)
}

/// A heading that is one link to the site's home page or a section front (a path of at most
/// one segment, `/` or `/blog/`): the site's name in its banner, not a story's headline. A
/// link with an empty `href` goes nowhere, and a one-segment path made from the heading's words
/// is the story's own permalink ([`is_slug_of`]): neither names the site.
fn names_the_site(h: &dom_query::NodeRef) -> bool {
    let links = h.find(&["a"]);
    let [a] = links.as_slice() else {
        return false;
    };
    if super::collapse(&a.text()) != super::collapse(&h.text()) {
        return false;
    }
    let Some(href) = a.attr("href").filter(|h| !h.trim().is_empty()) else {
        return false;
    };
    let path = match url::Url::parse(&href) {
        Ok(u) => u.path().to_string(),
        Err(_) => href
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .to_string(),
    };
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let (segment, more) = (segments.next(), segments.next());
    more.is_none()
        && (path.is_empty() || path.ends_with('/'))
        && !segment.is_some_and(|s| is_slug_of(s, &h.text()))
}

/// Words a path segment must share with a heading to be its slug.
const MIN_SLUG_WORDS: usize = 3;

/// A path segment made from the heading's words (`/first-time-in-stock/`): the story's own
/// permalink, as WordPress makes them, not a section front.
fn is_slug_of(segment: &str, heading: &str) -> bool {
    let heading = words(heading);
    let heading: Vec<&str> = heading.split(' ').collect();
    words(segment)
        .split(' ')
        .filter(|w| heading.contains(w))
        .count()
        >= MIN_SLUG_WORDS
}

/// A block that reads as running text rather than a link, label or list of links.
pub(super) fn is_prose(b: &Block) -> bool {
    b.chars >= PROSE_CHARS && b.link_density() < 0.3
}

/// Non-whitespace characters a block or line needs to be running text ([`is_prose`]).
const PROSE_CHARS: usize = 60;

/// Two texts are unrelated when less than [`MAX_SHARED`] of either's word trigrams occur in
/// the other (a story that is part of the chosen text, or the reverse, is related).
pub(super) fn disjoint(chosen: &str, story: &str) -> bool {
    overlap(chosen, story) < MAX_SHARED && overlap(story, chosen) < MAX_SHARED
}

/// Share of the word trigrams of `candidate` that also occur in `chosen`, 0 to 1 (1 when the
/// candidate has none). Trigrams rather than words, because two unrelated texts share most of
/// their common words.
fn overlap(candidate: &str, chosen: &str) -> f64 {
    fn trigrams(s: &str) -> Vec<u64> {
        let folded = words(s);
        let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
        words
            .windows(3)
            .map(|w| xxhash_rust::xxh3::xxh3_64(w.join(" ").as_bytes()))
            .collect()
    }
    let have: std::collections::HashSet<u64> = trigrams(chosen).into_iter().collect();
    let cand = trigrams(candidate);
    if cand.is_empty() {
        return 1.0;
    }
    cand.iter().filter(|g| have.contains(*g)).count() as f64 / cand.len() as f64
}
