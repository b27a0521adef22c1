//! What a run returns: θ at the output times and a serde record of every step, restart and
//! counter.

use serde::{Deserialize, Serialize};

use super::config::NeuralIvpConfig;
use crate::fit::FitReport;
use crate::network::Network;
use crate::restart::RestartReason;

/// One accepted step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Time at the end of the step.
    pub t: f64,
    /// Step size.
    pub h: f64,
    /// Rejected attempts before it.
    pub rejected: usize,
    /// CG iterations of every solve made for this step (including rejected attempts; per
    /// solve, the most any block of M̂ needed).
    pub cg_iters: Vec<usize>,
    /// The iterations of every solve's last CG pass, i.e. those under a freshly built
    /// preconditioner or one kept within its reuse bound, without the iterations a stale one
    /// spent before it was rebuilt: what the restart trigger counts.
    #[serde(default)]
    pub cg_iters_fresh: Vec<usize>,
    /// Whether every solve met the tolerance.
    pub cg_converged: bool,
    /// Preconditioner builds during the step.
    pub builds: usize,
    /// Largest eigenvalue estimate λ̂_max of M̂ in use at the end of the step (the largest over
    /// its blocks).
    pub lambda_max: f64,
    /// Regularisation μ in use in the block of the largest λ̂_max (each block's μ is relative to
    /// its own λ̂_max).
    pub mu: f64,
    /// Relative PDE residual ‖Jθ̇ − f‖/‖f‖ on fresh points at the end of the step.
    pub residual: Option<f64>,
    /// The same residual of each equation (output) alone; empty when not measured.
    #[serde(default)]
    pub residuals: Vec<f64>,
    /// The residual on the interior cube of [`crate::NeuralIvpConfig::eval_interior`].
    #[serde(default)]
    pub residual_interior: Option<f64>,
    /// Wall time since the start of the run (seconds).
    pub wall: f64,
}

/// A restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestartEvent {
    /// Time of the restart.
    pub t: f64,
    /// Accepted steps before it.
    pub step: usize,
    /// What triggered it.
    pub reason: RestartReason,
    /// The refit.
    pub fit: FitReport,
    /// Whether the refit replaced the state (see [`crate::RestartConfig`]).
    pub accepted: bool,
    /// The PDE residual of the replaced state at the step's fresh points.
    pub residual_before: Option<f64>,
    /// The refit's PDE residual at the same points (`None` if not measured, or if the refit
    /// was rejected on its fit error).
    pub residual_after: Option<f64>,
}

/// Totals and time series of a run (a serde record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Problem name.
    pub problem: String,
    /// Number of parameters p.
    pub params: usize,
    /// The configuration.
    pub config: NeuralIvpConfig,
    /// The initial fit.
    pub fit: FitReport,
    /// Accepted steps.
    pub steps: Vec<StepRecord>,
    /// Restarts.
    pub restarts: Vec<RestartEvent>,
    /// Linear solves (right-hand-side evaluations).
    pub solves: usize,
    /// CG iterations over all solves.
    pub cg_iters: usize,
    /// M̂ products: CG products plus ℓ per preconditioner build (and power iterations).
    pub matvecs: usize,
    /// Preconditioner builds.
    pub builds: usize,
    /// Wall time of the whole run including the initial fit (seconds).
    pub wall_seconds: f64,
    /// Wall time of the initial fit and the refits (seconds).
    pub fit_seconds: f64,
}

/// θ at the requested output times, and the run record.
#[derive(Debug, Clone)]
pub struct Solution {
    /// The network architecture of θ.
    pub network: Network,
    /// (t, θ(t)) at every requested output time.
    pub snapshots: Vec<(f64, Vec<f64>)>,
    /// The record.
    pub record: RunRecord,
}
