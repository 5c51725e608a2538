//! cli/index.rs: `wirecopy index ...`, `wirecopy query` and `wirecopy stream`, the live index on
//! the command line.
//!
//! `index build` scans inputs into a new directory index; `index add` adds documents and prints
//! a decision per document; `index stats`, `index remove`, `index expire` and `index compact`
//! maintain it; `query` judges documents without adding them; `stream` reads JSONL or WARC on
//! stdin and answers each document on stdout as soon as it is added and durable.
//!
//! Invariant: a decision line is printed only after the add it reports is durable (synced), so
//! a consumer that saw a line can rely on the document surviving a crash.

use super::exit::Exit;
use super::scan::{config, read_all, FieldArgs, ParamArgs};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wirecopy::index::{Decision, Index, IndexOptions};
use wirecopy::input::{self, Sink};
use wirecopy::pipeline::{self, ScanConfig};
use wirecopy::Document;

/// `wirecopy index` subcommands.
#[derive(Subcommand)]
pub enum IndexCommand {
    /// Scan inputs (as `scan` reads them, with the same parameters) into a new index directory.
    Build(BuildArgs),
    /// Add documents to an index; prints one JSON decision per document (stdout).
    Add(AddArgs),
    /// Print an index's counts as JSON.
    Stats(DirArgs),
    /// Remove documents by id.
    Remove(RemoveArgs),
    /// Remove documents published before a date.
    Expire(ExpireArgs),
    /// Scan every live document again into one segment: chrome learned again from everything,
    /// removed documents dropped.
    Compact(DirArgs),
}

/// Arguments of `index build`.
#[derive(Args)]
pub struct BuildArgs {
    /// Inputs, as for `scan`.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// The index directory to create.
    #[arg(long, value_name = "DIR")]
    index: PathBuf,
    #[command(flatten)]
    fields: FieldArgs,
    #[command(flatten)]
    params: ParamArgs,
}

/// Arguments naming an index directory and inputs.
#[derive(Args)]
pub struct AddArgs {
    /// The index directory.
    #[arg(long, value_name = "DIR")]
    index: PathBuf,
    /// Inputs, as for `scan`.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    fields: FieldArgs,
}

/// Arguments of `query`.
#[derive(Args)]
pub struct QueryArgs {
    #[command(flatten)]
    docs: AddArgs,
    /// Tighten the Jaccard threshold (values below the index's are raised to it).
    #[arg(long, value_parser = super::args::parse_unit)]
    threshold: Option<f64>,
    /// Tighten the containment threshold (values below the index's are raised to it).
    #[arg(long, value_parser = super::args::parse_unit)]
    containment: Option<f64>,
}

/// Arguments naming an index directory.
#[derive(Args)]
pub struct DirArgs {
    /// The index directory.
    #[arg(long, value_name = "DIR")]
    index: PathBuf,
}

/// Arguments of `index remove`.
#[derive(Args)]
pub struct RemoveArgs {
    /// The index directory.
    #[arg(long, value_name = "DIR")]
    index: PathBuf,
    /// Ids of the documents to remove.
    #[arg(required = true)]
    ids: Vec<String>,
}

/// Arguments of `index expire`.
#[derive(Args)]
pub struct ExpireArgs {
    /// The index directory.
    #[arg(long, value_name = "DIR")]
    index: PathBuf,
    /// Remove documents published before this date or time (RFC 3339 or YYYY-MM-DD);
    /// undated documents stay.
    #[arg(long, value_name = "DATE")]
    before: String,
}

/// Arguments of `stream`.
#[derive(Args)]
pub struct StreamArgs {
    /// The index directory (created with default parameters when it does not exist).
    #[arg(long, value_name = "DIR")]
    index: PathBuf,
    /// Keep only documents published within this window of the newest publication time, and
    /// undated documents that arrived within it (by the clock), e.g. `7d`, `36h`: memory stays
    /// bounded on an endless stream.
    #[arg(long, value_name = "DURATION", value_parser = parse_window)]
    window: Option<i64>,
    /// Write the pages added since the last segment as a new segment every N pages: what is
    /// held in memory, and replayed from the log after a crash, is at most N pages.
    #[arg(long, value_name = "N", default_value_t = wirecopy::index::DEFAULT_FLUSH_PAGES,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    flush_pages: usize,
    #[command(flatten)]
    fields: FieldArgs,
}

/// `7d`, `36h`, `90m`, `3600s` in seconds.
fn parse_window(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = num
        .parse()
        .map_err(|_| "expected a number and a unit: 7d, 36h, 90m or 3600s".to_string())?;
    let mult = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return Err("the unit must be d, h, m or s".into()),
    };
    if n <= 0 {
        return Err("must be positive".into());
    }
    n.checked_mul(mult).ok_or_else(|| "too long".to_string())
}

/// Now, in Unix seconds (0 if the clock is before 1970).
fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn open(dir: &Path) -> Result<Index> {
    Index::open(dir).with_context(|| format!("opening the index {}", dir.display()))
}

fn open_read_only(dir: &Path) -> Result<Index> {
    Index::open_read_only(dir).with_context(|| format!("opening the index {}", dir.display()))
}

fn print_decision(out: &mut impl Write, d: &Decision) -> Result<()> {
    serde_json::to_writer(&mut *out, d)?;
    out.write_all(b"\n")?;
    Ok(())
}

fn read(inputs: &[PathBuf], fields: &FieldArgs) -> Result<(Vec<Document>, bool)> {
    let (docs, read) = read_all(inputs, &fields.options())?;
    Ok((docs, read.skipped > 0))
}

/// Run an `index` subcommand.
pub fn run(cmd: IndexCommand) -> Result<Exit> {
    match cmd {
        IndexCommand::Build(a) => {
            let cfg = config(&a.params);
            cfg.validate()?;
            if a.index.join("CURRENT").exists() {
                bail!("{} already holds an index", a.index.display());
            }
            let (docs, skipped) = read(&a.inputs, &a.fields)?;
            let result = pipeline::scan(docs, &cfg, &pipeline::Quiet)?;
            let ix = Index::create(&a.index, &result)
                .with_context(|| format!("creating the index {}", a.index.display()))?;
            eprintln!(
                "wirecopy: index {} holds {} documents",
                a.index.display(),
                ix.len()
            );
            Ok(exit(skipped))
        }
        IndexCommand::Add(a) => {
            let mut ix = open(&a.index)?;
            let (docs, skipped) = read(&a.inputs, &a.fields)?;
            let mut decisions = Vec::with_capacity(docs.len());
            for d in docs {
                decisions.push(ix.add(d)?);
            }
            ix.sync()?;
            let mut out = io::BufWriter::new(io::stdout().lock());
            for d in &decisions {
                print_decision(&mut out, d)?;
            }
            out.flush()?;
            Ok(exit(skipped))
        }
        IndexCommand::Stats(a) => {
            let ix = open_read_only(&a.index)?;
            let mut out = io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &ix.stats()?)?;
            writeln!(out)?;
            Ok(Exit::Ok)
        }
        IndexCommand::Remove(a) => {
            let mut ix = open(&a.index)?;
            let mut missing = 0;
            for id in &a.ids {
                if !ix.remove(id)? {
                    eprintln!("warning: no document with id {id}");
                    missing += 1;
                }
            }
            ix.sync()?;
            Ok(exit(missing > 0))
        }
        IndexCommand::Expire(a) => {
            let Some(t) = wirecopy::Published::parse(&a.before) else {
                bail!("--before {}: expected RFC 3339 or YYYY-MM-DD", a.before);
            };
            let mut ix = open(&a.index)?;
            let n = ix.expire_before(t.unix)?;
            ix.sync()?;
            eprintln!("wirecopy: removed {n} documents published before {}", t.raw);
            Ok(Exit::Ok)
        }
        IndexCommand::Compact(a) => {
            let mut ix = open(&a.index)?;
            ix.compact()?;
            eprintln!(
                "wirecopy: index {} compacted, {} documents",
                a.index.display(),
                ix.len()
            );
            Ok(Exit::Ok)
        }
    }
}

fn exit(skipped: bool) -> Exit {
    if skipped {
        Exit::Skipped
    } else {
        Exit::Ok
    }
}

/// Run `wirecopy query`: one decision per input document, in input order, nothing added.
pub fn query(a: QueryArgs) -> Result<Exit> {
    let ix = open_read_only(&a.docs.index)?;
    let cfg = *ix.config();
    let (t, c) = (
        a.threshold.unwrap_or(cfg.threshold),
        a.containment.unwrap_or(cfg.containment),
    );
    let options = a.docs.fields.options();
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut failed: Option<anyhow::Error> = None;
    let mut on_doc = |d: Document, _| {
        if failed.is_none() {
            let printed = ix
                .query_with(&d, t, c)
                .map_err(anyhow::Error::from)
                .and_then(|decision| print_decision(&mut out, &decision));
            if let Err(e) = printed {
                failed = Some(e);
            }
        }
    };
    let mut on_skip = |e: wirecopy::Error| eprintln!("warning: skipped {e}");
    let mut sink = Sink {
        on_doc: &mut on_doc,
        on_skip: &mut on_skip,
        counts: Default::default(),
    };
    input::read_inputs(&a.docs.inputs, &options, &mut sink)?;
    let skipped = sink.counts.skipped > 0;
    if let Some(e) = failed {
        return Err(e);
    }
    out.flush()?;
    Ok(exit(skipped))
}

/// How far past the clock a publication time may move `stream --window`'s newest time.
const FUTURE_SLACK: i64 = 86_400;

/// Run `wirecopy stream`.
pub fn stream(a: StreamArgs) -> Result<Exit> {
    let mut ix = if a.index.join("CURRENT").exists() {
        open(&a.index)?
    } else {
        let result = pipeline::scan(Vec::new(), &ScanConfig::default(), &pipeline::Quiet)?;
        Index::create(&a.index, &result)
            .with_context(|| format!("creating the index {}", a.index.display()))?
    };
    ix.set_options(IndexOptions {
        flush_pages: a.flush_pages,
        ..IndexOptions::default()
    });
    super::interrupt::signals_end_normally();
    let options = a.fields.options();
    let mut out = io::stdout().lock();
    let mut failed: Option<anyhow::Error> = None;
    let mut newest: i64 = i64::MIN;
    // Undated documents by arrival (wall-clock seconds), oldest first: the window drops them
    // by when they came, as it drops dated ones by when they were published.
    let mut undated: std::collections::VecDeque<(i64, String)> = Default::default();
    let window = a.window;
    let mut on_doc = |d: Document, _| {
        if failed.is_some() {
            return;
        }
        let published = d.published.as_ref().map(|p| p.unix);
        let id = d.id.as_str().to_string();
        let step = (|| -> Result<()> {
            let now = now_unix();
            // A page already outside the window is judged but not kept: adding it would only
            // hold it until the next expiry.
            let late = match (window, published) {
                (Some(w), Some(t)) => newest != i64::MIN && t < newest - w,
                _ => false,
            };
            if late {
                print_decision(&mut out, &ix.query(&d)?)?;
                return Ok(out.flush()?);
            }
            let decision = ix.add(d)?;
            ix.sync()?;
            print_decision(&mut out, &decision)?;
            out.flush()?;
            let Some(w) = window else {
                return Ok(());
            };
            match published {
                // A date in the future counts as at most a day ahead of the clock, so that one
                // misdated page cannot hold the window still (or empty it).
                Some(t) if t.min(now.saturating_add(FUTURE_SLACK)) > newest => {
                    newest = t.min(now.saturating_add(FUTURE_SLACK));
                    ix.expire_before(newest - w)?;
                }
                Some(_) => {}
                None => undated.push_back((now, id)),
            }
            let cutoff = now - w;
            while undated.front().is_some_and(|(t, _)| *t < cutoff) {
                let Some((_, id)) = undated.pop_front() else {
                    break;
                };
                // Only if the id still names an undated document (not a later dated re-add).
                if ix.get(&id)?.is_some_and(|doc| doc.published.is_none()) {
                    ix.remove(&id)?;
                }
            }
            Ok(())
        })();
        if let Err(e) = step {
            failed = Some(e);
        }
    };
    let mut on_skip = |e: wirecopy::Error| eprintln!("warning: skipped {e}");
    let mut sink = Sink {
        on_doc: &mut on_doc,
        on_skip: &mut on_skip,
        counts: Default::default(),
    };
    let path: Arc<Path> = Arc::from(Path::new("-"));
    let mut r = BufReader::new(io::stdin().lock());
    let head = r.fill_buf().context("reading stdin")?.to_vec();
    if head.starts_with(b"WARC/") || head.starts_with(&[0x1f, 0x8b]) {
        let on_doc = &mut *sink.on_doc;
        let c = input::warc::read_archive(
            r,
            &path,
            input::warc::Dialect::Warc,
            a.fields.max_record_size,
            &mut |d, at| {
                on_doc(
                    d,
                    input::Origin {
                        path: path.clone(),
                        location: wirecopy::error::Location::ByteOffset(at),
                    },
                )
            },
            &mut |e| eprintln!("warning: skipped {e}"),
        );
        c?;
    } else {
        input::read_jsonl(Box::new(r), &path, &options, &mut sink);
    }
    let skipped = sink.counts.skipped > 0;
    if let Some(e) = failed {
        if super::output::is_broken_pipe(&e) {
            ix.sync()?;
            return Ok(Exit::Ok);
        }
        return Err(e);
    }
    ix.sync()?;
    Ok(exit(skipped))
}
