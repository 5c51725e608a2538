//! cli/extract.rs: `wirecopy extract`, what does wirecopy see in one web page?
//!
//! Extraction and rendering are the library's ([`wirecopy::input::html`]); this module reads the page
//! (a file or stdin) and prints the result.

use super::exit::Exit;
use anyhow::{Context, Result};
use clap::Args;
use std::io::{self, Write};
use std::path::PathBuf;
use wirecopy::input::html;

/// Arguments of `wirecopy extract`.
#[derive(Args)]
pub struct ExtractArgs {
    /// An HTML page, or - for stdin.
    input: PathBuf,
    /// Where the page was found: sets the site and resolves relative links.
    #[arg(long)]
    url: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: html::Format,
}

/// Run `wirecopy extract`.
pub fn run(a: ExtractArgs) -> Result<Exit> {
    let e = html::extract_file(&a.input, a.url.as_deref())
        .with_context(|| format!("extracting {}", a.input.display()))?;
    let stdout = io::stdout();
    let mut w = stdout.lock();
    w.write_all(html::render(&e, a.format).as_bytes())?;
    w.flush()?;
    Ok(Exit::Ok)
}
