//! Helpers of the service tests: start the real `wirecopy serve` on 127.0.0.1 with a port the
//! system chooses, build an index, find the Python tools, and the bounded load run shared with
//! `examples/serve_load.rs`.
#![allow(dead_code)] // Each test binary uses a different subset of these helpers.

pub mod http;
pub mod load;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};

/// The binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_wirecopy"))
}

/// The demo corpus.
pub fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/wire.jsonl")
}

/// `wirecopy index build INPUT --index DIR`.
pub fn build_index(input: &Path, dir: &Path) {
    let out = Command::new(bin())
        .args(["index", "build"])
        .arg(input)
        .arg("--index")
        .arg(dir)
        .output()
        .expect("run wirecopy index build");
    assert!(
        out.status.success(),
        "index build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A running `wirecopy serve`; killed when dropped.
pub struct Server {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// Where its stderr (the access log) goes.
    pub log: PathBuf,
}

impl Server {
    /// Start `wirecopy serve --index DIR --bind 127.0.0.1:0 EXTRA...` with `env` set, its
    /// stderr going to `log`, and wait for the address it prints.
    pub fn start(dir: &Path, extra: &[&str], env: &[(&str, &str)], log: &Path) -> Server {
        let err = std::fs::File::create(log).expect("create the log file");
        let mut cmd = Command::new(bin());
        cmd.args(["serve", "--index"])
            .arg(dir)
            .args(["--bind", "127.0.0.1:0"])
            .args(extra)
            .env_remove("WIRECOPY_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(err);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn wirecopy serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the address line");
        let Some(addr) = line.trim().strip_prefix("listening on http://") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "serve printed {line:?}; stderr: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        };
        Server {
            child,
            addr: addr.to_string(),
            log: log.to_path_buf(),
        }
    }

    /// Send SIGTERM and wait for the exit status.
    pub fn terminate(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(ok.success());
        self.child.wait().expect("wait for serve")
    }

    /// SIGKILL it.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The access log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Python interpreter that has `modules`, or `None` with a visible skip message. Under CI
/// (`CI=true`) a missing module is a failure. `.ci/deps/service.sh` installs them.
pub fn python_with(modules: &[&str]) -> Option<String> {
    let py = std::env::var("WIRECOPY_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let probe = if modules.is_empty() {
        "pass".to_string()
    } else {
        format!("import {}", modules.join(", "))
    };
    let ok = Command::new(&py)
        .args(["-c", &probe])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(py);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but {py} lacks {modules:?} (.ci/deps/service.sh installs them)");
    }
    // Straight to the process's stderr: the test harness captures `eprintln!` of a passing
    // test, which would hide the skip.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {py} lacks {modules:?}; run `bash .ci/deps/service.sh` to install them"
    );
    None
}
