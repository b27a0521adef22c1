//! # prdp-pde
//!
//! The physics of the PRDP paper (Bhatia, Koehler and Thuerey, *Progressively Refined
//! Differentiable Physics*, ICLR 2025, appendix D) as differentiable implicit steppers on top
//! of `prdp-core` and `prdp-solvers`:
//!
//! | problem | type | matrix | paper |
//! |---|---|---|---|
//! | Poisson 1D, sine load with P parameters | [`Poisson`] | constant, negative definite | D.1, F.1 |
//! | heat 1D/2D/3D, BTCS, periodic or Dirichlet | [`Heat`] | constant, SPD ([`prdp_core::Stencil`]) | D.2–D.4, F.2 |
//! | Burgers 1D and 2D, periodic, upwind Oseen step | [`Burgers1d`], [`Burgers2d`] | state-dependent, nonsymmetric | D.5–D.6, F.3 |
//! | Navier–Stokes 2D, MAC grid, coupled Oseen step | [`NavierStokes`] | state-dependent saddle point | D.7, F.4 |
//!
//! Each is an [`Assembly`]: the operator Λ(g) (matrix-free, with transpose, diagonal and
//! materialisation for faer), the right-hand side β(g), and their vector–Jacobian products.
//! [`Physics`] combines an assembly with a differentiable solver of `prdp-solvers` into the
//! physics operator P_K: g ↦ u with a batched forward pass and VJP (implicit or unrolled);
//! [`ReferenceStepper`] is the converged physics by direct solves; [`k_epsilon`] finds the
//! iteration count K_ε at which a solver counts as converged.
//!
//! Data: random initial conditions ([`FourierSeries`], [`NsInitialConditions`]), each sample
//! from its own ChaCha stream ([`sample_rng`]), rolled out into [`Dataset`]s with train and
//! validation splits ([`heat_dataset`], [`burgers_dataset`], [`navier_stokes_dataset`]), saved
//! and loaded as `.npy`.
//!
//! Layouts: states are row-major grids with the last axis contiguous; Navier–Stokes and
//! Burgers 2D states are channel-major (`[3, n, n]` = [u, v, p] and `[2, n, n]`), matching a
//! `[batch, channels, y, x]` tensor. Batches are sample-major.
//!
//! # Example
//! ```
//! use prdp_pde::{Burgers1d, BurgersConfig, Physics, ReferenceStepper};
//! use prdp_solvers::{Budget, DiffMode, DiffSolver, Method};
//!
//! // Burgers 1D of the paper (n = 256, ν = 0.001, Δt = 0.01) with K = 23 GMRES(2) cycles.
//! let burgers = Burgers1d::<f64>::new(BurgersConfig::default())?;
//! let solver = DiffSolver::new(Method::Gmres { restart: 2 }, Budget::new(23, 1e-5)?, DiffMode::default())?;
//! let mut p = Physics::new(burgers.clone(), solver)?;
//! let u0: Vec<f64> = (0..256).map(|i| (2.0 * std::f64::consts::PI * i as f64 / 256.0).sin()).collect();
//! let mut u1 = vec![0.0; 256];
//! p.forward_batch(&u0, &mut u1, 1)?;
//!
//! // Gradient of ½‖u¹‖² with respect to u⁰, through the state-dependent matrix too.
//! let mut g_bar = vec![0.0; 256];
//! p.vjp_batch(&u1, &mut g_bar)?;
//!
//! // The converged step agrees with the iterative one to the solver tolerance.
//! let mut direct = vec![0.0; 256];
//! ReferenceStepper::new(burgers)?.step(&u0, &mut direct)?;
//! let err = u1.iter().zip(&direct).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
//! assert!(err < 1e-4);
//! # Ok::<(), prdp_pde::PdeError>(())
//! ```

#![deny(missing_docs)]

mod assembly;
mod burgers;
mod dataset;
mod error;
mod generate;
mod grid;
mod heat;
mod initial;
mod k_epsilon;
mod navier_stokes;
mod npy;
mod physics;
mod poisson;
mod reference;
mod upwind;
mod var_stencil;

pub use assembly::Assembly;
pub use burgers::{Burgers1d, Burgers2d, BurgersConfig, BurgersOperator, BurgersSink};
pub use dataset::{Dataset, Trajectories};
pub(crate) use error::bad_param;
pub use error::{PdeError, Result};
pub use generate::{
    DataSpec, NsDatasets, burgers_dataset, generate, heat_dataset, navier_stokes_dataset, restrict,
};
pub use grid::{coordinates, spacing};
pub use heat::{Heat, HeatConfig};
pub use initial::{FourierSeries, NsInitialConditions, sample_rng};
pub use k_epsilon::{KEpsilon, k_epsilon};
pub use navier_stokes::{NavierStokes, NavierStokesConfig, NsOperator, NsScheme, NsSink};
pub use npy::{read_npy, write_npy};
pub use physics::Physics;
pub use poisson::{Poisson, PoissonConfig};
pub use reference::ReferenceStepper;
pub use upwind::WindAveraging;
