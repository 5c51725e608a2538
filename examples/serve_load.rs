//! Load benchmark of the HTTP service: `cargo run --release --example serve_load [-- CLIENTS
//! CHECKS ADDS]` (defaults 64, 40, 10).
//!
//! Builds a directory index from the demo corpus (corpus/wire.jsonl) in a temporary directory,
//! serves it in-process on 127.0.0.1 (the same `wirecopy::service` as `wirecopy serve`), and has
//! CLIENTS threads each send CHECKS checks of corpus pages and ADDS adds of fresh pages,
//! interleaved, one connection per request. Prints the request count, errors, throughput and
//! p50/p99 latency overall and per kind. The load itself is tests/serve/load.rs, which
//! tests/service.rs also runs (and checks the answers of). Clients and server share the machine.

#[path = "../tests/serve/http.rs"]
mod http;
#[path = "../tests/serve/load.rs"]
mod load;

use std::sync::Arc;
use std::time::Duration;
use wirecopy::input::{parse_record, FieldMap};
use wirecopy::pipeline::{scan, Quiet, ScanConfig};
use wirecopy::service::{self, LogFormat, Service, ServiceConfig};
use wirecopy::Index;

fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .nth(i)
        .map(|a| a.parse().expect("CLIENTS CHECKS ADDS are whole numbers"))
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 1e2
}

fn main() {
    let (clients, checks, adds) = (arg(1, 64), arg(2, 40), arg(3, 10));
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/wire.jsonl");
    let records: Vec<String> = std::fs::read_to_string(corpus)
        .expect("read corpus/wire.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let docs = records
        .iter()
        .map(|l| parse_record(l, &FieldMap::default()).expect("corpus records are valid"))
        .collect();
    let tmp = tempfile::tempdir().expect("tempdir");
    let result = scan(docs, &ScanConfig::default(), &Quiet).expect("scan");
    let index = Index::create(&tmp.path().join("index"), &result).expect("create the index");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("address").to_string();
    let config = ServiceConfig {
        log: LogFormat::Off,
        ..ServiceConfig::default()
    };
    let svc = Arc::new(Service::new(index, config));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(service::serve(listener, svc, async {
        let _ = stopped.await;
    }));

    let r = load::run(&addr, clients, checks, adds, &records, 0, None);
    let _ = stop.send(());
    rt.block_on(server)
        .expect("server task")
        .expect("server shut down cleanly");

    let errors = r.failures.len() + r.answers.iter().filter(|a| a.2 != 200).count();
    let n = r.latencies.len();
    println!(
        "{clients} clients x ({checks} checks + {adds} adds) on a {}-document index: {} requests, {errors} errors, {:.2} s, {:.0} requests/s",
        records.len(),
        n + r.failures.len(),
        r.elapsed.as_secs_f64(),
        n as f64 / r.elapsed.as_secs_f64()
    );
    let mut all = r.latencies.clone();
    println!(
        "  all:    p50 {} ms, p99 {} ms",
        ms(load::quantile(&mut all, 0.5)),
        ms(load::quantile(&mut all, 0.99))
    );
    for (kind, name) in [(load::Kind::Check, "check"), (load::Kind::Add, "add")] {
        let mut v: Vec<Duration> = r
            .answers
            .iter()
            .zip(&r.latencies)
            .filter(|(a, _)| a.0 == kind)
            .map(|(_, &l)| l)
            .collect();
        println!(
            "  {name:<6}  p50 {} ms, p99 {} ms ({} requests)",
            ms(load::quantile(&mut v, 0.5)),
            ms(load::quantile(&mut v, 0.99)),
            v.len()
        );
    }
    if errors > 0 {
        eprintln!(
            "errors: {:?}",
            r.failures.iter().take(5).collect::<Vec<_>>()
        );
        std::process::exit(1);
    }
}
