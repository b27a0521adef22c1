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
