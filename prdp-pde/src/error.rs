//! The error type of `prdp-pde`.

use std::path::PathBuf;

/// Everything a caller can get wrong in `prdp-pde`, plus the errors of the linear-algebra layers
/// and of file input/output. Messages name the parameter, the shape or the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PdeError {
    /// An error of `prdp-core` (shapes, non-finite values, singular matrices, invalid
    /// settings).
    #[error(transparent)]
    Core(#[from] prdp_core::Error),

    /// An error of a solve (its input or settings, or a breakdown of the iteration).
    #[error(transparent)]
    Solver(#[from] prdp_solvers::SolverError),

    /// A physical or numerical parameter is out of range, e.g. `nu must be > 0, got -1`.
    #[error("{name} must be {expected}, got {value}")]
    InvalidArgument {
        /// The parameter (`"nu"`, `"dt"`, `"n"`, ...).
        name: String,
        /// The value supplied, formatted.
        value: String,
        /// What a valid value looks like, e.g. `"> 0"`.
        expected: String,
    },

    /// A state, input or batch buffer has the wrong number of values, e.g.
    /// `state has 899 values, expected 900 (30x30 grid)`.
    #[error("{what} has {got} values, expected {expected} ({shape})")]
    Length {
        /// The buffer (`"state"`, `"input g"`, ...).
        what: String,
        /// Its length.
        got: usize,
        /// The length required.
        expected: usize,
        /// The shape that implies the length, e.g. `"30x30 grid"`.
        shape: String,
    },

    /// An operation needs a preceding one, e.g. a VJP before any forward pass.
    #[error("{0}")]
    Order(String),

    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// A file exists but does not hold what was expected (bad header, dtype or shape).
    #[error("{}: {reason}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// Result alias with [`PdeError`].
pub type Result<T, E = PdeError> = core::result::Result<T, E>;

/// Builds a [`PdeError::InvalidArgument`].
pub(crate) fn bad_param(name: &str, value: impl core::fmt::Display, expected: &str) -> PdeError {
    PdeError::InvalidArgument {
        name: name.to_owned(),
        value: value.to_string(),
        expected: expected.to_owned(),
    }
}

/// Checks a buffer length, naming the buffer and the shape that implies the length.
pub(crate) fn check_len(
    what: &str,
    expected: usize,
    got: usize,
    shape: impl FnOnce() -> String,
) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(PdeError::Length {
            what: what.to_owned(),
            got,
            expected,
            shape: shape(),
        })
    }
}

/// Checks that `x > 0` and finite.
pub(crate) fn positive(name: &str, x: f64) -> Result<()> {
    if x.is_finite() && x > 0.0 {
        Ok(())
    } else {
        Err(bad_param(name, x, "> 0"))
    }
}

/// Checks that `x >= 0` and finite.
pub(crate) fn non_negative(name: &str, x: f64) -> Result<()> {
    if x.is_finite() && x >= 0.0 {
        Ok(())
    } else {
        Err(bad_param(name, x, ">= 0"))
    }
}
