//! The error type of the crate.

/// Everything that can go wrong in a Neural IVP or EDNN run: bad configurations (naming the
/// key), mismatched shapes, non-finite states (naming the time and step), failed
/// factorisations, and errors passed up from `prdp-core`, `prdp-solvers` and `prdp-nn`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IvpError {
    /// A configuration value is out of range.
    #[error("config key `{key}`: {value} is invalid ({expected})")]
    Config {
        /// Dotted config key, e.g. `"solver.rank"`.
        key: String,
        /// The value supplied, formatted.
        value: String,
        /// What a valid value looks like.
        expected: String,
    },

    /// A vector, point set or parameter buffer has the wrong length.
    #[error("{what} has length {got}, expected {expected}")]
    Length {
        /// What was being checked.
        what: String,
        /// The required length.
        expected: usize,
        /// The length supplied.
        got: usize,
    },

    /// The parameters θ, their velocity θ̇ or the PDE right-hand side became NaN or infinite.
    #[error("{what} is not finite at t = {time} (step {step}, entry {index})")]
    NonFinite {
        /// Which quantity (`"θ"`, `"θ̇"`, `"PDE right-hand side"`, ...).
        what: String,
        /// The time at which it was detected.
        time: f64,
        /// The integrator step (accepted steps so far).
        step: usize,
        /// The first offending entry.
        index: usize,
    },

    /// A dense factorisation (Cholesky, SVD, eigendecomposition) failed.
    #[error("{what} failed: {detail}")]
    Factorization {
        /// The factorisation and matrix.
        what: String,
        /// Why.
        detail: String,
    },

    /// The adaptive integrator could not continue (step size underflow or too many steps).
    #[error("integrator stopped at t = {time}: {reason}")]
    Integrator {
        /// The time reached.
        time: f64,
        /// Why it stopped.
        reason: String,
    },

    /// A checkpoint could not be written or read, or belongs to another run.
    #[error("checkpoint {path}: {detail}")]
    Checkpoint {
        /// The checkpoint file.
        path: String,
        /// What went wrong.
        detail: String,
    },

    /// The run stopped after the accepted step `step`, as asked
    /// ([`Checkpointing::stop_after`](crate::Checkpointing::stop_after)); its checkpoint is
    /// written and a rerun resumes from it.
    #[error("stopped after step {step} as asked; the checkpoint resumes the run")]
    Stopped {
        /// Accepted steps taken.
        step: usize,
    },

    /// An error from the linear-algebra layers (shapes, non-finite values, ...).
    #[error(transparent)]
    Core(#[from] prdp_core::Error),

    /// An error of a CG solve (a breakdown, ...).
    #[error(transparent)]
    Solver(#[from] prdp_solvers::SolverError),

    /// An error from the neural-network layer (optimiser configuration, ...).
    #[error(transparent)]
    Nn(#[from] prdp_nn::NnError),
}

/// Result alias with [`IvpError`].
pub type Result<T, E = IvpError> = core::result::Result<T, E>;

/// Builds an [`IvpError::Config`].
pub(crate) fn config_err(key: &str, value: impl core::fmt::Display, expected: &str) -> IvpError {
    IvpError::Config {
        key: key.to_owned(),
        value: value.to_string(),
        expected: expected.to_owned(),
    }
}

/// Checks a solve's horizon and output times: `t_end` > 0 and every output time in
/// [0, `t_end`] (EDNN and Neural IVP reject the same requests).
pub(crate) fn check_horizon(t_end: f64, output_times: &[f64]) -> Result<()> {
    positive("t_end", t_end)?;
    match output_times.iter().find(|&&t| !(0.0..=t_end).contains(&t)) {
        Some(&t) => Err(config_err("output_times", t, "times in [0, t_end]")),
        None => Ok(()),
    }
}

/// Checks `got == expected`, naming `what` in the error.
pub(crate) fn check_len(what: &str, expected: usize, got: usize) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(IvpError::Length {
            what: what.to_owned(),
            expected,
            got,
        })
    }
}

/// Checks that every entry of `x` is finite; the error names the time and step.
pub(crate) fn check_state(what: &str, x: &[f64], time: f64, step: usize) -> Result<()> {
    match x.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(IvpError::NonFinite {
            what: what.to_owned(),
            time,
            step,
            index,
        }),
    }
}

/// Checks that `v` is finite and positive.
pub(crate) fn positive(key: &str, v: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(config_err(key, v, "a finite number > 0"))
    }
}

/// Checks that `v` is finite and non-negative.
pub(crate) fn non_negative(key: &str, v: f64) -> Result<()> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(config_err(key, v, "a finite number >= 0"))
    }
}

/// Checks that a count is at least `min`.
pub(crate) fn at_least(key: &str, v: usize, min: usize) -> Result<()> {
    if v >= min {
        Ok(())
    } else {
        Err(config_err(key, v, &format!("an integer >= {min}")))
    }
}
