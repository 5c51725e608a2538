//! How deep may a page nest? Bounds on the nesting of a page, before and after parsing, so that
//! extraction does near-linear work and bounded recursion on any input (issue #10).
//!
//! A page of 20,000 nested `<b><i><span><a>` overflowed the stack, and 100,000 nested `<div>`s
//! took 40 minutes: html5ever's tree builder scans its stack of open elements on most tags (scope
//! checks), so parsing costs tags x depth, and readability walks the ancestors of every
//! paragraph. Real pages nest a few dozen levels; [`MAX_DEPTH`] is far above that.
//!
//! Two layers:
//! 1. [`bound_markup`], before parsing: a tag scanner that models the parser's stack of open
//!    elements by tag name (implied closes of `p`, `li`, `td`, ... included) and drops the start
//!    tags that would open deeper than [`MAX_DEPTH`], with their end tags; their text stays. It
//!    also models the *active formatting elements* the parser re-opens after an implied close
//!    (`<p><b id=1></p><p>...` re-opens every such `b` inside each later paragraph), which would
//!    otherwise grow the tree quadratically from a linear page.
//! 2. [`flatten_deep`], after parsing: the guarantee. An element at depth [`MAX_DEPTH`] gets all
//!    its descendants moved up to be its children, in document order, so no path in the tree is
//!    longer than `MAX_DEPTH + 1` whatever the parser built. Everything after it (readability,
//!    our renderer, serialization) then recurses at most that deep, on any thread.
//!
//! Invariant: both only move or drop markup, never text; a page within the bounds is untouched.

use dom_query::{Document as Dom, NodeRef};
use std::borrow::Cow;
use std::collections::HashMap;

/// The deepest nesting of elements that extraction considers. Chrome's parser stops nesting at
/// 512; readability-style scoring and our renderer need far less than either.
pub const MAX_DEPTH: usize = 256;

/// How many formatting elements closed by implication the parser may hold for re-opening
/// (its "list of active formatting elements"): each is re-opened in every later paragraph, so
/// this bounds the nodes the parser adds per paragraph. Sloppy real pages leave a few.
pub const MAX_REOPENED: usize = 16;

/// What bounding did to one page: zero everywhere for any ordinary page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bounded {
    /// Start and end tags dropped before parsing because they nested too deep.
    pub dropped_tags: usize,
    /// Nodes moved up the tree after parsing because they sat deeper than [`MAX_DEPTH`].
    pub flattened_nodes: usize,
}

impl Bounded {
    /// True when the page was changed to fit the bounds (its extraction is degraded).
    pub fn degraded(&self) -> bool {
        self.dropped_tags + self.flattened_nodes > 0
    }
}

/// Elements whose content is raw text up to their end tag: tags inside are not tags.
fn is_raw_text(name: &[u8]) -> bool {
    matches!(
        name,
        b"script"
            | b"style"
            | b"textarea"
            | b"title"
            | b"xmp"
            | b"iframe"
            | b"noembed"
            | b"noframes"
            | b"noscript"
    )
}

/// Elements that never have content.
fn is_void(name: &[u8]) -> bool {
    matches!(
        name,
        b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"param"
            | b"source"
            | b"track"
            | b"wbr"
            | b"keygen"
            | b"frame"
            | b"basefont"
            | b"bgsound"
            | b"image"
    )
}

/// Formatting elements: the parser re-opens them after an implied close.
fn is_formatting(name: &[u8]) -> bool {
    matches!(
        name,
        b"a" | b"b"
            | b"big"
            | b"code"
            | b"em"
            | b"font"
            | b"i"
            | b"nobr"
            | b"s"
            | b"small"
            | b"strike"
            | b"strong"
            | b"tt"
            | b"u"
    )
}

/// Elements a new one of the same name closes (`<p>a<p>b`, `<li>`, `<td>`, ...).
fn closes_same(name: &[u8]) -> bool {
    matches!(
        name,
        b"p" | b"li"
            | b"dt"
            | b"dd"
            | b"option"
            | b"optgroup"
            | b"tr"
            | b"td"
            | b"th"
            | b"thead"
            | b"tbody"
            | b"tfoot"
            | b"rb"
            | b"rt"
            | b"rp"
            | b"rtc"
            | b"a"
            | b"nobr"
            | b"button"
            | b"form"
    )
}

/// Start tags before which the parser does *not* re-open formatting elements: blocks, table
/// parts and document structure (the HTML standard's "in body" rules).
fn is_block_start(name: &[u8]) -> bool {
    matches!(
        name,
        b"address"
            | b"article"
            | b"aside"
            | b"blockquote"
            | b"center"
            | b"details"
            | b"dialog"
            | b"dir"
            | b"div"
            | b"dl"
            | b"fieldset"
            | b"figcaption"
            | b"figure"
            | b"footer"
            | b"header"
            | b"hgroup"
            | b"main"
            | b"menu"
            | b"nav"
            | b"ol"
            | b"p"
            | b"search"
            | b"section"
            | b"summary"
            | b"ul"
            | b"h1"
            | b"h2"
            | b"h3"
            | b"h4"
            | b"h5"
            | b"h6"
            | b"pre"
            | b"listing"
            | b"form"
            | b"li"
            | b"dd"
            | b"dt"
            | b"table"
            | b"caption"
            | b"colgroup"
            | b"tbody"
            | b"thead"
            | b"tfoot"
            | b"tr"
            | b"td"
            | b"th"
            | b"html"
            | b"head"
            | b"body"
            | b"frameset"
    )
}

/// Elements whose close forgets the formatting elements opened inside them (list markers).
fn is_marker(name: &[u8]) -> bool {
    matches!(
        name,
        b"td" | b"th" | b"caption" | b"applet" | b"object" | b"marquee" | b"template"
    )
}

/// Names that are HTML containers even when written `<x/>` (the slash means nothing there);
/// any other self-closed name is a foreign (SVG, MathML) leaf.
fn is_html_container(name: &[u8]) -> bool {
    is_formatting(name)
        || closes_same(name)
        || matches!(
            name,
            b"div"
                | b"span"
                | b"section"
                | b"article"
                | b"aside"
                | b"nav"
                | b"header"
                | b"footer"
                | b"main"
                | b"ul"
                | b"ol"
                | b"dl"
                | b"table"
                | b"blockquote"
                | b"center"
                | b"h1"
                | b"h2"
                | b"h3"
                | b"h4"
                | b"h5"
                | b"h6"
                | b"pre"
                | b"figure"
                | b"label"
                | b"q"
                | b"sub"
                | b"sup"
                | b"abbr"
                | b"cite"
                | b"dfn"
                | b"kbd"
                | b"mark"
                | b"samp"
                | b"var"
                | b"ins"
                | b"del"
                | b"bdo"
                | b"bdi"
                | b"time"
                | b"details"
                | b"summary"
                | b"fieldset"
                | b"select"
                | b"body"
                | b"html"
                | b"head"
        )
}

/// One open element of the model: its name and how many formatting entries existed when it
/// opened (a marker's close forgets the ones after).
struct Open {
    name: Vec<u8>,
    formatting_mark: usize,
}

/// The model of the parser's state: open elements by name, and the formatting elements closed
/// by implication that the parser may re-open (each as a hash of its whole start tag, at most
/// three identical ones, as the parser's "Noah's Ark" rule keeps).
#[derive(Default)]
struct Model {
    open: Vec<Open>,
    formatting: Vec<(Vec<u8>, u64)>,
}

impl Model {
    fn depth(&self) -> usize {
        self.open.len() + self.formatting.len()
    }

    /// Close the element at `at` and everything above it; formatting elements closed by
    /// implication (not by their own end tag) are remembered, as the parser does.
    fn close_from(&mut self, at: usize, own_end: bool, tags: &mut Vec<u64>) {
        let top = self.open.len();
        for k in (at..top).rev() {
            let e = self.open.pop().expect("k < len");
            if is_marker(&e.name) {
                self.formatting.truncate(e.formatting_mark);
            } else if is_formatting(&e.name) && !(own_end && k == at) {
                let h = tags.get(k).copied().unwrap_or(0);
                self.remember(e.name, h);
            }
        }
        tags.truncate(at);
    }

    fn remember(&mut self, name: Vec<u8>, hash: u64) {
        let same = self.formatting.iter().filter(|(_, h)| *h == hash).count();
        if same >= 3 {
            if let Some(i) = self.formatting.iter().position(|(_, h)| *h == hash) {
                self.formatting.remove(i);
            }
        }
        self.formatting.push((name, hash));
    }

    /// The parser re-opens the remembered formatting elements before text and most start tags
    /// ("reconstruct the active formatting elements"): they are open again.
    fn reopen(&mut self, tags: &mut Vec<u64>) {
        for (name, hash) in std::mem::take(&mut self.formatting) {
            tags.push(hash);
            self.open.push(Open {
                name,
                formatting_mark: 0,
            });
        }
    }

    /// Formatting elements open since the last marker.
    fn open_formatting(&self) -> usize {
        self.open
            .iter()
            .rev()
            .take_while(|e| !is_marker(&e.name))
            .filter(|e| is_formatting(&e.name))
            .count()
    }

    fn find_open(&self, name: &[u8], within: usize) -> Option<usize> {
        self.open
            .iter()
            .enumerate()
            .rev()
            .take(within)
            .find(|(_, e)| e.name == name)
            .map(|(i, _)| i)
    }
}

/// Drop the start tags of `html` that would nest deeper than [`MAX_DEPTH`] (and their end tags),
/// keeping all text. Borrowed back unchanged for any ordinary page. Work is linear in the length
/// times at most [`MAX_DEPTH`].
pub fn bound_markup(html: &str) -> (Cow<'_, str>, usize) {
    let b = html.as_bytes();
    let mut model = Model::default();
    // Hash of each open element's start tag, parallel to `model.open`.
    let mut tags: Vec<u64> = Vec::new();
    // Start tags dropped per name, so that their end tags are dropped too.
    let mut dropped_open: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut dropped = 0;
    let cut = |from: usize, to: usize, out: &mut Option<String>, copied: &mut usize| {
        let o = out.get_or_insert_with(|| String::with_capacity(html.len()));
        o.push_str(&html[*copied..from]);
        *copied = to;
    };
    let mut i = 0;
    let mut name = Vec::new();
    while let Some(off) = b[i..].iter().position(|&c| c == b'<') {
        let j = i + off;
        if !model.formatting.is_empty() && !b[i..j].iter().all(u8::is_ascii_whitespace) {
            model.reopen(&mut tags);
        }
        let Some(&next) = b.get(j + 1) else { break };
        if next == b'!' {
            let end = if b[j..].starts_with(b"<!--") {
                find(&b[j + 4..], b"-->").map(|e| j + 4 + e + 3)
            } else {
                find_byte(&b[j..], b'>').map(|e| j + e + 1)
            };
            match end {
                Some(e) => i = e,
                None => break,
            }
            continue;
        }
        if next == b'?' {
            match find_byte(&b[j..], b'>') {
                Some(e) => i = j + e + 1,
                None => break,
            }
            continue;
        }
        let end_tag = next == b'/';
        let name_at = if end_tag { j + 2 } else { j + 1 };
        if !b.get(name_at).is_some_and(u8::is_ascii_alphabetic) {
            i = j + 1;
            continue;
        }
        name.clear();
        let mut k = name_at;
        while let Some(&c) = b.get(k) {
            if c.is_ascii_whitespace() || c == b'/' || c == b'>' {
                break;
            }
            name.push(c.to_ascii_lowercase());
            k += 1;
        }
        let Some(close) = tag_end(b, k) else { break };
        let after = close + 1;
        if end_tag {
            if let Some(d) = dropped_open.get_mut(&name) {
                if *d > 0 {
                    *d -= 1;
                    cut(j, after, &mut out, &mut copied);
                    dropped += 1;
                    i = after;
                    continue;
                }
            }
            if let Some(at) = model.find_open(&name, usize::MAX) {
                model.close_from(at, true, &mut tags);
            } else if is_formatting(&name) {
                if let Some(p) = model.formatting.iter().rposition(|(n, _)| *n == name) {
                    model.formatting.remove(p);
                }
            }
            i = after;
            continue;
        }
        if is_raw_text(&name) {
            // Skip the content to the matching end tag, which closes the element.
            i = match find_end_tag(b, after, &name) {
                Some(e) => e,
                None => break,
            };
            continue;
        }
        if name == b"plaintext" {
            break;
        }
        let self_closed = b[close - 1] == b'/';
        if is_void(&name) || (self_closed && !is_html_container(&name)) {
            i = after;
            continue;
        }
        if closes_same(&name) {
            // A new `a` ends the one before wherever it is; the others end a recent sibling.
            let within = if name == b"a" || name == b"nobr" {
                usize::MAX
            } else {
                8
            };
            if let Some(at) = model.find_open(&name, within) {
                model.close_from(at, true, &mut tags);
            }
            if name == b"a" {
                if let Some(p) = model.formatting.iter().rposition(|(n, _)| n == b"a") {
                    model.formatting.remove(p);
                }
            }
        }
        // The parser's list of formatting elements: the closed ones it will re-open and the open
        // ones since the last marker. A new `a` ends the previous one, so links always pass.
        let reopened_full = is_formatting(&name)
            && name != b"a"
            && model.formatting.len() + model.open_formatting() >= MAX_REOPENED;
        // After the implied closes above, before the element goes in (as the parser orders it).
        if !model.formatting.is_empty() && !is_block_start(&name) {
            model.reopen(&mut tags);
        }
        if model.depth() >= MAX_DEPTH || reopened_full {
            *dropped_open.entry(name.clone()).or_insert(0) += 1;
            cut(j, after, &mut out, &mut copied);
            dropped += 1;
        } else {
            tags.push(xxhash_rust::xxh3::xxh3_64(&b[j..after]));
            model.open.push(Open {
                name: name.clone(),
                formatting_mark: model.formatting.len(),
            });
        }
        i = after;
    }
    match out {
        None => (Cow::Borrowed(html), 0),
        Some(mut o) => {
            o.push_str(&html[copied..]);
            (Cow::Owned(o), dropped)
        }
    }
}

/// The `>` that ends a tag whose name ends at `from`, skipping quoted attribute values.
fn tag_end(b: &[u8], from: usize) -> Option<usize> {
    let mut quote = None;
    for (k, &c) in b.iter().enumerate().skip(from) {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            // A quote opens a value only after `=` (possibly with spaces between).
            None if (c == b'"' || c == b'\'') && prev_nonspace(b, k) == Some(b'=') => {
                quote = Some(c)
            }
            None if c == b'>' => return Some(k),
            None => {}
        }
    }
    None
}

fn prev_nonspace(b: &[u8], k: usize) -> Option<u8> {
    b[..k]
        .iter()
        .rev()
        .find(|c| !c.is_ascii_whitespace())
        .copied()
}

/// The position after the end tag `</name ...>` at or after `from` (ASCII case-insensitive).
fn find_end_tag(b: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut i = from;
    while let Some(off) = find(&b[i..], b"</") {
        let s = i + off + 2;
        let matches = b.len() >= s + name.len()
            && b[s..s + name.len()].eq_ignore_ascii_case(name)
            && b.get(s + name.len())
                .is_none_or(|&c| c.is_ascii_whitespace() || c == b'>' || c == b'/');
        if matches {
            return find_byte(&b[s..], b'>').map(|e| s + e + 1);
        }
        i = s;
    }
    None
}

fn find_byte(hay: &[u8], c: u8) -> Option<usize> {
    hay.iter().position(|&x| x == c)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Move every descendant of an element at depth [`MAX_DEPTH`] up to be its child, in document
/// order, so that no element is deeper. Returns the number of nodes moved. Iterative: it is what
/// makes recursion safe everywhere after it.
pub fn flatten_deep(dom: &Dom) -> usize {
    let mut moved = 0;
    let mut stack: Vec<(NodeRef, usize)> = vec![(dom.root(), 0)];
    while let Some((node, depth)) = stack.pop() {
        if depth >= MAX_DEPTH && node.is_element() {
            moved += flatten_into(&node);
            continue;
        }
        for child in node.children() {
            if child.is_element() {
                stack.push((child, depth + 1));
            }
        }
    }
    moved
}

/// Make every descendant of `x` a child of `x`, in document order (each element followed by
/// what was inside it, now its siblings).
fn flatten_into(x: &NodeRef) -> usize {
    let mut moved = 0;
    // (node, whether it was a child of `x` before): only the others count as moved.
    let mut pending: Vec<(NodeRef, bool)> = x.children().into_iter().map(|c| (c, true)).collect();
    pending.reverse();
    for (c, _) in &pending {
        c.remove_from_parent();
    }
    while let Some((n, was_child)) = pending.pop() {
        let kids = n.children();
        x.append_child(&n);
        moved += usize::from(!was_child);
        pending.extend(kids.into_iter().rev().map(|k| (k, false)));
    }
    moved
}

#[cfg(test)]
mod tests {
    use super::*;

    fn max_depth(dom: &Dom) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(dom.root(), 0)];
        while let Some((n, d)) = stack.pop() {
            deepest = deepest.max(d);
            stack.extend(n.children().into_iter().map(|c| (c, d + 1)));
        }
        deepest
    }

    #[test]
    fn ordinary_markup_is_borrowed_unchanged() {
        let html = "<html><body><div><p>One<p>Two <b>bold</b><ul><li>a<li>b</ul>\
                    <table><tr><td><a href=x>l<td>y</table><svg><path/><path/></svg>\
                    <script>if (a<b) '<div>'</script></div></body></html>";
        let (out, dropped) = bound_markup(html);
        assert!(matches!(out, Cow::Borrowed(_)));
        assert_eq!(dropped, 0);
    }

    #[test]
    fn deep_divs_are_cut_at_the_bound_and_text_kept() {
        let html = "<div>".repeat(10_000) + "deep words" + &"</div>".repeat(10_000);
        let (out, dropped) = bound_markup(&html);
        assert_eq!(dropped, 2 * (10_000 - MAX_DEPTH));
        assert!(out.contains("deep words"));
        assert_eq!(out.matches("<div>").count(), MAX_DEPTH);
        assert_eq!(out.matches("</div>").count(), MAX_DEPTH);
    }

    #[test]
    fn implied_closes_do_not_count_as_depth() {
        let html = "<p>x".repeat(5_000) + &"<li>y".repeat(5_000) + &"<a href=1>z".repeat(5_000);
        assert_eq!(bound_markup(&html).1, 0);
        // Identical formatting tags closed by implication are re-opened three at most.
        let html = "<p><b>bold</p>".repeat(5_000);
        assert_eq!(bound_markup(&html).1, 0);
    }

    #[test]
    fn distinct_formatting_tags_closed_by_implication_are_bounded() {
        // Every `b` is re-opened by the parser in each later paragraph: quadratic nodes.
        let n = 5_000;
        let html: String = (0..n).map(|k| format!("<p><b id={k}>w</p>")).collect();
        let (out, dropped) = bound_markup(&html);
        assert!(dropped > 4_000, "{dropped}");
        let dom = Dom::from(out.as_ref());
        assert!(dom.select("b").length() <= (MAX_REOPENED + 1) * n);
    }

    #[test]
    fn flatten_bounds_any_tree_and_keeps_text_order() {
        let html = "<span>".repeat(2_000) + "a<i>b</i>c";
        let dom = Dom::from(html.as_str());
        assert!(max_depth(&dom) > 2_000);
        let moved = flatten_deep(&dom);
        assert!(moved > 0);
        assert!(max_depth(&dom) <= MAX_DEPTH + 1);
        assert!(dom.root().text().ends_with("abc"));
        // A second pass has nothing to do.
        assert_eq!(flatten_deep(&dom), 0);
    }
}
