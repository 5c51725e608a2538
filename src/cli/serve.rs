//! cli/serve.rs: `wirecopy serve`, the live index over HTTP.
//!
//! Opens the index directory, reads the token (`--token-file`, else `WIRECOPY_TOKEN`), binds,
//! prints `listening on http://ADDR` on stdout (the one result of the command: with
//! `--bind 127.0.0.1:0` it names the port the system chose), and runs [`wirecopy::service`]
//! until SIGINT or SIGTERM; then it stops accepting, lets the requests in flight finish, syncs
//! and exits 0.

use super::exit::Exit;
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use wirecopy::pipeline::{self, ScanConfig};
use wirecopy::service::{self, LogFormat, Service, ServiceConfig, Token};
use wirecopy::Index;

/// The environment variable holding the bearer token when `--token-file` is not given.
const TOKEN_VAR: &str = "WIRECOPY_TOKEN";

/// Access log formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogArg {
    /// One JSON object per request.
    Json,
    /// One text line per request.
    Text,
    /// No access log.
    Off,
}

/// Arguments of `serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// The index directory (as `index build` or `stream` made it; created with default
    /// parameters when it holds none).
    #[arg(long, value_name = "DIR")]
    index: PathBuf,
    /// Address and port to listen on; port 0 lets the system choose (the address is printed).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8787")]
    bind: std::net::SocketAddr,
    /// File holding the bearer token writes must carry (else the WIRECOPY_TOKEN environment
    /// variable; with neither, writes are open).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Access log on stderr.
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogArg,
    /// Largest request body in bytes (413 beyond it).
    #[arg(long, value_name = "BYTES", default_value_t = ServiceConfig::default().max_body,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    max_body: usize,
    /// Most documents in one request (413 beyond it).
    #[arg(long, value_name = "N", default_value_t = ServiceConfig::default().max_batch,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    max_batch: usize,
    /// Seconds a request may take before it is answered 503.
    #[arg(long, value_name = "SECS", default_value_t = ServiceConfig::default().timeout.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
    /// A copy dated more than this many days after its origin is a stale re-post (stories and
    /// report).
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    stale_after_days: u32,
}

fn token(a: &ServeArgs) -> Result<Token> {
    if let Some(f) = &a.token_file {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("reading the token file {}", f.display()))?;
        return Token::new(&text)
            .with_context(|| format!("the token file {} is empty", f.display()));
    }
    match std::env::var(TOKEN_VAR) {
        Ok(v) => Token::new(&v).with_context(|| format!("{TOKEN_VAR} is set but empty")),
        Err(std::env::VarError::NotPresent) => Ok(Token::none()),
        Err(e) => bail!("{TOKEN_VAR}: {e}"),
    }
}

/// Run `wirecopy serve`.
pub fn run(a: ServeArgs) -> Result<Exit> {
    let token = token(&a)?;
    let index = if a.index.join("CURRENT").exists() {
        Index::open(&a.index).with_context(|| format!("opening the index {}", a.index.display()))?
    } else {
        // As `stream` does: a crawl may start from nothing.
        let empty = pipeline::scan(Vec::new(), &ScanConfig::default(), &pipeline::Quiet)?;
        eprintln!(
            "wirecopy: no index in {}, creating one with default parameters",
            a.index.display()
        );
        Index::create(&a.index, &empty)
            .with_context(|| format!("creating the index {}", a.index.display()))?
    };
    let config = ServiceConfig {
        max_body: a.max_body,
        max_batch: a.max_batch,
        timeout: Duration::from_secs(a.timeout),
        token,
        log: match a.log_format {
            LogArg::Json => LogFormat::Json,
            LogArg::Text => LogFormat::Text,
            LogArg::Off => LogFormat::Off,
        },
        report: wirecopy::report::ReportConfig {
            stale_after_days: a.stale_after_days,
            ..Default::default()
        },
    };
    if !a.bind.ip().is_loopback() && !config.token.is_set() {
        eprintln!(
            "warning: listening on {} without a token: anyone who reaches it can add and remove documents",
            a.bind
        );
    }
    // The signal watcher of `interrupt` would exit at once; the server shuts down gracefully.
    super::interrupt::signals_handled_by_command();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(a.bind)
            .await
            .with_context(|| format!("binding {}", a.bind))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "listening on http://{addr}")?;
            out.flush()?;
        }
        let svc = Arc::new(Service::new(index, config));
        service::serve(listener, svc, shutdown_signal())
            .await
            .context("serving")?;
        eprintln!("wirecopy: shut down, index synced");
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(Exit::Ok)
}

/// Resolves on the first SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
