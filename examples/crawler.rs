//! A crawler's loop around a live index: open (or create) an index directory, then for every
//! fetched page ask whether it copies a page already indexed, add it, and act on the decision.
//! Here the "fetches" are the demo corpus's pages in published order.
//!
//! ```text
//! cargo run --release --example crawler -- /tmp/crawl-index
//! ```

use std::path::PathBuf;
use wirecopy::index::{DecisionKind, Index};
use wirecopy::input::{parse_record, FieldMap};
use wirecopy::pipeline::{scan, Quiet, ScanConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("wirecopy-crawler-example"));
    // Open the index the crawler left last time, or start an empty one with default parameters.
    let mut index = if dir.join("CURRENT").exists() {
        Index::open(&dir)?
    } else {
        Index::create(&dir, &scan(Vec::new(), &ScanConfig::default(), &Quiet)?)?
    };
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/wire.jsonl");
    let mut pages = Vec::new();
    for (n, line) in std::fs::read_to_string(corpus)?.lines().enumerate() {
        match parse_record(line, &FieldMap::default()) {
            Ok(d) => pages.push(d),
            Err(e) => eprintln!("{corpus} line {}: {e}", n + 1),
        }
    }
    pages.sort_by_key(|d| d.published.as_ref().map_or(i64::MAX, |p| p.unix));
    for page in pages {
        let decision = index.add(page)?;
        // Durable before the crawler acts on it (a batch of adds could share one sync).
        index.sync()?;
        match decision.decision {
            DecisionKind::Copy => println!(
                "copy  {:<32} of story {} (origin {}), best match {} (Jaccard {:.2})",
                decision.id.as_str(),
                decision.story.as_ref().map_or("?", |s| s.as_str()),
                decision
                    .origin
                    .as_ref()
                    .and_then(|o| o.site.as_deref())
                    .unwrap_or("?"),
                decision.matches[0].doc.id.as_str(),
                decision.matches[0].jaccard
            ),
            DecisionKind::New => println!("new   {}", decision.id.as_str()),
            DecisionKind::NearEmpty => println!("empty {}", decision.id.as_str()),
        }
    }
    println!("{} documents in {}", index.len(), dir.display());
    Ok(())
}
