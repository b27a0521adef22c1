//! The error type of the solvers: the input and operator errors of `prdp-core`, and what only an
//! iterative method can run into.

/// An error of a solve. Shapes, non-finite inputs, invalid settings and operators that lack
/// what a method needs (a diagonal, squareness) are [`prdp_core::Error`]s; a breakdown of the
/// iteration is the solvers' own.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SolverError {
    /// An error of the inputs, the settings or the operator.
    #[error(transparent)]
    Core(#[from] prdp_core::Error),

    /// An iterative method broke down: a zero denominator or a non-finite intermediate.
    #[error("{solver} broke down at iteration {iteration}: {reason}")]
    Breakdown {
        /// The solver (e.g. `"CG"`).
        solver: &'static str,
        /// The iteration at which it happened (0-based).
        iteration: usize,
        /// The quantity that vanished or overflowed.
        reason: String,
    },
}

impl SolverError {
    /// Whether the error is a symptom of divergence: a breakdown, or a non-finite input (the
    /// state a diverging training feeds the solver).
    pub fn is_divergence(&self) -> bool {
        matches!(
            self,
            Self::Breakdown { .. } | Self::Core(prdp_core::Error::NonFinite { .. })
        )
    }
}

/// Result alias with [`SolverError`].
pub type Result<T, E = SolverError> = core::result::Result<T, E>;
