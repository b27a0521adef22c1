//! The Neural IVP driver: initial fit, the parameter ODE M̂(θ)θ̇ = F̂(θ) solved by Nyström-
//! preconditioned CG at every right-hand-side evaluation, adaptive RK with dense output, and
//! deterministic restarts.

pub(crate) mod checkpoint;
mod config;
mod dynamics;
mod preconditioning;
mod record;

pub use checkpoint::Checkpointing;
pub(crate) use config::interior;
pub use config::{LinearSolveConfig, NeuralIvpConfig};
pub use record::{RestartEvent, RunRecord, Solution, StepRecord};

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::collocation::{FreshPoints, pde_residual, step_residuals};
use crate::composite::Forward;
use crate::drive::{Evolution, Landing, Progress, drive};
use crate::error::{Result, check_horizon, config_err};
use crate::fit::{FitReport, fit};
use crate::network::Network;
use crate::observe::{Observer, Silent};
use crate::problems::{Ivp, initial_values};
use crate::restart::{RefitInit, RestartPolicy, RestartReason};
use crate::rk::{Integrator, OdeSystem, StepInfo};
use crate::sampling::{self, derive};
use checkpoint::{Arrays, Schedule};
use dynamics::{Dynamics, DynamicsState};

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
        self.solve_observed(problem, t_end, output_times, &mut Silent)
    }

    /// As [`NeuralIvp::solve`], telling `observer` of every accepted step and every restart.
    ///
    /// # Example
    /// ```no_run
    /// use neural_ivp::{NeuralIvp, NeuralIvpConfig, PrintSteps, problems::Heat2d};
    /// let solver = NeuralIvp::new(NeuralIvpConfig::default())?;
    /// let problem = Heat2d { nu: 0.05, sigma: 0.3 };
    /// let sol = solver.solve_observed(&problem, 0.1, &[0.1], &mut PrintSteps)?;
    /// # Ok::<(), neural_ivp::IvpError>(())
    /// ```
    ///
    /// # Errors
    /// As [`NeuralIvp::solve`].
    pub fn solve_observed(
        &self,
        problem: &dyn Ivp,
        t_end: f64,
        output_times: &[f64],
        observer: &mut dyn Observer,
    ) -> Result<Solution> {
        self.run(problem, t_end, output_times, observer, None)
    }

    /// As [`NeuralIvp::solve_observed`], keeping a checkpoint of the run at
    /// `checkpointing.path` (after an accepted step, at most every
    /// `checkpointing.every_seconds`): a run killed and started again with the same
    /// configuration, problem, horizon and output times resumes from it and ends with the same
    /// bits as an uninterrupted run (but for wall-clock times). The checkpoint is removed when
    /// the run ends.
    ///
    /// # Errors
    /// As [`NeuralIvp::solve`]; [`IvpError::Checkpoint`](crate::IvpError::Checkpoint) if the
    /// checkpoint cannot be written or read, or belongs to another run;
    /// [`IvpError::Stopped`](crate::IvpError::Stopped) after `checkpointing.stop_after` steps.
    pub fn solve_checkpointed(
        &self,
        problem: &dyn Ivp,
        t_end: f64,
        output_times: &[f64],
        observer: &mut dyn Observer,
        checkpointing: &Checkpointing,
    ) -> Result<Solution> {
        self.run(problem, t_end, output_times, observer, Some(checkpointing))
    }

    fn run(
        &self,
        problem: &dyn Ivp,
        t_end: f64,
        output_times: &[f64],
        observer: &mut dyn Observer,
        checkpointing: Option<&Checkpointing>,
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
        let schedule = checkpointing
            .map(|c| Schedule::new(c, run_key(&self.cfg, problem, t_end, output_times)));
        let saved = match &schedule {
            Some(s) => s.load::<NivpState>(p)?,
            None => None,
        };
        let (net, theta0, fit_report) = match &saved {
            // θ of the checkpoint until the integrator's whole state is restored below
            Some((saved, arrays)) => (
                self.network(problem)?,
                arrays.peek("rk.y").to_vec(),
                saved.method.fit.clone(),
            ),
            None => self.fit_initial(problem)?,
        };
        let mut rk = Integrator::new(self.cfg.integrator.clone(), 0.0, theta0, t_end)?;
        let mut run = Run {
            solver: self,
            net: &net,
            problem,
            dynamics: Dynamics::new(&net, problem, &self.cfg),
            policy: RestartPolicy::new(self.cfg.restart.clone()),
            steps: Vec::new(),
            restarts: Vec::new(),
            fit_seconds: fit_report.seconds,
            fit: fit_report,
            t_end,
            start,
            observer,
            schedule: None,
        };
        let resume = match (saved, &schedule) {
            (Some((saved, arrays)), Some(s)) => {
                Some(
                    s.resume(saved, arrays, &mut rk, output_times.len(), |m, a, start| {
                        run.start = start;
                        run.restore(m, a)
                    })?,
                )
            }
            _ => None,
        };
        run.schedule = schedule;
        let snapshots = drive(&mut run, &mut rk, t_end, output_times, resume)?;
        if let Some(s) = &run.schedule {
            s.finish();
        }
        let totals = run.dynamics.totals();
        let record = RunRecord {
            problem: problem.name(),
            params: net.num_params(),
            config: self.cfg.clone(),
            fit: run.fit.clone(),
            steps: run.steps,
            restarts: run.restarts,
            solves: totals.solves,
            cg_iters: totals.cg_iters,
            matvecs: totals.matvecs,
            builds: totals.builds,
            wall_seconds: run.start.elapsed().as_secs_f64(),
            fit_seconds: run.fit_seconds,
        };
        Ok(Solution {
            network: net,
            snapshots,
            record,
        })
    }
}

/// The key of a run in its checkpoint: configuration, problem, horizon and output times.
pub(crate) fn run_key<C: core::fmt::Debug>(
    cfg: &C,
    problem: &dyn Ivp,
    t_end: f64,
    output_times: &[f64],
) -> String {
    format!(
        "{cfg:?} | {} | {t_end:?} | {output_times:?}",
        problem.name()
    )
}

/// A Neural IVP run's own state in a checkpoint (its arrays go separately).
#[derive(Debug, Serialize, Deserialize)]
struct NivpState {
    dynamics: DynamicsState,
    policy: RestartPolicy,
    steps: Vec<StepRecord>,
    restarts: Vec<RestartEvent>,
    fit: FitReport,
    fit_seconds: f64,
}

/// One Neural IVP run in progress: what the loop's step hooks work on.
struct Run<'a> {
    solver: &'a NeuralIvp,
    net: &'a Network,
    problem: &'a dyn Ivp,
    dynamics: Dynamics<'a>,
    policy: RestartPolicy,
    steps: Vec<StepRecord>,
    restarts: Vec<RestartEvent>,
    /// The initial fit (its relative error is the default bound on a refit's).
    fit: FitReport,
    fit_seconds: f64,
    t_end: f64,
    start: Instant,
    observer: &'a mut dyn Observer,
    /// When to write checkpoints.
    schedule: Option<Schedule<'a>>,
}

impl Evolution for Run<'_> {
    const LANDING: Landing = Landing::Dense;

    fn system(&mut self) -> &mut dyn OdeSystem {
        &mut self.dynamics
    }

    fn before_step(&mut self, index: usize, rk: &mut Integrator) -> Result<()> {
        self.dynamics.begin_step();
        if index.is_multiple_of(self.solver.cfg.resample_every) {
            self.dynamics.resample(index as u64, rk.t())?;
            rk.invalidate_derivative();
        }
        Ok(())
    }

    fn after_step(&mut self, index: usize, info: &StepInfo, rk: &mut Integrator) -> Result<()> {
        let cfg = &self.solver.cfg;
        let t = rk.t();
        let eval_seed = derive(cfg.seed, sampling::EVAL, index as u64);
        let measured = match (cfg.eval_points, rk.derivative()) {
            (0, _) | (_, None) => None,
            (n, Some(theta_dot)) => Some(step_residuals(
                self.net,
                self.problem,
                rk.y(),
                theta_dot,
                t,
                FreshPoints { n, seed: eval_seed },
                cfg.eval_interior,
            )?),
        };
        let residual_before = measured.as_ref().map(|r| r.residual.total);
        let rec = self.dynamics.finish_step(
            t,
            info.h,
            info.rejected,
            measured,
            self.start.elapsed().as_secs_f64(),
        );
        let mean_iters = rec.cg_iters_fresh.iter().sum::<usize>() as f64
            / rec.cg_iters_fresh.len().max(1) as f64;
        self.observer.step(&rec);
        let reason = self.policy.observe(mean_iters, rec.lambda_max);
        self.steps.push(rec);
        if let Some(reason) = reason.filter(|_| t < self.t_end) {
            let event = self.restart(reason, t, residual_before, eval_seed, rk)?;
            self.observer.restart(&event);
            self.restarts.push(event);
        }
        Ok(())
    }

    fn checkpoint(&mut self, progress: &Progress, rk: &Integrator) -> Result<()> {
        let Some(mut schedule) = self.schedule.take() else {
            return Ok(());
        };
        let r = schedule.after_step(progress, rk, self.start, |arrays| self.save(arrays));
        self.schedule = Some(schedule);
        r
    }
}

impl Run<'_> {
    /// The run's own state for a checkpoint (its arrays into `arrays`).
    fn save(&self, arrays: &mut Arrays) -> NivpState {
        NivpState {
            dynamics: self.dynamics.save(arrays),
            policy: self.policy.clone(),
            steps: self.steps.clone(),
            restarts: self.restarts.clone(),
            fit: self.fit.clone(),
            fit_seconds: self.fit_seconds,
        }
    }

    /// Restores what [`Run::save`] saved.
    fn restore(&mut self, state: NivpState, arrays: &mut Arrays) -> Result<()> {
        self.dynamics.restore(&state.dynamics, arrays)?;
        self.policy = state.policy;
        self.steps = state.steps;
        self.restarts = state.restarts;
        self.fit = state.fit;
        self.fit_seconds = state.fit_seconds;
        Ok(())
    }

    /// Refits at `t` and keeps the refit only if its fit error is within the bound and its
    /// fresh-point residual no larger than the state's it would replace (`residual_before`).
    fn restart(
        &mut self,
        reason: RestartReason,
        t: f64,
        residual_before: Option<f64>,
        eval_seed: u64,
        rk: &mut Integrator,
    ) -> Result<RestartEvent> {
        let cfg = &self.solver.cfg;
        let old = rk.y().to_vec();
        let (theta, report) =
            self.solver
                .refit(self.problem, self.net, &old, t, self.policy.count() as u64)?;
        self.fit_seconds += report.seconds;
        let limit = cfg.restart.max_fit_error.unwrap_or(self.fit.rel_error);
        let mut accepted = report.rel_error <= limit;
        let mut residual_after = None;
        if accepted {
            rk.set_state(&theta);
            self.dynamics.reset();
            if let Some(before) = residual_before {
                let theta_dot = rk.ensure_derivative(&mut self.dynamics)?.to_vec();
                let after = pde_residual(
                    self.net,
                    self.problem,
                    &theta,
                    &theta_dot,
                    t,
                    FreshPoints {
                        n: cfg.eval_points,
                        seed: eval_seed,
                    },
                )?
                .total;
                residual_after = Some(after);
                accepted = after <= before;
            }
            if !accepted {
                rk.set_state(&old);
                self.dynamics.reset();
            }
        }
        self.policy.restarted();
        Ok(RestartEvent {
            t,
            step: self.steps.len(),
            reason,
            fit: report,
            accepted,
            residual_before,
            residual_after,
        })
    }
}
