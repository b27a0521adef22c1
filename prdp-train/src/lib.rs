//! # prdp-train
//!
//! Progressively Refined Differentiable Physics (PRDP): train networks, or fit parameters,
//! through the iterative PDE solvers of `prdp-pde` while a [`Refiner`] decides how many solver
//! iterations K each update step gets.
//!
//! - Schedules ([`KSchedule`]): a fixed K, the linear schedule of the paper's section 2.2, and
//!   the PRDP controller ([`PrdpConfig`], Algorithm 4 as the reference code implements it).
//! - Scenarios ([`ScenarioConfig`]): the Poisson inverse problem, the mixed-chain
//!   autoregressive emulator (heat 1–3D, Burgers) and the neural-hybrid Navier–Stokes
//!   corrector; [`presets`] holds the paper's settings.
//! - A [`Ledger`] of the cost (Σ K over update steps), solver counters and wall time per phase;
//!   [`savings`] against a converged baseline; [`charge_fixed`] charges a fixed-K run the way
//!   the paper's inverse-problem table does ([`BaselineCharge`]).
//! - [`rescale_time`]: a run shortened to fit a smaller machine keeps its preset's time scales
//!   (learning-rate decay and controller interval, stretched by the ratio of update steps).
//! - Every run writes a JSON [`RunRecord`] and checkpoints at each interval; a killed run
//!   resumes from its directory and ends with the same parameters ([`RunOptions`]).
//! - Observers ([`Progress`], [`Silent`]) watch runs.
//! - Data-parallel training over [`Ranks`] (MPI processes with the `mpi` feature, or threads in
//!   [`ThreadedRanks`]): each minibatch is cut into `gradient_blocks` fixed blocks whose
//!   gradients are summed in block order, so a run ends with the same bits on any number of
//!   ranks up to that count.
//!
//! # Example
//! ```
//! use prdp_train::{Experiment, KSchedule, PrdpConfig, RunOptions, ScenarioConfig, Silent, presets};
//! use prdp_solvers::{DiffMode, Method};
//!
//! // The 1-parameter Poisson inverse problem with PRDP, 60 update steps.
//! let mut inverse = presets::poisson_inverse(1, Method::Jacobi, DiffMode::Implicit { adjoint_budget: None });
//! inverse.steps = 60;
//! let exp = presets::experiment("poisson", ScenarioConfig::InverseProblem(inverse), KSchedule::Prdp(presets::poisson_prdp(1, 600)), 0);
//! let record = exp.run(&RunOptions::default(), None, &mut Silent)?;
//! assert!(record.final_k() > 25, "PRDP refined K");
//! assert!(record.final_metric() < 0.2 * record.intervals[0].validation.metric);
//! # Ok::<(), prdp_train::TrainError>(())
//! ```

#![deny(missing_docs)]

mod comm;
mod config;
mod data_parallel;
mod emulator;
mod error;
mod hybrid;
mod inverse;
mod ledger;
mod metrics;
#[cfg(feature = "mpi")]
mod mpi_ranks;
mod network_scenario;
mod observe;
pub mod presets;
mod probe;
mod record;
mod refine;
mod run_lock;
mod threaded;
mod timescale;
mod trainable;
mod trainer;

pub use comm::{Communicator, Data, DataMut, Ranks};
pub use config::{
    EmulatorConfig, EmulatorPhysics, Experiment, HybridConfig, InverseConfig, Precision,
    ScenarioConfig, SolverConfig,
};
pub use error::TrainError;
pub use ledger::{
    BaselineCharge, Charged, Ledger, Phase, Savings, WallTimes, charge_fixed, savings,
};
pub use metrics::normalized_errors;
#[cfg(feature = "mpi")]
pub use mpi_ranks::MpiRanks;
pub use observe::{Observer, Progress, Silent};
pub use probe::StepProbe;
pub use record::{IntervalRecord, RunRecord, RunStatus, Validation};
pub use refine::{
    Decision, InitialCheckpoint, Interval, KSchedule, MetricSource, PrdpConfig, Refiner,
};
pub use threaded::ThreadedRanks;
pub use timescale::{TimeScale, rescale_time};
pub use trainer::RunOptions;
