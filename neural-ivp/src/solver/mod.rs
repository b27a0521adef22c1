//! The Neural IVP driver: initial fit, the parameter ODE M̂(θ)θ̇ = F̂(θ) solved by Nyström-
//! preconditioned CG at every right-hand-side evaluation, adaptive RK with dense output, and
//! deterministic restarts.

use std::time::Instant;

use prdp_solvers::{Budget, IdentityPreconditioner, Preconditioner, SolveOptions, Workspace, cg};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Result, at_least, check_state, config_err, non_negative, positive};
use crate::fit::{FitConfig, FitReport, fit};
use crate::gauss_newton::{BlockOperator, GaussNewton};
use crate::jets::{JetWorkspace, Jets};
use crate::network::{Network, NetworkConfig};
use crate::nystrom::NystromPreconditioner;
use crate::problems::{Ivp, initial_values};
use crate::restart::{RestartConfig, RestartPolicy, RestartReason};
use crate::rk::{Integrator, OdeSystem, StepControl};
use crate::sampling::{self, derive, uniform_points};
use crate::tangent::{Forward, TangentWorkspace};

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
    /// (the public code rebuilds it at every stage).
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
    /// Draw new Monte Carlo points every this many accepted steps (the public code: 1). All
    /// stages and rejected attempts of a step share its points, so the embedded error estimate
    /// is not polluted by sampling noise; the first-same-as-last stage is reused only between
    /// steps that share points.
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
            resample_every: 1,
        }
    }
}

impl NeuralIvpConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`IvpError::Config`] naming the key.
    pub fn validate(&self) -> Result<()> {
        self.network.validate("network")?;
        at_least("points", self.points, 1)?;
        at_least("resample_every", self.resample_every, 1)?;
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
        if self.integrator.method == crate::rk::Method::Rk4 {
            return Err(config_err(
                "integrator.method",
                "rk4",
                "an adaptive method (bs23 or dp54)",
            ));
        }
        self.restart.validate()
    }
}

/// One accepted step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Time at the end of the step.
    pub t: f64,
    /// Step size.
    pub h: f64,
    /// Rejected attempts before it.
    pub rejected: usize,
    /// CG iterations of every solve made for this step (including rejected attempts).
    pub cg_iters: Vec<usize>,
    /// Whether every solve met the tolerance.
    pub cg_converged: bool,
    /// Preconditioner builds during the step.
    pub builds: usize,
    /// Largest eigenvalue estimate λ̂_max of M̂ in use at the end of the step.
    pub lambda_max: f64,
    /// Regularisation μ in use.
    pub mu: f64,
    /// Relative PDE residual ‖Jθ̇ − f‖/‖f‖ on fresh points at the end of the step.
    pub residual: Option<f64>,
    /// Wall time since the start of the run (seconds).
    pub wall: f64,
}

/// A restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestartEvent {
    /// Time of the restart.
    pub t: f64,
    /// Accepted steps before it.
    pub step: usize,
    /// What triggered it.
    pub reason: RestartReason,
    /// The refit.
    pub fit: FitReport,
}

/// Totals and time series of a run (a serde record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Problem name.
    pub problem: String,
    /// Number of parameters p.
    pub params: usize,
    /// The configuration.
    pub config: NeuralIvpConfig,
    /// The initial fit.
    pub fit: FitReport,
    /// Accepted steps.
    pub steps: Vec<StepRecord>,
    /// Restarts.
    pub restarts: Vec<RestartEvent>,
    /// Linear solves (right-hand-side evaluations).
    pub solves: usize,
    /// CG iterations over all solves.
    pub cg_iters: usize,
    /// M̂ products: CG products plus ℓ per preconditioner build (and power iterations).
    pub matvecs: usize,
    /// Preconditioner builds.
    pub builds: usize,
    /// Wall time of the whole run including the initial fit (seconds).
    pub wall_seconds: f64,
    /// Wall time of the initial fit and the refits (seconds).
    pub fit_seconds: f64,
}

/// θ at the requested output times, and the run record.
#[derive(Debug, Clone)]
pub struct Solution {
    /// The network architecture of θ.
    pub network: Network,
    /// (t, θ(t)) at every requested output time.
    pub snapshots: Vec<(f64, Vec<f64>)>,
    /// The record.
    pub record: RunRecord,
}

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
    /// [`IvpError::Config`] naming the bad key.
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
    /// [`IvpError::Config`] for a bad architecture.
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
            &self.cfg.fit,
            self.cfg.seed + 1000,
        )?;
        Ok((net, theta, report))
    }

    /// Solves `problem` from t = 0 to `t_end`, returning θ at `output_times` (each in
    /// [0, t_end]).
    ///
    /// # Errors
    /// Configuration errors, [`IvpError::NonFinite`] naming the time and step if θ, θ̇ or the
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
        positive("t_end", t_end)?;
        if let Some(&t) = output_times.iter().find(|&&t| !(0.0..=t_end).contains(&t)) {
            return Err(config_err("output_times", t, "times in [0, t_end]"));
        }
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
                dynamics.resample(steps.len() as u64);
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
            let residual = match (self.cfg.eval_points, rk.derivative()) {
                (0, _) | (_, None) => None,
                (n, Some(theta_dot)) => Some(pde_residual(
                    &net,
                    problem,
                    rk.y(),
                    theta_dot,
                    t,
                    n,
                    derive(self.cfg.seed, sampling::EVAL, steps.len() as u64),
                )?),
            };
            let rec = dynamics.finish_step(
                t,
                info.h,
                info.rejected,
                residual,
                start.elapsed().as_secs_f64(),
            );
            let mean_iters =
                rec.cg_iters.iter().sum::<usize>() as f64 / rec.cg_iters.len().max(1) as f64;
            observer(&rec);
            let reason = policy.observe(mean_iters, rec.lambda_max);
            steps.push(rec);
            if let Some(reason) = reason.filter(|_| t < t_end) {
                let old = rk.y().to_vec();
                let k = policy.count() as u64;
                let mut theta = net.init(derive(self.cfg.seed, sampling::RESTART, k));
                let target = |pts: &[f64], out: &mut [f64]| {
                    net.eval(&old, pts, out)
                        .expect("points of the network's dimension");
                };
                let cfg = self.cfg.restart.fit.as_ref().unwrap_or(&self.cfg.fit);
                let report = fit(
                    &net,
                    &mut theta,
                    &target,
                    cfg,
                    derive(self.cfg.seed, sampling::RESTART, 1000 + k),
                )?;
                fit_seconds += report.seconds;
                rk.set_state(&theta);
                dynamics.reset();
                policy.restarted();
                restarts.push(RestartEvent {
                    t,
                    step: steps.len(),
                    reason,
                    fit: report,
                });
            }
        }
        let record = RunRecord {
            problem: problem.name(),
            params: net.num_params(),
            config: self.cfg.clone(),
            fit: fit_report,
            steps,
            restarts,
            solves: dynamics.total.solves,
            cg_iters: dynamics.total.cg_iters,
            matvecs: dynamics.total.matvecs,
            builds: dynamics.total.builds,
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

/// The relative PDE residual ‖J θ̇ − f‖ / ‖f‖ over `n` fresh uniform points drawn with `seed`
/// (f = L[u_θ]; sums over points and outputs).
///
/// The public code prints this divided by √n; compare against its logs accordingly.
///
/// # Errors
/// Shape errors.
pub fn pde_residual(
    net: &Network,
    problem: &dyn Ivp,
    theta: &[f64],
    theta_dot: &[f64],
    t: f64,
    n: usize,
    seed: u64,
) -> Result<f64> {
    let mut pts = vec![0.0; n * net.dim()];
    uniform_points(&mut ChaCha8Rng::seed_from_u64(seed), &mut pts);
    let mut fwd = Forward::new();
    net.forward(theta, &pts, &mut fwd)?;
    let mut jets = Jets::new();
    net.jets(
        theta,
        &pts,
        problem.derivatives(),
        &mut jets,
        &mut JetWorkspace::new(),
    )?;
    let mut f = vec![0.0; n * net.outputs()];
    pde_rhs(problem, t, &pts, &jets, &mut f);
    let mut jv = vec![0.0; n * net.outputs()];
    net.jvp(
        theta,
        &fwd,
        theta_dot,
        &mut jv,
        &mut TangentWorkspace::new(),
    )?;
    let (num, den) = jv.iter().zip(&f).fold((0.0, 0.0), |(a, b), (&x, &y)| {
        (a + (x - y) * (x - y), b + y * y)
    });
    Ok(if den > 0.0 {
        (num / den).sqrt()
    } else {
        num.sqrt()
    })
}

/// f(xᵢ) = L[u](xᵢ, t) at all points from their jets (parallel over points).
pub(crate) fn pde_rhs(problem: &dyn Ivp, t: f64, points: &[f64], jets: &Jets, f: &mut [f64]) {
    let (d, m) = (problem.dim(), problem.outputs());
    f.par_chunks_mut(m * 256)
        .enumerate()
        .for_each(|(c, block)| {
            for (k, out) in block.chunks_exact_mut(m).enumerate() {
                let i = c * 256 + k;
                problem.rhs(t, &points[i * d..(i + 1) * d], &jets.point(i), out);
            }
        });
}

#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    solves: usize,
    cg_iters: usize,
    matvecs: usize,
    builds: usize,
}

/// The preconditioner in use and the conditioning it measured.
enum Precond {
    Nystrom(NystromPreconditioner),
    Identity { lambda_max: f64 },
}

/// The right-hand side θ ↦ θ̇ of the parameter ODE, with the state kept between evaluations
/// (points of the current step, preconditioner, warm start, counters).
struct Dynamics<'a> {
    net: &'a Network,
    problem: &'a dyn Ivp,
    cfg: &'a NeuralIvpConfig,
    points: Vec<f64>,
    fwd: Forward,
    jets: Jets,
    jws: JetWorkspace,
    f: Vec<f64>,
    fhat: Vec<f64>,
    precond: Option<Precond>,
    baseline_iters: Option<usize>,
    last: Vec<f64>,
    have_last: bool,
    cg_ws: Workspace<f64>,
    step_iters: Vec<usize>,
    step_converged: bool,
    step_builds: usize,
    total: Totals,
    accepted: usize,
    lambda_max: f64,
}

impl<'a> Dynamics<'a> {
    fn new(net: &'a Network, problem: &'a dyn Ivp, cfg: &'a NeuralIvpConfig) -> Self {
        let p = net.num_params();
        Self {
            net,
            problem,
            cfg,
            points: vec![0.0; cfg.points * net.dim()],
            fwd: Forward::new(),
            jets: Jets::new(),
            jws: JetWorkspace::new(),
            f: vec![0.0; cfg.points * net.outputs()],
            fhat: vec![0.0; p],
            precond: None,
            baseline_iters: None,
            last: vec![0.0; p],
            have_last: false,
            cg_ws: Workspace::new(),
            step_iters: Vec::new(),
            step_converged: true,
            step_builds: 0,
            total: Totals::default(),
            accepted: 0,
            lambda_max: f64::NAN,
        }
    }

    fn begin_step(&mut self) {
        self.step_iters.clear();
        self.step_converged = true;
        self.step_builds = 0;
    }

    /// Draws the Monte Carlo points of draw `index`.
    fn resample(&mut self, index: u64) {
        let seed = derive(self.cfg.seed, sampling::POINTS, index);
        uniform_points(&mut ChaCha8Rng::seed_from_u64(seed), &mut self.points);
    }

    /// Forget the preconditioner and the warm start (after a restart).
    fn reset(&mut self) {
        self.precond = None;
        self.baseline_iters = None;
        self.have_last = false;
    }

    /// λ̂_max of the last build.
    fn lambda_max(&self) -> f64 {
        self.lambda_max
    }

    fn finish_step(
        &mut self,
        t: f64,
        h: f64,
        rejected: usize,
        residual: Option<f64>,
        wall: f64,
    ) -> StepRecord {
        self.accepted += 1;
        let lambda_max = self.lambda_max();
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

/// Builds the preconditioner (or, with rank 0, estimates λ̂_max by power iteration) for the
/// `k`-th time; returns it and the M̂ products it cost.
fn build_preconditioner(
    cfg: &NeuralIvpConfig,
    op: &GaussNewton<'_>,
    k: u64,
) -> Result<(Precond, usize)> {
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

impl OdeSystem for Dynamics<'_> {
    fn rhs(&mut self, t: f64, theta: &[f64], theta_dot: &mut [f64]) -> Result<()> {
        check_state("θ", theta, t, self.accepted)?;
        self.net.forward(theta, &self.points, &mut self.fwd)?;
        self.net.jets(
            theta,
            &self.points,
            self.problem.derivatives(),
            &mut self.jets,
            &mut self.jws,
        )?;
        pde_rhs(self.problem, t, &self.points, &self.jets, &mut self.f);
        check_state("PDE right-hand side", &self.f, t, self.accepted)?;
        let mut op = GaussNewton::new(self.net, theta, &self.fwd)?;
        op.rhs(&self.f, &mut self.fhat)?;
        let s = &self.cfg.solver;
        if self.precond.is_none() || !s.reuse_preconditioner {
            let (pre, matvecs) = build_preconditioner(self.cfg, &op, self.total.builds as u64)?;
            self.lambda_max = match &pre {
                Precond::Nystrom(p) => p.lambda_max(),
                Precond::Identity { lambda_max } => *lambda_max,
            };
            self.precond = Some(pre);
            self.total.builds += 1;
            self.total.matvecs += matvecs;
            self.step_builds += 1;
            self.baseline_iters = None;
        }
        let mu = s.mu * self.lambda_max();
        op.set_mu(mu);
        let budget = Budget::new(s.cg_max_iters, s.cg_rtol)?;
        let warm = s.warm_start && self.have_last;
        if warm {
            theta_dot.copy_from_slice(&self.last);
        }
        let opts = SolveOptions {
            warm_start: warm,
            record_history: false,
        };
        let pre: &dyn Preconditioner<f64> = match &self.precond {
            Some(Precond::Nystrom(p)) => p,
            _ => &IdentityPreconditioner,
        };
        let report = cg(
            &op,
            pre,
            &self.fhat,
            theta_dot,
            &budget,
            &opts,
            &mut self.cg_ws,
        )?;
        check_state("θ̇", theta_dot, t, self.accepted)?;
        self.total.solves += 1;
        self.total.cg_iters += report.iterations;
        self.total.matvecs += report.matvecs;
        self.step_iters.push(report.iterations);
        self.step_converged &= report.converged;
        self.last.copy_from_slice(theta_dot);
        self.have_last = true;
        // rebuild before the next solve if CG needed clearly more than right after the build
        match self.baseline_iters {
            None => self.baseline_iters = Some(report.iterations),
            Some(base) => {
                let limit = s.rebuild_growth * base as f64 + s.rebuild_slack as f64;
                if !report.converged || report.iterations as f64 > limit {
                    self.precond = None;
                }
            }
        }
        Ok(())
    }
}
