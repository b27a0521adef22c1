//! Where a summary's numbers come from: the commit, the command and the machine.

use std::process::Command;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::ReproduceOptions;

/// Written into every `summary.json`, so that a committed result names the code that made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// `git rev-parse HEAD` when the process started ("unknown" outside a checkout).
    pub commit: String,
    /// Whether tracked files differed from that commit.
    pub dirty: bool,
    /// The command line.
    pub command: String,
    /// The preset: quick, medium or full.
    pub preset: String,
    /// Threads of the machine.
    pub threads: usize,
    /// MPI ranks the runs were spread over (1: one process).
    #[serde(default = "one")]
    pub ranks: usize,
}

fn one() -> usize {
    1
}

/// The commit and its dirty flag when the process started: a reproduction that runs for hours
/// must name the code it ran, not the commit the work tree has reached when it ends.
static START: OnceLock<(String, bool)> = OnceLock::new();

/// Reads the commit now; call it first thing in `main`.
pub fn capture() {
    START.get_or_init(|| {
        let git = |args: &[&str]| {
            Command::new("git")
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
        };
        let commit = git(&["rev-parse", "HEAD"]).map_or_else(
            || "unknown".to_owned(),
            |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        );
        let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
            .is_some_and(|o| !o.stdout.is_empty());
        (commit, dirty)
    });
}

impl Provenance {
    /// The provenance of a summary written by this process.
    pub fn now(opts: &ReproduceOptions) -> Self {
        capture();
        let (commit, dirty) = START.get().cloned().unwrap_or_default();
        Self {
            commit,
            dirty,
            command: format!(
                "cargo xtask {}",
                std::env::args().skip(1).collect::<Vec<_>>().join(" ")
            ),
            preset: opts.size.name().to_owned(),
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            ranks: opts.ranks.size(),
        }
    }
}
