//! The configuration of a Neural IVP run and its validation.

use serde::{Deserialize, Serialize};

use crate::error::{Result, at_least, config_err, non_negative, positive};
use crate::fit::FitConfig;
use crate::network::NetworkConfig;
use crate::restart::RestartConfig;
use crate::rk::{RkScheme, StepControl};

/// The linear solve of every right-hand-side evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinearSolveConfig {
    /// CG iteration cap (the paper: 1000).
    pub cg_max_iters: usize,
    /// CG relative residual tolerance (the paper: 1e-8).
    pub cg_rtol: f64,
    /// Regularisation μ relative to the largest eigenvalue estimate (the paper: 1e-6).
    pub mu: f64,
    /// Nyström rank ℓ (the paper: 200–350); 0 for unpreconditioned CG (λ̂_max then comes from
    /// 20 power iterations).
    pub rank: usize,
    /// Nyström stabilising shift relative to ‖M̂Ω‖_F.
    pub nystrom_shift: f64,
    /// Keep the preconditioner across stages and steps while CG iterations stay below
    /// `rebuild_growth`·(iterations of the first solve after the build) + `rebuild_slack`
    /// (the public code rebuilds it at every stage). A solve under a reused preconditioner is
    /// cut off at that bound; if it has not converged by then, the preconditioner is rebuilt
    /// and CG continues from where it stopped, so a stale preconditioner costs at most the
    /// bound in wasted iterations.
    pub reuse_preconditioner: bool,
    /// See `reuse_preconditioner`.
    pub rebuild_growth: f64,
    /// See `reuse_preconditioner`.
    pub rebuild_slack: usize,
    /// Start CG from the previous θ̇ (the public code always starts from zero).
    pub warm_start: bool,
}

impl Default for LinearSolveConfig {
    fn default() -> Self {
        Self {
            cg_max_iters: 1000,
            cg_rtol: 1e-8,
            mu: 1e-6,
            rank: 200,
            nystrom_shift: 1e-8,
            reuse_preconditioner: true,
            rebuild_growth: 1.5,
            rebuild_slack: 10,
            warm_start: true,
        }
    }
}

/// Everything a Neural IVP run needs besides the problem. Unknown keys are an error.
///
/// # Example
/// ```
/// use neural_ivp::NeuralIvpConfig;
/// let cfg: NeuralIvpConfig = serde_json::from_str(r#"{"points": 2000, "solver": {"rank": 50}}"#).unwrap();
/// assert_eq!(cfg.solver.rank, 50);
/// assert!(serde_json::from_str::<NeuralIvpConfig>(r#"{"pointz": 1}"#).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NeuralIvpConfig {
    /// The network.
    pub network: NetworkConfig,
    /// Seed of every random draw (see [`crate::sampling`]).
    pub seed: u64,
    /// Monte Carlo points per step (the paper: 10–50 thousand).
    pub points: usize,
    /// Initial fit.
    pub fit: FitConfig,
    /// Linear solves.
    pub solver: LinearSolveConfig,
    /// Time integration (the paper: RK45 with rtol 1e-4; the public code: RK23).
    pub integrator: StepControl,
    /// Restarts.
    pub restart: RestartConfig,
    /// Fresh points on which the PDE residual is measured after every accepted step (0: off).
    pub eval_points: usize,
    /// Half-width h of the interior cube [−h, h]^d on which the residual is also measured after
    /// every step, on `eval_points` uniform points (0: off).
    pub eval_interior: f64,
    /// Draw new Monte Carlo points every this many accepted steps (the public code: 1). All
    /// stages and rejected attempts of a step share its points, so the embedded error estimate
    /// is not polluted by sampling noise; the first-same-as-last stage is reused only between
    /// steps that share points. A focused [`crate::Measure`] is drawn for the time of the
    /// draw, so its region must also hold the solution over the steps that reuse the points.
    pub resample_every: usize,
}

impl Default for NeuralIvpConfig {
    fn default() -> Self {
        Self {
            network: NetworkConfig::default(),
            seed: 0,
            points: 10_000,
            fit: FitConfig::default(),
            solver: LinearSolveConfig::default(),
            integrator: StepControl::default(),
            restart: RestartConfig::default(),
            eval_points: 2_000,
            eval_interior: 0.0,
            resample_every: 1,
        }
    }
}

impl NeuralIvpConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`IvpError::Config`](crate::IvpError::Config) naming the key.
    pub fn validate(&self) -> Result<()> {
        self.network.validate("network")?;
        at_least("points", self.points, 1)?;
        at_least("resample_every", self.resample_every, 1)?;
        interior("eval_interior", self.eval_interior)?;
        self.fit.validate("fit")?;
        let s = &self.solver;
        at_least("solver.cg_max_iters", s.cg_max_iters, 1)?;
        non_negative("solver.cg_rtol", s.cg_rtol)?;
        positive("solver.mu", s.mu)?;
        non_negative("solver.nystrom_shift", s.nystrom_shift)?;
        if s.rebuild_growth.is_nan() || s.rebuild_growth < 1.0 {
            return Err(config_err(
                "solver.rebuild_growth",
                s.rebuild_growth,
                ">= 1",
            ));
        }
        self.integrator.validate("integrator")?;
        if self.integrator.method == RkScheme::Rk4 {
            return Err(config_err(
                "integrator.method",
                "rk4",
                "an adaptive method (bs23 or dp54)",
            ));
        }
        self.restart.validate()
    }
}

/// Checks an interior half-width: 0 (off) or in (0, 1].
pub(crate) fn interior(key: &str, h: f64) -> Result<()> {
    if h == 0.0 || (h > 0.0 && h <= 1.0) {
        Ok(())
    } else {
        Err(config_err(key, h, "0 (off) or in (0, 1]"))
    }
}
