//! The `html` format.

use super::Report;
use std::io::{self, Write};

/// Write the report as one self-contained HTML file.
pub fn render_html(_report: &Report, _w: &mut dyn Write) -> io::Result<()> {
    Ok(())
}
