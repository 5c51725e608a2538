//! cli/index_info.rs: `wirecopy index-info`, is this saved index whole, and what is in it?
//!
//! Opening the file ([`wirecopy::store::Index::open`]) checks every checksum; a damaged file is
//! an error (exit 1). The header, parameters, counts and section table go to stdout.

use super::exit::Exit;
use anyhow::Result;
use clap::Args;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

/// Arguments of `wirecopy index-info`.
#[derive(Args)]
pub struct IndexInfoArgs {
    /// An index file written by `scan --save-index`.
    file: PathBuf,
}

/// Run `wirecopy index-info`.
pub fn run(a: IndexInfoArgs) -> Result<Exit> {
    let path = &a.file;
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
    writeln!(w, "rules         {}", ix.rules())?;
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
