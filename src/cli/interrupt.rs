//! cli/interrupt.rs: what happens to half-written outputs on Ctrl-C?
//!
//! On SIGINT or SIGTERM a watcher thread (not a signal handler, so it may take locks and touch
//! files) removes the temporary files of outputs being written and the scan's spill folders,
//! then exits with the conventional 128 + signal number (130, 143). Without it, `exit` by
//! signal leaves a hidden temporary file, as large as the output, beside it, and a scan under a
//! memory limit its `wirecopy-spill-*` folder (24 GB on ten million pages).

use std::sync::atomic::{AtomicBool, Ordering};

/// Set by commands whose every acknowledged result is already durable (`stream`): a signal then
/// ends the run normally, with status 0.
static DURABLE: AtomicBool = AtomicBool::new(false);

/// Set by commands that shut down on a signal themselves (`serve`): the watcher leaves them be.
static HANDLED: AtomicBool = AtomicBool::new(false);

/// From now on the command handles SIGINT and SIGTERM itself (a graceful shutdown); the
/// watcher ignores them.
#[cfg_attr(not(feature = "serve"), allow(dead_code))]
pub fn signals_handled_by_command() {
    HANDLED.store(true, Ordering::SeqCst);
}

/// From now on a SIGINT or SIGTERM exits with 0: everything acknowledged is on disk, and a
/// record being appended when the signal came was never acknowledged (reopening cuts it off).
pub fn signals_end_normally() {
    DURABLE.store(true, Ordering::SeqCst);
}

/// Start the watcher thread; without a handler the default (terminate) applies.
pub fn remove_temporaries_on_signal() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    std::thread::spawn(move || {
        for sig in signals.forever() {
            if HANDLED.load(Ordering::SeqCst) {
                continue;
            }
            wirecopy::atomic_write::remove_temporary_files();
            wirecopy::spill::remove_spill_folders();
            if DURABLE.load(Ordering::SeqCst) {
                std::process::exit(0);
            }
            std::process::exit(128 + sig);
        }
    });
}
