//! A bounded mixed load on a running service: `clients` threads, each sending `checks` checks
//! of the given documents and `adds` adds of fresh ones, interleaved. Shared by the load test
//! (tests/service.rs), which compares the answers with `wirecopy query`, and the benchmark
//! (examples/serve_load.rs), which reports throughput and latency.

use super::http;
use std::time::{Duration, Instant};

/// What a run saw.
pub struct LoadResult {
    /// Every answer: (kind, the document's id, status, body).
    pub answers: Vec<(Kind, String, u16, String)>,
    /// Latency of every request.
    pub latencies: Vec<Duration>,
    /// Requests that got no answer at all.
    pub failures: Vec<String>,
    /// Wall time of the run.
    pub elapsed: Duration,
}

/// A request's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Check,
    Add,
}

/// A page of invented words, unique to `n`: it shares no word shingle with English text nor
/// with another such page, so adding it changes no decision about the corpus.
pub fn fresh_page(n: u64) -> String {
    const SYL: [&str; 16] = [
        "ka", "zu", "mir", "tol", "vek", "sha", "dro", "pim", "quo", "rel", "fay", "gon", "bix",
        "lut", "wen", "yor",
    ];
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut lines = Vec::new();
    for _ in 0..4 {
        let words: Vec<String> = (0..18)
            .map(|_| {
                let k = 2 + (next() % 3) as usize;
                (0..k).map(|_| SYL[(next() % 16) as usize]).collect()
            })
            .collect();
        lines.push(format!("{}.", words.join(" ")));
    }
    lines.join("\n")
}

/// The JSON record of fresh page `n`.
pub fn fresh_record(n: u64) -> String {
    serde_json::json!({
        "id": format!("load-{n}"),
        "url": format!("https://load-{}.example/story/{n}", n % 7),
        "text": fresh_page(n),
    })
    .to_string()
}

/// Run the load. `checks_of[i]` is a JSON record to check; client `c` checks records
/// `c * checks + j` (modulo their number) and adds fresh pages `c * adds + j` (plus `offset`).
pub fn run(
    addr: &str,
    clients: usize,
    checks: usize,
    adds: usize,
    records: &[String],
    offset: u64,
    token: Option<&str>,
) -> LoadResult {
    let start = Instant::now();
    let auth = token.map(|t| format!("Bearer {t}"));
    let per: Vec<LoadResult> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                let auth = auth.clone();
                s.spawn(move || {
                    let mut r = LoadResult {
                        answers: Vec::new(),
                        latencies: Vec::new(),
                        failures: Vec::new(),
                        elapsed: Duration::ZERO,
                    };
                    let (mut i, mut j) = (0, 0);
                    while i < checks || j < adds {
                        // Interleave: a check, then an add, while both remain.
                        let (kind, path, body, id) = if i < checks && (i <= j || j >= adds) {
                            let rec = &records[(c * checks + i) % records.len()];
                            i += 1;
                            let id = serde_json::from_str::<serde_json::Value>(rec)
                                .ok()
                                .map(|v| v["id"].to_string())
                                .unwrap_or_default();
                            (Kind::Check, "/v1/check", rec.clone(), id)
                        } else {
                            let n = offset + (c * adds + j) as u64;
                            j += 1;
                            (
                                Kind::Add,
                                "/v1/documents",
                                fresh_record(n),
                                format!("load-{n}"),
                            )
                        };
                        let mut headers = vec![("Content-Type", "application/json")];
                        if let (Kind::Add, Some(a)) = (kind, auth.as_deref()) {
                            headers.push(("Authorization", a));
                        }
                        let t = Instant::now();
                        match http::request(addr, "POST", path, &headers, body.as_bytes()) {
                            Ok(resp) => {
                                r.latencies.push(t.elapsed());
                                r.answers.push((kind, id, resp.status, resp.text()));
                            }
                            Err(e) => r.failures.push(format!("{path} {id}: {e}")),
                        }
                    }
                    r
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("client thread"))
            .collect()
    });
    let mut out = LoadResult {
        answers: Vec::new(),
        latencies: Vec::new(),
        failures: Vec::new(),
        elapsed: start.elapsed(),
    };
    for r in per {
        out.answers.extend(r.answers);
        out.latencies.extend(r.latencies);
        out.failures.extend(r.failures);
    }
    out
}

/// The `q` quantile (0 to 1) of `v`.
pub fn quantile(v: &mut [Duration], q: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort_unstable();
    let i = ((v.len() - 1) as f64 * q).round() as usize;
    v[i]
}
