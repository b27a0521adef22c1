//! # prdp-core
//!
//! The bottom layer of the prdp workspace: the scalar trait [`Real`] (f32 and f64), the
//! [`LinearOperator`] trait that every iterative solver works with, its implementations for
//! sparse ([`CsrMatrix`]), dense ([`DenseMatrix`]) and matrix-free operators ([`Stencil`],
//! [`FnOperator`]), materialisation of any operator for faer, direct reference solves
//! ([`Factorization`]: dense LU, sparse LU, sparse Cholesky, factorised once and reused), the
//! vectorised level-1 kernels in [`kernels`], batch-major application of one operator to many
//! interleaved systems ([`LaneOperator`], [`interleave`]), and the shared [`Error`] type.
//!
//! # Example
//! ```
//! use prdp_core::{Boundary, Factorization, LinearOperator, Stencil, kernels};
//!
//! // The BTCS heat operator of the PRDP paper (appendix D.2): 30 interior points, Δx = 1/31,
//! // νΔt = 0.001, homogeneous Dirichlet boundaries.
//! let a = Stencil::<f64>::laplacian(&[30], &[1.0 / 31.0], Boundary::Dirichlet)?.affine(1.0, -1e-3);
//! let b: Vec<f64> = (0..30).map(|i| ((i + 1) as f64 / 31.0 * std::f64::consts::PI).sin()).collect();
//!
//! // Reference solve, factorised once.
//! let lu = Factorization::sparse_lu(&a)?;
//! let mut x = vec![0.0; 30];
//! lu.solve(&b, &mut x)?;
//!
//! // The residual b − A x vanishes.
//! let mut r = vec![0.0; 30];
//! let r2 = a.residual(&x, &b, &mut r);
//! assert!(r2.sqrt() < 1e-12 * kernels::nrm2(&b));
//! # Ok::<(), prdp_core::Error>(())
//! ```

#![deny(missing_docs)]

mod csr;
mod dense;
mod direct;
mod error;
pub mod kernels;
mod lanes;
mod materialize;
mod operator;
mod real;
mod stencil;

pub use csr::CsrMatrix;
pub use dense::DenseMatrix;
pub use direct::{FactorKind, Factorization};
pub use error::{Error, Result, check_finite, check_len, invalid};
pub use lanes::{LaneOperator, Lanes, deinterleave, interleave};
pub use materialize::{to_csr, to_faer_dense, to_faer_sparse};
pub use operator::{FnOperator, LinearOperator, Transposed, square_size};
pub use real::{Real, Values, ValuesMut};
pub use stencil::{Boundary, Stencil};

pub use faer;
