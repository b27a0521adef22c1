//! BiCGStab.

use prdp_core::{LinearOperator, Real, kernels};

use crate::error::{Result, SolverError};
use crate::program::{Params, Program, Step, initial_residual, run};
use crate::{Budget, SolveOptions, SolveReport, Workspace};

/// Solves A x = b for general (nonsymmetric) A by the stabilised biconjugate gradient method.
/// One iteration costs two operator applications; the shadow residual is r₀.
///
/// # Errors
/// Shape and finiteness errors for bad input; [`SolverError::Breakdown`](crate::SolverError::Breakdown) if r̂ᵀr or r̂ᵀAp vanishes,
/// or the stabilisation step degenerates.
///
/// # Example
/// ```
/// use prdp_core::CsrMatrix;
/// use prdp_solvers::{Budget, SolveOptions, Workspace, bicgstab};
/// let a = CsrMatrix::from_triplets(3, 3, &[(0, 0, 4.0), (0, 1, 1.0), (1, 1, 3.0), (2, 0, -1.0), (2, 2, 2.0)])?;
/// let mut x = vec![0.0; 3];
/// let r = bicgstab(&a, &[1.0, 2.0, 3.0], &mut x, &Budget::new(50, 1e-12)?, &SolveOptions::default(), &mut Workspace::new())?;
/// assert!(r.converged());
/// # Ok::<(), prdp_solvers::SolverError>(())
/// ```
///
/// # Reference
/// van der Vorst, *Bi-CGSTAB*, SIAM J. Sci. Stat. Comput. 13 (1992).
pub fn bicgstab<T: Real, A: LinearOperator<T> + ?Sized>(
    a: &A,
    b: &[T],
    x: &mut [T],
    budget: &Budget,
    opts: &SolveOptions,
    ws: &mut Workspace<T>,
) -> Result<SolveReport> {
    run(&BiCgStabProgram, a, b, x, Params { budget, opts }, ws, None)
}

/// BiCGStab as a step program. State: [x, r, r̂, p, v, ρ_old, α, ω]; scratch: s, t.
pub(crate) struct BiCgStabProgram;

impl<T: Real> Program<T> for BiCgStabProgram {
    const NAME: &'static str = "BiCGStab";
    const SCRATCH: usize = 2;

    fn state_len(&self, n: usize) -> usize {
        5 * n + 3
    }

    fn extra_len(&self, _n: usize) -> usize {
        0
    }

    fn start<A: LinearOperator<T> + ?Sized>(
        &self,
        a: &A,
        b: &[T],
        u0: Option<&[T]>,
        state: &mut [T],
    ) -> (T, usize) {
        let n = b.len();
        let (x, rest) = state.split_at_mut(n);
        let (r, rest) = rest.split_at_mut(n);
        let (r_hat, rest) = rest.split_at_mut(n);
        let (p, rest) = rest.split_at_mut(n);
        let (v, scalars) = rest.split_at_mut(n);
        let (_, matvecs) = initial_residual(a, b, u0, x, r);
        r_hat.copy_from_slice(r);
        p.fill(T::zero());
        v.fill(T::zero());
        scalars.fill(T::one());
        (kernels::dot(r, r), matvecs)
    }

    fn step<A: LinearOperator<T> + ?Sized>(
        &self,
        step: &Step<'_, T, A>,
        state: &mut [T],
        _extra: &mut [T],
        scratch: &mut [&mut [T]],
    ) -> Result<(Option<T>, usize)> {
        let Step { a, b, k, stop, .. } = *step;
        let n = b.len();
        let (x, rest) = state.split_at_mut(n);
        let (r, rest) = rest.split_at_mut(n);
        let (r_hat, rest) = rest.split_at_mut(n);
        let (p, rest) = rest.split_at_mut(n);
        let (v, scalars) = rest.split_at_mut(n);
        let [s, t] = scratch else {
            unreachable!("BiCGStab uses two scratch vectors")
        };
        let (rho_old, omega) = (scalars[0], scalars[2]);
        let breakdown = |reason: String| SolverError::Breakdown {
            solver: "BiCGStab",
            iteration: k,
            reason,
        };
        let rho = kernels::dot(r_hat, r);
        if rho == T::zero() || !rho.is_finite() {
            return Err(breakdown(format!("r̂ᵀr = {rho}")));
        }
        if k == 0 {
            p.copy_from_slice(r);
        } else {
            let beta = (rho / rho_old) * (scalars[1] / omega);
            for ((pi, &ri), &vi) in p.iter_mut().zip(r.iter()).zip(v.iter()) {
                *pi = ri + beta * (*pi - omega * vi);
            }
        }
        a.apply(p, v);
        let rv = kernels::dot(r_hat, v);
        if rv == T::zero() || !rv.is_finite() {
            return Err(breakdown(format!("r̂ᵀAp = {rv}")));
        }
        let alpha = rho / rv;
        scalars[1] = alpha;
        s.copy_from_slice(r);
        kernels::axpy(-alpha, v, s);
        let s2 = kernels::dot(s, s);
        // The half step already meets the test: x + αp is the iterate.
        if stop.met(s2) {
            kernels::axpy(alpha, p, x);
            r.copy_from_slice(s);
            return Ok((Some(s2), 1));
        }
        a.apply(s, t);
        let tt = kernels::dot(t, t);
        if tt == T::zero() || !tt.is_finite() {
            return Err(breakdown(format!("‖As‖² = {tt}")));
        }
        let omega = kernels::dot(t, s) / tt;
        if omega == T::zero() {
            return Err(breakdown(
                "the stabilisation parameter ω is zero".to_owned(),
            ));
        }
        scalars[2] = omega;
        kernels::axpy(alpha, p, x);
        kernels::axpy(omega, s, x);
        r.copy_from_slice(s);
        kernels::axpy(-omega, t, r);
        scalars[0] = rho;
        Ok((Some(kernels::dot(r, r)), 2))
    }
}
