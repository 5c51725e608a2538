//! The live index (issue 11): online adds agree with the truth on the dev sets, the LSH query
//! agrees with a linear scan, a directory index survives reopening and `kill -9`, and `stream`
//! answers through a real pipe line by line.

mod common;

use assert_cmd::cargo::CommandCargoExt;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use wirecopy::eval::score;
use wirecopy::index::{DecisionKind, Index, IndexOptions};
use wirecopy::input::{parse_record, FieldMap};
use wirecopy::minhash::splitmix64;
use wirecopy::pipeline::{scan, Quiet, ScanConfig};
use wirecopy::Document;

fn docs_of(text: &str) -> Vec<Document> {
    text.lines()
        .map(|l| parse_record(l, &FieldMap::default()).expect("valid record"))
        .collect()
}

/// Documents in published order (undated last), ties by id: the order a crawler meets them.
fn in_published_order(mut docs: Vec<Document>) -> Vec<Document> {
    docs.sort_by(|a, b| {
        let t = |d: &Document| d.published.as_ref().map_or(i64::MAX, |p| p.unix);
        t(a).cmp(&t(b)).then_with(|| a.id.cmp(&b.id))
    });
    docs
}

#[test]
fn adding_dev_sets_one_page_at_a_time_scores_like_the_batch_scan() {
    for name in ["reuters", "bbc", "fanout", "versions", "multilingual"] {
        let Some(dir) = common::shared_data(&format!("syndication-dev/{name}")) else {
            return;
        };
        let docs = docs_of(&std::fs::read_to_string(dir.join("docs.jsonl")).expect("docs"));
        let mut ix = Index::in_memory(&ScanConfig::default()).expect("index");
        for d in in_published_order(docs) {
            ix.add(d).expect("add");
        }
        let truth = common::read_truth(&dir);
        let mut predicted = BTreeMap::new();
        for (c, ids) in ix.story_ids().expect("healthy").iter().enumerate() {
            for id in ids {
                predicted.insert(id.to_string(), c.to_string());
            }
        }
        let s = score(&truth, &predicted).expect("scores");
        println!("{name}: online ARI {:.4}", s.ari);
        assert!(s.ari >= 0.99, "{name}: online ARI {:.4} < 0.99", s.ari);
    }
}

/// A random corpus of stories with copies (cut, edited, in site chrome) and unrelated pages.
fn random_corpus(seed: u64, n: usize) -> Vec<Document> {
    let mut st = seed;
    let words: Vec<String> = (0..400).map(|i| format!("w{i}x")).collect();
    let word = |st: &mut u64| words[(splitmix64(st) % 400) as usize].clone();
    let mut stories: Vec<Vec<String>> = Vec::new();
    let mut out = Vec::new();
    for i in 0..n {
        let r = splitmix64(&mut st) % 10;
        let site = format!("site{}.example", splitmix64(&mut st) % 6);
        let paras: Vec<String> = if r < 4 && !stories.is_empty() {
            let s = &stories[(splitmix64(&mut st) % stories.len() as u64) as usize];
            let keep = s.len() - (splitmix64(&mut st) % 3) as usize;
            let mut p: Vec<String> = s[..keep.max(1)].to_vec();
            if splitmix64(&mut st).is_multiple_of(2) {
                p[0] = format!("{} {}", p[0], word(&mut st));
            }
            p
        } else {
            let p: Vec<String> = (0..4)
                .map(|_| (0..25).map(|_| word(&mut st)).collect::<Vec<_>>().join(" "))
                .collect();
            stories.push(p.clone());
            p
        };
        let text = format!("Home News Sport\n{}\nAbout us Contact", paras.join("\n"));
        out.push(Document {
            site: Some(site),
            ..Document::new(format!("d{i:03}"), text)
        });
    }
    out
}

#[test]
fn lsh_queries_agree_with_the_linear_scan() {
    let mut copies = 0;
    for seed in 1..=4u64 {
        let docs = random_corpus(seed, 120);
        let (stored, queries) = docs.split_at(90);
        let mut ix = Index::in_memory(&ScanConfig::default()).expect("index");
        for d in stored {
            ix.add(d.clone()).expect("add");
        }
        for q in queries {
            let fast = ix.query(q).expect("healthy");
            let slow = ix.query_linear(q).expect("healthy");
            let ids = |d: &wirecopy::index::Decision| -> BTreeSet<String> {
                d.matches.iter().map(|m| m.doc.id.to_string()).collect()
            };
            // LSH never invents a match; it finds every clear one (Jaccard >= 0.8).
            assert!(ids(&fast).is_subset(&ids(&slow)), "seed {seed} {}", q.id);
            let clear: BTreeSet<String> = slow
                .matches
                .iter()
                .filter(|m| m.jaccard >= 0.8)
                .map(|m| m.doc.id.to_string())
                .collect();
            assert!(
                clear.is_subset(&ids(&fast)),
                "seed {seed} {}: {clear:?} vs {:?}",
                q.id,
                ids(&fast)
            );
            assert_eq!(fast.decision, slow.decision, "seed {seed} {}", q.id);
            copies += usize::from(fast.decision == DecisionKind::Copy);
        }
    }
    // The corpus holds copies for the comparison to bite on, and new stories.
    assert!(
        (20..120).contains(&copies),
        "{copies} copies among 120 queries"
    );
}

#[test]
fn a_directory_index_reopens_with_the_same_stories_and_answers() {
    let docs = random_corpus(9, 80);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ix");
    let base = scan(docs[..40].to_vec(), &ScanConfig::default(), &Quiet).expect("scan");
    let mut ix = Index::create(&path, &base).expect("create");
    let mut decisions = Vec::new();
    for d in &docs[40..70] {
        decisions.push(ix.add(d.clone()).expect("add"));
    }
    ix.remove("d005").expect("remove");
    ix.sync().expect("sync");
    // One writer per directory: a second is refused while `ix` holds the lock; a reader opens
    // beside it and cannot write.
    let e = Index::open(&path).expect_err("a second writer");
    assert!(e.to_string().contains("open for writing"), "{e}");
    let mut again = Index::open_read_only(&path).expect("reopen read-only");
    let e = again.add(docs[0].clone()).expect_err("read-only");
    assert!(e.to_string().contains("read-only"), "{e}");
    assert_eq!(
        again.story_ids().expect("healthy"),
        ix.story_ids().expect("healthy")
    );
    assert_eq!(again.len(), ix.len());
    assert!(again.get("d005").expect("healthy").is_none());
    for q in &docs[70..] {
        assert_eq!(
            again.query(q).expect("healthy"),
            ix.query(q).expect("healthy")
        );
    }
    // Compaction keeps every document and folds the log into a new segment.
    drop(again);
    ix.compact().expect("compact");
    drop(ix);
    let compacted = Index::open(&path).expect("reopen after compaction");
    assert_eq!(compacted.len(), 69);
    assert_eq!(compacted.stats().expect("healthy").added_documents, 0);
    drop(compacted);
    // A damaged CURRENT file is an error naming it.
    std::fs::write(path.join("CURRENT"), "nonsense").expect("write");
    let e = Index::open(&path).expect_err("damaged CURRENT");
    assert!(e.to_string().contains("CURRENT"), "{e}");
}

/// What an index answers about `probes`, its stories and its live documents.
fn answers_of(
    ix: &Index,
    probes: &[Document],
) -> (
    Vec<wirecopy::Decision>,
    Vec<Vec<wirecopy::DocId>>,
    Vec<Document>,
) {
    (
        probes
            .iter()
            .map(|q| ix.query(q).expect("healthy"))
            .collect(),
        ix.story_ids().expect("healthy"),
        ix.documents().expect("healthy"),
    )
}

#[test]
fn added_pages_become_segments_merged_in_tiers_without_changing_an_answer() {
    let docs = random_corpus(21, 150);
    let probes = &docs[130..];
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ix");
    let base = scan(docs[..30].to_vec(), &ScanConfig::default(), &Quiet).expect("scan");
    let mut ix = Index::create(&path, &base).expect("create");
    ix.set_options(IndexOptions {
        manual: true,
        ..IndexOptions::default()
    });
    // Batches of 20 pages: segment sizes follow a binary counter (a new segment is merged with
    // the newest ones no larger than it; the compaction's segment is never merged).
    let mut segments = Vec::new();
    for (i, batch) in docs[30..130].chunks(20).enumerate() {
        for d in batch {
            ix.add(d.clone()).expect("add");
        }
        // A removal of a segment page and of a page added since: both stay removed.
        ix.remove(&format!("d{:03}", 2 * i)).expect("remove");
        ix.remove(batch[3].id.as_str()).expect("remove");
        let before = answers_of(&ix, probes);
        let len = ix.len();
        ix.flush().expect("flush");
        assert_eq!(
            answers_of(&ix, probes),
            before,
            "batch {i}: the flush changed an answer"
        );
        let stats = ix.stats().expect("healthy");
        assert_eq!((stats.documents, stats.added_documents), (len, 0));
        segments.push(stats.segments);
        // Reopened, the directory gives the same answers (the log is empty, the segments
        // hold everything, removals included).
        drop(ix);
        ix = Index::open(&path).expect("reopen");
        ix.set_options(IndexOptions {
            manual: true,
            ..IndexOptions::default()
        });
        assert_eq!(
            answers_of(&ix, probes),
            before,
            "batch {i}: reopening changed an answer"
        );
    }
    assert_eq!(segments, [2, 2, 3, 2, 3]);
    let files = |ext: &str| {
        std::fs::read_dir(&path)
            .expect("dir")
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(ext))
            })
            .count()
    };
    // Merged-away segments and old logs are deleted.
    assert_eq!((files(".wci"), files(".wcl")), (3, 1));
    assert!(ix.get("d000").expect("healthy").is_none());
    assert!(ix.get(docs[33].id.as_str()).expect("healthy").is_none());
    // An add after the flushes is judged against every segment.
    let copy = Document::new("again", docs[120].text.clone());
    let d = ix.add(copy).expect("add");
    assert_eq!(d.decision, DecisionKind::Copy);
    assert!(d
        .matches
        .iter()
        .any(|m| m.doc.id.as_str() == docs[120].id.as_str()));
    // Compaction folds every segment into one and drops the removed pages.
    let live = ix.len();
    ix.compact().expect("compact");
    let stats = ix.stats().expect("healthy");
    assert_eq!((stats.segments, stats.documents), (1, live));
    assert_eq!((files(".wci"), files(".wcl")), (1, 1));
    // A CURRENT naming segments out of order is refused, naming the file.
    drop(ix);
    std::fs::write(path.join("CURRENT"), "generation 9\nsegments 4 2 9\n").expect("write");
    let e = Index::open(&path).expect_err("segments out of order");
    assert!(e.to_string().contains("CURRENT"), "{e}");
}

/// Everything an index answers, for comparing a damaged segment's answers with the good ones.
type Answers = (
    Vec<wirecopy::Decision>,
    Vec<Vec<wirecopy::DocId>>,
    wirecopy::index::IndexStats,
    Vec<Document>,
);

fn answers(ix: &Index, queries: &[Document]) -> wirecopy::Result<Answers> {
    let decisions = queries
        .iter()
        .map(|q| ix.query(q))
        .collect::<wirecopy::Result<Vec<_>>>()?;
    Ok((decisions, ix.story_ids()?, ix.stats()?, ix.documents()?))
}

#[test]
fn a_damaged_segment_gives_an_error_where_it_is_read_never_another_answer() {
    // Opening a live index reads only what does not grow with it; every other block of the
    // segment is checked when first read. Flip one byte in each section in turn: the index
    // either refuses to open, or answers exactly as the good one did, or errors naming the
    // file; a full check (`store::Index::open`) always finds it.
    let docs = random_corpus(13, 700);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ix");
    let base = scan(docs[..600].to_vec(), &ScanConfig::default(), &Quiet).expect("scan");
    drop(Index::create(&path, &base).expect("create"));
    let segment = std::fs::read_dir(&path)
        .expect("dir")
        .filter_map(|e| Some(e.ok()?.path()))
        .find(|p| p.extension().is_some_and(|x| x == "wci"))
        .expect("a segment file");
    let good_bytes = std::fs::read(&segment).expect("read");
    let store = wirecopy::store::Index::open(&segment).expect("full check");
    assert!(store.sections().iter().filter(|s| s.len > 0).count() >= 30);
    let good = answers(&Index::open(&path).expect("open"), &docs[600..]).expect("healthy");
    let (mut refused, mut errors, mut same) = (0, 0, 0);
    for section in store.sections().iter().filter(|s| s.len > 0) {
        let at = (section.offset + section.len / 2) as usize;
        let mut bad = good_bytes.clone();
        bad[at] ^= 0x20;
        std::fs::write(&segment, &bad).expect("write");
        let name = section.kind.name();
        let full = wirecopy::store::Index::open(&segment).expect_err("the full check finds it");
        assert!(full.to_string().contains(".wci"), "{name}: {full}");
        match Index::open(&path) {
            Err(e) => {
                assert!(e.to_string().contains(".wci"), "{name}: {e}");
                refused += 1;
            }
            Ok(ix) => match answers(&ix, &docs[600..]) {
                Err(e) => {
                    assert!(e.to_string().contains(".wci"), "{name}: {e}");
                    assert!(e.to_string().contains("block checksum"), "{name}: {e}");
                    errors += 1;
                }
                Ok(a) => {
                    assert!(a == good, "{name}: a damaged byte changed an answer");
                    same += 1;
                }
            },
        }
    }
    std::fs::write(&segment, &good_bytes).expect("restore");
    println!("byte flips: {refused} refused at open, {errors} errors when read, {same} unread");
    assert!(
        refused >= 2,
        "metadata and block checksums are checked at open"
    );
    assert!(errors >= 10, "most sections are read by these answers");
}

/// Stream `(id, published)` pages of unrelated text through `stream --window 3d` into a new
/// index; the number of decision lines printed and the ids the index keeps, sorted.
fn stream_window(seed: u64, pages: &[(&str, String)]) -> (usize, Vec<String>) {
    let docs = random_corpus(seed, pages.len());
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ix");
    let input: String = docs
        .iter()
        .zip(pages)
        .map(|(d, (id, published))| {
            let line = serde_json::json!({
                "id": id,
                "site": d.site,
                "published": published,
                "text": d.text,
            });
            format!("{line}\n")
        })
        .collect();
    let out = Command::cargo_bin("wirecopy")
        .expect("binary")
        .args(["stream", "--window", "3d", "--index"])
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())?;
            child.wait_with_output()
        })
        .expect("stream runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ix = Index::open_read_only(&path).expect("open");
    let mut kept: Vec<String> = ix
        .documents()
        .expect("healthy")
        .iter()
        .map(|d| d.id.to_string())
        .collect();
    kept.sort();
    (String::from_utf8_lossy(&out.stdout).lines().count(), kept)
}

#[test]
fn stream_with_a_window_keeps_only_the_documents_within_it() {
    // Ten unrelated pages published a day apart, streamed with a three-day window: the pages of
    // the last three days before the newest one stay (days 7 to 10), the rest are dropped. A
    // page arriving last but published on day 2 is answered and never kept.
    let mut pages: Vec<(String, String)> = (1..=10)
        .map(|i| (format!("day{i:02}"), format!("2026-03-{i:02}T08:00:00Z")))
        .collect();
    pages.push(("late".into(), "2026-03-02T09:00:00Z".into()));
    let pages: Vec<(&str, String)> = pages.iter().map(|(i, p)| (i.as_str(), p.clone())).collect();
    let (answers, kept) = stream_window(21, &pages);
    assert_eq!(answers, 11, "every page gets its answer line");
    assert_eq!(kept, ["day07", "day08", "day09", "day10"]);
}

#[test]
fn a_page_dated_in_the_future_moves_the_window_at_most_a_day_past_the_clock() {
    // Pages published 1 to 6 days (and an hour) before now, then one dated a year ahead. The
    // window follows the newest time but counts the future page as at most a day ahead of the
    // clock: the page of the last day stays with it (the window reaches two days back).
    let now = time::OffsetDateTime::now_utc();
    let at = |d: time::Duration| {
        (now + d)
            .format(&time::format_description::well_known::Rfc3339)
            .expect("formats")
    };
    let mut pages: Vec<(String, String)> = (1..=6)
        .rev()
        .map(|i| {
            (
                format!("ago{i}"),
                at(-time::Duration::days(i) - time::Duration::hours(1)),
            )
        })
        .collect();
    pages.push(("future".into(), at(time::Duration::days(365))));
    let pages: Vec<(&str, String)> = pages.iter().map(|(i, p)| (i.as_str(), p.clone())).collect();
    let (answers, kept) = stream_window(22, &pages);
    assert_eq!(answers, 7);
    assert_eq!(kept, ["ago1", "future"]);
}

#[test]
fn a_segment_written_under_other_line_rules_is_refused_naming_both() {
    // What decides a page's content lines is versioned with the index: a segment written by a
    // build with other line rules or Unicode tables is refused, not silently mixed.
    let docs = random_corpus(23, 20);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ix");
    let base = scan(docs, &ScanConfig::default(), &Quiet).expect("scan");
    drop(Index::create(&path, &base).expect("create"));
    let segment = path.join("segment-000001.wci");
    assert!(segment.exists());
    let ours = wirecopy::store::RuleVersions::current();
    let older = wirecopy::store::RuleVersions {
        line_rules: ours.line_rules + 1,
        ..ours
    };
    wirecopy::store::save_with_rules(&segment, &base, older).expect("save");
    for e in [
        Index::open(&path).expect_err("other line rules"),
        Index::open_read_only(&path).expect_err("other line rules"),
    ] {
        let msg = e.to_string();
        assert!(msg.contains("segment-000001.wci"), "{msg}");
        assert!(
            msg.contains(&format!("line rules {}", ours.line_rules + 1)),
            "{msg}"
        );
        assert!(
            msg.contains(&format!("line rules {}", ours.line_rules)),
            "{msg}"
        );
    }
}

fn jsonl(d: &Document) -> String {
    serde_json::json!({"id": d.id.as_str(), "site": d.site, "text": d.text}).to_string()
}

/// `wirecopy stream --index path` with piped stdin and stdout.
fn spawn_stream(path: &std::path::Path, args: &[&str]) -> std::process::Child {
    Command::cargo_bin("wirecopy")
        .expect("binary")
        .args(["stream", "--index"])
        .arg(path)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn")
}

#[test]
fn stream_answers_each_line_through_a_pipe_as_the_library_does() {
    let docs = random_corpus(5, 40);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ix");
    let mut child = spawn_stream(&path, &[]);
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lib = Index::in_memory(&ScanConfig::default()).expect("index");
    for d in &docs {
        // One line in, one answer out, before the next line is written: no buffering.
        writeln!(stdin, "{}", jsonl(d)).expect("write");
        stdin.flush().expect("flush");
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read");
        let got: serde_json::Value = serde_json::from_str(&line).expect("json line");
        let want = serde_json::to_value(lib.add(d.clone()).expect("add")).expect("json");
        assert_eq!(got, want, "{}", d.id);
    }
    drop(stdin);
    assert!(child.wait().expect("wait").success());
    let reopened = Index::open(&path).expect("reopen");
    assert_eq!(
        reopened.story_ids().expect("healthy"),
        lib.story_ids().expect("healthy")
    );
}

#[test]
fn kill_9_never_loses_an_acknowledged_add() {
    let docs = random_corpus(11, 60);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ix");
    let mut acknowledged: BTreeSet<String> = BTreeSet::new();
    let mut st = 3u64;
    let mut next = 0;
    for round in 0..4 {
        // Small segments: kills land in flushes and tier merges too.
        let mut child = spawn_stream(&path, &["--flush-pages", "3"]);
        let mut stdin = child.stdin.take().expect("stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        // Write a burst without waiting, read some of the answers, then kill mid-burst.
        let burst = 8 + (splitmix64(&mut st) % 8) as usize;
        let read = (splitmix64(&mut st) % burst as u64) as usize;
        for d in docs.iter().skip(next).take(burst) {
            let _ = writeln!(stdin, "{}", jsonl(d));
        }
        let _ = stdin.flush();
        for _ in 0..read {
            let mut line = String::new();
            if stdout.read_line(&mut line).expect("read") == 0 {
                break;
            }
            let v: serde_json::Value = serde_json::from_str(&line).expect("json line");
            acknowledged.insert(v["id"].as_str().expect("id").to_string());
        }
        child.kill().expect("kill -9");
        child.wait().expect("wait");
        next += burst;
        let ix = Index::open(&path).unwrap_or_else(|e| panic!("round {round}: {e}"));
        for id in &acknowledged {
            assert!(
                ix.get(id).expect("healthy").is_some(),
                "round {round}: acknowledged {id} lost"
            );
        }
        // Still queryable.
        let d = ix.query(&docs[0]).expect("healthy");
        assert!(d.decision != DecisionKind::NearEmpty);
    }
    assert!(!acknowledged.is_empty());
}

/// The stories of `docs` added one page at a time in published order, after checking that they
/// are the batch scan's clusters; ids sorted within and across stories.
fn online_stories_equal_to_batch(docs: Vec<Document>) -> Vec<Vec<String>> {
    let batch = scan(docs.clone(), &ScanConfig::default(), &Quiet).expect("scan");
    let mut batch_ids: Vec<Vec<String>> = batch
        .clusters
        .iter()
        .map(|c| {
            let mut ids: Vec<String> = c
                .iter()
                .map(|&i| batch.docs[i as usize].id.to_string())
                .collect();
            ids.sort();
            ids
        })
        .collect();
    batch_ids.sort();
    let mut ix = Index::in_memory(&ScanConfig::default()).expect("index");
    for d in in_published_order(docs) {
        ix.add(d).expect("add");
    }
    let mut online: Vec<Vec<String>> = ix
        .story_ids()
        .expect("healthy")
        .iter()
        .map(|c| {
            let mut ids: Vec<String> = c.iter().map(|i| i.to_string()).collect();
            ids.sort();
            ids
        })
        .collect();
    online.sort();
    assert!(!online.is_empty());
    assert_eq!(online, batch_ids);
    online
}

#[test]
fn the_demo_corpus_added_page_by_page_gives_the_batch_stories() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let docs = docs_of(&std::fs::read_to_string(root.join("wire.jsonl")).expect("corpus"));
    online_stories_equal_to_batch(docs);
}

#[test]
fn an_unmarked_related_list_is_found_online_as_in_the_batch() {
    // tests/cases/70: a cut copy above a list of headlines with no marker, which another
    // story's page carries too. The list's lines recur only once the second page has arrived:
    // the first page holding them is judged again then, so the cut still joins its origin.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut docs =
        docs_of(&std::fs::read_to_string(root.join("corpus/wire.jsonl")).expect("corpus"));
    let case: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/cases/70-chinese-unmarked-related-list.json"))
            .expect("case"),
    )
    .expect("case is JSON");
    let lines: String = case["docs"]
        .as_array()
        .expect("docs")
        .iter()
        .map(|d| format!("{d}\n"))
        .collect();
    docs.extend(docs_of(&lines));
    let stories = online_stories_equal_to_batch(docs);
    assert!(stories.contains(&vec![
        "c70-xiangjiang-cut".to_string(),
        "c70-xinhua-origin".to_string()
    ]));
    assert!(!stories
        .iter()
        .flatten()
        .any(|id| id == "c70-dongting-other"));
}

#[test]
fn stream_reads_warc_on_stdin_and_finds_the_copy() {
    let story = "<p>The island ferry resumed its normal timetable on Monday after three days of \
        cancellations caused by high winds, the operator said.</p><p>Passengers who missed \
        sailings can use their tickets until the end of the month, and the harbour office will \
        stay open late on Tuesday to handle refunds for those who cannot travel.</p>";
    let other = "<p>The city orchestra named a new music director after an eighteen-month \
        search that drew candidates from four continents.</p><p>Her first concert with the \
        ensemble is planned for October in the renovated opera house by the river.</p>";
    let pages = [
        ("https://ferry.example.org/news/1", story),
        ("https://island-times.example.com/ferry-back", story),
        ("https://music.example.net/director", other),
    ];
    let mut warc = String::new();
    for (i, (url, body)) in pages.iter().enumerate() {
        let html = format!("<html><head><title>Page {i}</title></head><body><article>{body}</article></body></html>");
        let http = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n{html}",
            html.len()
        );
        warc.push_str(&format!(
            "WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\n\
             WARC-Record-ID: <urn:uuid:r{i}>\r\nContent-Type: application/http; msgtype=response\r\n\
             Content-Length: {}\r\n\r\n{http}\r\n\r\n",
            http.len()
        ));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_wirecopy"))
        .args(["stream", "--index"])
        .arg(dir.path().join("ix"))
        .write_stdin(warc)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .expect("utf8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let kinds: Vec<&str> = lines
        .iter()
        .map(|l| l["decision"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["new", "copy", "new"]);
    assert_eq!(lines[1]["matches"][0]["url"], pages[0].0);
    assert_eq!(lines[1]["origin"]["url"], pages[0].0);
}
