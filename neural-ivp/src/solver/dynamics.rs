//! The right-hand side θ ↦ θ̇ of the parameter ODE: f = L[u_θ] at the Monte Carlo points of
//! the step, F̂ = Jᵀf, and M̂θ̇ = F̂ (M̂ = JᵀJ + μI) solved by preconditioned, warm-started CG.

use prdp_solvers::{Budget, SolveOptions, Workspace, cg};

use super::config::NeuralIvpConfig;
use super::preconditioning::Preconditioning;
use super::record::StepRecord;
use crate::collocation::Collocation;
use crate::error::{Result, check_state};
use crate::gauss_newton::GaussNewton;
use crate::network::Network;
use crate::problems::Ivp;
use crate::rk::OdeSystem;
use crate::sampling::{self, derive};

/// Counters over a whole run.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Totals {
    /// Linear solves.
    pub solves: usize,
    /// CG iterations over all solves.
    pub cg_iters: usize,
    /// M̂ products (CG and preconditioner builds).
    pub matvecs: usize,
    /// Preconditioner builds.
    pub builds: usize,
}

/// The right-hand side of the parameter ODE, with the state kept between evaluations (points
/// of the current step, preconditioner, warm start, counters).
pub(super) struct Dynamics<'a> {
    net: &'a Network,
    problem: &'a dyn Ivp,
    cfg: &'a NeuralIvpConfig,
    at: Collocation,
    fhat: Vec<f64>,
    precond: Preconditioning,
    last: Vec<f64>,
    have_last: bool,
    cg_ws: Workspace<f64>,
    step_iters: Vec<usize>,
    step_converged: bool,
    step_builds: usize,
    total: Totals,
    accepted: usize,
}

impl<'a> Dynamics<'a> {
    pub fn new(net: &'a Network, problem: &'a dyn Ivp, cfg: &'a NeuralIvpConfig) -> Self {
        let p = net.num_params();
        Self {
            net,
            problem,
            cfg,
            at: Collocation::new(net, cfg.points),
            fhat: vec![0.0; p],
            precond: Preconditioning::new(),
            last: vec![0.0; p],
            have_last: false,
            cg_ws: Workspace::new(),
            step_iters: Vec::new(),
            step_converged: true,
            step_builds: 0,
            total: Totals::default(),
            accepted: 0,
        }
    }

    /// Starts the counters of a step.
    pub fn begin_step(&mut self) {
        self.step_iters.clear();
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

    /// Forgets the preconditioner and the warm start (after a restart).
    pub fn reset(&mut self) {
        self.precond.reset();
        self.have_last = false;
    }

    /// The counters of the run so far.
    pub fn totals(&self) -> Totals {
        self.total
    }

    /// Closes an accepted step ending at `t` with step size `h` and returns its record.
    pub fn finish_step(
        &mut self,
        t: f64,
        h: f64,
        rejected: usize,
        residual: Option<f64>,
        wall: f64,
    ) -> StepRecord {
        self.accepted += 1;
        let lambda_max = self.precond.lambda_max();
        StepRecord {
            t,
            h,
            rejected,
            cg_iters: self.step_iters.clone(),
            cg_converged: self.step_converged,
            builds: self.step_builds,
            lambda_max,
            mu: self.cfg.solver.mu * lambda_max,
            residual,
            wall,
        }
    }
}

impl OdeSystem for Dynamics<'_> {
    fn rhs(&mut self, t: f64, theta: &[f64], theta_dot: &mut [f64]) -> Result<()> {
        check_state("θ", theta, t, self.accepted)?;
        self.at.evaluate(self.net, self.problem, theta, t)?;
        check_state("PDE right-hand side", &self.at.f, t, self.accepted)?;
        let mut op = GaussNewton::new(self.net, theta, &self.at.fwd)?;
        op.rhs(&self.at.f, &mut self.fhat)?;
        let s = &self.cfg.solver;
        let warm = s.warm_start && self.have_last;
        if warm {
            theta_dot.copy_from_slice(&self.last);
        }
        let mut iterations = 0;
        let mut converged = false;
        // At most two passes: under a reused preconditioner CG may stop at the reuse bound, and
        // then continues from its iterate under a fresh one.
        for pass in 0..2 {
            if let Some(matvecs) = self
                .precond
                .prepare(self.cfg, &op, self.total.builds as u64)?
            {
                self.total.builds += 1;
                self.total.matvecs += matvecs;
                self.step_builds += 1;
            }
            op.set_mu(s.mu * self.precond.lambda_max());
            let cap = s.cg_max_iters - iterations;
            let bound = if pass == 0 {
                self.precond.reuse_bound(s).map_or(cap, |b| b.min(cap))
            } else {
                cap
            };
            let opts = SolveOptions {
                warm_start: warm || pass > 0,
                record_history: false,
            };
            let report = cg(
                &op,
                self.precond.get(),
                &self.fhat,
                theta_dot,
                &Budget::new(bound, s.cg_rtol)?,
                &opts,
                &mut self.cg_ws,
            )?;
            iterations += report.iterations;
            converged = report.converged;
            self.total.matvecs += report.matvecs;
            self.precond.observe(s, report.iterations, report.converged);
            if converged || bound == cap {
                break;
            }
        }
        check_state("θ̇", theta_dot, t, self.accepted)?;
        self.total.solves += 1;
        self.total.cg_iters += iterations;
        self.step_iters.push(iterations);
        self.step_converged &= converged;
        self.last.copy_from_slice(theta_dot);
        self.have_last = true;
        Ok(())
    }
}
