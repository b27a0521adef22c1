//! How much work a solve may do, and how it starts.

use prdp_core::{Result, invalid};
use serde::{Deserialize, Serialize};

/// The single knob PRDP turns: at most `max_iters` iterations, stopping early once the relative
/// residual ‖b − A x‖₂ / ‖b‖₂ falls below `rtol`.
///
/// For GMRES(m) one iteration is one restart cycle of m Arnoldi steps, as in the PRDP paper
/// (appendix B.3). `rtol = 0` runs exactly `max_iters` iterations.
///
/// # Example
/// ```
/// use prdp_solvers::Budget;
/// let b = Budget::new(25, 1e-5).unwrap();
/// assert_eq!(b.max_iters, 25);
/// assert!(Budget::new(10, -1.0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Maximum number of iterations K.
    pub max_iters: usize,
    /// Relative residual tolerance ε.
    pub rtol: f64,
}

impl Budget {
    /// A budget of `max_iters` iterations with tolerance `rtol`.
    ///
    /// # Errors
    /// [`prdp_core::Error::InvalidArgument`] if `rtol` is negative or not finite.
    pub fn new(max_iters: usize, rtol: f64) -> Result<Self> {
        let b = Self { max_iters, rtol };
        b.validate()?;
        Ok(b)
    }

    /// Exactly `k` iterations (tolerance 0): the fixed-K program P_K of the paper.
    pub fn fixed(k: usize) -> Self {
        Self {
            max_iters: k,
            rtol: 0.0,
        }
    }

    /// Checks the fields (a deserialised budget is not validated by serde).
    ///
    /// # Errors
    /// [`prdp_core::Error::InvalidArgument`] naming `rtol`.
    pub fn validate(&self) -> Result<()> {
        if self.rtol.is_finite() && self.rtol >= 0.0 {
            Ok(())
        } else {
            Err(invalid("rtol", self.rtol, "a finite number >= 0"))
        }
    }
}

/// Options of a single solve that are not part of the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SolveOptions {
    /// Use the contents of `x` as the initial guess instead of zero.
    pub warm_start: bool,
    /// Record the relative residual after every iteration in the report.
    pub record_history: bool,
}
