//! cli/exit.rs: what does the process's exit status say?
//!
//! Invariant: every way the binary ends maps to one of these codes (or to 130 / 143 from the
//! signal handler in [`super::interrupt`]); README and `--help` list the same ones.

/// Exit codes, also listed in README and `--help` ([`EXIT_CODES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything was read and written.
    Ok = 0,
    /// A fatal error: bad arguments, an input that cannot be opened, output that cannot be
    /// written.
    Error = 1,
    /// The run finished, but some input records were skipped (each reported on stderr).
    Skipped = 2,
}

impl Exit {
    /// The status handed to `std::process::exit`.
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// The exit codes as `--help` shows them after every command's options.
pub const EXIT_CODES: &str =
    "Exit codes: 0 success; 1 fatal error (bad arguments, unreadable input, \
unwritable output, an output that is one of the inputs); 2 finished but some input records were \
skipped (each named on stderr with file and line); 130 / 143 interrupted by SIGINT / SIGTERM \
(temporary output files removed).";
