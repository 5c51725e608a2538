//! How does a subtree read as lines? The renderer turns a DOM subtree into blocks: one per
//! paragraph, heading, list item or other block element, whitespace collapsed, empty blocks
//! dropped. Each block remembers the element that holds its text and how much of that text sits
//! inside links, which is what the boilerplate filter (module `boilerplate`) judges blocks by.
//!
//! Invariant: the walk keeps an explicit stack, never recursion, so any depth the parser allows
//! is rendered in linear time.

use dom_query::NodeRef;

/// One rendered line of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Block {
    /// The text, whitespace collapsed to single spaces, trimmed, never empty.
    pub text: String,
    /// Non-whitespace characters of the text.
    pub chars: usize,
    /// Non-whitespace characters of the text that are inside `<a href>` elements.
    pub link_chars: usize,
    /// The innermost block element around the text (`p`, `li`, `h2`, ... or `""` at the root).
    pub tag: &'static str,
}

impl Block {
    /// Share of the text that is link text, 0 to 1.
    pub fn link_density(&self) -> f64 {
        self.link_chars as f64 / self.chars.max(1) as f64
    }
}

/// Blocks joined into text, one per line.
pub(super) fn join(blocks: &[Block]) -> String {
    let mut out = String::new();
    for b in blocks {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&b.text);
    }
    out
}

/// Elements that end a line before and after them, by the name blocks record.
fn block_tag(name: &str) -> Option<&'static str> {
    Some(match name {
        "p" => "p",
        "div" => "div",
        "h1" => "h1",
        "h2" => "h2",
        "h3" => "h3",
        "h4" => "h4",
        "h5" => "h5",
        "h6" => "h6",
        "li" => "li",
        "ul" => "ul",
        "ol" => "ol",
        "dl" => "dl",
        "dt" => "dt",
        "dd" => "dd",
        "tr" => "tr",
        "table" => "table",
        "thead" => "thead",
        "tbody" => "tbody",
        "tfoot" => "tfoot",
        "caption" => "caption",
        "blockquote" => "blockquote",
        "pre" => "pre",
        "section" => "section",
        "article" => "article",
        "main" => "main",
        "figure" => "figure",
        "figcaption" => "figcaption",
        "address" => "address",
        "hr" => "hr",
        "br" => "br",
        "center" => "center",
        "details" => "details",
        "summary" => "summary",
        "fieldset" => "fieldset",
        "legend" => "legend",
        "header" => "header",
        "footer" => "footer",
        "nav" => "nav",
        "aside" => "aside",
        "form" => "form",
        "body" => "body",
        "html" => "html",
        _ => return None,
    })
}

/// Elements whose content is never text of the page.
fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "svg"
            | "math"
            | "head"
            | "iframe"
            | "object"
            | "embed"
            | "canvas"
            | "select"
            | "button"
            | "input"
            | "textarea"
    )
}

/// Chrome that the fallback (no article found) leaves out.
fn is_chrome(name: &str) -> bool {
    matches!(
        name,
        "nav" | "header" | "footer" | "aside" | "form" | "menu"
    )
}

/// Collapse runs of whitespace (including non-breaking spaces) to one space, trimmed.
pub(super) fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s
        .split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Render a subtree as text, one block per line (see [`blocks_of`]).
pub(super) fn lines_of(root: &NodeRef, drop_chrome: bool) -> String {
    join(&blocks_of(root, drop_chrome))
}

/// The line being built.
#[derive(Default)]
struct Open {
    text: String,
    link_chars: usize,
}

/// Render a subtree as blocks: one per block element, whitespace collapsed, empty ones dropped.
/// With `drop_chrome`, navigation, header, footer, aside, form and menu elements are left out.
pub(super) fn blocks_of(root: &NodeRef, drop_chrome: bool) -> Vec<Block> {
    blocks_of_nodes(root.children_it(true).collect(), drop_chrome)
}

/// Characters of text (non-whitespace, as [`Block::chars`] counts them) in the subtree of `n`.
pub(super) fn text_chars(n: &NodeRef) -> usize {
    blocks_of_nodes(vec![*n], false)
        .iter()
        .map(|b| b.chars)
        .sum()
}

/// Render a run of nodes, given last first (the order `children_it(true)` yields), as blocks.
pub(super) fn blocks_of_nodes(last_first: Vec<NodeRef>, drop_chrome: bool) -> Vec<Block> {
    let mut out = Vec::new();
    let mut line = Open::default();
    let mut tags: Vec<&'static str> = Vec::new();
    let mut in_link = 0usize;
    walk(
        last_first,
        drop_chrome,
        &mut line,
        &mut tags,
        &mut in_link,
        &mut out,
    );
    flush(&mut line, &tags, &mut out);
    out
}

fn flush(line: &mut Open, tags: &[&'static str], out: &mut Vec<Block>) {
    let text = collapse(&line.text);
    let link_chars = line.link_chars;
    line.text.clear();
    line.link_chars = 0;
    if !text.is_empty() {
        let chars = text.chars().filter(|c| !c.is_whitespace()).count();
        out.push(Block {
            text,
            chars,
            link_chars: link_chars.min(chars),
            tag: tags.last().copied().unwrap_or(""),
        });
    }
}

/// One step of the renderer's walk: enter a node, or leave an element (ending its line when it
/// is a block, a cell separator after a table cell, the end of a link).
enum Step<'a> {
    Enter(NodeRef<'a>),
    Leave { block: bool, cell: bool, link: bool },
}

/// Depth-first over the subtree with an explicit stack: no recursion, whatever the depth.
fn walk(
    last_first: Vec<NodeRef>,
    drop_chrome: bool,
    line: &mut Open,
    tags: &mut Vec<&'static str>,
    in_link: &mut usize,
    out: &mut Vec<Block>,
) {
    let mut stack: Vec<Step> = last_first.into_iter().map(Step::Enter).collect();
    while let Some(step) = stack.pop() {
        let child = match step {
            Step::Leave { block, cell, link } => {
                if block {
                    flush(line, tags, out);
                    tags.pop();
                } else if cell {
                    line.text.push(' ');
                }
                if link {
                    *in_link -= 1;
                }
                continue;
            }
            Step::Enter(child) => child,
        };
        if child.is_text() {
            let t = child.text();
            if *in_link > 0 {
                line.link_chars += t.chars().filter(|c| !c.is_whitespace()).count();
            }
            line.text.push_str(&t);
            continue;
        }
        if !child.is_element() {
            continue;
        }
        let name = child
            .node_name()
            .map(|n| n.to_ascii_lowercase())
            .unwrap_or_default();
        if is_skipped(&name) || (drop_chrome && is_chrome(&name)) {
            continue;
        }
        if name == "pre" {
            flush(line, tags, out);
            tags.push("pre");
            for l in child.text().lines() {
                line.text.push_str(l);
                flush(line, tags, out);
            }
            tags.pop();
            continue;
        }
        let block = block_tag(&name);
        let cell = matches!(name.as_str(), "td" | "th");
        let link = name == "a" && child.has_attr("href");
        if let Some(tag) = block {
            flush(line, tags, out);
            tags.push(tag);
        } else if cell || name == "img" {
            line.text.push(' ');
        }
        if link {
            *in_link += 1;
        }
        stack.push(Step::Leave {
            block: block.is_some(),
            cell,
            link,
        });
        stack.extend(child.children_it(true).map(Step::Enter));
    }
}
