//! cli/: the `wirecopy` command, a thin layer over the library.
//!
//! [`main`] parses the command line, hands each command to its module (one per command: `scan`,
//! `eval`, `extract`, `index_info`, `index`, `serve`) and turns the outcome into an [`Exit`] code. The modules
//! beside them hold what the commands share: value parsers (`args`), progress bars on stderr
//! (`progress`), where results go (`output`), and the SIGINT/SIGTERM cleanup (`interrupt`).
//!
//! Invariant: the CLI decides nothing about documents. Parsing, matching, reporting and file
//! formats are the library's; this module reads flags, touches the terminal and the files the
//! user named, and maps errors to exit codes. stdout carries results only; warnings, progress and
//! the summary go to stderr. A closed stdout (`| head`) exits quietly with 0.

mod allocator;
mod args;
mod eval;
mod exit;
mod extract;
mod index;
mod index_info;
mod interrupt;
mod output;
mod progress;
mod scan;
#[cfg(feature = "serve")]
mod serve;

use clap::{Parser, Subcommand};
use exit::{Exit, EXIT_CODES};

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
    Scan(Box<scan::ScanArgs>),
    /// Score clusters (JSONL from `scan --format jsonl`) against labels.
    #[command(after_help = EXIT_CODES)]
    Eval(eval::EvalArgs),
    /// Show what wirecopy sees in one web page: its main text, or metadata and text as JSON.
    #[command(after_help = EXIT_CODES)]
    Extract(extract::ExtractArgs),
    /// Check an index saved by `scan --save-index` and print its header, parameters and counts
    /// (exit 1 when it is damaged).
    #[command(after_help = EXIT_CODES)]
    IndexInfo(index_info::IndexInfoArgs),
    /// Build and maintain a live index directory (see `query` and `stream`).
    #[command(subcommand)]
    Index(index::IndexCommand),
    /// Say for each input document whether it copies documents of an index, adding nothing: one
    /// JSON line per document, in input order.
    #[command(after_help = EXIT_CODES)]
    Query(index::QueryArgs),
    /// Read JSONL or WARC on stdin, add each document to an index and print its decision as a
    /// JSON line as soon as the add is durable; SIGINT/SIGTERM or the end of input exit 0.
    #[command(after_help = EXIT_CODES)]
    Stream(index::StreamArgs),
    /// Serve an index over HTTP (see README "HTTP service" and /v1/openapi.json); SIGINT or
    /// SIGTERM finish the requests in flight, sync and exit 0.
    #[cfg(feature = "serve")]
    #[command(after_help = EXIT_CODES)]
    Serve(serve::ServeArgs),
}

/// Run the command line of this process and exit with its [`Exit`] code.
pub fn main() -> ! {
    interrupt::remove_temporaries_on_signal();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // `--help` and `--version` come here too, on stdout, and succeed.
            let code = if e.use_stderr() {
                Exit::Error
            } else {
                Exit::Ok
            };
            let _ = e.print();
            std::process::exit(code.code());
        }
    };
    let code = match run(cli.command) {
        Ok(code) => code,
        Err(e) if output::is_broken_pipe(&e) => Exit::Ok,
        Err(e) => {
            eprintln!("error: {e:#}");
            Exit::Error
        }
    };
    std::process::exit(code.code());
}

fn run(command: Command) -> anyhow::Result<Exit> {
    match command {
        Command::Scan(a) => scan::run(*a),
        Command::Eval(a) => eval::run(a),
        Command::Extract(a) => extract::run(a),
        Command::IndexInfo(a) => index_info::run(a),
        Command::Index(c) => index::run(c),
        Command::Query(a) => index::query(a),
        Command::Stream(a) => index::stream(a),
        #[cfg(feature = "serve")]
        Command::Serve(a) => serve::run(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
