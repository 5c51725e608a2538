//! Score main-text extraction on the Mozilla readability test pages with the token-level
//! precision / recall / F1 of the Zyte article-extraction benchmark.
//!
//! Each `<name>/source.html` is extracted and compared with the text of `<name>/expected.html`.
//! Both texts are cut into word tokens (`\w+`, as the benchmark does); precision and recall are
//! over token multisets, computed per page and averaged over pages. Run:
//!
//! ```text
//! cargo run --release --example score_extraction [DIR]
//! cargo run --release --example score_extraction --features compare-extractors [DIR]
//! ```
//!
//! With `--tsv OUT`, per-page scores of every extractor are written for inspection. The default
//! DIR is `../shared/data/readability-pages`; without it the run says so and exits 0 (1 when
//! `CI=true`).
//!
//! `--dragnet [DIR]` scores the dragnet pages instead (default `../shared/data/dragnet`: 1,353
//! news and blog pages with hand-corrected article text) with that set's own metric, word
//! 4-gram precision / recall / F1 as its `score.py` computes them, in one process; `--json OUT`
//! writes the `{key: text}` object that `score.py OUT` scores, to check the two agree, and
//! `--tsv OUT` the per-page scores.

// The scorer is shared with tests/extraction_quality.rs.
#[path = "../tests/scoring/mod.rs"]
mod scoring;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

type Extractor = fn(&[u8], &str) -> String;

fn wirecopy(html: &[u8], url: &str) -> String {
    wirecopy::input::html::extract(html, Some(url), None)
        .map(|e| e.text)
        .unwrap_or_default()
}

/// What `wirecopy extract --format text` prints: the story's header (headline, byline,
/// dateline) above the main text, the article as the dragnet references mark it.
fn wirecopy_text(html: &[u8], url: &str) -> String {
    wirecopy::input::html::extract(html, Some(url), None)
        .map(|e| wirecopy::input::html::render(&e, wirecopy::input::html::Format::Text))
        .unwrap_or_default()
}

fn whole_page(html: &[u8], _url: &str) -> String {
    wirecopy::input::html::text_of_html(&String::from_utf8_lossy(html))
}

fn dom_smoothie_raw(html: &[u8], url: &str) -> String {
    let s = String::from_utf8_lossy(html);
    dom_smoothie::Readability::new(s.as_ref(), Some(url), None)
        .ok()
        .and_then(|mut r| r.parse().ok())
        .map(|a| a.text_content.to_string())
        .unwrap_or_default()
}

#[cfg(feature = "compare-extractors")]
fn trafilatura_rs(html: &[u8], _url: &str) -> String {
    let s = String::from_utf8_lossy(html);
    trafilatura::extract(&s, &trafilatura::Options::default())
        .map(|r| r.content_text)
        .unwrap_or_default()
}

#[cfg(feature = "compare-extractors")]
fn readability_rs(html: &[u8], url: &str) -> String {
    let Ok(u) = url::Url::parse(url) else {
        return String::new();
    };
    let mut r = html;
    readability::extractor::extract(&mut r, &u)
        .map(|p| p.text)
        .unwrap_or_default()
}

fn extractors() -> Vec<(&'static str, Extractor)> {
    let v: Vec<(&'static str, Extractor)> = vec![
        ("wirecopy (dom_smoothie 0.19 + line renderer)", wirecopy),
        (
            "wirecopy extract --format text (header + main text)",
            wirecopy_text,
        ),
        ("dom_smoothie 0.19 text_content", dom_smoothie_raw),
        ("whole page text (no extraction)", whole_page),
    ];
    #[cfg(feature = "compare-extractors")]
    let v = {
        let mut v = v;
        v.push(("trafilatura 0.6 (Rust port)", trafilatura_rs));
        v.push(("readability 0.3", readability_rs));
        v
    };
    v
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/readability-pages"
    ));
    let mut tsv = None;
    let mut json = None;
    let mut dragnet = false;
    while let Some(a) = args.next() {
        if a == "--tsv" {
            tsv = args.next().map(PathBuf::from);
        } else if a == "--json" {
            json = args.next().map(PathBuf::from);
        } else if a == "--dragnet" {
            dragnet = true;
            dir = PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../shared/data/dragnet"
            ));
        } else {
            dir = PathBuf::from(a);
        }
    }
    if !dir.is_dir() {
        eprintln!(
            "score_extraction: {} is missing; nothing scored",
            dir.display()
        );
        if std::env::var("CI").as_deref() == Ok("true") {
            std::process::exit(1);
        }
        return Ok(());
    }
    if dragnet {
        return score_dragnet(&dir, tsv, json);
    }
    let pages = load(&dir)?;
    let mut rows = Vec::new();
    let mut out = String::from("page\textractor\tprecision\trecall\tf1\n");
    for (name, f) in extractors() {
        let mut sum = (0.0, 0.0, 0.0);
        let mut time = Duration::ZERO;
        for (page, source, truth) in &pages {
            let url = format!("http://fakehost/{page}/");
            let t0 = Instant::now();
            let text = f(source, &url);
            time += t0.elapsed();
            let (p, r, f1) = scoring::token_scores(truth, &text);
            out.push_str(&format!("{page}\t{name}\t{p:.3}\t{r:.3}\t{f1:.3}\n"));
            sum = (sum.0 + p, sum.1 + r, sum.2 + f1);
        }
        let n = pages.len() as f64;
        rows.push((
            name,
            sum.0 / n,
            sum.1 / n,
            sum.2 / n,
            n / time.as_secs_f64(),
        ));
    }
    println!("{} pages from {}\n", pages.len(), dir.display());
    println!("| extractor | precision | recall | F1 | pages/s (1 core) |");
    println!("|---|---|---|---|---|");
    for (name, p, r, f1, pps) in rows {
        println!("| {name} | {p:.4} | {r:.4} | {f1:.4} | {pps:.0} |");
    }
    if let Some(t) = tsv {
        std::fs::write(&t, out)?;
    }
    Ok(())
}

/// `(name, source bytes, reference text)` of every page folder, sorted by name.
fn load(dir: &Path) -> anyhow::Result<Vec<(String, Vec<u8>, String)>> {
    let mut pages = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        let (src, exp) = (p.join("source.html"), p.join("expected.html"));
        if !(src.is_file() && exp.is_file()) {
            continue;
        }
        let truth = wirecopy::input::html::text_of_html(&std::fs::read_to_string(&exp)?);
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        pages.push((name, std::fs::read(&src)?, truth));
    }
    pages.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(pages)
}

/// Word 4-grams of a text as `score.py` cuts them (`\\w+` tokens, case kept); a text of one to
/// three tokens is one shorter gram.
fn grams(text: &str) -> std::collections::HashMap<Vec<&str>, u32> {
    let t: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|t| !t.is_empty())
        .collect();
    let mut m = std::collections::HashMap::new();
    let n = 4;
    for i in 0..t.len().saturating_sub(n - 1).max(1) {
        let g = &t[i..(i + n).min(t.len())];
        if !g.is_empty() {
            *m.entry(g.to_vec()).or_insert(0) += 1;
        }
    }
    m
}

/// `(tp, fp, fn)` of one page, normalised to sum to 1, as `score.py` computes them.
fn page_counts(truth: &str, pred: &str) -> (f64, f64, f64) {
    let (a, b) = (grams(truth), grams(pred));
    let mut tp = 0u32;
    let mut fp = 0u32;
    for (g, &c) in &b {
        let t = a.get(g).copied().unwrap_or(0);
        tp += c.min(t);
        fp += c.saturating_sub(t);
    }
    let fneg: u32 = a
        .iter()
        .map(|(g, &c)| c.saturating_sub(b.get(g).copied().unwrap_or(0)))
        .sum();
    let s = f64::from(tp + fp + fneg);
    if s == 0.0 {
        return (0.0, 0.0, 0.0);
    }
    (f64::from(tp) / s, f64::from(fp) / s, f64::from(fneg) / s)
}

fn score_dragnet(dir: &Path, tsv: Option<PathBuf>, json: Option<PathBuf>) -> anyhow::Result<()> {
    use rayon::prelude::*;
    use std::io::Read;
    let truth: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json"))?)?;
    let keys: Vec<&String> = truth.keys().collect();
    // Extraction runs on all cores; pages/s is per core, from the summed extraction times.
    let results: Vec<(String, Duration)> = keys
        .par_iter()
        .map(|k| {
            let mut html = Vec::new();
            let path = dir.join("html").join(format!("{k}.html.gz"));
            std::fs::File::open(&path)
                .and_then(|f| flate2::read::MultiGzDecoder::new(f).read_to_end(&mut html))
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            let t0 = Instant::now();
            let text = wirecopy_text(&html, "http://example.com/");
            Ok((text, t0.elapsed()))
        })
        .collect::<anyhow::Result<_>>()?;
    let (mut ps, mut rs) = (Vec::new(), Vec::new());
    let mut out = String::from("page\tprecision\trecall\tf1\n");
    let mut preds = serde_json::Map::new();
    let mut time = Duration::ZERO;
    for (k, (text, t)) in keys.iter().zip(&results) {
        time += *t;
        let reference = truth[*k]["articleBody"].as_str().unwrap_or_default();
        let (tp, fp, fneg) = page_counts(reference, text);
        let ratio = |x: f64, y: f64| if x + y > 0.0 { x / (x + y) } else { 0.0 };
        let (p, r) = (ratio(tp, fp), ratio(tp, fneg));
        if fp == 0.0 && fneg == 0.0 {
            ps.push(1.0);
            rs.push(1.0);
        } else {
            if tp + fp > 0.0 {
                ps.push(p);
            }
            if tp + fneg > 0.0 {
                rs.push(r);
            }
        }
        let f = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        out.push_str(&format!("{k}\t{p:.3}\t{r:.3}\t{f:.3}\n"));
        preds.insert((*k).clone(), serde_json::Value::String(text.clone()));
    }
    let p = ps.iter().sum::<f64>() / ps.len() as f64;
    let r = rs.iter().sum::<f64>() / rs.len() as f64;
    let f1 = 2.0 * p * r / (p + r);
    println!(
        "dragnet: {} pages from {}\nprecision {p:.4} recall {r:.4} f1 {f1:.4}, {:.0} pages/s (1 core)",
        keys.len(),
        dir.display(),
        keys.len() as f64 / time.as_secs_f64()
    );
    if let Some(t) = tsv {
        std::fs::write(&t, out)?;
    }
    if let Some(j) = json {
        std::fs::write(&j, serde_json::Value::Object(preds).to_string())?;
    }
    Ok(())
}
