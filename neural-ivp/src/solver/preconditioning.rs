//! The preconditioner of the CG solves and when to rebuild it.

use prdp_solvers::{IdentityPreconditioner, Preconditioner};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::checkpoint::Arrays;
use super::config::{LinearSolveConfig, NeuralIvpConfig};
use crate::error::Result;
use crate::gauss_newton::{BlockOperator, GaussNewton};
use crate::nystrom::NystromPreconditioner;
use crate::sampling::{self, derive, uniform_points};

/// The preconditioner in use and the conditioning it measured.
enum Precond {
    Nystrom(NystromPreconditioner),
    Identity { lambda_max: f64 },
}

/// The preconditioner policy: a randomised Nyström preconditioner of M̂ (with rank 0 only a
/// power-iteration estimate of λ̂_max, for plain CG), built on first use and then kept across
/// stages and steps while CG iterations stay below `rebuild_growth`·(iterations of the first
/// solve after the build) + `rebuild_slack`; without `reuse_preconditioner` it is rebuilt for
/// every solve.
pub(super) struct Preconditioning {
    current: Option<Precond>,
    baseline_iters: Option<usize>,
    lambda_max: f64,
}

impl Preconditioning {
    /// No preconditioner yet.
    pub fn new() -> Self {
        Self {
            current: None,
            baseline_iters: None,
            lambda_max: f64::NAN,
        }
    }

    /// Builds the `k`-th preconditioner for `op` unless the one in use is kept; returns the M̂
    /// products the build cost, or `None` if nothing was built.
    pub fn prepare(
        &mut self,
        cfg: &NeuralIvpConfig,
        op: &GaussNewton<'_>,
        k: u64,
    ) -> Result<Option<usize>> {
        if self.current.is_some() && cfg.solver.reuse_preconditioner {
            return Ok(None);
        }
        let (pre, matvecs) = build(cfg, op, k)?;
        self.lambda_max = match &pre {
            Precond::Nystrom(p) => p.lambda_max(),
            Precond::Identity { lambda_max } => *lambda_max,
        };
        self.current = Some(pre);
        self.baseline_iters = None;
        Ok(Some(matvecs))
    }

    /// The preconditioner to hand to CG.
    pub fn get(&self) -> &dyn Preconditioner<f64> {
        match &self.current {
            Some(Precond::Nystrom(p)) => p,
            _ => &IdentityPreconditioner,
        }
    }

    /// λ̂_max of the last build.
    pub fn lambda_max(&self) -> f64 {
        self.lambda_max
    }

    /// The iteration bound of a solve under the preconditioner in use: `None` right after a
    /// build (no baseline yet), else `rebuild_growth`·baseline + `rebuild_slack`.
    pub fn reuse_bound(&self, s: &LinearSolveConfig) -> Option<usize> {
        self.baseline_iters
            .filter(|_| self.current.is_some())
            .map(|base| ((s.rebuild_growth * base as f64).ceil() as usize + s.rebuild_slack).max(1))
    }

    /// Records a solve: the first after a build sets the baseline; a later one that failed or
    /// needed clearly more iterations than the baseline retires the preconditioner, so the next
    /// solve rebuilds it.
    pub fn observe(&mut self, s: &LinearSolveConfig, iterations: usize, converged: bool) {
        match self.baseline_iters {
            None => self.baseline_iters = Some(iterations),
            Some(_) => {
                if !converged || self.reuse_bound(s).is_some_and(|bound| iterations >= bound) {
                    self.current = None;
                }
            }
        }
    }

    /// Forgets the preconditioner (after a restart).
    pub fn reset(&mut self) {
        self.current = None;
        self.baseline_iters = None;
    }

    /// Saves the policy's state, a Nyström preconditioner's arrays under `prefix` (into
    /// `arrays`).
    pub fn save(&self, prefix: &str, arrays: &mut Arrays) -> PreconditioningState {
        PreconditioningState {
            current: self.current.as_ref().map(|c| match c {
                Precond::Nystrom(p) => {
                    let (mu, shift) = p.save(prefix, arrays);
                    Kept::Nystrom { mu, shift }
                }
                Precond::Identity { lambda_max } => Kept::Identity {
                    lambda_max: *lambda_max,
                },
            }),
            baseline_iters: self.baseline_iters,
            lambda_max: self.lambda_max,
        }
    }

    /// The policy [`Preconditioning::save`] saved, for a block of `p` parameters.
    ///
    /// # Errors
    /// [`crate::IvpError::Checkpoint`] for missing or inconsistent arrays.
    pub fn restore(
        state: &PreconditioningState,
        p: usize,
        prefix: &str,
        arrays: &mut Arrays,
    ) -> Result<Self> {
        let current = match state.current {
            None => None,
            Some(Kept::Identity { lambda_max }) => Some(Precond::Identity { lambda_max }),
            Some(Kept::Nystrom { mu, shift }) => Some(Precond::Nystrom(
                NystromPreconditioner::restore(p, prefix, (mu, shift), arrays)?,
            )),
        };
        Ok(Self {
            current,
            baseline_iters: state.baseline_iters,
            lambda_max: state.lambda_max,
        })
    }
}

/// The preconditioner kept in a checkpoint (a Nyström preconditioner's arrays go separately).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Kept {
    Nystrom { mu: f64, shift: f64 },
    Identity { lambda_max: f64 },
}

/// The state of a [`Preconditioning`] in a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(super) struct PreconditioningState {
    current: Option<Kept>,
    baseline_iters: Option<usize>,
    lambda_max: f64,
}

/// Builds the preconditioner (or, with rank 0, estimates λ̂_max by power iteration) for the
/// `k`-th time; returns it and the M̂ products it cost.
fn build(cfg: &NeuralIvpConfig, op: &GaussNewton<'_>, k: u64) -> Result<(Precond, usize)> {
    let s = &cfg.solver;
    let seed = derive(cfg.seed, sampling::SKETCH, k);
    let p = op.dim();
    if s.rank > 0 {
        let rank = s.rank;
        let mut pre = NystromPreconditioner::build(op, rank, seed, s.nystrom_shift, 0.0)?;
        pre.set_mu(s.mu * pre.lambda_max());
        Ok((Precond::Nystrom(pre), rank))
    } else {
        let mut v = vec![0.0; p];
        uniform_points(&mut ChaCha8Rng::seed_from_u64(seed), &mut v);
        let mut w = vec![0.0; p];
        let mut lambda = 0.0;
        for _ in 0..20 {
            let nv = prdp_core::kernels::nrm2(&v);
            v.iter_mut().for_each(|x| *x /= nv);
            op.apply_block(&v, 1, &mut w)?;
            lambda = prdp_core::kernels::dot(&v, &w);
            core::mem::swap(&mut v, &mut w);
        }
        Ok((Precond::Identity { lambda_max: lambda }, 20))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept() -> Preconditioning {
        Preconditioning {
            current: Some(Precond::Identity { lambda_max: 1.0 }),
            baseline_iters: None,
            lambda_max: 1.0,
        }
    }

    /// The first solve after a build sets the baseline; later solves are bounded by
    /// growth·baseline + slack, and reaching the bound or failing retires the preconditioner.
    #[test]
    fn reuse_is_bounded_by_the_first_solve_after_a_build() {
        let s = LinearSolveConfig {
            rebuild_growth: 1.5,
            rebuild_slack: 10,
            ..LinearSolveConfig::default()
        };
        let mut p = kept();
        assert_eq!(p.reuse_bound(&s), None);
        p.observe(&s, 40, true);
        assert_eq!(p.reuse_bound(&s), Some(70));
        p.observe(&s, 69, true);
        assert!(p.current.is_some());
        p.observe(&s, 70, true);
        assert!(p.current.is_none());
        assert_eq!(p.reuse_bound(&s), None);

        let mut p = kept();
        p.observe(&s, 40, true);
        p.observe(&s, 12, false);
        assert!(
            p.current.is_none(),
            "a failed solve retires the preconditioner"
        );
    }
}
