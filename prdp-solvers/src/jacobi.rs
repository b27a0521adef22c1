//! Jacobi relaxation (PRDP paper, appendix B.1, Algorithm 1).

use prdp_core::{LinearOperator, Real, kernels};

use crate::error::Result;
use crate::precond::invert_diagonal;
use crate::program::{Adjoint, Params, Program, Reversible, Step, initial_residual, run, square};
use crate::{Budget, SolveOptions, SolveReport, Workspace};

/// Solves A x = b by Jacobi relaxation, x ← x + D⁻¹(b − A x) with D = diag(A), under `budget`.
///
/// One iteration is one sweep and one operator application (the residual of the new iterate,
/// which also drives the stopping test). Converges for strictly or irreducibly diagonally
/// dominant A, with rate given by the spectral radius of I − D⁻¹A.
///
/// Under a fixed budget ([`Budget::fixed`]) without a residual history, only the last
/// iterate's residual norm is computed: nothing reads the others. A diverging iteration is
/// then reported as a breakdown at iteration K rather than where it first overflowed.
///
/// # Errors
/// Shape and finiteness errors for bad input, [`prdp_core::Error::NoDiagonal`] if the operator
/// has no diagonal, [`prdp_core::Error::Singular`] for a zero diagonal entry,
/// [`SolverError::Breakdown`](crate::SolverError::Breakdown) if the iteration overflows.
///
/// # Example
/// ```
/// use prdp_core::{Boundary, Stencil};
/// use prdp_solvers::{Budget, SolveOptions, Workspace, jacobi};
/// let a = Stencil::<f64>::laplacian(&[30], &[1.0 / 31.0], Boundary::Dirichlet)?.affine(1.0, -1e-3);
/// let b = vec![1.0; 30];
/// let mut x = vec![0.0; 30];
/// let report = jacobi(&a, &b, &mut x, &Budget::new(100, 1e-10)?, &SolveOptions::default(), &mut Workspace::new())?;
/// assert!(report.converged() && report.iterations < 100);
/// # Ok::<(), prdp_solvers::SolverError>(())
/// ```
///
/// # Reference
/// Bhatia, Koehler and Thuerey, *Progressively Refined Differentiable Physics*, ICLR 2025,
/// appendix B.1.
pub fn jacobi<T: Real, A: LinearOperator<T> + ?Sized>(
    a: &A,
    b: &[T],
    x: &mut [T],
    budget: &Budget,
    opts: &SolveOptions,
    ws: &mut Workspace<T>,
) -> Result<SolveReport> {
    with_inverse_diagonal(a, ws, |prog, ws| {
        run(&prog, a, b, x, Params { budget, opts }, ws, None)
    })
}

/// Computes D⁻¹ of `a` into the workspace's diagonal buffer and runs `f` with the program.
pub(crate) fn with_inverse_diagonal<T: Real, A: LinearOperator<T> + ?Sized, R>(
    a: &A,
    ws: &mut Workspace<T>,
    f: impl FnOnce(JacobiProgram<'_, T>, &mut Workspace<T>) -> Result<R>,
) -> Result<R> {
    let n = square("Jacobi", a)?;
    let mut d = ws.take_diagonal(n);
    let result = (|| {
        let (diag, rest) = d.split_at_mut(n);
        let inv = &mut rest[..n];
        // A constant diagonal (every stencil) is applied as a scalar: one stream less per sweep.
        let uniform = match a.constant_diagonal().filter(|_| n > 0) {
            Some(c) => {
                invert_diagonal(&[c], &mut inv[..1], || a.describe())?;
                let ic = inv[0];
                inv.fill(ic);
                Some(ic)
            }
            None => {
                a.diagonal(diag).map_err(|e| match e {
                    prdp_core::Error::NoDiagonal { operator, .. } => prdp_core::Error::NoDiagonal {
                        operator,
                        needed_by: "Jacobi",
                    },
                    other => other,
                })?;
                invert_diagonal(diag, inv, || a.describe())?;
                // Branch-free, so that it vectorises.
                let first = inv.first().copied().unwrap_or_else(T::zero);
                inv.iter()
                    .fold(true, |same, v| same & (*v == first))
                    .then_some(first)
            }
        };
        f(
            JacobiProgram {
                inv_d: inv,
                uniform,
            },
            ws,
        )
    })();
    ws.put_diagonal(d);
    result
}

/// Jacobi as a step program. State: [u, r] with r = b − A u.
pub(crate) struct JacobiProgram<'a, T> {
    pub(crate) inv_d: &'a [T],
    /// The common value of `inv_d` when all its entries are equal.
    uniform: Option<T>,
}

impl<T: Real> Program<T> for JacobiProgram<'_, T> {
    const NAME: &'static str = "Jacobi";
    const SCRATCH: usize = 1;

    fn state_len(&self, n: usize) -> usize {
        2 * n
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
        let (u, r) = state.split_at_mut(b.len());
        let (res2, matvecs) = initial_residual(a, b, u0, u, r);
        (res2.unwrap_or_else(|| kernels::dot(b, b)), matvecs)
    }

    fn step<A: LinearOperator<T> + ?Sized>(
        &self,
        step: &Step<'_, T, A>,
        state: &mut [T],
        _extra: &mut [T],
        _scratch: &mut [&mut [T]],
    ) -> Result<(Option<T>, usize)> {
        let Step { a, b, norm, .. } = *step;
        let (u, r) = state.split_at_mut(b.len());
        match self.uniform {
            Some(di) => {
                for (ui, &ri) in u.iter_mut().zip(r.iter()) {
                    *ui = di.mul_add(ri, *ui);
                }
            }
            None => {
                for ((ui, &ri), &di) in u.iter_mut().zip(r.iter()).zip(self.inv_d) {
                    *ui = di.mul_add(ri, *ui);
                }
            }
        }
        if norm {
            Ok((Some(a.residual(u, b, r)), 1))
        } else {
            a.residual_vector(u, b, r);
            Ok((None, 1))
        }
    }
}

impl<T: Real> Reversible<T> for JacobiProgram<'_, T> {
    fn uses_diagonal(&self) -> bool {
        true
    }

    fn reverse_step<A: LinearOperator<T> + ?Sized>(
        &self,
        a: &A,
        state: &[T],
        _extra: &[T],
        next: &[T],
        adj: &mut Adjoint<'_, T>,
        scratch: &mut [&mut [T]],
    ) -> usize {
        let Adjoint {
            state: adj,
            bbar,
            diag_bar,
            sink,
        } = adj;
        let n = bbar.len();
        let (ub, rb) = adj.split_at_mut(n);
        let (_, r) = state.split_at(n);
        let (u_next, _) = next.split_at(n);
        // u' = u + D⁻¹ r: r̄ = D⁻¹ ū', D̄ = −r̄ ⊙ D⁻¹ r; with r' = b − A u', ū' first gains
        // −Aᵀ r̄' and b̄ gains r̄'. One fused pass after the transposed product.
        let through = rb.iter().any(|v| *v != T::zero());
        if through {
            sink.rank_one(rb, u_next);
            a.apply_transpose(rb, scratch[0]);
        }
        let at_rb = &*scratch[0];
        let inv = self.inv_d;
        match (self.uniform, diag_bar.as_deref_mut(), through) {
            (Some(d), None, true) => reverse_sweep::<_, true>(|_| d, rb, ub, at_rb, bbar, r, None),
            (Some(d), None, false) => {
                reverse_sweep::<_, false>(|_| d, rb, ub, at_rb, bbar, r, None)
            }
            (_, db, true) => reverse_sweep::<_, true>(|i| inv[i], rb, ub, at_rb, bbar, r, db),
            (_, db, false) => reverse_sweep::<_, false>(|i| inv[i], rb, ub, at_rb, bbar, r, db),
        }
        usize::from(through)
    }

    fn reverse_start(
        &self,
        u0: Option<&[T]>,
        _state: &[T],
        adj: &mut Adjoint<'_, T>,
        _scratch: &mut [&mut [T]],
    ) {
        let n = adj.bbar.len();
        let rb = &adj.state[n..];
        kernels::axpy(T::one(), rb, adj.bbar);
        if let Some(u0) = u0 {
            adj.sink.rank_one(rb, u0);
        }
    }
}

/// The elementwise part of a Jacobi reverse step, fused: with `THROUGH` (the adjoint r̄' of the
/// next residual is nonzero) b̄ += r̄' and ū −= Aᵀr̄' (`at_rb`); then r̄ = D⁻¹ū and, if wanted,
/// D̄ −= r̄ ⊙ D⁻¹ r. `inv(i)` is the i-th entry of D⁻¹.
#[inline(always)]
fn reverse_sweep<T: Real, const THROUGH: bool>(
    inv: impl Fn(usize) -> T,
    rb: &mut [T],
    ub: &mut [T],
    at_rb: &[T],
    bbar: &mut [T],
    r: &[T],
    diag_bar: Option<&mut [T]>,
) {
    let n = rb.len();
    let (ub, at_rb, bbar, r) = (&mut ub[..n], &at_rb[..n], &mut bbar[..n], &r[..n]);
    match diag_bar {
        Some(db) => {
            let db = &mut db[..n];
            for i in 0..n {
                if THROUGH {
                    bbar[i] += rb[i];
                    ub[i] -= at_rb[i];
                }
                let d = inv(i);
                rb[i] = d * ub[i];
                db[i] -= rb[i] * (d * r[i]);
            }
        }
        None => {
            for i in 0..n {
                if THROUGH {
                    bbar[i] += rb[i];
                    ub[i] -= at_rb[i];
                }
                rb[i] = inv(i) * ub[i];
            }
        }
    }
}
