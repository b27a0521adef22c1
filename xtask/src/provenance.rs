//! Where a summary's numbers come from: the commit, the command and the machine.

use serde::{Deserialize, Serialize};

use crate::ReproduceOptions;

/// Written into every `summary.json`, so that a committed result names the code that made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The commit the binary was built from (`git rev-parse HEAD` at build time; "unknown"
    /// outside a checkout): a reproduction that runs for hours names the code it ran, not the
    /// commit the work tree has reached when it ends.
    pub commit: String,
    /// Whether tracked files differed from that commit when the binary was built.
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

impl Provenance {
    /// The provenance of a summary written by this process.
    pub fn now(opts: &ReproduceOptions) -> Self {
        Self {
            commit: env!("PRDP_BUILD_COMMIT").to_owned(),
            dirty: env!("PRDP_BUILD_DIRTY") == "true",
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
