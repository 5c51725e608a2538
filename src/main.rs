//! The `wirecopy` command: a thin layer over the library that reads inputs, shows progress on
//! stderr, and writes results to stdout or a file.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use wirecopy::chrome::ChromeConfig;
use wirecopy::lsh::Banding;
use wirecopy::pipeline::{self, Observer, ScanConfig};
use wirecopy::report::{self, ReportConfig};
use wirecopy::shingle::ShingleKind;
use wirecopy::source::{self, FieldMap, ReadCounts, ReadOptions};
use wirecopy::{output, Document};

/// Exit codes, also listed in README and `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    /// Everything was read and written.
    Ok = 0,
    /// A fatal error: bad arguments, an input that cannot be opened, output that cannot be
    /// written.
    Error = 1,
    /// The run finished, but some input records were skipped (each reported on stderr).
    Skipped = 2,
}

const EXIT_CODES: &str = "Exit codes: 0 success; 1 fatal error (bad arguments, unreadable input, \
unwritable output, an output that is one of the inputs); 2 finished but some input records were \
skipped (each named on stderr with file and line); 130 / 143 interrupted by SIGINT / SIGTERM \
(temporary output files removed).";

#[derive(Parser)]
#[command(name = "wirecopy", version, about = "Find near-duplicate and syndicated copies of news stories", after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Group near-duplicate documents of a corpus into clusters.
    #[command(after_help = EXIT_CODES)]
    Scan(Box<ScanArgs>),
    /// Score clusters (JSONL from `scan --format jsonl`) against labels.
    #[command(after_help = EXIT_CODES)]
    Eval(EvalArgs),
    /// Show what wirecopy sees in one web page: its main text, or metadata and text as JSON.
    #[command(after_help = EXIT_CODES)]
    Extract(ExtractArgs),
    /// Check an index saved by `scan --save-index` and print its header, parameters and counts
    /// (exit 1 when it is damaged).
    #[command(after_help = EXIT_CODES)]
    IndexInfo(IndexInfoArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Terminal tables.
    Text,
    /// One JSON document: schema_version, parameters, counts, clusters, sites.
    Json,
    /// One JSON object per cluster of two or more documents.
    Jsonl,
    /// One row per document, singletons included.
    Csv,
    /// One self-contained HTML page with charts and side-by-side views.
    Html,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ShingleArg {
    /// Word k-grams (unspaced scripts: one unit per character).
    Word,
    /// Character k-grams.
    Char,
}

#[derive(Args)]
struct ScanArgs {
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
    /// A copy dated more than this many days after its origin is a stale re-post.
    #[arg(long, default_value_t = 30, value_name = "DAYS")]
    stale_after: u32,
    /// Also save signatures, corpus statistics and shingle sets to FILE (see `index-info`).
    #[arg(long, value_name = "FILE")]
    save_index: Option<PathBuf>,
    /// Largest JSONL line, WARC/ARC record, decoded HTTP body or file held in memory, in bytes;
    /// larger ones are reported and skipped.
    #[arg(long, value_name = "BYTES", default_value_t = source::DEFAULT_MAX_RECORD_SIZE,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_record_size: u64,
    #[command(flatten)]
    fields: FieldArgs,
    #[command(flatten)]
    params: ParamArgs,
}

#[derive(Args)]
struct FieldArgs {
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
}

#[derive(Args)]
struct ParamArgs {
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
    /// Keep site chrome and headline lists (no chrome learning).
    #[arg(long)]
    keep_chrome: bool,
    /// Plain connected components: no guard against chaining.
    #[arg(long)]
    no_guard: bool,
    /// Share of the match thresholds at which the chaining guard's cross pairs pass (0 to 1).
    #[arg(long, default_value_t = wirecopy::cluster::ClusterConfig::default().guard_factor, value_parser = parse_unit)]
    guard_factor: f64,
}

/// Most worker threads `--threads` accepts. Work is CPU-bound, so more threads than cores only
/// cost memory (a stack each); 1024 covers the largest machines while a typo such as 100000
/// is refused at once instead of spawning threads until the system gives out.
const MAX_THREADS: usize = 1024;

/// Most MinHash permutations `--num-perm` accepts (and the most bands or rows): signatures cost
/// 4 bytes per permutation per document, and choosing the banding takes time that grows with
/// the permutations; 4096 is 32 times the default.
const MAX_NUM_PERM: usize = 4096;

/// Parameter parsers: every numeric flag is range-checked, and every float must be finite,
/// when the command line is read, before any input is opened. Clap names the flag and the value
/// in the message: `invalid value 'nan' for '--guard-factor <GUARD_FACTOR>': must be ...`.
fn parse_int_in(s: &str, lo: usize, hi: usize) -> std::result::Result<usize, String> {
    let v: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("must be a whole number from {lo} to {hi}"))?;
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(format!("must be from {lo} to {hi}"))
    }
}

fn parse_threads(s: &str) -> std::result::Result<usize, String> {
    parse_int_in(s, 1, MAX_THREADS)
}

fn parse_num_perm(s: &str) -> std::result::Result<usize, String> {
    parse_int_in(s, 1, MAX_NUM_PERM)
}

fn parse_min_shingles(s: &str) -> std::result::Result<usize, String> {
    parse_int_in(s, 0, 1_000_000)
}

fn parse_shingle_size(s: &str) -> std::result::Result<u8, String> {
    parse_int_in(s, 1, 64).map(|v| v as u8)
}

fn parse_finite(s: &str) -> std::result::Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| "must be a number".to_string())?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err("must be a finite number".into())
    }
}

/// A float in 0..=1 (thresholds, shares).
fn parse_unit(s: &str) -> std::result::Result<f64, String> {
    let v = parse_finite(s)?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err("must be between 0 and 1".into())
    }
}

/// A float strictly between 0 and 1 (the LSH S-curve's midpoint).
fn parse_open_unit(s: &str) -> std::result::Result<f64, String> {
    let v = parse_finite(s)?;
    if v > 0.0 && v < 1.0 {
        Ok(v)
    } else {
        Err("must be strictly between 0 and 1".into())
    }
}

#[derive(Args)]
struct EvalArgs {
    /// Labels: one {"id", "cluster"} per document, singletons included.
    #[arg(long)]
    truth: PathBuf,
    /// Clusters: JSONL from `scan --format jsonl`.
    clusters: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: EvalFormat,
}

#[derive(Args)]
struct IndexInfoArgs {
    /// An index file written by `scan --save-index`.
    file: PathBuf,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EvalFormat {
    Text,
    Json,
}

fn main() {
    remove_temporaries_on_signal();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Error
            } else {
                Exit::Ok
            };
            let _ = e.print();
            std::process::exit(code as i32);
        }
    };
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                Exit::Ok
            } else {
                eprintln!("error: {e:#}");
                Exit::Error
            }
        }
    };
    std::process::exit(code as i32);
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> Result<Exit> {
    match cli.command {
        Command::Scan(a) => scan(*a),
        Command::Eval(a) => eval(a),
        Command::Extract(a) => extract(a),
        Command::IndexInfo(a) => index_info(&a.file),
    }
}

fn config(p: &ParamArgs) -> ScanConfig {
    let d = ScanConfig::default();
    let shingle = match p.shingle {
        ShingleArg::Word => ShingleKind::Word(p.shingle_size.unwrap_or(d.shingle.size() as u8)),
        ShingleArg::Char => ShingleKind::Char(p.shingle_size.unwrap_or(5)),
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
            ChromeConfig {
                site_min_pages: u32::MAX,
                global_max_pages: u32::MAX,
                global_max_share: 1.0,
                drop_headline_lists: false,
                drop_metadata_lines: false,
                story_groups: false,
                ..ChromeConfig::default()
            }
        } else {
            ChromeConfig::default()
        },
        cluster: wirecopy::cluster::ClusterConfig {
            guard: !p.no_guard,
            guard_factor: p.guard_factor,
            ..d.cluster
        },
        ..d
    }
}

/// Progress bars on stderr, one per stage.
struct Bars {
    bar: Mutex<Option<ProgressBar>>,
    enabled: bool,
}

impl Observer for Bars {
    fn stage(&self, name: &'static str, len: u64) {
        if !self.enabled {
            return;
        }
        let mut g = self.bar.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = g.take() {
            b.finish_and_clear();
        }
        let b = ProgressBar::new(len);
        b.set_style(
            ProgressStyle::with_template("{msg:>16} [{bar:40}] {pos}/{len} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b.set_message(name);
        *g = Some(b);
    }

    fn advance(&self, n: u64) {
        if !self.enabled {
            return;
        }
        if let Some(b) = self.bar.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            b.inc(n);
        }
    }
}

impl Bars {
    fn finish(&self) {
        if let Some(b) = self.bar.lock().unwrap_or_else(|p| p.into_inner()).take() {
            b.finish_and_clear();
        }
    }
}

fn read_all(inputs: &[PathBuf], options: &ReadOptions) -> Result<(Vec<Document>, ReadCounts)> {
    let mut on_problem = |e: wirecopy::Error| match e {
        wirecopy::Error::Warning { .. } => eprintln!("warning: {e}"),
        _ => eprintln!("warning: skipped {e}"),
    };
    Ok(source::read_documents(inputs, options, &mut on_problem)?)
}

fn scan(a: ScanArgs) -> Result<Exit> {
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
    let fields = FieldMap {
        id: a.fields.id_field.clone(),
        text: a.fields.text_field.clone(),
        url: a.fields.url_field.clone(),
        site: a.fields.site_field.clone(),
        title: a.fields.title_field.clone(),
        published: a.fields.published_field.clone(),
    };
    let options = ReadOptions {
        fields,
        max_record_size: a.max_record_size,
    };
    let (docs, read) = read_all(&a.inputs, &options)?;
    let bars = Bars {
        bar: Mutex::new(None),
        enabled: !a.quiet && io::stderr().is_terminal(),
    };
    let mut result = pipeline::scan(docs, &cfg, &bars)?;
    bars.finish();
    if let Some(p) = &a.save_index {
        wirecopy::store::save(p, &result).context("saving the index")?;
    }
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
        },
    );
    write_output(a.output.as_deref(), |w| {
        report::render(&report, format.into(), w)
    })?;
    if !a.quiet {
        let c = output::counts(&result, read);
        let non_html = if c.non_html_skipped > 0 {
            format!(", {} non-HTML WARC records", c.non_html_skipped)
        } else {
            String::new()
        };
        eprintln!(
            "wirecopy: {} documents, {} clusters ({} documents), {} skipped{non_html}",
            c.documents, c.clusters, c.clustered_documents, c.skipped
        );
    }
    Ok(if read.skipped > 0 {
        Exit::Skipped
    } else {
        Exit::Ok
    })
}

impl From<Format> for report::Format {
    fn from(f: Format) -> Self {
        match f {
            Format::Text => report::Format::Text,
            Format::Json => report::Format::Json,
            Format::Jsonl => report::Format::Jsonl,
            Format::Csv => report::Format::Csv,
            Format::Html => report::Format::Html,
        }
    }
}

/// Write to stdout or to a file through [`wirecopy::atomic_write`]: a regular file (or a
/// symlink's target) is replaced whole, a device or FIFO is written in place.
fn write_output(
    path: Option<&Path>,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    match path {
        None => {
            let stdout = io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            f(&mut w).context("writing to stdout")?;
            w.flush().context("writing to stdout")?;
        }
        Some(p) => {
            wirecopy::atomic_write::write(p, false, |file| {
                let mut w = BufWriter::new(file);
                f(&mut w)?;
                w.flush()
            })
            .with_context(|| format!("writing {}", p.display()))?;
        }
    }
    Ok(())
}

/// Refuse an output path that names one of the inputs (same file once links and relative
/// paths are resolved): the scan would replace its own corpus.
fn check_outputs_are_not_inputs(inputs: &[PathBuf], outputs: &[(&str, &Path)]) -> Result<()> {
    for (flag, out) in outputs {
        for input in inputs {
            if input.as_os_str() != "-" && wirecopy::atomic_write::same_file(input, out) {
                bail!(
                    "{flag} {} is the input {}: refusing to overwrite an input",
                    out.display(),
                    input.display()
                );
            }
        }
    }
    Ok(())
}

/// On SIGINT or SIGTERM: remove the temporary files of outputs being written, then exit with
/// the conventional 128 + signal number (130, 143). Without this, `exit` by signal leaves a
/// hidden temporary file, as large as the output, beside it.
fn remove_temporaries_on_signal() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return; // no handler: the default (terminate) applies
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            wirecopy::atomic_write::remove_temporary_files();
            std::process::exit(128 + sig);
        }
    });
}

fn eval(a: EvalArgs) -> Result<Exit> {
    use wirecopy::eval::{read_clusters, read_file, read_truth, score};
    let truth = read_file(&a.truth, read_truth)?;
    let predicted = read_file(&a.clusters, read_clusters)?;
    let s = score(&truth, &predicted)?;
    let stdout = io::stdout();
    let mut w = stdout.lock();
    match a.format {
        EvalFormat::Json => writeln!(w, "{}", serde_json::to_string_pretty(&s)?)?,
        EvalFormat::Text => writeln!(
            w,
            "documents {}  pairs predicted {} true {} correct {}  precision {:.4}  recall {:.4}  F1 {:.4}  ARI {:.4}",
            s.documents, s.predicted_pairs, s.true_pairs, s.correct_pairs, s.precision, s.recall, s.f1, s.ari
        )?,
    }
    Ok(Exit::Ok)
}

// --- extract (issue 4) ---

#[derive(Args)]
struct ExtractArgs {
    /// An HTML page, or - for stdin.
    input: PathBuf,
    /// Where the page was found: sets the site and resolves relative links.
    #[arg(long)]
    url: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: ExtractFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExtractFormat {
    /// The main text, one paragraph per line.
    Text,
    /// {"url","title","published","byline","site","text"}.
    Json,
}

fn extract(a: ExtractArgs) -> Result<Exit> {
    use wirecopy::html;
    let e = html::extract_file(&a.input, a.url.as_deref())
        .with_context(|| format!("extracting {}", a.input.display()))?;
    let format = match a.format {
        ExtractFormat::Text => html::Format::Text,
        ExtractFormat::Json => html::Format::Json,
    };
    let stdout = io::stdout();
    let mut w = stdout.lock();
    w.write_all(html::render(&e, format).as_bytes())?;
    w.flush()?;
    Ok(Exit::Ok)
}

/// `wirecopy index-info`: opening checks every checksum; a damaged file is an error (exit 1).
fn index_info(path: &Path) -> Result<Exit> {
    let ix = wirecopy::store::Index::open(path)?;
    let (p, c, b) = (ix.params(), ix.config(), ix.banding());
    let stdout = io::stdout();
    let mut w = BufWriter::new(stdout.lock());
    writeln!(
        w,
        "file          {} ({} bytes)",
        path.display(),
        ix.file_len()
    )?;
    writeln!(
        w,
        "format        wirecopy index version {}, little-endian, all checksums ok",
        ix.format_version()
    )?;
    writeln!(
        w,
        "signatures    {} shingles, {} permutations, seed {}, normalizer {}",
        p.shingle, p.num_perm, p.seed, p.normalizer_version
    )?;
    writeln!(
        w,
        "matching      threshold {}, containment {}, banding {} x {}, min shingles {}",
        c.threshold, c.containment, b.bands, b.rows, c.min_shingles
    )?;
    writeln!(
        w,
        "documents     {} ({} near-empty)",
        ix.len(),
        ix.near_empty().iter().filter(|&&f| f == 1).count()
    )?;
    writeln!(
        w,
        "line stats    {} pages, {} lines, {} site lines",
        ix.line_pages(),
        ix.line_stats_global().len(),
        ix.line_stats_per_site().len()
    )?;
    writeln!(
        w,
        "shingles      {} in sets, {} distinct, {} stop shingles dropped",
        ix.total_shingles(),
        ix.shingle_df().len(),
        ix.stop_shingles()
    )?;
    writeln!(w, "sections")?;
    for s in ix.sections() {
        writeln!(
            w,
            "  {:<20} offset {:>10}  bytes {:>10}  xxh3 {:016x}",
            s.kind.name(),
            s.offset,
            s.len,
            s.checksum
        )?;
    }
    w.flush()?;
    Ok(Exit::Ok)
}
