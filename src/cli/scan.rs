//! cli/scan.rs: `wirecopy scan`, which documents of these inputs are copies of one another?
//!
//! Turns the flags into a [`ScanConfig`] (every check before the first input byte is read),
//! reads the inputs through [`input::read_corpus`] (texts to disk as they are read under a
//! memory limit, given or detected; bad records are reported on stderr as
//! `skipped: reading FILE line N: ...`, or `at byte N` for WARC and ARC records, counted and
//! skipped), runs [`pipeline::scan_corpus`], optionally saves the index, and
//! renders the report to stdout or `-o FILE`.

use super::args::{
    parse_min_shingles, parse_num_perm, parse_open_unit, parse_shingle_size, parse_size,
    parse_threads, parse_unit,
};
use super::exit::Exit;
use super::output::{check_outputs_are_not_inputs, write_output};
use super::progress::Bars;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::time::Instant;
use wirecopy::chrome::ChromeConfig;
use wirecopy::cluster::ClusterConfig;
use wirecopy::corpus::TextSpill;
use wirecopy::input::{self, FieldMap, ReadCounts, ReadOptions};
use wirecopy::lsh::Banding;
use wirecopy::pipeline::{self, Retain, ScanConfig, Stage, Timings};
use wirecopy::report::{self, Format, ReportConfig};
use wirecopy::shingle::ShingleKind;
use wirecopy::{output, Document};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ShingleArg {
    /// Word k-grams (unspaced scripts: one unit per character).
    Word,
    /// Character k-grams.
    Char,
}

/// Arguments of `wirecopy scan`.
#[derive(Args)]
pub struct ScanArgs {
    /// JSONL files (.jsonl, .jsonl.gz, .jsonl.zst), WARC files (.warc, .warc.gz), ARC files
    /// (.arc, .arc.gz), .html pages, folders of these and of .txt files, or - for stdin (format
    /// sniffed from the first bytes).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output format [default: text on a terminal, jsonl otherwise].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write results to FILE instead of stdout (a regular file is written whole, then renamed
    /// into place; a device or FIFO is written directly; FILE may not be an input).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Worker threads, 1 to 1024 [default: all cores]. Output does not depend on it.
    #[arg(long, value_parser = parse_threads)]
    threads: Option<usize>,
    /// No progress bars or summary on stderr (warnings are still shown).
    #[arg(short, long)]
    quiet: bool,
    /// Print every stage's wall time and share of the run on stderr at the end (also with
    /// --quiet); the results are the same with or without it.
    #[arg(long)]
    timings: bool,
    /// A copy dated more than this many days after its origin is a stale re-post.
    #[arg(long, default_value_t = 30, value_name = "DAYS")]
    stale_after: u32,
    /// Also save signatures, corpus statistics and shingle sets to FILE (see `index-info`).
    #[arg(long, value_name = "FILE")]
    save_index: Option<PathBuf>,
    /// Memory the scan should stay under (512M, 8G, ...). What goes out of core so far: each
    /// text is written to disk as it is read (read back a batch of pages at a time to be
    /// normalized, page by page to make its word hashes again for its shingles, and at the end
    /// only for the report's story members); shingle sets and window sketches as they are made
    /// (read in place from a mapping); candidate pairs and shingle statistics past an eighth
    /// of SIZE, as sorted runs merged back. The documents' other
    /// fields, lines, signatures and verified pairs stay in memory; a warning says when they
    /// look too big. Without it, a scan that looks larger than three quarters of the memory
    /// available (Linux's MemAvailable) takes that as its limit and says so. Under a limit,
    /// given or detected, freed memory goes back to the system at once. The results are the
    /// same either way.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    memory_limit: Option<u64>,
    /// Folder for what is spilled under a memory limit (given or detected) [default: the
    /// system's temporary folder]; a temporary folder made inside it is removed when the scan
    /// ends.
    #[arg(long, value_name = "DIR")]
    spill_dir: Option<PathBuf>,
    #[command(flatten)]
    fields: FieldArgs,
    #[command(flatten)]
    params: ParamArgs,
}

#[derive(Args)]
pub(super) struct FieldArgs {
    /// JSONL field holding the document id.
    #[arg(long, default_value = "id")]
    id_field: String,
    /// JSONL field holding the text.
    #[arg(long, default_value = "text")]
    text_field: String,
    /// JSONL field holding the URL.
    #[arg(long, default_value = "url")]
    url_field: String,
    /// JSONL field holding the site name.
    #[arg(long, default_value = "site")]
    site_field: String,
    /// JSONL field holding the title.
    #[arg(long, default_value = "title")]
    title_field: String,
    /// JSONL field holding the publication time.
    #[arg(long, default_value = "published")]
    published_field: String,
    /// Largest JSONL line, WARC/ARC record, decoded HTTP body or file held in memory, in bytes;
    /// larger ones are reported and skipped.
    #[arg(long, value_name = "BYTES", default_value_t = input::DEFAULT_MAX_RECORD_SIZE,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(super) max_record_size: u64,
}

#[derive(Args)]
pub(super) struct ParamArgs {
    /// Shingle kind.
    #[arg(long, value_enum, default_value = "word")]
    shingle: ShingleArg,
    /// Units per shingle, 1 to 64 [default: 3 for word, 5 for char].
    #[arg(long, value_parser = parse_shingle_size)]
    shingle_size: Option<u8>,
    /// MinHash permutations, 1 to 4096.
    #[arg(long, default_value_t = ScanConfig::default().num_perm, value_parser = parse_num_perm)]
    num_perm: usize,
    /// MinHash seed.
    #[arg(long, default_value_t = ScanConfig::default().seed)]
    seed: u64,
    /// Exact Jaccard at or above which two documents match (0 to 1).
    #[arg(long, default_value_t = ScanConfig::default().threshold, value_parser = parse_unit)]
    threshold: f64,
    /// Containment of the smaller document at or above which two documents match (0 to 1).
    #[arg(long, default_value_t = ScanConfig::default().containment, value_parser = parse_unit)]
    containment: f64,
    /// Jaccard level the LSH S-curve is tuned to, strictly between 0 and 1 [default: derived
    /// from threshold and containment].
    #[arg(long, value_parser = parse_open_unit)]
    lsh_threshold: Option<f64>,
    /// LSH bands (with --rows) instead of the threshold-derived banding; bands x rows at most
    /// --num-perm.
    #[arg(long, requires = "rows", value_parser = parse_num_perm)]
    bands: Option<usize>,
    /// LSH rows per band (with --bands).
    #[arg(long, requires = "bands", value_parser = parse_num_perm)]
    rows: Option<usize>,
    /// Documents with fewer content shingles never match (0 to 1000000).
    #[arg(long, default_value_t = ScanConfig::default().min_shingles, value_parser = parse_min_shingles)]
    min_shingles: usize,
    /// Keep site chrome, headline lists, dates and bylines as content (no chrome learning);
    /// shingles on too many pages are still dropped from matching as stop shingles.
    #[arg(long)]
    keep_chrome: bool,
    /// Plain connected components: no guard against chaining.
    #[arg(long)]
    no_guard: bool,
    /// Share of the match thresholds at which the chaining guard's cross pairs pass (0 to 1).
    #[arg(long, default_value_t = ClusterConfig::default().guard_factor, value_parser = parse_unit)]
    guard_factor: f64,
}

impl FieldArgs {
    /// Read options for these field names and record size limit.
    pub(super) fn options(&self) -> ReadOptions {
        ReadOptions {
            fields: FieldMap {
                id: self.id_field.clone(),
                text: self.text_field.clone(),
                url: self.url_field.clone(),
                site: self.site_field.clone(),
                title: self.title_field.clone(),
                published: self.published_field.clone(),
            },
            max_record_size: self.max_record_size,
        }
    }
}

/// The scan configuration the flags ask for.
pub(super) fn config(p: &ParamArgs) -> ScanConfig {
    let d = ScanConfig::default();
    let shingle = match (p.shingle, p.shingle_size) {
        (ShingleArg::Word, Some(k)) => ShingleKind::Word(k),
        (ShingleArg::Word, None) => d.shingle,
        (ShingleArg::Char, Some(k)) => ShingleKind::Char(k),
        (ShingleArg::Char, None) => ShingleKind::DEFAULT_CHAR,
    };
    ScanConfig {
        shingle,
        num_perm: p.num_perm,
        seed: p.seed,
        threshold: p.threshold,
        containment: p.containment,
        lsh_threshold: p.lsh_threshold,
        banding: p
            .bands
            .zip(p.rows)
            .map(|(bands, rows)| Banding { bands, rows }),
        min_shingles: p.min_shingles,
        chrome: if p.keep_chrome {
            ChromeConfig::disabled()
        } else {
            ChromeConfig::default()
        },
        cluster: ClusterConfig {
            guard: !p.no_guard,
            guard_factor: p.guard_factor,
            ..d.cluster
        },
        ..d
    }
}

/// Bad records and warnings on stderr, as the reader finds them.
fn report_problem(e: wirecopy::Error) {
    match e {
        wirecopy::Error::Warning { .. } => eprintln!("warning: {e}"),
        _ => eprintln!("skipped: {e}"),
    }
}

pub(super) fn read_all(
    inputs: &[PathBuf],
    options: &ReadOptions,
) -> Result<(Vec<Document>, ReadCounts)> {
    Ok(input::read_documents(inputs, options, &mut report_problem)?)
}

/// Run `wirecopy scan`.
pub fn run(a: ScanArgs) -> Result<Exit> {
    let cfg = config(&a.params);
    // Every check that can fail comes before the first input byte is read.
    cfg.validate()?;
    let outputs: Vec<(&str, &Path)> = [
        ("-o", a.output.as_deref()),
        ("--save-index", a.save_index.as_deref()),
    ]
    .into_iter()
    .filter_map(|(flag, p)| p.map(|p| (flag, p)))
    .collect();
    check_outputs_are_not_inputs(&a.inputs, &outputs)?;
    let threads = a.threads.unwrap_or(0);
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .context("starting worker threads")?;
    let options = a.fields.options();
    let mut timings = Timings::default();
    // Texts go to disk as they are read under a limit given, and once what was read would
    // need more than the memory available otherwise (the detected limit below).
    let available = match a.memory_limit {
        Some(_) => None,
        None => std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| mem_available(&m)),
    };
    let spill = TextSpill {
        after: match a.memory_limit {
            Some(_) => Some(0),
            None => available.map(spill_texts_after),
        },
        dir: a.spill_dir.clone(),
    };
    let (corpus, read) = timings.time(Stage::Read, || {
        input::read_corpus(&a.inputs, &options, &mut report_problem, &spill)
    })?;
    let bars = Bars::new(!a.quiet && io::stderr().is_terminal());
    // Without an index to save, the scan frees the corpus statistics and sketches as soon as it
    // is done with them (the report reads none of them).
    let retain = if a.save_index.is_some() {
        Retain::Everything
    } else {
        Retain::Report
    };
    let text = corpus.text_bytes();
    let memory_limit = match a.memory_limit {
        Some(limit) => {
            warn_if_resident_exceeds(text, limit);
            Some(limit)
        }
        None => {
            let detected = available.and_then(|avail| detected_limit(text, avail));
            if let (Some(limit), Some(avail), false) = (detected, available, a.quiet) {
                eprintln!(
                    "wirecopy: a scan of {} of text needs about {} in memory and {} is \
                     available: spilling to disk as with --memory-limit {}",
                    bytes(text),
                    bytes(text.saturating_mul(IN_MEMORY_PER_TEXT_BYTE)),
                    bytes(avail),
                    bytes(limit)
                );
            }
            detected
        }
    };
    if memory_limit.is_some() {
        super::allocator::for_memory();
    }
    let scan_options = pipeline::ScanOptions {
        retain,
        memory_limit,
        spill_dir: a.spill_dir.clone(),
    };
    let mut result = pipeline::scan_corpus(corpus, &cfg, &bars, &scan_options)?;
    bars.finish();
    for (stage, d) in result.timings.stages() {
        timings.add(stage, d);
    }
    if let Some(p) = &a.save_index {
        timings
            .time(Stage::SaveIndex, || wirecopy::store::save(p, &result))
            .context("saving the index")?;
    }
    let report_start = Instant::now();
    output::release_unreported(&mut result);
    let format = a
        .format
        .unwrap_or(if a.output.is_none() && io::stdout().is_terminal() {
            Format::Text
        } else {
            Format::Jsonl
        });
    let report = output::report(
        &result,
        read,
        &ReportConfig {
            stale_after_days: a.stale_after,
            // Only the HTML page shows members side by side.
            side_by_side: format == Format::Html,
        },
    )
    .context("building the report")?;
    timings.add(Stage::Report, report_start.elapsed());
    timings.time(Stage::Write, || {
        write_output(a.output.as_deref(), |w| report::render(&report, format, w))
    })?;
    if !a.quiet {
        let c = output::counts(&result, read);
        let non_html = if c.non_html_skipped > 0 {
            format!(", {} non-HTML WARC records", c.non_html_skipped)
        } else {
            String::new()
        };
        let spilled = if result.spilled_bytes > 0 {
            format!(
                ", {} of candidate pairs and shingle statistics spilled to disk",
                bytes(result.spilled_bytes)
            )
        } else {
            String::new()
        };
        eprintln!(
            "wirecopy: {} documents, {} clusters ({} documents), {} skipped{non_html}{spilled}",
            c.documents, c.clusters, report.counts.clustered_documents, c.skipped
        );
    }
    if a.timings {
        eprint!("wirecopy: stage timings (wall clock)\n{timings}");
    }
    Ok(if read.skipped > 0 {
        Exit::Skipped
    } else {
        Exit::Ok
    })
}

/// Peak resident bytes per byte of text of a scan under `--memory-limit`, measured on the
/// comparison corpora and generated pages (README, "Out of core"): 1.6 to 2.2, rounded up (a
/// warning should not come too late).
const RESIDENT_PER_TEXT_BYTE: u64 = 3;

/// Peak resident bytes per byte of text of a scan in memory (README, "Memory"): 4.7 to 5.8,
/// rounded up (a limit should not be detected too late).
const IN_MEMORY_PER_TEXT_BYTE: u64 = 6;

/// The memory limit a scan takes when none is given: three quarters of the memory available,
/// when a scan in memory looks larger than that; `None` (everything in memory) otherwise.
fn detected_limit(text: u64, available: u64) -> Option<u64> {
    let limit = available / 4 * 3;
    (text.saturating_mul(IN_MEMORY_PER_TEXT_BYTE) > limit).then_some(limit.max(1))
}

/// Bytes of text read before the texts go to disk when no limit is given: as soon as the
/// text read so far makes [`detected_limit`] take a limit.
fn spill_texts_after(available: u64) -> u64 {
    (available / 4 * 3).max(1) / IN_MEMORY_PER_TEXT_BYTE + 1
}

/// `MemAvailable` of a `/proc/meminfo`, in bytes.
fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let mut words = line.split_whitespace().skip(1);
    let value: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => value.checked_mul(1024),
        _ => None,
    }
}

/// `--memory-limit` does not spill everything yet: say so when what stays in memory looks
/// larger than the limit, before the scan starts rather than when memory runs out.
fn warn_if_resident_exceeds(text: u64, limit: u64) {
    let need = text.saturating_mul(RESIDENT_PER_TEXT_BYTE);
    if need > limit {
        eprintln!(
            "warning: --memory-limit {}: a scan of {} of text holds about {} in memory; its \
             texts, lines, shingle sets, window sketches, candidate pairs and shingle \
             statistics are spilled to disk, and its documents' other fields while pages are \
             matched, but not yet its verified pairs, nor those fields while the input is read \
             and the report made (nor the signatures of an index to save)",
            bytes(limit),
            bytes(text),
            bytes(need)
        );
    }
}

/// A byte count for people: bytes, MB or GB (powers of 1000).
fn bytes(n: u64) -> String {
    match n {
        0..1_000_000 => format!("{n} bytes"),
        1_000_000..1_000_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.2} GB", n as f64 / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[test]
    fn a_limit_is_detected_only_when_the_scan_looks_larger_than_the_memory_available() {
        let meminfo = "MemTotal:       24000000 kB\nMemFree:  1 kB\nMemAvailable:   20000000 kB\n";
        assert_eq!(mem_available(meminfo), Some(20_000_000 * 1024));
        assert_eq!(mem_available("MemAvailable: 12\n"), None);
        assert_eq!(mem_available("MemFree: 12 kB\n"), None);
        let avail = 20_000_000 * 1024;
        // 1 GB of text needs about 6 GB: it fits in three quarters of 20 GB.
        assert_eq!(detected_limit(1 << 30, avail), None);
        // 4 GB of text needs about 24 GB: over three quarters of what is available.
        assert_eq!(detected_limit(4 << 30, avail), Some(avail / 4 * 3));
        assert_eq!(detected_limit(1, 0), Some(1));
        // Texts go to disk during reading exactly when the text read so far makes a limit
        // detected.
        for avail in [0, 1, 7, 1000, 6 << 20, avail, u64::MAX] {
            let after = spill_texts_after(avail);
            assert!(detected_limit(after, avail).is_some(), "{avail}");
            assert!(detected_limit(after - 1, avail).is_none(), "{avail}");
        }
    }

    #[derive(Parser)]
    struct Scan {
        #[command(flatten)]
        args: ScanArgs,
    }

    fn parsed(args: &[&str]) -> ScanConfig {
        let a = Scan::try_parse_from(["scan", "corpus.jsonl"].iter().chain(args))
            .expect("valid arguments");
        config(&a.args.params)
    }

    #[test]
    fn keep_chrome_is_the_librarys_disabled_chrome() {
        assert_eq!(parsed(&["--keep-chrome"]).chrome, ChromeConfig::disabled());
        assert_eq!(parsed(&[]).chrome, ChromeConfig::default());
        assert_eq!(parsed(&[]), ScanConfig::default());
    }

    #[test]
    fn shingle_defaults_come_from_the_library_and_the_help_says_them() {
        assert_eq!(parsed(&[]).shingle, ShingleKind::DEFAULT_WORD);
        assert_eq!(ScanConfig::default().shingle, ShingleKind::DEFAULT_WORD);
        assert_eq!(
            parsed(&["--shingle", "char"]).shingle,
            ShingleKind::DEFAULT_CHAR
        );
        assert_eq!(
            parsed(&["--shingle", "char", "--shingle-size", "7"]).shingle,
            ShingleKind::Char(7)
        );
        let cmd = Scan::command();
        let help = cmd
            .get_arguments()
            .find(|a| a.get_id() == "shingle_size")
            .and_then(|a| a.get_help())
            .map(|h| h.to_string())
            .expect("--shingle-size has help");
        let says = format!(
            "[default: {} for word, {} for char]",
            ShingleKind::DEFAULT_WORD.size(),
            ShingleKind::DEFAULT_CHAR.size()
        );
        assert!(help.contains(&says), "{help}");
    }
}
