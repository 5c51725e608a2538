//! service/access.rs: who asked what, and how was it answered?
//!
//! One line per request on stderr, written after the answer: `ts` (RFC 3339, UTC), `remote`,
//! `method`, `path` (without the query string, which may carry a page URL), `status`, `ms`.
//! As JSON objects with `--log-format json`, else as text.

use super::{LogFormat, Service};
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// Middleware: log the request once it is answered.
pub(super) async fn log(State(svc): State<Arc<Service>>, req: Request, next: Next) -> Response {
    let format = svc.config.log;
    if format == LogFormat::Off {
        return next.run(req).await;
    }
    let start = Instant::now();
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let remote = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.to_string());
    let resp = next.run(req).await;
    let ms = (start.elapsed().as_secs_f64() * 1e6).round() / 1e3;
    let ts = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let status = resp.status().as_u16();
    let line = match format {
        LogFormat::Json => serde_json::json!({
            "ts": ts, "remote": remote, "method": method, "path": path,
            "status": status, "ms": ms,
        })
        .to_string(),
        _ => format!(
            "{ts} {} {method} {path:?} {status} {ms} ms",
            remote.as_deref().unwrap_or("-")
        ),
    };
    // One write per line: lines of concurrent requests do not interleave.
    let _ = writeln!(std::io::stderr().lock(), "{line}");
    resp
}
