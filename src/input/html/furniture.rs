//! What inside readability's pick is not the story? Readability keeps the whole container it
//! picked, and a post's container often ends with furniture: tag and category rows, share
//! bars, related-story and most-read lists. The story is the chain of containers that hold
//! nearly all of the pick's running text ([`STORY_SHARE`]); a box after that chain that is
//! mostly links ([`MAX_LINK_SHARE`]) is furniture and is removed. Boxes before the story
//! (headline, byline, dateline) and boxes of running text after it (an author's note, a
//! correction) are kept: the references keep what precedes a story, and text boxes after it are
//! as often the story's end as an author box.
//!
//! Invariant: the descent is bounded ([`MAX_DESCENT`] levels) and renders each level's children
//! once, so the work is a small multiple of the pick.

use super::headline::is_prose;
use super::render::blocks_of_nodes;
use dom_query::{Document as Dom, NodeRef};

/// Share of the pick's running text a container must hold to be the story's container.
/// Measured: 0.6 and 0.75 gain a little more on the dragnet pages but also cut see-also and
/// reference lists that the readability pages' references keep; 0.9 keeps those whole.
const STORY_SHARE: f64 = 0.9;

/// Above this share of link text a box after the story is furniture.
const MAX_LINK_SHARE: f64 = 0.2;

/// Non-whitespace characters a box needs to be judged: a two-word link row is too small to
/// tell a "Read more" from a menu.
const MIN_BOX_CHARS: usize = 40;

/// How many nested containers the story's chain may have.
const MAX_DESCENT: usize = 16;

/// Remove link-heavy boxes after the story from a readability pick (module docs). Returns how
/// many boxes were removed.
pub(super) fn drop_furniture_after_story(pick: &Dom) -> usize {
    let root = match pick.select("#readability-page-1").nodes().first() {
        Some(r) => *r,
        None => match pick.body() {
            Some(b) => b,
            None => return 0,
        },
    };
    let total = prose_chars(&root);
    if total == 0 {
        return 0;
    }
    let mut chain = Vec::new();
    let mut node = root;
    for _ in 0..MAX_DESCENT {
        let next = node
            .children()
            .into_iter()
            .find(|c| is_container(c) && prose_chars(c) as f64 >= STORY_SHARE * total as f64);
        match next {
            Some(c) => {
                chain.push(c);
                node = c;
            }
            None => break,
        }
    }
    let mut removed = 0;
    for n in chain {
        let mut next = n.next_sibling();
        while let Some(s) = next {
            next = s.next_sibling();
            if is_box(&s) && is_link_list(&s) {
                s.remove_from_parent();
                removed += 1;
            }
        }
    }
    removed
}

/// Characters of running text ([`is_prose`] blocks) in a subtree.
fn prose_chars(n: &NodeRef) -> usize {
    blocks_of_nodes(vec![*n], false)
        .iter()
        .filter(|b| is_prose(b))
        .map(|b| b.chars)
        .sum()
}

/// A box whose text is at least [`MIN_BOX_CHARS`] long and more than [`MAX_LINK_SHARE`] links.
fn is_link_list(n: &NodeRef) -> bool {
    let blocks = blocks_of_nodes(vec![*n], false);
    let chars: usize = blocks.iter().map(|b| b.chars).sum();
    let links: usize = blocks.iter().map(|b| b.link_chars).sum();
    chars >= MIN_BOX_CHARS && links as f64 > MAX_LINK_SHARE * chars as f64
}

fn tag(n: &NodeRef) -> String {
    n.node_name()
        .map(|t| t.to_ascii_lowercase())
        .unwrap_or_default()
}

/// Elements that can hold a story's paragraphs.
fn is_container(n: &NodeRef) -> bool {
    n.is_element()
        && matches!(
            tag(n).as_str(),
            "div" | "section" | "article" | "main" | "center" | "table" | "tbody" | "tr" | "td"
        )
}

/// Elements that make a box of their own (paragraphs, headings and figures do not).
fn is_box(n: &NodeRef) -> bool {
    n.is_element()
        && matches!(
            tag(n).as_str(),
            "div"
                | "section"
                | "aside"
                | "ul"
                | "ol"
                | "dl"
                | "table"
                | "form"
                | "nav"
                | "footer"
                | "header"
                | "menu"
        )
}
