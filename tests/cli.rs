//! The `wirecopy` binary: formats, bad input, exit codes, determinism.

mod common;

use assert_cmd::Command;
use std::io::Write;

fn wirecopy() -> Command {
    Command::cargo_bin("wirecopy").expect("binary built")
}

fn corpus_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let p = dir.path().join("corpus.jsonl");
    std::fs::write(&p, common::to_jsonl(&common::small_corpus())).expect("write corpus");
    p
}

fn scan(args: &[&str], input: &std::path::Path) -> (String, String, i32) {
    let out = wirecopy()
        .arg("scan")
        .arg(input)
        .args(args)
        .arg("--quiet")
        .output()
        .expect("runs");
    (
        String::from_utf8(out.stdout).expect("utf8"),
        String::from_utf8(out.stderr).expect("utf8"),
        out.status.code().unwrap_or(-1),
    )
}

fn cluster_ids(jsonl: &str) -> Vec<Vec<String>> {
    jsonl
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json line");
            let mut ids: Vec<String> = v["members"]
                .as_array()
                .expect("members")
                .iter()
                .map(|m| m["id"].to_string())
                .collect();
            ids.sort();
            ids
        })
        .collect()
}

#[test]
fn finds_the_planted_copies() {
    let dir = tempfile::tempdir().expect("tmp");
    let (out, err, code) = scan(&["--format", "jsonl"], &corpus_file(&dir));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        cluster_ids(&out),
        vec![
            vec!["\"storm-ap\"", "\"storm-copy\"", "\"storm-cut\""],
            vec!["17", "18"],
            vec!["\"brief-copy\"", "\"brief-wire\""],
        ]
    );
}

#[test]
fn jsonl_contract() {
    let dir = tempfile::tempdir().expect("tmp");
    let (out, _, _) = scan(&["--format", "jsonl"], &corpus_file(&dir));
    for (i, line) in out.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        assert_eq!(v["cluster"], i + 1);
        let members = v["members"].as_array().expect("array");
        assert_eq!(v["size"], members.len());
        assert!(members.len() >= 2);
        assert!(members.iter().all(|m| m.get("url").is_some()));
    }
    // Numeric ids come back as numbers.
    assert!(out.contains("\"id\":17"));
}

#[test]
fn every_format_snapshot() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = corpus_file(&dir);
    // The one snapshot set of the output formats (reviewed like code).
    for format in ["text", "json", "jsonl", "csv", "html"] {
        let (out, err, code) = scan(&["--format", format], &input);
        assert_eq!(code, 0, "{err}");
        insta::assert_snapshot!(format!("format_{format}"), out);
    }
}

#[test]
fn output_file_is_written_whole() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = corpus_file(&dir);
    let target = dir.path().join("out.csv");
    let (stdout, _, code) = scan(
        &["--format", "csv", "-o", target.to_str().expect("utf8")],
        &input,
    );
    assert_eq!(code, 0);
    assert!(stdout.is_empty(), "stdout carries nothing when -o is given");
    let csv = std::fs::read_to_string(&target).expect("written");
    assert!(csv.starts_with("id,cluster,similarity"));
    assert_eq!(csv.lines().count(), 1 + common::small_corpus().len());
}

#[test]
fn determinism_threads_and_input_order() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut docs = common::small_corpus();
    let a = dir.path().join("a.jsonl");
    std::fs::write(&a, common::to_jsonl(&docs)).expect("write");
    docs.reverse();
    docs.rotate_left(3);
    let b = dir.path().join("b.jsonl");
    std::fs::write(&b, common::to_jsonl(&docs)).expect("write");
    for format in ["json", "csv"] {
        let (one, _, _) = scan(&["--format", format, "--threads", "1"], &a);
        let (all, _, _) = scan(&["--format", format], &a);
        let (shuffled, _, _) = scan(&["--format", format, "--threads", "2"], &b);
        assert_eq!(one, all);
        assert_eq!(one, shuffled);
    }
}

#[test]
fn a_memory_limit_spills_to_disk_and_changes_no_byte_of_the_report() {
    // The demo corpus, whose stories are copied onto many sites: with a tiny limit every band's
    // candidate pairs go to runs on disk and are merged back.
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/wire.jsonl");
    let spill = tempfile::tempdir().expect("tmp");
    let (memory, _, code) = scan(&["--format", "json"], &corpus);
    assert_eq!(code, 0);
    let out = wirecopy()
        .arg("scan")
        .arg(&corpus)
        .args(["--format", "json", "--memory-limit", "1K", "--spill-dir"])
        .arg(spill.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).expect("utf8"), memory);
    let stderr = String::from_utf8(out.stderr).expect("utf8");
    assert!(
        stderr.contains("of candidate pairs and shingle statistics spilled to disk"),
        "{stderr}"
    );
    // What stays in memory (lines, signatures, verified pairs) looks larger than 1 KiB: the
    // user is told.
    assert!(
        stderr.contains("warning: --memory-limit 1024 bytes"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(spill.path()).expect("ls").count(), 0);
    // The texts went to disk as they were read; an index keeps them all, read back in
    // document order: the same bytes as the index of a scan in memory.
    let saved = tempfile::tempdir().expect("tmp");
    let (held, limited) = (
        saved.path().join("held.idx"),
        saved.path().join("limited.idx"),
    );
    for (index, limit) in [(&held, None), (&limited, Some("1K"))] {
        let mut cmd = wirecopy();
        cmd.arg("scan")
            .arg(&corpus)
            .args(["-q", "--format", "json", "--save-index"]);
        cmd.arg(index);
        if let Some(limit) = limit {
            cmd.args(["--memory-limit", limit]);
        }
        let out = cmd.output().expect("runs");
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(String::from_utf8(out.stdout).expect("utf8"), memory);
    }
    assert!(
        std::fs::read(&held).expect("index") == std::fs::read(&limited).expect("index"),
        "the same index"
    );
    for bad in ["0", "12X", "1.5G"] {
        let (_, err, code) = scan(&["--memory-limit", bad], &corpus);
        assert_eq!(code, 1, "--memory-limit {bad}");
        assert!(err.contains("--memory-limit"), "{err}");
    }
}

#[test]
fn bad_input_is_reported_and_skipped() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("bad.jsonl");
    let mut body = common::to_jsonl(&common::small_corpus()).into_bytes();
    body.extend_from_slice(b"{\"id\": \"x\", \"text\": \n");
    body.extend_from_slice(b"{\"id\": \"y\", \"text\": \"caf\xe9\"}\n");
    body.extend_from_slice(b"{\"text\": \"no id here\"}\n");
    body.extend_from_slice(b"{\"id\": \"z\"}\n");
    body.extend_from_slice(b"{\"id\": \"e\", \"text\": \"   \"}\n");
    body.extend_from_slice(b"{\"id\": [1], \"text\": \"array id\"}\n");
    std::fs::write(&p, body).expect("write");
    let (out, err, code) = scan(&["--format", "jsonl"], &p);
    assert_eq!(code, 2, "exit code 2 when records were skipped");
    let n = common::small_corpus().len();
    let name = p.display().to_string();
    for (line, what) in [
        (n + 1, "malformed JSON"),
        (n + 2, "invalid UTF-8"),
        (n + 3, "missing field \"id\""),
        (n + 4, "missing field \"text\""),
        (n + 5, "empty document"),
        (n + 6, "field \"id\" must be a string or number"),
    ] {
        let needle = format!("skipped: reading {name} line {line}: {what}");
        assert!(err.contains(&needle), "stderr lacks {needle:?}:\n{err}");
    }
    assert_eq!(
        cluster_ids(&out).len(),
        3,
        "the good records are still scanned"
    );
}

#[test]
fn truncated_gzip_is_reported_and_the_rest_scanned() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(common::to_jsonl(&common::small_corpus()).as_bytes())
        .expect("gz");
    let gz = enc.finish().expect("gz");
    let p = dir.path().join("cut.jsonl.gz");
    std::fs::write(&p, &gz[..gz.len() * 2 / 3]).expect("write");
    let good = corpus_file(&dir);
    let out = wirecopy()
        .args(["scan", "--quiet", "--format", "jsonl"])
        .arg(&p)
        .arg(&good)
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.lines().any(|l| l.starts_with("skipped: reading ")
            && l.contains("cut.jsonl.gz line ")
            && l.contains(": truncated or corrupt input, rest of file skipped")),
        "{err}"
    );
}

#[test]
fn compressed_stdin_and_folders_and_remapped_fields() {
    let dir = tempfile::tempdir().expect("tmp");
    let jsonl = common::to_jsonl(&common::small_corpus());
    let plain = {
        let (o, _, _) = scan(&["--format", "jsonl"], &corpus_file(&dir));
        o
    };
    // zstd file
    let z = dir.path().join("c.jsonl.zst");
    std::fs::write(&z, zstd::encode_all(jsonl.as_bytes(), 3).expect("zstd")).expect("write");
    assert_eq!(scan(&["--format", "jsonl"], &z).0, plain);
    // stdin, gzip-compressed
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(jsonl.as_bytes()).expect("gz");
    let out = wirecopy()
        .args(["scan", "-", "--quiet", "--format", "jsonl"])
        .write_stdin(enc.finish().expect("gz"))
        .output()
        .expect("runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout), plain);
    // remapped field names
    let renamed = jsonl
        .replace("\"text\":", "\"body\":")
        .replace("\"id\":", "\"doc\":");
    let r = dir.path().join("r.jsonl");
    std::fs::write(&r, renamed).expect("write");
    assert_eq!(
        scan(
            &[
                "--format",
                "jsonl",
                "--text-field",
                "body",
                "--id-field",
                "doc"
            ],
            &r
        )
        .0,
        plain
    );
    // a folder of .txt files: ids are relative paths
    let folder = dir.path().join("txt");
    std::fs::create_dir_all(folder.join("sub")).expect("mkdir");
    for d in common::small_corpus() {
        let name = d["id"].to_string().replace('"', "");
        let sub = if name.starts_with("storm") {
            "sub/"
        } else {
            ""
        };
        std::fs::write(
            folder.join(format!("{sub}{name}.txt")),
            d["text"].as_str().expect("text"),
        )
        .expect("write");
    }
    let (out, _, code) = scan(&["--format", "jsonl"], &folder);
    assert_eq!(code, 0);
    assert!(
        out.contains("\"sub/storm-ap.txt\"") && out.contains("\"17.txt\""),
        "{out}"
    );
}

#[test]
fn near_empty_documents_never_cluster() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("tiny.jsonl");
    std::fs::write(&p, "{\"id\":\"a\",\"text\":\"Photo gallery\"}\n{\"id\":\"b\",\"text\":\"Photo gallery\"}\n{\"id\":\"c\",\"text\":\"Video\"}\n{\"id\":\"d\",\"text\":\"Video\"}\n").expect("write");
    let (out, _, code) = scan(&["--format", "jsonl"], &p);
    assert_eq!(code, 0);
    assert!(out.is_empty(), "{out}");
}

#[test]
fn bad_arguments_and_missing_inputs_are_fatal() {
    let out = wirecopy()
        .args(["scan", "/nonexistent/x.jsonl"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.jsonl"));
    let out = wirecopy()
        .args(["scan", "x", "--threshold", "2"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let out = wirecopy()
        .args([
            "scan",
            "x",
            "--num-perm",
            "64",
            "--bands",
            "20",
            "--rows",
            "4",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bands"));
}

#[test]
fn eval_scores_clusters() {
    let dir = tempfile::tempdir().expect("tmp");
    let (out, _, _) = scan(&["--format", "jsonl"], &corpus_file(&dir));
    let clusters = dir.path().join("c.jsonl");
    std::fs::write(&clusters, out).expect("write");
    let truth = dir.path().join("t.jsonl");
    let mut t = String::new();
    for d in common::small_corpus() {
        let id = d["id"].clone();
        let label = match id.to_string().as_str() {
            "\"storm-ap\"" | "\"storm-copy\"" | "\"storm-cut\"" => "storm".to_string(),
            "17" | "18" => "bank".to_string(),
            "\"brief-wire\"" | "\"brief-copy\"" => "brief".to_string(),
            other => other.to_string(),
        };
        t.push_str(&serde_json::json!({"id": id, "cluster": label}).to_string());
        t.push('\n');
    }
    std::fs::write(&truth, t).expect("write");
    let out = wirecopy()
        .args(["eval", "--format", "json", "--truth"])
        .arg(&truth)
        .arg(&clusters)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(s["ari"], 1.0);
    assert_eq!(s["precision"], 1.0);
    let text = wirecopy()
        .args(["eval", "--truth"])
        .arg(&truth)
        .arg(&clusters)
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&text.stdout).contains("ARI 1.0000"));
}

#[test]
fn max_record_size_is_documented_and_must_be_positive() {
    let help = wirecopy().args(["scan", "--help"]).output().expect("runs");
    assert!(String::from_utf8_lossy(&help.stdout).contains("--max-record-size <BYTES>"));
    let tmp = tempfile::tempdir().expect("tmp");
    let input = corpus_file(&tmp);
    let out = wirecopy()
        .arg("scan")
        .arg(&input)
        .args(["--max-record-size", "0"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    // A limit below the corpus's longest line skips those lines, reported, exit 2.
    let (_, stderr, code) = scan(&["--max-record-size", "200", "--format", "jsonl"], &input);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("is over the record size limit of 200 bytes (--max-record-size)"),
        "{stderr}"
    );
}

/// One line of `scan --timings`: stage name, seconds, share in percent.
type TimingLine = (String, f64, f64);

/// The stage lines of `scan --timings`, and the total line's seconds and share.
fn timing_lines(stderr: &str) -> (Vec<TimingLine>, Option<(f64, f64)>) {
    let mut stages = Vec::new();
    let mut total = None;
    let body = stderr
        .split_once("wirecopy: stage timings (wall clock)\n")
        .map_or("", |(_, b)| b);
    for l in body.lines() {
        // "<name padded to 16><seconds> s<share> %": the name may hold a space.
        let (name, rest) = l.split_at(16.min(l.len()));
        let nums: Vec<f64> = rest
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        assert_eq!(
            nums.len(),
            2,
            "a timing line has seconds and a share: {l:?}"
        );
        if name.trim() == "total" {
            total = Some((nums[0], nums[1]));
        } else {
            stages.push((name.trim().to_string(), nums[0], nums[1]));
        }
    }
    (stages, total)
}

#[test]
fn timings_name_every_stage_and_change_no_output() {
    let tmp = tempfile::tempdir().expect("tmp");
    let input = corpus_file(&tmp);
    let index = tmp.path().join("index.wcx");
    for format in ["jsonl", "json", "csv", "text", "html"] {
        let (plain, _, code) = scan(&["--format", format], &input);
        assert_eq!(code, 0);
        let (timed, stderr, code) = scan(&["--format", format, "--timings"], &input);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(plain, timed, "{format}: stdout is the same with --timings");
        let (stages, total) = timing_lines(&stderr);
        let names: Vec<&str> = stages.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "read",
                "normalize",
                "story groups",
                "chrome stats",
                "shingle",
                "sign",
                "lsh candidates",
                "verify",
                "cluster",
                "report",
                "write"
            ],
            "{stderr}"
        );
        let shares: f64 = stages.iter().map(|(_, _, s)| s).sum();
        // Each share is rounded to 0.1 %: eleven of them may be off by 0.55 % together.
        assert!(
            (shares - 100.0).abs() < 0.6,
            "shares sum to {shares}: {stderr}"
        );
        let (secs, share) = total.expect("a total line");
        assert_eq!(share, 100.0, "{stderr}");
        let sum: f64 = stages.iter().map(|(_, s, _)| s).sum();
        assert!(
            (sum - secs).abs() < 0.001 * 12.0,
            "{sum} vs {secs}: {stderr}"
        );
    }
    // Written files are byte-identical too, and saving an index is a stage of its own.
    let a = tmp.path().join("a.jsonl");
    let b = tmp.path().join("b.jsonl");
    let (_, _, code) = scan(
        &["--format", "jsonl", "-o", a.to_str().expect("utf8")],
        &input,
    );
    assert_eq!(code, 0);
    let out = wirecopy()
        .arg("scan")
        .arg(&input)
        .args(["--format", "jsonl", "--timings", "-o"])
        .arg(&b)
        .arg("--save-index")
        .arg(&index)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("documents,"),
        "the summary still comes first: {stderr}"
    );
    let (stages, _) = timing_lines(&stderr);
    assert!(stages.iter().any(|(n, _, _)| n == "save index"), "{stderr}");
    assert_eq!(
        std::fs::read(&a).expect("a"),
        std::fs::read(&b).expect("b"),
        "the output file does not depend on --timings"
    );
}
