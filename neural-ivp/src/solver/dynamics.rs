//! The right-hand side θ ↦ θ̇ of the parameter ODE: f = L[u_θ] at the Monte Carlo points of
//! the step, F̂ = Jᵀf, and M̂θ̇ = F̂ (M̂ = JᵀJ + μI) solved by preconditioned, warm-started CG.

use prdp_solvers::{Budget, SolveOptions, Workspace, cg};
use serde::{Deserialize, Serialize};

use super::checkpoint::Arrays;
use super::config::NeuralIvpConfig;
use super::preconditioning::{Preconditioning, PreconditioningState};
use super::record::StepRecord;
use crate::collocation::{Collocation, StepResiduals};
use crate::composite::TangentWorkspace;
use crate::error::{Result, check_state};
use crate::gauss_newton::GaussNewton;
use crate::network::Network;
use crate::problems::Ivp;
use crate::rk::OdeSystem;
use crate::sampling::{self, derive};

/// Counters over a whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct Totals {
    /// Linear solves.
    pub solves: usize,
    /// CG iterations over all solves (per solve, the most any block needed).
    pub cg_iters: usize,
    /// Products with M̂'s blocks (CG and preconditioner builds, summed over blocks).
    pub matvecs: usize,
    /// Preconditioner builds.
    pub builds: usize,
}

/// The state of [`Dynamics`] in a checkpoint (its arrays go separately).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct DynamicsState {
    weighted: bool,
    blocks: Vec<PreconditioningState>,
    have_last: bool,
    total: Totals,
    accepted: usize,
}

/// The solver state of one diagonal block of M̂ (one trunk): its preconditioner, F̂ and warm
/// start.
struct Block {
    precond: Preconditioning,
    fhat: Vec<f64>,
    last: Vec<f64>,
}

/// The right-hand side of the parameter ODE, with the state kept between evaluations (points
/// of the current step, per-block preconditioners and warm starts, counters). M̂ is
/// block-diagonal over the network's trunks, so each block is solved on its own, with its own
/// Nyström preconditioner, its μ relative to its own λ̂_max and its own CG tolerance.
pub(super) struct Dynamics<'a> {
    net: &'a Network,
    problem: &'a dyn Ivp,
    cfg: &'a NeuralIvpConfig,
    at: Collocation,
    blocks: Vec<Block>,
    have_last: bool,
    cg_ws: Workspace<f64>,
    tangent_ws: TangentWorkspace,
    step_iters: Vec<usize>,
    step_fresh_iters: Vec<usize>,
    step_converged: bool,
    step_builds: usize,
    total: Totals,
    accepted: usize,
}

impl<'a> Dynamics<'a> {
    pub fn new(net: &'a Network, problem: &'a dyn Ivp, cfg: &'a NeuralIvpConfig) -> Self {
        let blocks = (0..net.trunks())
            .map(|k| {
                let p = net.trunk_params(k).len();
                Block {
                    precond: Preconditioning::new(),
                    fhat: vec![0.0; p],
                    last: vec![0.0; p],
                }
            })
            .collect();
        Self {
            net,
            problem,
            cfg,
            at: Collocation::new(net, cfg.points),
            blocks,
            have_last: false,
            cg_ws: Workspace::new(),
            tangent_ws: TangentWorkspace::new(),
            step_iters: Vec::new(),
            step_fresh_iters: Vec::new(),
            step_converged: true,
            step_builds: 0,
            total: Totals::default(),
            accepted: 0,
        }
    }

    /// Starts the counters of a step.
    pub fn begin_step(&mut self) {
        self.step_iters.clear();
        self.step_fresh_iters.clear();
        self.step_converged = true;
        self.step_builds = 0;
    }

    /// Draws the Monte Carlo points of draw `index`, for steps from `t`.
    ///
    /// # Errors
    /// A bad sampling measure of the problem.
    pub fn resample(&mut self, index: u64, t: f64) -> Result<()> {
        self.at.resample(
            derive(self.cfg.seed, sampling::POINTS, index),
            &self.problem.measure(t),
        )
    }

    /// Forgets the preconditioners and the warm start (after a restart).
    pub fn reset(&mut self) {
        self.blocks.iter_mut().for_each(|b| b.precond.reset());
        self.have_last = false;
    }

    /// Saves what later steps depend on: the points of the last draw, each block's
    /// preconditioner and warm start, and the counters (arrays into `arrays`).
    pub fn save(&self, arrays: &mut Arrays) -> DynamicsState {
        let blocks = self
            .blocks
            .iter()
            .enumerate()
            .map(|(k, b)| {
                arrays.put(format!("block.{k}.last"), &b.last);
                b.precond.save(&format!("block.{k}.precond"), arrays)
            })
            .collect();
        DynamicsState {
            weighted: self.at.save(arrays),
            blocks,
            have_last: self.have_last,
            total: self.total,
            accepted: self.accepted,
        }
    }

    /// Restores what [`Dynamics::save`] saved.
    ///
    /// # Errors
    /// [`crate::IvpError::Checkpoint`] for missing or inconsistent arrays or another number of
    /// blocks.
    pub fn restore(&mut self, state: &DynamicsState, arrays: &mut Arrays) -> Result<()> {
        if state.blocks.len() != self.blocks.len() {
            return Err(crate::IvpError::Checkpoint {
                path: String::new(),
                detail: format!(
                    "{} blocks saved, the network has {}",
                    state.blocks.len(),
                    self.blocks.len()
                ),
            });
        }
        self.at.restore(state.weighted, arrays)?;
        for (k, (b, saved)) in self.blocks.iter_mut().zip(&state.blocks).enumerate() {
            let p = b.last.len();
            b.last = arrays.take(&format!("block.{k}.last"), p)?;
            b.precond = Preconditioning::restore(saved, p, &format!("block.{k}.precond"), arrays)?;
        }
        self.have_last = state.have_last;
        self.total = state.total;
        self.accepted = state.accepted;
        Ok(())
    }

    /// The counters of the run so far.
    pub fn totals(&self) -> Totals {
        self.total
    }

    /// The largest λ̂_max over the blocks' preconditioners.
    fn lambda_max(&self) -> f64 {
        self.blocks
            .iter()
            .map(|b| b.precond.lambda_max())
            .fold(f64::NAN, f64::max)
    }

    /// Closes an accepted step ending at `t` with step size `h` and returns its record.
    pub fn finish_step(
        &mut self,
        t: f64,
        h: f64,
        rejected: usize,
        measured: Option<StepResiduals>,
        wall: f64,
    ) -> StepRecord {
        self.accepted += 1;
        let lambda_max = self.lambda_max();
        StepRecord {
            t,
            h,
            rejected,
            cg_iters: self.step_iters.clone(),
            cg_iters_fresh: self.step_fresh_iters.clone(),
            cg_converged: self.step_converged,
            builds: self.step_builds,
            lambda_max,
            mu: self.cfg.solver.mu * lambda_max,
            residual: measured.as_ref().map(|m| m.residual.total),
            residual_interior: measured.as_ref().and_then(|m| m.interior),
            residuals: measured.map_or_else(Vec::new, |m| m.residual.outputs),
            wall,
        }
    }
}

/// What one block's solve did.
struct BlockSolve {
    iterations: usize,
    fresh_iterations: usize,
    converged: bool,
}

impl Dynamics<'_> {
    /// Solves block `k` of M̂θ̇ = F̂ into `x` (the block's slice of θ̇).
    fn solve_block(&mut self, k: usize, theta: &[f64], x: &mut [f64]) -> Result<BlockSolve> {
        let ws = core::mem::take(&mut self.tangent_ws);
        let block = &mut self.blocks[k];
        let mut op = GaussNewton::block(self.net, k, theta, &self.at.fwd)?.with_workspace(ws);
        op.rhs(&self.at.f, &mut block.fhat)?;
        let s = &self.cfg.solver;
        let warm = s.warm_start && self.have_last;
        if warm {
            x.copy_from_slice(&block.last);
        }
        let mut out = BlockSolve {
            iterations: 0,
            fresh_iterations: 0,
            converged: false,
        };
        // At most two passes: under a reused preconditioner CG may stop at the reuse bound, and
        // then continues from its iterate under a fresh one.
        for pass in 0..2 {
            if let Some(matvecs) = block
                .precond
                .prepare(self.cfg, &op, self.total.builds as u64)?
            {
                self.total.builds += 1;
                self.total.matvecs += matvecs;
                self.step_builds += 1;
            }
            op.set_mu(s.mu * block.precond.lambda_max());
            let cap = s.cg_max_iters - out.iterations;
            let bound = if pass == 0 {
                block.precond.reuse_bound(s).map_or(cap, |b| b.min(cap))
            } else {
                cap
            };
            let opts = SolveOptions {
                warm_start: warm || pass > 0,
                record_history: false,
            };
            let report = cg(
                &op,
                block.precond.get(),
                &block.fhat,
                x,
                &Budget::new(bound, s.cg_rtol)?,
                &opts,
                &mut self.cg_ws,
            )?;
            out.iterations += report.iterations;
            out.fresh_iterations = report.iterations;
            out.converged = report.converged();
            self.total.matvecs += report.matvecs;
            block
                .precond
                .observe(s, report.iterations, report.converged());
            if out.converged || bound == cap {
                break;
            }
        }
        block.last.copy_from_slice(x);
        self.tangent_ws = op.into_workspace();
        Ok(out)
    }
}

impl OdeSystem for Dynamics<'_> {
    fn rhs(&mut self, t: f64, theta: &[f64], theta_dot: &mut [f64]) -> Result<()> {
        check_state("θ", theta, t, self.accepted)?;
        self.at.evaluate(self.net, self.problem, theta, t)?;
        check_state("PDE right-hand side", &self.at.f, t, self.accepted)?;
        let (mut iterations, mut fresh, mut converged) = (0, 0, true);
        for k in 0..self.blocks.len() {
            let range = self.net.trunk_params(k);
            let solve = self.solve_block(k, theta, &mut theta_dot[range])?;
            iterations = iterations.max(solve.iterations);
            fresh = fresh.max(solve.fresh_iterations);
            converged &= solve.converged;
        }
        check_state("θ̇", theta_dot, t, self.accepted)?;
        self.have_last = true;
        self.total.solves += 1;
        self.total.cg_iters += iterations;
        self.step_iters.push(iterations);
        self.step_fresh_iters.push(fresh);
        self.step_converged &= converged;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ednn::dense_jacobian;
    use crate::network::NetworkConfig;
    use crate::problems::Wave3d;
    use crate::solver::config::LinearSolveConfig;
    use faer::linalg::solvers::Solve;
    use faer::{Mat, Side};

    /// θ̇ from the whole solve path (per-trunk blocks, warm starts, a reused preconditioner cut
    /// off at its bound and a second pass under a fresh one) equals, block by block, the dense
    /// ridge solve (M̂_kk + μ_k I) θ̇_k = F̂_k built from the dense Jacobian.
    #[test]
    fn solve_path_matches_dense_ridge_solve() {
        let problem = Wave3d {
            alpha: 20.0,
            ..Wave3d::default()
        };
        let cfg = NeuralIvpConfig {
            network: NetworkConfig {
                width: 8,
                depth: 2,
                ..NetworkConfig::default()
            },
            points: 400,
            solver: LinearSolveConfig {
                rank: 12,
                mu: 1e-4,
                cg_rtol: 1e-13,
                cg_max_iters: 5000,
                rebuild_growth: 1.0,
                rebuild_slack: 0,
                ..LinearSolveConfig::default()
            },
            ..NeuralIvpConfig::default()
        };
        let net = Network::new(&cfg.network, 3, 2).unwrap();
        assert_eq!(net.trunks(), 2);
        let (p, m, n) = (net.num_params(), 2, cfg.points);
        let mut dynamics = Dynamics::new(&net, &problem, &cfg);
        let mut theta = net.init(5);
        let mut theta_dot = vec![0.0; p];
        let mut jac = vec![0.0; n * m * p];
        for step in 0..4 {
            dynamics.resample(step, 0.1).unwrap();
            for (k, t) in theta.iter_mut().enumerate() {
                *t += 1e-3 * (((k * 37 + step as usize * 11) % 17) as f64 / 8.0 - 1.0);
            }
            dynamics.rhs(0.1, &theta, &mut theta_dot).unwrap();
            dense_jacobian(&net, &theta, &dynamics.at.fwd, &mut jac).unwrap();
            for k in 0..net.trunks() {
                let r = net.trunk_params(k);
                let mu = cfg.solver.mu * dynamics.blocks[k].precond.lambda_max();
                let mut a =
                    Mat::<f64>::from_fn(r.len(), r.len(), |i, j| if i == j { mu } else { 0.0 });
                let mut f = Mat::<f64>::zeros(r.len(), 1);
                for (row, &fi) in jac.chunks_exact(p).zip(&dynamics.at.f) {
                    for i in 0..r.len() {
                        let ji = row[r.start + i] / n as f64;
                        f[(i, 0)] += ji * fi;
                        for j in 0..r.len() {
                            a[(i, j)] += ji * row[r.start + j];
                        }
                    }
                }
                let x = a.llt(Side::Lower).unwrap().solve(&f);
                let norm = (0..r.len()).map(|i| x[(i, 0)].powi(2)).sum::<f64>().sqrt();
                let err = (0..r.len())
                    .map(|i| (x[(i, 0)] - theta_dot[r.start + i]).powi(2))
                    .sum::<f64>()
                    .sqrt();
                assert!(
                    err <= 1e-7 * norm,
                    "step {step}, block {k}: {err} vs {norm}"
                );
            }
        }
        assert_eq!(dynamics.total.solves, 4);
        assert!(
            dynamics.total.builds > 2,
            "the reuse bound forced rebuilds: {:?}",
            dynamics.total.builds
        );
    }
}
