//! The randomised Nyström preconditioner of Frangella, Tropp and Udell.

use std::sync::Mutex;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par, Side};
use prdp_solvers::Preconditioner;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::error::{IvpError, Result};
use crate::gauss_newton::BlockOperator;
use crate::solver::checkpoint::Arrays;

/// A rank-ℓ Nyström approximation A ≈ U Λ̂ Uᵀ of a PSD operator and the preconditioner it
/// defines for A + μI:
///
/// P⁻¹ = (λ̂_ℓ + μ) U (Λ̂ + μI)⁻¹ Uᵀ + (I − U Uᵀ).
///
/// Construction (one block product with ℓ columns, a QR, a Cholesky and an SVD): draw a
/// Gaussian Ω (p × ℓ) and orthonormalise it (Q); Y = A Q; shift ν = `shift`·‖Y‖_F and
/// Y_ν = Y + νQ; C = chol(Qᵀ Y_ν); B = Y_ν C⁻ᵀ = U Σ Vᵀ; Λ̂ = max(Σ² − ν, 0).
///
/// # Example
/// ```
/// use neural_ivp::NystromPreconditioner;
/// use prdp_core::DenseMatrix;
/// // diag(10, 1, 0.1, 0, 0, 0): rank 3, reconstructed exactly by a rank-4 sketch
/// let mut d = vec![0.0; 36];
/// for (i, v) in [10.0, 1.0, 0.1].iter().enumerate() { d[i * 7] = *v; }
/// let a = DenseMatrix::from_row_major(6, 6, &d)?;
/// let pre = NystromPreconditioner::build(&a, 4, 7, 1e-12, 0.0)?;
/// assert!((pre.eigenvalues()[0] - 10.0).abs() < 1e-8);
/// assert!((pre.eigenvalues()[2] - 0.1).abs() < 1e-8);
/// # Ok::<(), neural_ivp::IvpError>(())
/// ```
///
/// # Reference
/// Frangella, Tropp and Udell, *Randomized Nyström Preconditioning* (SIAM J. Matrix Anal.
/// Appl., 2023; arXiv 2110.02820), Algorithms 2.1 and 5.1; used by Finzi et al. (ICLR 2023),
/// section 4.2.
#[derive(Debug, Clone)]
pub struct NystromPreconditioner {
    p: usize,
    /// U, p × ℓ column-major.
    u: Vec<f64>,
    /// Λ̂ in non-increasing order.
    lambda: Vec<f64>,
    mu: f64,
    /// (λ̂_ℓ + μ)/(λ̂_i + μ) − 1.
    scale: Vec<f64>,
    shift: f64,
    scratch: Scratch,
}

/// Uᵀx of one application, reused across CG iterations (a clone starts empty).
#[derive(Debug, Default)]
struct Scratch(Mutex<Vec<f64>>);

impl Clone for Scratch {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl NystromPreconditioner {
    /// Builds the rank-`rank` approximation of `a` from a sketch drawn with `seed`, with the
    /// relative stabilising shift `shift` (ν = shift·‖AΩ‖_F), and sets the regularisation μ.
    ///
    /// # Errors
    /// [`IvpError::Config`] for a zero rank or a rank above the size; [`IvpError::Factorization`]
    /// if the Cholesky factorisation or the SVD fails; errors of the operator.
    pub fn build(
        a: &dyn BlockOperator,
        rank: usize,
        seed: u64,
        shift: f64,
        mu: f64,
    ) -> Result<Self> {
        let p = a.dim();
        if rank == 0 || rank > p {
            return Err(crate::error::config_err(
                "solver.rank",
                rank,
                &format!("between 1 and the parameter count {p}"),
            ));
        }
        crate::error::non_negative("solver.nystrom_shift", shift)?;
        let l = rank;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let omega = Mat::<f64>::from_fn(p, l, |_, _| StandardNormal.sample(&mut rng));
        let q = omega.qr().compute_thin_Q();
        let mut qv = vec![0.0; p * l];
        for j in 0..l {
            for i in 0..p {
                qv[j * p + i] = q[(i, j)];
            }
        }
        let mut y = vec![0.0; p * l];
        a.apply_block(&qv, l, &mut y)?;
        if let Some(i) = y.iter().position(|v| !v.is_finite()) {
            return Err(IvpError::NonFinite {
                what: "Nyström sketch A·Ω".into(),
                time: f64::NAN,
                step: 0,
                index: i,
            });
        }
        let nu = shift * y.iter().map(|v| v * v).sum::<f64>().sqrt();
        for (yi, &qi) in y.iter_mut().zip(&qv) {
            *yi += nu * qi;
        }
        let qm = MatRef::from_column_major_slice(&qv, p, l);
        let ym = MatRef::from_column_major_slice(&y, p, l);
        let mut c = Mat::<f64>::zeros(l, l);
        matmul(
            c.as_mut(),
            Accum::Replace,
            qm.transpose(),
            ym,
            1.0,
            Par::Seq,
        );
        let c = Mat::<f64>::from_fn(l, l, |i, j| 0.5 * (c[(i, j)] + c[(j, i)]));
        let chol = c.llt(Side::Lower).map_err(|e| IvpError::Factorization {
            what: format!("Cholesky of the {l}x{l} Nyström core QᵀAQ + νI"),
            detail: format!("{e:?} (increase solver.nystrom_shift)"),
        })?;
        // Bᵀ = L⁻¹ Y_νᵀ  (ℓ × p)
        let mut bt = ym.transpose().to_owned();
        chol.L().solve_lower_triangular_in_place(bt.as_mut());
        let svd = bt.thin_svd().map_err(|e| IvpError::Factorization {
            what: format!("SVD of the {l}x{p} Nyström factor"),
            detail: format!("{e:?}"),
        })?;
        // B = (Bᵀ)ᵀ = V Σ Uᵀ of Bᵀ's SVD, so the left singular vectors of B are Bᵀ's right ones
        let v = svd.V();
        let s = svd.S().column_vector();
        let mut u = vec![0.0; p * l];
        for j in 0..l {
            for i in 0..p {
                u[j * p + i] = v[(i, j)];
            }
        }
        let lambda: Vec<f64> = (0..l).map(|j| (s[j] * s[j] - nu).max(0.0)).collect();
        let mut pre = Self {
            p,
            u,
            lambda,
            mu: 0.0,
            scale: vec![0.0; l],
            shift: nu,
            scratch: Scratch(Mutex::new(vec![0.0; l])),
        };
        pre.set_mu(mu);
        Ok(pre)
    }

    /// Sets the regularisation μ of the system A + μI the preconditioner is for.
    pub fn set_mu(&mut self, mu: f64) {
        self.mu = mu;
        let last = self.lambda[self.lambda.len() - 1];
        for (s, &l) in self.scale.iter_mut().zip(&self.lambda) {
            *s = if l + mu > 0.0 {
                (last + mu) / (l + mu) - 1.0
            } else {
                0.0
            };
        }
    }

    /// Saves the preconditioner as `prefix.u` and `prefix.lambda` (into `arrays`); returns
    /// (μ, shift).
    pub(crate) fn save(&self, prefix: &str, arrays: &mut Arrays) -> (f64, f64) {
        arrays.put(format!("{prefix}.u"), &self.u);
        arrays.put(format!("{prefix}.lambda"), &self.lambda);
        (self.mu, self.shift)
    }

    /// The preconditioner of size `p` that [`NystromPreconditioner::save`] saved.
    ///
    /// # Errors
    /// [`IvpError::Checkpoint`] for missing arrays or arrays of inconsistent sizes.
    pub(crate) fn restore(
        p: usize,
        prefix: &str,
        (mu, shift): (f64, f64),
        arrays: &mut Arrays,
    ) -> Result<Self> {
        let lambda = arrays.take_any(&format!("{prefix}.lambda"))?;
        let u = arrays.take(&format!("{prefix}.u"), p * lambda.len())?;
        if lambda.is_empty() {
            return Err(IvpError::Checkpoint {
                path: String::new(),
                detail: format!("array `{prefix}.lambda` is empty"),
            });
        }
        let mut pre = Self {
            p,
            u,
            scale: vec![0.0; lambda.len()],
            lambda,
            mu: 0.0,
            shift,
            scratch: Scratch::default(),
        };
        pre.set_mu(mu);
        Ok(pre)
    }

    /// The regularisation μ.
    pub fn mu(&self) -> f64 {
        self.mu
    }

    /// The Nyström eigenvalue estimates Λ̂ (non-increasing).
    pub fn eigenvalues(&self) -> &[f64] {
        &self.lambda
    }

    /// The largest eigenvalue estimate λ̂₁.
    pub fn lambda_max(&self) -> f64 {
        self.lambda[0]
    }

    /// The absolute stabilising shift ν used in the construction.
    pub fn shift(&self) -> f64 {
        self.shift
    }

    /// The rank ℓ.
    pub fn rank(&self) -> usize {
        self.lambda.len()
    }

    /// y ← U Λ̂ Uᵀ x (the approximation itself).
    ///
    /// # Panics
    /// If the lengths are not the operator's size.
    pub fn approx_apply(&self, x: &[f64], y: &mut [f64]) {
        self.low_rank(x, y, &self.lambda, false);
    }

    /// y ← U diag(w) Uᵀ x (+ x if `add_identity`).
    fn low_rank(&self, x: &[f64], y: &mut [f64], w: &[f64], add_identity: bool) {
        let l = self.lambda.len();
        assert!(
            x.len() == self.p && y.len() == self.p,
            "Nyström: vectors must have length {}",
            self.p
        );
        let um = MatRef::from_column_major_slice(&self.u, self.p, l);
        let mut t = self.scratch.0.lock().unwrap_or_else(|e| e.into_inner());
        t.resize(l, 0.0);
        matmul(
            MatMut::from_column_major_slice_mut(&mut t, l, 1),
            Accum::Replace,
            um.transpose(),
            MatRef::from_column_major_slice(x, self.p, 1),
            1.0,
            Par::Seq,
        );
        for (ti, &wi) in t.iter_mut().zip(w) {
            *ti *= wi;
        }
        if add_identity {
            y.copy_from_slice(x);
        }
        let accum = if add_identity {
            Accum::Add
        } else {
            Accum::Replace
        };
        matmul(
            MatMut::from_column_major_slice_mut(y, self.p, 1),
            accum,
            um,
            MatRef::from_column_major_slice(&t, l, 1),
            1.0,
            Par::Seq,
        );
    }
}

impl Preconditioner<f64> for NystromPreconditioner {
    /// z ← P⁻¹ r = r + U[((λ̂_ℓ + μ)/(λ̂ + μ) − 1) ⊙ Uᵀr].
    fn apply(&self, r: &[f64], z: &mut [f64]) {
        self.low_rank(r, z, &self.scale, true);
    }
}
