//! The machine formats: `json`, `jsonl` and `csv`. Their fields are specified once, in the
//! [`crate::report`] module doc.

use super::{Report, Story};
use serde_json::{Map, Value};
use std::io::{self, Write};

fn json_err(e: serde_json::Error) -> io::Error {
    io::Error::other(e)
}

fn csv_err(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Write the report as one pretty-printed JSON document and a newline.
pub fn render_json(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, report).map_err(json_err)?;
    w.write_all(b"\n")
}

/// A story as a `jsonl` line: `cluster` first (the story's `id`), the story's other fields, then
/// `schema_version`.
fn jsonl_object(story: &Story) -> Result<Value, serde_json::Error> {
    let mut out = Map::new();
    out.insert("cluster".into(), Value::from(story.id));
    if let Value::Object(fields) = serde_json::to_value(story)? {
        for (k, v) in fields {
            if k != "id" {
                out.insert(k, v);
            }
        }
    }
    out.insert("schema_version".into(), Value::from(super::SCHEMA_VERSION));
    Ok(Value::Object(out))
}

/// Write one story per line.
pub fn render_jsonl(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    for story in &report.clusters {
        let v = jsonl_object(story).map_err(json_err)?;
        serde_json::to_writer(&mut *w, &v).map_err(json_err)?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// The CSV header, in column order.
pub const CSV_HEADER: [&str; 16] = [
    "id",
    "cluster",
    "similarity",
    "role",
    "url",
    "site",
    "published",
    "delay_seconds",
    "coverage",
    "added",
    "jaccard",
    "credited",
    "stale",
    "in_order",
    "wire",
    "title",
];

/// A text cell from the input made safe for spreadsheets (OWASP's CSV-injection rule): a cell
/// starting with `=`, `+`, `-`, `@`, a tab or a carriage return would be read as a formula, so
/// it gets a leading `'`. Only cells that carry input text (id, url, site, published, title)
/// pass through here; numbers the report computes (a negative delay) stay numbers.
fn csv_text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// Write one row per document: story members first, then singletons.
pub fn render_csv(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(CSV_HEADER).map_err(csv_err)?;
    let opt = |s: &Option<String>| s.as_deref().map(csv_text).unwrap_or_default();
    for story in &report.clusters {
        let wire = story.wire.map(|a| a.code).unwrap_or_default();
        let title = opt(&story.title);
        for m in &story.members {
            out.write_record([
                csv_text(&m.id.to_string()),
                story.id.to_string(),
                m.similarity.to_string(),
                m.role.as_str().to_string(),
                opt(&m.url),
                opt(&m.site),
                opt(&m.published),
                m.delay_seconds.map(|d| d.to_string()).unwrap_or_default(),
                m.coverage.to_string(),
                m.added.to_string(),
                m.jaccard.to_string(),
                m.credited.map(|c| c.to_string()).unwrap_or_default(),
                m.stale.to_string(),
                m.in_order.to_string(),
                wire.to_string(),
                title.clone(),
            ])
            .map_err(csv_err)?;
        }
    }
    for s in &report.singles {
        let mut row = vec![String::new(); CSV_HEADER.len()];
        row[0] = csv_text(&s.id.to_string());
        row[4] = opt(&s.url);
        row[5] = opt(&s.site);
        row[6] = opt(&s.published);
        out.write_record(&row).map_err(csv_err)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for (cell, out) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("plain", "plain"),
            ("", ""),
            ("a=b", "a=b"),
        ] {
            assert_eq!(csv_text(cell), out);
        }
    }
}
