//! Restarted GMRES(m) (PRDP paper, appendix B.3, Algorithm 3).

use prdp_core::{LinearOperator, Real, invalid, kernels};

use crate::error::{Result, SolverError};
use crate::program::{Params, Program, Step, initial_residual, run};
use crate::{Budget, SolveOptions, SolveReport, Workspace};

/// Solves A x = b by restarted GMRES(m) with modified Gram–Schmidt Arnoldi and Givens
/// rotations.
///
/// As in the PRDP paper (and JAX's "batched" GMRES that the paper used), one iteration is one
/// restart cycle: the true residual r = b − A x, then m Arnoldi steps, then the least-squares
/// update of x. The stopping test uses the true residual between cycles, so K cycles cost
/// K·m + K operator applications (one fewer from a zero initial guess) plus one for the final
/// residual. A happy breakdown (the Krylov space becomes invariant) ends the cycle early with
/// the exact solution in that space.
///
/// # Errors
/// Shape and finiteness errors for bad input; [`prdp_core::Error::InvalidArgument`] (in [`SolverError::Core`](crate::SolverError::Core)) for `restart = 0`;
/// [`SolverError::Breakdown`](crate::SolverError::Breakdown) for a non-finite Arnoldi vector or a singular Hessenberg matrix.
///
/// # Example
/// ```
/// use prdp_core::CsrMatrix;
/// use prdp_solvers::{Budget, SolveOptions, Workspace, gmres};
/// // A nonsymmetric upwind-like matrix.
/// let n = 50;
/// let mut t = Vec::new();
/// for i in 0..n {
///     t.push((i, i, 2.0));
///     t.push((i, (i + n - 1) % n, -1.2));
///     t.push((i, (i + 1) % n, 0.1));
/// }
/// let a = CsrMatrix::from_triplets(n, n, &t)?;
/// let b = vec![1.0; n];
/// let mut x = vec![0.0; n];
/// let r = gmres(&a, 8, &b, &mut x, &Budget::new(100, 1e-10)?, &SolveOptions::default(), &mut Workspace::new())?;
/// assert!(r.converged());
/// # Ok::<(), prdp_solvers::SolverError>(())
/// ```
///
/// # Reference
/// Saad and Schultz, *GMRES*, SIAM J. Sci. Stat. Comput. 7 (1986); PRDP paper, Algorithm 3.
pub fn gmres<T: Real, A: LinearOperator<T> + ?Sized>(
    a: &A,
    restart: usize,
    b: &[T],
    x: &mut [T],
    budget: &Budget,
    opts: &SolveOptions,
    ws: &mut Workspace<T>,
) -> Result<SolveReport> {
    run(
        &GmresProgram { restart },
        a,
        b,
        x,
        Params { budget, opts },
        ws,
        None,
    )
}

/// GMRES(m) as a step program; a step is one restart cycle. State: [x, r = b − A x, ‖r‖²];
/// extras (rebuilt by every cycle): the Arnoldi basis V ((m+1)·n), the rotated Hessenberg
/// matrix H ((m+1)·m), the Givens cosines and sines (m each), the rotated right-hand side g
/// (m+1) and the least-squares solution y (m).
pub(crate) struct GmresProgram {
    /// Restart length m.
    pub(crate) restart: usize,
}

impl<T: Real> Program<T> for GmresProgram {
    const NAME: &'static str = "GMRES";
    const SCRATCH: usize = 0;

    fn state_len(&self, n: usize) -> usize {
        2 * n + 1
    }

    fn extra_len(&self, n: usize) -> usize {
        let m = self.restart;
        (m + 1) * n + (m + 1) * m + 4 * m + 1
    }

    fn validate(&self) -> Result<()> {
        if self.restart == 0 {
            return Err(invalid("restart", self.restart, "GMRES(m) needs m >= 1").into());
        }
        Ok(())
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
        let (r, beta2) = rest.split_at_mut(n);
        let (res2, matvecs) = initial_residual(a, b, u0, x, r);
        beta2[0] = res2.unwrap_or_else(|| kernels::dot(b, b));
        (beta2[0], matvecs)
    }

    fn step<A: LinearOperator<T> + ?Sized>(
        &self,
        step: &Step<'_, T, A>,
        state: &mut [T],
        extra: &mut [T],
        _scratch: &mut [&mut [T]],
    ) -> Result<(Option<T>, usize)> {
        let Step { a, b, k: cycle, .. } = *step;
        let (n, m) = (b.len(), self.restart);
        let (x, rest) = state.split_at_mut(n);
        let (r, beta2) = rest.split_at_mut(n);
        let (basis, rest) = extra.split_at_mut((m + 1) * n);
        let (h, rest) = rest.split_at_mut((m + 1) * m);
        let (cs, rest) = rest.split_at_mut(m);
        let (sn, rest) = rest.split_at_mut(m);
        let (g, y) = rest.split_at_mut(m + 1);
        let beta = beta2[0].sqrt();
        let mut matvecs = 0;
        kernels::copy_scaled(T::one() / beta, r, &mut basis[..n]);
        g.fill(T::zero());
        g[0] = beta;
        let mut steps = m;
        for j in 0..m {
            let (done, ahead) = basis.split_at_mut((j + 1) * n);
            let w = &mut ahead[..n];
            a.apply(&done[j * n..], w);
            matvecs += 1;
            let w_norm = kernels::nrm2(w);
            // Modified Gram–Schmidt.
            for i in 0..=j {
                let vi = &done[i * n..(i + 1) * n];
                let hij = kernels::dot(w, vi);
                h[i * m + j] = hij;
                kernels::axpy(-hij, vi, w);
            }
            let hnext = kernels::nrm2(w);
            if !hnext.is_finite() {
                return Err(SolverError::Breakdown {
                    solver: "GMRES",
                    iteration: cycle,
                    reason: format!("Arnoldi vector {} has norm {hnext}", j + 1),
                });
            }
            // Apply the previous rotations to column j, then a new one to zero h[j+1, j].
            for i in 0..j {
                let (hi, hi1) = (h[i * m + j], h[(i + 1) * m + j]);
                h[i * m + j] = cs[i] * hi + sn[i] * hi1;
                h[(i + 1) * m + j] = -sn[i] * hi + cs[i] * hi1;
            }
            let hjj = h[j * m + j];
            let den = hjj.hypot(hnext);
            let (c, s) = if den == T::zero() {
                (T::one(), T::zero())
            } else {
                (hjj / den, hnext / den)
            };
            cs[j] = c;
            sn[j] = s;
            h[j * m + j] = den;
            h[(j + 1) * m + j] = T::zero();
            g[j + 1] = -s * g[j];
            g[j] *= c;
            // Happy breakdown: A vⱼ lies in the Krylov space up to rounding (exactly zero
            // only in exact arithmetic), so the space is invariant and the solution is in it.
            if hnext <= T::of(16.0) * T::epsilon() * w_norm {
                steps = j + 1;
                break;
            }
            kernels::scale(T::one() / hnext, w);
        }
        // Back substitution H[..steps, ..steps] y = g[..steps].
        for i in (0..steps).rev() {
            let mut acc = g[i];
            for l in i + 1..steps {
                acc -= h[i * m + l] * y[l];
            }
            let hii = h[i * m + i];
            if hii == T::zero() || !hii.is_finite() {
                return Err(SolverError::Breakdown {
                    solver: "GMRES",
                    iteration: cycle,
                    reason: format!("the Hessenberg matrix is singular (entry {i} is {hii})"),
                });
            }
            y[i] = acc / hii;
        }
        for i in 0..steps {
            kernels::axpy(y[i], &basis[i * n..(i + 1) * n], x);
        }
        // The true residual, for the next cycle and the stopping test.
        beta2[0] = a.residual(x, b, r);
        Ok((Some(beta2[0]), matvecs + 1))
    }
}
