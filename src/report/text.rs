//! The `text` format: terminal tables for people. Not a contract; use `json` for machines.
//!
//! Invariant: no text from the input reaches the terminal raw. Control characters (C0, DEL,
//! C1, which start ANSI and OSC escape sequences that could recolour, retitle or rewrite the
//! terminal) and the bidirectional-override marks (which reorder what is shown) are printed
//! as Rust-style escapes, `\u{1b}`; a literal backslash stays as it is.

use super::format::{credit_label, human_delay, percent, reason_label};
use super::Report;
use std::borrow::Cow;
use std::io::{self, Write};

/// Whether a character must not reach a terminal raw (see the module doc).
fn unsafe_on_terminal(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Input text made safe to print: unsafe characters become `\u{..}` escapes.
fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_on_terminal) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_on_terminal(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Rows of cells, left-aligned in columns two spaces apart; the last column is not padded.
fn table(w: &mut dyn Write, indent: &str, rows: &[Vec<String>]) -> io::Result<()> {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; cols];
    let rows: Vec<Vec<Cow<'_, str>>> = rows
        .iter()
        .map(|r| r.iter().map(|c| clean(c)).collect())
        .collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    for r in &rows {
        let mut line = String::from(indent);
        for (i, c) in r.iter().enumerate() {
            line.push_str(c);
            if i + 1 < r.len() {
                let pad = widths[i] - c.chars().count() + 2;
                line.push_str(&" ".repeat(pad));
            }
        }
        writeln!(w, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Write the report as terminal tables.
pub fn render_text(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let docs: usize = report.clusters.iter().map(|s| s.size).sum();
    writeln!(
        w,
        "{} {}, {} documents in stories, {} not copied (stale after {} days)",
        report.clusters.len(),
        if report.clusters.len() == 1 {
            "story"
        } else {
            "stories"
        },
        docs,
        report.singles.len(),
        report.parameters.stale_after_days,
    )?;
    for story in &report.clusters {
        writeln!(w)?;
        writeln!(
            w,
            "Story {}: {}",
            story.id,
            clean(story.title.as_deref().unwrap_or("(untitled)"))
        )?;
        let wire = story.wire.map_or_else(
            || "none detected".to_string(),
            |a| format!("{} ({})", a.code, a.name),
        );
        writeln!(
            w,
            "  {} members, wire {}, similarity min {:.2} median {:.2}",
            story.size, wire, story.similarity_min, story.similarity_median
        )?;
        writeln!(
            w,
            "  origin {} ({})",
            clean(&story.origin.id.to_string()),
            reason_label(story.origin.reason)
        )?;
        let mut rows = vec![[
            "ROLE",
            "ID",
            "SITE",
            "PUBLISHED",
            "DELAY",
            "COVER",
            "ADDED",
            "JACC",
            "SIM",
            "CREDIT",
            "STALE",
            "URL",
        ]
        .map(String::from)
        .to_vec()];
        for m in &story.members {
            rows.push(vec![
                m.role.as_str().into(),
                m.id.to_string(),
                m.site.clone().unwrap_or_else(|| "-".into()),
                m.published.clone().unwrap_or_else(|| "-".into()),
                m.delay_seconds.map_or_else(|| "-".into(), human_delay),
                percent(m.coverage),
                percent(m.added),
                format!("{:.2}", m.jaccard),
                format!("{:.2}", m.similarity),
                credit_label(m.credited).into(),
                if m.stale { "STALE".into() } else { "-".into() },
                m.url.clone().unwrap_or_else(|| "-".into()),
            ]);
        }
        table(w, "  ", &rows)?;
    }
    if !report.sites.is_empty() {
        writeln!(w)?;
        writeln!(w, "Sites")?;
        let mut rows = vec![[
            "SITE",
            "COPIES",
            "STRIPPED",
            "MEDIAN DELAY",
            "STALE",
            "ORIGINATED",
        ]
        .map(String::from)
        .to_vec()];
        for s in &report.sites {
            rows.push(vec![
                s.site.clone(),
                s.copies.to_string(),
                s.stripped.to_string(),
                s.median_delay_seconds
                    .map_or_else(|| "-".into(), human_delay),
                s.stale.to_string(),
                s.originated.to_string(),
            ]);
        }
        table(w, "  ", &rows)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_controls_are_escaped() {
        assert_eq!(clean("plain – text"), "plain – text");
        assert_eq!(
            clean("\x1b[31mred\x1b]0;title\x07"),
            "\\u{1b}[31mred\\u{1b}]0;title\\u{7}"
        );
        assert_eq!(
            clean("a\u{9b}b\rc\nd\u{202e}e"),
            "a\\u{9b}b\\u{d}c\\u{a}d\\u{202e}e"
        );
    }

    #[test]
    fn table_cells_are_cleaned_before_alignment() {
        let mut out = Vec::new();
        table(
            &mut out,
            "",
            &[
                vec!["\x1b[2J".into(), "x".into()],
                vec!["ab".into(), "y".into()],
            ],
        )
        .unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(!out.contains('\x1b'));
        assert_eq!(out, "\\u{1b}[2J  x\nab         y\n");
    }
}
