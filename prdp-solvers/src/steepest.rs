//! Steepest descent (PRDP paper, appendix B.2, Algorithm 2).

use prdp_core::{LinearOperator, Real, kernels};

use crate::error::{Result, SolverError};
use crate::program::{Adjoint, Params, Program, Reversible, Step, initial_residual, run};
use crate::{Budget, SolveOptions, SolveReport, Workspace};

/// Solves A x = b by steepest descent with exact line search, x ← x + α r,
/// α = rᵀr / rᵀAr, for symmetric definite A (positive or negative: the Poisson matrix of the
/// paper is negative definite). The residual is updated by the recurrence r ← r − αAr, one
/// operator application per iteration.
///
/// # Errors
/// Shape and finiteness errors for bad input; [`SolverError::Breakdown`](crate::SolverError::Breakdown) if rᵀAr vanishes or
/// overflows (A indefinite or singular along r).
///
/// # Example
/// ```
/// use prdp_core::{Boundary, Stencil};
/// use prdp_solvers::{Budget, SolveOptions, Workspace, steepest_descent};
/// let a = Stencil::<f64>::laplacian(&[8], &[1.0], Boundary::Dirichlet)?;
/// let b = vec![1.0; 8];
/// let mut x = vec![0.0; 8];
/// let r = steepest_descent(&a, &b, &mut x, &Budget::new(500, 1e-8)?, &SolveOptions::default(), &mut Workspace::new())?;
/// assert!(r.converged());
/// # Ok::<(), prdp_solvers::SolverError>(())
/// ```
///
/// # Reference
/// PRDP paper, appendix B.2; Saad, *Iterative Methods for Sparse Linear Systems*, §5.3.1.
pub fn steepest_descent<T: Real, A: LinearOperator<T> + ?Sized>(
    a: &A,
    b: &[T],
    x: &mut [T],
    budget: &Budget,
    opts: &SolveOptions,
    ws: &mut Workspace<T>,
) -> Result<SolveReport> {
    run(
        &SteepestDescentProgram,
        a,
        b,
        x,
        Params { budget, opts },
        ws,
        None,
    )
}

/// Steepest descent as a step program. State: [u, r, ρ = rᵀr]; extras: [q = A r, α, σ = rᵀq].
pub(crate) struct SteepestDescentProgram;

impl<T: Real> Program<T> for SteepestDescentProgram {
    const NAME: &'static str = "steepest descent";
    const SCRATCH: usize = 2;

    fn state_len(&self, n: usize) -> usize {
        2 * n + 1
    }

    fn extra_len(&self, n: usize) -> usize {
        n + 2
    }

    fn start<A: LinearOperator<T> + ?Sized>(
        &self,
        a: &A,
        b: &[T],
        u0: Option<&[T]>,
        state: &mut [T],
    ) -> (T, usize) {
        let n = b.len();
        let (u, rest) = state.split_at_mut(n);
        let (r, rho) = rest.split_at_mut(n);
        let (_, matvecs) = initial_residual(a, b, u0, u, r);
        rho[0] = kernels::dot(r, r);
        (rho[0], matvecs)
    }

    fn step<A: LinearOperator<T> + ?Sized>(
        &self,
        step: &Step<'_, T, A>,
        state: &mut [T],
        extra: &mut [T],
        _scratch: &mut [&mut [T]],
    ) -> Result<(Option<T>, usize)> {
        let Step { a, b, k, .. } = *step;
        let n = b.len();
        let (u, rest) = state.split_at_mut(n);
        let (r, rho) = rest.split_at_mut(n);
        let (q, scalars) = extra.split_at_mut(n);
        a.apply(r, q);
        let sigma = kernels::dot(r, q);
        if sigma == T::zero() || !sigma.is_finite() {
            return Err(SolverError::Breakdown {
                solver: "steepest descent",
                iteration: k,
                reason: format!("rᵀAr = {sigma} (the operator is not definite along the residual)"),
            });
        }
        let alpha = rho[0] / sigma;
        kernels::axpy(alpha, r, u);
        kernels::axpy(-alpha, q, r);
        scalars[0] = alpha;
        scalars[1] = sigma;
        rho[0] = kernels::dot(r, r);
        Ok((Some(rho[0]), 1))
    }
}

impl<T: Real> Reversible<T> for SteepestDescentProgram {
    fn uses_diagonal(&self) -> bool {
        false
    }

    fn reverse_step<A: LinearOperator<T> + ?Sized>(
        &self,
        a: &A,
        state: &[T],
        extra: &[T],
        next: &[T],
        adj: &mut Adjoint<'_, T>,
        scratch: &mut [&mut [T]],
    ) -> usize {
        let Adjoint {
            state: adj, sink, ..
        } = adj;
        let n = (state.len() - 1) / 2;
        let r = &state[n..2 * n];
        let r_next = &next[n..2 * n];
        let (q, scalars) = extra.split_at(n);
        let (alpha, sigma) = (scalars[0], scalars[1]);
        let (ub, rest) = adj.split_at_mut(n);
        let (rb, rho_b) = rest.split_at_mut(n);
        let [qb, tmp] = scratch else {
            unreachable!("steepest descent uses two scratch vectors")
        };
        // ρ' = r'ᵀr'
        kernels::axpy(T::of(2.0) * rho_b[0], r_next, rb);
        // r' = r − α q
        kernels::copy_scaled(-alpha, rb, qb);
        let mut alpha_b = -kernels::dot(rb, q);
        // u' = u + α r
        alpha_b += kernels::dot(ub, r);
        kernels::axpy(alpha, ub, rb);
        // α = ρ / σ
        let rho_bar = alpha_b / sigma;
        let sigma_b = -alpha_b * alpha / sigma;
        // σ = rᵀq
        kernels::axpy(sigma_b, q, rb);
        kernels::axpy(sigma_b, r, qb);
        // q = A r
        a.apply_transpose(qb, tmp);
        kernels::axpy(T::one(), tmp, rb);
        kernels::scale(-T::one(), qb);
        sink.rank_one(qb, r);
        rho_b[0] = rho_bar;
        1
    }

    fn reverse_start(
        &self,
        u0: Option<&[T]>,
        state: &[T],
        adj: &mut Adjoint<'_, T>,
        _scratch: &mut [&mut [T]],
    ) {
        let Adjoint {
            state: adj,
            bbar,
            sink,
            ..
        } = adj;
        let n = bbar.len();
        let r0 = &state[n..2 * n];
        let (rb, rho_b) = adj[n..].split_at_mut(n);
        kernels::axpy(T::of(2.0) * rho_b[0], r0, rb);
        kernels::axpy(T::one(), rb, bbar);
        if let Some(u0) = u0 {
            sink.rank_one(rb, u0);
        }
    }
}
