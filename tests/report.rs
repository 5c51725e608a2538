//! The issue 5 acceptance case through the library: the pipeline decides the clusters and the
//! content, the report is built from the scan. The snapshots of every output format are in
//! tests/cli.rs (one set, made by the binary).

mod common;

use wirecopy::report::{render, Format, OriginReason, Role};

fn rendered(format: Format) -> String {
    let mut out = Vec::new();
    render(&common::report(), format, &mut out).expect("rendering to memory cannot fail");
    String::from_utf8(out).expect("renderers write UTF-8")
}

#[test]
fn acceptance_one_story_of_three_with_wire_origin_credit_and_staleness() {
    let report = common::report();
    assert_eq!(report.clusters.len(), 1, "the unrelated page stays alone");
    let story = &report.clusters[0];
    assert_eq!(story.size, 3);
    assert_eq!(story.wire.map(|a| a.code), Some("AP"));
    assert_eq!(story.origin.id.as_str(), "ap-1");
    assert_eq!(story.origin.reason, OriginReason::EarliestPublished);
    assert_eq!(story.representative.as_str(), "ap-1");

    let ids: Vec<&str> = story.members.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["ap-1", "cut-1", "scraper-1"]);
    let [origin, cut, scraper] = &story.members[..] else {
        panic!("three members expected, got {}", story.members.len());
    };
    assert_eq!(origin.role, Role::Origin);
    assert_eq!(origin.credited, None);

    assert_eq!(scraper.role, Role::Copy);
    assert_eq!(
        scraper.credited,
        Some(true),
        "the scraper kept the dateline and byline"
    );
    assert!(scraper.stale, "dated five months after the origin");
    assert!(
        (scraper.coverage - 1.0).abs() < 1e-9,
        "{}",
        scraper.coverage
    );

    assert_eq!(
        cut.credited,
        Some(false),
        "the cut copy stripped the credit"
    );
    assert!(!cut.stale);
    assert_eq!(cut.delay_seconds, Some(5 * 3600 + 28 * 60));
    assert!(cut.coverage > 0.4 && cut.coverage < 0.7, "{}", cut.coverage);
    assert!(cut.in_order);

    assert_eq!(report.singles.len(), 1);
    assert_eq!(report.singles[0].id.as_str(), "scraper-2");

    let scraper_site = report.sites.iter().find(|s| s.site == "dailynewsfeed.info");
    assert_eq!(
        scraper_site.map(|s| (s.copies, s.stale, s.stripped)),
        Some((1, 1, 0))
    );
    let ap_site = report.sites.iter().find(|s| s.site == "apnews.com");
    assert_eq!(ap_site.map(|s| (s.copies, s.originated)), Some((0, 1)));
}

#[test]
fn machine_formats_agree_on_cluster_numbers_and_sizes() {
    let json: serde_json::Value =
        serde_json::from_str(&rendered(Format::Json)).expect("json output parses");
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["clusters"][0]["id"], 1, "clusters count from 1");
    assert_eq!(json["clusters"][0]["representative"], "ap-1");
    let jsonl = rendered(Format::Jsonl);
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("each jsonl line parses"))
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["cluster"], json["clusters"][0]["id"]);
    assert_eq!(lines[0]["members"], json["clusters"][0]["members"]);
    let csv = rendered(Format::Csv);
    assert_eq!(
        csv.lines().count(),
        1 + 4,
        "a header and one row per document"
    );
    assert!(csv.lines().any(|l| l.starts_with("scraper-2,,,")));
}

#[test]
fn a_scan_without_clusters_renders_in_every_format() {
    // The story and an unrelated page: nothing to cluster.
    let docs: Vec<_> = common::documents()
        .into_iter()
        .filter(|d| ["ap-1", "scraper-2"].contains(&d.id.to_string().as_str()))
        .collect();
    assert_eq!(docs.len(), 2);
    let report = common::report_of(docs);
    assert!(report.clusters.is_empty());
    assert_eq!(report.singles.len(), 2);
    for f in [
        Format::Text,
        Format::Json,
        Format::Jsonl,
        Format::Csv,
        Format::Html,
    ] {
        let mut out = Vec::new();
        render(&report, f, &mut out).expect("rendering to memory cannot fail");
        assert!(f == Format::Jsonl || !out.is_empty(), "{f:?}");
        if f == Format::Jsonl {
            assert!(
                out.is_empty(),
                "jsonl has one line per cluster, and there are none"
            );
        }
    }
    let mut csv = Vec::new();
    render(&report, Format::Csv, &mut csv).expect("csv");
    assert_eq!(String::from_utf8_lossy(&csv).lines().count(), 1 + 2);
}
