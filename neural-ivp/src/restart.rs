//! When to restart: a deterministic trigger on measurable conditioning (CG iterations and
//! growth of the largest Nyström eigenvalue), never on wall-clock time.

use serde::{Deserialize, Serialize};

use crate::error::{Result, at_least, config_err};
use crate::fit::FitConfig;

/// Restart settings. After every accepted step the policy looks at the mean number of CG
/// iterations per solve in that step (only those under a fresh preconditioner) and at
/// λ̂_max / λ̂_max(at the last fit); if either exceeds its threshold (and at least `min_steps`
/// steps have passed since the last restart, and fewer than `max_restarts` restarts have been
/// tried), θ is refitted to the current network function by Adam plus head tuning, from a
/// fresh deterministic initialisation or from the current θ ([`RefitInit`]).
///
/// A refit replaces the state only if it is no worse: its relative L2 distance to the
/// function it replaces is at most `max_fit_error` (by default the initial fit's error, the
/// error the run started with), and its PDE residual on fresh points is no larger than the
/// replaced state's (when residuals are measured). Otherwise the run continues from the old
/// state and the attempt is recorded as rejected.
///
/// # Reference
/// Finzi et al. (ICLR 2023), section 4.2 ("Projection to SGD-like regions") and Algorithm 1.
/// The public code schedules restarts by wall-clock time, which is not reproducible, refits
/// from its fixed initialisation with the initial fit's full budget and always accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RestartConfig {
    /// Whether restarts happen at all.
    pub enabled: bool,
    /// Most restarts per run (the paper: 10).
    pub max_restarts: usize,
    /// Restart when a step's mean CG iterations per solve exceed this.
    pub cg_iters: usize,
    /// Restart when λ̂_max exceeds this multiple of its value after the last fit.
    pub eig_growth: f64,
    /// Fewest accepted steps between two restarts.
    pub min_steps: usize,
    /// The refit (`None`: the initial fit's settings, as the public code).
    pub fit: Option<FitConfig>,
    /// Where the refit's Adam starts.
    pub init: RefitInit,
    /// The largest relative L2 distance between a refit and the function it replaces that is
    /// accepted (`None`: the initial fit's relative error).
    pub max_fit_error: Option<f64>,
}

/// Where a refit starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefitInit {
    /// Fresh parameters from a seed derived from the run's seed and the restart's index (the
    /// public code restarts from its fixed initialisation).
    #[default]
    Fresh,
    /// The current θ: Adam only moves it towards a better-conditioned fit of the same function.
    Warm,
}

impl Default for RestartConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_restarts: 10,
            cg_iters: 300,
            eig_growth: 100.0,
            min_steps: 5,
            fit: None,
            init: RefitInit::Fresh,
            max_fit_error: None,
        }
    }
}

impl RestartConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`crate::IvpError::Config`] naming the key.
    pub fn validate(&self) -> Result<()> {
        at_least("restart.cg_iters", self.cg_iters, 1)?;
        if self.eig_growth.is_nan() || self.eig_growth <= 1.0 {
            return Err(config_err(
                "restart.eig_growth",
                self.eig_growth,
                "a number > 1",
            ));
        }
        if let Some(f) = &self.fit {
            f.validate("restart.fit")?;
        }
        if let Some(e) = self.max_fit_error.filter(|e| !(*e > 0.0 && e.is_finite())) {
            return Err(config_err(
                "restart.max_fit_error",
                e,
                "a finite number > 0",
            ));
        }
        Ok(())
    }
}

/// Why a restart fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestartReason {
    /// CG iterations past `cg_iters`.
    CgIterations,
    /// λ̂_max past `eig_growth` times its value after the last fit.
    EigenvalueGrowth,
}

/// The state of the restart policy over a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestartPolicy {
    cfg: RestartConfig,
    baseline: Option<f64>,
    steps_since: usize,
    count: usize,
}

impl RestartPolicy {
    /// A policy with no restarts yet.
    pub fn new(cfg: RestartConfig) -> Self {
        Self {
            cfg,
            baseline: None,
            steps_since: 0,
            count: 0,
        }
    }

    /// Restarts so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Records an accepted step (mean CG iterations per solve, current λ̂_max) and says
    /// whether to restart now.
    pub fn observe(&mut self, mean_cg_iters: f64, lambda_max: f64) -> Option<RestartReason> {
        self.steps_since += 1;
        let base = *self.baseline.get_or_insert(lambda_max);
        if !self.cfg.enabled
            || self.count >= self.cfg.max_restarts
            || self.steps_since < self.cfg.min_steps
        {
            return None;
        }
        if mean_cg_iters > self.cfg.cg_iters as f64 {
            Some(RestartReason::CgIterations)
        } else if lambda_max > self.cfg.eig_growth * base {
            Some(RestartReason::EigenvalueGrowth)
        } else {
            None
        }
    }

    /// Records that a restart was tried (accepted or not): the next one needs `min_steps` more
    /// steps, and λ̂_max's baseline is taken afresh.
    pub fn restarted(&mut self) {
        self.count += 1;
        self.steps_since = 0;
        self.baseline = None;
    }
}
