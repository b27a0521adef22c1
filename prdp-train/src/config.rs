//! Experiments as serde configs (TOML), and running them.

use std::path::{Path, PathBuf};

use prdp_nn::{Architecture, Loss, Model, Optimizer};
use prdp_pde::{
    Assembly, Burgers1d, BurgersConfig, DataSpec, Dataset, FourierSeries, Heat, HeatConfig,
    KEpsilon, NavierStokes, NavierStokesConfig, Physics, Poisson, PoissonConfig, burgers_dataset,
    heat_dataset, k_epsilon, navier_stokes_dataset,
};
use prdp_solvers::{Budget, DiffMode, DiffSolver, Method};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::comm::Ranks;
use crate::data_parallel::Parallel;
use crate::emulator::{Emulator, EmulatorParts};
use crate::hybrid::{Hybrid, HybridParts};
use crate::inverse::InverseProblem;
use crate::trainable::Trainable;
use crate::trainer::{RunMeta, Scenario, train};
use crate::{KSchedule, Observer, RunOptions, RunRecord, TrainError};

/// One training run: a scenario, a refinement schedule and a seed.
///
/// # Example
/// ```
/// let toml = r#"
/// name = "my-heat"
/// seed = 3
/// [schedule]
/// kind = "fixed"
/// k = 10
/// [scenario.emulator]
/// epochs = 2
/// "#;
/// let e: prdp_train::Experiment = toml::from_str(toml).unwrap();
/// assert_eq!(e.seed, 3);
/// assert!(toml::from_str::<prdp_train::Experiment>("name = 'x'\nsede = 1").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// A name for records and progress bars.
    pub name: String,
    /// Run seed: network initialisation and minibatch order (the data has its own seed).
    #[serde(default)]
    pub seed: u64,
    /// How K evolves.
    pub schedule: KSchedule,
    /// What is trained.
    pub scenario: ScenarioConfig,
}

/// The three training scenarios of the PRDP paper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ScenarioConfig {
    /// Parameter fitting through the Poisson solver.
    InverseProblem(InverseConfig),
    /// A network emulator trained through one physics step (heat, Burgers).
    Emulator(EmulatorConfig),
    /// A network corrector of a coarse Navier–Stokes solver, trained through two solver calls.
    Hybrid(HybridConfig),
}

/// The differentiable solver of a scenario; K comes from the schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SolverConfig {
    /// The iterative method.
    pub method: Method,
    /// Implicit (adjoint budget: the primal's unless given) or unrolled.
    pub mode: DiffMode,
    /// Relative residual tolerance ε at which a solve stops early (the paper's 1e-5).
    pub rtol: f64,
}

impl Default for SolverConfig {
    fn default() -> Self {
        Self {
            method: Method::Jacobi,
            mode: DiffMode::default(),
            rtol: 1e-5,
        }
    }
}

impl SolverConfig {
    fn diff_solver(&self, k: usize) -> Result<DiffSolver, TrainError> {
        Ok(DiffSolver::new(
            self.method,
            Budget::new(k, self.rtol)?,
            self.mode,
        )?)
    }
}

/// Scenario 1: the Poisson inverse problem, parameters θ of a right-hand side recovered
/// through the solver.
///
/// # Reference
/// PRDP paper, sections 2.2 and 4.1, appendix D.1 (the discretisation) and F.1 (the setup).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InverseConfig {
    /// The Poisson problem (N and the number of load modes P).
    pub poisson: PoissonConfig,
    /// The solver.
    pub solver: SolverConfig,
    /// Gradient-descent learning rate.
    pub learning_rate: f64,
    /// Update steps.
    pub steps: usize,
    /// Target parameters (default: the paper's for P = 1 or 3).
    pub theta_ref: Option<Vec<f64>>,
    /// Initial parameters (default: the paper's).
    pub theta_init: Option<Vec<f64>>,
    /// Floating-point precision of the solves and the parameters (the paper's: f32).
    pub precision: Precision,
}

/// Floating-point precision of a scenario's arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// Single precision, as the paper's JAX code.
    #[default]
    F32,
    /// Double precision: separates what the method does from what f32 rounding does.
    F64,
}

impl Default for InverseConfig {
    fn default() -> Self {
        Self {
            poisson: PoissonConfig::default(),
            solver: SolverConfig::default(),
            learning_rate: 275.0,
            steps: 170,
            theta_ref: None,
            theta_init: None,
            precision: Precision::F32,
        }
    }
}

impl InverseConfig {
    /// The (reference, initial) parameters: as given, or the paper's for P = 1 or 3.
    fn parameters(&self) -> Result<(Vec<f64>, Vec<f64>), TrainError> {
        match (
            &self.theta_ref,
            &self.theta_init,
            Poisson::<f64>::paper_parameters(self.poisson.modes),
        ) {
            (Some(r), Some(i), _) => Ok((r.clone(), i.clone())),
            (r, i, Some((pr, pi))) => Ok((r.clone().unwrap_or(pr), i.clone().unwrap_or(pi))),
            _ => Err(TrainError::config(
                "theta_ref/theta_init",
                "missing",
                "both given unless modes is 1 or 3 (the paper's values)",
            )),
        }
    }

    /// Trains in precision `T`.
    fn train<T: prdp_core::Real>(
        &self,
        k0: usize,
        meta: RunMeta<'_>,
        opts: &RunOptions,
        obs: &mut dyn Observer,
    ) -> Result<RunRecord, TrainError> {
        let (theta_ref, theta_init) = self.parameters()?;
        let physics = Physics::new(
            Poisson::<T>::new(self.poisson.clone())?,
            self.solver.diff_solver(k0)?,
        )?;
        let mut sc = InverseProblem::new(physics, self.learning_rate, &theta_init, &theta_ref)?;
        train(&mut sc, meta, opts, obs)
    }
}

/// The physics an emulator learns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum EmulatorPhysics {
    /// BTCS heat diffusion (D.2–D.4).
    Heat(HeatConfig),
    /// Burgers 1D, one Oseen step (D.5).
    Burgers(BurgersConfig),
}

/// Scenario 2: an autoregressive neural emulator trained through the implicit solver's steps
/// (mixed chain: the network's prediction, then the physics).
///
/// # Reference
/// PRDP paper, sections 4.2 (heat, linear) and 4.3 (Burgers, nonlinear), appendix D.2–D.5 and
/// F.2–F.3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmulatorConfig {
    /// The physics.
    pub physics: EmulatorPhysics,
    /// The solver.
    pub solver: SolverConfig,
    /// Data set sizes and seed.
    pub data: DataSpec,
    /// Initial conditions.
    pub initial_condition: FourierSeries,
    /// The network.
    pub model: Architecture,
    /// The optimiser and learning-rate schedule.
    pub optimizer: Optimizer,
    /// Epochs.
    pub epochs: usize,
    /// Minibatch size.
    pub batch_size: usize,
    /// Training loss after the physics step (the paper: nMSE).
    pub loss: Loss,
    /// Rollout step t of the validation metric.
    pub validation_step: usize,
    /// Blocks each minibatch (and the validation set) is cut into for data-parallel training:
    /// gradients are summed block by block in a fixed order, so a run gives the same bits on
    /// any number of ranks up to this count ([`crate::Ranks`]). 1 (the default) is the plain
    /// single-process step; a different count changes results by rounding.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub gradient_blocks: usize,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        crate::presets::heat_emulator(1)
    }
}

/// Scenario 3: a neural-hybrid corrector of a coarse Navier–Stokes solver, trained against a
/// fine one.
///
/// # Reference
/// PRDP paper, section 4.4, appendix D.7 (eq. 50–55) and F.4.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HybridConfig {
    /// The coarse (source) solver that is trained through.
    pub coarse: NavierStokesConfig,
    /// The fine (reference) solver that makes the data; its grid must be 2·n + 1 or 2·n
    /// cells for the coarse n.
    pub fine: NavierStokesConfig,
    /// νΔt of the implicit heat step that low-pass filters the random initial velocities.
    pub filter_nu_dt: f64,
    /// The solver.
    pub solver: SolverConfig,
    /// Restart cycles of the converged coarse solver used in validation (reference code: 120).
    pub converged_k: usize,
    /// Data set sizes and seed.
    pub data: DataSpec,
    /// The network (3 → 3 channels).
    pub model: Architecture,
    /// The optimiser and learning-rate schedule.
    pub optimizer: Optimizer,
    /// Epochs.
    pub epochs: usize,
    /// Minibatch size.
    pub batch_size: usize,
    /// Rollout step t of the validation metric.
    pub validation_step: usize,
    /// Channel of the validation metric (0: x-velocity).
    pub metric_channel: usize,
    /// Blocks each minibatch (and the validation set) is cut into for data-parallel training:
    /// gradients are summed block by block in a fixed order, so a run gives the same bits on
    /// any number of ranks up to this count ([`crate::Ranks`]). 1 (the default) is the plain
    /// single-process step; a different count changes results by rounding.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub gradient_blocks: usize,
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

impl Default for HybridConfig {
    fn default() -> Self {
        crate::presets::navier_stokes_hybrid()
    }
}

impl ScenarioConfig {
    /// Update steps per epoch: ⌊training samples / batch size⌋ (1 for the inverse problem,
    /// whose epochs are its update steps).
    pub fn steps_per_epoch(&self) -> usize {
        match self {
            Self::InverseProblem(_) => 1,
            Self::Emulator(c) => c.data.train / c.batch_size.max(1),
            Self::Hybrid(c) => c.data.train / c.batch_size.max(1),
        }
    }

    /// Update steps of a whole run.
    pub fn update_steps(&self) -> u64 {
        let epochs = match self {
            Self::InverseProblem(c) => c.steps,
            Self::Emulator(c) => c.epochs,
            Self::Hybrid(c) => c.epochs,
        };
        (epochs * self.steps_per_epoch()) as u64
    }

    /// The network's optimiser (none for the inverse problem's plain gradient descent).
    pub fn optimizer_mut(&mut self) -> Option<&mut Optimizer> {
        match self {
            Self::InverseProblem(_) => None,
            Self::Emulator(c) => Some(&mut c.optimizer),
            Self::Hybrid(c) => Some(&mut c.optimizer),
        }
    }
}

impl Experiment {
    /// The number of epochs (update steps for the inverse problem).
    pub fn epochs(&self) -> usize {
        match &self.scenario {
            ScenarioConfig::InverseProblem(c) => c.steps,
            ScenarioConfig::Emulator(c) => c.epochs,
            ScenarioConfig::Hybrid(c) => c.epochs,
        }
    }

    /// Reads an experiment from a TOML file.
    ///
    /// # Errors
    /// [`TrainError::Io`], or [`TrainError::Format`] naming the unknown key or bad value.
    pub fn from_toml_file(path: &Path) -> Result<Self, TrainError> {
        let text = std::fs::read_to_string(path).map_err(|e| TrainError::io(path, e))?;
        toml::from_str(&text).map_err(|e| TrainError::format(path, e))
    }

    /// Runs (or resumes) the experiment in `f32`, the precision of the paper's experiments (the
    /// inverse problem in its configured [`Precision`]).
    /// Data sets are generated from their own seed, or loaded from `data_cache` if a previous
    /// run saved them there.
    ///
    /// # Errors
    /// Invalid configuration (naming the key), data generation, solver or network errors, a
    /// diverging run ([`TrainError::Diverged`]).
    pub fn run(
        &self,
        opts: &RunOptions,
        data_cache: Option<&Path>,
        obs: &mut dyn Observer,
    ) -> Result<RunRecord, TrainError> {
        let ranks = &opts.ranks;
        let (k0, meta) = ranks.agree(self.prepare())?;
        match &self.scenario {
            ScenarioConfig::InverseProblem(c) if ranks.size() == 1 => match c.precision {
                Precision::F32 => c.train::<f32>(k0, meta, opts, obs),
                Precision::F64 => c.train::<f64>(k0, meta, opts, obs),
            },
            ScenarioConfig::InverseProblem(_) => Err(TrainError::config(
                "scenario",
                "inverse_problem",
                "an emulator or hybrid scenario on more than one rank (the inverse problem has no minibatch to split; run it as one process)",
            )),
            ScenarioConfig::Emulator(_) | ScenarioConfig::Hybrid(_) => {
                let mut sc = ranks.agree(self.scenario(k0, data_cache, ranks))?;
                train(sc.as_mut(), meta, opts, obs)
            }
        }
    }

    /// Checks the schedule and length; returns K₀ and what identifies the run.
    fn prepare(&self) -> Result<(usize, RunMeta<'_>), TrainError> {
        self.schedule.validate()?;
        if self.epochs() == 0 {
            return Err(TrainError::config(
                "epochs",
                0,
                "at least 1 (update steps for the inverse problem)",
            ));
        }
        let k0 = crate::Refiner::new(self.schedule.clone())?.k();
        let meta = RunMeta {
            name: &self.name,
            config: serde_json::to_value(self)
                .map_err(|e| TrainError::format(Path::new(&self.name), e))?,
            seed: self.seed,
            epochs: self.epochs(),
            schedule: &self.schedule,
        };
        Ok((k0, meta))
    }

    /// Generates the data set into `cache`, or checks that it is there: for a data-parallel
    /// run, rank 0 does this before the other ranks read the cache.
    ///
    /// # Errors
    /// Data generation and file errors.
    pub fn prepare_data(&self, cache: &Path) -> Result<(), TrainError> {
        match &self.scenario {
            ScenarioConfig::InverseProblem(_) => Ok(()),
            ScenarioConfig::Emulator(c) => c.dataset(Some(cache)).map(drop),
            ScenarioConfig::Hybrid(c) => c.dataset(Some(cache)).map(drop),
        }
    }

    /// The emulator or hybrid scenario of this experiment with its network initialised, its
    /// data generated (or loaded from `data_cache`) and its solver at `k0` iterations.
    ///
    /// # Errors
    /// [`TrainError::Config`] for the inverse problem (it is not a [`Scenario`]); network,
    /// data and solver errors.
    pub(crate) fn scenario(
        &self,
        k0: usize,
        data_cache: Option<&Path>,
        ranks: &Ranks,
    ) -> Result<Box<dyn Scenario>, TrainError> {
        match &self.scenario {
            ScenarioConfig::InverseProblem(_) => Err(TrainError::config(
                "scenario",
                "inverse_problem",
                "an emulator or hybrid scenario",
            )),
            ScenarioConfig::Emulator(c) => {
                let net = trainable(&c.model, &c.optimizer, self.seed)?;
                let data = c.dataset(data_cache)?;
                let parallel = parallel(ranks, c.gradient_blocks, c.batch_size, &data, &net)?;
                c.physics.build(EmulatorScenario {
                    config: c,
                    k0,
                    net,
                    data,
                    parallel,
                })
            }
            ScenarioConfig::Hybrid(c) => {
                let net = trainable(&c.model, &c.optimizer, self.seed)?;
                let data = c.dataset(data_cache)?;
                let parallel = parallel(ranks, c.gradient_blocks, c.batch_size, &data, &net)?;
                let physics = Physics::new(
                    NavierStokes::<f32>::new(c.coarse.clone())?,
                    c.solver.diff_solver(k0)?,
                )?;
                let converged = Physics::new(
                    NavierStokes::<f32>::new(c.coarse.clone())?,
                    DiffSolver::new(
                        c.solver.method,
                        Budget::new(c.converged_k, c.solver.rtol)?,
                        DiffMode::default(),
                    )?,
                )?;
                Ok(Box::new(Hybrid::new(HybridParts {
                    net,
                    physics,
                    converged,
                    data,
                    validation_step: c.validation_step,
                    metric_channel: c.metric_channel,
                    batch: c.batch_size,
                    parallel,
                })?))
            }
        }
    }
}

impl Experiment {
    /// K_ε of the scenario's physics: the first K at which the solver's mean relative residual
    /// over the inputs it meets in training falls below `epsilon` (the paper's ε = 1e-5,
    /// [`crate::presets::EPSILON`]), trying up to `max_k` (computed in f32, as the paper). The
    /// inputs are the training states that enter P_K: u¹ for the emulators, u⁰ and u¹ for the
    /// hybrid corrector, θ_ref for the inverse problem.
    ///
    /// # Errors
    /// [`TrainError::Config`] for an `epsilon` that is not positive; data generation and
    /// solver errors.
    pub fn k_epsilon(
        &self,
        data_cache: Option<&Path>,
        max_k: usize,
        epsilon: f64,
    ) -> Result<KEpsilon, TrainError> {
        if !(epsilon.is_finite() && epsilon > 0.0) {
            return Err(TrainError::config("epsilon", epsilon, "a positive number"));
        }
        match &self.scenario {
            ScenarioConfig::InverseProblem(c) => {
                let poisson = Poisson::<f32>::new(c.poisson.clone())?;
                let theta_ref = match (
                    &c.theta_ref,
                    Poisson::<f32>::paper_parameters(c.poisson.modes),
                ) {
                    (Some(r), _) => r.clone(),
                    (None, Some((r, _))) => r,
                    (None, None) => {
                        return Err(TrainError::config(
                            "theta_ref",
                            "missing",
                            "given unless modes is 1 or 3",
                        ));
                    }
                };
                let g: Vec<f32> = theta_ref.iter().map(|&v| v as f32).collect();
                Ok(k_epsilon(&poisson, c.solver.method, &g, 1, max_k, epsilon)?)
            }
            ScenarioConfig::Emulator(c) => {
                let data = c.dataset(data_cache)?;
                let g = data.train.states_at(1)?;
                c.physics.build(KEpsilonOf {
                    method: c.solver.method,
                    inputs: &g,
                    count: data.train.samples(),
                    max_k,
                    epsilon,
                })
            }
            ScenarioConfig::Hybrid(c) => {
                let data = c.dataset(data_cache)?;
                let mut g = data.train.states_at(0)?;
                g.extend(data.train.states_at(1)?);
                let count = 2 * data.train.samples();
                let ns = NavierStokes::<f32>::new(c.coarse.clone())?;
                Ok(k_epsilon(&ns, c.solver.method, &g, count, max_k, epsilon)?)
            }
        }
    }
}

impl EmulatorConfig {
    /// The scenario's data set, generated from its seed or loaded from `cache` (where it is
    /// saved after generation).
    ///
    /// # Errors
    /// Generation or file errors.
    pub fn dataset(&self, cache: Option<&Path>) -> Result<Dataset<f32>, TrainError> {
        let key = (&self.physics, &self.data, &self.initial_condition);
        match &self.physics {
            EmulatorPhysics::Heat(h) => cached(cache, "heat", &key, || {
                heat_dataset(h, &self.data, &self.initial_condition)
            }),
            EmulatorPhysics::Burgers(b) => cached(cache, "burgers", &key, || {
                burgers_dataset(b, &self.data, self.initial_condition.modes)
            }),
        }
    }
}

impl HybridConfig {
    /// The coarse-grid data set (fine trajectories restricted), generated from its seed or
    /// loaded from `cache`.
    ///
    /// # Errors
    /// Generation or file errors.
    pub fn dataset(&self, cache: Option<&Path>) -> Result<Dataset<f32>, TrainError> {
        let key = (&self.fine, &self.data, self.filter_nu_dt.to_bits());
        cached(cache, "navier-stokes", &key, || {
            Ok(navier_stokes_dataset(&self.fine, &self.data, self.filter_nu_dt)?.coarse)
        })
    }
}

fn trainable(
    arch: &Architecture,
    optimizer: &Optimizer,
    seed: u64,
) -> Result<Trainable<f32>, TrainError> {
    let model = Model::<f32>::new(arch.clone())?;
    let params = model.init(seed);
    Trainable::new(model, params, optimizer.clone())
}

/// Something built from an emulator's assembly, whichever physics it is: with
/// [`EmulatorPhysics::build`], the one place where a physics becomes its assembly type, for the
/// training scenario ([`EmulatorScenario`]) and for K_ε ([`KEpsilonOf`]) alike.
trait BuildWith {
    /// What is built.
    type Output;
    /// Builds it from the assembly.
    fn with_assembly<A: Assembly<f32> + 'static>(
        self,
        assembly: A,
    ) -> Result<Self::Output, TrainError>;
}

impl EmulatorPhysics {
    /// Builds `what` from this physics' assembly (in f32, the precision of the paper).
    fn build<W: BuildWith>(&self, what: W) -> Result<W::Output, TrainError> {
        match self {
            Self::Heat(h) => what.with_assembly(Heat::<f32>::new(h.clone())?),
            Self::Burgers(b) => what.with_assembly(Burgers1d::<f32>::new(b.clone())?),
        }
    }
}

/// The emulator training scenario, from its parts.
struct EmulatorScenario<'a> {
    config: &'a EmulatorConfig,
    k0: usize,
    net: Trainable<f32>,
    data: Dataset<f32>,
    parallel: Parallel<f32>,
}

impl BuildWith for EmulatorScenario<'_> {
    type Output = Box<dyn Scenario>;

    fn with_assembly<A: Assembly<f32> + 'static>(
        self,
        assembly: A,
    ) -> Result<Box<dyn Scenario>, TrainError> {
        let c = self.config;
        let physics = Physics::new(assembly, c.solver.diff_solver(self.k0)?)?;
        Ok(Box::new(Emulator::new(EmulatorParts {
            net: self.net,
            physics,
            data: self.data,
            loss: c.loss,
            validation_step: c.validation_step,
            batch: c.batch_size,
            parallel: self.parallel,
        })?))
    }
}

/// K_ε of an assembly over `count` inputs.
struct KEpsilonOf<'a> {
    method: Method,
    inputs: &'a [f32],
    count: usize,
    max_k: usize,
    epsilon: f64,
}

impl BuildWith for KEpsilonOf<'_> {
    type Output = KEpsilon;

    fn with_assembly<A: Assembly<f32> + 'static>(
        self,
        assembly: A,
    ) -> Result<KEpsilon, TrainError> {
        Ok(k_epsilon(
            &assembly,
            self.method,
            self.inputs,
            self.count,
            self.max_k,
            self.epsilon,
        )?)
    }
}

/// The data parallelism of a scenario over `ranks` with `blocks` gradient blocks.
fn parallel(
    ranks: &Ranks,
    blocks: usize,
    batch: usize,
    data: &Dataset<f32>,
    net: &Trainable<f32>,
) -> Result<Parallel<f32>, TrainError> {
    Parallel::new(
        ranks.clone(),
        blocks,
        batch,
        data.validation.samples(),
        net.params.len(),
    )
}

/// Loads a data set from [`cache_dir`] or generates and saves it there.
fn cached(
    cache: Option<&Path>,
    name: &str,
    key: &impl Serialize,
    generate: impl FnOnce() -> prdp_pde::Result<Dataset<f32>>,
) -> Result<Dataset<f32>, TrainError> {
    let Some(cache) = cache else {
        return Ok(generate()?);
    };
    let dir = cache_dir(cache, name, key)?;
    Ok(Dataset::load_or_generate(&dir, generate)?)
}

/// `cache/<name>-<hex>`, the hex being the first 64 bits of the SHA-256 of the key's JSON: the
/// same on every platform and Rust release.
fn cache_dir(cache: &Path, name: &str, key: &impl Serialize) -> Result<PathBuf, TrainError> {
    let json = serde_json::to_string(key).map_err(|e| TrainError::format(cache, e))?;
    let digest = Sha256::digest(json.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    Ok(cache.join(format!("{name}-{hex}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key is SHA-256 (checked against Python's hashlib), so caches outlive toolchains.
    #[test]
    fn cache_directory_names_are_stable() {
        #[derive(Serialize)]
        struct Key {
            n: usize,
            samples: usize,
        }
        let dir = cache_dir(
            Path::new("c"),
            "heat",
            &Key {
                n: 30,
                samples: 100,
            },
        )
        .unwrap();
        assert_eq!(dir, Path::new("c/heat-f656ab0c451924ec"));
    }
}
