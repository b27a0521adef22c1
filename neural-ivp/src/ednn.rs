//! The EDNN baseline (Du & Zaki, 2021): a tanh MLP (4 × 30) on the raw coordinates, the dense
//! Jacobian J (n·m × p) at fixed collocation points, θ̇ = J⁺f by a truncated pseudo-inverse
//! (singular values below `rcond`·σ_max dropped) at every stage, fixed-step RK4, no
//! preconditioning, regularisation or restarts. Its cost is O(n·p² + p³) per stage.

use std::time::Instant;

use faer::{Accum, Mat, Side};
use serde::{Deserialize, Serialize};

use crate::collocation::{Collocation, FreshPoints, step_residuals};
use crate::composite::Forward;
use crate::drive::{Evolution, Landing, Progress, drive};
use crate::error::{IvpError, Result, at_least, check_horizon, check_state, config_err, positive};
use crate::fit::{FitConfig, FitReport, fit};
use crate::network::{Network, NetworkConfig};
use crate::observe::{Observer, Silent};
use crate::problems::{Ivp, initial_values};
use crate::rk::{Integrator, OdeSystem, RkScheme, StepControl, StepInfo};
use crate::sampling::{self, derive};
use crate::solver::checkpoint::Schedule;
use crate::solver::{Checkpointing, run_key};
use prdp_nn::JacobianBlock;
use prdp_nn::gemm::{gemm, rm, rm_mut};

/// EDNN settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EdnnConfig {
    /// The network (default: 4 × 30 tanh on raw coordinates with the Dirichlet factor).
    pub network: NetworkConfig,
    /// Seed.
    pub seed: u64,
    /// Fixed collocation points.
    pub points: usize,
    /// RK4 step.
    pub dt: f64,
    /// Relative singular-value cutoff of the pseudo-inverse (Du & Zaki: 1e-3).
    pub rcond: f64,
    /// Initial fit (EDNN: Adam only, no head tuning).
    pub fit: FitConfig,
    /// Fresh points for the residual after every step (0: off).
    pub eval_points: usize,
    /// Half-width h of the interior cube [−h, h]^d on which the residual is also measured (0:
    /// off; see [`crate::NeuralIvpConfig::eval_interior`]).
    pub eval_interior: f64,
}

impl Default for EdnnConfig {
    fn default() -> Self {
        Self {
            network: NetworkConfig::ednn(),
            seed: 0,
            points: 2_000,
            dt: 1e-3,
            rcond: 1e-3,
            fit: FitConfig {
                head_points: 0,
                ..FitConfig::default()
            },
            eval_points: 2_000,
            eval_interior: 0.0,
        }
    }
}

impl EdnnConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`IvpError::Config`] naming the key.
    pub fn validate(&self) -> Result<()> {
        self.network.validate("network")?;
        at_least("points", self.points, 1)?;
        positive("dt", self.dt)?;
        crate::solver::interior("eval_interior", self.eval_interior)?;
        if !(self.rcond > 0.0 && self.rcond < 1.0) {
            return Err(config_err("rcond", self.rcond, "in (0, 1)"));
        }
        self.fit.validate("fit")
    }
}

/// One EDNN step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdnnStep {
    /// Time at the end of the step.
    pub t: f64,
    /// Relative PDE residual on fresh points.
    pub residual: Option<f64>,
    /// The same residual of each equation (output) alone; empty when not measured.
    #[serde(default)]
    pub residuals: Vec<f64>,
    /// The residual on the interior cube of [`EdnnConfig::eval_interior`].
    #[serde(default)]
    pub residual_interior: Option<f64>,
    /// Singular values kept by the pseudo-inverse at the last stage.
    pub rank: usize,
    /// Wall time since the start (seconds).
    pub wall: f64,
}

/// The record of an EDNN run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdnnRecord {
    /// Problem name.
    pub problem: String,
    /// Parameters p.
    pub params: usize,
    /// The configuration.
    pub config: EdnnConfig,
    /// The initial fit.
    pub fit: FitReport,
    /// Steps.
    pub steps: Vec<EdnnStep>,
    /// Least-squares solves.
    pub solves: usize,
    /// Wall time in the dense least-squares solves (seconds).
    pub solve_seconds: f64,
    /// Wall time of the run (seconds).
    pub wall_seconds: f64,
}

/// θ at the output times and the record.
#[derive(Debug, Clone)]
pub struct EdnnSolution {
    /// The network.
    pub network: Network,
    /// (t, θ(t)) at the output times.
    pub snapshots: Vec<(f64, Vec<f64>)>,
    /// The record.
    pub record: EdnnRecord,
}

/// Writes the dense Jacobian ∂u(xᵢ)_o/∂θ (row i·m + o) of the points cached in `fwd` into
/// `out` (n·m × p row-major), in O(n·m·p) work.
///
/// # Errors
/// Shape errors.
pub fn dense_jacobian(net: &Network, theta: &[f64], fwd: &Forward, out: &mut [f64]) -> Result<()> {
    let n = net.check_linearization(theta, fwd)?;
    let (m, p) = (net.outputs(), net.num_params());
    crate::error::check_len("dense Jacobian", n * m * p, out.len())?;
    out.fill(0.0);
    for k in 0..net.trunks() {
        let (pr, o) = (net.trunk_params(k), net.trunk_outputs(k));
        let at = JacobianBlock {
            outputs: m,
            first_output: o.start,
            columns: p,
            first_column: pr.start,
        };
        net.trunk(k)
            .mlp
            .jacobian(&theta[pr], &fwd.parts[k], at, out)?;
    }
    Ok(())
}

/// θ̇ = J⁺f with singular values below `rcond`·σ_max dropped, through the eigendecomposition
/// of the smaller Gram matrix (JᵀJ, or JJᵀ when J has fewer rows than columns; σᵢ² = λᵢ, so
/// the cutoff is λ < rcond²·λ_max). Returns the number of singular values kept.
///
/// # Errors
/// [`IvpError::Factorization`] if the eigendecomposition fails.
pub fn truncated_lstsq(
    jac: &[f64],
    rows: usize,
    p: usize,
    f: &[f64],
    rcond: f64,
    out: &mut [f64],
) -> Result<usize> {
    let j = rm(jac, rows, p);
    let wide = rows < p;
    let k = rows.min(p);
    let mut g = vec![0.0; k * k];
    if wide {
        gemm(
            rm_mut(&mut g, k, k),
            Accum::Replace,
            j,
            j.transpose(),
            rayon::current_num_threads(),
        );
    } else {
        gemm(
            rm_mut(&mut g, k, k),
            Accum::Replace,
            j.transpose(),
            j,
            rayon::current_num_threads(),
        );
    }
    // the vector the eigenvectors act on: Jᵀf (tall) or f (wide)
    let mut rhs = vec![0.0; k];
    if wide {
        rhs.copy_from_slice(f);
    } else {
        gemm(
            rm_mut(&mut rhs, p, 1),
            Accum::Replace,
            j.transpose(),
            rm(f, rows, 1),
            1,
        );
    }
    let gm = Mat::<f64>::from_fn(k, k, |a, b| g[a * k + b]);
    let eig = gm
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| IvpError::Factorization {
            what: format!("eigendecomposition of the {k}x{k} EDNN Gram matrix"),
            detail: format!("{e:?}"),
        })?;
    let s = eig.S().column_vector();
    let u = eig.U();
    let lmax = (0..k).map(|i| s[i]).fold(0.0, f64::max);
    let mut sol = vec![0.0; k];
    let mut kept = 0;
    for c in 0..k {
        let l = s[c];
        if l > rcond * rcond * lmax && l > 0.0 {
            kept += 1;
            let mut coef = 0.0;
            for i in 0..k {
                coef += u[(i, c)] * rhs[i];
            }
            coef /= l;
            for i in 0..k {
                sol[i] += coef * u[(i, c)];
            }
        }
    }
    if wide {
        gemm(
            rm_mut(out, p, 1),
            Accum::Replace,
            j.transpose(),
            rm(&sol, rows, 1),
            1,
        );
    } else {
        out.copy_from_slice(&sol);
    }
    Ok(kept)
}

struct EdnnDynamics<'a> {
    net: &'a Network,
    problem: &'a dyn Ivp,
    rcond: f64,
    at: Collocation,
    jac: Vec<f64>,
    solves: usize,
    solve_seconds: f64,
    rank: usize,
    step: usize,
}

impl OdeSystem for EdnnDynamics<'_> {
    fn rhs(&mut self, t: f64, theta: &[f64], theta_dot: &mut [f64]) -> Result<()> {
        check_state("θ", theta, t, self.step)?;
        self.at.evaluate(self.net, self.problem, theta, t)?;
        check_state("PDE right-hand side", &self.at.f, t, self.step)?;
        let start = Instant::now();
        dense_jacobian(self.net, theta, &self.at.fwd, &mut self.jac)?;
        let rows = self.at.f.len();
        self.rank = truncated_lstsq(
            &self.jac,
            rows,
            self.net.num_params(),
            &self.at.f,
            self.rcond,
            theta_dot,
        )?;
        self.solve_seconds += start.elapsed().as_secs_f64();
        self.solves += 1;
        check_state("θ̇", theta_dot, t, self.step)
    }
}

/// Runs EDNN on `problem` from 0 to `t_end`, returning θ at `output_times` (each step is
/// shortened to land on them).
///
/// The collocation points are fixed as in Du and Zaki when the problem's measure is uniform;
/// under a focused [`crate::Measure`] they are redrawn, with their importance weights, for every
/// step, so that they follow the solution.
///
/// # Errors
/// Configuration errors (an output time outside [0, `t_end`] among them, as for Neural IVP),
/// fit, factorisation and non-finite-state errors.
///
/// # Reference
/// Du and Zaki, *Evolutional deep neural network*, Phys. Rev. E 104, 045303 (2021); the
/// baseline of Finzi et al. (ICLR 2023), figures 3, 4 and 6.
pub fn solve(
    problem: &dyn Ivp,
    cfg: &EdnnConfig,
    t_end: f64,
    output_times: &[f64],
) -> Result<EdnnSolution> {
    solve_observed(problem, cfg, t_end, output_times, &mut Silent)
}

/// As [`solve`], telling `observer` of every step ([`Observer::ednn_step`]).
///
/// # Errors
/// As [`solve`].
pub fn solve_observed(
    problem: &dyn Ivp,
    cfg: &EdnnConfig,
    t_end: f64,
    output_times: &[f64],
    observer: &mut dyn Observer,
) -> Result<EdnnSolution> {
    run(problem, cfg, t_end, output_times, observer, None)
}

/// As [`solve_observed`], keeping a checkpoint of the run (after a step, at most every
/// `checkpointing.every_seconds`) from which a killed run started again with the same
/// arguments resumes bit-identically; removed when the run ends.
///
/// # Errors
/// As [`solve`]; [`IvpError::Checkpoint`] if the checkpoint cannot be written or read, or
/// belongs to another run; [`IvpError::Stopped`] after `checkpointing.stop_after` steps.
pub fn solve_checkpointed(
    problem: &dyn Ivp,
    cfg: &EdnnConfig,
    t_end: f64,
    output_times: &[f64],
    observer: &mut dyn Observer,
    checkpointing: &Checkpointing,
) -> Result<EdnnSolution> {
    run(
        problem,
        cfg,
        t_end,
        output_times,
        observer,
        Some(checkpointing),
    )
}

fn run(
    problem: &dyn Ivp,
    cfg: &EdnnConfig,
    t_end: f64,
    output_times: &[f64],
    observer: &mut dyn Observer,
    checkpointing: Option<&Checkpointing>,
) -> Result<EdnnSolution> {
    cfg.validate()?;
    check_horizon(t_end, output_times)?;
    let start = Instant::now();
    let net = Network::new(&cfg.network, problem.dim(), problem.outputs())?;
    let schedule =
        checkpointing.map(|c| Schedule::new(c, run_key(cfg, problem, t_end, output_times)));
    let saved = match &schedule {
        Some(s) => s.load::<EdnnState>(net.num_params())?,
        None => None,
    };
    let measure = problem.measure(0.0);
    let (theta, fit_report) = match &saved {
        // θ of the checkpoint until the integrator's whole state is restored below
        Some((saved, arrays)) => (arrays.peek("rk.y").to_vec(), saved.method.fit.clone()),
        None => {
            let mut theta = net.init(cfg.seed);
            let target = |pts: &[f64], out: &mut [f64]| initial_values(problem, pts, out);
            let report = fit(
                &net,
                &mut theta,
                &target,
                &measure,
                &cfg.fit,
                cfg.seed + 1000,
            )?;
            (theta, report)
        }
    };
    let (n, m, p) = (cfg.points, net.outputs(), net.num_params());
    let mut at = Collocation::new(&net, n);
    at.resample(derive(cfg.seed, sampling::POINTS, 0), &measure)?;
    let control = StepControl {
        method: RkScheme::Rk4,
        h0: Some(cfg.dt),
        ..StepControl::default()
    };
    let mut rk = Integrator::new(control, 0.0, theta, t_end)?;
    let mut run = EdnnRun {
        sys: EdnnDynamics {
            net: &net,
            problem,
            rcond: cfg.rcond,
            at,
            jac: vec![0.0; n * m * p],
            solves: 0,
            solve_seconds: 0.0,
            rank: 0,
            step: 0,
        },
        cfg,
        // Du and Zaki keep their collocation points; a focused measure follows the solution,
        // so its points are redrawn for every step
        redraw: !measure.is_uniform(),
        steps: Vec::new(),
        fit: fit_report,
        start,
        observer,
        schedule: None,
    };
    let resume = match (saved, &schedule) {
        (Some((saved, arrays)), Some(s)) => {
            Some(
                s.resume(saved, arrays, &mut rk, output_times.len(), |m, _, start| {
                    run.start = start;
                    run.restore(m);
                    Ok(())
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
    let record = EdnnRecord {
        problem: problem.name(),
        params: p,
        config: cfg.clone(),
        fit: run.fit,
        steps: run.steps,
        solves: run.sys.solves,
        solve_seconds: run.sys.solve_seconds,
        wall_seconds: run.start.elapsed().as_secs_f64(),
    };
    Ok(EdnnSolution {
        network: net,
        snapshots,
        record,
    })
}

/// An EDNN run's own state in a checkpoint. Its points need no saving: the fixed ones are
/// drawn again from the seed, and focused ones are redrawn before every step.
#[derive(Debug, Serialize, Deserialize)]
struct EdnnState {
    solves: usize,
    solve_seconds: f64,
    rank: usize,
    step: usize,
    steps: Vec<EdnnStep>,
    fit: FitReport,
}

/// One EDNN run in progress: what the loop's step hooks work on.
struct EdnnRun<'a> {
    sys: EdnnDynamics<'a>,
    cfg: &'a EdnnConfig,
    redraw: bool,
    steps: Vec<EdnnStep>,
    fit: FitReport,
    start: Instant,
    observer: &'a mut dyn Observer,
    /// When to write checkpoints.
    schedule: Option<Schedule<'a>>,
}

impl EdnnRun<'_> {
    /// The run's own state for a checkpoint.
    fn save(&self) -> EdnnState {
        EdnnState {
            solves: self.sys.solves,
            solve_seconds: self.sys.solve_seconds,
            rank: self.sys.rank,
            step: self.sys.step,
            steps: self.steps.clone(),
            fit: self.fit.clone(),
        }
    }

    /// Restores what [`EdnnRun::save`] saved.
    fn restore(&mut self, state: EdnnState) {
        self.sys.solves = state.solves;
        self.sys.solve_seconds = state.solve_seconds;
        self.sys.rank = state.rank;
        self.sys.step = state.step;
        self.steps = state.steps;
        self.fit = state.fit;
    }
}

impl Evolution for EdnnRun<'_> {
    const LANDING: Landing = Landing::OnOutputs;

    fn system(&mut self) -> &mut dyn OdeSystem {
        &mut self.sys
    }

    fn before_step(&mut self, index: usize, rk: &mut Integrator) -> Result<()> {
        if self.redraw && index > 0 {
            self.sys.at.resample(
                derive(self.cfg.seed, sampling::POINTS, index as u64),
                &self.sys.problem.measure(rk.t()),
            )?;
            rk.invalidate_derivative();
        }
        Ok(())
    }

    fn after_step(&mut self, index: usize, _info: &StepInfo, rk: &mut Integrator) -> Result<()> {
        self.sys.step = index + 1;
        let cfg = self.cfg;
        let t = rk.t();
        let measured = if cfg.eval_points > 0 {
            let theta_dot = rk.ensure_derivative(&mut self.sys)?.to_vec();
            Some(step_residuals(
                self.sys.net,
                self.sys.problem,
                rk.y(),
                &theta_dot,
                t,
                FreshPoints {
                    n: cfg.eval_points,
                    seed: derive(cfg.seed, sampling::EVAL, index as u64),
                },
                cfg.eval_interior,
            )?)
        } else {
            None
        };
        let step = EdnnStep {
            t,
            residual: measured.as_ref().map(|m| m.residual.total),
            residual_interior: measured.as_ref().and_then(|m| m.interior),
            residuals: measured.map_or_else(Vec::new, |m| m.residual.outputs),
            rank: self.sys.rank,
            wall: self.start.elapsed().as_secs_f64(),
        };
        self.observer.ednn_step(&step);
        self.steps.push(step);
        Ok(())
    }

    fn checkpoint(&mut self, progress: &Progress, rk: &Integrator) -> Result<()> {
        let Some(mut schedule) = self.schedule.take() else {
            return Ok(());
        };
        let r = schedule.after_step(progress, rk, self.start, |_| self.save());
        self.schedule = Some(schedule);
        r
    }
}
