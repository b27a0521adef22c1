//! The error type of prdp-train.

/// Everything that can go wrong configuring or running a training.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// A configuration key has an invalid value.
    #[error("config key `{key}`: {value} is invalid ({expected})")]
    Config {
        /// The key, dotted (`prdp.tau_step`).
        key: String,
        /// The value given.
        value: String,
        /// What is valid.
        expected: String,
    },
    /// The controller received a NaN or infinite metric.
    #[error("metric value {index} is {value} (K = {k}); training diverged")]
    NonFiniteMetric {
        /// Position in the history.
        index: usize,
        /// The value.
        value: f64,
        /// K in force.
        k: usize,
    },
    /// The loss or a state became non-finite; the last good checkpoint is kept.
    #[error(
        "training diverged at update step {step} (K = {k}): {detail}; the last good checkpoint is kept"
    )]
    Diverged {
        /// The update step.
        step: u64,
        /// K in force.
        k: usize,
        /// What became non-finite.
        detail: String,
    },
    /// A linear-algebra error (shapes, non-finite values, settings).
    #[error(transparent)]
    Core(#[from] prdp_core::Error),
    /// A solver error (its input or settings, or a breakdown of the iteration).
    #[error(transparent)]
    Solver(#[from] prdp_solvers::SolverError),
    /// A PDE assembly, physics or data error.
    #[error(transparent)]
    Pde(#[from] prdp_pde::PdeError),
    /// A network, optimiser or checkpoint error.
    #[error(transparent)]
    Nn(#[from] prdp_nn::NnError),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Another live process holds the run directory's lock: two runs in one directory would
    /// overwrite each other's checkpoints.
    #[error(
        "run directory {dir} is in use by process {pid} (its `lock` file); wait for that run to end or stop it (the lock of a process that no longer exists is taken over)"
    )]
    Locked {
        /// The run directory.
        dir: String,
        /// The process holding the lock.
        pid: u32,
    },
    /// Another rank of a data-parallel run failed; every rank reports the lowest failing
    /// rank's error.
    #[error("rank {rank} failed: {message}")]
    Rank {
        /// The rank that failed.
        rank: usize,
        /// Its error, as it printed it.
        message: String,
        /// Whether that error is a symptom of divergence ([`TrainError::is_divergence`]).
        diverged: bool,
    },
    /// A record, checkpoint or config could not be (de)serialised.
    #[error("{path}: {detail}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong.
        detail: String,
    },
}

impl TrainError {
    /// A [`TrainError::Io`] for `path`.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// A [`TrainError::Format`] for `path`.
    pub fn format(path: &std::path::Path, detail: impl core::fmt::Display) -> Self {
        Self::Format {
            path: path.display().to_string(),
            detail: detail.to_string(),
        }
    }

    /// A [`TrainError::Config`].
    pub fn config(key: &str, value: impl core::fmt::Display, expected: &str) -> Self {
        Self::Config {
            key: key.to_owned(),
            value: value.to_string(),
            expected: expected.to_owned(),
        }
    }
}

impl TrainError {
    /// Whether the error is a symptom of divergence: a non-finite value or a solver breakdown
    /// in the physics or the network.
    pub fn is_divergence(&self) -> bool {
        use prdp_pde::PdeError;
        let core = |e: &prdp_core::Error| matches!(e, prdp_core::Error::NonFinite { .. });
        match self {
            Self::Core(e) | Self::Pde(PdeError::Core(e)) => core(e),
            Self::Solver(e) | Self::Pde(PdeError::Solver(e)) => e.is_divergence(),
            Self::NonFiniteMetric { .. } => true,
            Self::Rank { diverged, .. } => *diverged,
            _ => false,
        }
    }
}
