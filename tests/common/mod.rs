//! Helpers shared by the integration tests: the shared-data lookup, a small scan corpus, and
//! the issue 5 acceptance case as inline documents (an AP story on apnews.com, a scraper that
//! re-posts it in full months later inside its own chrome, a cut copy with the credit removed,
//! and an unrelated story in the same scraper chrome).
#![allow(dead_code)] // Each test binary uses a different subset of these helpers.

use std::path::PathBuf;

/// The shared data folder (`../shared/data` beside the repository), or `None` with a visible
/// message when it is missing. Under CI (`CI=true`) a missing folder is a failure.
pub fn shared_data(sub: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(sub);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but the shared data set {} is missing", p.display());
    }
    // Straight to the process's stderr: the test harness captures `eprintln!` of a passing
    // test, which would hide the skip.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: shared data {} not found (it is not part of a fresh clone)",
        p.display()
    );
    None
}

/// A dev set's `truth.jsonl` under `dir`: document id -> true cluster.
pub fn read_truth(dir: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    let mut truth = std::collections::BTreeMap::new();
    for l in std::fs::read_to_string(dir.join("truth.jsonl"))
        .expect("truth")
        .lines()
    {
        let v: serde_json::Value = serde_json::from_str(l).expect("truth line");
        truth.insert(
            wirecopy::eval::id_key(&v["id"]).expect("id"),
            wirecopy::eval::id_key(&v["cluster"]).expect("cluster"),
        );
    }
    truth
}

/// A small corpus of invented pages used by several tests: two stories with copies, a brief
/// with a copy, and unrelated pages, all in site chrome.
pub fn small_corpus() -> Vec<serde_json::Value> {
    let nav = |site: &str| format!("{site}  Home  World  Business  Sports  Contact");
    let foot = |site: &str| {
        format!("Copyright 2024 {site} Media. All rights reserved.\nPrivacy | Terms | Cookies")
    };
    let storm = [
        "MANILA, Philippines (AP) — Typhoon Lorna crossed the northern tip of Luzon on Tuesday, tearing roofs off hundreds of homes and forcing the evacuation of more than 40,000 villagers from low-lying coastal towns.",
        "The weather bureau said the storm packed sustained winds of 150 kilometers per hour as it made landfall near the fishing port of Aparri shortly before dawn.",
        "Provincial governor Elena Bautista said rescue teams had reached most flooded districts by midday but that two mountain roads remained blocked by landslides.",
        "No deaths had been confirmed by Tuesday evening, although officials said three fishermen who ignored warnings to stay in port were still missing.",
        "Forecasters expect Lorna to weaken as it moves over the South China Sea toward southern China later in the week.",
    ];
    let bank = [
        "FRANKFURT, March 4 (Reuters) - The Nordmark regional bank said on Monday it would cut 1,200 jobs over three years as it closes a third of its branches and moves customers to online services.",
        "Chief executive Tobias Kellner told reporters the bank expected restructuring charges of about 310 million euros, most of them booked in the current year.",
        "The bank's shares rose 4.5 percent in early trading as analysts welcomed the plan, which aims to lift the return on equity to 9 percent by 2027.",
        "Labour representatives on the supervisory board said they would seek guarantees that no compulsory redundancies would be made before the end of 2025.",
    ];
    let brief = [
        "TORONTO, March 5 (Reuters) - Quillmark Resources said first-quarter gold output rose 14 percent to 88,400 ounces on higher grades at its Red Lake mine, and kept its annual forecast unchanged at 340,000 to 360,000 ounces.",
    ];
    let others = [
        "The city council approved a new bicycle lane along the river promenade on Thursday after a two-hour debate.\nThe lane will cost about 800,000 dollars and take two summers to build, the transport office said.",
        "A rare white stork has nested on the chimney of the old brewery for the first time in forty years, bird watchers reported.\nVolunteers have set up a camera so that schoolchildren can follow the hatching online this spring.",
        "The regional orchestra named violinist Marta Olsen as its new music director, ending an eighteen-month search.\nOlsen, who grew up in the valley, will conduct her first concert with the ensemble in October.",
        "Heavy snow closed the mountain pass for a third day, stranding about 300 trucks at the border crossing.\nRoad crews hope to reopen one lane by Saturday if the avalanche risk falls overnight.",
        "The public library will extend its opening hours to ten at night during the exam season, the mayor announced.\nStudents had collected more than 2,000 signatures asking for quiet places to study after dinner.",
        "A local bakery won the national bread championship with a rye loaf baked from a hundred-year-old starter.\nThe owners said they would use the prize money to train two apprentices next year.",
    ];
    let page = |site: &str, title: &str, body: &str| {
        format!("{}\n{title}\nShare  Tweet  Email\n{body}\nRelated\n- Harbor Cranes Sold To Investor\n- Rail Strike Called Off\n{}", nav(site), foot(site))
    };
    let mut docs = vec![
        serde_json::json!({"id": "storm-ap", "url": "https://apnews.com/article/storm-1", "title": "Typhoon Lorna hits Luzon", "published": "2024-09-03T06:00:00Z", "text": page("AP News", "Typhoon Lorna hits Luzon", &storm.join("\n"))}),
        serde_json::json!({"id": "storm-copy", "url": "https://www.dailyriver.com/world/lorna", "title": "Typhoon batters northern Philippines", "published": "2024-09-03T09:00:00Z", "text": page("Daily River", "Typhoon batters northern Philippines", &storm.join("\n").replace("(AP) — ", ""))}),
        serde_json::json!({"id": "storm-cut", "url": "https://newsbeat.net/a/77", "title": "Typhoon Lorna hits Luzon", "published": "2024-09-04", "text": page("Newsbeat", "Typhoon Lorna hits Luzon", &storm[..2].join("\n"))}),
        serde_json::json!({"id": 17, "url": "https://www.reuters.com/business/nordmark", "title": "Nordmark bank to cut 1,200 jobs", "published": "2024-03-04T08:00:00Z", "text": page("Reuters", "Nordmark bank to cut 1,200 jobs", &bank.join("\n"))}),
        serde_json::json!({"id": 18, "url": "https://www.dailyriver.com/biz/nordmark", "title": "Nordmark bank to cut 1,200 jobs", "published": "2024-03-04T10:00:00Z", "text": page("Daily River", "Nordmark bank to cut 1,200 jobs", &format!("{}\nStory continues below advertisement\n{}", bank[..2].join("\n"), bank[2..].join("\n")))}),
        serde_json::json!({"id": "brief-wire", "url": "https://www.reuters.com/markets/quillmark", "title": "Quillmark gold output rises", "text": page("Reuters", "Quillmark gold output rises", brief[0])}),
        serde_json::json!({"id": "brief-copy", "url": "https://newsbeat.net/a/78", "title": "Quillmark output up", "text": page("Newsbeat", "Quillmark output up", brief[0])}),
    ];
    for (i, site) in [
        "Daily River",
        "Newsbeat",
        "Reuters",
        "Daily River",
        "Newsbeat",
        "Reuters",
    ]
    .iter()
    .enumerate()
    {
        let host = match *site {
            "Daily River" => "https://www.dailyriver.com",
            "Newsbeat" => "https://newsbeat.net",
            _ => "https://www.reuters.com",
        };
        docs.push(serde_json::json!({"id": format!("other-{i}"), "url": format!("{host}/local/{i}"), "title": format!("Local news {i}"), "text": page(site, &format!("Local news {i}"), others[i])}));
    }
    docs
}

/// Write documents as JSON Lines.
pub fn to_jsonl(docs: &[serde_json::Value]) -> String {
    docs.iter().map(|d| format!("{d}\n")).collect()
}

// ---- The issue 5 acceptance case ----

use wirecopy::input::ReadCounts;
use wirecopy::pipeline::{scan, Quiet, ScanConfig};
use wirecopy::report::{Report, ReportConfig};
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

/// The four documents, in canonical (id) order.
pub fn documents() -> Vec<Document> {
    vec![
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
    ]
}

/// The report of `docs` as `wirecopy scan` builds it: the pipeline with the default
/// configuration decides the clusters and each document's content, then the report is built
/// from the scan (nothing here says which documents belong together).
pub fn report_of(docs: Vec<Document>) -> Report {
    let read = ReadCounts {
        documents: docs.len() as u64,
        ..ReadCounts::default()
    };
    let mut result = scan(docs, &ScanConfig::default(), &Quiet).expect("valid configuration");
    wirecopy::output::release_unreported(&mut result);
    wirecopy::output::report(&result, read, &ReportConfig::default()).expect("report")
}

/// The report of the acceptance case, through the pipeline.
pub fn report() -> Report {
    report_of(documents())
}
