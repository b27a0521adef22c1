//! The cost ledger of a training run and the savings PRDP achieves against a baseline.

use std::time::Duration;

use prdp_solvers::Counters;
use serde::{Deserialize, Serialize};

/// Wall-clock seconds spent per phase of training.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct WallTimes {
    /// Network forward and backward passes.
    pub network: f64,
    /// Physics forward solves.
    pub physics_forward: f64,
    /// Physics backward passes (adjoint solves or reverse sweeps).
    pub physics_backward: f64,
    /// Optimiser updates.
    pub optimizer: f64,
    /// Validation.
    pub validation: f64,
}

impl WallTimes {
    /// Training time: everything but validation.
    pub fn training(&self) -> f64 {
        self.network + self.physics_forward + self.physics_backward + self.optimizer
    }
}

/// The phases [`WallTimes`] distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Network forward and backward.
    Network,
    /// Physics forward.
    PhysicsForward,
    /// Physics backward.
    PhysicsBackward,
    /// Optimiser update.
    Optimizer,
    /// Validation.
    Validation,
}

/// Cumulative work of a run: the paper's cost (Σ over update steps of K), the solver counters
/// actually spent, and wall time per phase.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Ledger {
    /// Update steps taken.
    pub update_steps: u64,
    /// Σ over update steps of the K in force: the PRDP paper's cost, in inner iterations.
    pub cost: u64,
    /// Primal and adjoint iterations and operator applications summed over every sample and
    /// solver call (validation solves excluded).
    pub solver: Counters,
    /// Wall time per phase.
    pub wall: WallTimes,
}

impl Ledger {
    /// Records one update step taken at `k` iterations per physics call.
    pub fn add_step(&mut self, k: usize) {
        self.update_steps += 1;
        self.cost += k as u64;
    }

    /// Adds solver work.
    pub fn add_solver(&mut self, c: &Counters) {
        self.solver.merge(c);
    }

    /// Adds wall time to a phase.
    pub fn add_time(&mut self, phase: Phase, d: Duration) {
        let s = d.as_secs_f64();
        let w = &mut self.wall;
        match phase {
            Phase::Network => w.network += s,
            Phase::PhysicsForward => w.physics_forward += s,
            Phase::PhysicsBackward => w.physics_backward += s,
            Phase::Optimizer => w.optimizer += s,
            Phase::Validation => w.validation += s,
        }
    }
}

/// PRDP's savings against the fixed-K_ε baseline (all fractions of the baseline's cost).
///
/// # Reference
/// PRDP paper: progressive-refinement (PR) savings in section 2.2, incomplete-convergence
/// (IC) savings in section 2.3, their sum in section 3 and the tables of section 4.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Savings {
    /// 1 − cost_PRDP / cost_baseline.
    pub total: f64,
    /// Incomplete-convergence savings: those of running at PRDP's final K from the start,
    /// 1 − K_final / K_ε for equally many update steps.
    pub ic: f64,
    /// Progressive-refinement savings: total − IC.
    pub pr: f64,
}

/// Savings of a PRDP run of cost `cost_prdp` ending at K = `k_final` against a baseline run of
/// `steps` update steps at K = `k_eps` (both runs take the same number of update steps).
///
/// # Example
/// ```
/// // Heat 1D in the reference re-run: Σ K = 546 over 100 epochs vs 25 × 100, ending at K = 10.
/// let s = prdp_train::savings(546, 2500, 10, 25);
/// assert!((s.total - 0.7816).abs() < 1e-4);
/// assert!((s.ic - 0.6).abs() < 1e-12);
/// assert!((s.pr - 0.1816).abs() < 1e-4);
/// ```
pub fn savings(cost_prdp: u64, cost_baseline: u64, k_final: usize, k_eps: usize) -> Savings {
    let total = 1.0 - cost_prdp as f64 / cost_baseline as f64;
    let ic = 1.0 - k_final as f64 / k_eps as f64;
    Savings {
        total,
        ic,
        pr: total - ic,
    }
}

/// How the converged baseline of an inverse problem is charged: the PRDP paper's section 4.1
/// table charges P = 1 up to the update step that reaches the target error (75K = 600 × 125)
/// and P = 3 for every update step (337.5K = 450 × 750 and 192K = 240 × 800). PRDP is always
/// charged Σ K over all its update steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineCharge {
    /// K × the update steps until the metric first falls below this value (every step if it
    /// never does).
    UntilMetricBelow(f64),
    /// K × every update step.
    AllSteps,
}

/// The cost charged to a fixed-K run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Charged {
    /// Update steps charged.
    pub steps: u64,
    /// K × steps.
    pub cost: u64,
    /// The update step at which the metric first fell below the target (`None`: never, or no
    /// target).
    pub reached: Option<u64>,
}

/// Charges a fixed-K run of `k` iterations per update step under `charge`, from its metric
/// after each update step (`metrics[s]` after s steps; `metrics[0]` is the untrained value).
///
/// # Reference
/// PRDP paper, section 4.1 and its inverse-problem table (appendix F.1).
///
/// # Example
/// ```
/// use prdp_train::{BaselineCharge, charge_fixed};
/// // The metric after 0, 1, 2, 3 and 4 update steps.
/// let metrics = [1.0, 1e-3, 9e-6, 2e-5, 1e-6];
/// let c = charge_fixed(&metrics, 600, BaselineCharge::UntilMetricBelow(1e-5));
/// assert_eq!((c.steps, c.cost, c.reached), (2, 1200, Some(2)));
/// let c = charge_fixed(&metrics, 600, BaselineCharge::AllSteps);
/// assert_eq!((c.steps, c.cost, c.reached), (4, 2400, None));
/// ```
pub fn charge_fixed(metrics: &[f64], k: usize, charge: BaselineCharge) -> Charged {
    let all = metrics.len().saturating_sub(1) as u64;
    let reached = match charge {
        BaselineCharge::UntilMetricBelow(target) => {
            metrics.iter().position(|&m| m < target).map(|s| s as u64)
        }
        BaselineCharge::AllSteps => None,
    };
    let steps = reached.unwrap_or(all);
    Charged {
        steps,
        cost: k as u64 * steps,
        reached,
    }
}
