//! The error type of `prdp-core`: inputs, operators, settings and factorisations (the
//! solvers' own breakdowns are `prdp_solvers::SolverError`).

/// Everything a caller can get wrong, or that can go wrong numerically, in the linear-algebra
/// layers. Messages name the offending sizes, values or settings.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A vector or matrix has the wrong length or shape.
    #[error("{what} has length {got}, expected {expected}")]
    Length {
        /// What was being checked, e.g. `"right-hand side b"`.
        what: String,
        /// The required length.
        expected: usize,
        /// The length supplied.
        got: usize,
    },

    /// An operator that must be square is not.
    #[error("{what} must be square, but it is {rows}x{cols}")]
    NotSquare {
        /// The operator being checked.
        what: String,
        /// Number of rows.
        rows: usize,
        /// Number of columns.
        cols: usize,
    },

    /// An input holds a NaN or an infinity.
    #[error("{what} is not finite: entry {index} is {value}")]
    NonFinite {
        /// The offending input.
        what: String,
        /// Index of the first non-finite entry.
        index: usize,
        /// Its value.
        value: f64,
    },

    /// A matrix is singular (or numerically so) and cannot be factorised or solved.
    #[error("{what} is singular: {detail}")]
    Singular {
        /// The matrix.
        what: String,
        /// Where the singularity was detected.
        detail: String,
    },

    /// An argument or configuration value is out of its valid range.
    #[error("invalid value for `{name}`: {value} ({expected})")]
    InvalidArgument {
        /// Name of the argument or config key.
        name: String,
        /// The value supplied, formatted.
        value: String,
        /// What a valid value looks like.
        expected: String,
    },

    /// The operation needs the operator's diagonal (e.g. Jacobi), which this operator cannot
    /// provide.
    #[error("operator {operator} does not provide its diagonal, which {needed_by} needs")]
    NoDiagonal {
        /// Description of the operator.
        operator: String,
        /// The method that needed it.
        needed_by: &'static str,
    },

    /// A faer factorisation failed for a reason other than singularity.
    #[error("factorisation of {what} failed: {detail}")]
    Factorization {
        /// The matrix.
        what: String,
        /// faer's message.
        detail: String,
    },
}

/// Result alias with [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Checks that `got == expected`, naming `what` in the error.
///
/// # Errors
/// [`Error::Length`] if the lengths differ.
pub fn check_len(what: &str, expected: usize, got: usize) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(Error::Length {
            what: what.to_owned(),
            expected,
            got,
        })
    }
}

/// Checks that every entry of `x` is finite, naming `what` and the first bad entry in the error.
///
/// # Errors
/// [`Error::NonFinite`] at the first NaN or infinity.
pub fn check_finite<T: crate::Real>(what: &str, x: &[T]) -> Result<()> {
    // A branch-free scan vectorises (an early-exit one does not, and costs a cycle per entry);
    // the offending index is only looked for on failure.
    if x.iter().fold(true, |ok, v| ok & v.is_finite()) {
        return Ok(());
    }
    match x.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(Error::NonFinite {
            what: what.to_owned(),
            index,
            value: x[index].as_f64(),
        }),
    }
}

/// Builds an [`Error::InvalidArgument`].
pub fn invalid(name: &str, value: impl core::fmt::Display, expected: &str) -> Error {
    Error::InvalidArgument {
        name: name.to_owned(),
        value: value.to_string(),
        expected: expected.to_owned(),
    }
}
