//! The Scrapy pipeline (integrations/scrapy/) for real: invented news sites on their own
//! 127.0.0.1 ports (integrations/scrapy/example/demo_sites.py: a wire agency, a site that copies
//! in full, one that cuts and strips the credit, a scraper that re-posts months later), crawled
//! by Scrapy through `wirecopy_scrapy.WirecopyPipeline` into a running `wirecopy serve`. The
//! assertions: which pages were tagged as copies of which story, what the story says about
//! each copy, and that `check` + `drop` mode keeps only the sites' own stories and adds nothing.
//!
//! The same sites crawled with `wget --warc-file` and streamed into `wirecopy stream` test the
//! other path a crawler can take (one that writes WARC).
//!
//! Needs python3 with scrapy (`.ci/deps/service.sh`) and wget (`.ci/deps/web.sh`); without
//! them the tests say SKIPPED and pass, except under CI=true where they fail.

mod serve;

use serve::http::get;
use serve::Server;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn example_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("integrations/scrapy/example")
}

struct Sites {
    child: Child,
    urls: BTreeMap<String, String>,
    truth: BTreeMap<String, Option<String>>,
}

impl Drop for Sites {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sites(py: &str, dir: &Path) -> Sites {
    let mut child = Command::new(py)
        .arg(example_dir().join("demo_sites.py"))
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start demo_sites.py");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the sites line");
    let v: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("demo_sites.py printed {line:?}: {e}"));
    let urls = v["sites"]
        .as_object()
        .expect("sites")
        .iter()
        .map(|(k, u)| (k.clone(), u.as_str().expect("url").to_string()))
        .collect();
    let truth = v["truth"]
        .as_object()
        .expect("truth")
        .iter()
        .map(|(k, t)| (k.clone(), t.as_str().map(str::to_string)))
        .collect();
    Sites { child, urls, truth }
}

/// Crawl `sites` (name -> start URL) through the pipeline; the items written, by URL.
fn crawl(
    py: &str,
    sites: &BTreeMap<&str, &str>,
    settings: &[String],
    out: &Path,
) -> BTreeMap<String, serde_json::Value> {
    let status = Command::new(py)
        .args(["-m", "scrapy", "runspider", "news_spider.py", "-a"])
        .arg(format!(
            "sites={}",
            serde_json::to_string(sites).expect("JSON")
        ))
        .args(settings.iter().flat_map(|s| ["-s", s.as_str()]))
        .args(["-s", "LOG_LEVEL=ERROR", "-O"])
        .arg(out)
        .current_dir(example_dir())
        .env("PYTHONPATH", example_dir().join(".."))
        .status()
        .expect("run scrapy");
    assert!(status.success(), "scrapy runspider failed");
    std::fs::read_to_string(out)
        .expect("read the items")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("item JSON");
            (v["url"].as_str().expect("url").to_string(), v)
        })
        .collect()
}

fn encode(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn a_scrapy_crawl_tags_each_copy_with_its_wire_story() {
    let Some(py) = serve::python_with(&["scrapy"]) else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let sites = start_sites(&py, &tmp.path().join("sites"));
    std::fs::write(tmp.path().join("token"), "crawler-secret\n").expect("token");
    // No index yet: serve creates one, as a first crawl would.
    let s = Server::start(
        &tmp.path().join("index"),
        &[
            "--token-file",
            tmp.path().join("token").to_str().expect("path"),
        ],
        &[],
        &tmp.path().join("log"),
    );
    let base = vec![
        format!("WIRECOPY_URL=http://{}", s.addr),
        "WIRECOPY_TOKEN=crawler-secret".to_string(),
    ];
    let wire = sites.urls["apwire"].as_str();
    // The wire agency is crawled first (as a crawl that has seen it before), the copiers next.
    let first = crawl(
        &py,
        &BTreeMap::from([("apwire", wire)]),
        &base,
        &tmp.path().join("items1.jsonl"),
    );
    let rest: BTreeMap<&str, &str> = sites
        .urls
        .iter()
        .filter(|(k, _)| *k != "apwire")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let second = crawl(&py, &rest, &base, &tmp.path().join("items2.jsonl"));
    let mut items = first;
    items.extend(second);
    let urls: Vec<&String> = items.keys().collect();
    let truth_urls: Vec<&String> = sites.truth.keys().collect();
    assert_eq!(
        urls, truth_urls,
        "the crawl should reach every article once"
    );

    let mut copies = 0;
    for (url, item) in &items {
        let w = &item["wirecopy"];
        assert!(w.get("error").is_none(), "{url}: {w}");
        match &sites.truth[url] {
            Some(story) if story == url => {
                assert_eq!(w["decision"], "new", "{url}: {w}");
                assert_eq!(w["story"], url.as_str(), "{url}");
            }
            Some(story) => {
                copies += 1;
                assert_eq!(w["decision"], "copy", "{url}: {w}");
                assert_eq!(w["story"], story.as_str(), "{url}: {w}");
                assert_eq!(w["origin"]["id"], story.as_str(), "{url}");
                let matched: Vec<&str> = w["matches"]
                    .as_array()
                    .expect("matches")
                    .iter()
                    .filter_map(|m| m["id"].as_str())
                    .collect();
                assert!(matched.contains(&story.as_str()), "{url}: {matched:?}");
            }
            None => assert_eq!(w["decision"], "new", "{url}: {w}"),
        }
    }
    assert_eq!(copies, 5);

    // The harbor story: the full copy keeps the credit, the cut strips it and covers part,
    // the scraper's re-post five months later is stale.
    let harbor = format!("{wire}harbor.html");
    let r = get(&s.addr, &format!("/v1/stories/{}", encode(&harbor)));
    assert_eq!(r.status, 200, "{}", r.text());
    let story = r.json();
    assert_eq!(story["origin"]["id"], harbor.as_str());
    assert_eq!(story["wire"]["code"], "AP");
    let member = |site: &str| -> serde_json::Value {
        story["members"]
            .as_array()
            .expect("members")
            .iter()
            .find(|m| m["site"] == site)
            .unwrap_or_else(|| panic!("no {site} member: {story}"))
            .clone()
    };
    let full = member("dailyriver");
    assert_eq!(full["credited"], true);
    assert_eq!(full["stale"], false);
    let cut = member("newsbeat");
    assert_eq!(cut["credited"], false);
    assert!(cut["coverage"].as_f64().expect("coverage") < 0.8, "{cut}");
    let stale = member("digestnow");
    assert_eq!(stale["stale"], true);
    assert_eq!(story["size"], 4);

    // check + drop: the copy sites again; only their own stories come through, nothing added.
    let before = get(&s.addr, "/v1/stats").json();
    let mut settings = base.clone();
    settings.push("WIRECOPY_MODE=check".into());
    settings.push("WIRECOPY_ON_COPY=drop".into());
    let kept = crawl(&py, &rest, &settings, &tmp.path().join("items3.jsonl"));
    let own: Vec<&String> = sites
        .truth
        .iter()
        .filter(|(u, t)| t.is_none() && !u.starts_with(wire))
        .map(|(u, _)| u)
        .collect();
    let kept_urls: Vec<&String> = kept.keys().collect();
    // The sites' own stories are stored already, so a check finds them as copies of
    // themselves: every page of the copy sites is dropped.
    assert_eq!(own.len(), 3);
    assert!(kept_urls.is_empty(), "{kept_urls:?} (own stories {own:?})");
    assert_eq!(get(&s.addr, "/v1/stats").json(), before);

    // A pipeline without the token gets the 401 in the item, not a crash.
    let no_token = vec![format!("WIRECOPY_URL=http://{}", s.addr)];
    let refused = crawl(
        &py,
        &BTreeMap::from([("apwire", wire)]),
        &no_token,
        &tmp.path().join("items4.jsonl"),
    );
    for (url, item) in &refused {
        let e = item["wirecopy"]["error"].as_str().unwrap_or_default();
        assert!(e.contains("401"), "{url}: {item}");
    }
    assert_eq!(refused.len(), 3);
}

/// The stream-mode path for crawlers that write WARC: the same sites crawled with
/// `wget --warc-file`, the wire agency first, each WARC piped into `wirecopy stream`. Every copy
/// is answered as a copy of its wire story, every site's own story as new. (WARC records carry
/// no site name, and the sites share 127.0.0.1, so this path sees one site; the copies are
/// found all the same.)
#[test]
fn a_wget_warc_crawl_streamed_into_the_index_finds_the_same_copies() {
    let Some(py) = serve::python_with(&[]) else {
        return;
    };
    let have_wget = Command::new("wget")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !have_wget {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but wget is missing (.ci/deps/web.sh installs it)");
        }
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "SKIPPED: wget is not installed");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let sites = start_sites(&py, &tmp.path().join("sites"));
    let index = tmp.path().join("index");
    let mut decisions: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    let wire = sites.urls["apwire"].clone();
    let order: Vec<&String> = std::iter::once(&wire)
        .chain(sites.urls.values().filter(|u| **u != wire))
        .collect();
    for (i, start) in order.into_iter().enumerate() {
        let name = format!("crawl{i}");
        let status = Command::new("wget")
            .args(["--recursive", "--level=3", "--no-parent", "--no-verbose"])
            .args(["--tries=3", "--waitretry=0", "--timeout=10"])
            .arg(format!("--warc-file={name}"))
            .arg(format!("--directory-prefix=mirror{i}"))
            .arg(start)
            .current_dir(tmp.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run wget");
        let warc = tmp.path().join(format!("{name}.warc.gz"));
        assert!(warc.is_file(), "wget wrote no WARC (exit {status})");
        let out = Command::new(serve::bin())
            .args(["stream", "--index"])
            .arg(&index)
            .stdin(std::fs::File::open(&warc).expect("open the WARC"))
            .output()
            .expect("run wirecopy stream");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // A WARC page's id is its record id: the library's reader names its URL.
        let mut url_of = BTreeMap::new();
        wirecopy::input::warc::read_warc(
            &warc,
            &mut |d| {
                url_of.insert(d.id.to_string(), d.url.unwrap_or_default());
            },
            &mut |_| {},
        )
        .expect("read the WARC");
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let d: serde_json::Value = serde_json::from_str(line).expect("decision JSON");
            let id = d["id"].as_str().expect("id");
            decisions.insert(url_of.get(id).cloned().unwrap_or_else(|| id.to_string()), d);
        }
    }
    for (url, truth) in &sites.truth {
        let d = decisions
            .get(url)
            .unwrap_or_else(|| panic!("{url} was not streamed: {:?}", decisions.keys()));
        match truth {
            Some(story) if story != url => {
                assert_eq!(d["decision"], "copy", "{url}: {d}");
                assert_eq!(d["origin"]["url"], story.as_str(), "{url}: {d}");
            }
            _ => assert_eq!(d["decision"], "new", "{url}: {d}"),
        }
    }
}
