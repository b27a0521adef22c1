//! What a solve reports, and counters that sum reports.

use serde::{Deserialize, Serialize};

/// Why a solve stopped, as PETSc's converged reasons and lineax's results say it.
///
/// A solve that cannot go on (a vanishing denominator, a non-finite residual) returns
/// [`SolverError::Breakdown`](crate::SolverError::Breakdown) naming the iteration and the quantity instead of a report,
/// so a report's reason is one of these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The relative residual fell below the tolerance (or is exactly zero, as for a zero
    /// right-hand side).
    Converged,
    /// Every iteration of the budget ran without meeting the tolerance: the outcome of a
    /// fixed-K solve (tolerance 0) unless its residual vanishes exactly, and of a reverse sweep,
    /// which runs exactly the forward solve's iterations.
    #[default]
    BudgetSpent,
}

/// The outcome of one solve.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SolveReport {
    /// Iterations performed (GMRES: restart cycles).
    pub iterations: usize,
    /// Final relative residual ‖b − A x‖₂ / ‖b‖₂ (0 for a zero right-hand side).
    pub rel_residual: f64,
    /// Why the solve stopped.
    pub stop: StopReason,
    /// Operator applications (A x or Aᵀ x) performed.
    pub matvecs: usize,
    /// Relative residual before the first iteration and after each iteration, if requested.
    pub history: Option<Vec<f64>>,
}

impl SolveReport {
    /// Whether the tolerance was met.
    pub fn converged(&self) -> bool {
        self.stop == StopReason::Converged
    }
}

/// Running totals of solver work: primal iterations, adjoint iterations and operator
/// applications. The trainer sums these into the PRDP cost (Σ over update steps of K).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counters {
    /// Iterations of primal (forward) solves.
    pub primal_iters: u64,
    /// Iterations of adjoint solves (implicit mode) or reverse steps (unrolled mode).
    pub adjoint_iters: u64,
    /// Operator applications in both.
    pub matvecs: u64,
    /// Number of primal solves.
    pub primal_solves: u64,
    /// Number of adjoint solves or reverse sweeps.
    pub adjoint_solves: u64,
}

impl Counters {
    /// Adds a primal solve.
    pub fn add_primal(&mut self, r: &SolveReport) {
        self.primal_iters += r.iterations as u64;
        self.matvecs += r.matvecs as u64;
        self.primal_solves += 1;
    }

    /// Adds an adjoint solve or reverse sweep.
    pub fn add_adjoint(&mut self, r: &SolveReport) {
        self.adjoint_iters += r.iterations as u64;
        self.matvecs += r.matvecs as u64;
        self.adjoint_solves += 1;
    }

    /// Adds another set of counters (e.g. from a parallel batch).
    pub fn merge(&mut self, other: &Counters) {
        self.primal_iters += other.primal_iters;
        self.adjoint_iters += other.adjoint_iters;
        self.matvecs += other.matvecs;
        self.primal_solves += other.primal_solves;
        self.adjoint_solves += other.adjoint_solves;
    }
}
