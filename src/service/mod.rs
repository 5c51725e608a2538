//! service/: how do many crawler processes share one live index? Over HTTP.
//!
//! [`Service`] holds an [`Index`] and the service's limits ([`ServiceConfig`]); [`router`] puts
//! it behind the routes of [`openapi::ROUTES`] (handlers in `handlers`, described for clients
//! by the OpenAPI document `openapi/wirecopy.json`, served at `/v1/openapi.json`); [`serve`]
//! answers on a listener until a shutdown future resolves, then makes everything durable.
//! `wirecopy serve` is the command-line front of it; a Rust program can embed it directly.
//!
//! Layers, outermost first: the access log (one line per request on stderr, [`LogFormat`]), the
//! per-request timeout (503), the bearer token for writes ([`auth`]), the body limit (413).
//! Malformed requests of every kind become a 4xx with `{"error": "..."}` ([`errors`]).
//!
//! Invariants:
//! - Many readers, one writer: reads (`check`, `stats`, documents, stories, the report) share a
//!   read lock; a write takes the write lock for its whole batch *and* the sync that makes it
//!   durable, so no answer sees a half-applied batch, and a write is acknowledged only once
//!   [`Index::sync`] returned. Index work runs on the blocking pool, never on the async workers.
//! - Decisions are exactly [`Index::query_with`] / [`Index::add`]'s, serialized as `wirecopy
//!   query` prints them; the service adds nothing to them.
//! - The report and stories are built by [`Index::report`], cached until the next write.

mod access;
pub mod auth;
pub mod errors;
mod handlers;
pub mod openapi;

use crate::index::Index;
use crate::report::{Report, ReportConfig};
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use errors::ApiError;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

pub use auth::Token;

/// How the access log is written on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One JSON object per request: `ts`, `remote`, `method`, `path`, `status`, `ms`.
    Json,
    /// One human-readable line per request.
    #[default]
    Text,
    /// No access log.
    Off,
}

/// The service's limits and settings, with documented defaults.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Largest request body in bytes; beyond it, 413. Default 16 MiB.
    pub max_body: usize,
    /// Most documents in one batch; beyond it, 413. Default 1,000.
    pub max_batch: usize,
    /// Longest a request may take before it is answered 503. Default 30 s. A write that timed
    /// out may still complete (adds replace by id, so retrying it is safe).
    pub timeout: Duration,
    /// Bearer token required for writes (default none).
    pub token: Token,
    /// The access log's format (default text).
    pub log: LogFormat,
    /// Settings of the report and stories (stale-after days).
    pub report: ReportConfig,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            max_body: 16 << 20,
            max_batch: 1000,
            timeout: Duration::from_secs(30),
            token: Token::none(),
            log: LogFormat::Text,
            report: ReportConfig::default(),
        }
    }
}

/// A live index and the state the service keeps beside it.
#[derive(Debug)]
pub struct Service {
    index: RwLock<Index>,
    /// Bumped by every write, under the write lock: names the state a cached report is of.
    generation: AtomicU64,
    report: Mutex<Option<(u64, Arc<Report>)>>,
    config: ServiceConfig,
}

impl Service {
    /// A service over `index`.
    pub fn new(index: Index, config: ServiceConfig) -> Service {
        Service {
            index: RwLock::new(index),
            generation: AtomicU64::new(0),
            report: Mutex::new(None),
            config,
        }
    }

    /// The settings.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// Run `f` with the index for reading.
    fn read<T>(&self, f: impl FnOnce(&Index) -> Result<T, ApiError>) -> Result<T, ApiError> {
        let ix = self.index.read().map_err(|_| poisoned())?;
        f(&ix)
    }

    /// Run `f` with the index for writing, then sync: the write lock is held until the change
    /// is durable.
    fn write<T>(&self, f: impl FnOnce(&mut Index) -> Result<T, ApiError>) -> Result<T, ApiError> {
        let mut ix = self.index.write().map_err(|_| poisoned())?;
        self.generation.fetch_add(1, Ordering::SeqCst);
        let out = f(&mut ix);
        ix.sync()?;
        out
    }

    /// The report of the index as it is now (built at most once per index state).
    fn report(&self) -> Result<Arc<Report>, ApiError> {
        self.read(|ix| {
            // Under the read lock no write runs, so the generation names this state.
            let g = self.generation.load(Ordering::SeqCst);
            if let Some((cached, r)) = &*self.report.lock().map_err(|_| poisoned())? {
                if *cached == g {
                    return Ok(r.clone());
                }
            }
            let r = Arc::new(ix.report(&self.config.report)?);
            *self.report.lock().map_err(|_| poisoned())? = Some((g, r.clone()));
            Ok(r)
        })
    }

    /// Make every acknowledged change durable (it already is; this is the shutdown's last
    /// word).
    pub fn sync(&self) -> crate::Result<()> {
        match self.index.write() {
            Ok(mut ix) => ix.sync(),
            Err(p) => p.into_inner().sync(),
        }
    }
}

fn poisoned() -> ApiError {
    ApiError::internal("the index is unavailable after a failed write; restart the service")
}

/// The routes of the service over `service` (see [`openapi::ROUTES`]).
pub fn router(service: Arc<Service>) -> Router {
    let max_body = service.config.max_body;
    Router::new()
        .route("/v1/check", post(handlers::check))
        .route("/v1/documents", post(handlers::add))
        .route(
            "/v1/documents/{id}",
            get(handlers::get_document).delete(handlers::delete_document),
        )
        .route("/v1/stories/{id}", get(handlers::story))
        .route("/v1/stats", get(handlers::stats))
        .route("/v1/health", get(handlers::health))
        .route("/v1/report", get(handlers::report))
        .route("/v1/openapi.json", get(handlers::openapi))
        .fallback(handlers::no_route)
        .method_not_allowed_fallback(handlers::wrong_method)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(
            service.clone(),
            handlers::authorize,
        ))
        .layer(axum::middleware::from_fn_with_state(
            service.clone(),
            handlers::time_limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            service.clone(),
            access::log,
        ))
        .with_state(service)
}

/// Answer on `listener` until `shutdown` resolves; then stop accepting, let the requests in
/// flight finish, and sync the index.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Arc<Service>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> crate::Result<()> {
    let app = router(service.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let addr = listener.local_addr().ok();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|source| crate::Error::Io {
            path: addr.map_or_else(Default::default, |a| a.to_string().into()),
            source,
        })?;
    tokio::task::spawn_blocking(move || service.sync())
        .await
        .map_err(|e| crate::Error::Io {
            path: Default::default(),
            source: std::io::Error::other(e.to_string()),
        })?
}
