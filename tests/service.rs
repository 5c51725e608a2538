//! `wirecopy serve` for real: the binary on 127.0.0.1 with a port the system chose, driven over
//! HTTP. Every endpoint, every error path, the token, graceful shutdown, kill -9 during writes,
//! and a bounded 64-client load whose answers must equal `wirecopy query`'s.

mod serve;

use serve::http::{self, get, post_json, request};
use serve::{build_index, corpus, load, Server};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn corpus_records() -> Vec<String> {
    std::fs::read_to_string(corpus())
        .expect("read the demo corpus")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

fn demo_index(tmp: &Path) -> std::path::PathBuf {
    let dir = tmp.join("index");
    build_index(&corpus(), &dir);
    dir
}

/// `wirecopy COMMAND... --index DIR FILE` on `records` written to FILE: its stdout lines.
fn decision_lines(command: &[&str], dir: &Path, records: &[String], tmp: &Path) -> Vec<String> {
    let f = tmp.join("decision-input.jsonl");
    std::fs::write(&f, records.join("\n") + "\n").expect("write the input");
    let out = Command::new(serve::bin())
        .args(command)
        .arg("--index")
        .arg(dir)
        .arg(&f)
        .output()
        .expect("run wirecopy");
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(str::to_string)
        .collect()
}

/// `wirecopy query` of `records` on the index at `dir`: one decision line per record.
fn query_lines(dir: &Path, records: &[String], tmp: &Path) -> Vec<String> {
    decision_lines(&["query"], dir, records, tmp)
}

/// `wirecopy index add` of `records` to a copy of the index at `dir`.
fn index_add_lines(dir: &Path, records: &[String], tmp: &Path) -> Vec<String> {
    let copy = tmp.join("index-copy");
    std::fs::create_dir_all(&copy).expect("mkdir");
    for e in std::fs::read_dir(dir).expect("read index dir") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), copy.join(e.file_name())).expect("copy index file");
    }
    decision_lines(&["index", "add"], &copy, records, tmp)
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

/// Assert a 4xx JSON error whose message contains `needle`.
#[track_caller]
fn assert_error(r: &http::Response, status: u16, needle: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = r.json();
    let msg = v["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error field: {v}"));
    assert!(msg.contains(needle), "{msg:?} should name {needle:?}");
}

#[test]
fn every_endpoint_answers_as_documented() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_index(tmp.path());
    let records = corpus_records();
    let expected = query_lines(&dir, &records, tmp.path());
    let s = Server::start(
        &dir,
        &["--log-format", "json"],
        &[],
        &tmp.path().join("log"),
    );
    let a = s.addr.as_str();

    // health, stats
    let h = get(a, "/v1/health");
    assert_eq!(h.status, 200);
    assert_eq!(h.json()["status"], "ok");
    let st = get(a, "/v1/stats").json();
    assert_eq!(st["documents"], 63);
    assert_eq!(st["stories"], 16);

    // openapi: the served document is the file, and it describes the routes exercised here.
    let o = get(a, "/v1/openapi.json");
    assert_eq!(o.status, 200);
    let file = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/wirecopy.json"),
    )
    .expect("read openapi/wirecopy.json");
    assert_eq!(o.text(), file);
    let doc = o.json();
    // The routes this test exercises, listed here on purpose (not taken from the library's
    // table): the document must describe exactly these.
    for (m, p) in [
        ("post", "/v1/check"),
        ("post", "/v1/documents"),
        ("get", "/v1/documents/{id}"),
        ("delete", "/v1/documents/{id}"),
        ("get", "/v1/stories/{id}"),
        ("get", "/v1/stats"),
        ("get", "/v1/health"),
        ("get", "/v1/report"),
        ("get", "/v1/openapi.json"),
    ] {
        assert!(
            doc["paths"][p][m].is_object(),
            "{m} {p} is not in the OpenAPI document"
        );
    }
    let described: usize = doc["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|o| o.as_object().map_or(0, |o| o.len()))
        .sum();
    assert_eq!(
        described, 9,
        "the document describes a route this test does not exercise"
    );

    // check, one document: byte for byte the line `wirecopy query` prints.
    for (rec, want) in records.iter().zip(&expected).take(8) {
        let r = post_json(a, "/v1/check", rec);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(&r.text(), want);
    }
    // check, a batch: the same decisions in order.
    let batch = format!("[{}]", records[..10].join(","));
    let r = post_json(a, "/v1/check", &batch);
    assert_eq!(r.status, 200);
    let got: Vec<serde_json::Value> = r.json().as_array().expect("array").clone();
    let want: Vec<serde_json::Value> = expected[..10].iter().map(|l| json(l)).collect();
    assert_eq!(got, want);
    // check, JSON Lines: a batch too.
    let r = request(
        a,
        "POST",
        "/v1/check",
        &[("Content-Type", "application/x-ndjson")],
        (records[..3].join("\n") + "\n\n").as_bytes(),
    )
    .expect("POST ndjson");
    assert_eq!(r.status, 200, "{}", r.text());
    let want: Vec<serde_json::Value> = expected[..3].iter().map(|l| json(l)).collect();
    assert_eq!(r.json().as_array().expect("array"), &want);
    // check with tightened thresholds, as `query --threshold 0.95`.
    let r = post_json(a, "/v1/check?threshold=0.95&containment=0.95", &records[0]);
    let tight = Command::new(serve::bin())
        .args([
            "query",
            "--threshold",
            "0.95",
            "--containment",
            "0.95",
            "--index",
        ])
        .arg(&dir)
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .expect("stdin")
                .write_all(records[0].as_bytes())?;
            c.wait_with_output()
        })
        .expect("run query");
    assert_eq!(r.text(), String::from_utf8_lossy(&tight.stdout).trim_end());

    // check, raw HTML with its URL as a query parameter: the decision of the same page given
    // as a JSONL record with an `html` field.
    let first = json(&records[0]);
    let html = format!(
        "<html><head><title>{}</title></head><body><article>{}</article></body></html>",
        first["title"].as_str().unwrap_or(""),
        first["text"]
            .as_str()
            .expect("text")
            .lines()
            .map(|l| format!("<p>{}</p>", l.replace('&', "&amp;").replace('<', "&lt;")))
            .collect::<String>()
    );
    let url = "https://copy.example/harbor";
    let r = request(
        a,
        "POST",
        &format!("/v1/check?url={}", "https%3A%2F%2Fcopy.example%2Fharbor"),
        &[("Content-Type", "text/html; charset=utf-8")],
        html.as_bytes(),
    )
    .expect("POST html");
    assert_eq!(r.status, 200, "{}", r.text());
    let as_record = serde_json::json!({"id": url, "url": url, "html": html}).to_string();
    assert_eq!(r.text(), query_lines(&dir, &[as_record], tmp.path())[0]);
    assert_eq!(r.json()["decision"], "copy");
    assert_eq!(r.json()["story"], first["id"]);

    // documents: add (a copy of a stored story), read back, story, delete.
    let mut copy = json(&records[0]);
    copy["id"] = "served-copy".into();
    copy["url"] = "https://copy.example/served".into();
    copy["published"] = "2024-03-06T00:00:00Z".into();
    let r = post_json(a, "/v1/documents", &copy.to_string());
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["decision"], "copy");
    let d = get(a, "/v1/documents/served-copy").json();
    assert_eq!(d["text"], copy["text"]);
    assert_eq!(d["url"], copy["url"]);
    assert_eq!(d["published"], copy["published"]);
    assert_eq!(get(a, "/v1/stats").json()["documents"], 64);
    let story = get(a, "/v1/stories/served-copy");
    assert_eq!(story.status, 200, "{}", story.text());
    let story = story.json();
    assert_eq!(story["origin"]["id"], first["id"]);
    let members: Vec<&serde_json::Value> = story["members"]
        .as_array()
        .expect("members")
        .iter()
        .collect();
    let mine = members
        .iter()
        .find(|m| m["id"] == "served-copy")
        .expect("the added copy is a member");
    assert_eq!(mine["role"], "copy");
    assert_eq!(mine["site"], "copy.example");
    for field in [
        "coverage",
        "credited",
        "stale",
        "published",
        "delay_seconds",
    ] {
        assert!(mine.get(field).is_some(), "member lacks {field}");
    }
    assert_eq!(story["size"].as_u64(), Some(members.len() as u64));
    // A numeric id is found by its spelling.
    let r = post_json(
        a,
        "/v1/documents",
        r#"{"id": 9001, "text": "A numeric id is kept as the input spelled it, nine thousand and one."}"#,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["id"], 9001);
    assert_eq!(get(a, "/v1/documents/9001").json()["id"], 9001);
    // Batch add.
    let r = post_json(
        a,
        "/v1/documents",
        &format!("[{},{}]", load::fresh_record(1), load::fresh_record(2)),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json().as_array().map(Vec::len), Some(2));
    let r = request(a, "DELETE", "/v1/documents/served-copy", &[], b"").expect("DELETE");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["removed"], true);
    assert_eq!(get(a, "/v1/documents/served-copy").status, 404);
    assert_eq!(get(a, "/v1/stats").json()["documents"], 66);

    // report: the HTML page, and in JSON the same stories as `scan` finds on the corpus (the
    // added pages are unrelated or removed).
    let r = get(a, "/v1/report");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(r.text().starts_with("<!DOCTYPE html>"));
    assert!(r.text().contains("ap-harbor-origin"));
    let served = get(a, "/v1/report?format=json").json();
    let scanned = Command::new(serve::bin())
        .args(["scan", "--format", "json"])
        .arg(corpus())
        .output()
        .expect("run scan");
    let scanned = json(&String::from_utf8_lossy(&scanned.stdout));
    let stories = |v: &serde_json::Value| -> BTreeSet<BTreeSet<String>> {
        v["clusters"]
            .as_array()
            .expect("clusters")
            .iter()
            .map(|c| {
                c["members"]
                    .as_array()
                    .expect("members")
                    .iter()
                    .map(|m| m["id"].to_string())
                    .collect()
            })
            .collect()
    };
    assert_eq!(stories(&served), stories(&scanned));
    assert_eq!(get(a, "/v1/report?format=csv").status, 200);

    // The access log: one JSON object per request on stderr.
    let log = s.log_text();
    let lines: Vec<serde_json::Value> = log.lines().map(json).collect();
    assert!(lines
        .iter()
        .any(|l| l["path"] == "/v1/report" && l["status"] == 200));
    assert!(lines
        .iter()
        .all(|l| l["method"].is_string() && l["ms"].is_number()));
}

#[test]
fn malformed_requests_get_a_json_4xx_naming_the_problem() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_index(tmp.path());
    let s = Server::start(
        &dir,
        &[
            "--max-body",
            "100000",
            "--max-batch",
            "3",
            "--log-format",
            "off",
        ],
        &[],
        &tmp.path().join("log"),
    );
    let a = s.addr.as_str();
    for path in ["/v1/check", "/v1/documents"] {
        assert_error(
            &post_json(a, path, r#"{"id": "x", "text": "#),
            400,
            "malformed JSON",
        );
        assert_error(&post_json(a, path, "[1, 2"), 400, "malformed JSON");
        assert_error(
            &post_json(a, path, r#"{"text": "no id"}"#),
            400,
            "missing field \"id\"",
        );
        assert_error(
            &post_json(a, path, r#"{"id": [1], "text": "t"}"#),
            400,
            "\"id\" must be a string or number",
        );
        assert_error(
            &post_json(a, path, r#"{"id": "x", "text": 5}"#),
            400,
            "\"text\"",
        );
        assert_error(
            &post_json(a, path, r#"{"id": "x"}"#),
            400,
            "missing field \"text\"",
        );
        assert_error(
            &post_json(a, path, r#"{"id": "x", "text": "  "}"#),
            400,
            "empty document",
        );
        assert_error(
            &post_json(a, path, "\"a string\""),
            400,
            "expected a JSON object",
        );
        assert_error(&post_json(a, path, "[]"), 400, "empty batch");
        assert_error(
            &post_json(
                a,
                path,
                r#"[{"id": "a", "text": "one"}, {"id": {}, "text": "two"}]"#,
            ),
            400,
            "document 1 of the batch",
        );
        let four = format!(
            "[{}]",
            (0..4).map(load::fresh_record).collect::<Vec<_>>().join(",")
        );
        assert_error(&post_json(a, path, &four), 413, "--max-batch");
        let big = serde_json::json!({"id": "big", "text": "word ".repeat(30_000)}).to_string();
        assert_error(&post_json(a, path, &big), 413, "--max-body");
        let r = request(
            a,
            "POST",
            path,
            &[("Content-Type", "application/json")],
            &[0xff, 0xfe],
        )
        .expect("POST");
        assert_error(&r, 400, "UTF-8");
        let r =
            request(a, "POST", path, &[("Content-Type", "text/plain")], b"hello").expect("POST");
        assert_error(&r, 415, "Content-Type");
        let r = request(
            a,
            "POST",
            path,
            &[("Content-Type", "text/html")],
            b"<p>hi</p>",
        )
        .expect("POST");
        assert_error(&r, 400, "?url=");
        let r = request(
            a,
            "POST",
            path,
            &[("Content-Type", "application/x-ndjson")],
            b"{\"id\": 1, \"text\": \"one two\"}\n{\"id\": 2}\n",
        )
        .expect("POST");
        assert_error(&r, 400, "line 2: missing field \"text\"");
        assert_error(
            &post_json(a, &format!("{path}?url=x"), r#"{"id": "x", "text": "t"}"#),
            400,
            "HTML bodies",
        );
        assert_error(
            &post_json(
                a,
                &format!("{path}?nonsense=1"),
                r#"{"id": "x", "text": "t"}"#,
            ),
            400,
            "nonsense",
        );
    }
    let ok = r#"{"id": "x", "text": "some words here"}"#;
    assert_error(
        &post_json(a, "/v1/check?threshold=2", ok),
        400,
        "threshold must be between 0 and 1",
    );
    assert_error(
        &post_json(a, "/v1/check?containment=abc", ok),
        400,
        "containment",
    );
    assert_error(
        &post_json(a, "/v1/documents?threshold=0.9", ok),
        400,
        "/v1/check only",
    );
    assert_error(
        &get(a, "/v1/documents/nope"),
        404,
        "no document with id \"nope\"",
    );
    assert_error(
        &request(a, "DELETE", "/v1/documents/nope", &[], b"").expect("DELETE"),
        404,
        "no document",
    );
    assert_error(&get(a, "/v1/stories/nope"), 404, "no document with id");
    // A corpus page that is in no story.
    let stats_before = get(a, "/v1/stats").json();
    let single = corpus_records()
        .iter()
        .map(|l| json(l)["id"].as_str().unwrap_or("").to_string())
        .find(|id| get(a, &format!("/v1/stories/{id}")).status == 404)
        .expect("the corpus has a page in no story");
    assert_error(
        &get(a, &format!("/v1/stories/{single}")),
        404,
        "in no story",
    );
    assert_error(&get(a, "/v1/report?format=pdf"), 400, "unknown format");
    assert_error(&get(a, "/v1/nowhere"), 404, "no route GET /v1/nowhere");
    assert_error(
        &request(a, "PUT", "/v1/stats", &[], b"").expect("PUT"),
        405,
        "does not take PUT",
    );
    assert_error(&get(a, "/v1/check"), 405, "does not take GET");
    // Nothing above changed the index.
    assert_eq!(get(a, "/v1/stats").json(), stats_before);
    assert_eq!(stats_before["documents"], 63);
}

#[test]
fn writes_need_the_token_when_one_is_set_and_reads_do_not() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_index(tmp.path());
    let token_file = tmp.path().join("token");
    std::fs::write(&token_file, "correct-horse\n").expect("write token");
    let tf = token_file.to_str().expect("UTF-8 path");
    for (extra, env) in [
        (vec!["--token-file", tf], vec![]),
        (vec![], vec![("WIRECOPY_TOKEN", "correct-horse")]),
    ] {
        let s = Server::start(&dir, &extra, &env, &tmp.path().join("log"));
        let a = s.addr.as_str();
        let rec = load::fresh_record(77);
        let ct = ("Content-Type", "application/json");
        let r = request(a, "POST", "/v1/documents", &[ct], rec.as_bytes()).expect("POST");
        assert_error(&r, 401, "requires a bearer token");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        for wrong in [
            "Bearer correct-hors",
            "Bearer correct-horse2",
            "Basic correct-horse",
        ] {
            let r = request(
                a,
                "POST",
                "/v1/documents",
                &[ct, ("Authorization", wrong)],
                rec.as_bytes(),
            )
            .expect("POST");
            assert_eq!(r.status, 401, "{wrong}");
            let r = request(
                a,
                "DELETE",
                "/v1/documents/ap-harbor-origin",
                &[("Authorization", wrong)],
                b"",
            )
            .expect("DELETE");
            assert_eq!(r.status, 401, "{wrong}");
        }
        // An oversized unauthenticated write is refused for the token, before its body is read.
        let r = request(a, "POST", "/v1/documents", &[ct], &vec![b' '; 1 << 20]).expect("POST");
        assert_eq!(r.status, 401);
        assert_eq!(get(a, "/v1/documents/load-77").status, 404);
        assert_eq!(get(a, "/v1/documents/ap-harbor-origin").status, 200);
        // Reads and checks need no token.
        assert_eq!(post_json(a, "/v1/check", &rec).status, 200);
        assert_eq!(get(a, "/v1/stats").status, 200);
        let good = ("Authorization", "Bearer correct-horse");
        let r = request(a, "POST", "/v1/documents", &[ct, good], rec.as_bytes()).expect("POST");
        assert_eq!(r.status, 200, "{}", r.text());
        let r = request(a, "DELETE", "/v1/documents/load-77", &[good], b"").expect("DELETE");
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // An empty token file is an error, not an open server.
    std::fs::write(&token_file, "\n").expect("write token");
    let out = Command::new(serve::bin())
        .args(["serve", "--bind", "127.0.0.1:0", "--index"])
        .arg(&dir)
        .args(["--token-file", tf])
        .output()
        .expect("run serve");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is empty"));
}

#[test]
fn sigterm_finishes_syncs_and_exits_0_and_a_restart_serves_every_acknowledged_add() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_index(tmp.path());
    let log = tmp.path().join("log");
    let s = Server::start(&dir, &[], &[], &log);
    for n in 0..20 {
        assert_eq!(
            post_json(&s.addr, "/v1/documents", &load::fresh_record(n)).status,
            200
        );
    }
    let r = request(
        &s.addr,
        "DELETE",
        "/v1/documents/ap-harbor-origin",
        &[],
        b"",
    )
    .expect("DELETE");
    assert_eq!(r.status, 200);
    let status = s.terminate();
    assert_eq!(
        status.code(),
        Some(0),
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let s = Server::start(&dir, &[], &[], &log);
    for n in 0..20 {
        let d = get(&s.addr, &format!("/v1/documents/load-{n}"));
        assert_eq!(d.status, 200);
        assert_eq!(d.json()["text"], load::fresh_page(n));
    }
    assert_eq!(get(&s.addr, "/v1/documents/ap-harbor-origin").status, 404);
    assert_eq!(get(&s.addr, "/v1/stats").json()["documents"], 63 + 20 - 1);
}

/// 8 clients write (single documents and batches of three) until the server goes away;
/// `stop` ends it once 60 documents were acknowledged (a count, not a time). Then a restart
/// must serve every acknowledged document. Returns the stopped server's exit status, if any.
fn write_load_then(
    stop: impl FnOnce(Server) -> Option<std::process::ExitStatus>,
) -> Option<std::process::ExitStatus> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_index(tmp.path());
    let log = tmp.path().join("log");
    let s = Server::start(&dir, &["--log-format", "off"], &[], &log);
    let addr = s.addr.clone();
    let acked = std::sync::Mutex::new(Vec::<u64>::new());
    let status = std::thread::scope(|sc| {
        for c in 0..8u64 {
            let (acked, addr) = (&acked, addr.as_str());
            sc.spawn(move || {
                // Writes go on across the stop; the first refused connection ends the client.
                // Every answer is a 200: a stopping server finishes what it accepted.
                for k in 0..200 {
                    let base = 1000 * c + 4 * k;
                    let (body, ids): (String, Vec<u64>) = if k % 2 == 0 {
                        (load::fresh_record(base), vec![base])
                    } else {
                        let ids = vec![base, base + 1, base + 2];
                        let recs: Vec<String> =
                            ids.iter().map(|&n| load::fresh_record(n)).collect();
                        (format!("[{}]", recs.join(",")), ids)
                    };
                    match request(
                        addr,
                        "POST",
                        "/v1/documents",
                        &[("Content-Type", "application/json")],
                        body.as_bytes(),
                    ) {
                        Ok(r) if r.status == 200 => acked.lock().expect("lock").extend(ids),
                        Ok(r) => panic!("unexpected answer {} {}", r.status, r.text()),
                        Err(_) => break,
                    }
                }
            });
        }
        while acked.lock().expect("lock").len() < 60 {
            std::thread::yield_now();
        }
        stop(s)
    });
    let acked = acked.into_inner().expect("lock");
    assert!(acked.len() >= 60);
    let s = Server::start(&dir, &["--log-format", "off"], &[], &log);
    for n in &acked {
        let d = get(&s.addr, &format!("/v1/documents/load-{n}"));
        assert_eq!(
            d.status, 200,
            "acknowledged document load-{n} is missing after the restart"
        );
        assert_eq!(d.json()["text"], load::fresh_page(*n));
    }
    status
}

#[test]
fn kill_9_during_a_write_load_loses_no_acknowledged_document() {
    write_load_then(|s| {
        s.kill9();
        None
    });
}

#[test]
fn sigterm_during_a_write_load_finishes_in_flight_writes_and_exits_0() {
    let status = write_load_then(|s| Some(s.terminate()));
    assert_eq!(status.and_then(|s| s.code()), Some(0));
}

#[test]
fn sixty_four_clients_mixed_load_gets_no_error_and_the_answers_of_query() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_index(tmp.path());
    let records = corpus_records();
    // The answers before the load: fresh pages share no shingle with the corpus nor with each
    // other, so the adds of the load change no decision about the corpus (checks answer as
    // `query` does before the load), and each add answers as `index add` of it alone does.
    let expected_checks = query_lines(&dir, &records, tmp.path());
    let (clients, checks, adds) = (64, 6, 3);
    let fresh: Vec<String> = (0..(clients * adds) as u64)
        .map(load::fresh_record)
        .collect();
    let expected_adds = index_add_lines(&dir, &fresh, tmp.path());
    let s = Server::start(&dir, &["--log-format", "off"], &[], &tmp.path().join("log"));
    let r = load::run(&s.addr, clients, checks, adds, &records, 0, None);
    assert!(r.failures.is_empty(), "{:?}", r.failures);
    assert_eq!(r.answers.len(), clients * (checks + adds));
    let by_id = |lines: &[String]| -> std::collections::HashMap<String, String> {
        lines
            .iter()
            .map(|l| (json(l)["id"].to_string(), l.clone()))
            .collect()
    };
    let (want_c, want_a) = (by_id(&expected_checks), by_id(&expected_adds));
    for (kind, id, status, body) in &r.answers {
        assert_eq!(*status, 200, "{kind:?} {id}: {body}");
        let want = match kind {
            load::Kind::Check => &want_c[id],
            load::Kind::Add => &want_a[&format!("\"{id}\"")],
        };
        assert_eq!(body, want, "{kind:?} {id}");
    }
    let stats = get(&s.addr, "/v1/stats").json();
    assert_eq!(stats["documents"], 63 + clients * adds);
}

#[test]
fn a_request_that_outlasts_the_timeout_gets_a_json_503() {
    use std::io::{Read, Write};
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = demo_index(tmp.path());
    let s = Server::start(
        &dir,
        &["--timeout", "1", "--log-format", "off"],
        &[],
        &tmp.path().join("log"),
    );
    // A client that announces 1,000 bytes and sends 10: the request cannot finish, and the
    // server answers when its timeout runs out instead of holding the connection.
    let mut c = std::net::TcpStream::connect(&s.addr).expect("connect");
    write!(
        c,
        "POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"id\": 1,"
    )
    .expect("write");
    c.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .expect("read timeout");
    let mut raw = Vec::new();
    let _ = c.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(
        text.contains("\"error\":\"the request took longer than 1 s"),
        "{text}"
    );
    // The server is still well.
    assert_eq!(get(&s.addr, "/v1/health").status, 200);
}
