//! cli/progress.rs: what does a long scan show while it runs?
//!
//! One progress bar per pipeline stage, on stderr and only when stderr is a terminal, fed by the
//! pipeline's [`Observer`] callbacks.
//!
//! Invariant: nothing here writes to stdout, so results piped elsewhere stay clean.

use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Mutex;
use wirecopy::pipeline::Observer;

/// Progress bars on stderr, one per stage.
pub struct Bars {
    bar: Mutex<Option<ProgressBar>>,
    enabled: bool,
}

impl Bars {
    /// Bars that draw only when `enabled` (not `--quiet`, stderr a terminal).
    pub fn new(enabled: bool) -> Bars {
        Bars {
            bar: Mutex::new(None),
            enabled,
        }
    }

    /// Clear the last stage's bar.
    pub fn finish(&self) {
        if let Some(b) = self.bar.lock().unwrap_or_else(|p| p.into_inner()).take() {
            b.finish_and_clear();
        }
    }
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
