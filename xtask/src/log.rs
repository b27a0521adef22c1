//! The progress log of every reproduction: lines with the time since its start, on stderr
//! (unless quiet) and always appended to `log.txt` in the output directory, so that a long run
//! started with `--quiet` can still be followed. Under MPI every rank appends to the same file
//! (one write per line, so lines do not interleave).

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, Result};

/// Progress lines on stderr and in a log file.
pub(crate) struct Logger {
    /// Print nothing on stderr.
    quiet: bool,
    /// Start of the reproduction (lines show the time since).
    start: Instant,
    /// The log file.
    file: Mutex<std::fs::File>,
}

impl Logger {
    /// A logger appending to `path` (created if missing), printing on stderr unless `quiet`.
    ///
    /// # Errors
    /// The file cannot be opened.
    pub fn open(path: &Path, quiet: bool) -> Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        Ok(Self {
            quiet,
            start: Instant::now(),
            file: Mutex::new(file),
        })
    }

    /// Seconds since the logger was opened.
    pub fn elapsed(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// Writes `msg` with the elapsed time to the log file and, unless quiet, to stderr.
    pub fn say(&self, msg: &str) {
        let line = format!("[{:>6.1}s] {msg}\n", self.elapsed());
        if !self.quiet {
            eprint!("{line}");
        }
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        // The log is a convenience: a full disk must not stop the experiment.
        let _ = file.write_all(line.as_bytes());
    }
}
