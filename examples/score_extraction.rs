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

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

type Extractor = fn(&[u8], &str) -> String;

fn wirecopy(html: &[u8], url: &str) -> String {
    wirecopy::html::extract(html, Some(url), None)
        .map(|e| e.text)
        .unwrap_or_default()
}

fn whole_page(html: &[u8], _url: &str) -> String {
    wirecopy::html::text_of_html(&String::from_utf8_lossy(html))
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
    while let Some(a) = args.next() {
        if a == "--tsv" {
            tsv = args.next().map(PathBuf::from);
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
            let (p, r, f1) = wirecopy::html::token_scores(truth, &text);
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
        let truth = wirecopy::html::text_of_html(&std::fs::read_to_string(&exp)?);
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        pages.push((name, std::fs::read(&src)?, truth));
    }
    pages.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(pages)
}
