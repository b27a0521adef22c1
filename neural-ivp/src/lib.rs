//! # neural-ivp
//!
//! Neural IVP (Finzi, Potapczynski, Choptuik and Wilson, ICLR 2023): an initial value PDE
//! ∂ₜu = L\[u\] on [−1, 1]^d is solved by a network u(x, θ(t)) whose parameters follow the ODE
//! M(θ)θ̇ = F(θ), the normal equations of the instantaneous PDE residual.
//!
//! - [`Network`]: scaled sinusoidal embedding, swish MLP, Dirichlet factor, one trunk per
//!   output by default ([`Trunks`]); parameters in one flat `f64` vector with named
//!   [`ParamView`]s. Each trunk's MLP is a [`prdp_nn::Mlp`], which owns the dense layers and
//!   their forward mode; this crate adds the embedding, the Dirichlet factor and the trunks.
//! - [`Network::jets`]: exact input derivatives (gradient, Laplacian, Hessian) by forward-mode
//!   jets, as GEMMs over chunks of points ([`prdp_nn::Mlp::jets`] through the MLP).
//! - [`Network::jvp`], [`Network::vjp`], [`Network::gauss_newton_block`]: parameter
//!   derivatives for one or r tangents, never forming J; cost linear in p (per trunk,
//!   [`prdp_nn::Mlp::gauss_newton_block`] and its siblings).
//! - [`GaussNewton`]: M̂ + μI (or one trunk's diagonal block of it) as a
//!   [`prdp_core::LinearOperator`] and F̂, each product two GEMMs per layer from the output
//!   sensitivities of the linearisation (computed once, ≈ 2·n·p multiply–adds a product);
//!   each block solved by
//!   `prdp_solvers::cg` preconditioned with a randomised [`NystromPreconditioner`], reused
//!   across stages and steps and warm-started (both improvements over the public code).
//! - [`Integrator`]: adaptive embedded RK (Bogacki–Shampine 3(2), Dormand–Prince 5(4), FSAL,
//!   the public code's error norm ‖e‖₂ ≤ rtol·‖θ₀‖₂ or a mixed one, dense output) and
//!   fixed-step RK4.
//! - [`fit()`] (Adam from `prdp-nn` on fresh points) and [`tune_head`] (ridge regression of
//!   the last layer), [`RestartPolicy`] (deterministic restarts).
//! - [`problems`]: 2D advection and heat, the 3D wave equation, Vlasov 6D, Fokker–Planck in d
//!   dimensions, the wave equation on a Schwarzschild background; [`reference`](mod@reference):
//!   finite-difference solvers to measure against; [`ednn`]: the EDNN baseline of Du & Zaki.
//! - [`NeuralIvp`]: the driver, configured by a serde [`NeuralIvpConfig`] (unknown keys are
//!   errors) and returning θ at the requested times with a [`RunRecord`]; EDNN and Neural IVP
//!   run the same time-stepping loop, and an [`Observer`] watches either run (steps, restarts).
//!   [`NeuralIvp::solve_checkpointed`] and [`ednn::solve_checkpointed`] keep a mid-run
//!   checkpoint ([`Checkpointing`]) from which a killed run resumes bit-identically.
//! - [`presets`]: the quick, medium and full sizes of the paper's experiments as the
//!   workspace's `cargo xtask reproduce neural-ivp` runs them.
//!
//! Monte Carlo points are uniform in the cube as in the paper unless a problem names a focused
//! [`Measure`] (the 3D wave at a = 200, whose data fill 0.05% of the cube): then a share of the
//! points follows the solution and importance weights keep every estimate that of the uniform
//! measure.
//!
//! Everything runs in `f64`; every random draw comes from ChaCha8 with seeds derived from the
//! run's seed ([`sampling`]), and results do not depend on the number of threads.
//!
//! # Example
//! ```
//! use neural_ivp::{FitConfig, LinearSolveConfig, NetworkConfig, NeuralIvp, NeuralIvpConfig, problems::Heat2d};
//! use neural_ivp::problems::Ivp;
//!
//! let cfg = NeuralIvpConfig {
//!     network: NetworkConfig { width: 16, depth: 2, ..Default::default() },
//!     points: 500,
//!     fit: FitConfig { iters: 300, batch: 256, lr: 1e-2, head_points: 2000, eval_points: 1000, ..Default::default() },
//!     solver: LinearSolveConfig { rank: 20, ..Default::default() },
//!     eval_points: 500,
//!     ..Default::default()
//! };
//! let problem = Heat2d { nu: 0.05, sigma: 0.3 };
//! let solver = NeuralIvp::new(cfg)?;
//! let sol = solver.solve(&problem, 0.02, &[0.0, 0.02])?;
//! let (t, theta) = &sol.snapshots[1];
//! // the network at t = 0.02 against the free-space heat kernel at the origin
//! let mut u = [0.0];
//! sol.network.eval(theta, &[0.0, 0.0], &mut u)?;
//! let mut exact = [0.0];
//! problem.exact(*t, &[0.0, 0.0], &mut exact);
//! assert!((u[0] - exact[0]).abs() < 0.05 * exact[0]);
//! # Ok::<(), neural_ivp::IvpError>(())
//! ```

#![deny(missing_docs)]

mod collocation;
mod composite;
mod drive;
pub mod ednn;
mod error;
mod fit;
mod gauss_newton;
mod jets;
mod network;
mod nystrom;
mod observe;
pub mod presets;
pub mod problems;
pub mod reference;
mod restart;
mod rk;
pub mod sampling;
mod solver;
mod trunk;

pub use collocation::{FreshPoints, Residual, pde_residual, pde_residual_interior};
pub use composite::Forward;
pub use composite::TangentWorkspace;
pub use error::{IvpError, Result};
pub use fit::{FitConfig, FitReport, Target, fit, relative_error, tune_head};
pub use gauss_newton::{BlockOperator, GaussNewton};
pub use jets::{Derivatives, JetWorkspace, Jets, PointJet, hessian_index};
pub use network::{Activation, EmbeddingConfig, Network, NetworkConfig, Trunks};
pub use nystrom::NystromPreconditioner;
pub use observe::{Observer, PrintSteps, Silent};
pub use prdp_nn::ParamView;
pub use restart::{RefitInit, RestartConfig, RestartPolicy, RestartReason};
pub use rk::{ErrorNorm, Integrator, OdeSystem, RkScheme, StepControl, StepInfo, Tableau};
pub use sampling::Measure;
pub use solver::{
    Checkpointing, LinearSolveConfig, NeuralIvp, NeuralIvpConfig, RestartEvent, RunRecord,
    Solution, StepRecord,
};
