//! Property-based API fuzzing of `wirecopy serve` against its own OpenAPI document, with
//! schemathesis: requests generated from the served `/v1/openapi.json` (coverage, fuzzing and
//! stateful phases, a bounded number of examples, a fixed seed), and every answer checked: no
//! 5xx, a documented status and content type, a body that matches the response schema.
//!
//! Needs python3 with schemathesis (`.ci/deps/service.sh`); without it the test says SKIPPED
//! and passes, except under CI=true where it fails.

mod serve;

use serve::{build_index, corpus, Server};
use std::process::Command;

#[test]
fn schemathesis_finds_no_5xx_and_no_answer_outside_the_schema() {
    let Some(py) = serve::python_with(&["schemathesis"]) else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("index");
    build_index(&corpus(), &dir);
    let s = Server::start(
        &dir,
        &["--log-format", "off", "--max-batch", "50"],
        &[],
        &tmp.path().join("log"),
    );
    let base = format!("http://{}", s.addr);
    let out = Command::new(&py)
        .args(["-m", "schemathesis.cli", "run"])
        .arg(format!("{base}/v1/openapi.json"))
        .args(["--url", &base])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--max-examples",
            "25",
            "--seed",
            "1",
            "--no-color",
            "--warnings",
            "off",
        ])
        .env("SCHEMATHESIS_HOOKS", "")
        .current_dir(tmp.path())
        .output()
        .expect("run schemathesis");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // It did test the operations (a schema it could not load would test none).
    assert!(text.contains("Tested: 8"), "{text}");
    // And the server is still well.
    assert_eq!(serve::http::get(&s.addr, "/v1/health").status, 200);
}
