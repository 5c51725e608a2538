//! What inside readability's pick is not the story? Readability keeps the whole container it
//! picked, and a post's container often ends with furniture: tag and category rows, share
//! bars, related-story and most-read lists. The story is the chain of containers that hold
//! nearly all of the pick's running text ([`STORY_SHARE`]), or, where none does (a short post
//! before a wordy sidebar), the container holding the opening of the story under the page's
//! headline; a box after that chain that is mostly links ([`MAX_LINK_SHARE`]) is furniture and
//! is removed (after a container found by its opening, only when it is also mostly not running
//! text, [`MAX_PROSE_SHARE`]). Boxes before the story
//! (headline, byline, dateline) and boxes of running text after it (an author's note, a
//! correction) are kept: the references keep what precedes a story, and text boxes after it are
//! as often the story's end as an author box.
//!
//! Before that, a box anywhere in the pick whose `class` names it as furniture
//! ([`FURNITURE_CLASS_WORDS`]: post-metadata rows, tag rows, breadcrumbs, share bars and
//! counters, "about the author" and info boxes, call-outs, related-story and link boxes, a
//! sidebar inside the pick) is removed, unless it holds more than
//! [`MAX_NAMED_SHARE`] of the pick's text: then the name belongs to the story's own container,
//! unless the pick holds the opening of the story under the page's headline and the box does
//! not (a short post's sidebar outweighs the post).
//! Class names are the site developer's vocabulary, not the page's language, so the rule is the
//! same for pages in any language. Only `class` is read: an `id` is often made from a section
//! heading (`<section id="sharing">` in a manual), which is content.
//!
//! Invariant: the descent is bounded ([`MAX_DESCENT`] levels) and renders each level's children
//! once, and at most [`MAX_NAMED_BOXES`] named boxes are measured, so the work is a small
//! multiple of the pick.

use super::class_has_word;
use super::headline::is_prose;
use super::render::{blocks_of_nodes, text_chars};
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

/// Whole words of a `class` attribute (`class_has_word`) that name a box as page furniture.
/// Measured word by word on the dragnet pages with the readability pages as a check: `meta`,
/// `bio`, `widget`, `tweet`, `twitter`, `newsletter`, `navigation`, `bottom`, `list`, `more`,
/// `date` and `byline` each cut text that the readability pages' references keep (author
/// biographies, embedded tweets, see-also lists) or lost on dragnet, and are left out; so is
/// `author` (+0.0009 on dragnet, but it takes bylines the references keep). Footers and
/// promotions are gone before readability runs (`drop_site_boxes`).
const FURNITURE_CLASS_WORDS: [&str; 17] = [
    "about",
    "breadcrumb",
    "callout",
    "count",
    "info",
    "links",
    "metafootnote",
    "nav",
    "postmeta",
    "postmetadata",
    "related",
    "share",
    "sharing",
    "sidebar",
    "social",
    "stories",
    "tags",
];

/// Above this share of the pick's text a box named as furniture is the story's own container
/// (WordPress gives a post's container its tag and category names as classes). Measured on the
/// dragnet pages: 0.25 0.9412, 0.35 0.9415, 0.5 0.9420, 0.7 0.9424; a box holding most of the
/// pick is hardly a box.
const MAX_NAMED_SHARE: f64 = 0.5;

/// How many boxes named as furniture are measured in one pick: real picks have a handful; a
/// hostile page of thousands must not cost a rendering each.
pub(super) const MAX_NAMED_BOXES: usize = 256;

/// The element readability wraps its pick in, or the fragment's body.
fn pick_root(pick: &Dom) -> Option<NodeRef<'_>> {
    match pick.select("#readability-page-1").nodes().first() {
        Some(r) => Some(*r),
        None => pick.body(),
    }
}

/// Remove the boxes of a readability pick whose `class` names them as furniture and that hold
/// at most [`MAX_NAMED_SHARE`] of its text, or that do not hold `opening` (the first words of
/// the story under the page's headline, whitespace collapsed) when the pick does (module
/// docs). Returns how many were removed. Measured on the dragnet pages: the opening gains one
/// page (a photo blog whose sidebar outweighs a one-paragraph post, F1 0.48 -> 0.90), 0.9495
/// -> 0.9497; removing every named box without the opening, whatever its share, loses
/// nine pages (0.9495).
pub(super) fn drop_named_boxes(pick: &Dom, opening: Option<&str>) -> usize {
    let Some(root) = pick_root(pick) else {
        return 0;
    };
    let total = text_chars(&root);
    if total == 0 {
        return 0;
    }
    let opening = opening.filter(|o| super::collapse(&root.text()).contains(o));
    let with_class = pick.select("[class]");
    let named = with_class.nodes().iter().copied().filter(|n| {
        n.id != root.id
            && n.attr("class")
                .is_some_and(|c| class_has_word(&c, &FURNITURE_CLASS_WORDS))
    });
    let mut removed = 0;
    for n in named.take(MAX_NAMED_BOXES) {
        // A box inside one removed before is gone already; one outside the pick's root (the
        // fragment's html and body) is not part of it.
        if !n.ancestors(None).iter().any(|a| a.id == root.id) {
            continue;
        }
        // The box's text is rendered only for a box holding most of the pick.
        let holds_most = text_chars(&n) as f64 > MAX_NAMED_SHARE * total as f64;
        let story_elsewhere = || opening.is_some_and(|o| !super::collapse(&n.text()).contains(o));
        if (holds_most && !story_elsewhere()) || !n.find(&["h1"]).is_empty() {
            continue;
        }
        n.remove_from_parent();
        removed += 1;
    }
    removed
}

/// Remove link-heavy boxes after the story from a readability pick (module docs). The story's
/// chain descends into the child holding [`STORY_SHARE`] of the pick's running text or, when
/// none does, into the child holding `opening` (the first words of the story under the page's
/// headline, whitespace collapsed): under a short post the sidebar after it holds most of the
/// text. After a container found by its opening, a link-heavy box goes only when less than
/// [`MAX_PROSE_SHARE`] of it is running text, as a landing page's sections after its
/// introduction are link-heavy too. Returns how many boxes were removed.
pub(super) fn drop_furniture_after_story(pick: &Dom, opening: Option<&str>) -> usize {
    let Some(root) = pick_root(pick) else {
        return 0;
    };
    let total = prose_chars(&root);
    if total == 0 {
        return 0;
    }
    // The chain of containers holding the story, each with whether its share found it.
    let mut chain = Vec::new();
    let mut node = root;
    for _ in 0..MAX_DESCENT {
        let kids = node.children();
        let by_share = kids
            .iter()
            .find(|c| is_container(c) && prose_chars(c) as f64 >= STORY_SHARE * total as f64);
        let next = match (by_share, opening) {
            (Some(c), _) => Some((*c, true)),
            (None, Some(o)) => kids
                .iter()
                .find(|c| is_container(c) && super::collapse(&c.text()).contains(o))
                .map(|c| (*c, false)),
            (None, None) => None,
        };
        match next {
            Some((c, share)) => {
                chain.push((c, share));
                node = c;
            }
            None => break,
        }
    }
    let mut removed = 0;
    for (n, by_share) in chain {
        let mut next = n.next_sibling();
        while let Some(s) = next {
            next = s.next_sibling();
            let furniture = is_box(&s)
                && is_link_list(&s)
                && (by_share || (prose_chars(&s) as f64) < MAX_PROSE_SHARE * text_chars(&s) as f64);
            if furniture {
                s.remove_from_parent();
                removed += 1;
            }
        }
    }
    removed
}

/// Share of a link-heavy box's text that must be running text for the box to stay after a
/// story container found by its opening ([`drop_furniture_after_story`]). Measured on the
/// dragnet pages with the readability pages as a check: 0.25 and 0.4 give F1 0.94987, 0.5
/// 0.95002, 0.6 0.95004; from 0.75 on (and with no such limit) the feature sections of a
/// landing page go, and the readability pages fall from 0.9989 to 0.9958.
const MAX_PROSE_SHARE: f64 = 0.5;

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

#[cfg(test)]
mod tests {
    use super::*;

    /// A readability pick: a post's box of `class` holding `story`, then a sidebar.
    fn pick(class: &str, story: &str) -> Dom {
        Dom::from(format!(
            "<div id='readability-page-1'><div class='{class}'>{story}</div><div class='sidebar'>\
             <p>Photo Editor is edited by a former director of photography for two magazines, \
             who writes about the business of photography, its people and its money.</p></div>\
             </div>"
        ))
    }

    const OPENING: &str = "This four-part documentary series follows";

    const SHORT: &str = "<p>This four-part documentary series follows three combat \
        photographers at work.</p>";

    #[test]
    fn a_named_box_holding_most_of_the_pick_goes_when_the_story_is_elsewhere() {
        // Without the story's opening the sidebar holds too much of the pick to be a box.
        let p = pick("post", SHORT);
        assert_eq!(drop_named_boxes(&p, None), 0);
        // With it, the sidebar is furniture.
        assert_eq!(drop_named_boxes(&p, Some(OPENING)), 1);
        let text = p.select("body").text();
        assert!(text.contains("combat photographers"), "{text}");
        assert!(!text.contains("Photo Editor"), "{text}");
        // An opening that is not in the pick says nothing about its boxes.
        let p = pick("post", SHORT);
        assert_eq!(drop_named_boxes(&p, Some("A story of some other page")), 0);
    }

    #[test]
    fn a_named_box_holding_most_of_the_pick_and_the_story_stays() {
        // WordPress names a post's box by its tags (`tag-share`).
        let long = format!(
            "{SHORT}<p>The series was filmed over two years, and each episode follows one \
             photographer from the first day of an assignment to the last picture sent.</p>"
        );
        let p = pick("post tag-share", &long);
        assert_eq!(drop_named_boxes(&p, Some(OPENING)), 1);
        let text = p.select("body").text();
        assert!(text.contains("filmed over two years"), "{text}");
        assert!(!text.contains("Photo Editor"), "{text}");
    }

    /// A readability pick: a short post, then `after` in a box of its own.
    fn post_then(after: &str) -> Dom {
        Dom::from(format!(
            "<div id='readability-page-1'><div class='entry'>{SHORT}</div>{after}</div>"
        ))
    }

    /// Running text about a photo blog, longer than the post.
    const ABOUT: &str = "<p>Photo Editor is edited by a former director of photography for \
        two magazines, who writes about the business of photography and its people.</p>";

    #[test]
    fn link_lists_after_a_short_post_go_when_its_opening_finds_it() {
        let links: String = (1..=12)
            .map(|i| format!("<li><a href='/c{i}'>Category number {i}</a></li>"))
            .collect();
        let after = format!("<div class='widgets'>{ABOUT}<ul>{links}</ul></div>");
        // The widgets hold most of the pick's running text, so no container holds the story
        // by its share.
        let p = post_then(&after);
        assert_eq!(drop_furniture_after_story(&p, None), 0);
        assert_eq!(drop_furniture_after_story(&p, Some(OPENING)), 1);
        let text = p.select("body").text();
        assert!(text.contains("combat photographers"), "{text}");
        assert!(!text.contains("Category number"), "{text}");
    }

    #[test]
    fn sections_of_running_text_after_an_opening_stay_though_they_link() {
        // A landing page: sections of running text, each with a link, after the introduction.
        let sections: String = (1..=3)
            .map(|i| {
                format!(
                    "<li><p>Develop, deploy and debug apps directly in your browser or on a \
                     device, with tool number {i} that replaces the old manager.</p>\
                     <a href='/t{i}'>Learn more about the developer tool number {i} and its manual</a></li>"
                )
            })
            .collect();
        let p = post_then(&format!("<div class='features'><ul>{sections}</ul></div>"));
        assert_eq!(drop_furniture_after_story(&p, Some(OPENING)), 0);
        assert!(p.select("body").text().contains("tool number 3"));
    }
}
