//! # prdp-solvers
//!
//! Iterative linear solvers for the PRDP workspace, each run under a [`Budget`] (at most K
//! iterations, stop at relative residual ε) and returning a [`SolveReport`]: Jacobi
//! ([`jacobi`]), steepest descent ([`steepest_descent`]), preconditioned conjugate gradients
//! ([`cg`]), restarted GMRES(m) ([`gmres`], where one iteration is a restart cycle as in the
//! paper) and BiCGStab ([`bicgstab`]). [`Method`] chooses one by value (for configs) and
//! [`solve_batch`] runs a minibatch of right-hand sides in parallel, solving small systems that
//! share one stencil batch-major ([`jacobi_batch_major`]: one sweep over the interleaved batch,
//! bit-identical per sample) where [`batch_major_groups`] says that is faster.
//!
//! [`DiffSolver`] makes a solve differentiable: the forward pass records a [`Tape`], the
//! backward pass turns ū into b̄ and the factored matrix cotangent Ā = −Σλᵢuᵢᵀ + diag(d), sent
//! term by term to a [`CotangentSink`]. [`DiffMode::Implicit`] solves the adjoint system
//! Aᵀλ = ū under its own budget; [`DiffMode::Unrolled`] and [`DiffMode::Checkpointed`] give the
//! exact gradient of the K-step program.
//!
//! All solvers are generic over [`prdp_core::Real`] and any [`prdp_core::LinearOperator`], keep
//! their vectors in a reusable [`Workspace`] and allocate nothing inside the iteration loop.
//! Every fallible function returns a [`SolverError`]: the input, operator and settings errors
//! of `prdp-core` as [`SolverError::Core`] (the variant the documentation names, e.g.
//! `prdp_core::Error::Length`), and a breakdown of the iteration as [`SolverError::Breakdown`].
//!
//! # Example
//! ```
//! use prdp_core::{Boundary, Stencil};
//! use prdp_solvers::{Seeds, Budget, DiffMode, DiffSolver, FactoredCotangent, Method, Tape, Workspace};
//!
//! // BTCS heat step of the PRDP paper: (I − νΔt·L) u¹ = u⁰ on 30 interior points.
//! let a = Stencil::<f64>::laplacian(&[30], &[1.0 / 31.0], Boundary::Dirichlet)?.affine(1.0, -1e-3);
//! let u0: Vec<f64> = (0..30).map(|i| (i as f64 * 0.3).sin()).collect();
//!
//! // K = 5 Jacobi iterations, differentiated implicitly with the same budget.
//! let p5 = DiffSolver::new(Method::Jacobi, Budget::fixed(5), DiffMode::Implicit { adjoint_budget: None })?;
//! let (mut tape, mut ws) = (Tape::new(), Workspace::new());
//! let mut u1 = vec![0.0; 30];
//! let report = p5.forward(&a, &u0, &mut u1, &mut tape, &mut ws)?;
//! assert_eq!(report.iterations, 5);
//!
//! // Backward: ū = u¹ (the gradient of ½‖u¹‖²).
//! let mut u0_bar = vec![0.0; 30];
//! let mut a_bar = FactoredCotangent::default();
//! let seeds = Seeds { u_bar: &u1.clone(), b_bar: &mut u0_bar, sink: &mut a_bar };
//! p5.backward(&a, &u0, &mut tape, seeds, &mut ws)?;
//! assert_eq!(a_bar.rank_one.len(), 1); // Ā = −λuᵀ
//! # Ok::<(), prdp_solvers::SolverError>(())
//! ```

#![deny(missing_docs)]

mod batch;
mod batch_major;
mod bicgstab;
mod budget;
mod cg;
mod cotangent;
mod diff;
mod error;
mod gmres;
mod jacobi;
mod method;
mod precond;
mod program;
mod report;
mod steepest;
mod workspace;

pub use batch::{Batch, BatchWorkspace, solve_batch, solve_batch_with};
pub use batch_major::{LaneWorkspace, batch_major_groups, jacobi_batch_major};
pub use bicgstab::bicgstab;
pub use budget::{Budget, SolveOptions};
pub use cg::cg;
pub use cotangent::{CotangentSink, DiscardCotangent, FactoredCotangent};
pub use diff::{DiffMode, DiffSolver, Seeds, Tape};
pub use error::{Result, SolverError};
pub use gmres::gmres;
pub use jacobi::jacobi;
pub use method::{Method, PreconditionerKind};
pub use precond::{DiagonalPreconditioner, IdentityPreconditioner, Preconditioner};
pub use report::{Counters, SolveReport, StopReason};
pub use steepest::steepest_descent;
pub use workspace::Workspace;
