//! Issue 10, the output and parameter side: parameters checked before any work, `-o` onto
//! devices, FIFOs, symlinks and inputs, temporary files and spill folders removed on SIGINT,
//! and input text that reaches a terminal, a browser or a spreadsheet made harmless.

mod common;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn wirecopy() -> Command {
    Command::cargo_bin("wirecopy").expect("binary built")
}

fn corpus_file(dir: &Path) -> PathBuf {
    let p = dir.join("corpus.jsonl");
    std::fs::write(&p, common::to_jsonl(&common::small_corpus())).expect("write corpus");
    p
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `wirecopy scan INPUT ARGS...`, which must succeed.
fn scan_ok<S: AsRef<std::ffi::OsStr>>(input: &Path, args: &[S]) -> std::process::Output {
    let out = wirecopy()
        .arg("scan")
        .arg(input)
        .args(args)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    out
}

#[test]
fn bad_parameters_are_refused_before_any_input_is_read() {
    // The input does not exist: an error naming the flag proves the check came first.
    for (flag, value) in [
        ("--threads", "100000"),
        ("--threads", "0"),
        ("--num-perm", "1000000"),
        ("--num-perm", "0"),
        ("--guard-factor", "nan"),
        ("--guard-factor", "inf"),
        ("--guard-factor", "1.5"),
        ("--threshold", "NaN"),
        ("--threshold", "-0.1"),
        ("--containment", "infinity"),
        ("--lsh-threshold", "1"),
        ("--lsh-threshold", "nan"),
        ("--shingle-size", "0"),
        ("--shingle-size", "200"),
        ("--min-shingles", "-1"),
        ("--bands", "100000"),
    ] {
        // `--flag=value`, so that clap reads "-0.1" as a value, not as a flag.
        let arg = format!("{flag}={value}");
        let mut args = vec!["scan", "/nonexistent/input.jsonl", arg.as_str()];
        if flag == "--bands" {
            args.extend(["--rows", "1"]);
        }
        let out = wirecopy().args(&args).output().expect("runs");
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(1), "{flag} {value}: {err}");
        assert!(
            err.contains(flag) && err.contains(value),
            "{flag} {value}: the message names both: {err}"
        );
        assert!(
            !err.contains("/nonexistent"),
            "{flag} {value}: input was read: {err}"
        );
    }
}

#[test]
fn good_parameters_at_the_limits_are_accepted() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = corpus_file(dir.path());
    scan_ok(
        &input,
        &["--threads", "1024", "--guard-factor", "1", "--quiet"],
    );
}

#[cfg(unix)]
#[test]
fn output_onto_a_device_is_written_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().expect("tmp");
    let input = corpus_file(dir.path());
    scan_ok(&input, &["-q", "-o", "/dev/null"]);
    let m = std::fs::symlink_metadata("/dev/null").expect("/dev/null");
    assert!(
        m.file_type().is_char_device(),
        "/dev/null is still a device"
    );

    // /dev/stdout is a symlink into /proc: it reaches the pipe assert_cmd reads.
    let out = scan_ok(&input, &["-q", "--format", "jsonl", "-o", "/dev/stdout"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"members\""));
}

#[cfg(unix)]
#[test]
fn output_onto_a_fifo_streams_into_it() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().expect("tmp");
    let input = corpus_file(dir.path());
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).expect("read the fifo"))
    };
    scan_ok(
        &input,
        &["-q", "--format", "csv", "-o", fifo.to_str().expect("utf-8")],
    );
    let text = reader.join().expect("reader");
    assert!(text.starts_with("id,cluster,similarity"), "{text}");
    let m = std::fs::symlink_metadata(&fifo).expect("fifo");
    assert!(m.file_type().is_fifo(), "the FIFO is still a FIFO");
}

#[cfg(unix)]
#[test]
fn output_onto_a_symlink_replaces_its_target() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = corpus_file(dir.path());
    let real = dir.path().join("real.csv");
    std::fs::write(&real, "old").expect("write");
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    scan_ok(
        &input,
        &["-q", "--format", "csv", "-o", link.to_str().expect("utf-8")],
    );
    assert!(std::fs::symlink_metadata(&link)
        .expect("link")
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(&real)
        .expect("target")
        .starts_with("id,cluster"));
}

#[test]
fn output_that_is_an_input_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = corpus_file(dir.path());
    let before = std::fs::read(&input).expect("read");
    let other = dir.path().join("other.jsonl");
    std::fs::write(&other, "").expect("write");
    let same_by_another_name = dir.path().join(".").join("corpus.jsonl");
    for flag in ["-o", "--save-index"] {
        let out = wirecopy()
            .arg("scan")
            .arg(&other)
            .arg(&input)
            .arg("-q")
            .arg(flag)
            .arg(&same_by_another_name)
            .output()
            .expect("runs");
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(flag) && err.contains("input"), "{err}");
    }
    assert_eq!(
        std::fs::read(&input).expect("read"),
        before,
        "input untouched"
    );
}

/// Many pairs of long documents: rendering their HTML side-by-side views keeps the temporary
/// output file open for a while.
fn large_input(dir: &Path) -> PathBuf {
    let p = dir.join("large.jsonl");
    let mut s = String::new();
    for i in 0..1200 {
        let text: Vec<String> = (0..40)
            .map(|l| {
                format!(
                    "Paragraph {l} of story {i} tells of harbour {} cranes and {} ships at dawn near pier {l}.",
                    i * 7 + l,
                    i * 13 + l
                )
            })
            .collect();
        let text = text.join("\n");
        for copy in 0..2 {
            let v = serde_json::json!({"id": format!("s{i}-{copy}"), "text": format!("{text}\nExtra {copy}")});
            s.push_str(&v.to_string());
            s.push('\n');
        }
    }
    std::fs::write(&p, s).expect("write");
    p
}

/// Entries of `dir` whose names start with `prefix`.
fn entries_named(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect()
}

/// Run `wirecopy scan <input> -q --threads 1 <args>`, poll (bounded) until an entry named
/// `prefix` appears in `watched`, interrupt it with SIGINT, and check it exits with 130 and
/// leaves no such entry behind.
#[cfg(unix)]
fn interrupt_once_seen(input: &Path, args: &[&std::ffi::OsStr], watched: &Path, prefix: &str) {
    let bin = assert_cmd::cargo::cargo_bin("wirecopy");
    let mut child = std::process::Command::new(bin)
        .arg("scan")
        .arg(input)
        .args(["-q", "--threads", "1"])
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut seen = false;
    for _ in 0..120_000 {
        if !entries_named(watched, prefix).is_empty() {
            seen = true;
            break;
        }
        if child.try_wait().expect("try_wait").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert!(seen, "the run ended before a {prefix}* entry was seen");
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(130),
        "exit by SIGINT: {}",
        stderr_of(&out)
    );
    assert!(
        entries_named(watched, prefix).is_empty(),
        "{prefix}* entries left: {:?}",
        entries_named(watched, prefix)
    );
}

#[cfg(unix)]
#[test]
fn sigint_while_writing_removes_the_temporary_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = large_input(dir.path());
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).expect("mkdir");
    let report = out_dir.join("report.html");
    // Interrupted once the output's temporary file exists.
    let args = [
        "--format".as_ref(),
        "html".as_ref(),
        "-o".as_ref(),
        report.as_os_str(),
    ];
    interrupt_once_seen(&input, &args, &out_dir, ".wirecopy-");
    assert!(!report.exists(), "no half report");
}

#[cfg(unix)]
#[test]
fn sigint_during_a_scan_under_a_memory_limit_removes_its_spill_folders() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = large_input(dir.path());
    let spill = dir.path().join("spill");
    std::fs::create_dir(&spill).expect("mkdir");
    let out = dir.path().join("out.json");
    // Texts go to a spill folder as they are read: interrupted once one exists.
    let args = [
        "--memory-limit".as_ref(),
        "1K".as_ref(),
        "--spill-dir".as_ref(),
        spill.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ];
    interrupt_once_seen(&input, &args, &spill, "wirecopy-spill-");
    assert!(!out.exists(), "no half report");
}

fn hostile_corpus(dir: &Path) -> PathBuf {
    let story = common::small_corpus()[0]["text"]
        .as_str()
        .expect("text")
        .to_string();
    let docs = [
        (
            "=HYPERLINK(\"http://evil\")",
            "javascript:alert(1)",
            "\u{1b}]0;owned\u{7}Title \u{1b}[31mred",
        ),
        ("h2", "https://example.com/a?b=1&c=2", "plain"),
        ("@h3", " vbscript:msgbox(1)", "x"),
        ("-h4", "data:text/html,<script>alert(1)</script>", "y"),
    ];
    let mut s = String::new();
    for (i, (id, url, title)) in docs.iter().enumerate() {
        let v = serde_json::json!({"id": id, "url": url, "title": title, "site": if i == 0 { "\u{1b}]0;owned\u{7}site0.com".to_string() } else { format!("site{i}.com") }, "text": format!("{story}\nExtra line {i}")});
        s.push_str(&v.to_string());
        s.push('\n');
    }
    let p = dir.join("hostile.jsonl");
    std::fs::write(&p, s).expect("write");
    p
}

fn render(input: &Path, format: &str) -> String {
    String::from_utf8(scan_ok(input, &["-q", "--format", format]).stdout).expect("utf8")
}

#[test]
fn html_links_only_http_urls() {
    let dir = tempfile::tempdir().expect("tmp");
    let html = render(&hostile_corpus(dir.path()), "html");
    assert!(html.contains(r#"href="https://example.com/a?b=1&amp;c=2""#));
    let hrefs = html.matches("href=").count();
    assert_eq!(hrefs, 1, "only the https URL is a link");
    assert!(html.contains("javascript:alert(1)"), "shown as text");
    assert!(!html.contains("<script>alert"), "escaped");
    assert!(!html.contains("unsafe-inline"));
    assert!(html.contains("script-src 'sha256-"));
}

#[test]
fn text_escapes_control_characters() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = render(&hostile_corpus(dir.path()), "text");
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "no raw control characters: {text:?}"
    );
    assert!(text.contains("\\u{1b}]0;owned\\u{7}"), "{text}");
}

#[test]
fn csv_neutralises_formulas() {
    let dir = tempfile::tempdir().expect("tmp");
    let csv = render(&hostile_corpus(dir.path()), "csv");
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let ids: Vec<String> = r
        .records()
        .map(|rec| rec.expect("row")[0].to_string())
        .collect();
    assert!(
        ids.contains(&"'=HYPERLINK(\"http://evil\")".to_string()),
        "{ids:?}"
    );
    assert!(ids.contains(&"'@h3".to_string()), "{ids:?}");
    assert!(ids.contains(&"'-h4".to_string()), "{ids:?}");
    assert!(ids.contains(&"h2".to_string()), "{ids:?}");
    for rec in csv::Reader::from_reader(csv.as_bytes()).records() {
        for cell in rec.expect("row").iter() {
            assert!(
                !cell.starts_with(['=', '+', '@', '\t', '\r']),
                "formula cell {cell:?}"
            );
        }
    }
}
