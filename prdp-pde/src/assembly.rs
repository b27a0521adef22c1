//! The assembly interface: Λ(g), β(g) and their vector–Jacobian products.

use prdp_core::{Factorization, LinearOperator, Real};
use prdp_solvers::CotangentSink;

use crate::Result;

/// A discretised PDE step in the standard form Λ(g) u = β(g) (PRDP paper, appendix D, eq. 17):
/// the system matrix Λ(g) and the right-hand side β(g), both assembled from an input g (a
/// parameter vector, or the previous state of a time stepper), with their vector–Jacobian
/// products.
///
/// A [`crate::Physics`] combines an assembly with a differentiable solver of `prdp-solvers` into
/// the physics operator P_K: g ↦ u.
///
/// Buffers: [`Assembly::operator`] and [`Assembly::operator_vjp`] take per-sample scratch
/// slices of [`Assembly::operator_scratch_len`] and [`Assembly::vjp_scratch_len`] values, so
/// that steady-state use allocates nothing (state-dependent operators keep their upwind
/// coefficients there).
///
/// # Reference
/// Bhatia, Koehler and Thuerey, *Progressively Refined Differentiable Physics*, ICLR 2025,
/// appendix D (eq. 17–18).
pub trait Assembly<T: Real>: Send + Sync {
    /// The operator Λ(g), borrowing the input and the scratch.
    type Operator<'a>: LinearOperator<T>
    where
        Self: 'a;

    /// The contraction of the matrix cotangent into ḡ ([`prdp_solvers::DiscardCotangent`] for
    /// constant matrices).
    type Sink<'a>: CotangentSink<T>
    where
        Self: 'a;

    /// A short description, e.g. `"heat 2D (30x30, Dirichlet, nu*dt = 0.001)"`.
    fn describe(&self) -> String;

    /// Length of the input g (by default the number of unknowns, as for an implicit time step
    /// whose input is the previous state).
    fn input_len(&self) -> usize {
        self.state_len()
    }

    /// Number of unknowns n (length of u and of β(g)).
    fn state_len(&self) -> usize;

    /// The shape of the state, e.g. `[30, 30]` or `[3, 48, 48]` (row-major, last axis
    /// contiguous).
    fn state_shape(&self) -> Vec<usize>;

    /// Whether Λ(g) does not depend on g (Poisson, heat): its operator VJP is zero and a direct
    /// solve can be factorised once.
    fn is_constant(&self) -> bool;

    /// Length of the scratch that [`Assembly::operator`] needs (0 by default).
    fn operator_scratch_len(&self) -> usize {
        0
    }

    /// Length of the scratch that [`Assembly::operator_vjp`] needs (0 by default).
    fn vjp_scratch_len(&self) -> usize {
        0
    }

    /// The operator Λ(g). `g` must hold [`Assembly::input_len`] finite values and `scratch`
    /// [`Assembly::operator_scratch_len`] values (contract of the caller; panics otherwise).
    fn operator<'a>(&'a self, g: &'a [T], scratch: &'a mut [T]) -> Self::Operator<'a>;

    /// b ← β(g); by default β(g) = g (an implicit time step of the state g).
    fn rhs(&self, g: &[T], b: &mut [T]) {
        b.copy_from_slice(g);
    }

    /// ḡ += (∂β/∂g)ᵀ b̄ (accumulates); by default ḡ += b̄, the VJP of the default β(g) = g.
    fn rhs_vjp(&self, g: &[T], b_bar: &[T], g_bar: &mut [T]) {
        let _ = g;
        prdp_core::kernels::axpy(T::one(), b_bar, g_bar);
    }

    /// The sink that contracts the factored matrix cotangent Ā = −Σλᵢuᵢᵀ + diag(d) into ḡ:
    /// for `rank_one(λ, u)` it does ḡ −= (∂(Λ(g)u)/∂g)ᵀλ, for `diagonal(d)` it does
    /// ḡ += (∂ diag Λ(g)/∂g)ᵀ d (both accumulate).
    fn operator_vjp<'a>(
        &'a self,
        g: &'a [T],
        g_bar: &'a mut [T],
        scratch: &'a mut [T],
    ) -> Self::Sink<'a>;

    /// Removes from a solution cotangent ū the components the solution cannot have (the mean
    /// pressure of Navier–Stokes, whose matrix is singular along constant pressure). The
    /// default does nothing.
    fn project_cotangent(&self, u_bar: &mut [T]) {
        let _ = u_bar;
    }

    /// Factorises Λ(g) for direct solves (in f64). The default is a sparse LU of the
    /// materialised operator; Navier–Stokes pins its pressure gauge.
    ///
    /// # Errors
    /// Those of the factorisation (e.g. a singular matrix).
    fn factorize(&self, g: &[T]) -> Result<Factorization> {
        let mut scratch = vec![T::zero(); self.operator_scratch_len()];
        let op = self.operator(g, &mut scratch);
        Ok(Factorization::sparse_lu(&op)?)
    }

    /// Post-processes a direct solution (fixes the gauge of a singular system). The default
    /// does nothing.
    fn finish_direct(&self, u: &mut [T]) {
        let _ = u;
    }

    /// Checks an input g: its length and that every value is finite.
    ///
    /// # Errors
    /// [`crate::PdeError::Length`] naming the expected shape, or a non-finite error naming the
    /// first bad entry.
    fn check_input(&self, what: &str, g: &[T]) -> Result<()> {
        crate::error::check_len(what, self.input_len(), g.len(), || {
            format!("input of {}", self.describe())
        })?;
        prdp_core::check_finite(what, g)?;
        Ok(())
    }
}
