//! The Neural IVP driver: initial fit, the parameter ODE M̂(θ)θ̇ = F̂(θ) solved by Nyström-
//! preconditioned CG at every right-hand-side evaluation, adaptive RK with dense output, and
//! deterministic restarts.

mod config;
mod dynamics;
mod preconditioning;
mod record;

pub(crate) use config::interior;
pub use config::{LinearSolveConfig, NeuralIvpConfig};
pub use record::{RestartEvent, RunRecord, Solution, StepRecord};

use std::time::Instant;

use crate::collocation::{pde_residual, step_residuals};
use crate::composite::Forward;
use crate::error::{Result, check_horizon, check_state, config_err};
use crate::fit::{FitReport, fit};
use crate::network::Network;
use crate::problems::{Ivp, initial_values};
use crate::restart::{RefitInit, RestartPolicy};
use crate::rk::Integrator;
use crate::sampling::{self, derive};
use dynamics::Dynamics;

/// The Neural IVP solver.
///
/// # Example
/// ```no_run
/// use neural_ivp::{NeuralIvp, NeuralIvpConfig, problems::Advection2d};
/// let solver = NeuralIvp::new(NeuralIvpConfig::default())?;
/// let sol = solver.solve(&Advection2d::default(), 0.25, &[0.0, 0.25])?;
/// println!("{} steps, {} restarts", sol.record.steps.len(), sol.record.restarts.len());
/// # Ok::<(), neural_ivp::IvpError>(())
/// ```
///
/// # Reference
/// Finzi et al., *A Stable and Scalable Method for Solving Initial Value PDEs with Neural
/// Networks* (ICLR 2023), Algorithm 1.
#[derive(Debug, Clone)]
pub struct NeuralIvp {
    cfg: NeuralIvpConfig,
}

impl NeuralIvp {
    /// A solver with a validated configuration.
    ///
    /// # Errors
    /// [`IvpError::Config`](crate::IvpError::Config) naming the bad key.
    pub fn new(cfg: NeuralIvpConfig) -> Result<Self> {
        cfg.validate()?;
        Ok(Self { cfg })
    }

    /// The configuration.
    pub fn config(&self) -> &NeuralIvpConfig {
        &self.cfg
    }

    /// The network for `problem`.
    ///
    /// # Errors
    /// [`IvpError::Config`](crate::IvpError::Config) for a bad architecture.
    pub fn network(&self, problem: &dyn Ivp) -> Result<Network> {
        Network::new(&self.cfg.network, problem.dim(), problem.outputs())
    }

    /// Fits the initial condition: θ₀ from the seed, Adam plus head tuning.
    ///
    /// # Errors
    /// Fit errors.
    pub fn fit_initial(&self, problem: &dyn Ivp) -> Result<(Network, Vec<f64>, FitReport)> {
        let net = self.network(problem)?;
        let mut theta = net.init(self.cfg.seed);
        let target = |pts: &[f64], out: &mut [f64]| initial_values(problem, pts, out);
        let report = fit(
            &net,
            &mut theta,
            &target,
            &problem.measure(0.0),
            &self.cfg.fit,
            self.cfg.seed + 1000,
        )?;
        Ok((net, theta, report))
    }

    /// Restart `k` at time `t`: fits parameters (fresh from the run's seed, or starting at
    /// `old`) to the network `net` at θ = `old`, with the restart's fit settings (by default
    /// those of the initial fit) on points of the problem's measure at `t`.
    ///
    /// # Errors
    /// Fit errors.
    fn refit(
        &self,
        problem: &dyn Ivp,
        net: &Network,
        old: &[f64],
        t: f64,
        k: u64,
    ) -> Result<(Vec<f64>, FitReport)> {
        let mut theta = match self.cfg.restart.init {
            RefitInit::Fresh => net.init(derive(self.cfg.seed, sampling::RESTART, k)),
            RefitInit::Warm => old.to_vec(),
        };
        // one forward cache for every Adam step of the refit
        let cache = std::sync::Mutex::new(Forward::new());
        let target = |pts: &[f64], out: &mut [f64]| {
            let mut fwd = cache.lock().unwrap_or_else(|e| e.into_inner());
            net.forward(old, pts, &mut fwd)
                .expect("the fit passes points of the network's dimension");
            out.copy_from_slice(fwd.output());
        };
        let cfg = self.cfg.restart.fit.as_ref().unwrap_or(&self.cfg.fit);
        let report = fit(
            net,
            &mut theta,
            &target,
            &problem.measure(t),
            cfg,
            derive(self.cfg.seed, sampling::RESTART, 1000 + k),
        )?;
        Ok((theta, report))
    }

    /// Solves `problem` from t = 0 to `t_end`, returning θ at `output_times` (each in
    /// [0, t_end]).
    ///
    /// # Errors
    /// Configuration errors, [`IvpError::NonFinite`](crate::IvpError::NonFinite) naming the time and step if θ, θ̇ or the
    /// PDE right-hand side stop being finite, integrator and factorisation errors.
    pub fn solve(&self, problem: &dyn Ivp, t_end: f64, output_times: &[f64]) -> Result<Solution> {
        self.solve_observed(problem, t_end, output_times, &mut |_| {})
    }

    /// As [`NeuralIvp::solve`], calling `observer` after every accepted step.
    ///
    /// # Errors
    /// As [`NeuralIvp::solve`].
    pub fn solve_observed(
        &self,
        problem: &dyn Ivp,
        t_end: f64,
        output_times: &[f64],
        observer: &mut dyn FnMut(&StepRecord),
    ) -> Result<Solution> {
        check_horizon(t_end, output_times)?;
        let start = Instant::now();
        let p = self.network(problem)?.num_params();
        if self.cfg.solver.rank > p {
            return Err(config_err(
                "solver.rank",
                self.cfg.solver.rank,
                &format!("at most the parameter count {p}"),
            ));
        }
        let (net, theta0, fit_report) = self.fit_initial(problem)?;
        let mut fit_seconds = fit_report.seconds;
        let mut dynamics = Dynamics::new(&net, problem, &self.cfg);
        let mut rk = Integrator::new(self.cfg.integrator.clone(), 0.0, theta0.clone(), t_end)?;
        let mut snapshots = Vec::new();
        let mut outputs: Vec<f64> = output_times.to_vec();
        outputs.sort_by(f64::total_cmp);
        let mut next_out = 0;
        while next_out < outputs.len() && outputs[next_out] <= 0.0 {
            snapshots.push((outputs[next_out], theta0.clone()));
            next_out += 1;
        }
        let mut policy = RestartPolicy::new(self.cfg.restart.clone());
        let mut steps = Vec::new();
        let mut restarts = Vec::new();
        let mut dense = vec![0.0; net.num_params()];
        while rk.t() < t_end {
            dynamics.begin_step();
            if steps.len() % self.cfg.resample_every == 0 {
                dynamics.resample(steps.len() as u64, rk.t())?;
                rk.invalidate_derivative();
            }
            let info = rk.step(&mut dynamics, t_end)?;
            let t = rk.t();
            check_state("θ", rk.y(), t, steps.len())?;
            while next_out < outputs.len() && outputs[next_out] <= t {
                rk.dense(outputs[next_out], &mut dense)?;
                snapshots.push((outputs[next_out], dense.clone()));
                next_out += 1;
            }
            let eval_seed = derive(self.cfg.seed, sampling::EVAL, steps.len() as u64);
            let measured = match (self.cfg.eval_points, rk.derivative()) {
                (0, _) | (_, None) => None,
                (n, Some(theta_dot)) => Some(step_residuals(
                    &net,
                    problem,
                    rk.y(),
                    theta_dot,
                    t,
                    n,
                    eval_seed,
                    self.cfg.eval_interior,
                )?),
            };
            let residual_before = measured.as_ref().map(|r| r.residual.total);
            let rec = dynamics.finish_step(
                t,
                info.h,
                info.rejected,
                measured,
                start.elapsed().as_secs_f64(),
            );
            let mean_iters = rec.cg_iters_fresh.iter().sum::<usize>() as f64
                / rec.cg_iters_fresh.len().max(1) as f64;
            observer(&rec);
            let reason = policy.observe(mean_iters, rec.lambda_max);
            steps.push(rec);
            if let Some(reason) = reason.filter(|_| t < t_end) {
                let old = rk.y().to_vec();
                let (theta, report) = self.refit(problem, &net, &old, t, policy.count() as u64)?;
                fit_seconds += report.seconds;
                let limit = self
                    .cfg
                    .restart
                    .max_fit_error
                    .unwrap_or(fit_report.rel_error);
                let mut accepted = report.rel_error <= limit;
                let mut residual_after = None;
                if accepted {
                    rk.set_state(&theta);
                    dynamics.reset();
                    if let Some(before) = residual_before {
                        let theta_dot = rk.ensure_derivative(&mut dynamics)?.to_vec();
                        let after = pde_residual(
                            &net,
                            problem,
                            &theta,
                            &theta_dot,
                            t,
                            self.cfg.eval_points,
                            eval_seed,
                        )?
                        .total;
                        residual_after = Some(after);
                        accepted = after <= before;
                    }
                    if !accepted {
                        rk.set_state(&old);
                        dynamics.reset();
                    }
                }
                policy.restarted();
                restarts.push(RestartEvent {
                    t,
                    step: steps.len(),
                    reason,
                    fit: report,
                    accepted,
                    residual_before,
                    residual_after,
                });
            }
        }
        let totals = dynamics.totals();
        let record = RunRecord {
            problem: problem.name(),
            params: net.num_params(),
            config: self.cfg.clone(),
            fit: fit_report,
            steps,
            restarts,
            solves: totals.solves,
            cg_iters: totals.cg_iters,
            matvecs: totals.matvecs,
            builds: totals.builds,
            wall_seconds: start.elapsed().as_secs_f64(),
            fit_seconds,
        };
        Ok(Solution {
            network: net,
            snapshots,
            record,
        })
    }
}
