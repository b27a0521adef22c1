//! Direct reference solves through faer, with the factorisation kept for reuse.

use faer::linalg::solvers::Solve;
use faer::sparse::SparseColMat;
use faer::sparse::linalg::solvers::{Llt, Lu};
use faer::{Mat, MatMut, Side};

use crate::{Error, LinearOperator, Real, Result, check_finite, check_len, square_size};

/// Which factorisation a [`Factorization`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorKind {
    /// Dense LU with partial pivoting.
    DenseLu,
    /// Sparse LU with partial pivoting.
    SparseLu,
    /// Sparse Cholesky LLᵀ (the matrix must be symmetric positive definite).
    SparseCholesky,
}

enum Factor {
    DenseLu(faer::linalg::solvers::PartialPivLu<f64>),
    SparseLu(Lu<usize, f64>),
    SparseCholesky(Llt<usize, f64>),
}

/// A factorised square matrix: factorise once, then solve A x = b and Aᵀ x = b for any number
/// of right-hand sides (and any number of samples sharing the matrix).
///
/// Factorisation and solves run in `f64` whatever the scalar type of the right-hand sides, so
/// an `f32` experiment gets references accurate to `f32` rounding. This is the oracle that every
/// iterative solver is tested against and the "converged physics" that generates reference
/// trajectories for constant-matrix problems.
///
/// # Example
/// ```
/// use prdp_core::{Boundary, Factorization, Stencil};
/// let a = Stencil::<f32>::laplacian(&[30], &[1.0 / 31.0], Boundary::Dirichlet).unwrap().affine(1.0, -0.001);
/// let f = Factorization::sparse_cholesky(&a).unwrap();
/// let b = vec![1.0f32; 30];
/// let mut x = vec![0.0f32; 30];
/// f.solve(&b, &mut x).unwrap();
/// assert!(x.iter().all(|v| *v > 0.0 && *v <= 1.0));
/// ```
pub struct Factorization {
    n: usize,
    what: String,
    factor: Factor,
}

impl core::fmt::Debug for Factorization {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Factorization")
            .field("n", &self.n)
            .field("kind", &self.kind())
            .field("of", &self.what)
            .finish()
    }
}

impl Factorization {
    /// Dense LU with partial pivoting of a materialised `op`.
    ///
    /// # Errors
    /// [`Error::NotSquare`]; [`Error::Singular`] if the matrix is numerically singular
    /// (condition number estimate ≥ 1/(n·ε)); [`Error::NonFinite`] for a non-finite entry.
    pub fn dense_lu<T: Real, A: LinearOperator<T> + ?Sized>(op: &A) -> Result<Self> {
        let what = op.describe();
        let n = square_size(&what, op)?;
        let m = crate::to_faer_dense(op);
        for j in 0..n {
            for i in 0..n {
                let v = m[(i, j)];
                if !v.is_finite() {
                    return Err(Error::NonFinite {
                        what: format!("{what} entry ({i}, {j})"),
                        index: i * n + j,
                        value: v,
                    });
                }
            }
        }
        let lu = m.partial_piv_lu();
        Self {
            n,
            what,
            factor: Factor::DenseLu(lu),
        }
        .check_conditioning(m.norm_l2())
    }

    /// Sparse LU with partial pivoting.
    ///
    /// # Errors
    /// [`Error::NotSquare`]; [`Error::Singular`] if the structure is singular or the matrix is
    /// numerically singular; [`Error::NonFinite`] for a non-finite entry.
    pub fn sparse_lu<T: Real, A: LinearOperator<T> + ?Sized>(op: &A) -> Result<Self> {
        let what = op.describe();
        let n = square_size(&what, op)?;
        let m = crate::to_faer_sparse(op)?;
        let lu = m.sp_lu().map_err(|e| match e {
            faer::sparse::linalg::LuError::SymbolicSingular { index } => Error::Singular {
                what: what.clone(),
                detail: format!("structurally singular at column {index}"),
            },
            other => Error::Factorization {
                what: what.clone(),
                detail: format!("{other:?}"),
            },
        })?;
        Self {
            n,
            what,
            factor: Factor::SparseLu(lu),
        }
        .check_conditioning(frobenius(&m))
    }

    /// Sparse Cholesky factorisation LLᵀ of a symmetric positive definite `op` (the lower
    /// triangle is read).
    ///
    /// # Errors
    /// [`Error::NotSquare`]; [`Error::Singular`] if the matrix is not positive definite
    /// (a non-positive pivot) or numerically singular; [`Error::NonFinite`] for a non-finite
    /// entry.
    pub fn sparse_cholesky<T: Real, A: LinearOperator<T> + ?Sized>(op: &A) -> Result<Self> {
        let what = op.describe();
        let n = square_size(&what, op)?;
        let m = crate::to_faer_sparse(op)?;
        let llt = m.sp_cholesky(Side::Lower).map_err(|e| Error::Singular {
            what: what.clone(),
            detail: format!("not symmetric positive definite ({e:?})"),
        })?;
        Self {
            n,
            what,
            factor: Factor::SparseCholesky(llt),
        }
        .check_conditioning(frobenius(&m))
    }

    /// The factorisation held.
    pub fn kind(&self) -> FactorKind {
        match self.factor {
            Factor::DenseLu(_) => FactorKind::DenseLu,
            Factor::SparseLu(_) => FactorKind::SparseLu,
            Factor::SparseCholesky(_) => FactorKind::SparseCholesky,
        }
    }

    /// Size n of the factorised n×n matrix.
    pub fn size(&self) -> usize {
        self.n
    }

    /// Solves A x = b.
    ///
    /// # Errors
    /// [`Error::Length`] for wrong lengths, [`Error::NonFinite`] for a non-finite `b`.
    pub fn solve<T: Real>(&self, b: &[T], x: &mut [T]) -> Result<()> {
        self.solve_many(b, x, 1, false)
    }

    /// Solves Aᵀ x = b (the adjoint solve of implicit differentiation).
    ///
    /// # Errors
    /// As [`Factorization::solve`].
    pub fn solve_transpose<T: Real>(&self, b: &[T], x: &mut [T]) -> Result<()> {
        self.solve_many(b, x, 1, true)
    }

    /// Solves A X = B (or Aᵀ X = B) for `k` right-hand sides stored one after another in `b`
    /// (sample-major: right-hand side s is `b[s·n..(s+1)·n]`), writing X the same way.
    ///
    /// # Errors
    /// As [`Factorization::solve`].
    pub fn solve_many<T: Real>(
        &self,
        b: &[T],
        x: &mut [T],
        k: usize,
        transpose: bool,
    ) -> Result<()> {
        check_len(
            "direct solve right-hand sides (n * count)",
            self.n * k,
            b.len(),
        )?;
        check_len(
            "direct solve solution buffer (n * count)",
            self.n * k,
            x.len(),
        )?;
        check_finite("direct solve right-hand side", b)?;
        let mut rhs = Mat::<f64>::from_fn(self.n, k, |i, s| b[s * self.n + i].as_f64());
        self.solve_f64(rhs.as_mut(), transpose);
        for s in 0..k {
            for i in 0..self.n {
                x[s * self.n + i] = T::of(rhs[(i, s)]);
            }
        }
        Ok(())
    }

    fn solve_f64(&self, rhs: MatMut<'_, f64>, transpose: bool) {
        match (&self.factor, transpose) {
            (Factor::DenseLu(f), false) => f.solve_in_place(rhs),
            (Factor::DenseLu(f), true) => f.solve_transpose_in_place(rhs),
            (Factor::SparseLu(f), false) => f.solve_in_place(rhs),
            (Factor::SparseLu(f), true) => f.solve_transpose_in_place(rhs),
            (Factor::SparseCholesky(f), false) => f.solve_in_place(rhs),
            (Factor::SparseCholesky(f), true) => f.solve_transpose_in_place(rhs),
        }
    }

    /// Rejects numerically singular matrices, which a backward-stable factorisation does not
    /// flag by itself: estimates ‖A⁻¹‖₂ by three steps of power iteration on A⁻ᵀA⁻¹ and fails
    /// if κ_F(A) = ‖A‖_F·‖A⁻¹‖₂ is not below 1/(n·ε).
    fn check_conditioning(self, frobenius: f64) -> Result<Self> {
        let n = self.n;
        if n == 0 {
            return Ok(self);
        }
        let mut x =
            Mat::<f64>::from_fn(n, 1, |i, _| ((i as f64) * 0.754_877_666 + 0.3).sin() + 1.5);
        let mut inv_norm = 0.0;
        for _ in 0..3 {
            let xn = x.norm_l2();
            x = &x * faer::Scale(1.0 / xn);
            self.solve_f64(x.as_mut(), false);
            inv_norm = x.norm_l2();
            self.solve_f64(x.as_mut(), true);
        }
        let kappa = frobenius * inv_norm;
        if kappa.is_finite() && kappa * (n as f64) * f64::EPSILON < 1.0 {
            Ok(self)
        } else {
            Err(Error::Singular {
                what: self.what,
                detail: format!("estimated condition number {kappa:e} exceeds 1/(n·ε) for n = {n}"),
            })
        }
    }
}

fn frobenius(a: &SparseColMat<usize, f64>) -> f64 {
    (0..a.ncols())
        .flat_map(|j| a.val_of_col(j).iter())
        .map(|v| v * v)
        .sum::<f64>()
        .sqrt()
}
