//! cli/output.rs: where do results go?
//!
//! To stdout (buffered), or to a file through [`wirecopy::atomic_write`], the one place that
//! creates output files: a regular file (or a symlink's target) is replaced whole, a device or
//! FIFO is written in place. An output that is one of the inputs is refused before anything is
//! read.

use anyhow::{bail, Context, Result};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Write to stdout, or to the file at `path` (see the module doc).
pub fn write_output(
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
/// paths are resolved): the scan would replace its own corpus. `outputs` pairs each path with
/// the flag that named it, for the message.
pub fn check_outputs_are_not_inputs(inputs: &[PathBuf], outputs: &[(&str, &Path)]) -> Result<()> {
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

/// Whether an error is, somewhere in its chain, a closed pipe (`wirecopy scan | head`): the
/// reader has all it wanted, so the binary exits quietly with 0.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
