//! cli/eval.rs: `wirecopy eval`, how good are these clusters against these labels?
//!
//! Reading and scoring are the library's ([`wirecopy::eval`]: errors name the file and line);
//! this module picks the files and prints the scores.

use super::exit::Exit;
use anyhow::Result;
use clap::{Args, ValueEnum};
use std::io::{self, Write};
use std::path::PathBuf;
use wirecopy::eval::{read_clusters, read_file, read_truth, score};

/// Arguments of `wirecopy eval`.
#[derive(Args)]
pub struct EvalArgs {
    /// Labels: one {"id", "cluster"} per document, singletons included.
    #[arg(long)]
    truth: PathBuf,
    /// Clusters: JSONL from `scan --format jsonl`.
    clusters: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: EvalFormat,
}

/// How the scores are printed (a choice of its own: the report formats do not apply).
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EvalFormat {
    Text,
    Json,
}

/// Run `wirecopy eval`.
pub fn run(a: EvalArgs) -> Result<Exit> {
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
