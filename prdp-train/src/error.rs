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
    /// The loss became non-finite; the last good checkpoint is kept.
    #[error(
        "training diverged at update step {step} (K = {k}): loss is {loss}; the last good checkpoint is kept"
    )]
    Diverged {
        /// The update step.
        step: u64,
        /// K in force.
        k: usize,
        /// The loss value.
        loss: f64,
    },
    /// A linear-algebra or solver error.
    #[error(transparent)]
    Solver(#[from] prdp_core::Error),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
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
    /// A [`TrainError::Config`].
    pub fn config(key: &str, value: impl core::fmt::Display, expected: &str) -> Self {
        Self::Config {
            key: key.to_owned(),
            value: value.to_string(),
            expected: expected.to_owned(),
        }
    }
}
