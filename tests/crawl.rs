//! A real crawl, end to end: generate a small news site (chrome, related-headline lists, three
//! pages copying another page's story, one of them in windows-1252), serve it from 127.0.0.1
//! with `python3 -m http.server`, crawl it with `wget --recursive --warc-file`, then read the
//! WARC. The library must see every page's article (and no chrome); `wirecopy scan
//! crawl.warc.gz` must find exactly the planted copies.
//!
//! Needs wget and python3 (`.ci/deps/web.sh`); without them the test says so and passes, except
//! with `CI=true`, where it fails.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use wirecopy::{input::warc, Document};

fn ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Skip with a visible message, or fail under CI.
fn skip(why: &str) {
    assert!(!ci(), "crawl test cannot run under CI: {why}");
    // Straight to stderr: the test harness captures eprintln! of passing tests.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED crawl test: {why}");
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Deterministic prose: sentences from a small vocabulary, different for every seed.
struct Prose(u64);

const WORDS: &[&str] = &[
    "council",
    "river",
    "bridge",
    "minister",
    "budget",
    "school",
    "hospital",
    "workers",
    "union",
    "strike",
    "harbour",
    "storm",
    "farmers",
    "market",
    "prices",
    "energy",
    "court",
    "judge",
    "police",
    "station",
    "festival",
    "museum",
    "railway",
    "airport",
    "mayor",
    "election",
    "voters",
    "museum",
    "forest",
    "fire",
    "village",
    "mountain",
    "coast",
    "island",
    "factory",
    "company",
    "shares",
    "bank",
    "interest",
    "rates",
    "housing",
    "tenants",
    "landlord",
    "report",
    "study",
    "scientists",
    "doctors",
    "patients",
    "teachers",
    "students",
    "children",
    "parents",
    "season",
    "league",
    "coach",
    "players",
    "stadium",
    "fans",
    "tickets",
    "concert",
    "orchestra",
    "library",
    "archive",
    "letters",
    "history",
    "war",
    "memorial",
    "ceremony",
    "weather",
    "rain",
    "flood",
    "drought",
    "harvest",
    "wheat",
    "coffee",
    "tea",
    "exports",
    "imports",
    "tariffs",
    "border",
    "ferry",
    "tunnel",
    "highway",
    "traffic",
    "cyclists",
    "pedestrians",
    "plan",
    "proposal",
    "vote",
    "delay",
    "cost",
    "contract",
    "inquiry",
    "witness",
    "evidence",
    "appeal",
];
const GLUE: &[&str] = &[
    "the", "a", "of", "in", "on", "after", "before", "with", "near", "said", "will", "could",
    "was", "were", "has", "had", "new", "local", "old", "first", "last", "more", "fewer",
];

impl Prose {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }

    fn sentence(&mut self, accents: bool) -> String {
        let n = 14 + self.next() % 10;
        let mut out: Vec<String> = Vec::new();
        for i in 0..n {
            let w = if i % 2 == 0 {
                GLUE[self.next() % GLUE.len()]
            } else {
                WORDS[self.next() % WORDS.len()]
            };
            out.push(w.to_string());
            if i == n / 2 {
                out.push(",".into());
            }
        }
        if accents {
            out.push("at the café".into());
            out.push("\u{2014} a naïve résumé of \u{201c}Zürich\u{201d}".into());
        }
        let s = out.join(" ").replace(" ,", ",");
        format!("{}{}.", s[..1].to_uppercase(), &s[1..])
    }

    fn story(&mut self, accents: bool) -> Vec<String> {
        (0..6)
            .map(|_| {
                (0..3)
                    .map(|_| self.sentence(accents))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }
}

fn headline(n: usize) -> String {
    let mut p = Prose(1000 + n as u64);
    let s = p.sentence(false);
    s.split_whitespace().take(7).collect::<Vec<_>>().join(" ")
}

/// One page of the site: chrome around an article.
fn page(title: &str, paragraphs: &[String], related: &[usize], charset: &str) -> String {
    let nav: String = [
        "World", "Business", "Sport", "Culture", "Opinion", "Weather",
    ]
    .iter()
    .map(|s| format!("<li><a href=\"/index.html#{s}\">{s}</a></li>"))
    .collect();
    let related: String = related
        .iter()
        .map(|&r| format!("<li><a href=\"/story{r}.html\">{}</a></li>", headline(r)))
        .collect();
    let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"{charset}\">\
         <title>{title} | The Harbour Gazette</title>\
         <meta property=\"og:site_name\" content=\"The Harbour Gazette\">\
         <meta property=\"article:published_time\" content=\"2024-05-01T08:00:00Z\"></head>\
         <body><header><a href=\"/index.html\">The Harbour Gazette</a><nav><ul>{nav}</ul></nav>\
         <form action=\"/search\"><input name=\"q\"><button>Search</button></form></header>\
         <main><article><h1>{title}</h1><p class=\"byline\">By Gazette staff</p>\n{body}</article>\
         <aside class=\"related\"><h2>Related stories</h2><ul>{related}</ul></aside></main>\
         <footer><p>Copyright 2024 The Harbour Gazette. All rights reserved.</p>\
         <ul><li><a href=\"/index.html\">About us</a></li><li><a href=\"/index.html\">Contact</a></li>\
         </ul></footer></body></html>\n"
    )
}

/// Writes the site; returns the planted copy pairs as URL paths.
fn write_site(dir: &Path) -> BTreeSet<BTreeSet<String>> {
    let stories: Vec<Vec<String>> = (1..=8).map(|i| Prose(i).story(i == 5)).collect();
    let mut index = String::from("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>The Harbour Gazette</title></head><body><h1>Latest</h1><ul>");
    let write = |name: &str, html: &[u8]| {
        std::fs::write(dir.join(name), html).expect("writing the test site");
    };
    for (i, s) in stories.iter().enumerate() {
        let n = i + 1;
        let related: Vec<usize> = (1..=8).filter(|&r| r != n).take(5).collect();
        write(
            &format!("story{n}.html"),
            page(&headline(n), s, &related, "utf-8").as_bytes(),
        );
        index.push_str(&format!(
            "<li><a href=\"/story{n}.html\">{}</a></li>",
            headline(n)
        ));
    }
    // wire1: the same story under another headline with a credit line.
    let mut w1 = vec!["This story was first published by our partners.".to_string()];
    w1.extend(stories[0].iter().cloned());
    // wire3: a cut copy, last paragraph dropped.
    let w3 = stories[2][..5].to_vec();
    // wire5: the same story, served in windows-1252.
    let w5 = page("Gazette reprint", &stories[4], &[1, 2, 3], "windows-1252");
    let (w5, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&w5);
    assert!(!unmappable);
    write(
        "wire1.html",
        page("Partner copy one", &w1, &[2, 4, 6], "utf-8").as_bytes(),
    );
    write(
        "wire3.html",
        page("Partner copy three", &w3, &[5, 7], "utf-8").as_bytes(),
    );
    write("wire5.html", &w5);
    for w in ["wire1", "wire3", "wire5"] {
        index.push_str(&format!("<li><a href=\"/{w}.html\">Partner {w}</a></li>"));
    }
    index.push_str("</ul><footer>Copyright 2024 The Harbour Gazette</footer></body></html>");
    write("index.html", index.as_bytes());
    [
        ("story1", "wire1"),
        ("story3", "wire3"),
        ("story5", "wire5"),
    ]
    .iter()
    .map(|(a, b)| {
        [format!("/{a}.html"), format!("/{b}.html")]
            .into_iter()
            .collect()
    })
    .collect()
}

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path) -> (Server, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting python3 -m http.server");
    let server = Server(child);
    let t0 = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "http.server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (server, port)
}

fn path_of(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.path().to_string())
        .unwrap_or_default()
}

fn shingles(text: &str) -> Vec<u64> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut v: Vec<u64> = words
        .windows(5)
        .map(|w| xxhash_rust::xxh3::xxh3_64(w.join(" ").as_bytes()))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

#[test]
fn wget_crawl_finds_exactly_the_planted_copies() {
    if !have("wget") || !have("python3") {
        return skip("wget or python3 is not installed (see .ci/deps/web.sh)");
    }
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let site = tmp.path().join("site");
    std::fs::create_dir(&site).expect("site dir");
    let planted = write_site(&site);
    let (server, port) = serve(&site);

    let status = Command::new("wget")
        .args([
            "--recursive",
            "--level=2",
            "--no-parent",
            "--no-verbose",
            // A local server occasionally drops a connection under load: retry, never wait long.
            "--tries=3",
            "--waitretry=0",
        ])
        .args([
            "--timeout=10",
            "--warc-file=crawl",
            "--directory-prefix=mirror",
        ])
        .arg(format!("http://127.0.0.1:{port}/index.html"))
        .current_dir(tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("running wget");
    drop(server);
    let warc_path = tmp.path().join("crawl.warc.gz");
    assert!(warc_path.is_file(), "wget wrote no WARC (exit {status})");

    // The library's view: every page, its article only, the legacy page decoded.
    let mut docs: Vec<Document> = Vec::new();
    let mut skips = Vec::new();
    let counts = warc::read_warc(&warc_path, &mut |d| docs.push(d), &mut |e| {
        skips.push(e.to_string())
    })
    .expect("reading the crawl");
    assert!(skips.is_empty(), "{skips:?}");
    assert_eq!(counts.documents, 12, "{counts:?}");
    let by_path: BTreeMap<String, &Document> = docs
        .iter()
        .map(|d| (path_of(d.url.as_deref().unwrap_or_default()), d))
        .collect();
    assert_eq!(by_path.len(), 12);
    for d in &docs {
        assert!(d.id.as_str().starts_with("urn:uuid:"), "{:?}", d.id);
        assert_eq!(d.site.as_deref(), Some("127.0.0.1"));
        assert!(!d.text.contains("All rights reserved"), "{}", d.text);
    }
    for (path, d) in &by_path {
        if path != "/index.html" {
            assert!(!d.text.contains("Related stories"), "{path}: {}", d.text);
            assert_eq!(
                d.published.as_ref().map(|p| p.unix),
                Some(1_714_550_400),
                "{path}"
            );
        }
    }
    assert!(by_path["/wire5.html"]
        .text
        .contains("café \u{2014} a naïve résumé"));

    // Which pairs share most of their text: exactly the planted ones.
    let sh: Vec<(String, Vec<u64>)> = by_path
        .iter()
        .map(|(p, d)| (p.clone(), shingles(&d.text)))
        .collect();
    let mut found = BTreeSet::new();
    for (i, (pa, a)) in sh.iter().enumerate() {
        for (pb, b) in &sh[i + 1..] {
            let s = wirecopy::verify::similarity(a, b);
            if s.overlap() >= 0.5 {
                found.insert(
                    [pa.clone(), pb.clone()]
                        .into_iter()
                        .collect::<BTreeSet<_>>(),
                );
            } else {
                assert!(s.overlap() < 0.2, "{pa} vs {pb}: {s:?}");
            }
        }
    }
    assert_eq!(found, planted);

    // The binary's view, once `scan` exists (merged with the core pipeline).
    let bin = env!("CARGO_BIN_EXE_wirecopy");
    // A build without the subcommand prints no usage for it.
    let has_scan = Command::new(bin)
        .args(["scan", "--help"])
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("scan"));
    if !has_scan {
        return skip("this build of wirecopy has no scan subcommand yet");
    }
    let out = Command::new(bin)
        .arg("scan")
        .arg(&warc_path)
        .args(["--format", "jsonl", "--quiet"])
        .output()
        .expect("running wirecopy scan");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut clusters = BTreeSet::new();
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("scan prints JSON lines");
        let Some(members) = v.get("members").and_then(|m| m.as_array()) else {
            continue;
        };
        let urls: BTreeSet<String> = members
            .iter()
            .map(|m| path_of(m["url"].as_str().unwrap_or_default()))
            .collect();
        assert!(
            members
                .iter()
                .all(|m| m["id"].as_str().is_some_and(|i| i.starts_with("urn:uuid:"))),
            "{line}"
        );
        clusters.insert(urls);
    }
    assert_eq!(clusters, planted, "scan output:\n{stdout}");
}
