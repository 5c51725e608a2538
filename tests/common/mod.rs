//! The issue 5 acceptance case as inline documents: an AP story on apnews.com, a scraper that
//! re-posts it in full months later inside its own chrome, a cut copy with the credit removed,
//! and an unrelated story in the same scraper chrome.
#![allow(dead_code)] // Each test binary uses a different part of the fixture.

use wirecopy::report::{Report, ReportConfig, ReportInput};
use wirecopy::verify::{similarity, Similarity};
use wirecopy::{DocId, Document, Published};

pub const STORY: [&str; 6] = [
    "SEOUL, South Korea (AP) — North Korea fired a ballistic missile into the sea off its east coast on Tuesday, South Korea's military said, hours after the United States and South Korea began their largest annual military drills.",
    "The Joint Chiefs of Staff in Seoul said the missile flew about 600 kilometers (370 miles) before landing in waters between the Korean Peninsula and Japan. It gave no further details.",
    "Japan's coast guard urged ships to watch for falling objects and said there were no immediate reports of damage.",
    "North Korea has called the drills a rehearsal for invasion and has staged a string of weapons tests in response, including its first launch of a solid-fuel intercontinental missile last year.",
    "Analysts say Pyongyang is trying to expand its arsenal and pressure Washington ahead of the U.S. presidential election in November.",
    "Associated Press writer Mari Yamaguchi in Tokyo contributed to this report.",
];

/// The cut copy: three paragraphs, the dateline's agency tag gone, typography changed.
pub const CUT: [&str; 3] = [
    "SEOUL — North Korea fired a ballistic missile into the sea off its east coast on Tuesday, South Korea’s military said, hours after the United States and South Korea began their largest annual military drills.",
    "The Joint Chiefs of Staff in Seoul said the missile flew about 600 kilometers (370 miles) before landing in waters between the Korean Peninsula and Japan.",
    "North Korea has called the drills a rehearsal for invasion and has staged a string of weapons tests in response. Tensions on the peninsula have risen sharply this year.",
];

pub const UNRELATED: [&str; 3] = [
    "The city's annual bread festival returns to Riverside Park this weekend with more than forty bakeries taking part.",
    "Organisers expect record crowds after last year's event sold out of sourdough by noon on the first day.",
    "Entry is free, and a shuttle bus will run from the central station every twenty minutes.",
];

const SCRAPER_TOP: &str = "DailyNewsFeed | Your news, all day\nHome | World | Business | Sports | Entertainment\nHome > World > Asia";
const SCRAPER_BOTTOM: &str = "Related\nCelebrity chef opens third restaurant downtown\nStocks edge higher as oil prices steady\nTen gadgets you need this summer\nRanking\n1. Actor spotted at airport with mystery companion\n2. How to save on your energy bill this winter\n3. Local team wins championship in overtime thriller\n© DailyNewsFeed. All rights reserved. Privacy | Terms | Contact";

fn doc(id: &str, url: &str, title: &str, published: &str, text: String) -> Document {
    Document {
        id: DocId::Str(id.into()),
        url: Some(url.into()),
        site: None,
        title: Some(title.into()),
        published: Published::parse(published),
        text,
    }
}

/// Documents in canonical (id) order and their content paragraphs.
pub fn documents() -> (Vec<Document>, Vec<Vec<String>>) {
    let lines = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let docs = vec![
        doc(
            "ap-1",
            "https://apnews.com/article/north-korea-missile-drills-0a1b2c3d",
            "North Korea fires ballistic missile as US and South Korea start drills",
            "2024-03-05T01:12:00Z",
            STORY.join("\n"),
        ),
        doc(
            "cut-1",
            "https://asiabrief.net/2024/03/05/nk-missile",
            "N. Korea launches missile as allies begin drills",
            "2024-03-05T06:40:00Z",
            CUT.join("\n"),
        ),
        doc(
            "scraper-1",
            "https://www.dailynewsfeed.info/world/asia/north-korea-fires-missile-5521",
            "North Korea fires ballistic missile as US and South Korea start drills - DailyNewsFeed",
            "2024-08-14T09:30:00Z",
            format!("{SCRAPER_TOP}\n{}\n{SCRAPER_BOTTOM}", STORY.join("\n")),
        ),
        doc(
            "scraper-2",
            "https://www.dailynewsfeed.info/local/bread-festival-5522",
            "Bread festival returns to Riverside Park - DailyNewsFeed",
            "2024-08-14T10:00:00Z",
            format!("{SCRAPER_TOP}\n{}\n{SCRAPER_BOTTOM}", UNRELATED.join("\n")),
        ),
    ];
    let paragraphs = vec![lines(&STORY), lines(&CUT), lines(&STORY), lines(&UNRELATED)];
    (docs, paragraphs)
}

/// Sorted, deduplicated word-3-gram hashes of a document's paragraphs.
pub fn shingles(paragraphs: &[String]) -> Vec<u64> {
    let words: Vec<String> = paragraphs
        .iter()
        .flat_map(|p| wirecopy::align::words(p))
        .collect();
    let mut v: Vec<u64> = words
        .windows(3)
        .map(|w| xxhash_rust::xxh3::xxh3_64(w.join(" ").as_bytes()))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The report of the acceptance case with the default config.
pub fn report() -> Report {
    let (docs, paragraphs) = documents();
    let sets: Vec<Vec<u64>> = paragraphs.iter().map(|p| shingles(p)).collect();
    let sim = |a: usize, b: usize| -> Similarity { similarity(&sets[a], &sets[b]) };
    let clusters = vec![vec![0, 1, 2]];
    let input = ReportInput {
        docs: &docs,
        paragraphs: &paragraphs,
        clusters: &clusters,
        similarity: &sim,
        parameters: serde_json::json!({"shingle": "word-3", "threshold": 0.5}),
        counts: serde_json::json!({"documents": 4}),
    };
    Report::build(&input, &ReportConfig::default())
}
